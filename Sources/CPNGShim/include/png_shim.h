#ifndef UNSUP_PNG_SHIM_H
#define UNSUP_PNG_SHIM_H

#include <stddef.h>

/// Largest width or height the shim accepts (libpng's user limit), so that a forged
/// header cannot ask for an unbounded allocation.
#define UNSUP_PNG_MAX_SIDE 16384

/// Decodes a PNG held in memory to 8-bit pixels without alpha: one channel for grey and
/// grey+alpha images, three (RGB) for palette, RGB and RGBA images. Every bit depth is
/// brought to 8 bits (1/2/4-bit grey expanded to 0...255, 16-bit scaled with rounding),
/// palettes are expanded, interlacing is undone, and alpha and tRNS are dropped, so the
/// stored colour values come out unchanged (gAMA and other colour chunks are ignored).
///
/// On success returns 0 and sets *pixels to a malloc'd buffer of width*height*channels
/// bytes (row-major, channels interleaved) that the caller frees. On failure returns -1,
/// sets *pixels to NULL, and writes a one-line message into message.
///
/// libpng reports errors by longjmp; setjmp and every libpng call stay inside this
/// function, so no longjmp ever crosses a Swift frame.
int unsup_png_decode(const unsigned char *data, size_t size,
                     unsigned char **pixels, int *width, int *height, int *channels,
                     char *message, size_t message_size);

#endif
