/// SimCLR (Chen et al. 2020): the NT-Xent loss over the 2N views of a batch, each view's
/// partner its positive and the other 2N − 2 views its negatives.
///
/// `step` computes the network's gradients; the caller's optimiser applies them.
public final class SimCLR {
  public let network: EmbeddingNetwork
  public let temperature: Float
  private let dimension: Int
  private let scratch = Arena()

  /// `network` is sized for 2N views (its `maxBatch`).
  public init(network: EmbeddingNetwork, temperature: Float) {
    precondition(network.maxBatch >= 2, "SimCLR needs room for a pair of views")
    (self.network, self.temperature) = (network, temperature)
    dimension = network.outputSize
    let views = network.maxBatch
    scratch.add("vectors", shape: [views, dimension])
    scratch.add("vectorGradient", shape: [views, dimension])
    scratch.add("outputGradient", shape: [views, dimension])
    scratch.add("similarities", shape: [views, views])
  }

  /// One step on `images` pairs of views, stored view after view with the two views of
  /// image i at 2i and 2i + 1; sets the network's gradients and returns the loss.
  public func step(views: UnsafePointer<Float>, images: Int) -> Double {
    let count = 2 * images
    let (z, dz, dOutput) = (scratch.pointer("vectors"), scratch.pointer("vectorGradient"), scratch.pointer("outputGradient"))
    let output = network.forward(views, batch: count)
    L2Normalize.forward(output, batch: count, dimension: dimension, into: z)
    let loss = NTXent.loss(
      z, count: count, dimension: dimension, temperature: temperature, similarities: scratch.pointer("similarities"),
      gradient: dz)
    L2Normalize.backward(dz, input: output, output: z, batch: count, dimension: dimension, into: dOutput)
    network.zeroGradients()
    network.backward(dOutput, input: views, batch: count)
    return loss
  }
}
