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
        for x in 0..<outWidth {
          var best = (y * k) * width + x * k
          for i in 0..<k {
            for j in 0..<k {
              let index = (y * k + i) * width + x * k + j
              if plane[index] > plane[best] { best = index }
            }
          }
          let out = (p * outHeight + y) * outWidth + x
          output[out] = plane[best]
          argmax[out] = Int32(best)
        }
      }
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
    for p in 0..<planes {
      var sum: Float = 0
      for i in 0..<pixels { sum += input[p * pixels + i] }
      output[p] = sum / Float(pixels)
    }
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
