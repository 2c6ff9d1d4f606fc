import Foundation
import Testing

@testable import Shared
@testable import cluster

/// A FeatureMatrix of f32 vectors, read back through the stream code as the tool does.
func matrix(_ rows: [[Float]]) throws -> FeatureMatrix {
  let d = rows[0].count
  let schema = StreamSchema(elementType: .f32, layout: .vector, dims: [d])
  var batch = RecordBatch(schema: schema)
  for (i, row) in rows.enumerated() {
    row.withUnsafeBytes { batch.append(id: Int64(i), label: -1, payload: $0) }
  }
  let bytes = MemoryOutput()
  let writer = try StreamWriter(bytes, schema: schema)
  try writer.write(batch)
  try writer.finish()
  return try FeatureMatrix(reading: StreamReader(MemoryInput(bytes.bytes)))
}

final class MemoryOutput: ByteOutput {
  var bytes: [UInt8] = []
  let name = "<memory>"
  func write(_ buffer: UnsafeRawBufferPointer) throws { bytes += buffer }
}

/// Whether two labelings are the same partition (equal up to renaming clusters).
func samePartition(_ a: [Int32], _ b: [Int32]) -> Bool {
  var map: [Int32: Int32] = [:]
  var inverse: [Int32: Int32] = [:]
  for (x, y) in zip(a, b) {
    if map[x, default: y] != y || inverse[y, default: x] != x { return false }
    map[x] = y
    inverse[y] = x
  }
  return true
}

@Suite struct KMeansTests {
  /// {0, 1, 10, 11} in 1-D with k = 2: centres 0.5 and 10.5, inertia 4 × 0.25 = 1.
  @Test(arguments: [KMeansInit.kmeansPlusPlus, .random], [UInt64(0), 1, 2, 3])
  func oneDimensionalKnownAnswer(initialization: KMeansInit, seed: UInt64) throws {
    let data = try matrix([[0], [1], [10], [11]])
    let blocks = DistanceBlocks(data, threads: 2)
    let result = KMeans(k: 2, initialization: initialization).fit(data, blocks: blocks, seed: seed)
    #expect(samePartition(result.assignments, [0, 0, 1, 1]))
    #expect(Set(result.centers) == [0.5, 10.5])
    #expect(abs(result.inertia - 1) < 1e-5)
  }

  /// Four well-separated Gaussian blobs in 5-D are found exactly, from any seed.
  @Test(arguments: [UInt64(0), 7, 42])
  func separatedBlobsAreRecovered(seed: UInt64) throws {
    var random = SplitMix64(seed: 99)
    var rows: [[Float]] = []
    var truth: [Int32] = []
    for blob in 0..<4 {
      for _ in 0..<50 {
        rows.append((0..<5).map { j in Float(j == blob ? 20 : 0) + (random.nextUnitFloat() - 0.5) })
        truth.append(Int32(blob))
      }
    }
    let data = try matrix(rows)
    let blocks = DistanceBlocks(data, threads: 2)
    let result = KMeans(k: 4).fit(data, blocks: blocks, seed: seed)
    #expect(samePartition(result.assignments, truth))
  }

  /// More clusters than distinct points: emptied clusters are re-seeded and nothing is NaN.
  @Test func duplicatePointsLeaveNoNaN() throws {
    let data = try matrix([[1, 1], [1, 1], [1, 1], [5, 5], [5, 5]])
    let blocks = DistanceBlocks(data, threads: 2)
    let result = KMeans(k: 3).fit(data, blocks: blocks, seed: 0)
    #expect(result.centers.allSatisfy { $0.isFinite })
    #expect(result.inertia == 0)
    #expect(result.assignments[0] == result.assignments[1] && result.assignments[3] == result.assignments[4])
  }

  /// The block distances equal a direct computation, across block boundaries.
  @Test func blockDistancesMatchDirect() throws {
    var random = SplitMix64(seed: 5)
    let rows = (0..<(DistanceBlocks.rowsPerBlock + 37)).map { _ in (0..<3).map { _ in random.nextUnitFloat() * 4 } }
    let centers: [Float] = [0, 0, 0, 1, 2, 3]
    let blocks = DistanceBlocks(try matrix(rows), threads: 1)
    var worst: Float = 0
    blocks.forEachBlock(centers: centers, k: 2) { _, range, _, distances in
      for r in 0..<range.count {
        for c in 0..<2 {
          let row = rows[range.lowerBound + r]
          let direct = (0..<3).reduce(Float(0)) { $0 + (row[$1] - centers[c * 3 + $1]) * (row[$1] - centers[c * 3 + $1]) }
          worst = max(worst, abs(direct - distances[r * 2 + c]))
        }
      }
    }
    #expect(worst < 1e-4, "max difference \(worst)")
  }
}

@Suite struct SinkhornTests {
  /// All four records prefer cluster 0, but equal sizes force two into cluster 1: the two
  /// for which moving costs least (costs 0.3 → 1 and 0.2 → 1, i.e. records 3 and 2), as
  /// the exact transport problem solved by hand says.
  @Test func balancedAssignmentKnownAnswer() {
    let costs: [Float] = [0, 1, 0.1, 1, 0.2, 1, 0.3, 1]
    let (rows, _) = Sinkhorn(epsilon: 0.01, iterations: 1000).plan(costs: costs, n: 4, k: 2, weights: [0.5, 0.5])
    let hard = (0..<4).map { rows[$0 * 2] > rows[$0 * 2 + 1] ? 0 : 1 }
    #expect(hard == [0, 0, 1, 1])
  }

  /// Rows sum to 1 and the plan's columns meet the weights asked for.
  @Test func marginalsAreMet() {
    var random = SplitMix64(seed: 3)
    let n = 300
    let k = 3
    let costs = (0..<n * k).map { _ in random.nextUnitFloat() }
    let weights = [0.5, 0.3, 0.2]
    let (rows, _) = Sinkhorn(epsilon: 0.1, iterations: 500).plan(costs: costs, n: n, k: k, weights: weights)
    for i in 0..<n {
      let sum = (0..<k).reduce(Float(0)) { $0 + rows[i * k + $1] }
      #expect(abs(sum - 1) < 1e-5)
    }
    for c in 0..<k {
      // Plan columns: P_ic = rows_ic / n (each record carries mass 1/n).
      let column = (0..<n).reduce(0.0) { $0 + Double(rows[$1 * k + c]) } / Double(n)
      #expect(abs(column - weights[c]) < 1e-4, "column \(c): \(column)")
    }
  }
}

@Suite struct GaussianMixtureTests {
  /// Two far-apart 1-D groups, {−6, −5, −4} and {4, 5, 6, 4, 5, 6}: the maximum-likelihood
  /// mixture has weights 1/3 and 2/3, means −5 and 5, and variances 2/3 (+ reg), and the
  /// mean log-likelihood is Σ log(π_k N(x | μ_k, σ²)) / 9 worked out below.
  @Test(arguments: [CovarianceType.diag, .spherical])
  func oneDimensionalMixtureKnownAnswer(covariance: CovarianceType) throws {
    let data = try matrix([[-6], [-5], [-4], [4], [5], [6], [4], [5], [6]])
    let mixture = GaussianMixture(k: 2, covariance: covariance, regularization: 0, tolerance: 1e-9)
    let (model, logLikelihood, _) = mixture.fit(data, initialAssignments: [0, 0, 0, 1, 1, 1, 1, 1, 1])
    #expect(abs(model.weights[0] - 1.0 / 3) < 1e-9 && abs(model.weights[1] - 2.0 / 3) < 1e-9)
    #expect(abs(model.means[0] + 5) < 1e-5 && abs(model.means[1] - 5) < 1e-5)
    #expect(abs(model.variances[0] - 2.0 / 3) < 1e-5 && abs(model.variances[1] - 2.0 / 3) < 1e-5)
    // Per record: log π_k − ½ log(2π σ²) − (x − μ)² / (2σ²); the squared deviations sum to
    // 2 in the first group and 4 in the second, so Σ (x − μ)²/(2σ²) = 6 / (4/3) = 4.5.
    let variance = 2.0 / 3
    let expected = (3 * log(1.0 / 3) + 6 * log(2.0 / 3) - 9 * 0.5 * log(2 * Double.pi * variance) - 4.5) / 9
    #expect(abs(logLikelihood - expected) < 1e-4, "\(logLikelihood) vs \(expected)")
  }

  /// A dimension that never varies stays finite thanks to --reg.
  @Test func zeroVarianceDimensionStaysFinite() throws {
    let data = try matrix([[0, 1], [0, 2], [0, 10], [0, 11]])
    let mixture = GaussianMixture(k: 2, regularization: 1e-6)
    let (model, logLikelihood, _) = mixture.fit(data, initialAssignments: [0, 0, 1, 1])
    #expect(logLikelihood.isFinite)
    #expect(model.variances.allSatisfy { $0.isFinite && $0 > 0 })
  }
}

@Suite struct ThreadingTests {
  /// Worker threads share the blocks out; the answer is the same as with one thread.
  @Test func threadsGiveTheSameAnswer() throws {
    var random = SplitMix64(seed: 11)
    let rows = (0..<(3 * DistanceBlocks.rowsPerBlock + 100)).map { i in
      (0..<6).map { j in Float((i % 5) * (j + 1)) + random.nextUnitFloat() }
    }
    let data = try matrix(rows)
    let one = KMeans(k: 5).fit(data, blocks: DistanceBlocks(data, threads: 1), seed: 3)
    let two = KMeans(k: 5).fit(data, blocks: DistanceBlocks(data, threads: 2), seed: 3)
    #expect(DistanceBlocks(data, threads: 2).workers == 2)
    #expect(one.assignments == two.assignments)
    #expect(abs(one.inertia - two.inertia) <= 1e-6 * one.inertia)
  }

  /// EM with worker threads gives the same mixture as with one thread.
  @Test(arguments: [CovarianceType.diag, .full])
  func mixtureThreadsGiveTheSameAnswer(covariance: CovarianceType) throws {
    var random = SplitMix64(seed: 12)
    let rows = (0..<(2 * DistanceBlocks.rowsPerBlock + 300)).map { i in
      (0..<3).map { j in Float((i % 3) * (j + 2)) + random.nextUnitFloat() }
    }
    let data = try matrix(rows)
    let start = (0..<rows.count).map { Int32($0 % 3) }
    let one = GaussianMixture(k: 3, covariance: covariance, threads: 1).fit(data, initialAssignments: start)
    let two = GaussianMixture(k: 3, covariance: covariance, threads: 2).fit(data, initialAssignments: start)
    #expect(one.iterations == two.iterations)
    #expect(abs(one.logLikelihood - two.logLikelihood) < 1e-6 * abs(one.logLikelihood) + 1e-9)
    #expect(zip(one.model.means, two.model.means).allSatisfy { abs($0 - $1) < 1e-4 })
  }
}

@Suite struct FullCovarianceTests {
  /// One component: EM's answer is the sample mean and the (biased) sample covariance, and
  /// the mean log-likelihood is −½ (d log 2π + log|Σ| + d), since the average Mahalanobis
  /// distance to the MLE is exactly d.
  @Test(arguments: [CovarianceType.full, .tied])
  func singleComponentIsTheSampleCovariance(covariance: CovarianceType) throws {
    let points: [[Float]] = [[0, 0], [2, 1], [4, 5], [1, 3], [3, 1]]
    let data = try matrix(points)
    let mixture = GaussianMixture(k: 1, covariance: covariance, regularization: 0, tolerance: 1e-10)
    let (model, logLikelihood, _) = mixture.fit(data, initialAssignments: [0, 0, 0, 0, 0])
    // Mean (2, 2); deviations (−2,−2), (0,−1), (2,3), (−1,1), (1,−1):
    // Σxx = (4+0+4+1+1)/5 = 2, Σyy = (4+1+9+1+1)/5 = 3.2, Σxy = (4+0+6−1−1)/5 = 1.6.
    #expect(abs(model.means[0] - 2) < 1e-5 && abs(model.means[1] - 2) < 1e-5)
    let expected: [Float] = [2, 1.6, 1.6, 3.2]
    #expect(zip(model.variances, expected).allSatisfy { abs($0 - $1) < 1e-4 }, "\(model.variances)")
    let determinant = 2 * 3.2 - 1.6 * 1.6
    let exact = -0.5 * (2 * log(2 * Double.pi) + log(determinant) + 2)
    #expect(abs(logLikelihood - exact) < 1e-4, "\(logLikelihood) vs \(exact)")
  }

  /// Axis-aligned clusters: full covariance finds the same partition as diag.
  @Test func fullAgreesWithDiagOnAxisAlignedData() throws {
    var random = SplitMix64(seed: 21)
    var rows: [[Float]] = []
    for i in 0..<300 {
      let group = Float(i % 3)
      rows.append([group * 10 + random.nextUnitFloat(), group * -8 + 2 * random.nextUnitFloat()])
    }
    let data = try matrix(rows)
    let start = (0..<300).map { Int32($0 % 3) }
    let diag = GaussianMixture(k: 3, covariance: .diag).fit(data, initialAssignments: start)
    let full = GaussianMixture(k: 3, covariance: .full).fit(data, initialAssignments: start)
    var responsibilities = [Float](repeating: 0, count: 900)
    _ = GaussianMixture(k: 3, covariance: .full).expectation(data, full.model, into: &responsibilities)
    var hard = [Int32](repeating: 0, count: 300)
    for i in 0..<300 {
      for c in 1..<3 where responsibilities[i * 3 + c] > responsibilities[i * 3 + Int(hard[i])] { hard[i] = Int32(c) }
    }
    #expect(samePartition(hard, start))
    #expect(full.logLikelihood >= diag.logLikelihood - 1e-3)
  }
}

@Suite struct MiniBatchTests {
  /// Well-separated blobs written to a stream file are found batch by batch.
  @Test func separatedBlobsAreRecovered() throws {
    var random = SplitMix64(seed: 8)
    let schema = StreamSchema(elementType: .f32, layout: .vector, dims: [3])
    var batch = RecordBatch(schema: schema)
    var truth: [Int32] = []
    for i in 0..<900 {
      let blob = i % 3
      let row = (0..<3).map { j in Float(j == blob ? 50 : 0) + random.nextUnitFloat() }
      row.withUnsafeBytes { batch.append(id: Int64(i), label: Int32(blob), payload: $0) }
      truth.append(Int32(blob))
    }
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("minibatch-\(UUID().uuidString).us").path
    defer { try? FileManager.default.removeItem(atPath: path) }
    let file = try AtomicFileOutput(path: path)
    let writer = try StreamWriter(file, schema: schema)
    try writer.write(batch)
    try writer.finish()
    try file.commit()

    let (centers, _) = try MiniBatchKMeans(k: 3, batchSize: 64, epochs: 2, threads: 1).fit(path: path, seed: 1)
    let data = try FeatureMatrix(reading: StreamReader(path: path))
    var assignments = [Int32](repeating: 0, count: 900)
    var closest = [Float](repeating: 0, count: 900)
    _ = KMeans(k: 3).assign(DistanceBlocks(data), centers, &assignments, &closest, summing: false)
    #expect(samePartition(assignments, truth))
  }
}
