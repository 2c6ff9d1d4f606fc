import Foundation

/// SGD with momentum and weight decay, as PyTorch's `torch.optim.SGD`:
/// g ← g + λ w, v ← μ v + g, w ← w − η v.
public enum SGD {
  public static func step(
    _ weights: UnsafeMutablePointer<Float>, gradients: UnsafePointer<Float>, velocity: UnsafeMutablePointer<Float>,
    count: Int, learningRate: Float, momentum: Float, weightDecay: Float
  ) {
    // Eight lanes at a time, written out: the compiler cannot rule out that the buffers overlap.
    var i = 0
    while i + 8 <= count {
      var w = UnsafeRawPointer(weights + i).loadUnaligned(as: SIMD8<Float>.self)
      var v = UnsafeRawPointer(velocity + i).loadUnaligned(as: SIMD8<Float>.self)
      let g = UnsafeRawPointer(gradients + i).loadUnaligned(as: SIMD8<Float>.self) + weightDecay * w
      v = momentum * v + g
      w -= learningRate * v
      UnsafeMutableRawPointer(velocity + i).storeBytes(of: v, as: SIMD8<Float>.self)
      UnsafeMutableRawPointer(weights + i).storeBytes(of: w, as: SIMD8<Float>.self)
      i += 8
    }
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

/// Which optimiser, and its settings apart from the learning rate (which the schedule gives
/// at each step).
public struct OptimizerSettings: Codable, Equatable, Sendable {
  public enum Kind: String, Codable, Sendable, CaseIterable {
    case sgd, adamw
  }

  public var kind: Kind
  public var weightDecay: Float
  /// SGD's momentum.
  public var momentum: Float
  /// AdamW's moment decays.
  public var beta1: Float
  public var beta2: Float

  public init(kind: Kind, weightDecay: Float, momentum: Float = 0.9, beta1: Float = 0.9, beta2: Float = 0.999) {
    (self.kind, self.weightDecay, self.momentum, self.beta1, self.beta2) = (kind, weightDecay, momentum, beta1, beta2)
  }
}

/// An optimiser with its state for one network: SGD's velocity, or AdamW's two moments,
/// each an arena of the layout of a module's parameters.
public final class Optimizer {
  public let settings: OptimizerSettings
  /// Every state arena, with the prefix of its tensor names in a checkpoint.
  public let states: [(prefix: String, arena: Arena)]
  /// Steps taken (AdamW's bias correction counts them).
  public var steps = 0
  private let perModule: [[Arena]]

  public init(_ settings: OptimizerSettings, for network: EmbeddingNetwork) {
    self.settings = settings
    let names = settings.kind == .sgd ? ["velocity"] : ["first_moment", "second_moment"]
    perModule = network.modules.map { _, module in names.map { _ in module.parameters.sameLayout() } }
    var states: [(String, Arena)] = []
    for (index, (prefix, _)) in network.modules.enumerated() {
      for (slot, name) in names.enumerated() { states.append(("optimizer.\(name).\(prefix)", perModule[index][slot])) }
    }
    self.states = states
  }

  /// One step over every parameter of `network` with its gradients.
  public func step(_ network: EmbeddingNetwork, learningRate: Float) {
    steps += 1
    for ((_, module), state) in zip(network.modules, perModule) {
      let (weights, gradients, count) = (module.parameters.base, module.gradients.base, module.parameters.count)
      switch settings.kind {
      case .sgd:
        SGD.step(
          weights, gradients: gradients, velocity: state[0].base, count: count, learningRate: learningRate,
          momentum: settings.momentum, weightDecay: settings.weightDecay)
      case .adamw:
        AdamW.step(
          weights, gradients: gradients, firstMoment: state[0].base, secondMoment: state[1].base, count: count,
          step: steps, learningRate: learningRate, weightDecay: settings.weightDecay, beta1: settings.beta1,
          beta2: settings.beta2)
      }
    }
  }
}
