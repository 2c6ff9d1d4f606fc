import ArgumentParser
import Shared

/// Rows of float features that a kernel copies out in blocks, so that no kernel needs all
/// of them as Float at once.
protocol RowBlocks {
  var count: Int { get }
  var dimension: Int { get }
  /// Copies rows `rows` into `out` (rows.count × dimension values, row-major).
  func copy(_ rows: Range<Int>, into out: UnsafeMutableBufferPointer<Float>)
}

/// Rows held as one Float array (the tests' rows).
struct DenseRows: RowBlocks {
  let values: [Float]
  let dimension: Int
  var count: Int { dimension == 0 ? 0 : values.count / dimension }

  func copy(_ rows: Range<Int>, into out: UnsafeMutableBufferPointer<Float>) {
    let range = rows.lowerBound * dimension..<rows.upperBound * dimension
    values.withUnsafeBufferPointer { values in
      _ = out.initialize(from: UnsafeBufferPointer(rebasing: values[range]))
    }
  }
}

/// Some records of a stream (their indices in `rows`), converted to Float as they are
/// copied out: runs of consecutive records go through `FeatureMatrix.floatRows` at once.
final class GatheredRows: RowBlocks {
  let features: FeatureMatrix
  let rows: [Int]
  private var scratch: [Float] = []

  init(_ features: FeatureMatrix, rows: [Int]) {
    self.features = features
    self.rows = rows
  }

  var count: Int { rows.count }
  var dimension: Int { features.dimension }

  func copy(_ selected: Range<Int>, into out: UnsafeMutableBufferPointer<Float>) {
    let d = dimension
    var position = selected.lowerBound
    while position < selected.upperBound {
      var end = position + 1
      while end < selected.upperBound && rows[end] == rows[end - 1] + 1 { end += 1 }
      let first = rows[position]
      let destination = (position - selected.lowerBound) * d
      features.floatRows(first..<first + (end - position), scratch: &scratch) { values in
        _ = UnsafeMutableBufferPointer(rebasing: out[destination..<destination + values.count]).initialize(from: values)
      }
      position = end
    }
  }
}

/// The train and test records of an embedding stream, for `score knn` and `score linear`:
/// records of split train (0) with a label are fitted on, records of split test (1) with
/// a label are scored. Labels are numbered by the classes seen in train.
struct ProbeData {
  let name: String
  let features: FeatureMatrix
  /// Record indices of the train and test records.
  private(set) var trainRows: [Int]
  let testRows: [Int]
  /// The label values seen in train, sorted: class c is label `classes[c]`.
  let classes: [Int32]
  /// Class of each train record, and of each test record (−1 for a label never seen in train).
  private(set) var trainClasses: [Int32]
  let testClasses: [Int32]
  /// Train and test records left out because their label is −1.
  let unlabelled: Int
  /// Records of other splits (unlabeled).
  let otherSplits: Int

  /// Reads every record of `reader` and checks that there is something to fit and score.
  init(reading reader: StreamReader) throws {
    name = reader.input.name
    let schema = reader.schema
    guard schema.fields.contains(.split) else {
      throw Failure(
        "\(name): the stream has no split field; knn and linear fit on the records of split train and score those of split test")
    }
    features = try FeatureMatrix(reading: reader)
    let records = features.records
    var trainRows: [Int] = []
    var testRows: [Int] = []
    var unlabelled = 0
    var otherSplits = 0
    let splits = records.splits!
    for r in 0..<records.count {
      let label = records.labels[r]
      guard label >= -1 else {
        throw Failure("\(name): record id \(records.ids[r]) has label \(label); labels are classes 0, 1, … or -1 (unknown)")
      }
      switch Split(rawValue: splits[r]) {
      case .train?, .test?:
        if label == -1 {
          unlabelled += 1
        } else if splits[r] == Split.train.rawValue {
          trainRows.append(r)
        } else {
          testRows.append(r)
        }
      default: otherSplits += 1
      }
    }
    guard !trainRows.isEmpty || !testRows.isEmpty else {
      throw Failure("\(name): no record of split train or test has a label (\(records.count) records, \(unlabelled) with label -1), so there is nothing to score")
    }
    guard !trainRows.isEmpty else { throw Failure("\(name): no labelled record of split train to fit on") }
    guard !testRows.isEmpty else { throw Failure("\(name): no labelled record of split test to score") }
    if let bad = features.firstNonFiniteRow() {
      throw Failure("\(name): record id \(records.ids[bad]) has a value that is not finite (NaN or infinity)")
    }
    let trainLabels = trainRows.map { records.labels[$0] }
    let codebook = Codebook(trainLabels)
    let classOf = Dictionary(uniqueKeysWithValues: codebook.values.enumerated().map { ($0.element, Int32($0.offset)) })
    classes = codebook.values
    trainClasses = codebook.codes
    testClasses = testRows.map { classOf[records.labels[$0]] ?? -1 }
    self.trainRows = trainRows
    self.testRows = testRows
    self.unlabelled = unlabelled
    self.otherSplits = otherSplits
  }

  /// Keeps `count` of the labelled train records, count / classes of each class (the first
  /// classes take the remainder), drawn with `seed`: a probe with few labels.
  mutating func keepTrainLabels(_ count: Int, seed: UInt64) throws {
    let classCount = classes.count
    guard count >= classCount else {
      throw Failure("--labels \(count) is fewer than the \(classCount) classes of \(name)'s train records: a probe needs one of each", exitCode: ExitStatus.usage)
    }
    guard count <= trainRows.count else {
      throw Failure("--labels \(count) is more than the \(trainRows.count) labelled train records of \(name)", exitCode: ExitStatus.usage)
    }
    var byClass = [[Int]](repeating: [], count: classCount)
    for (i, c) in trainClasses.enumerated() { byClass[Int(c)].append(i) }
    var rng = SplitMix64(seed: seed)
    var kept: [Int] = []
    for c in 0..<classCount {
      let wanted = count / classCount + (c < count % classCount ? 1 : 0)
      guard byClass[c].count >= wanted else {
        throw Failure("--labels \(count): class \(classes[c]) has \(byClass[c].count) train records, fewer than the \(wanted) wanted of each class", exitCode: ExitStatus.usage)
      }
      rng.shuffle(&byClass[c])
      kept += byClass[c].prefix(wanted)
    }
    kept.sort()
    trainRows = kept.map { trainRows[$0] }
    trainClasses = kept.map { trainClasses[$0] }
  }

  var train: GatheredRows { GatheredRows(features, rows: trainRows) }
  var test: GatheredRows { GatheredRows(features, rows: testRows) }

  /// What was left out, for the reports.
  var skippedText: String {
    "\(unlabelled) with label -1" + (otherSplits > 0 ? ", \(otherSplits) of split unlabeled" : "")
  }
}

/// `--labels` and `--seed` of the probes: fit on a few labels only.
struct LabelOptions: ParsableArguments {
  @Option(help: ArgumentHelp("Fit on N of the labelled train records only: N / classes of each class (the first classes take the remainder; a class with fewer is an error), drawn with --seed. A few-label probe; default: all.", valueName: "n"))
  var labels: Int?

  @Option(help: "Seed for the draw of --labels.")
  var seed: UInt64 = 0

  /// The probe data of `reader`, with only the labels asked for.
  func data(_ reader: StreamReader) throws -> ProbeData {
    var data = try ProbeData(reading: reader)
    if let labels { try data.keepTrainLabels(labels, seed: seed) }
    return data
  }
}
