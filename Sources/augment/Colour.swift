import KernelLoops
import SIMDKernels

// ColorJitter's adjustments and RandomGrayscale, in place over planar float images
// (values 0…255), with torchvision's meanings: each blends the image with a reference
// and clamps to 0…255. Unlike torchvision on u8 tensors, values stay float between ops
// and are rounded once, at the end. Saturation, hue and grayscale leave grey images as
// they are, as torchvision does.

/// Brightness: v ← min(f v, 255), a blend with black.
func adjustBrightness(_ values: UnsafeMutablePointer<Float>, count: Int, factor: Float, _ loops: any PixelLoops.Type) {
  loops.scaleAndShift(values, count: count, scale: factor, shift: 0)
}

/// Contrast: v ← clamp(f v + (1 − f) m), a blend with the mean grey level m of the image.
func adjustContrast(
  _ values: UnsafeMutablePointer<Float>, channels: Int, plane: Int, factor: Float, _ loops: any PixelLoops.Type
) {
  func mean(_ c: Int) -> Float { loops.sum(values + c * plane, count: plane) / Float(plane) }
  var grey = mean(0)
  if channels == 3 {
    let (red, green, blue) = (lumaWeights.red * grey, lumaWeights.green * mean(1), lumaWeights.blue * mean(2))
    grey = red + green + blue
  }
  loops.scaleAndShift(values, count: channels * plane, scale: factor, shift: (1 - factor) * grey)
}
