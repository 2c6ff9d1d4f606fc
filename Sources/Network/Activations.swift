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

/// target += values, element by element (gradients meeting at a sum or a replica's).
@inline(__always)
func add(_ values: UnsafePointer<Float>, into target: UnsafeMutablePointer<Float>, count: Int) {
  var i = 0
  while i < count {
    target[i] += values[i]
    i += 1
  }
}
