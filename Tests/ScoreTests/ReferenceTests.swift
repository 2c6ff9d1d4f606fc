import Foundation
import Testing

@testable import score

/// Scores against the scikit-learn fixture made by Fixtures/make_fixtures.py (see that
/// script for how each expected value was computed).
@Suite struct ReferenceTests {
  struct Fixture: Decodable {
    struct Clustering: Decodable {
      var name: String
      var labels: [Int32]
      var clusters: [Int32]
      var n: Int
      var skipped: Int
      var unassigned: Int
      var acc: Double
      var nmi: Double
      var ari: Double
      var purity: Double
    }
    struct Probe: Decodable {
      struct Linear: Decodable {
        var C: Double
        var objective: Double
        var predictions: [Int32]
        var accuracy: Double
      }
      struct KNN: Decodable {
        var k: Int
        var temperature: Double
        var predictions: [Int32]
        var accuracy: Double
      }
      var dimension: Int
      var classes: Int
      var train_x: [Float]
      var train_y: [Int32]
      var test_x: [Float]
      var test_y: [Int32]
      var linear: [Linear]
      var knn: [KNN]
    }
    var format: String
    var clusterings: [Clustering]
    var probe: Probe
  }

  static let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/reference.json")

  static func load() throws -> Fixture {
    let fixture = try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
    guard fixture.format == "unsup score reference, version 1" else { throw FixtureError.unknownFormat(fixture.format) }
    return fixture
  }

  enum FixtureError: Error { case unknownFormat(String) }

  @Test func clusteringScoresMatchScikitLearn() throws {
    let fixture = try Self.load()
    #expect(fixture.clusterings.count >= 6)
    for case_ in fixture.clusterings {
      let scores = try ClusteringScores(labels: case_.labels, clusters: case_.clusters)
      #expect(scores.scored == case_.n && scores.skipped == case_.skipped && scores.unassigned == case_.unassigned, "\(case_.name)")
      let pairs = [
        ("acc", scores.accuracy, case_.acc), ("nmi", scores.normalizedMutualInformation, case_.nmi),
        ("ari", scores.adjustedRandIndex, case_.ari), ("purity", scores.purity, case_.purity),
      ]
      for (name, ours, theirs) in pairs {
        #expect(abs(ours - theirs) <= 1e-12, "\(case_.name): \(name) \(ours), scikit-learn \(theirs), diff \(abs(ours - theirs))")
      }
    }
  }

  /// Standardised train and test features, as the linear probe makes them.
  func standardized(_ probe: Fixture.Probe) -> (train: [Float], test: [Float]) {
    let standardizer = Standardizer(fitting: probe.train_x, dimension: probe.dimension)
    var (train, test) = (probe.train_x, probe.test_x)
    standardizer.apply(&train)
    standardizer.apply(&test)
    return (train, test)
  }

  @Test func linearProbeMatchesScikitLearn() throws {
    let probe = try Self.load().probe
    let (train, test) = standardized(probe)
    for reference in probe.linear {
      let lambda = 1 / (reference.C * Double(probe.train_y.count))
      let fit = fitLinearProbe(
        x: train, classes: probe.train_y, dimension: probe.dimension, classCount: probe.classes, weightDecay: lambda,
        maxIterations: 1000, tolerance: 1e-5)
      #expect(fit.converged, "C = \(reference.C): \(fit.iterations) iterations, gradient \(fit.gradientMaximum)")
      // The same convex objective: our minimum may not be lower than scikit-learn's, nor
      // higher by more than the Float logits allow.
      let difference = fit.value - reference.objective
      #expect(difference > -1e-6 && difference < 1e-6, "C = \(reference.C): objective \(fit.value), scikit-learn \(reference.objective)")
      let predictions = SoftmaxRegression.predict(test, dimension: probe.dimension, classCount: probe.classes, parameters: fit.parameters)
      let mismatches = (0..<predictions.count).filter { predictions[$0] != reference.predictions[$0] }
      #expect(mismatches.isEmpty, "C = \(reference.C): predictions differ at test rows \(mismatches)")
      let accuracy = Double(zip(predictions, probe.test_y).filter { $0 == $1 }.count) / Double(probe.test_y.count)
      #expect(abs(accuracy - reference.accuracy) < 1e-12)
    }
  }

  @Test func knnMatchesNumpy() throws {
    let probe = try Self.load().probe
    for reference in probe.knn {
      let predictions = NearestNeighbors.predict(
        train: DenseRows(values: probe.train_x, dimension: probe.dimension), trainClasses: probe.train_y,
        classCount: probe.classes, test: DenseRows(values: probe.test_x, dimension: probe.dimension), k: reference.k,
        temperature: reference.temperature)
      let mismatches = (0..<predictions.count).filter { predictions[$0] != reference.predictions[$0] }
      #expect(mismatches.isEmpty, "k = \(reference.k): predictions differ at test rows \(mismatches)")
    }
  }
}
