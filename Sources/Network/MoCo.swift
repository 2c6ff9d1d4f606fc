import Shared

/// MoCo v2 (He et al. 2020; Chen et al. 2020): a query network trained by InfoNCE against
/// the keys of a momentum copy of itself, with a queue of earlier keys as negatives.
///
/// `step` computes the gradients of the query network; the caller's optimiser applies
/// them. The order within a step is that of facebookresearch/moco: queries, then the key
/// network's move toward the (not yet stepped) query network, keys, loss, enqueue.
public final class MoCo {
  public let query: EmbeddingNetwork
  public let key: EmbeddingNetwork
  public let temperature: Float
  public let momentum: Float
  public let queueSize: Int
  public let dimension: Int
  /// The queue (`queueSize` unit vectors, a ring written from `queuePosition` on), in an
  /// arena of its own so that a checkpoint saves it with the networks.
  public let state = Arena()
  public var queue: UnsafeMutablePointer<Float> { state.pointer("queue") }
  public var queuePosition = 0
  private let scratch = Arena()

  /// The key network starts as a copy of `query`; the queue as random unit vectors.
  public init(query: EmbeddingNetwork, key: EmbeddingNetwork, queueSize: Int, temperature: Float, momentum: Float, seed: UInt64) {
    precondition(query.architecture == key.architecture, "query and key networks differ")
    precondition(queueSize >= 1, "MoCo needs a queue")
    (self.query, self.key, self.queueSize) = (query, key, queueSize)
    (self.temperature, self.momentum) = (temperature, momentum)
    dimension = query.outputSize
    let batch = query.maxBatch
    state.add("queue", shape: [queueSize, dimension])
    scratch.add("queries", shape: [batch, dimension])
    scratch.add("keys", shape: [batch, dimension])
    scratch.add("queryGradient", shape: [batch, dimension])
    scratch.add("outputGradient", shape: [batch, dimension])
    scratch.add("logits", shape: [batch, 1 + queueSize])
    key.copyParameters(from: query)
    var rng = SplitMix64(seed: seed)
    for i in 0..<queueSize * dimension { queue[i] = Float(rng.nextNormal()) }
    L2Normalize.forward(queue, batch: queueSize, dimension: dimension, into: queue)
  }

  /// One step on `batch` pairs of views (`queries[i]` and `keys[i]` are two views of image
  /// i): the query network's gradients are set, the key network and queue move on, and
  /// the loss is returned.
  public func step(queries queryImages: UnsafePointer<Float>, keys keyImages: UnsafePointer<Float>, batch: Int) -> Double {
    let (q, k) = (scratch.pointer("queries"), scratch.pointer("keys"))
    let (dq, dOutput) = (scratch.pointer("queryGradient"), scratch.pointer("outputGradient"))
    let queryOutput = query.forward(queryImages, batch: batch)
    L2Normalize.forward(queryOutput, batch: batch, dimension: dimension, into: q)
    key.moveAverage(toward: query, momentum: momentum)
    L2Normalize.forward(key.forward(keyImages, batch: batch), batch: batch, dimension: dimension, into: k)
    let loss = InfoNCE.loss(
      queries: q, keys: k, queue: queue, batch: batch, queued: queueSize, dimension: dimension,
      temperature: temperature, logits: scratch.pointer("logits"), queryGradient: dq)
    L2Normalize.backward(dq, input: queryOutput, output: q, batch: batch, dimension: dimension, into: dOutput)
    query.zeroGradients()
    query.backward(dOutput, input: queryImages, batch: batch)
    enqueue(k, count: batch)
    return loss
  }

  /// Writes `count` keys into the ring, oldest first out.
  private func enqueue(_ keys: UnsafePointer<Float>, count: Int) {
    for i in 0..<count {
      (queue + queuePosition * dimension).update(from: keys + i * dimension, count: dimension)
      queuePosition = (queuePosition + 1) % queueSize
    }
  }
}
