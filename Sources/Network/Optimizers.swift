import Foundation

/// SGD with momentum and weight decay, as PyTorch's `torch.optim.SGD`:
/// g ← g + λ w, v ← μ v + g, w ← w − η v.
public enum SGD {
  public static func step(
    _ weights: UnsafeMutablePointer<Float>, gradients: UnsafePointer<Float>, velocity: UnsafeMutablePointer<Float>,
    count: Int, learningRate: Float, momentum: Float, weightDecay: Float
  ) {
    var i = 0
    while i < count {
      let g = gradients[i] + weightDecay * weights[i]
      velocity[i] = momentum * velocity[i] + g
      weights[i] -= learningRate * velocity[i]
      i += 1
    }
  }
}

/// AdamW, as PyTorch's `torch.optim.AdamW`: the decay applied to the weights directly,
/// w ← w (1 − η λ), then Adam's step with bias-corrected moments.
public enum AdamW {
  public static func step(
    _ weights: UnsafeMutablePointer<Float>, gradients: UnsafePointer<Float>, firstMoment: UnsafeMutablePointer<Float>,
    secondMoment: UnsafeMutablePointer<Float>, count: Int, step t: Int, learningRate: Float, weightDecay: Float,
    beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8
  ) {
    precondition(t >= 1, "Adam's steps count from 1")
    let correction1 = 1 - Float(pow(Double(beta1), Double(t)))
    let correction2 = 1 - Float(pow(Double(beta2), Double(t)))
    let stepSize = learningRate / correction1
    let root2 = correction2.squareRoot()
    var i = 0
    while i < count {
      let g = gradients[i]
      weights[i] *= 1 - learningRate * weightDecay
      firstMoment[i] = beta1 * firstMoment[i] + (1 - beta1) * g
      secondMoment[i] = beta2 * secondMoment[i] + (1 - beta2) * g * g
      weights[i] -= stepSize * firstMoment[i] / (secondMoment[i].squareRoot() / root2 + epsilon)
      i += 1
    }
  }
}

/// The learning rate at each step: linear warm-up from 0 over `warmup` steps, then a
/// cosine from the base rate down to 0 at `total` steps (as SimCLR and MoCo v2 use).
public struct LearningRateSchedule: Sendable, Equatable {
  public let base: Double
  public let warmup: Int
  public let total: Int

  public init(base: Double, warmup: Int, total: Int) {
    precondition(warmup >= 0 && total > warmup, "the schedule needs total > warm-up steps")
    self.base = base
    self.warmup = warmup
    self.total = total
  }

  /// The rate for step `step` (0-based).
  public func rate(at step: Int) -> Double {
    if step < warmup { return base * Double(step + 1) / Double(warmup) }
    let progress = Double(min(step, total) - warmup) / Double(total - warmup)
    return base * 0.5 * (1 + cos(.pi * progress))
  }
}
