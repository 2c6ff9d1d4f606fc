import Shared

/// A part of a network trained by hand-written backprop: its parameters and their
/// gradients in two arenas of one layout, and activations kept from the last `forward`
/// for the `backward` that follows (sized for `maxBatch` inputs, so neither allocates).
public protocol NetworkModule: AnyObject {
  var parameters: Arena { get }
  var gradients: Arena { get }
  /// State that is saved but not trained (BatchNorm's running statistics).
  var buffers: Arena { get }
  /// Training (BatchNorm uses the batch's statistics) or evaluation (the running ones).
  var training: Bool { get set }
  /// Values in one input and one output.
  var inputSize: Int { get }
  var outputSize: Int { get }
  var maxBatch: Int { get }
  /// PyTorch's default initialisation, drawn from `seed`.
  func initialize(seed: UInt64)
  /// The outputs (batch × outputSize) of `batch` ≤ `maxBatch` inputs.
  @discardableResult
  func forward(_ input: UnsafePointer<Float>, batch: Int) -> UnsafePointer<Float>
  /// Adds the parameters' gradients for `outputGradient` to `gradients`, and writes the
  /// input's gradient when `inputGradient` is given. The activations must be those of the
  /// last `forward` of the same input.
  func backward(
    _ outputGradient: UnsafePointer<Float>, input: UnsafePointer<Float>, batch: Int,
    inputGradient: UnsafeMutablePointer<Float>?)
}

extension NetworkModule {
  /// Weights and biases uniform in ±1/√fan-in, PyTorch's default for `nn.Linear` and
  /// `nn.Conv2d`, for the layers named by `layers` (name, fan-in), in that order.
  func initializeUniform(_ layers: [(name: String, fanIn: Int)], seed: UInt64) {
    var rng = SplitMix64(seed: seed)
    for (name, fanIn) in layers {
      let bound = 1 / Float(fanIn).squareRoot()
      for suffix in ["weight", "bias"] {
        let slice = parameters.slice("\(name).\(suffix)")!
        let values = parameters.pointer(slice.name)
        for i in 0..<slice.count { values[i] = bound * (2 * rng.nextUnitFloat() - 1) }
      }
    }
  }
}
