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

/// The index `i` reflected into 0..<n without repeating the edge (…, 2, 1, 0, 1, 2, …),
/// torchvision's "reflect" padding, repeated for kernels wider than the image.
@inline(__always)
func reflected(_ i: Int, _ n: Int) -> Int {
  // One reflection at most, without a division: every case but kernels wider than the image.
  if i >= 0 && i < n { return i }
  if i < 0 && -i < n { return -i }
  if i >= n && i < 2 * n - 1 { return 2 * (n - 1) - i }
  guard n > 1 else { return 0 }
  let period = 2 * (n - 1)
  var j = i % period
  if j < 0 { j += period }
  return j < n ? j : period - j
}

/// Buffers for `gaussianBlur`, sized for planes up to `height × width` and kernels up to
/// `maxSize` taps.
struct BlurScratch {
  let padded: UnsafeMutablePointer<Float>
  let rows: UnsafeMutablePointer<Float>
  let kernel: UnsafeMutablePointer<Float>
  /// The rows each tap of the vertical pass reads, for one output row.
  let tapRows: UnsafeMutablePointer<UnsafePointer<Float>>
  let maxSize: Int

  init(height: Int, width: Int, maxSize: Int) {
    self.maxSize = maxSize
    padded = .allocate(capacity: width + maxSize)
    rows = .allocate(capacity: height * width)
    kernel = .allocate(capacity: maxSize)
    tapRows = .allocate(capacity: maxSize)
  }

  func deallocate() {
    padded.deallocate()
    rows.deallocate()
    kernel.deallocate()
    tapRows.deallocate()
  }
}

/// Blurs each of `planes` planes in place with the separable kernel in `scratch.kernel`
/// (`size` = 2r + 1 taps), edges reflected.
func gaussianBlur(
  _ values: UnsafeMutablePointer<Float>, planes: Int, height: Int, width: Int, size: Int, scratch: BlurScratch,
  _ loops: any PixelLoops.Type
) {
  let radius = size / 2
  for p in 0..<planes {
    let plane = values + p * height * width
    // Horizontal, into scratch.rows: each row padded by reflection, then convolved.
    for y in 0..<height {
      let row = plane + y * width
      (scratch.padded + radius).update(from: row, count: width)
      for i in 0..<radius {
        scratch.padded[i] = row[reflected(i - radius, width)]
        scratch.padded[radius + width + i] = row[reflected(width + i, width)]
      }
      loops.convolve(scratch.padded, kernel: scratch.kernel, taps: size, count: width, into: scratch.rows + y * width)
    }
    // Vertical, back into the plane, from the rows each tap reflects to.
    for y in 0..<height {
      for t in 0..<size { scratch.tapRows[t] = UnsafePointer(scratch.rows + reflected(y - radius + t, height) * width) }
      loops.combineRows(scratch.tapRows, weights: scratch.kernel, taps: size, count: width, into: plane + y * width)
    }
  }
}
