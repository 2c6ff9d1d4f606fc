/// Everything `score` reports about how well clusters match labels.
///
/// Records with label −1 (unknown) are left out and counted in `skipped`. Records with
/// cluster −1 (unassigned) are scored: wrong for accuracy and purity, and a group of
/// their own for NMI and ARI, as any other value is (so a clustering that leaves records
/// out is not rewarded for it); `unassigned` counts them.
struct ClusteringScores {
  /// The table of the scored records (label ≥ 0).
  let table: Contingency
  /// Records left out because their label is −1.
  let skipped: Int
  /// Scored records whose cluster is −1.
  let unassigned: Int
  /// For each row (label) of `table`, its matched column (cluster), or −1.
  let matching: [Int]
  let accuracy: Double
  let normalizedMutualInformation: Double
  let adjustedRandIndex: Double
  let purity: Double

  /// labels, clusters: one of each per record.
  init(labels: [Int32], clusters: [Int32]) throws {
    precondition(labels.count == clusters.count, "one cluster per label")
    var keptLabels: [Int32] = []
    var keptClusters: [Int32] = []
    keptLabels.reserveCapacity(labels.count)
    keptClusters.reserveCapacity(labels.count)
    for r in 0..<labels.count where labels[r] != -1 {
      keptLabels.append(labels[r])
      keptClusters.append(clusters[r])
    }
    let table = try Contingency(labels: keptLabels, clusters: keptClusters)
    let matching = table.matching
    self.table = table
    self.matching = matching
    skipped = labels.count - keptLabels.count
    unassigned = table.unassignedColumn.map { table.clusterCounts[$0] } ?? 0
    accuracy = table.accuracy(matching: matching)
    normalizedMutualInformation = table.normalizedMutualInformation
    adjustedRandIndex = table.adjustedRandIndex
    purity = table.purity
  }

  /// Records scored.
  var scored: Int { table.total }

  /// Clusters other than −1.
  var clusterCount: Int { table.clusters.count - (table.unassignedColumn == nil ? 0 : 1) }

  /// The table's columns in matched order: the clusters matched to labels 0, 1, … in
  /// label order, then clusters left unmatched, then the unassigned column.
  var columnOrder: [Int] {
    let matched = matching.filter { $0 >= 0 }
    let matchedSet = Set(matched)
    let unmatched = (0..<table.clusters.count).filter { !matchedSet.contains($0) && $0 != table.unassignedColumn }
    return matched + unmatched + (table.unassignedColumn.map { [$0] } ?? [])
  }

  /// Of the records in label `row`'s matched cluster, the fraction that have that label
  /// (0 when the label has no cluster).
  func precision(_ row: Int) -> Double {
    let column = matching[row]
    guard column >= 0, table.clusterCounts[column] > 0 else { return 0 }
    return Double(table.count(row, column)) / Double(table.clusterCounts[column])
  }

  /// Of the records with label `row`, the fraction in its matched cluster.
  func recall(_ row: Int) -> Double {
    let column = matching[row]
    guard column >= 0, table.labelCounts[row] > 0 else { return 0 }
    return Double(table.count(row, column)) / Double(table.labelCounts[row])
  }
}
