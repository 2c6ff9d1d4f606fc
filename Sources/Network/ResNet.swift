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
    var pixels: Int { shape.outHeight * shape.outWidth }
  }

  struct Block {
    let first: Unit
    let second: Unit
    let shortcut: Unit?
    let id: String
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
    stem = unit("conv1", "bn1", input: (c.channels, c.height, c.width), outputs: c.widths[0], kernel: 3, stride: c.height >= 64 ? 2 : 1)
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
        stages.append(Block(first: first, second: second, shortcut: shortcut, id: "b\(stages.count)"))
        shape = middle
      }
    }
    self.stages = stages
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
    for block in stages { activations.add("\(block.id).out", shape: [maxBatch, block.second.shape.outputCount]) }
    activations.add("columns", shape: [columns])
    activations.add("output", shape: [maxBatch, c.widths.last!])
    for name in ["g0", "g1", "g2", "g3"] { activations.add(name, shape: [maxBatch, largest]) }
    gradients = parameters.sameLayout()
  }

  public var inputSize: Int { configuration.channels * configuration.height * configuration.width }
  public var outputSize: Int { configuration.widths.last! }

  /// He initialisation for the convolutions (normal, σ = √(2 / fan-out), as torchvision's
  /// resnet); BatchNorm starts as the identity, its running statistics at 0 and 1.
  public func initialize(seed: UInt64) {
    var rng = SplitMix64(seed: seed)
    for u in [stem] + stages.flatMap({ [$0.first, $0.second] + ($0.shortcut.map { [$0] } ?? []) }) {
      let weights = parameters.pointer("\(u.conv).weight")
      let deviation = (2 / Double(u.shape.outChannels * u.shape.kernel * u.shape.kernel)).squareRoot()
      for i in 0..<u.shape.weightCount { weights[i] = Float(deviation * rng.nextNormal()) }
      parameters.pointer("\(u.norm).weight").update(repeating: 1, count: u.shape.outChannels)
      parameters.pointer("\(u.norm).bias").update(repeating: 0, count: u.shape.outChannels)
      buffers.pointer("\(u.norm).running_mean").update(repeating: 0, count: u.shape.outChannels)
      buffers.pointer("\(u.norm).running_var").update(repeating: 1, count: u.shape.outChannels)
    }
  }

  /// conv → BatchNorm (training: the batch's statistics; else the running ones), written
  /// to the unit's `out`.
  private func forward(_ u: Unit, _ input: UnsafePointer<Float>, batch: Int) -> UnsafeMutablePointer<Float> {
    let (conv, out) = (activations.pointer("\(u.id).conv"), activations.pointer("\(u.id).out"))
    Conv2d.forward(
      input, batch: batch, u.shape, weight: parameters.pointer("\(u.conv).weight"), bias: nil,
      columns: activations.pointer("columns"), into: conv)
    let (scale, shift) = (parameters.pointer("\(u.norm).weight"), parameters.pointer("\(u.norm).bias"))
    let (runningMean, runningVariance) = (buffers.pointer("\(u.norm).running_mean"), buffers.pointer("\(u.norm).running_var"))
    if training {
      BatchNorm.forwardTraining(
        conv, batch: batch, channels: u.shape.outChannels, pixels: u.pixels, scale: scale, shift: shift,
        mean: activations.pointer("\(u.id).mean"), inverseDeviation: activations.pointer("\(u.id).inverse"),
        runningMean: runningMean, runningVariance: runningVariance, momentum: Self.momentum, into: out)
    } else {
      BatchNorm.forwardEvaluation(
        conv, batch: batch, channels: u.shape.outChannels, pixels: u.pixels, scale: scale, shift: shift,
        runningMean: runningMean, runningVariance: runningVariance, into: out)
    }
    return out
  }

  /// From dL/d(unit's out) to the parameters' gradients and (when given) dL/d(input).
  private func backward(
    _ u: Unit, _ outputGradient: UnsafePointer<Float>, input: UnsafePointer<Float>, batch: Int,
    scratch: UnsafeMutablePointer<Float>, inputGradient: UnsafeMutablePointer<Float>?
  ) {
    BatchNorm.backward(
      outputGradient, input: activations.pointer("\(u.id).conv"), batch: batch, channels: u.shape.outChannels,
      pixels: u.pixels, scale: parameters.pointer("\(u.norm).weight"), mean: activations.pointer("\(u.id).mean"),
      inverseDeviation: activations.pointer("\(u.id).inverse"), inputGradient: scratch,
      scaleGradient: gradients.pointer("\(u.norm).weight"), shiftGradient: gradients.pointer("\(u.norm).bias"))
    Conv2d.backward(
      scratch, input: input, batch: batch, u.shape, weight: parameters.pointer("\(u.conv).weight"),
      columns: activations.pointer("columns"), inputGradient: inputGradient,
      weightGradient: gradients.pointer("\(u.conv).weight"), biasGradient: nil)
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
      let out = activations.pointer("\(block.id).out")
      var i = 0
      let count = batch * block.second.shape.outputCount
      while i < count {
        out[i] = max(y[i] + skip[i], 0)
        i += 1
      }
      x = out
    }
    let last = stages.last!.second
    let output = activations.pointer("output")
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
    var (g, inner, scratch, spare) = (activations.pointer("g0"), activations.pointer("g1"), activations.pointer("g2"), activations.pointer("g3"))
    let last = stages.last!.second
    GlobalAveragePool.backward(outputGradient, planes: batch * last.shape.outChannels, pixels: last.pixels, into: g)
    for (index, block) in stages.enumerated().reversed() {
      let x = index == 0 ? activations.pointer("\(stem.id).out") : activations.pointer("\(stages[index - 1].id).out")
      let h = activations.pointer("\(block.first.id).out")
      let out = activations.pointer("\(block.id).out")
      let count = batch * block.second.shape.outputCount
      ReLU.backward(g, output: out, count: count, into: g)
      backward(block.second, g, input: h, batch: batch, scratch: scratch, inputGradient: inner)
      ReLU.backward(inner, output: h, count: batch * block.first.shape.outputCount, into: inner)
      backward(block.first, inner, input: x, batch: batch, scratch: scratch, inputGradient: spare)
      let inputCount = batch * block.first.shape.inputCount
      if let shortcut = block.shortcut {
        backward(shortcut, g, input: x, batch: batch, scratch: scratch, inputGradient: inner)
        addInPlace(spare, inner, count: inputCount)
      } else {
        addInPlace(spare, g, count: inputCount)
      }
      swap(&g, &spare)
    }
    let stemOut = activations.pointer("\(stem.id).out")
    ReLU.backward(g, output: stemOut, count: batch * stem.shape.outputCount, into: g)
    backward(stem, g, input: input, batch: batch, scratch: scratch, inputGradient: inputGradient)
  }

  private func addInPlace(_ target: UnsafeMutablePointer<Float>, _ values: UnsafePointer<Float>, count: Int) {
    var i = 0
    while i < count {
      target[i] += values[i]
      i += 1
    }
  }
}
