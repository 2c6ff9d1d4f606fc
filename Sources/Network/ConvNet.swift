import Shared

/// The poster's small ConvNet (../shared/papers/002_*): conv 3×3 → ReLU → conv 3×3 → ReLU →
/// max-pool 2 → flatten → linear, with PyTorch's parameter names and layouts
/// (`conv1.weight`, …) so that its weights load in PyTorch as they are. For 28×28 grey
/// images with the defaults: 32 and 64 filters and 128 outputs (torch_convnet.py).
///
/// Parameters and their gradients are two arenas of one layout; activations live in a
/// third, sized for `maxBatch` images, so that a forward and backward allocate nothing.
public final class ConvNet: NetworkModule {
  public struct Configuration: Equatable, Sendable {
    public var channels = 1
    public var height = 28
    public var width = 28
    public var filters1 = 32
    public var filters2 = 64
    public var outputs = 128

    public init(channels: Int = 1, height: Int = 28, width: Int = 28, filters1: Int = 32, filters2: Int = 64, outputs: Int = 128) {
      (self.channels, self.height, self.width) = (channels, height, width)
      (self.filters1, self.filters2, self.outputs) = (filters1, filters2, outputs)
    }
  }

  public let configuration: Configuration
  public let maxBatch: Int
  public let conv1: Conv2dShape
  public let conv2: Conv2dShape
  /// Values per image after pooling: the linear layer's inputs.
  public let features: Int
  public let parameters = Arena()
  public let gradients: Arena
  public let buffers = Arena()
  public var training = true
  private let activations = Arena()
  private let argmax: UnsafeMutablePointer<Int32>

  public init(_ configuration: Configuration, maxBatch: Int) {
    self.configuration = configuration
    self.maxBatch = maxBatch
    let c = configuration
    conv1 = Conv2dShape(inChannels: c.channels, outChannels: c.filters1, kernel: 3, inHeight: c.height, inWidth: c.width)
    conv2 = Conv2dShape(
      inChannels: c.filters1, outChannels: c.filters2, kernel: 3, inHeight: conv1.outHeight, inWidth: conv1.outWidth)
    features = c.filters2 * (conv2.outHeight / 2) * (conv2.outWidth / 2)
    parameters.add("conv1.weight", shape: [c.filters1, c.channels, 3, 3])
    parameters.add("conv1.bias", shape: [c.filters1])
    parameters.add("conv2.weight", shape: [c.filters2, c.filters1, 3, 3])
    parameters.add("conv2.bias", shape: [c.filters2])
    parameters.add("fc.weight", shape: [c.outputs, features])
    parameters.add("fc.bias", shape: [c.outputs])
    gradients = parameters.sameLayout()
    activations.add("a1", shape: [maxBatch, conv1.outputCount])
    activations.add("a2", shape: [maxBatch, conv2.outputCount])
    activations.add("pooled", shape: [maxBatch, features])
    activations.add("output", shape: [maxBatch, c.outputs])
    activations.add("columns", shape: [max(conv1.columnCount, conv2.columnCount)])
    activations.add("d1", shape: [maxBatch, conv1.outputCount])
    activations.add("d2", shape: [maxBatch, conv2.outputCount])
    activations.add("dPooled", shape: [maxBatch, features])
    argmax = .allocate(capacity: maxBatch * features)
  }

  deinit { argmax.deallocate() }

  public var inputSize: Int { conv1.inputCount }
  public var outputSize: Int { configuration.outputs }

  public func initialize(seed: UInt64) {
    initializeUniform([("conv1", conv1.patchCount), ("conv2", conv2.patchCount), ("fc", features)], seed: seed)
  }

  @discardableResult
  public func forward(_ input: UnsafePointer<Float>, batch: Int) -> UnsafePointer<Float> {
    precondition(batch <= maxBatch, "batch larger than the network was sized for")
    let (a1, a2, pooled, output) = (activations.pointer("a1"), activations.pointer("a2"), activations.pointer("pooled"), activations.pointer("output"))
    let columns = activations.pointer("columns")
    Conv2d.forward(input, batch: batch, conv1, weight: parameters.pointer("conv1.weight"), bias: parameters.pointer("conv1.bias"), columns: columns, into: a1)
    ReLU.forward(a1, count: batch * conv1.outputCount, into: a1)
    Conv2d.forward(a1, batch: batch, conv2, weight: parameters.pointer("conv2.weight"), bias: parameters.pointer("conv2.bias"), columns: columns, into: a2)
    // ReLU after the pooling rather than before: max and ReLU commute, and so do their
    // gradients (a window whose maximum is ≤ 0 passes nothing either way), so the ReLU
    // and its backward touch a quarter of the values.
    MaxPool.forward(
      a2, planes: batch * conv2.outChannels, height: conv2.outHeight, width: conv2.outWidth, kernel: 2, into: pooled,
      argmax: argmax)
    ReLU.forward(pooled, count: batch * features, into: pooled)
    Linear.forward(
      pooled, batch: batch, inputs: features, outputs: configuration.outputs, weight: parameters.pointer("fc.weight"),
      bias: parameters.pointer("fc.bias"), into: output)
    return UnsafePointer(output)
  }

  public func backward(
    _ outputGradient: UnsafePointer<Float>, input: UnsafePointer<Float>, batch: Int,
    inputGradient: UnsafeMutablePointer<Float>? = nil
  ) {
    let (a1, pooled) = (activations.pointer("a1"), activations.pointer("pooled"))
    let (d1, d2, dPooled, columns) = (activations.pointer("d1"), activations.pointer("d2"), activations.pointer("dPooled"), activations.pointer("columns"))
    Linear.backward(
      outputGradient, input: pooled, batch: batch, inputs: features, outputs: configuration.outputs,
      weight: parameters.pointer("fc.weight"), inputGradient: dPooled, weightGradient: gradients.pointer("fc.weight"),
      biasGradient: gradients.pointer("fc.bias"))
    ReLU.backward(dPooled, output: pooled, count: batch * features, into: dPooled)
    MaxPool.backward(
      dPooled, argmax: argmax, planes: batch * conv2.outChannels, height: conv2.outHeight, width: conv2.outWidth,
      kernel: 2, into: d2)
    Conv2d.backward(
      d2, input: a1, batch: batch, conv2, weight: parameters.pointer("conv2.weight"), columns: columns, inputGradient: d1,
      weightGradient: gradients.pointer("conv2.weight"), biasGradient: gradients.pointer("conv2.bias"))
    ReLU.backward(d1, output: a1, count: batch * conv1.outputCount, into: d1)
    Conv2d.backward(
      d1, input: input, batch: batch, conv1, weight: parameters.pointer("conv1.weight"), columns: columns,
      inputGradient: inputGradient, weightGradient: gradients.pointer("conv1.weight"), biasGradient: gradients.pointer("conv1.bias"))
  }
}
