#include <turbojpeg.h>

/// Largest image (in pixels) the JPEG decoder accepts, so a forged header cannot ask for
/// an unbounded allocation: 2^28 pixels, e.g. 16384 × 16384.
#define UNSUP_MAX_JPEG_PIXELS 268435456
