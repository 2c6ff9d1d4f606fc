import Foundation
import KernelLoops

/// torchvision's Gaussian kernel: exp(−x² / 2σ²) at x = −r…r for a kernel of `size`
/// = 2r + 1 taps, normalised to sum to 1.
func gaussianKernel(size: Int, sigma: Float, into kernel: UnsafeMutablePointer<Float>) {
  let radius = size / 2
  var total: Float = 0
  for i in 0..<size {
    let x = Float(i - radius) / sigma
    kernel[i] = exp(-0.5 * x * x)
    total += kernel[i]
  }
  for i in 0..<size { kernel[i] /= total }
}

/// Buffers for `gaussianBlur`, sized for planes up to `height × width` and kernels up to
/// `maxSize` taps.
struct BlurScratch {
  /// One row with its reflected margins.
  let padded: UnsafeMutablePointer<Float>
  /// The horizontal pass, with reflected rows above and below.
  let rows: UnsafeMutablePointer<Float>
  let kernel: UnsafeMutablePointer<Float>
  let maxSize: Int

  init(height: Int, width: Int, maxSize: Int) {
    self.maxSize = maxSize
    padded = .allocate(capacity: width + maxSize)
    rows = .allocate(capacity: (height + maxSize) * width)
    kernel = .allocate(capacity: maxSize)
  }

  func deallocate() {
    padded.deallocate()
    rows.deallocate()
    kernel.deallocate()
  }
}

/// Blurs each of `planes` planes in place with the separable kernel in `scratch.kernel`
/// (`size` = 2r + 1 taps), edges reflected.
func gaussianBlur(
  _ values: UnsafeMutablePointer<Float>, planes: Int, height: Int, width: Int, size: Int, scratch: BlurScratch,
  _ loops: any PixelLoops.Type
) {
  loops.blur(
    values, planes: planes, height: height, width: width, kernel: scratch.kernel, taps: size, padded: scratch.padded,
    rows: scratch.rows)
}
