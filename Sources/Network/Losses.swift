import Foundation
import Kernels

/// MoCo's InfoNCE loss (He et al. 2020): each query's positive is its key, the negatives
/// are a queue of earlier keys; logits are dot products over the temperature τ, and the
/// loss is the cross-entropy of picking the positive, averaged over the batch. Queries,
/// keys and the queue are unit vectors; keys and queue take no gradient.
public enum InfoNCE {
  /// The loss, with dL/dq written to `queryGradient` (batch × d). `logits` is scratch of
  /// batch × (1 + queued).
  public static func loss(
    queries: UnsafePointer<Float>, keys: UnsafePointer<Float>, queue: UnsafePointer<Float>, batch: Int, queued: Int,
    dimension d: Int, temperature: Float, logits: UnsafeMutablePointer<Float>, queryGradient: UnsafeMutablePointer<Float>
  ) -> Double {
    let width = 1 + queued
    // Negatives: Q · queueᵀ, placed after each row's positive.
    if queued > 0 {
      BLAS.sgemm(transposeB: true, m: batch, n: queued, k: d, queries, queue, logits + batch)
      // Row i's negatives move from batch + i·queued down to i·width + 1: in row order,
      // each lands before every row still to move (`update` allows the overlap with its own).
      for i in 0..<batch {
        (logits + i * width + 1).update(from: logits + batch + i * queued, count: queued)
      }
    }
    var total = 0.0
    let scale = 1 / (Float(batch) * temperature)
    for i in 0..<batch {
      let (q, k, row) = (queries + i * d, keys + i * d, logits + i * width)
      var positive: Float = 0
      for j in 0..<d { positive += q[j] * k[j] }
      row[0] = positive
      total += softmaxInPlace(row, count: width, temperature: temperature)
      // dL/dq = ((p₀ − 1) k + Σ_j p_j queue_j) / (B τ)
      let gradient = queryGradient + i * d
      for j in 0..<d { gradient[j] = (row[0] - 1) * k[j] * scale }
    }
    if queued > 0 {
      // Rows back to a dense batch × queued block for one product with the queue.
      for i in 0..<batch { (logits + i * queued).update(from: logits + i * width + 1, count: queued) }
      BLAS.sgemm(m: batch, n: d, k: queued, alpha: scale, logits, queue, beta: 1, queryGradient)
    }
    return total / Double(batch)
  }
}

/// SimCLR's NT-Xent loss (Chen et al. 2020) over 2N unit vectors, views 2i and 2i + 1 of
/// image i: for each vector, the cross-entropy of picking its partner among the 2N − 1
/// others, logits z·z′/τ, averaged over the 2N.
public enum NTXent {
  /// The loss, with dL/dz written to `gradient` (2N × d). `similarities` is scratch of
  /// 2N × 2N.
  public static func loss(
    _ z: UnsafePointer<Float>, count: Int, dimension d: Int, temperature: Float,
    similarities: UnsafeMutablePointer<Float>, gradient: UnsafeMutablePointer<Float>
  ) -> Double {
    precondition(count % 2 == 0, "NT-Xent needs pairs of views")
    BLAS.sgemm(transposeB: true, m: count, n: count, k: d, z, z, similarities)
    var total = 0.0
    for i in 0..<count {
      let row = similarities + i * count
      let partner = i ^ 1
      let positive = row[partner]
      // The vector itself is no candidate: a logit of −∞.
      row[i] = -.infinity
      total += softmaxInPlace(row, count: count, temperature: temperature, positiveLogit: positive)
    }
    // dL/dz_m = ((P + Pᵀ) Z − 2 Z_partner)_m / (2N τ), with P the softmax rows.
    let scale = 1 / (Float(count) * temperature)
    for i in 0..<count {
      for j in (i + 1)..<count {
        let sum = similarities[i * count + j] + similarities[j * count + i]
        similarities[i * count + j] = sum
        similarities[j * count + i] = sum
      }
      similarities[i * count + i] = 0
    }
    BLAS.sgemm(m: count, n: d, k: count, alpha: scale, similarities, z, gradient)
    for i in 0..<count {
      let partner = z + (i ^ 1) * d
      for j in 0..<d { gradient[i * d + j] -= 2 * scale * partner[j] }
    }
    return total / Double(count)
  }
}

/// Turns `count` dot products into softmax probabilities over dot/τ, in place, and
/// returns −log p of the positive (the first entry, or `positiveLogit`'s).
@inline(__always)
func softmaxInPlace(
  _ row: UnsafeMutablePointer<Float>, count: Int, temperature: Float, positiveLogit: Float? = nil
) -> Double {
  var largest = -Float.infinity
  for j in 0..<count { largest = max(largest, row[j]) }
  let positive = positiveLogit ?? row[0]
  var sum = 0.0
  for j in 0..<count {
    let e = exp((row[j] - largest) / temperature)
    row[j] = e
    sum += Double(e)
  }
  let inverse = Float(1 / sum)
  for j in 0..<count { row[j] *= inverse }
  return log(sum) - Double((positive - largest) / temperature)
}

/// The mean squared error of `count` values, as PyTorch's `nn.MSELoss()`: Σ (y − t)² / count,
/// with its gradient 2 (y − t) / count.
public enum MeanSquaredError {
  public static func loss(
    _ output: UnsafePointer<Float>, target: UnsafePointer<Float>, count: Int, gradient: UnsafeMutablePointer<Float>
  ) -> Double {
    let scale = 2 / Float(count)
    var sum = 0.0
    var lanes = SIMD8<Float>()
    var i = 0
    while i + 8 <= count {
      let difference = UnsafeRawPointer(output + i).loadUnaligned(as: SIMD8<Float>.self)
        - UnsafeRawPointer(target + i).loadUnaligned(as: SIMD8<Float>.self)
      lanes += difference * difference
      UnsafeMutableRawPointer(gradient + i).storeBytes(of: scale * difference, as: SIMD8<Float>.self)
      i += 8
      if i % 4096 == 0 {
        sum += Double(lanes.sum())
        lanes = SIMD8()
      }
    }
    sum += Double(lanes.sum())
    while i < count {
      let difference = output[i] - target[i]
      sum += Double(difference * difference)
      gradient[i] = scale * difference
      i += 1
    }
    return sum / Double(count)
  }
}
