/// The MLP projection head of SimCLR and MoCo v2: linear → ReLU → linear. It is trained
/// on top of the encoder and dropped when embedding (the encoder's output is the
/// representation). Parameter names follow PyTorch's `nn.Sequential(Linear, ReLU,
/// Linear)`: `0.weight`, `0.bias`, `2.weight`, `2.bias`.
public final class ProjectionHead: NetworkModule {
  public let inputSize: Int
  public let hidden: Int
  public let outputSize: Int
  public let maxBatch: Int
  public let parameters = Arena()
  public let gradients: Arena
  public let buffers = Arena()
  public var training = true
  private let activations = Arena()

  public init(inputs: Int, hidden: Int, outputs: Int, maxBatch: Int) {
    (inputSize, self.hidden, outputSize, self.maxBatch) = (inputs, hidden, outputs, maxBatch)
    parameters.add("0.weight", shape: [hidden, inputs])
    parameters.add("0.bias", shape: [hidden])
    parameters.add("2.weight", shape: [outputs, hidden])
    parameters.add("2.bias", shape: [outputs])
    gradients = parameters.sameLayout()
    activations.add("hidden", shape: [maxBatch, hidden])
    activations.add("output", shape: [maxBatch, outputs])
    activations.add("dHidden", shape: [maxBatch, hidden])
  }

  public func initialize(seed: UInt64) {
    initializeUniform([("0", inputSize), ("2", hidden)], seed: seed)
  }

  @discardableResult
  public func forward(_ input: UnsafePointer<Float>, batch: Int) -> UnsafePointer<Float> {
    precondition(batch <= maxBatch, "batch larger than the head was sized for")
    let (h, output) = (activations.pointer("hidden"), activations.pointer("output"))
    Linear.forward(
      input, batch: batch, inputs: inputSize, outputs: hidden, weight: parameters.pointer("0.weight"),
      bias: parameters.pointer("0.bias"), into: h)
    ReLU.forward(h, count: batch * hidden, into: h)
    Linear.forward(
      h, batch: batch, inputs: hidden, outputs: outputSize, weight: parameters.pointer("2.weight"),
      bias: parameters.pointer("2.bias"), into: output)
    return UnsafePointer(output)
  }

  public func backward(
    _ outputGradient: UnsafePointer<Float>, input: UnsafePointer<Float>, batch: Int,
    inputGradient: UnsafeMutablePointer<Float>?
  ) {
    let (h, dh) = (activations.pointer("hidden"), activations.pointer("dHidden"))
    Linear.backward(
      outputGradient, input: h, batch: batch, inputs: hidden, outputs: outputSize,
      weight: parameters.pointer("2.weight"), inputGradient: dh, weightGradient: gradients.pointer("2.weight"),
      biasGradient: gradients.pointer("2.bias"))
    ReLU.backward(dh, output: h, count: batch * hidden, into: dh)
    Linear.backward(
      dh, input: input, batch: batch, inputs: inputSize, outputs: hidden, weight: parameters.pointer("0.weight"),
      inputGradient: inputGradient, weightGradient: gradients.pointer("0.weight"),
      biasGradient: gradients.pointer("0.bias"))
  }
}
