/// ReLU, in place or not: y = max(x, 0).
public enum ReLU {
  public static func forward(_ input: UnsafePointer<Float>, count: Int, into output: UnsafeMutablePointer<Float>) {
    var i = 0
    while i < count {
      output[i] = max(input[i], 0)
      i += 1
    }
  }

  /// dx = dy where the forward's output was positive, else 0 (`output` may be the input).
  public static func backward(
    _ outputGradient: UnsafePointer<Float>, output: UnsafePointer<Float>, count: Int,
    into inputGradient: UnsafeMutablePointer<Float>
  ) {
    var i = 0
    while i < count {
      inputGradient[i] = output[i] > 0 ? outputGradient[i] : 0
      i += 1
    }
  }
}

/// target += values, element by element (gradients meeting at a sum or a replica's), in
/// SIMD lanes written out: the compiler cannot rule out that the two overlap.
@inline(__always)
func add(_ values: UnsafePointer<Float>, into target: UnsafeMutablePointer<Float>, count: Int) {
  var i = 0
  while i + 8 <= count {
    let sum = UnsafeRawPointer(target + i).loadUnaligned(as: SIMD8<Float>.self)
      + UnsafeRawPointer(values + i).loadUnaligned(as: SIMD8<Float>.self)
    UnsafeMutableRawPointer(target + i).storeBytes(of: sum, as: SIMD8<Float>.self)
    i += 8
  }
  while i < count {
    target[i] += values[i]
    i += 1
  }
}

/// target ← m · target + (1 − m) · values: an exponential moving average, in SIMD lanes.
@inline(__always)
func moveAverage(_ target: UnsafeMutablePointer<Float>, toward values: UnsafePointer<Float>, momentum m: Float, count: Int) {
  var i = 0
  while i + 8 <= count {
    let old = UnsafeRawPointer(target + i).loadUnaligned(as: SIMD8<Float>.self)
    let new = UnsafeRawPointer(values + i).loadUnaligned(as: SIMD8<Float>.self)
    UnsafeMutableRawPointer(target + i).storeBytes(of: m * old + (1 - m) * new, as: SIMD8<Float>.self)
    i += 8
  }
  while i < count {
    target[i] = m * target[i] + (1 - m) * values[i]
    i += 1
  }
}
