/// Interpolation weights that map `outputSize` samples onto the input interval
/// [start, start + length) of an axis of `inputSize` samples.
///
/// A triangle (bilinear) filter whose support widens by the scale factor when shrinking,
/// so that every input pixel contributes and downsampling does not alias. This is the
/// filter Pillow's `resize(..., BILINEAR)` and torchvision's antialiased resize use.
public struct ResampleWeights: Sendable {
  /// For output i, its taps are input indices `first[i] ..< first[i] + taps`.
  public let first: [Int32]
  /// `outputSize × taps` weights, each row summing to 1 (zero-padded rows for short taps).
  public let weights: [Float]
  public let taps: Int

  public init(inputSize: Int, outputSize: Int, start: Double = 0, length: Double? = nil) {
    precondition(inputSize > 0 && outputSize > 0, "sizes must be positive")
    let length = length ?? Double(inputSize)
    let taps = Self.tapCount(outputSize: outputSize, length: length)
    var first = [Int32](repeating: 0, count: outputSize)
    var weights = [Float](repeating: 0, count: outputSize * taps)
    _ = first.withUnsafeMutableBufferPointer { first in
      weights.withUnsafeMutableBufferPointer { weights in
        Self.fill(
          inputSize: inputSize, outputSize: outputSize, start: start, length: length, taps: taps,
          first: first.baseAddress!, weights: weights.baseAddress!)
      }
    }
    self.first = first
    self.weights = weights
    self.taps = taps
  }

  /// Taps per output that `fill` needs for `outputSize` samples over an interval of `length`.
  @inlinable
  public static func tapCount(outputSize: Int, length: Double) -> Int {
    let support = max(length / Double(outputSize), 1)
    return Int((2 * support).rounded(.up)) + 2
  }

  /// Writes the weights without allocating (augment computes them for every view):
  /// `first[i]`, and the weight of output i's tap t at `weights[i × outputStride + t ×
  /// tapStride]`, for `taps` taps, at least `tapCount(outputSize:length:)`. Row-major
  /// (outputStride = taps, tapStride = 1) is `ResampleWeights`'s layout; augment takes
  /// the transpose, so that one tap of every output is contiguous. Returns how many taps
  /// any output actually uses: each output's taps start at its first nonzero weight.
  @discardableResult
  public static func fill(
    inputSize: Int, outputSize: Int, start: Double, length: Double, taps: Int,
    first: UnsafeMutablePointer<Int32>, weights: UnsafeMutablePointer<Float>,
    outputStride: Int? = nil, tapStride: Int = 1
  ) -> Int {
    let outputStride = outputStride ?? taps
    let scale = length / Double(outputSize)
    // The triangle's radius is 1 input pixel, widened when shrinking.
    let stretch = max(scale, 1)
    var used = 1
    for i in 0..<outputSize {
      let row = weights + i * outputStride
      for t in 0..<taps { row[t * tapStride] = 0 }
      // Input j has a positive weight when |j + ½ − center| < stretch.
      let center = start + (Double(i) + 0.5) * scale
      let low = max(0, floor(center - stretch - 0.5) + 1)
      let high = min(inputSize, low + taps, ceiling(center + stretch - 0.5))
      var total = 0.0
      for j in low..<max(low, high) {
        total += max(0, 1 - abs((Double(j) + 0.5 - center) / stretch))
      }
      if total == 0 {
        // The interval lies outside the image: take the nearest edge pixel.
        first[i] = Int32(min(max(floor(center), 0), inputSize - 1))
        row[0] = 1
        continue
      }
      first[i] = Int32(low)
      used = max(used, high - low)
      for j in low..<high {
        row[(j - low) * tapStride] = Float(max(0, 1 - abs((Double(j) + 0.5 - center) / stretch)) / total)
      }
    }
    return used
  }
}

/// ⌊x⌋ and ⌈x⌉ for |x| < 2⁶², without a call into libm (the baseline x86-64 target has
/// no rounding instruction).
@inline(__always)
private func floor(_ x: Double) -> Int {
  let truncated = Int(x)
  return Double(truncated) > x ? truncated - 1 : truncated
}

@inline(__always)
private func ceiling(_ x: Double) -> Int {
  let truncated = Int(x)
  return Double(truncated) < x ? truncated + 1 : truncated
}

extension Image {
  /// The region (top, left, height, width, in input pixels, fractional allowed) resampled
  /// to `height × width` with `ResampleWeights`.
  public func resampled(
    height outputHeight: Int, width outputWidth: Int,
    region: (top: Double, left: Double, height: Double, width: Double)? = nil
  ) -> Image {
    let region = region ?? (0, 0, Double(height), Double(width))
    if outputHeight == height && outputWidth == width && region == (0, 0, Double(height), Double(width)) {
      return self
    }
    let rows = ResampleWeights(inputSize: height, outputSize: outputHeight, start: region.top, length: region.height)
    let columns = ResampleWeights(inputSize: width, outputSize: outputWidth, start: region.left, length: region.width)
    var output = Image(channels: channels, height: outputHeight, width: outputWidth)
    var horizontal = [Float](repeating: 0, count: height * outputWidth)
    pixels.withUnsafeBufferPointer { source in
      output.pixels.withUnsafeMutableBufferPointer { target in
        horizontal.withUnsafeMutableBufferPointer { temporary in
          for c in 0..<channels {
            let plane = UnsafeBufferPointer(rebasing: source[c * height * width..<(c + 1) * height * width])
            resampleRows(plane, width: width, rows: height, columns, into: temporary)
            let out = UnsafeMutableBufferPointer(rebasing: target[c * outputHeight * outputWidth..<(c + 1) * outputHeight * outputWidth])
            resampleColumns(UnsafeBufferPointer(temporary), width: outputWidth, rows, into: out)
          }
        }
      }
    }
    return output
  }
}

/// Horizontal pass: each input row (u8) to `weights.first.count` float samples.
@inline(__always)
private func resampleRows(
  _ input: UnsafeBufferPointer<UInt8>, width: Int, rows: Int, _ kernel: ResampleWeights,
  into output: UnsafeMutableBufferPointer<Float>
) {
  let outputWidth = kernel.first.count
  let taps = kernel.taps
  kernel.first.withUnsafeBufferPointer { first in
    kernel.weights.withUnsafeBufferPointer { weights in
      for y in 0..<rows {
        let inRow = input.baseAddress! + y * width
        let outRow = output.baseAddress! + y * outputWidth
        for x in 0..<outputWidth {
          let start = Int(first[x])
          let count = min(taps, width - start)
          var sum: Float = 0
          for t in 0..<count { sum += Float(inRow[start + t]) * weights[x * taps + t] }
          outRow[x] = sum
        }
      }
    }
  }
}

/// Vertical pass: float rows to u8 rows, rounded and clamped.
@inline(__always)
private func resampleColumns(
  _ input: UnsafeBufferPointer<Float>, width: Int, _ kernel: ResampleWeights,
  into output: UnsafeMutableBufferPointer<UInt8>
) {
  let inputRows = input.count / width
  let taps = kernel.taps
  var accumulator = [Float](repeating: 0, count: width)
  kernel.first.withUnsafeBufferPointer { first in
    kernel.weights.withUnsafeBufferPointer { weights in
      accumulator.withUnsafeMutableBufferPointer { sum in
        for y in 0..<first.count {
          let start = Int(first[y])
          let count = min(taps, inputRows - start)
          for x in 0..<width { sum[x] = 0 }
          for t in 0..<count {
            let w = weights[y * taps + t]
            let inRow = input.baseAddress! + (start + t) * width
            for x in 0..<width { sum[x] += inRow[x] * w }
          }
          let outRow = output.baseAddress! + y * width
          for x in 0..<width { outRow[x] = UInt8(min(max(sum[x].rounded(), 0), 255)) }
        }
      }
    }
  }
}

/// How an image is brought to a requested size.
public enum FitMode: String, Sendable, CaseIterable {
  /// Scale to cover the size, then cut the centre.
  case crop
  /// Scale to fit inside the size, then pad with black around the centre.
  case pad
  /// Scale each axis on its own, changing the aspect ratio.
  case stretch
}

extension Image {
  /// This image brought to `height × width` by `fit`.
  public func fitted(height outputHeight: Int, width outputWidth: Int, fit: FitMode) -> Image {
    let scaleY = Double(outputHeight) / Double(height)
    let scaleX = Double(outputWidth) / Double(width)
    switch fit {
    case .stretch:
      return resampled(height: outputHeight, width: outputWidth)
    case .crop:
      let scale = max(scaleY, scaleX)
      let regionHeight = Double(outputHeight) / scale
      let regionWidth = Double(outputWidth) / scale
      return resampled(
        height: outputHeight, width: outputWidth,
        region: ((Double(height) - regionHeight) / 2, (Double(width) - regionWidth) / 2, regionHeight, regionWidth))
    case .pad:
      let scale = min(scaleY, scaleX)
      let innerHeight = min(outputHeight, max(1, Int((Double(height) * scale).rounded())))
      let innerWidth = min(outputWidth, max(1, Int((Double(width) * scale).rounded())))
      let inner = resampled(height: innerHeight, width: innerWidth)
      var canvas = Image(channels: channels, height: outputHeight, width: outputWidth)
      let top = (outputHeight - innerHeight) / 2
      let left = (outputWidth - innerWidth) / 2
      for c in 0..<channels {
        for y in 0..<innerHeight {
          let from = (c * innerHeight + y) * innerWidth
          let to = (c * outputHeight + top + y) * outputWidth + left
          canvas.pixels[to..<to + innerWidth] = inner.pixels[from..<from + innerWidth]
        }
      }
      return canvas
    }
  }
}
