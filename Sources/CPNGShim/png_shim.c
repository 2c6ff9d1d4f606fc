#include "png_shim.h"

#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct shim_state {
  const unsigned char *data;
  size_t size;
  size_t position;
  char *message;
  size_t message_size;
  jmp_buf jump;
};

static void shim_error(png_structp png, png_const_charp text) {
  struct shim_state *state = png_get_error_ptr(png);
  snprintf(state->message, state->message_size, "%s", text);
  longjmp(state->jump, 1);
}

static void shim_warning(png_structp png, png_const_charp text) {
  (void)png;
  (void)text;
}

static void shim_read(png_structp png, png_bytep out, size_t count) {
  struct shim_state *state = png_get_io_ptr(png);
  if (count > state->size - state->position) png_error(png, "file is truncated");
  memcpy(out, state->data + state->position, count);
  state->position += count;
}

int unsup_png_decode(const unsigned char *data, size_t size,
                     unsigned char **pixels, int *width, int *height, int *channels,
                     char *message, size_t message_size) {
  *pixels = NULL;
  if (size < 8 || png_sig_cmp(data, 0, 8) != 0) {
    snprintf(message, message_size, "not a PNG file (bad signature)");
    return -1;
  }
  struct shim_state state = {data, size, 0, message, message_size};
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &state, shim_error, shim_warning);
  if (png == NULL) {
    snprintf(message, message_size, "out of memory");
    return -1;
  }
  png_infop info = png_create_info_struct(png);
  unsigned char *volatile buffer = NULL;
  png_bytep *volatile rows = NULL;
  if (info == NULL || setjmp(state.jump)) {
    if (info == NULL) snprintf(message, message_size, "out of memory");
    free(buffer);
    free(rows);
    png_destroy_read_struct(&png, &info, NULL);
    return -1;
  }
  png_set_read_fn(png, &state, shim_read);
  png_set_user_limits(png, UNSUP_PNG_MAX_SIDE, UNSUP_PNG_MAX_SIDE);
  png_read_info(png, info);

  png_uint_32 w = png_get_image_width(png, info);
  png_uint_32 h = png_get_image_height(png, info);
  int depth = png_get_bit_depth(png, info);
  int type = png_get_color_type(png, info);
  int out_channels = (type & PNG_COLOR_MASK_COLOR) ? 3 : 1;

  if (type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
  if (type == PNG_COLOR_TYPE_GRAY && depth < 8) png_set_expand_gray_1_2_4_to_8(png);
  if (depth == 16) png_set_scale_16(png);
  // Palette expansion turns tRNS into an alpha channel, which is then dropped too.
  if ((type & PNG_COLOR_MASK_ALPHA) || (type == PNG_COLOR_TYPE_PALETTE && png_get_valid(png, info, PNG_INFO_tRNS)))
    png_set_strip_alpha(png);
  png_set_interlace_handling(png);
  png_read_update_info(png, info);

  size_t row_bytes = png_get_rowbytes(png, info);
  if (row_bytes != (size_t)w * (size_t)out_channels) {
    snprintf(message, message_size, "unexpected row size %zu for a %ux%u image", row_bytes, w, h);
    longjmp(state.jump, 1);
  }
  buffer = malloc(row_bytes * h);
  rows = malloc(sizeof(png_bytep) * h);
  if (buffer == NULL || rows == NULL) png_error(png, "out of memory");
  for (png_uint_32 y = 0; y < h; y++) rows[y] = buffer + (size_t)y * row_bytes;
  png_read_image(png, rows);

  free(rows);
  png_destroy_read_struct(&png, &info, NULL);
  *pixels = buffer;
  *width = (int)w;
  *height = (int)h;
  *channels = out_channels;
  return 0;
}
