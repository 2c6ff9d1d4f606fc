import Foundation
import Kernels

/// The weighted k-nearest-neighbour classifier used to judge embeddings during and after
/// self-supervised training (Wu et al. 2018, "Unsupervised Feature Learning via
/// Non-Parametric Instance Discrimination", §3.4; the kNN monitor of MoCo): cosine
/// similarity, the k most similar train records vote for their class with weight
/// exp(similarity / T), and the class with the largest sum wins (the smallest class on a
/// tie).
///
/// Similarities come from `BLAS.sgemm` on blocks of unit-normalised rows: a block of
/// `testBlock` test rows against `trainBlock` train rows at a time, so memory is
/// O((testBlock + trainBlock) · (d + trainBlock)), never n_test × n_train. Each test row
/// keeps its k best in a small min-heap.
enum NearestNeighbors {
  static let testBlock = 512
  static let trainBlock = 2048

  /// Predicted class of every test row. trainClasses: the class (0..<classCount) of every
  /// train row. Needs 1 ≤ k ≤ train.count.
  static func predict<Train: RowBlocks, Test: RowBlocks>(
    train: Train, trainClasses: [Int32], classCount: Int, test: Test, k: Int, temperature: Double
  ) -> [Int32] {
    precondition(train.dimension == test.dimension, "train and test rows differ in length")
    precondition((1...max(1, train.count)).contains(k) && trainClasses.count == train.count, "1 ≤ k ≤ train rows")
    let d = train.dimension
    var predictions = [Int32](repeating: 0, count: test.count)
    var testValues = [Float](repeating: 0, count: testBlock * d)
    var trainValues = [Float](repeating: 0, count: trainBlock * d)
    var similarities = [Float](repeating: 0, count: testBlock * trainBlock)
    // Per test row of the block: its k best similarities and their train rows, a min-heap.
    var heapSimilarity = [Float](repeating: 0, count: testBlock * k)
    var heapRow = [Int32](repeating: 0, count: testBlock * k)
    var heapCount = [Int](repeating: 0, count: testBlock)
    var votes = [Double](repeating: 0, count: classCount)

    for testStart in stride(from: 0, to: test.count, by: testBlock) {
      let tb = min(testBlock, test.count - testStart)
      testValues.withUnsafeMutableBufferPointer { block in
        test.copy(testStart..<testStart + tb, into: block)
        normalizeRows(block.baseAddress!, rows: tb, dimension: d)
      }
      for r in 0..<tb { heapCount[r] = 0 }
      for trainStart in stride(from: 0, to: train.count, by: trainBlock) {
        let nb = min(trainBlock, train.count - trainStart)
        trainValues.withUnsafeMutableBufferPointer { block in
          train.copy(trainStart..<trainStart + nb, into: block)
          normalizeRows(block.baseAddress!, rows: nb, dimension: d)
        }
        // similarities (tb, nb) = test (tb, d) · train (nb, d)ᵀ
        BLAS.sgemm(transposeB: true, m: tb, n: nb, k: d, testValues, trainValues, &similarities)
        similarities.withUnsafeBufferPointer { similarities in
          heapSimilarity.withUnsafeMutableBufferPointer { heapSimilarity in
            heapRow.withUnsafeMutableBufferPointer { heapRow in
              for r in 0..<tb {
                let row = similarities.baseAddress! + r * nb
                let bestSimilarity = heapSimilarity.baseAddress! + r * k
                let bestRow = heapRow.baseAddress! + r * k
                var filled = heapCount[r]
                for j in 0..<nb {
                  let s = row[j]
                  if filled < k {
                    heapPush(bestSimilarity, bestRow, &filled, s, Int32(trainStart + j))
                  } else if s > bestSimilarity[0] {
                    // Train rows come in increasing order, so an equal similarity keeps
                    // the earlier row, as a stable sort by similarity would.
                    heapReplaceRoot(bestSimilarity, bestRow, k, s, Int32(trainStart + j))
                  }
                }
                heapCount[r] = filled
              }
            }
          }
        }
      }
      for r in 0..<tb {
        let neighbours = r * k..<r * k + heapCount[r]
        var top = -Double.infinity
        for n in neighbours { top = max(top, Double(heapSimilarity[n])) }
        for c in 0..<classCount { votes[c] = 0 }
        for n in neighbours {
          // exp((s − top) / T): the same argmax as exp(s / T), without overflow for small T.
          votes[Int(trainClasses[Int(heapRow[n])])] += exp((Double(heapSimilarity[n]) - top) / temperature)
        }
        var best = 0
        for c in 1..<max(1, classCount) where votes[c] > votes[best] { best = c }
        predictions[testStart + r] = Int32(best)
      }
    }
    return predictions
  }

  /// Scales each row to unit L2 norm; rows of zeros stay zero (similarity 0 to everything).
  static func normalizeRows(_ values: UnsafeMutablePointer<Float>, rows: Int, dimension d: Int) {
    for r in 0..<rows {
      let row = values + r * d
      var sum: Float = 0
      for i in 0..<d { sum += row[i] * row[i] }
      guard sum > 0 else { continue }
      let scale = 1 / sum.squareRoot()
      for i in 0..<d { row[i] *= scale }
    }
  }

  /// Min-heap on similarity (ties: the later row is the smaller) in `similarity[0..<count]`.
  @inline(__always)
  private static func isWorse(_ s1: Float, _ r1: Int32, _ s2: Float, _ r2: Int32) -> Bool {
    s1 < s2 || (s1 == s2 && r1 > r2)
  }

  @inline(__always)
  private static func heapPush(
    _ similarity: UnsafeMutablePointer<Float>, _ row: UnsafeMutablePointer<Int32>, _ count: inout Int, _ s: Float, _ r: Int32
  ) {
    var child = count
    count += 1
    while child > 0 {
      let parent = (child - 1) / 2
      guard isWorse(s, r, similarity[parent], row[parent]) else { break }
      similarity[child] = similarity[parent]
      row[child] = row[parent]
      child = parent
    }
    similarity[child] = s
    row[child] = r
  }

  @inline(__always)
  private static func heapReplaceRoot(
    _ similarity: UnsafeMutablePointer<Float>, _ row: UnsafeMutablePointer<Int32>, _ count: Int, _ s: Float, _ r: Int32
  ) {
    var parent = 0
    while true {
      var child = 2 * parent + 1
      guard child < count else { break }
      if child + 1 < count && isWorse(similarity[child + 1], row[child + 1], similarity[child], row[child]) { child += 1 }
      guard isWorse(similarity[child], row[child], s, r) else { break }
      similarity[parent] = similarity[child]
      row[parent] = row[child]
      parent = child
    }
    similarity[parent] = s
    row[parent] = r
  }

  /// The same classifier written plainly: every similarity by a dot-product loop, all
  /// neighbours sorted. The oracle for the blocked version (small inputs only).
  static func predictNaive(
    train: [Float], trainClasses: [Int32], classCount: Int, test: [Float], dimension d: Int, k: Int, temperature: Double
  ) -> [Int32] {
    func unit(_ values: [Float]) -> [Float] {
      var values = values
      values.withUnsafeMutableBufferPointer { normalizeRows($0.baseAddress!, rows: $0.count / d, dimension: d) }
      return values
    }
    let (train, test) = (unit(train), unit(test))
    let trainCount = train.count / d
    return (0..<test.count / d).map { t in
      let similarities = (0..<trainCount).map { j in
        (0..<d).reduce(Float(0)) { $0 + test[t * d + $1] * train[j * d + $1] }
      }
      let nearest = (0..<trainCount).sorted { similarities[$0] > similarities[$1] || (similarities[$0] == similarities[$1] && $0 < $1) }.prefix(k)
      var votes = [Double](repeating: 0, count: classCount)
      for j in nearest { votes[Int(trainClasses[j])] += exp(Double(similarities[j]) / temperature) }
      var best = 0
      for c in 0..<classCount where votes[c] > votes[best] { best = c }
      return Int32(best)
    }
  }
}
