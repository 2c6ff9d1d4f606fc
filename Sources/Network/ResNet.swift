import Foundation
import Shared

/// A small ResNet for 32–96 px images (He et al. 2016, in the CIFAR style): a 3×3 stem
/// (stride 2 from 64 px up), then one stage per width of `blocks` basic blocks (conv 3×3 →
/// BN → ReLU → conv 3×3 → BN, plus the block's input, or a 1×1 conv + BN of it where the
/// shape changes, → ReLU), every stage after the first halving the resolution in its first
/// block; then global average pooling, so the representation has `widths.last` values.
/// Tensor names follow torchvision's `resnet` (`conv1`, `bn1`, `layer1.0.conv1`,
/// `layer2.0.downsample.0`, …); BatchNorm's running statistics live in `buffers`.
public final class ResNet: NetworkModule {
  public struct Configuration: Equatable, Sendable {
    public var channels: Int
    public var height: Int
    public var width: Int
    public var widths: [Int]
    public var blocks: Int

    public init(channels: Int, height: Int, width: Int, widths: [Int], blocks: Int = 1) {
      (self.channels, self.height, self.width, self.widths, self.blocks) = (channels, height, width, widths, blocks)
    }
  }

  /// A convolution without bias, then BatchNorm (its activations named by `id`).
  struct Unit {
    let shape: Conv2dShape
    let conv: String
    let norm: String
    let id: String
    /// Its slices, looked up once the arenas are laid out, so that a step looks up nothing.
    var at: Pointers?
    var pixels: Int { shape.outHeight * shape.outWidth }
  }

  struct Pointers {
    let weight, scale, shift, runningMean, runningVariance: UnsafeMutablePointer<Float>
    let weightGradient, scaleGradient, shiftGradient: UnsafeMutablePointer<Float>
    /// The convolution's output, BatchNorm's, and BatchNorm's saved statistics.
    let conv, out, mean, inverse: UnsafeMutablePointer<Float>
  }

  struct Block {
    var first: Unit
    var second: Unit
    var shortcut: Unit?
    /// The block's output, after the sum and its ReLU.
    var out: UnsafeMutablePointer<Float>?
  }

  public let configuration: Configuration
  public let maxBatch: Int
  public let parameters = Arena()
  public let gradients: Arena
  public let buffers = Arena()
  public var training = true
  private let activations = Arena()
  private let stem: Unit
  private let stages: [Block]
  private let columns: UnsafeMutablePointer<Float>
  private let output: UnsafeMutablePointer<Float>
  /// Gradient buffers, each as large as the largest activation of the batch.
  private let gradientBuffers: [UnsafeMutablePointer<Float>]
  /// BatchNorm's momentum for the running statistics, PyTorch's default.
  static let momentum: Float = 0.1

  public init(_ configuration: Configuration, maxBatch: Int) {
    precondition(!configuration.widths.isEmpty && configuration.blocks >= 1, "a ResNet needs a stage and a block")
    self.configuration = configuration
    self.maxBatch = maxBatch
    let c = configuration
    var units: [Unit] = []
    func unit(_ conv: String, _ norm: String, input: (Int, Int, Int), outputs: Int, kernel: Int, stride: Int) -> Unit {
      let shape = Conv2dShape(
        inChannels: input.0, outChannels: outputs, kernel: kernel, stride: stride, padding: kernel / 2, inHeight: input.1,
        inWidth: input.2)
      let made = Unit(shape: shape, conv: conv, norm: norm, id: "u\(units.count)")
      units.append(made)
      return made
    }
    var stem = unit("conv1", "bn1", input: (c.channels, c.height, c.width), outputs: c.widths[0], kernel: 3, stride: c.height >= 64 ? 2 : 1)
    var shape = (c.widths[0], stem.shape.outHeight, stem.shape.outWidth)
    var stages: [Block] = []
    for (s, width) in c.widths.enumerated() {
      for b in 0..<c.blocks {
        let name = "layer\(s + 1).\(b)"
        let stride = s > 0 && b == 0 ? 2 : 1
        let first = unit("\(name).conv1", "\(name).bn1", input: shape, outputs: width, kernel: 3, stride: stride)
        let middle = (width, first.shape.outHeight, first.shape.outWidth)
        let second = unit("\(name).conv2", "\(name).bn2", input: middle, outputs: width, kernel: 3, stride: 1)
        let shortcut = stride != 1 || shape.0 != width
          ? unit("\(name).downsample.0", "\(name).downsample.1", input: shape, outputs: width, kernel: 1, stride: stride) : nil
        stages.append(Block(first: first, second: second, shortcut: shortcut))
        shape = middle
      }
    }
    var columns = 0
    var largest = c.channels * c.height * c.width
    for u in units {
      parameters.add("\(u.conv).weight", shape: [u.shape.outChannels, u.shape.inChannels, u.shape.kernel, u.shape.kernel])
      parameters.add("\(u.norm).weight", shape: [u.shape.outChannels])
      parameters.add("\(u.norm).bias", shape: [u.shape.outChannels])
      buffers.add("\(u.norm).running_mean", shape: [u.shape.outChannels])
      buffers.add("\(u.norm).running_var", shape: [u.shape.outChannels])
      activations.add("\(u.id).conv", shape: [maxBatch, u.shape.outputCount])
      activations.add("\(u.id).out", shape: [maxBatch, u.shape.outputCount])
      activations.add("\(u.id).mean", shape: [u.shape.outChannels])
      activations.add("\(u.id).inverse", shape: [u.shape.outChannels])
      columns = max(columns, u.shape.columnCount)
      largest = max(largest, u.shape.outputCount)
    }
    for (index, block) in stages.enumerated() { activations.add("b\(index).out", shape: [maxBatch, block.second.shape.outputCount]) }
    activations.add("columns", shape: [columns])
    activations.add("output", shape: [maxBatch, c.widths.last!])
    for name in ["g0", "g1", "g2", "g3"] { activations.add(name, shape: [maxBatch, largest]) }
    let gradients = parameters.sameLayout()
    self.gradients = gradients
    let (parameters, buffers, activations) = (self.parameters, self.buffers, self.activations)
    func resolve(_ u: inout Unit) {
      u.at = Pointers(
        weight: parameters.pointer("\(u.conv).weight"), scale: parameters.pointer("\(u.norm).weight"),
        shift: parameters.pointer("\(u.norm).bias"), runningMean: buffers.pointer("\(u.norm).running_mean"),
        runningVariance: buffers.pointer("\(u.norm).running_var"), weightGradient: gradients.pointer("\(u.conv).weight"),
        scaleGradient: gradients.pointer("\(u.norm).weight"), shiftGradient: gradients.pointer("\(u.norm).bias"),
        conv: activations.pointer("\(u.id).conv"), out: activations.pointer("\(u.id).out"),
        mean: activations.pointer("\(u.id).mean"), inverse: activations.pointer("\(u.id).inverse"))
    }
    resolve(&stem)
    for index in stages.indices {
      resolve(&stages[index].first)
      resolve(&stages[index].second)
      if stages[index].shortcut != nil { resolve(&stages[index].shortcut!) }
      stages[index].out = activations.pointer("b\(index).out")
    }
    self.stem = stem
    self.stages = stages
    self.columns = activations.pointer("columns")
    output = activations.pointer("output")
    gradientBuffers = ["g0", "g1", "g2", "g3"].map { activations.pointer($0) }
  }

  public var inputSize: Int { configuration.channels * configuration.height * configuration.width }
  public var outputSize: Int { configuration.widths.last! }

  /// He initialisation for the convolutions (normal, σ = √(2 / fan-out), as torchvision's
  /// resnet); BatchNorm starts as the identity, its running statistics at 0 and 1.
  public func initialize(seed: UInt64) {
    var rng = SplitMix64(seed: seed)
    for u in [stem] + stages.flatMap({ [$0.first, $0.second] + ($0.shortcut.map { [$0] } ?? []) }) {
      let (at, channels) = (u.at!, u.shape.outChannels)
      let deviation = (2 / Double(channels * u.shape.kernel * u.shape.kernel)).squareRoot()
      for i in 0..<u.shape.weightCount { at.weight[i] = Float(deviation * rng.nextNormal()) }
      at.scale.update(repeating: 1, count: channels)
      at.shift.update(repeating: 0, count: channels)
      at.runningMean.update(repeating: 0, count: channels)
      at.runningVariance.update(repeating: 1, count: channels)
    }
  }

  /// conv → BatchNorm (training: the batch's statistics; else the running ones), written
  /// to the unit's `out`.
  private func forward(_ u: Unit, _ input: UnsafePointer<Float>, batch: Int) -> UnsafeMutablePointer<Float> {
    let at = u.at!
    Conv2d.forward(input, batch: batch, u.shape, weight: at.weight, bias: nil, columns: columns, into: at.conv)
    if training {
      BatchNorm.forwardTraining(
        at.conv, batch: batch, channels: u.shape.outChannels, pixels: u.pixels, scale: at.scale, shift: at.shift,
        mean: at.mean, inverseDeviation: at.inverse, runningMean: at.runningMean, runningVariance: at.runningVariance,
        momentum: Self.momentum, into: at.out)
    } else {
      BatchNorm.forwardEvaluation(
        at.conv, batch: batch, channels: u.shape.outChannels, pixels: u.pixels, scale: at.scale, shift: at.shift,
        runningMean: at.runningMean, runningVariance: at.runningVariance, into: at.out)
    }
    return at.out
  }

  /// From dL/d(unit's out) to the parameters' gradients and (when given) dL/d(input).
  private func backward(
    _ u: Unit, _ outputGradient: UnsafePointer<Float>, input: UnsafePointer<Float>, batch: Int,
    scratch: UnsafeMutablePointer<Float>, inputGradient: UnsafeMutablePointer<Float>?
  ) {
    let at = u.at!
    BatchNorm.backward(
      outputGradient, input: at.conv, batch: batch, channels: u.shape.outChannels, pixels: u.pixels, scale: at.scale,
      mean: at.mean, inverseDeviation: at.inverse, inputGradient: scratch, scaleGradient: at.scaleGradient,
      shiftGradient: at.shiftGradient)
    Conv2d.backward(
      scratch, input: input, batch: batch, u.shape, weight: at.weight, columns: columns, inputGradient: inputGradient,
      weightGradient: at.weightGradient, biasGradient: nil)
  }

  @discardableResult
  public func forward(_ input: UnsafePointer<Float>, batch: Int) -> UnsafePointer<Float> {
    precondition(batch <= maxBatch, "batch larger than the network was sized for")
    var x = forward(stem, input, batch: batch)
    ReLU.forward(x, count: batch * stem.shape.outputCount, into: x)
    for block in stages {
      let h = forward(block.first, x, batch: batch)
      ReLU.forward(h, count: batch * block.first.shape.outputCount, into: h)
      let y = forward(block.second, h, batch: batch)
      let skip = block.shortcut.map { UnsafePointer(forward($0, x, batch: batch)) } ?? UnsafePointer(x)
      let out = block.out!
      var i = 0
      let count = batch * block.second.shape.outputCount
      while i < count {
        out[i] = max(y[i] + skip[i], 0)
        i += 1
      }
      x = out
    }
    let last = stages.last!.second
    GlobalAveragePool.forward(x, planes: batch * last.shape.outChannels, pixels: last.pixels, into: output)
    return UnsafePointer(output)
  }

  public func backward(
    _ outputGradient: UnsafePointer<Float>, input: UnsafePointer<Float>, batch: Int,
    inputGradient: UnsafeMutablePointer<Float>?
  ) {
    precondition(training, "backward needs a forward in training mode")
    // Four buffers in turn: the gradient at a block's output (g), its inner one (inner),
    // scratch, and the gradient at the block's input (next g).
    var (g, inner, scratch, spare) = (gradientBuffers[0], gradientBuffers[1], gradientBuffers[2], gradientBuffers[3])
    let last = stages.last!.second
    GlobalAveragePool.backward(outputGradient, planes: batch * last.shape.outChannels, pixels: last.pixels, into: g)
    for (index, block) in stages.enumerated().reversed() {
      let x = index == 0 ? stem.at!.out : stages[index - 1].out!
      let h = block.first.at!.out
      let out = block.out!
      let count = batch * block.second.shape.outputCount
      ReLU.backward(g, output: out, count: count, into: g)
      backward(block.second, g, input: h, batch: batch, scratch: scratch, inputGradient: inner)
      ReLU.backward(inner, output: h, count: batch * block.first.shape.outputCount, into: inner)
      backward(block.first, inner, input: x, batch: batch, scratch: scratch, inputGradient: spare)
      let inputCount = batch * block.first.shape.inputCount
      if let shortcut = block.shortcut {
        backward(shortcut, g, input: x, batch: batch, scratch: scratch, inputGradient: inner)
        add(inner, into: spare, count: inputCount)
      } else {
        add(g, into: spare, count: inputCount)
      }
      swap(&g, &spare)
    }
    ReLU.backward(g, output: stem.at!.out, count: batch * stem.shape.outputCount, into: g)
    backward(stem, g, input: input, batch: batch, scratch: scratch, inputGradient: inputGradient)
  }
}
