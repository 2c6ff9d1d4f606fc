/// A multi-layer perceptron: linear layers with a ReLU between each two, none after the
/// last. Two layers make the projection head of SimCLR and MoCo v2 (trained on top of
/// the encoder, dropped when embedding); more make the autoencoder's encoder and decoder.
/// Parameter names follow PyTorch's `nn.Sequential(Linear, ReLU, Linear, …)`:
/// `0.weight`, `0.bias`, `2.weight`, `2.bias`, …
public final class MLP: NetworkModule {
  /// Values in the input, each hidden layer and the output.
  public let sizes: [Int]
  public let maxBatch: Int
  public let parameters = Arena()
  public let gradients: Arena
  public let buffers = Arena()
  public var training = true
  private let activations = Arena()
  private let layers: [Layer]

  /// One linear layer's place in the arenas, resolved once.
  private struct Layer {
    let inputs: Int
    let outputs: Int
    let weight: UnsafeMutablePointer<Float>
    let bias: UnsafeMutablePointer<Float>
    let weightGradient: UnsafeMutablePointer<Float>
    let biasGradient: UnsafeMutablePointer<Float>
    /// This layer's output, and its gradient (hidden layers only).
    let output: UnsafeMutablePointer<Float>
    let outputGradient: UnsafeMutablePointer<Float>?
  }

  public init(sizes: [Int], maxBatch: Int) {
    precondition(sizes.count >= 2 && sizes.allSatisfy { $0 > 0 }, "an MLP needs an input and an output size")
    (self.sizes, self.maxBatch) = (sizes, maxBatch)
    let count = sizes.count - 1
    for i in 0..<count {
      parameters.add("\(2 * i).weight", shape: [sizes[i + 1], sizes[i]])
      parameters.add("\(2 * i).bias", shape: [sizes[i + 1]])
      activations.add("output\(i)", shape: [maxBatch, sizes[i + 1]])
      if i < count - 1 { activations.add("outputGradient\(i)", shape: [maxBatch, sizes[i + 1]]) }
    }
    gradients = parameters.sameLayout()
    layers = (0..<count).map { [parameters, gradients, activations] i in
      Layer(
        inputs: sizes[i], outputs: sizes[i + 1], weight: parameters.pointer("\(2 * i).weight"),
        bias: parameters.pointer("\(2 * i).bias"), weightGradient: gradients.pointer("\(2 * i).weight"),
        biasGradient: gradients.pointer("\(2 * i).bias"), output: activations.pointer("output\(i)"),
        outputGradient: i < count - 1 ? activations.pointer("outputGradient\(i)") : nil)
    }
  }

  public var inputSize: Int { sizes.first! }
  public var outputSize: Int { sizes.last! }

  public func initialize(seed: UInt64) {
    initializeUniform((0..<layers.count).map { ("\(2 * $0)", sizes[$0]) }, seed: seed)
  }

  @discardableResult
  public func forward(_ input: UnsafePointer<Float>, batch: Int) -> UnsafePointer<Float> {
    precondition(batch <= maxBatch, "batch larger than the MLP was sized for")
    var x = input
    for (i, layer) in layers.enumerated() {
      Linear.forward(
        x, batch: batch, inputs: layer.inputs, outputs: layer.outputs, weight: layer.weight, bias: layer.bias, into: layer.output)
      if i < layers.count - 1 { ReLU.forward(layer.output, count: batch * layer.outputs, into: layer.output) }
      x = UnsafePointer(layer.output)
    }
    return x
  }

  public func backward(
    _ outputGradient: UnsafePointer<Float>, input: UnsafePointer<Float>, batch: Int,
    inputGradient: UnsafeMutablePointer<Float>?
  ) {
    var dy = outputGradient
    for i in stride(from: layers.count - 1, through: 0, by: -1) {
      let layer = layers[i]
      let below = i > 0 ? layers[i - 1] : nil
      Linear.backward(
        dy, input: below.map { UnsafePointer($0.output) } ?? input, batch: batch, inputs: layer.inputs, outputs: layer.outputs,
        weight: layer.weight, inputGradient: below?.outputGradient ?? inputGradient, weightGradient: layer.weightGradient,
        biasGradient: layer.biasGradient)
      guard let below else { break }
      // Through the ReLU: its output is the layer below's stored output.
      ReLU.backward(below.outputGradient!, output: below.output, count: batch * below.outputs, into: below.outputGradient!)
      dy = UnsafePointer(below.outputGradient!)
    }
  }
}
