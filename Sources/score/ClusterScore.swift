import ArgumentParser
import Shared

/// `score clusters` (the default): how well the cluster field matches the labels.
struct ClusterScore: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "clusters",
    abstract: "Score the cluster field against the labels: ACC, NMI, ARI, purity, the confusion matrix.",
    discussion: """
      ACC matches clusters to labels one-to-one (Hungarian algorithm) to agree on the most \
      records; with more clusters than labels the extra clusters, and with fewer the labels \
      left over, count as wrong. NMI uses the arithmetic mean of the two entropies \
      (scikit-learn's default). Purity gives each cluster its majority label. \
      Records with label -1 are left out and counted. Records with cluster -1 \
      (unassigned) are wrong for ACC and purity and form a group of their own for NMI and \
      ARI; they are counted too. The stream is read in one pass, keeping only labels and \
      clusters (8 bytes a record, and as much again while scoring).
      """)

  @OptionGroup var options: ReportOptions

  @Option(help: "Score only the records of this split: train, test, unlabeled, or all.")
  var split: SplitSelection = .all

  func run() throws {
    let progress = ProgressLine(tool: "score", quiet: options.quiet)
    let reader = try options.openReader()
    let name = reader.input.name
    guard reader.schema.fields.contains(.cluster) else {
      throw Failure("\(name): the stream has no cluster field; score compares clusters with labels (run cluster first)")
    }
    let wanted = split.split
    if wanted != nil && !reader.schema.fields.contains(.split) {
      throw Failure("\(name): --split \(split.rawValue), but the stream has no split field")
    }
    var labels: [Int32] = []
    var clusters: [Int32] = []
    var records = 0
    while let batch = try reader.next() {
      for r in 0..<batch.count {
        if let wanted, batch.splits![r] != wanted.rawValue { continue }
        let (label, cluster) = (batch.labels[r], batch.clusters![r])
        guard label >= -1 else { throw Failure("\(name): record id \(batch.ids[r]) has label \(label); labels are classes 0, 1, … or -1 (unknown)") }
        guard cluster >= -1 else { throw Failure("\(name): record id \(batch.ids[r]) has cluster \(cluster); clusters are 0, 1, … or -1 (unassigned)") }
        labels.append(label)
        clusters.append(cluster)
      }
      records += batch.count
    }
    guard !labels.isEmpty else {
      throw Failure(wanted == nil ? "\(name): no records to score" : "\(name): no records of split \(split.rawValue) to score")
    }
    let scores: ClusteringScores
    do {
      scores = try ClusteringScores(labels: labels, clusters: clusters)
    } catch let failure as Failure {
      throw Failure("\(name): \(failure)", exitCode: failure.exitCode)
    }
    guard scores.scored > 0 else {
      throw Failure("\(name): no record has a label (all \(labels.count) are -1), so there is nothing to score against")
    }
    let classNames = reader.schema.metadata.classes
    try options.printReport(lines: scores.textLines(name: name, classNames: classNames), object: scores.json(name: name, classNames: classNames))
    progress.finish("scored \(scores.scored) of \(records) records: ACC \(decimal(scores.accuracy))")
  }
}

/// `--split` for `score clusters`.
enum SplitSelection: String, ExpressibleByArgument, CaseIterable {
  case train, test, unlabeled, all

  var split: Split? {
    switch self {
    case .train: return .train
    case .test: return .test
    case .unlabeled: return .unlabeled
    case .all: return nil
    }
  }
}

extension ClusteringScores {
  /// The report as a table.
  func textLines(name: String, classNames: [String]?) -> [String] {
    let table = self.table
    var lines = fieldLines([
      ["stream", name],
      ["records", "\(scored) scored, \(skipped) skipped (label -1), \(unassigned) unassigned (cluster -1)"],
      ["labels", "\(table.labels.count)"],
      ["clusters", "\(clusterCount)" + (unassigned > 0 ? " (and -1, unassigned)" : "")],
      ["ACC", decimal(accuracy) + "  (best one-to-one matching)"],
      ["NMI", decimal(normalizedMutualInformation) + "  (arithmetic)"],
      ["ARI", decimal(adjustedRandIndex)],
      ["purity", decimal(purity)],
    ])
    let order = columnOrder
    lines.append("")
    lines.append("confusion: a row per label, a column per cluster, in matched order")
    var confusion = [["label"] + order.map { "\(table.clusters[$0])" }]
    for row in 0..<table.labels.count {
      confusion.append([labelName(table.labels[row], classes: classNames)] + order.map { "\(table.count(row, $0))" })
    }
    lines += tableLines(confusion)
    lines.append("")
    var perClass = [["label", "cluster", "records", "precision", "recall"]]
    for row in 0..<table.labels.count {
      perClass.append([
        labelName(table.labels[row], classes: classNames), matching[row] >= 0 ? "\(table.clusters[matching[row]])" : "none",
        "\(table.labelCounts[row])", decimal(precision(row)), decimal(recall(row)),
      ])
    }
    lines += tableLines(perClass)
    return lines
  }

  /// The report as one JSON object.
  func json(name: String, classNames: [String]?) -> [String: JSONValue] {
    let table = self.table
    let order = columnOrder
    let perClass: [JSONValue] = (0..<table.labels.count).map { row in
      var entry: [String: JSONValue] = [
        "label": .integer(Int(table.labels[row])),
        "cluster": matching[row] >= 0 ? .integer(Int(table.clusters[matching[row]])) : .null,
        "count": .integer(table.labelCounts[row]),
        "precision": .number(precision(row)),
        "recall": .number(recall(row)),
      ]
      let label = Int(table.labels[row])
      if let classNames, label < classNames.count { entry["name"] = .string(classNames[label]) }
      return .object(entry)
    }
    return [
      "stream": .string(name),
      "acc": .number(accuracy),
      "nmi": .number(normalizedMutualInformation),
      "ari": .number(adjustedRandIndex),
      "purity": .number(purity),
      "n": .integer(scored),
      "skipped": .integer(skipped),
      "unassigned": .integer(unassigned),
      "labels": .integer(table.labels.count),
      "clusters": .integer(clusterCount),
      "confusion": .object([
        "labels": .array(table.labels.map { .integer(Int($0)) }),
        "clusters": .array(order.map { .integer(Int(table.clusters[$0])) }),
        "counts": .array((0..<table.labels.count).map { row in .array(order.map { .integer(table.count(row, $0)) }) }),
      ]),
      "per_class": .array(perClass),
    ]
  }
}
