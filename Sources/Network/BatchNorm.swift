/// Batch normalisation over the channels of a batch stored image after image, each
/// C × P values (P = H × W for images, 1 for vectors), as PyTorch's `nn.BatchNorm2d` and
/// `nn.BatchNorm1d`: y = γ (x − μ) / √(σ² + ε) + β per channel.
///
/// In training μ and σ² are the batch's (σ² biased), and the running statistics move
/// towards them by `momentum`, with the unbiased variance, as PyTorch does; in evaluation
/// the running statistics are used.
public enum BatchNorm {
  public static let epsilon: Float = 1e-5

  /// Training forward. Keeps each channel's mean and 1 / √(σ² + ε) in `mean` and
  /// `inverseDeviation` for `backward`, and updates the running statistics.
  public static func forwardTraining(
    _ input: UnsafePointer<Float>, batch: Int, channels: Int, pixels: Int, scale: UnsafePointer<Float>,
    shift: UnsafePointer<Float>, mean: UnsafeMutablePointer<Float>, inverseDeviation: UnsafeMutablePointer<Float>,
    runningMean: UnsafeMutablePointer<Float>, runningVariance: UnsafeMutablePointer<Float>, momentum: Float,
    into output: UnsafeMutablePointer<Float>
  ) {
    let count = batch * pixels
    for c in 0..<channels {
      // Sums in Double: a channel of a batch holds up to millions of values.
      var sum = 0.0
      var squares = 0.0
      for n in 0..<batch {
        let row = input + (n * channels + c) * pixels
        for p in 0..<pixels {
          let v = Double(row[p])
          sum += v
          squares += v * v
        }
      }
      let mu = sum / Double(count)
      let variance = max(0, squares / Double(count) - mu * mu)
      let inverse = Float(1 / (variance + Double(epsilon)).squareRoot())
      mean[c] = Float(mu)
      inverseDeviation[c] = inverse
      let unbiased = count > 1 ? variance * Double(count) / Double(count - 1) : variance
      runningMean[c] = (1 - momentum) * runningMean[c] + momentum * Float(mu)
      runningVariance[c] = (1 - momentum) * runningVariance[c] + momentum * Float(unbiased)
      normalize(input, output, batch: batch, channels: channels, pixels: pixels, channel: c,
        scale: scale[c] * inverse, shift: shift[c] - scale[c] * inverse * Float(mu))
    }
  }

  /// Evaluation forward, with the running statistics.
  public static func forwardEvaluation(
    _ input: UnsafePointer<Float>, batch: Int, channels: Int, pixels: Int, scale: UnsafePointer<Float>,
    shift: UnsafePointer<Float>, runningMean: UnsafePointer<Float>, runningVariance: UnsafePointer<Float>,
    into output: UnsafeMutablePointer<Float>
  ) {
    for c in 0..<channels {
      let inverse = 1 / (runningVariance[c] + epsilon).squareRoot()
      normalize(input, output, batch: batch, channels: channels, pixels: pixels, channel: c,
        scale: scale[c] * inverse, shift: shift[c] - scale[c] * inverse * runningMean[c])
    }
  }

  /// Gradients of a training forward: dγ and dβ added to `scaleGradient` and
  /// `shiftGradient`, dx written to `inputGradient`:
  /// dx = γ / (m σ̂) · (m dy − Σ dy − x̂ Σ dy x̂), with x̂ the normalised input and m the count.
  public static func backward(
    _ outputGradient: UnsafePointer<Float>, input: UnsafePointer<Float>, batch: Int, channels: Int, pixels: Int,
    scale: UnsafePointer<Float>, mean: UnsafePointer<Float>, inverseDeviation: UnsafePointer<Float>,
    inputGradient: UnsafeMutablePointer<Float>, scaleGradient: UnsafeMutablePointer<Float>,
    shiftGradient: UnsafeMutablePointer<Float>
  ) {
    let count = Float(batch * pixels)
    for c in 0..<channels {
      let (mu, inverse) = (mean[c], inverseDeviation[c])
      var sumGradient: Float = 0
      var sumGradientNormalized: Float = 0
      for n in 0..<batch {
        let offset = (n * channels + c) * pixels
        for p in 0..<pixels {
          let dy = outputGradient[offset + p]
          sumGradient += dy
          sumGradientNormalized += dy * (input[offset + p] - mu) * inverse
        }
      }
      scaleGradient[c] += sumGradientNormalized
      shiftGradient[c] += sumGradient
      let factor = scale[c] * inverse / count
      for n in 0..<batch {
        let offset = (n * channels + c) * pixels
        for p in 0..<pixels {
          let normalized = (input[offset + p] - mu) * inverse
          inputGradient[offset + p] =
            factor * (count * outputGradient[offset + p] - sumGradient - normalized * sumGradientNormalized)
        }
      }
    }
  }

  /// y = a x + b over one channel of every image.
  private static func normalize(
    _ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, batch: Int, channels: Int, pixels: Int,
    channel c: Int, scale a: Float, shift b: Float
  ) {
    for n in 0..<batch {
      let offset = (n * channels + c) * pixels
      for p in 0..<pixels { output[offset + p] = a * input[offset + p] + b }
    }
  }
}
