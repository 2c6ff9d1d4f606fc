/// The pixel loops of `augment`, over planar float images (values 0…255).
///
/// Every loop is a requirement with its body in the extension below, so that an empty
/// conformance compiles all of them for its module's instruction set: KernelsAVX2's for
/// AVX2 and FMA, SIMDKernels's for the baseline CPU, which picks one at run time
/// (`PixelKernels`). The colour ops follow torchvision.transforms.v2.functional: each
/// blends the image with a reference and clamps to 0…255.
public protocol PixelLoops {
  /// How the convolutions multiply and add: fused where the instruction set has FMA.
  associatedtype Accumulate: MultiplyAccumulate
  /// Applies `count` colour steps, in order, to every pixel of `channels` (1 or 3) planes
  /// in one pass (grey planes skip the steps that act on colour); with `sum`, returns the
  /// sum of the result's grey level (the luma for RGB), which a contrast step needs.
  static func recolor(
    _ values: UnsafeMutablePointer<Float>, channels: Int, plane: Int, steps: UnsafePointer<ColorStep>, count: Int,
    sum: Bool
  ) -> Float
  /// Clamps to 0…255 and rounds to the nearest byte, ties to even.
  static func quantize(_ values: UnsafePointer<Float>, count: Int, into target: UnsafeMutablePointer<UInt8>)
  /// target[i] = values[i] · a + b.
  static func affine(_ values: UnsafePointer<Float>, count: Int, scale a: Float, shift b: Float, into target: UnsafeMutablePointer<Float>)
  /// A box of `planes` planes, `rows` × `columns` of bytes read `inputStride` and
  /// `inputPlane` apart, widened to contiguous floats.
  static func widen(
    _ input: UnsafePointer<UInt8>, inputStride: Int, inputPlane: Int, planes: Int, rows: Int, columns: Int,
    into out: UnsafeMutablePointer<Float>)
  /// out[p, r, x′] = Σ_t weights[t × count + x] · input[p, r, first[x] + t] for planes p,
  /// rows r, x < count and t < taps, with x′ = x, or count − 1 − x when `reversed`: the
  /// horizontal pass of a resampling (and a flip), weights stored tap-major. Rows are
  /// `inputStride` and `outputStride` apart, planes `inputPlane` and `outputPlane`.
  /// An output's taps past its last nonzero weight are still read (weighted 0), up to
  /// taps − 1 values past the box, which must be readable and finite.
  static func gather(
    _ input: UnsafePointer<Float>, inputStride: Int, inputPlane: Int, planes: Int, rows: Int,
    first: UnsafePointer<Int32>, weights: UnsafePointer<Float>, taps: Int, count: Int, reversed: Bool,
    into out: UnsafeMutablePointer<Float>, outputStride: Int, outputPlane: Int)
  /// The vertical pass of a resampling, over `planes` planes of `inputRows` × `width`:
  /// out[p, y, x] = Σ_t weights[y × weightStride + t] · input[p, first[y] + t, x] for
  /// y < outputRows and t < min(taps, inputRows − first[y]).
  static func resampleColumns(
    _ input: UnsafePointer<Float>, inputRows: Int, width: Int, planes: Int, first: UnsafePointer<Int32>,
    weights: UnsafePointer<Float>, weightStride: Int, taps: Int, outputRows: Int, into out: UnsafeMutablePointer<Float>)
  /// Blurs `planes` planes of height × width in place with the separable `kernel` of
  /// `taps` = 2r + 1 weights, edges reflected (torchvision's padding). `padded` holds
  /// width + 2r floats and `rows` (height + 2r) × width.
  static func blur(
    _ values: UnsafeMutablePointer<Float>, planes: Int, height: Int, width: Int, kernel: UnsafePointer<Float>, taps: Int,
    padded: UnsafeMutablePointer<Float>, rows: UnsafeMutablePointer<Float>)
}

/// Luma weights of torchvision's `rgb_to_grayscale` (ITU-R 601-2, four digits).
public let lumaWeights: (red: Float, green: Float, blue: Float) = (0.2989, 0.587, 0.114)

/// One pointwise colour step of `PixelLoops.recolor`, with torchvision's meanings; each
/// blends and clamps to 0…255. Saturation, hue and grey apply to RGB only.
public struct ColorStep: Sendable, Equatable {
  public enum Kind: UInt8, Sendable {
    /// v ← clamp(a v + b): brightness (b = 0) and contrast (b = (1 − a) · mean grey).
    case scaleAndShift
    /// Each pixel blended with its grey level: v ← clamp(a v + (1 − a) grey).
    case saturate
    /// The HSV hue turned by a of a full circle (−½…½).
    case turnHue
    /// Every channel becomes the pixel's grey level.
    case grey
    /// Values at or above a become 255 − v.
    case solarize
  }

  public var kind: Kind
  public var a: Float
  public var b: Float

  public init(_ kind: Kind, _ a: Float = 0, _ b: Float = 0) {
    self.kind = kind
    self.a = a
    self.b = b
  }
}


extension PixelLoops {
  @inlinable @inline(__always)
  public static func widen(
    _ input: UnsafePointer<UInt8>, inputStride: Int, inputPlane: Int, planes: Int, rows: Int, columns: Int,
    into out: UnsafeMutablePointer<Float>
  ) {
    var target = out
    for p in 0..<planes {
      for r in 0..<rows {
        let row = input + p * inputPlane + r * inputStride
        var x = 0
        while x + 8 <= columns {
          store(UInt8.vector(row + x, as: SIMD8<Float>.self), target + x)
          x += 8
        }
        while x < columns {
          target[x] = Float(row[x])
          x += 1
        }
        target += columns
      }
    }
  }

  @inlinable @inline(__always)
  public static func recolor(
    _ values: UnsafeMutablePointer<Float>, channels: Int, plane: Int, steps: UnsafePointer<ColorStep>, count: Int,
    sum wanted: Bool
  ) -> Float {
    let rgb = channels == 3
    // Tiles of pixels small enough to stay in the first-level cache while every step runs
    // over them, each step a tight loop of its own.
    let tile = 512
    // In Double across tiles: a Float total of a large view would drift.
    var total = 0.0
    var start = 0
    while start < plane {
      let n = min(tile, plane - start)
      let red = values + start
      let (green, blue) = rgb ? (red + plane, red + 2 * plane) : (red, red)
      for s in 0..<count {
        let step = steps[s]
        switch step.kind {
        case .scaleAndShift:
          scaleAndShift(red, n, step.a, step.b)
          if rgb {
            scaleAndShift(green, n, step.a, step.b)
            scaleAndShift(blue, n, step.a, step.b)
          }
        case .saturate: if rgb { saturate(red, green, blue, n, step.a) }
        case .turnHue: if rgb { turnHue(red, green, blue, n, step.a) }
        case .grey: if rgb { grey(red, green, blue, n) }
        case .solarize:
          solarize(red, n, step.a)
          if rgb {
            solarize(green, n, step.a)
            solarize(blue, n, step.a)
          }
        }
      }
      if wanted { total += Double(rgb ? lumaSum(red, green, blue, n) : sum(red, n)) }
      start += n
    }
    return Float(total)
  }

  @inlinable @inline(__always)
  static func scaleAndShift(_ values: UnsafeMutablePointer<Float>, _ count: Int, _ a: Float, _ b: Float) {
    var i = 0
    while i < count {
      values[i] = min(max(a * values[i] + b, 0), 255)
      i += 1
    }
  }

  @inlinable @inline(__always)
  static func saturate(
    _ red: UnsafeMutablePointer<Float>, _ green: UnsafeMutablePointer<Float>, _ blue: UnsafeMutablePointer<Float>,
    _ count: Int, _ factor: Float
  ) {
    let keep = 1 - factor
    var i = 0
    while i < count {
      let grey = keep * (lumaWeights.red * red[i] + lumaWeights.green * green[i] + lumaWeights.blue * blue[i])
      red[i] = min(max(factor * red[i] + grey, 0), 255)
      green[i] = min(max(factor * green[i] + grey, 0), 255)
      blue[i] = min(max(factor * blue[i] + grey, 0), 255)
      i += 1
    }
  }

  /// 8 pixels at a time (`hueTurned`), the last few through vectors padded with zeros.
  @inlinable @inline(__always)
  static func turnHue(
    _ red: UnsafeMutablePointer<Float>, _ green: UnsafeMutablePointer<Float>, _ blue: UnsafeMutablePointer<Float>,
    _ count: Int, _ shift: Float
  ) {
    let turn = SIMD8<Float>(repeating: 6 * shift)
    var i = 0
    while i + 8 <= count {
      let (r, g, b) = hueTurned(load(red + i), load(green + i), load(blue + i), by: turn)
      store(r, red + i)
      store(g, green + i)
      store(b, blue + i)
      i += 8
    }
    guard i < count else { return }
    var (r, g, b) = (SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>())
    for lane in 0..<(count - i) { (r[lane], g[lane], b[lane]) = (red[i + lane], green[i + lane], blue[i + lane]) }
    (r, g, b) = hueTurned(r, g, b, by: turn)
    for lane in 0..<(count - i) { (red[i + lane], green[i + lane], blue[i + lane]) = (r[lane], g[lane], b[lane]) }
  }

  @inlinable @inline(__always)
  static func grey(
    _ red: UnsafeMutablePointer<Float>, _ green: UnsafeMutablePointer<Float>, _ blue: UnsafeMutablePointer<Float>,
    _ count: Int
  ) {
    var i = 0
    while i < count {
      let grey = lumaWeights.red * red[i] + lumaWeights.green * green[i] + lumaWeights.blue * blue[i]
      red[i] = grey
      green[i] = grey
      blue[i] = grey
      i += 1
    }
  }

  @inlinable @inline(__always)
  static func solarize(_ values: UnsafeMutablePointer<Float>, _ count: Int, _ threshold: Float) {
    var i = 0
    while i < count {
      let v = values[i]
      values[i] = v >= threshold ? 255 - v : v
      i += 1
    }
  }

  /// Four vectors of running sums, so that the additions need not wait on one another.
  @inlinable @inline(__always)
  static func sum(_ values: UnsafePointer<Float>, _ count: Int) -> Float {
    var (s0, s1, s2, s3) = (SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>())
    var i = 0
    while i + 32 <= count {
      s0 += load(values + i)
      s1 += load(values + i + 8)
      s2 += load(values + i + 16)
      s3 += load(values + i + 24)
      i += 32
    }
    while i + 8 <= count {
      s0 += load(values + i)
      i += 8
    }
    var total = ((s0 + s1) + (s2 + s3)).sum()
    while i < count {
      total += values[i]
      i += 1
    }
    return total
  }

  @inlinable @inline(__always)
  static func lumaSum(_ red: UnsafePointer<Float>, _ green: UnsafePointer<Float>, _ blue: UnsafePointer<Float>, _ count: Int) -> Float {
    lumaWeights.red * sum(red, count) + lumaWeights.green * sum(green, count) + lumaWeights.blue * sum(blue, count)
  }

  @inlinable @inline(__always)
  public static func quantize(_ values: UnsafePointer<Float>, count: Int, into target: UnsafeMutablePointer<UInt8>) {
    // Adding 1.5 × 2²³ leaves the rounded value in the low bits of the sum, with the
    // hardware's rounding and no conversion that could trap, so the loop vectorises.
    let magic: Float = 12_582_912
    let (low, high, offset) = (SIMD8<Float>(), SIMD8<Float>(repeating: 255), SIMD8<Float>(repeating: magic))
    var i = 0
    while i + 8 <= count {
      let clamped = maximum(minimum(load(values + i), high), low)
      let bits = unsafeBitCast(clamped + offset, to: SIMD8<UInt32>.self)
      UnsafeMutableRawPointer(target + i).storeBytes(of: SIMD8<UInt8>(truncatingIfNeeded: bits), as: SIMD8<UInt8>.self)
      i += 8
    }
    while i < count {
      let sum = min(max(values[i], 0), 255) + magic
      target[i] = UInt8(truncatingIfNeeded: sum.bitPattern)
      i += 1
    }
  }

  @inlinable @inline(__always)
  public static func affine(
    _ values: UnsafePointer<Float>, count: Int, scale a: Float, shift b: Float, into target: UnsafeMutablePointer<Float>
  ) {
    var i = 0
    while i < count {
      target[i] = values[i] * a + b
      i += 1
    }
  }

  @inlinable @inline(__always)
  public static func gather(
    _ input: UnsafePointer<Float>, inputStride: Int, inputPlane: Int, planes: Int, rows: Int,
    first: UnsafePointer<Int32>, weights: UnsafePointer<Float>, taps: Int, count: Int, reversed: Bool,
    into out: UnsafeMutablePointer<Float>, outputStride: Int, outputPlane: Int
  ) {
    for p in 0..<planes {
      for r in 0..<rows {
        let row = input + p * inputPlane + r * inputStride
        let target = out + p * outputPlane + r * outputStride
        var x = 0
        if taps == 2 {
          // Upsampling, the common case: 8 outputs at a time from taps gathered into
          // vectors, so that the arithmetic and the stores are vector operations.
          while x + 8 <= count {
            var (low, high) = (SIMD8<Float>(), SIMD8<Float>())
            for k in 0..<8 {
              let tap = row + Int(first[x + k])
              low[k] = tap[0]
              high[k] = tap[1]
            }
            let sum = Accumulate.accumulate(load(weights + x) * low, load(weights + count + x), high)
            if reversed {
              store(SIMD8(sum[7], sum[6], sum[5], sum[4], sum[3], sum[2], sum[1], sum[0]), target + count - 8 - x)
            } else {
              store(sum, target + x)
            }
            x += 8
          }
        }
        while x < count {
          let tap = row + Int(first[x])
          var sum: Float = 0
          for t in 0..<taps { sum += weights[t * count + x] * tap[t] }
          target[reversed ? count - 1 - x : x] = sum
          x += 1
        }
      }
    }
  }

  @inlinable @inline(__always)
  public static func resampleColumns(
    _ input: UnsafePointer<Float>, inputRows: Int, width: Int, planes: Int, first: UnsafePointer<Int32>,
    weights: UnsafePointer<Float>, weightStride: Int, taps: Int, outputRows: Int, into out: UnsafeMutablePointer<Float>
  ) {
    for p in 0..<planes {
      let (plane, target) = (input + p * inputRows * width, out + p * outputRows * width)
      for y in 0..<outputRows {
        let start = Int(first[y])
        combine(
          plane + start * width, stride: width, weights: weights + y * weightStride, taps: min(taps, inputRows - start),
          count: width, into: target + y * width)
      }
    }
  }

  @inlinable @inline(__always)
  public static func blur(
    _ values: UnsafeMutablePointer<Float>, planes: Int, height: Int, width: Int, kernel: UnsafePointer<Float>, taps: Int,
    padded: UnsafeMutablePointer<Float>, rows: UnsafeMutablePointer<Float>
  ) {
    let radius = taps / 2
    for p in 0..<planes {
      let plane = values + p * height * width
      // Horizontal, into rows r…r + height − 1 of `rows`: each row padded by reflection,
      // then a sum of shifted copies, so that the taps are contiguous.
      for y in 0..<height {
        let row = plane + y * width
        (padded + radius).update(from: row, count: width)
        for i in 0..<radius {
          padded[i] = row[reflectedIndex(i - radius, width)]
          padded[radius + width + i] = row[reflectedIndex(width + i, width)]
        }
        // The shifts of `padded` are rows one float apart.
        combine(padded, stride: 1, weights: kernel, taps: taps, count: width, into: rows + (radius + y) * width)
      }
      // Reflected rows above and below, then vertical, back into the plane.
      for i in 0..<radius {
        (rows + (radius - 1 - i) * width).update(from: rows + (radius + reflectedIndex(-1 - i, height)) * width, count: width)
        (rows + (radius + height + i) * width).update(
          from: rows + (radius + reflectedIndex(height + i, height)) * width, count: width)
      }
      for y in 0..<height {
        combine(rows + y * width, stride: width, weights: kernel, taps: taps, count: width, into: plane + y * width)
      }
    }
  }

  /// out[x] = Σ_t weights[t] · input[t × stride + x] for x < count, t < taps: 32 values at a
  /// time in four sums, so that the multiply-adds of one sum need not wait on one another;
  /// then 8 at a time; then one.
  @inlinable @inline(__always)
  static func combine(
    _ input: UnsafePointer<Float>, stride: Int, weights: UnsafePointer<Float>, taps: Int, count: Int,
    into out: UnsafeMutablePointer<Float>
  ) {
    var x = 0
    while x + 32 <= count {
      var (s0, s1, s2, s3) = (SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>())
      for t in 0..<taps {
        let (w, row) = (SIMD8<Float>(repeating: weights[t]), input + t * stride + x)
        s0 = Accumulate.accumulate(s0, w, load(row))
        s1 = Accumulate.accumulate(s1, w, load(row + 8))
        s2 = Accumulate.accumulate(s2, w, load(row + 16))
        s3 = Accumulate.accumulate(s3, w, load(row + 24))
      }
      store(s0, out + x)
      store(s1, out + x + 8)
      store(s2, out + x + 16)
      store(s3, out + x + 24)
      x += 32
    }
    while x + 8 <= count {
      var sum = SIMD8<Float>()
      for t in 0..<taps { sum = Accumulate.accumulate(sum, SIMD8(repeating: weights[t]), load(input + t * stride + x)) }
      store(sum, out + x)
      x += 8
    }
    while x < count {
      var sum: Float = 0
      for t in 0..<taps { sum += weights[t] * input[t * stride + x] }
      out[x] = sum
      x += 1
    }
  }
}

/// The index `i` reflected into 0..<n without repeating the edge (…, 2, 1, 0, 1, 2, …),
/// torchvision's "reflect" padding, repeated for kernels wider than the image.
@inlinable @inline(__always)
public func reflectedIndex(_ i: Int, _ n: Int) -> Int {
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

@inlinable @inline(__always)
func hueTurned(
  _ r: SIMD8<Float>, _ g: SIMD8<Float>, _ b: SIMD8<Float>, by turn: SIMD8<Float>
) -> (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>) {
  let high = maximum(r, maximum(g, b))
  let chroma = high - minimum(r, minimum(g, b))
  let inverse = (1 / chroma).replacing(with: 0, where: chroma .<= 0)
  var hue = (4 + (r - g) * inverse)
    .replacing(with: 2 + (b - r) * inverse, where: high .== g)
    .replacing(with: (g - b) * inverse, where: high .== r)
  // hue lies in [−1, 5] and turn in [−3, 3]: one step either way wraps their sum into [0, 6).
  hue += turn
  hue = hue.replacing(with: hue + 6, where: hue .< 0)
  hue = hue.replacing(with: hue - 6, where: hue .>= 6)
  // clamp(min(k, 4 − k), 0, 1) for k = (n + hue) mod 6, written out three times: as a
  // function the compiler left it out of line, and compiled for the baseline CPU.
  let (zero, one, four, six) = (SIMD8<Float>(), SIMD8<Float>(repeating: 1), SIMD8<Float>(repeating: 4), SIMD8<Float>(repeating: 6))
  var k = hue + 5
  k = k.replacing(with: k - six, where: k .>= six)
  let red = maximum(minimum(minimum(k, four - k), one), zero)
  k = hue + 3
  k = k.replacing(with: k - six, where: k .>= six)
  let green = maximum(minimum(minimum(k, four - k), one), zero)
  k = hue + 1
  k = k.replacing(with: k - six, where: k .>= six)
  let blue = maximum(minimum(minimum(k, four - k), one), zero)
  return (high - chroma * red, high - chroma * green, high - chroma * blue)
}

// The standard library's pointwiseMin and pointwiseMax are not inlined; these are, and
// become single instructions.
@inlinable @inline(__always)
func minimum(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> { a.replacing(with: b, where: b .< a) }

@inlinable @inline(__always)
func maximum(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> { a.replacing(with: b, where: b .> a) }

@inlinable @inline(__always)
func load(_ pointer: UnsafePointer<Float>) -> SIMD8<Float> {
  UnsafeRawPointer(pointer).loadUnaligned(as: SIMD8<Float>.self)
}

@inlinable @inline(__always)
func store(_ vector: SIMD8<Float>, _ pointer: UnsafeMutablePointer<Float>) {
  UnsafeMutableRawPointer(pointer).storeBytes(of: vector, as: SIMD8<Float>.self)
}
