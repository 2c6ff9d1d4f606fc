import Foundation
import Shared

/// Dense codes 0..<m for a column of Int32 values (labels or clusters), numbered in
/// increasing order of value, so that tables and reports come out sorted.
struct Codebook {
  /// The distinct values, sorted: code c stands for `values[c]`.
  let values: [Int32]
  /// The code of each input value.
  let codes: [Int32]

  init(_ input: [Int32]) {
    guard let low = input.min(), let high = input.max() else {
      values = []
      codes = []
      return
    }
    let span = Int(high) - Int(low) + 1
    if span <= max(1 << 16, 2 * input.count) {
      // Values in a narrow range (the usual case): a lookup table, O(n + span).
      var table = [Int32](repeating: -1, count: span)
      input.withUnsafeBufferPointer { input in
        for value in input { table[Int(value) - Int(low)] = 0 }
      }
      var values: [Int32] = []
      for offset in 0..<span where table[offset] == 0 {
        table[offset] = Int32(values.count)
        values.append(Int32(Int(low) + offset))
      }
      self.values = values
      codes = input.map { table[Int($0) - Int(low)] }
    } else {
      let values = Set(input).sorted()
      let code = Dictionary(uniqueKeysWithValues: values.enumerated().map { ($0.element, Int32($0.offset)) })
      self.values = values
      codes = input.map { code[$0]! }
    }
  }
}

/// The contingency table of two partitions of the same records: counts[i·K + j] records
/// have label `labels[i]` and cluster `clusters[j]` (C rows, K columns), made by counting
/// in one pass over the records. Every score below is computed from the table, in
/// O(C·K), never from the n records again.
///
/// Any value is a group of its own here, −1 included. The scores that match clusters to
/// labels (accuracy, purity) treat cluster −1 as "unassigned": its records count as wrong.
struct Contingency {
  /// Row i is the label `labels[i]`, sorted.
  let labels: [Int32]
  /// Column j is the cluster `clusters[j]`, sorted (so −1, when present, is column 0).
  let clusters: [Int32]
  /// (C, K) row-major.
  let counts: [Int]
  /// Records per label (row sums) and per cluster (column sums).
  let labelCounts: [Int]
  let clusterCounts: [Int]
  let total: Int

  /// The largest table made: 2^25 cells (256 MiB of counts).
  static let maxCells = 1 << 25
  /// The largest matching: the Hungarian algorithm takes about min(r, c)² · max(r, c)
  /// steps, so 2^33 (a few seconds) bounds it, e.g. 2,000 labels × 2,000 clusters.
  static let maxMatchingSteps = 1 << 33

  /// Counts the pairs (labels[r], clusters[r]) of every record r.
  init(labels labelColumn: [Int32], clusters clusterColumn: [Int32]) throws {
    precondition(labelColumn.count == clusterColumn.count, "one cluster per label")
    let labelCodes = Codebook(labelColumn)
    let clusterCodes = Codebook(clusterColumn)
    let (rows, columns) = (labelCodes.values.count, clusterCodes.values.count)
    let (cells, overflow) = rows.multipliedReportingOverflow(by: columns)
    guard !overflow && cells <= Self.maxCells else {
      throw Failure(
        "\(rows) labels × \(columns) clusters make a contingency table over the limit of \(Self.maxCells) cells")
    }
    let (small, large) = (min(rows, columns), max(rows, columns))
    guard small * small * large <= Self.maxMatchingSteps else {
      throw Failure("matching \(rows) labels to \(columns) clusters one to one would take too long (over \(Self.maxMatchingSteps) steps)")
    }
    var counts = [Int](repeating: 0, count: rows * columns)
    var labelCounts = [Int](repeating: 0, count: rows)
    var clusterCounts = [Int](repeating: 0, count: columns)
    counts.withUnsafeMutableBufferPointer { counts in
      labelCodes.codes.withUnsafeBufferPointer { rowOf in
        clusterCodes.codes.withUnsafeBufferPointer { columnOf in
          for r in 0..<rowOf.count {
            counts[Int(rowOf[r]) * columns + Int(columnOf[r])] += 1
          }
        }
      }
    }
    for i in 0..<rows {
      for j in 0..<columns {
        labelCounts[i] += counts[i * columns + j]
        clusterCounts[j] += counts[i * columns + j]
      }
    }
    labels = labelCodes.values
    clusters = clusterCodes.values
    self.counts = counts
    self.labelCounts = labelCounts
    self.clusterCounts = clusterCounts
    total = labelColumn.count
  }

  /// The column of the unassigned records (cluster −1), if any.
  var unassignedColumn: Int? { clusters.first == -1 ? 0 : nil }

  func count(_ row: Int, _ column: Int) -> Int { counts[row * clusters.count + column] }

  // MARK: Information

  /// Entropy in nats of a partition with these group sizes.
  static func entropy(_ sizes: [Int]) -> Double {
    let total = Double(sizes.reduce(0, +))
    guard total > 0 else { return 0 }
    var sum = 0.0
    for size in sizes where size > 0 {
      let p = Double(size) / total
      sum -= p * (log(Double(size)) - log(total))
    }
    return sum
  }

  /// Mutual information in nats, term by term as scikit-learn's `mutual_info_score`
  /// (terms below machine epsilon are dropped, the sum is clipped at 0), so the two agree
  /// to the last few bits.
  var mutualInformation: Double {
    guard labels.count > 1 && clusters.count > 1 else { return 0 }
    let n = Double(total)
    let logN = log(n)
    var sum = 0.0
    for i in 0..<labels.count {
      for j in 0..<clusters.count {
        let nij = counts[i * clusters.count + j]
        guard nij > 0 else { continue }
        let p = Double(nij) / n
        let outer = Double(labelCounts[i]) * Double(clusterCounts[j])
        let term = p * (log(Double(nij)) - logN) + p * (-log(outer) + logN + logN)
        if abs(term) >= Double.ulpOfOne { sum += term }
      }
    }
    return max(sum, 0)
  }

  /// NMI with the arithmetic mean of the two entropies as normaliser (scikit-learn's
  /// default): MI / ((H(labels) + H(clusters)) / 2). Both partitions a single group (or
  /// empty) is a perfect match, 1; otherwise no shared information is 0.
  var normalizedMutualInformation: Double {
    if labels.count == clusters.count && labels.count <= 1 { return 1 }
    let information = mutualInformation
    guard information > 0 else { return 0 }
    let normaliser = (Self.entropy(labelCounts) + Self.entropy(clusterCounts)) / 2
    return information / normaliser
  }

  /// ARI (Hubert and Arabie 1985) from the pair confusion matrix, as scikit-learn computes
  /// it: 2(tp·tn − fn·fp) / ((tp + fn)(fn + tn) + (tp + fp)(fp + tn)), with exact integer
  /// pair counts; 1 when no pair is split differently (including n ≤ 1).
  var adjustedRandIndex: Double {
    var sumSquares = 0
    for value in counts { sumSquares += value * value }
    let labelSquares = labelCounts.reduce(0) { $0 + $1 * $1 }
    let clusterSquares = clusterCounts.reduce(0) { $0 + $1 * $1 }
    // Ordered pairs of distinct records: same cluster and same label (tp), same cluster
    // only (fp), same label only (fn), neither (tn).
    let tp = Int128(sumSquares - total)
    let fp = Int128(clusterSquares - sumSquares)
    let fn = Int128(labelSquares - sumSquares)
    let tn = Int128(total) * Int128(total) - fp - fn - Int128(sumSquares)
    if fn == 0 && fp == 0 { return 1 }
    let numerator = 2 * (tp * tn - fn * fp)
    let denominator = (tp + fn) * (fn + tn) + (tp + fp) * (fp + tn)
    return Double(numerator) / Double(denominator)
  }

  // MARK: Matching clusters to labels

  /// Fraction of records in the majority label of their cluster; unassigned records
  /// (cluster −1) count as wrong.
  var purity: Double {
    guard total > 0 else { return 0 }
    var majority = 0
    for j in 0..<clusters.count where j != unassignedColumn {
      var best = 0
      for i in 0..<labels.count { best = max(best, counts[i * clusters.count + j]) }
      majority += best
    }
    return Double(majority) / Double(total)
  }

  /// The one-to-one matching of labels to clusters that agrees on the most records
  /// (Hungarian algorithm), as a column for each row or −1 for labels left without a
  /// cluster (when there are fewer clusters than labels). The unassigned column takes
  /// no part.
  var matching: [Int] {
    let assigned = (0..<clusters.count).filter { $0 != unassignedColumn }
    var weight = [Double](repeating: 0, count: labels.count * assigned.count)
    for i in 0..<labels.count {
      for (k, j) in assigned.enumerated() { weight[i * assigned.count + k] = Double(counts[i * clusters.count + j]) }
    }
    return Hungarian.maximumWeightAssignment(weight, rows: labels.count, columns: assigned.count).map { $0 < 0 ? -1 : assigned[$0] }
  }

  /// Clustering accuracy: the fraction of records whose cluster is matched to their label
  /// by `matching`. Unassigned records and clusters left unmatched count as wrong.
  var accuracy: Double { accuracy(matching: matching) }

  /// The accuracy of a given `matching` (a column or −1 for each row).
  func accuracy(matching: [Int]) -> Double {
    guard total > 0 else { return 0 }
    var agreed = 0
    for (i, j) in matching.enumerated() where j >= 0 { agreed += counts[i * clusters.count + j] }
    return Double(agreed) / Double(total)
  }
}

// MARK: The scores as plain functions of two columns (every value its own group)

/// NMI (arithmetic normalisation) of two partitions given as one value per record.
func normalizedMutualInformation(_ labels: [Int32], _ clusters: [Int32]) throws -> Double {
  try Contingency(labels: labels, clusters: clusters).normalizedMutualInformation
}

/// ARI of two partitions given as one value per record.
func adjustedRandIndex(_ labels: [Int32], _ clusters: [Int32]) throws -> Double {
  try Contingency(labels: labels, clusters: clusters).adjustedRandIndex
}

/// Purity; cluster −1 counts as wrong.
func purity(_ labels: [Int32], _ clusters: [Int32]) throws -> Double {
  try Contingency(labels: labels, clusters: clusters).purity
}

/// Clustering accuracy under the best one-to-one matching; cluster −1 counts as wrong.
func clusteringAccuracy(_ labels: [Int32], _ clusters: [Int32]) throws -> Double {
  try Contingency(labels: labels, clusters: clusters).accuracy
}
