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
  _ input: UnsafePointer<UInt8>, channels: Int, height: Int, width: Int, map: AffineMap,
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
          w00 * Float(p[y0 * width + x0]) + w01 * Float(p[y0 * width + x1]) + w10 * Float(p[y1 * width + x0])
          + w11 * Float(p[y1 * width + x1])
      }
    }
  }
}

/// What `resizedCrop` keeps between calls: the resampling weights along each axis (columns
/// tap-major, so that tap t of every output is contiguous), and buffers for the
/// intermediate of the two passes.
struct ResizeScratch {
  let columns: ResampleTable
  let rows: ResampleTable
  /// channels × height × output width: the horizontal pass.
  let horizontal: UnsafeMutablePointer<Float>
  /// The box of a u8 image as floats, then zeros for the taps that run past its end.
  let box: UnsafeMutablePointer<Float>

  /// Taps the horizontal pass may read past a row: the input must have this many
  /// readable values after its end.
  var columnTaps: Int { columns.taps }

  init(channels: Int, inputHeight: Int, inputWidth: Int, outputHeight: Int, outputWidth: Int) {
    columns = ResampleTable(largestInput: inputWidth, outputSize: outputWidth, tapMajor: true)
    rows = ResampleTable(largestInput: inputHeight, outputSize: outputHeight, tapMajor: false)
    horizontal = .allocate(capacity: channels * inputHeight * outputWidth)
    box = .allocate(capacity: channels * inputHeight * inputWidth + columns.taps)
  }

  func deallocate() {
    horizontal.deallocate()
    box.deallocate()
  }
}

/// The image `resizedCrop` reads: the input's bytes, or floats from the affine step.
enum CropSource {
  case bytes(UnsafePointer<UInt8>)
  case floats(UnsafePointer<Float>)
}

/// torchvision's `resized_crop` (with `antialias=True`) followed, when `flip`, by a
/// horizontal flip: the box is cut out, then resampled to `outputHeight × outputWidth`
/// by the triangle filter of `ResampleWeights`, whose support widens when shrinking. Taps
/// never reach outside the box with a nonzero weight. Bytes are widened into a buffer of
/// the scratch first; floats (from the affine step) are read in place, up to
/// `ResizeScratch.columnTaps` values past their end, which must be readable and finite.
func resizedCrop(
  _ input: CropSource, channels: Int, height: Int, width: Int, box: CropBox, flip: Bool,
  outputHeight: Int, outputWidth: Int, scratch: ResizeScratch, into output: UnsafeMutablePointer<Float>,
  _ loops: any PixelLoops.Type
) {
  // Upsampling uses 2 of the taps allowed for: the loops run over those only.
  let columns = scratch.columns.weights(from: box.width)
  let rows = scratch.rows.weights(from: box.height)
  let plane = height * width
  let offset = box.top * width + box.left
  // The box as floats: where they start, and the strides of their rows and planes.
  let (values, stride, planeStride): (UnsafePointer<Float>, Int, Int)
  switch input {
  case let .bytes(pixels):
    // Widened first: the gather then reads floats, one instruction per tap.
    let count = channels * box.height * box.width
    loops.widen(
      pixels + offset, inputStride: width, inputPlane: plane, planes: channels, rows: box.height, columns: box.width,
      into: scratch.box)
    (scratch.box + count).update(repeating: 0, count: scratch.columnTaps)
    (values, stride, planeStride) = (UnsafePointer(scratch.box), box.width, box.height * box.width)
  case let .floats(image):
    (values, stride, planeStride) = (image + offset, width, plane)
  }
  loops.gather(
    values, inputStride: stride, inputPlane: planeStride, planes: channels, rows: box.height, first: columns.first,
    weights: columns.weights, taps: columns.used, count: outputWidth, reversed: flip, into: scratch.horizontal,
    outputStride: outputWidth, outputPlane: box.height * outputWidth)
  loops.resampleColumns(
    scratch.horizontal, inputRows: box.height, width: outputWidth, planes: channels, first: rows.first,
    weights: rows.weights, weightStride: scratch.rows.taps, taps: rows.used, outputRows: outputHeight, into: output)
}
