import KernelLoops
import Shared

// The geometric ops, over planar float images (C planes of height × width, values 0…255).
// Each writes a fresh buffer: geometry moves pixels, so it cannot work in place.

/// Samples `input` at the positions `map` gives for each output pixel, plus an optional
/// displacement field (2 planes: dx then dy, in output pixels, added before the map), by
/// bilinear interpolation; positions outside the image read 0 (torchvision's fill).
/// Input and output share the size: the affine step runs at the input's resolution and
/// the crop that follows does the resizing, with antialiasing.
func warp(
  _ input: UnsafePointer<Float>, channels: Int, height: Int, width: Int, map: AffineMap,
  displacement: UnsafePointer<Float>?, into output: UnsafeMutablePointer<Float>
) {
  let plane = height * width
  for y in 0..<height {
    for x in 0..<width {
      var (px, py) = (Float(x), Float(y))
      if let displacement {
        px += displacement[y * width + x]
        py += displacement[plane + y * width + x]
      }
      let u = map.a * px + map.b * py + map.c
      let v = map.d * px + map.e * py + map.f
      // Far outside: every tap is 0. The bound also keeps Int(u) from trapping.
      guard u > -1, v > -1, u < Float(width), v < Float(height) else {
        for c in 0..<channels { output[c * plane + y * width + x] = 0 }
        continue
      }
      let (u0, v0) = (Int(u.rounded(.down)), Int(v.rounded(.down)))
      let (fu, fv) = (u - Float(u0), v - Float(v0))
      let inside = (u0 >= 0, u0 + 1 < width, v0 >= 0, v0 + 1 < height)
      let w00 = inside.0 && inside.2 ? (1 - fu) * (1 - fv) : 0
      let w01 = inside.1 && inside.2 ? fu * (1 - fv) : 0
      let w10 = inside.0 && inside.3 ? (1 - fu) * fv : 0
      let w11 = inside.1 && inside.3 ? fu * fv : 0
      // Clamped indices, read with weight 0 when outside.
      let (x0, x1) = (max(u0, 0), min(u0 + 1, width - 1))
      let (y0, y1) = (max(v0, 0), min(v0 + 1, height - 1))
      for c in 0..<channels {
        let p = input + c * plane
        output[c * plane + y * width + x] =
          w00 * p[y0 * width + x0] + w01 * p[y0 * width + x1] + w10 * p[y1 * width + x0] + w11 * p[y1 * width + x1]
      }
    }
  }
}

/// Buffers for `resizedCrop`, sized once for the largest box: the crop's resampling
/// weights along each axis (tap-major: tap t of every output is contiguous) and the
/// intermediate of the two passes.
struct ResizeScratch {
  let columnFirst: UnsafeMutablePointer<Int32>
  let columnWeights: UnsafeMutablePointer<Float>
  let rowFirst: UnsafeMutablePointer<Int32>
  let rowWeights: UnsafeMutablePointer<Float>
  let columnTaps: Int
  let rowTaps: Int
  /// height × output width: the horizontal pass of one plane.
  let rows: UnsafeMutablePointer<Float>
  /// The rows the taps of one output row read.
  let tapRows: UnsafeMutablePointer<UnsafePointer<Float>>

  init(inputHeight: Int, inputWidth: Int, outputHeight: Int, outputWidth: Int) {
    // The widest support comes from the largest box, the whole image.
    columnTaps = ResampleWeights.tapCount(outputSize: outputWidth, length: Double(inputWidth))
    rowTaps = ResampleWeights.tapCount(outputSize: outputHeight, length: Double(inputHeight))
    columnFirst = .allocate(capacity: outputWidth)
    columnWeights = .allocate(capacity: outputWidth * columnTaps)
    rowFirst = .allocate(capacity: outputHeight)
    rowWeights = .allocate(capacity: outputHeight * rowTaps)
    rows = .allocate(capacity: inputHeight * outputWidth)
    tapRows = .allocate(capacity: rowTaps)
  }

  func deallocate() {
    for buffer in [columnWeights, rowWeights, rows] { buffer.deallocate() }
    columnFirst.deallocate()
    rowFirst.deallocate()
    tapRows.deallocate()
  }
}

/// torchvision's `resized_crop` (with `antialias=True`) followed, when `flip`, by a
/// horizontal flip: the box is cut out, then resampled to `outputHeight × outputWidth`
/// by the triangle filter of `ResampleWeights`, whose support widens when shrinking. Taps
/// never reach outside the box with a nonzero weight, but they read up to
/// `ResizeScratch.columnTaps` values past the input's end, which must be readable.
func resizedCrop(
  _ input: UnsafePointer<Float>, channels: Int, height: Int, width: Int, box: CropBox, flip: Bool,
  outputHeight: Int, outputWidth: Int, scratch: ResizeScratch, into output: UnsafeMutablePointer<Float>,
  _ loops: any PixelLoops.Type
) {
  let (columnFirst, columnWeights) = (scratch.columnFirst, scratch.columnWeights)
  // Upsampling uses 2 of the taps allowed for: loop over those only.
  let columnTaps = ResampleWeights.fill(
    inputSize: box.width, outputSize: outputWidth, start: 0, length: Double(box.width), taps: scratch.columnTaps,
    first: columnFirst, weights: columnWeights, outputStride: 1, tapStride: outputWidth)
  let rowTaps = ResampleWeights.fill(
    inputSize: box.height, outputSize: outputHeight, start: 0, length: Double(box.height), taps: scratch.rowTaps,
    first: scratch.rowFirst, weights: scratch.rowWeights)
  if flip {
    // Output column x takes the taps of column outputWidth − 1 − x.
    var (i, j) = (0, outputWidth - 1)
    while i < j {
      swap(&columnFirst[i], &columnFirst[j])
      for t in 0..<columnTaps { swap(&columnWeights[t * outputWidth + i], &columnWeights[t * outputWidth + j]) }
      i += 1
      j -= 1
    }
  }
  let plane = height * width
  let outputPlane = outputHeight * outputWidth
  for c in 0..<channels {
    loops.gather(
      input + c * plane + box.top * width + box.left, inputStride: width, rows: box.height, first: columnFirst,
      weights: columnWeights, taps: columnTaps, count: outputWidth, into: scratch.rows, outputStride: outputWidth)
    let target = output + c * outputPlane
    for y in 0..<outputHeight {
      let start = Int(scratch.rowFirst[y])
      let count = min(rowTaps, box.height - start)
      for t in 0..<count { scratch.tapRows[t] = UnsafePointer(scratch.rows + (start + t) * outputWidth) }
      loops.combineRows(
        scratch.tapRows, weights: scratch.rowWeights + y * scratch.rowTaps, taps: count, count: outputWidth,
        into: target + y * outputWidth)
    }
  }
}
