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

/// Buffers for blurring planes of the sizes given, each with its kernel's taps: one row
/// with its reflected margins, and the horizontal pass with reflected rows above and below
/// (`PixelLoops.blur`).
struct BlurScratch {
  let padded: UnsafeMutablePointer<Float>
  let rows: UnsafeMutablePointer<Float>
  let kernel: UnsafeMutablePointer<Float>

  init(planes: [(height: Int, width: Int, taps: Int)]) {
    padded = .allocate(capacity: planes.map { $0.width + $0.taps }.max() ?? 0)
    rows = .allocate(capacity: planes.map { ($0.height + $0.taps) * $0.width }.max() ?? 0)
    kernel = .allocate(capacity: planes.map(\.taps).max() ?? 0)
  }

  func deallocate() {
    padded.deallocate()
    rows.deallocate()
    kernel.deallocate()
  }

  /// Blurs `planes` planes in place with the kernel in `kernel` (`taps` = 2r + 1), edges
  /// reflected; the size must be one given to `init`.
  func run(
    _ values: UnsafeMutablePointer<Float>, planes: Int, height: Int, width: Int, taps: Int, _ loops: any PixelLoops.Type
  ) {
    loops.blur(values, planes: planes, height: height, width: width, kernel: kernel, taps: taps, padded: padded, rows: rows)
  }
}
