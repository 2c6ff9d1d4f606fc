/// Max pooling over k × k windows moved by k (PyTorch's `nn.MaxPool2d(k)`), over C × H × W
/// images; the output is C × ⌊H/k⌋ × ⌊W/k⌋. `forward` keeps where each maximum came from
/// (the first, on ties) for `backward`.
public enum MaxPool {
  public static func forward(
    _ input: UnsafePointer<Float>, planes: Int, height: Int, width: Int, kernel k: Int,
    into output: UnsafeMutablePointer<Float>, argmax: UnsafeMutablePointer<Int32>
  ) {
    let (outHeight, outWidth) = (height / k, width / k)
    for p in 0..<planes {
      let plane = input + p * height * width
      for y in 0..<outHeight {
        let out = (p * outHeight + y) * outWidth
        if k == 2 {
          pool2(plane, width: width, row: y, outWidth: outWidth, into: output + out, argmax: argmax + out)
          continue
        }
        for x in 0..<outWidth {
          var best = (y * k) * width + x * k
          for i in 0..<k {
            for j in 0..<k {
              let index = (y * k + i) * width + x * k + j
              if plane[index] > plane[best] { best = index }
            }
          }
          output[out + x] = plane[best]
          argmax[out + x] = Int32(best)
        }
      }
    }
  }

  /// One row of 2 × 2 windows, eight at a time in SIMD lanes (the first maximum wins, as
  /// in the scalar rule: a later value replaces it only when strictly larger).
  @inline(__always)
  static func pool2(
    _ plane: UnsafePointer<Float>, width: Int, row y: Int, outWidth: Int, into output: UnsafeMutablePointer<Float>,
    argmax: UnsafeMutablePointer<Int32>
  ) {
    let (top, bottom) = (2 * y * width, (2 * y + 1) * width)
    let lanes = SIMD8<Int32>(0, 2, 4, 6, 8, 10, 12, 14)
    @inline(__always) func eight(at x: Int) {
      let upper = UnsafeRawPointer(plane + top + 2 * x).loadUnaligned(as: SIMD16<Float>.self)
      let lower = UnsafeRawPointer(plane + bottom + 2 * x).loadUnaligned(as: SIMD16<Float>.self)
      var best = upper.evenHalf
      var index = lanes &+ Int32(truncatingIfNeeded: top + 2 * x)
      let below = index &+ Int32(truncatingIfNeeded: width)
      var larger = upper.oddHalf .> best
      best.replace(with: upper.oddHalf, where: larger)
      index.replace(with: index &+ 1, where: larger)
      larger = lower.evenHalf .> best
      best.replace(with: lower.evenHalf, where: larger)
      index.replace(with: below, where: larger)
      larger = lower.oddHalf .> best
      best.replace(with: lower.oddHalf, where: larger)
      index.replace(with: below &+ 1, where: larger)
      UnsafeMutableRawPointer(output + x).storeBytes(of: best, as: SIMD8<Float>.self)
      UnsafeMutableRawPointer(argmax + x).storeBytes(of: index, as: SIMD8<Int32>.self)
    }
    var x = 0
    while x + 8 <= outWidth {
      eight(at: x)
      x += 8
    }
    // The last few windows: once more eight at a time, overlapping windows already done.
    if x < outWidth && outWidth >= 8 {
      eight(at: outWidth - 8)
      return
    }
    while x < outWidth {
      var best = top + 2 * x
      if plane[top + 2 * x + 1] > plane[best] { best = top + 2 * x + 1 }
      if plane[bottom + 2 * x] > plane[best] { best = bottom + 2 * x }
      if plane[bottom + 2 * x + 1] > plane[best] { best = bottom + 2 * x + 1 }
      output[x] = plane[best]
      argmax[x] = Int32(truncatingIfNeeded: best)
      x += 1
    }
  }

  /// dx: each output's gradient at the input its maximum came from, 0 elsewhere.
  public static func backward(
    _ outputGradient: UnsafePointer<Float>, argmax: UnsafePointer<Int32>, planes: Int, height: Int, width: Int,
    kernel k: Int, into inputGradient: UnsafeMutablePointer<Float>
  ) {
    let outputs = (height / k) * (width / k)
    inputGradient.update(repeating: 0, count: planes * height * width)
    for p in 0..<planes {
      for o in 0..<outputs {
        inputGradient[p * height * width + Int(argmax[p * outputs + o])] += outputGradient[p * outputs + o]
      }
    }
  }
}

/// Global average pooling: each plane of P values becomes its mean.
public enum GlobalAveragePool {
  public static func forward(_ input: UnsafePointer<Float>, planes: Int, pixels: Int, into output: UnsafeMutablePointer<Float>) {
    for p in 0..<planes { output[p] = Reduce.sum(input + p * pixels, count: pixels) / Float(pixels) }
  }

  public static func backward(
    _ outputGradient: UnsafePointer<Float>, planes: Int, pixels: Int, into inputGradient: UnsafeMutablePointer<Float>
  ) {
    for p in 0..<planes {
      let share = outputGradient[p] / Float(pixels)
      for i in 0..<pixels { inputGradient[p * pixels + i] = share }
    }
  }
}

/// Sums kept fast: independent partial sums in SIMD lanes, which the compiler may not
/// introduce itself (it would change the rounding of a plain loop).
enum Reduce {
  @inline(__always)
  static func sum(_ values: UnsafePointer<Float>, count: Int) -> Float {
    var lanes = SIMD8<Float>()
    var more = SIMD8<Float>()
    var i = 0
    while i + 16 <= count {
      lanes += UnsafeRawPointer(values + i).loadUnaligned(as: SIMD8<Float>.self)
      more += UnsafeRawPointer(values + i + 8).loadUnaligned(as: SIMD8<Float>.self)
      i += 16
    }
    var total = (lanes + more).sum()
    while i < count {
      total += values[i]
      i += 1
    }
    return total
  }

  @inline(__always)
  static func sumOfSquares(_ values: UnsafePointer<Float>, count: Int) -> Float {
    var lanes = SIMD8<Float>()
    var i = 0
    while i + 8 <= count {
      let v = UnsafeRawPointer(values + i).loadUnaligned(as: SIMD8<Float>.self)
      lanes += v * v
      i += 8
    }
    var total = lanes.sum()
    while i < count {
      total += values[i] * values[i]
      i += 1
    }
    return total
  }
}
