import Kernels

/// A fully connected layer, as PyTorch's `nn.Linear`: y = x Wᵀ + b, with x a batch of rows
/// of `inputs` values and W `outputs` × `inputs` (PyTorch's layout, so weights load as they are).
public enum Linear {
  public static func forward(
    _ input: UnsafePointer<Float>, batch: Int, inputs: Int, outputs: Int, weight: UnsafePointer<Float>,
    bias: UnsafePointer<Float>, into output: UnsafeMutablePointer<Float>
  ) {
    for n in 0..<batch { (output + n * outputs).update(from: bias, count: outputs) }
    BLAS.sgemm(transposeB: true, m: batch, n: outputs, k: inputs, input, weight, beta: 1, output)
  }

  /// Adds dW = dyᵀ x and db = Σ dy to the gradients, and writes dx = dy W when asked.
  public static func backward(
    _ outputGradient: UnsafePointer<Float>, input: UnsafePointer<Float>, batch: Int, inputs: Int, outputs: Int,
    weight: UnsafePointer<Float>, inputGradient: UnsafeMutablePointer<Float>?,
    weightGradient: UnsafeMutablePointer<Float>, biasGradient: UnsafeMutablePointer<Float>
  ) {
    BLAS.sgemm(transposeA: true, m: outputs, n: inputs, k: batch, outputGradient, input, beta: 1, weightGradient)
    for n in 0..<batch {
      for o in 0..<outputs { biasGradient[o] += outputGradient[n * outputs + o] }
    }
    if let inputGradient {
      BLAS.sgemm(m: batch, n: inputs, k: outputs, outputGradient, weight, inputGradient)
    }
  }
}

/// Each row scaled to unit length, as PyTorch's `F.normalize` (the length floored at 1e-12).
public enum L2Normalize {
  public static let floor: Float = 1e-12

  public static func forward(_ input: UnsafePointer<Float>, batch: Int, dimension d: Int, into output: UnsafeMutablePointer<Float>) {
    for n in 0..<batch {
      let row = input + n * d
      var squares: Float = 0
      for i in 0..<d { squares += row[i] * row[i] }
      let inverse = 1 / max(squares.squareRoot(), floor)
      for i in 0..<d { output[n * d + i] = row[i] * inverse }
    }
  }

  /// dx = (dy − y (y · dy)) / ‖x‖, from the forward's input and output.
  public static func backward(
    _ outputGradient: UnsafePointer<Float>, input: UnsafePointer<Float>, output: UnsafePointer<Float>, batch: Int,
    dimension d: Int, into inputGradient: UnsafeMutablePointer<Float>
  ) {
    for n in 0..<batch {
      let (x, y, dy) = (input + n * d, output + n * d, outputGradient + n * d)
      var squares: Float = 0
      var dot: Float = 0
      for i in 0..<d {
        squares += x[i] * x[i]
        dot += y[i] * dy[i]
      }
      let length = max(squares.squareRoot(), floor)
      for i in 0..<d { inputGradient[n * d + i] = (dy[i] - y[i] * dot) / length }
    }
  }
}
