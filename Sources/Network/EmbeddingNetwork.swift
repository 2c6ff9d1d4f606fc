/// What a network is, enough to build it again before loading its weights; stored as JSON
/// in a model file's `architecture` metadata.
public struct Architecture: Codable, Equatable, Sendable {
  public enum Encoder: String, Codable, Sendable, CaseIterable {
    /// The poster's ConvNet (`ConvNet`), for small grey images.
    case convnet
  }

  public var encoder: Encoder
  /// The input images, C × H × W.
  public var channels: Int
  public var height: Int
  public var width: Int
  /// Filters of each convolution stage.
  public var widths: [Int]
  /// The encoder's output: the representation `embed` emits.
  public var features: Int
  /// The projection head's hidden and output sizes; nil for none (the loss then sees the
  /// encoder's output).
  public var head: [Int]?

  public init(encoder: Encoder, channels: Int, height: Int, width: Int, widths: [Int], features: Int, head: [Int]?) {
    (self.encoder, self.channels, self.height, self.width) = (encoder, channels, height, width)
    (self.widths, self.features, self.head) = (widths, features, head)
  }

  /// Why these numbers make no network, or nil.
  public var problem: String? {
    if channels < 1 || height < 1 || width < 1 { return "an input of \(channels)×\(height)×\(width)" }
    if features < 1 { return "\(features) features" }
    if let head, head.count != 2 || head.contains(where: { $0 < 1 }) { return "a head of \(head)" }
    switch encoder {
    case .convnet:
      if widths.count != 2 || widths.contains(where: { $0 < 1 }) { return "convnet needs two positive widths, not \(widths)" }
      if height < 6 || width < 6 { return "convnet needs images of at least 6×6, not \(height)×\(width)" }
    }
    return nil
  }

  /// Values in one input image.
  public var inputSize: Int { channels * height * width }
}

/// An encoder with an optional projection head on top: the network `embed train` trains
/// and `embed -m` runs (the encoder only, unless asked for the head).
public final class EmbeddingNetwork {
  public let architecture: Architecture
  public let encoder: NetworkModule
  public let head: NetworkModule?
  /// The modules with the prefixes of their tensor names in a model file.
  public let modules: [(prefix: String, module: NetworkModule)]
  public let maxBatch: Int
  /// dL/d(encoder output) when the head passes it down.
  private let encoderGradient: UnsafeMutablePointer<Float>
  /// The encoder's output of the last forward: the head's input in the backward.
  private var features: UnsafePointer<Float>?

  public init(_ architecture: Architecture, maxBatch: Int) {
    precondition(architecture.problem == nil, "bad architecture: \(architecture.problem!)")
    self.architecture = architecture
    self.maxBatch = maxBatch
    let a = architecture
    switch a.encoder {
    case .convnet:
      encoder = ConvNet(
        .init(channels: a.channels, height: a.height, width: a.width, filters1: a.widths[0], filters2: a.widths[1], outputs: a.features),
        maxBatch: maxBatch)
    }
    head = a.head.map { ProjectionHead(inputs: a.features, hidden: $0[0], outputs: $0[1], maxBatch: maxBatch) }
    modules = [("encoder.", encoder)] + (head.map { [("head.", $0)] } ?? [])
    encoderGradient = .allocate(capacity: head == nil ? 1 : maxBatch * a.features)
  }

  deinit { encoderGradient.deallocate() }

  /// Values in the output the loss sees (the head's, or the encoder's without a head).
  public var outputSize: Int { (head ?? encoder).outputSize }

  public func initialize(seed: UInt64) {
    for (index, (_, module)) in modules.enumerated() { module.initialize(seed: seed &+ UInt64(index)) }
  }

  /// The output the loss sees for `batch` images; `forwardEncoder` stops before the head.
  @discardableResult
  public func forward(_ input: UnsafePointer<Float>, batch: Int) -> UnsafePointer<Float> {
    let features = encoder.forward(input, batch: batch)
    self.features = features
    return head?.forward(features, batch: batch) ?? features
  }

  @discardableResult
  public func forwardEncoder(_ input: UnsafePointer<Float>, batch: Int) -> UnsafePointer<Float> {
    features = nil
    return encoder.forward(input, batch: batch)
  }

  /// Adds the gradients of every parameter for `outputGradient` (batch × outputSize),
  /// after a `forward` of the same input.
  public func backward(_ outputGradient: UnsafePointer<Float>, input: UnsafePointer<Float>, batch: Int) {
    guard let head else {
      encoder.backward(outputGradient, input: input, batch: batch, inputGradient: nil)
      return
    }
    guard let features else { preconditionFailure("backward before forward") }
    head.backward(outputGradient, input: features, batch: batch, inputGradient: encoderGradient)
    encoder.backward(encoderGradient, input: input, batch: batch, inputGradient: nil)
  }

  public func zeroGradients() {
    for (_, module) in modules { module.gradients.zero() }
  }

  /// Every parameter set to `other`'s (same architecture).
  public func copyParameters(from other: EmbeddingNetwork) {
    for ((_, mine), (_, theirs)) in zip(modules, other.modules) {
      mine.parameters.base.update(from: theirs.parameters.base, count: mine.parameters.count)
    }
  }

  /// MoCo's key-encoder update: θ ← m θ + (1 − m) θ_other.
  public func moveAverage(toward other: EmbeddingNetwork, momentum m: Float) {
    for ((_, mine), (_, theirs)) in zip(modules, other.modules) {
      let (target, source) = (mine.parameters.base, theirs.parameters.base)
      var i = 0
      while i < mine.parameters.count {
        target[i] = m * target[i] + (1 - m) * source[i]
        i += 1
      }
    }
  }
}
