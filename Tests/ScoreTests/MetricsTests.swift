import Foundation
import Shared
import Testing

@testable import score

/// NMI, ARI, purity and ACC on label vectors small enough to work out by hand, and the
/// examples of scikit-learn's documentation (`adjusted_rand_score`,
/// `normalized_mutual_info_score` docstrings and the clustering user guide).
@Suite struct MetricsTests {
  func expectClose(_ actual: Double, _ expected: Double, _ tolerance: Double = 1e-12, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(abs(actual - expected) <= tolerance, "got \(actual), expected \(expected) (diff \(abs(actual - expected)))", sourceLocation: sourceLocation)
  }

  @Test func scikitLearnAdjustedRandExamples() throws {
    expectClose(try adjustedRandIndex([0, 0, 1, 1], [0, 0, 1, 1]), 1)
    expectClose(try adjustedRandIndex([0, 0, 1, 1], [1, 1, 0, 0]), 1)
    expectClose(try adjustedRandIndex([0, 0, 1, 2], [0, 0, 1, 1]), 4.0 / 7)  // 0.5714…
    expectClose(try adjustedRandIndex([0, 0, 1, 1], [0, 0, 1, 2]), 4.0 / 7)
    expectClose(try adjustedRandIndex([0, 0, 0, 0], [0, 1, 2, 3]), 0)
    expectClose(try adjustedRandIndex([0, 0, 1, 1], [0, 1, 0, 1]), -0.5)
  }

  @Test func scikitLearnMutualInformationExamples() throws {
    expectClose(try normalizedMutualInformation([0, 0, 1, 1], [0, 0, 1, 1]), 1)
    expectClose(try normalizedMutualInformation([0, 0, 1, 1], [1, 1, 0, 0]), 1)
    expectClose(try normalizedMutualInformation([0, 0, 0, 0], [0, 1, 2, 3]), 0)
  }

  /// The user guide's example, labels [0,0,0,1,1,1] against [0,0,1,1,2,2], by hand:
  /// table [[2,1,0],[0,1,2]].
  @Test func userGuideExampleByHand() throws {
    let labels: [Int32] = [0, 0, 0, 1, 1, 1]
    let clusters: [Int32] = [0, 0, 1, 1, 2, 2]
    // ARI: Σ C(nij,2) = 2, Σ C(ai,2) = 6, Σ C(bj,2) = 3, C(6,2) = 15, expected 6·3/15 = 1.2,
    // maximum (6 + 3)/2 = 4.5: (2 − 1.2) / (4.5 − 1.2) = 8/33 (0.2424…, as the guide prints).
    expectClose(try adjustedRandIndex(labels, clusters), 8.0 / 33)
    // MI = 2 · (1/3) log((1/3) / (1/2 · 1/3)) = (2/3) log 2; H(labels) = log 2, H(clusters) = log 3.
    expectClose(try normalizedMutualInformation(labels, clusters), (2.0 / 3) * log(2.0) / ((log(2.0) + log(3.0)) / 2))
    // ACC: 0 → cluster 0 (2 records), 1 → cluster 2 (2 records); cluster 1 unmatched.
    expectClose(try clusteringAccuracy(labels, clusters), 4.0 / 6)
    // Purity: majorities 2, 1, 2.
    expectClose(try purity(labels, clusters), 5.0 / 6)
  }

  @Test func perfectClusteringUnderAnyNamesScoresOne() throws {
    let labels: [Int32] = [0, 0, 1, 1, 1, 2, 2, 3]
    let clusters: [Int32] = [7, 7, 2, 2, 2, 0, 0, 5]
    for score in [adjustedRandIndex, normalizedMutualInformation, purity, clusteringAccuracy] {
      expectClose(try score(labels, clusters), 1)
    }
  }

  @Test func constantClustering() throws {
    let labels: [Int32] = [0, 0, 1, 1, 2, 2]
    let clusters = [Int32](repeating: 4, count: 6)
    expectClose(try adjustedRandIndex(labels, clusters), 0)
    expectClose(try normalizedMutualInformation(labels, clusters), 0)
    expectClose(try clusteringAccuracy(labels, clusters), 2.0 / 6)
    expectClose(try purity(labels, clusters), 2.0 / 6)
    // Both constant: a perfect match (scikit-learn's special case), and so are all-singletons.
    expectClose(try normalizedMutualInformation([3, 3, 3], [1, 1, 1]), 1)
    expectClose(try adjustedRandIndex([3, 3, 3], [1, 1, 1]), 1)
    expectClose(try normalizedMutualInformation([0, 1, 2, 3], [3, 2, 1, 0]), 1)
    expectClose(try adjustedRandIndex([0, 1, 2, 3], [3, 2, 1, 0]), 1)
  }

  @Test func moreClustersThanLabels() throws {
    // Hungarian matching leaves clusters 1 and 3 unmatched: their records count as wrong.
    let labels: [Int32] = [0, 0, 0, 1, 1, 1]
    let clusters: [Int32] = [0, 0, 1, 2, 2, 3]
    expectClose(try clusteringAccuracy(labels, clusters), 4.0 / 6)
    expectClose(try purity(labels, clusters), 1)
  }

  @Test func fewerClustersThanLabels() throws {
    // Label 2 has no cluster left; its records count as wrong.
    let labels: [Int32] = [0, 0, 1, 1, 2, 2]
    let clusters: [Int32] = [0, 0, 1, 1, 1, 1]
    expectClose(try clusteringAccuracy(labels, clusters), 4.0 / 6)
    let scores = try ClusteringScores(labels: labels, clusters: clusters)
    #expect(scores.matching == [0, 1, -1])
    #expect(scores.precision(2) == 0 && scores.recall(2) == 0)
    expectClose(scores.precision(1), 0.5)
    expectClose(scores.recall(1), 1)
  }

  @Test func unknownLabelsAreSkippedAndUnassignedRecordsAreWrong() throws {
    let scores = try ClusteringScores(labels: [0, 0, 1, 1, -1, -1], clusters: [0, -1, 1, 1, 0, 1])
    #expect(scores.scored == 4 && scores.skipped == 2 && scores.unassigned == 1)
    #expect(scores.clusterCount == 2)
    expectClose(scores.accuracy, 3.0 / 4)
    expectClose(scores.purity, 3.0 / 4)
    // For NMI and ARI, cluster −1 is a group of its own: the same as naming it 9.
    expectClose(scores.normalizedMutualInformation, try normalizedMutualInformation([0, 0, 1, 1], [0, 9, 1, 1]))
    expectClose(scores.adjustedRandIndex, try adjustedRandIndex([0, 0, 1, 1], [0, 9, 1, 1]))
    // The unassigned column comes last in the confusion matrix.
    #expect(scores.columnOrder.map { scores.table.clusters[$0] } == [0, 1, -1])
  }

  @Test func scoresDoNotDependOnNamesOrOrder() throws {
    var generator = SplitMix64(seed: 7)
    let labels = (0..<500).map { _ in Int32(generator.next() % 6) }
    let clusters = labels.map { label in generator.next() % 4 == 0 ? Int32(generator.next() % 8) : (label * 3) % 8 }
    let renameLabels: [Int32] = [40, 3, 17, 0, 9, 1]
    let renameClusters: [Int32] = [5, 6, 7, 0, 1, 2, 3, 4]
    let renamedLabels = labels.map { renameLabels[Int($0)] }
    let renamedClusters = clusters.map { renameClusters[Int($0)] }
    let order = (0..<500).map { ($0 * 263) % 500 }  // a permutation: 263 is prime to 500
    for score in [adjustedRandIndex, normalizedMutualInformation, purity, clusteringAccuracy] {
      let original = try score(labels, clusters)
      expectClose(try score(renamedLabels, renamedClusters), original)
      expectClose(try score(order.map { labels[$0] }, order.map { clusters[$0] }), original)
    }
    // NMI and ARI are symmetric.
    expectClose(try adjustedRandIndex(clusters, labels), try adjustedRandIndex(labels, clusters))
    expectClose(try normalizedMutualInformation(clusters, labels), try normalizedMutualInformation(labels, clusters))
  }

  @Test func contingencyCountsAndSparseValues() throws {
    let table = try Contingency(labels: [1_000_000, 0, 0, -1], clusters: [5, 5, 2_000_000_000, 5])
    #expect(table.labels == [-1, 0, 1_000_000] && table.clusters == [5, 2_000_000_000])
    #expect(table.counts == [1, 0, 1, 1, 1, 0])
    #expect(table.labelCounts == [1, 2, 1] && table.clusterCounts == [3, 1] && table.total == 4)
  }

  @Test func emptyInput() throws {
    let table = try Contingency(labels: [], clusters: [])
    #expect(table.total == 0 && table.accuracy == 0 && table.purity == 0)
    #expect(table.normalizedMutualInformation == 1 && table.adjustedRandIndex == 1)
  }
}

extension SplitMix64 {
  /// Uniform in [-1, 1), for test data.
  mutating func nextFloat() -> Float { Float(Int64(bitPattern: next()) >> 40) / Float(1 << 23) }
}
