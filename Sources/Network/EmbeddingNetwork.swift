import Shared

/// What a network is, enough to build it again before loading its weights; stored as JSON
/// in a model file's `architecture` metadata.
public struct Architecture: Codable, Equatable, Sendable {
  public enum Encoder: String, Codable, Sendable, CaseIterable {
    /// The poster's ConvNet (`ConvNet`), for small grey images.
    case convnet
    /// A small ResNet (`ResNet`), for 32–96 px images.
    case resnet
    /// Fully connected layers (`MLP`) over the flattened image: the autoencoder's encoder.
    case mlp
  }

  public var encoder: Encoder
  /// The input images, C × H × W.
  public var channels: Int
  public var height: Int
  public var width: Int
  /// Filters of each convolution stage; mlp: the sizes of the hidden layers.
  public var widths: [Int]
  /// resnet: basic blocks per stage.
  public var blocks: Int?
  /// The encoder's output: the representation `embed` emits.
  public var features: Int
  /// The projection head's hidden and output sizes (an autoencoder's decoder: its hidden
  /// sizes and the image's); nil for none (the loss then sees the encoder's output).
  public var head: [Int]?

  public init(
    encoder: Encoder, channels: Int, height: Int, width: Int, widths: [Int], blocks: Int? = nil, features: Int, head: [Int]?
  ) {
    (self.encoder, self.channels, self.height, self.width) = (encoder, channels, height, width)
    (self.widths, self.blocks, self.features, self.head) = (widths, blocks, features, head)
  }

  /// Why these numbers make no network, as a sentence, or nil. Every number is bounded, so
  /// that no size computed from them overflows (a model file is input like any other).
  public var problem: String? {
    if !(1...64).contains(channels) || !(1...4096).contains(height) || !(1...4096).contains(width) {
      return "an input of \(channels)×\(height)×\(width) is outside 1...64 channels of 1...4096 × 1...4096"
    }
    if !(1...65536).contains(features) { return "\(features) features is outside 1...65536" }
    if let head, !(1...7).contains(head.count) || head.contains(where: { !(1...1 << 24).contains($0) }) {
      return "a head needs 1 to 7 sizes in 1...16777216, not \(head)"
    }
    if widths.contains(where: { !(1...4096).contains($0) }) { return "widths must lie in 1...4096, not \(widths)" }
    switch encoder {
    case .convnet:
      if widths.count != 2 { return "convnet needs two widths, not \(widths)" }
      if height < 6 || width < 6 { return "convnet needs images of at least 6×6, not \(height)×\(width)" }
    case .resnet:
      if widths.isEmpty || widths.count > 6 { return "resnet needs 1 to 6 widths, not \(widths)" }
      if features != widths.last! {
        return "resnet's features are its last stage's \(widths.last!) channels, not \(features)"
      }
      if !(1...8).contains(blocks ?? 1) { return "resnet needs 1 to 8 blocks per stage, not \(blocks ?? 1)" }
      if height < 4 || width < 4 { return "resnet needs images of at least 4×4, not \(height)×\(width)" }
    case .mlp:
      if widths.count > 6 { return "mlp needs at most 6 hidden sizes, not \(widths)" }
      if inputSize > 1 << 24 { return "mlp takes at most 16777216 values, not \(inputSize)" }
    }
    return nil
  }

  /// Roughly how many floats a network of this architecture holds for a batch of `batch`
  /// (parameters with their gradients, activations and their gradients, scratch): enough
  /// to refuse sizes that cannot fit before allocating them. Computed in Double, so that
  /// it cannot overflow.
  public func estimatedValues(batch: Int) -> Double {
    let (c, h, w) = (Double(channels), Double(height), Double(width))
    var parameters = 0.0
    var perImage = 0.0
    switch encoder {
    case .convnet:
      let (f1, f2) = (Double(widths[0]), Double(widths[1]))
      let (h1, w1, h2, w2) = (h - 2, w - 2, h - 4, w - 4)
      let pooled = f2 * (h2 / 2).rounded(.down) * (w2 / 2).rounded(.down)
      parameters = f1 * c * 9 + f2 * f1 * 9 + Double(features) * pooled
      perImage = 2 * f1 * h1 * w1 + 2 * f2 * h2 * w2 + 3 * pooled + Double(features)
    case .resnet:
      var (side, last) = ((h * w).squareRoot() / (height >= 64 ? 2 : 1), c)
      for (s, width) in widths.enumerated() {
        if s > 0 { side /= 2 }
        let outputs = Double(width) * side * side
        parameters += Double(width) * (last + Double(width)) * 9 * Double(blocks ?? 1)
        perImage += 12 * outputs * Double(blocks ?? 1)
        last = Double(width)
      }
      perImage += 4 * c * h * w
    case .mlp:
      let sizes = [c * h * w] + widths.map(Double.init) + [Double(features)]
      for i in 1..<sizes.count {
        parameters += sizes[i - 1] * sizes[i]
        perImage += 2 * sizes[i]
      }
    }
    if let head {
      let sizes = [Double(features)] + head.map(Double.init)
      for i in 1..<sizes.count {
        parameters += sizes[i - 1] * sizes[i]
        perImage += 2 * sizes[i]
      }
    }
    return 2 * parameters + Double(batch) * perImage
  }

  /// Values in one input image.
  public var inputSize: Int { channels * height * width }
}

/// An encoder with an optional projection head on top: the network `embed train` trains
/// and `embed -m` runs (the encoder only, unless asked for the head).
///
/// With `threads` > 1 the network is data-parallel: each thread holds a replica with its
/// own activations and gradients and runs its share of the batch's rows, its matrix
/// products single-threaded; the gradients are summed into the first replica, whose
/// parameters and gradients are the ones the optimiser sees (`modules`), and the other
/// replicas copy its parameters before each forward.
public final class EmbeddingNetwork {
  public let architecture: Architecture
  public let maxBatch: Int
  /// The first replica's modules with the prefixes of their tensor names in a model file.
  public let modules: [(prefix: String, module: NetworkModule)]
  private let replicas: [Replica]
  /// The replicas' outputs side by side (unused with one replica).
  private let gathered: UnsafeMutablePointer<Float>

  public init(_ architecture: Architecture, maxBatch: Int, threads: Int = 1) {
    precondition(architecture.problem == nil, "bad architecture: \(architecture.problem!)")
    self.architecture = architecture
    self.maxBatch = maxBatch
    let count = max(1, min(threads, maxBatch))
    let share = (maxBatch + count - 1) / count
    replicas = (0..<count).map { _ in Replica(architecture, maxBatch: share) }
    modules = replicas[0].modules
    // Wide enough for the encoder's output or the head's, whichever a forward asks for.
    gathered = .allocate(capacity: count == 1 ? 1 : maxBatch * max(replicas[0].outputSize, architecture.features))
  }

  deinit { gathered.deallocate() }

  public var encoder: NetworkModule { replicas[0].encoder }
  public var head: NetworkModule? { replicas[0].head }

  /// Values in the output the loss sees (the head's, or the encoder's without a head).
  public var outputSize: Int { replicas[0].outputSize }

  public func initialize(seed: UInt64) {
    for (index, (_, module)) in modules.enumerated() { module.initialize(seed: seed &+ UInt64(index)) }
  }

  /// Training (BatchNorm on the batch's statistics) or evaluation (on the running ones).
  public var training: Bool {
    get { encoder.training }
    set {
      for replica in replicas { for (_, module) in replica.modules { module.training = newValue } }
    }
  }

  /// Every arena a model file holds: parameters and buffers, with their prefixes.
  public var savedArenas: [(prefix: String, arena: Arena)] {
    modules.flatMap { [($0.prefix, $0.module.parameters), ($0.prefix, $0.module.buffers)] }
  }

  /// The output the loss sees for `batch` images; `forwardEncoder` stops before the head.
  @discardableResult
  public func forward(_ input: UnsafePointer<Float>, batch: Int) -> UnsafePointer<Float> {
    forward(input, batch: batch, throughHead: true)
  }

  @discardableResult
  public func forwardEncoder(_ input: UnsafePointer<Float>, batch: Int) -> UnsafePointer<Float> {
    forward(input, batch: batch, throughHead: false)
  }

  private func forward(_ input: UnsafePointer<Float>, batch: Int, throughHead: Bool) -> UnsafePointer<Float> {
    precondition(batch <= maxBatch, "batch larger than the network was sized for")
    guard replicas.count > 1 else { return replicas[0].forward(input, batch: batch, throughHead: throughHead) }
    for replica in replicas.dropFirst() { replica.copyParameters(from: replicas[0]) }
    let size = throughHead ? outputSize : architecture.features
    let (inputSize, gathered) = (architecture.inputSize, UncheckedSendable(gathered))
    let input = UncheckedSendable(input)
    forEachShare(batch) { replica, rows in
      let output = replica.forward(input.value + rows.lowerBound * inputSize, batch: rows.count, throughHead: throughHead)
      (gathered.value + rows.lowerBound * size).update(from: output, count: rows.count * size)
    }
    return UnsafePointer(gathered.value)
  }

  /// Adds the gradients of every parameter for `outputGradient` (batch × outputSize),
  /// after a `forward` of the same input.
  public func backward(_ outputGradient: UnsafePointer<Float>, input: UnsafePointer<Float>, batch: Int) {
    guard replicas.count > 1 else {
      replicas[0].backward(outputGradient, input: input, batch: batch)
      return
    }
    let (inputSize, size) = (architecture.inputSize, outputSize)
    let (input, outputGradient) = (UncheckedSendable(input), UncheckedSendable(outputGradient))
    forEachShare(batch) { replica, rows in
      replica.backward(
        outputGradient.value + rows.lowerBound * size, input: input.value + rows.lowerBound * inputSize, batch: rows.count)
    }
    for replica in replicas.dropFirst() {
      for ((_, mine), (_, theirs)) in zip(modules, replica.modules) {
        add(theirs.gradients.base, into: mine.gradients.base, count: mine.gradients.count)
      }
    }
  }

  /// Runs `body` on each replica with its rows of a batch, in parallel.
  private func forEachShare(_ batch: Int, _ body: (Replica, Range<Int>) -> Void) {
    let share = (batch + replicas.count - 1) / replicas.count
    let replicas = UncheckedSendable(self.replicas)
    forEachChunk(count: batch, chunkSize: max(share, 1), workers: replicas.value.count) { worker, rows in
      body(replicas.value[worker], rows)
    }
  }

  public func zeroGradients() {
    for replica in replicas { for (_, module) in replica.modules { module.gradients.zero() } }
  }

  /// Every parameter and buffer set to `other`'s (same architecture).
  public func copyParameters(from other: EmbeddingNetwork) {
    replicas[0].copyParameters(from: other.replicas[0])
  }

  /// MoCo's key-encoder update: θ ← m θ + (1 − m) θ_other.
  public func moveAverage(toward other: EmbeddingNetwork, momentum m: Float) {
    for ((_, mine), (_, theirs)) in zip(modules, other.modules) {
      Network.moveAverage(mine.parameters.base, toward: theirs.parameters.base, momentum: m, count: mine.parameters.count)
    }
  }
}

/// One copy of the network with its own activations and gradients.
private final class Replica {
  let encoder: NetworkModule
  let head: NetworkModule?
  let modules: [(prefix: String, module: NetworkModule)]
  /// dL/d(encoder output) when the head passes it down.
  private let encoderGradient: UnsafeMutablePointer<Float>
  /// The encoder's output of the last forward: the head's input in the backward.
  private var features: UnsafePointer<Float>?

  init(_ a: Architecture, maxBatch: Int) {
    switch a.encoder {
    case .convnet:
      encoder = ConvNet(
        .init(channels: a.channels, height: a.height, width: a.width, filters1: a.widths[0], filters2: a.widths[1], outputs: a.features),
        maxBatch: maxBatch)
    case .resnet:
      encoder = ResNet(
        .init(channels: a.channels, height: a.height, width: a.width, widths: a.widths, blocks: a.blocks ?? 1), maxBatch: maxBatch)
    case .mlp:
      encoder = MLP(sizes: [a.inputSize] + a.widths + [a.features], maxBatch: maxBatch)
    }
    head = a.head.map { MLP(sizes: [a.features] + $0, maxBatch: maxBatch) }
    modules = [("encoder.", encoder)] + (head.map { [("head.", $0)] } ?? [])
    encoderGradient = .allocate(capacity: head == nil ? 1 : maxBatch * a.features)
  }

  deinit { encoderGradient.deallocate() }

  var outputSize: Int { (head ?? encoder).outputSize }

  func forward(_ input: UnsafePointer<Float>, batch: Int, throughHead: Bool) -> UnsafePointer<Float> {
    let output = encoder.forward(input, batch: batch)
    guard throughHead, let head else {
      features = nil
      return output
    }
    features = output
    return head.forward(output, batch: batch)
  }

  func backward(_ outputGradient: UnsafePointer<Float>, input: UnsafePointer<Float>, batch: Int) {
    guard let head else {
      encoder.backward(outputGradient, input: input, batch: batch, inputGradient: nil)
      return
    }
    guard let features else { preconditionFailure("backward before a forward through the head") }
    head.backward(outputGradient, input: features, batch: batch, inputGradient: encoderGradient)
    encoder.backward(encoderGradient, input: input, batch: batch, inputGradient: nil)
  }

  func copyParameters(from other: Replica) {
    for ((_, mine), (_, theirs)) in zip(modules, other.modules) {
      mine.parameters.base.update(from: theirs.parameters.base, count: mine.parameters.count)
      mine.buffers.base.update(from: theirs.buffers.base, count: mine.buffers.count)
    }
  }
}
