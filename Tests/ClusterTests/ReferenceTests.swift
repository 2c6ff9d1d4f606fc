import Foundation
import Testing

@testable import Shared
@testable import cluster

/// K-means and Gaussian mixtures against scikit-learn, from the same fixed starting points,
/// on the fixture made by Fixtures/make_fixtures.py (see that script for what each value is).
/// We compute in float32 (BLAS sgemm) and scikit-learn in float64, so values are compared
/// within float tolerances; labels and iteration counts must be equal (the fixture's records
/// are all far from a tie, see each case's min_gap).
@Suite struct ReferenceTests {
  struct Fixture: Decodable {
    struct Dataset: Decodable {
      var n: Int
      var d: Int
      var x: [Float]
      var truth: [Int32]
    }
    struct KMeansCase: Decodable {
      var name: String
      var data: String
      var k: Int
      var `init`: [Float]
      var centers: [Double]
      var labels: [Int32]
      var inertia: Double
      var n_iter: Int
      var min_gap: Double
    }
    struct GMMCase: Decodable {
      var name: String
      var data: String
      var k: Int
      var covariance: String
      var weights_init: [Double]
      var means_init: [Float]
      var variances_init: [Double]
      var weights: [Double]
      var means: [Double]
      var variances: [Double]
      var n_iter: Int
      var score: Double
      var bic: Double
      var labels: [Int32]
      var lower_bounds: [Double]
      var min_gap: Double
    }
    var format: String
    var data: [String: Dataset]
    var kmeans: [KMeansCase]
    var gmm: [GMMCase]
  }

  static let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/reference.json")

  static func load() throws -> Fixture {
    let fixture = try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
    guard fixture.format == "unsup cluster reference, version 1" else { throw FixtureError.unknownFormat(fixture.format) }
    return fixture
  }

  enum FixtureError: Error { case unknownFormat(String), missingData(String) }

  /// The dataset a case names, as the FeatureMatrix the tool would read.
  static func dataset(_ fixture: Fixture, _ name: String) throws -> FeatureMatrix {
    guard let set = fixture.data[name] else { throw FixtureError.missingData(name) }
    precondition(set.x.count == set.n * set.d)
    return try matrix((0..<set.n).map { Array(set.x[$0 * set.d..<($0 + 1) * set.d]) })
  }

  static func maxAbsoluteDifference<A: BinaryFloatingPoint, B: BinaryFloatingPoint>(_ a: [A], _ b: [B]) -> Double {
    precondition(a.count == b.count)
    return zip(a, b).reduce(0.0) { max($0, abs(Double($1.0) - Double($1.1))) }
  }

  static func maxRelativeDifference<A: BinaryFloatingPoint>(_ a: [A], _ b: [Double]) -> Double {
    precondition(a.count == b.count)
    return zip(a, b).reduce(0.0) { max($0, abs(Double($1.0) - $1.1) / max(abs($1.1), 1e-300)) }
  }

  /// Records whose labels differ, as "index: ours vs theirs" (the first few).
  static func labelMismatches(_ ours: [Int32], _ theirs: [Int32]) -> (count: Int, text: String) {
    let bad = zip(ours, theirs).enumerated().filter { $0.element.0 != $0.element.1 }
    return (bad.count, bad.prefix(8).map { "\($0.offset): \($0.element.0) vs \($0.element.1)" }.joined(separator: ", "))
  }

  @Test func kmeansMatchesScikitLearn() throws {
    let fixture = try Self.load()
    #expect(fixture.kmeans.count >= 3)
    for case_ in fixture.kmeans {
      let data = try Self.dataset(fixture, case_.data)
      let blocks = DistanceBlocks(data)
      let kmeans = KMeans(k: case_.k, maxIterations: 300, tolerance: 1e-4)
      let result = kmeans.fit(data, blocks: blocks, from: case_.`init`)

      let centers = Self.maxAbsoluteDifference(result.centers, case_.centers)
      let inertia = abs(result.inertia - case_.inertia) / case_.inertia
      let labels = Self.labelMismatches(result.assignments, case_.labels)
      let summary = "kmeans \(case_.name): max |Δcentre| \(centers), inertia relative Δ \(inertia) (ours \(result.inertia), scikit-learn \(case_.inertia)), iterations \(result.iterations) vs \(case_.n_iter), \(labels.count) labels differ \(labels.text)"
      #expect(result.iterations == case_.n_iter, "\(summary)")
      #expect(labels.count == 0, "\(summary)")
      #expect(centers < 1e-4, "\(summary)")
      #expect(inertia < 1e-5, "\(summary)")
    }
  }

  @Test func gaussianMixtureMatchesScikitLearn() throws {
    let fixture = try Self.load()
    #expect(fixture.gmm.count >= 6)
    for case_ in fixture.gmm {
      let data = try Self.dataset(fixture, case_.data)
      let d = data.dimension
      let covariance = try #require(CovarianceType(rawValue: case_.covariance))
      let matrices = covariance == .full || covariance == .tied
      var mixture = GaussianMixture(k: case_.k, covariance: covariance, regularization: 1e-6, maxIterations: 100, tolerance: 1e-3)
      // The mean log-likelihood each iteration's E-step finds: scikit-learn's lower bound.
      let trajectory = Trajectory()
      mixture.report = { _, logLikelihood, _ in trajectory.values.append(logLikelihood) }
      let start = GaussianMixtureModel(
        k: case_.k, d: d, covariance: covariance, weights: case_.weights_init, means: case_.means_init,
        variances: case_.variances_init.map { Float($0) })
      #expect(start.variances.count == (matrices ? (covariance == .tied ? 1 : case_.k) * d * d : covariance == .diag ? case_.k * d : case_.k))
      let (model, logLikelihood, iterations) = mixture.fit(data, from: start)
      var responsibilities = [Float](repeating: 0, count: data.count * case_.k)
      _ = mixture.expectation(data, model, into: &responsibilities)
      let assignments: [Int32] = (0..<data.count).map { i in
        let row = responsibilities[i * case_.k..<(i + 1) * case_.k]
        return Int32(row.indices.max { row[$0] < row[$1] }! - i * case_.k)
      }
      let n = Double(data.count)
      let bic = -2 * logLikelihood * n + Double(mixture.parameterCount(d: d)) * log(n)

      let weights = Self.maxAbsoluteDifference(model.weights, case_.weights)
      let means = Self.maxAbsoluteDifference(model.means, case_.means)
      // diag and spherical: each variance relative to itself; full and tied: each matrix
      // entry relative to the largest entry (off-diagonal ones may be near zero).
      let variances = matrices
        ? Self.maxAbsoluteDifference(model.variances, case_.variances) / case_.variances.map(abs).max()!
        : Self.maxRelativeDifference(model.variances, case_.variances)
      let score = abs(logLikelihood - case_.score)
      let bicDifference = abs(bic - case_.bic)
      let steps = min(trajectory.values.count, case_.lower_bounds.count)
      let path = Self.maxAbsoluteDifference(Array(trajectory.values.prefix(steps)), Array(case_.lower_bounds.prefix(steps)))
      let labels = Self.labelMismatches(assignments, case_.labels)
      let summary = "gmm \(case_.name): max |Δweight| \(weights), max |Δmean| \(means), max relative Δ\(matrices ? "covariance" : "variance") \(variances), |Δscore| \(score) (ours \(logLikelihood), scikit-learn \(case_.score)), |ΔBIC| \(bicDifference), max |Δlower bound| per iteration \(path), iterations \(iterations) vs \(case_.n_iter), \(labels.count) labels differ \(labels.text)"
      #expect(iterations == case_.n_iter, "\(summary)")
      #expect(labels.count == 0, "\(summary)")
      #expect(weights < 1e-5, "\(summary)")
      #expect(means < 1e-4, "\(summary)")
      #expect(variances < 1e-4, "\(summary)")
      #expect(score < 1e-5, "\(summary)")
      #expect(bicDifference < 1e-2, "\(summary)")
      #expect(path < 1e-5, "\(summary)")
    }
  }

  /// Collects the values the GMM's report closure sees.
  final class Trajectory: @unchecked Sendable {
    var values: [Double] = []
  }
}
