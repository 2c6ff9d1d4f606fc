import Foundation
import Shared
import Testing
import ToolRunner

@testable import score

/// The built `score` run end to end on streams written here: exit codes, JSON keys and
/// values, the table, and one-line errors for streams it cannot score.
@Suite struct ScoreToolTests {
  /// Writes a stream to a fresh file in `folder` and returns its path.
  func writeStream(
    _ folder: URL, _ name: String, fields: RecordFields, dimension: Int? = nil, labels: [Int32], clusters: [Int32]? = nil,
    splits: [Split]? = nil, values: [Float]? = nil, classes: [String]? = nil
  ) throws -> String {
    var metadata = Metadata()
    metadata.classes = classes
    let schema = dimension.map { StreamSchema(elementType: .f32, layout: .vector, dims: [$0], fields: fields, metadata: metadata) }
      ?? StreamSchema(elementType: .u8, layout: .none, dims: [], fields: fields, metadata: metadata)
    let path = folder.appendingPathComponent(name).path
    let file = try AtomicFileOutput(path: path)
    let writer = try StreamWriter(file, schema: schema)
    for r in 0..<labels.count {
      let payload = values.map { Array($0[r * dimension!..<(r + 1) * dimension!]) } ?? []
      try payload.withUnsafeBytes { bytes in
        try writer.append(id: Int64(r), label: labels[r], split: splits?[r], cluster: clusters?[r] ?? -1, payload: bytes)
      }
    }
    try writer.finish()
    try file.commit()
    return path
  }

  /// Runs score and checks the exit status and stderr: one line for bad data, the
  /// message with ArgumentParser's usage lines for a bad command line (64).
  func expectFailure(_ arguments: [String], status: Int32, _ expected: String..., sourceLocation: SourceLocation = #_sourceLocation) throws {
    let result = try ToolRunner.run("score", arguments)
    #expect(result.status == status, "score \(arguments): \(result.stderr)", sourceLocation: sourceLocation)
    if status != 64 {
      #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)", sourceLocation: sourceLocation)
    }
    for text in expected { #expect(result.stderr.contains(text), "\(result.stderr) lacks \(text)", sourceLocation: sourceLocation) }
  }

  @Test func clusteringScoresAsJSONAndTable() throws {
    let folder = try ToolRunner.temporaryFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    let reference = try ReferenceTests.load().clusterings[3]  // with label -1 and cluster -1
    let path = try writeStream(folder, "c.us", fields: .cluster, labels: reference.labels, clusters: reference.clusters)
    let result = try ToolRunner.run("score", [path, "--json", "-q"])
    #expect(result.status == 0 && result.stderr.isEmpty, "\(result.stderr)")
    let json = result.stdout.jsonObject
    #expect(json["n"] as? Int == reference.n && json["skipped"] as? Int == reference.skipped)
    #expect(json["unassigned"] as? Int == reference.unassigned)
    for (key, expected) in [("acc", reference.acc), ("nmi", reference.nmi), ("ari", reference.ari), ("purity", reference.purity)] {
      let value = json[key] as? Double ?? .nan
      #expect(abs(value - expected) < 1e-12, "\(key): \(value), scikit-learn \(expected)")
    }
    let confusion = json["confusion"] as? [String: Any]
    #expect((confusion?["clusters"] as? [Int])?.last == -1)
    #expect((json["per_class"] as? [Any])?.count == 4)

    // The same through stdin, as a table, by the explicit subcommand.
    let table = try ToolRunner.shell("score clusters < \"$0\"", [path])
    let text = String(decoding: table.stdout, as: UTF8.self)
    #expect(table.status == 0, "\(table.stderr)")
    #expect(text.contains("ACC") && text.contains(String(format: "%.4f", reference.acc)), "\(text)")
    #expect(text.contains("\(reference.skipped) skipped (label -1), \(reference.unassigned) unassigned (cluster -1)"), "\(text)")
    #expect(table.stderr.hasPrefix("score: scored \(reference.n) of \(reference.labels.count) records"), "\(table.stderr)")
  }

  @Test func splitSelectsRecordsAndClassNamesAppear() throws {
    let folder = try ToolRunner.temporaryFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    // Train records cluster perfectly, test records not at all.
    let path = try writeStream(
      folder, "c.us", fields: [.cluster, .split], labels: [0, 0, 1, 1, 0, 0, 1, 1], clusters: [5, 5, 6, 6, 5, 6, 5, 6],
      splits: [.train, .train, .train, .train, .test, .test, .test, .test], classes: ["cat", "dog"])
    let train = try ToolRunner.run("score", [path, "--split", "train", "--json"]).stdout.jsonObject
    #expect(train["acc"] as? Double == 1 && train["n"] as? Int == 4)
    let test = try ToolRunner.run("score", [path, "--split", "test", "--json"]).stdout.jsonObject
    #expect(test["acc"] as? Double == 0.5 && test["ari"] as? Double ?? 1 < 0)
    let text = String(decoding: try ToolRunner.run("score", [path, "-q"]).stdout, as: UTF8.self)
    #expect(text.contains("0 cat") && text.contains("1 dog"), "\(text)")
  }

  /// The fixture's embeddings with train and test splits, and a few records that must be
  /// left out (label −1, split unlabeled).
  func probeStream(_ folder: URL) throws -> String {
    let probe = try ReferenceTests.load().probe
    let d = probe.dimension
    var labels = probe.train_y + probe.test_y
    var splits = [Split](repeating: .train, count: probe.train_y.count) + [Split](repeating: .test, count: probe.test_y.count)
    var values = probe.train_x + probe.test_x
    for (label, split) in [(Int32(-1), Split.train), (-1, .test), (2, .unlabeled)] {
      labels.append(label)
      splits.append(split)
      values += [Float](repeating: 0.5, count: d)
    }
    return try writeStream(folder, "e.us", fields: .split, dimension: d, labels: labels, splits: splits, values: values)
  }

  @Test func knnAndLinearProbesMatchTheFixture() throws {
    let folder = try ToolRunner.temporaryFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    let probe = try ReferenceTests.load().probe
    let path = try probeStream(folder)
    for reference in probe.knn {
      let result = try ToolRunner.run("score", ["knn", path, "-k", "\(reference.k)", "--temperature", "\(reference.temperature)", "--json"])
      #expect(result.status == 0, "\(result.stderr)")
      let json = result.stdout.jsonObject
      #expect(json["accuracy"] as? Double == reference.accuracy, "\(json)")
      #expect(json["n_train"] as? Int == probe.train_y.count && json["n_test"] as? Int == probe.test_y.count)
      #expect(json["k"] as? Int == reference.k && json["skipped"] as? Int == 3)
    }
    for reference in probe.linear {
      let result = try ToolRunner.run("score", ["linear", path, "--c", "\(reference.C)", "--tol", "1e-5", "--json"])
      #expect(result.status == 0, "\(result.stderr)")
      let json = result.stdout.jsonObject
      #expect(json["accuracy"] as? Double == reference.accuracy, "\(json)")
      #expect(json["converged"] as? Bool == true && json["classes"] as? Int == probe.classes)
      #expect(abs((json["objective"] as? Double ?? 0) - reference.objective) < 1e-6, "\(json)")
    }
    // k above the number of train records uses them all, and says so.
    let all = try ToolRunner.run("score", ["knn", path, "-k", "100000", "-q"])
    #expect(all.status == 0 && String(decoding: all.stdout, as: UTF8.self).contains("k = \(probe.train_y.count) (all the train records)"))
  }

  /// --labels keeps as many train records of each class as can be: with 3 classes of 5
  /// train records each, --labels 7 keeps 3, 2 and 2; the draw follows --seed only.
  @Test func fewLabelsAreDrawnPerClass() throws {
    let folder = try ToolRunner.temporaryFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    let labels: [Int32] = (0..<15).map { Int32($0 % 3) } + [0, 1, 2]
    let splits: [Split] = Array(repeating: .train, count: 15) + [.test, .test, .test]
    // Class c points along its own direction (kNN compares angles), each record a little
    // off it; the test records point exactly along their class's.
    let directions: [[Float]] = [[1, 0], [0, 1], [-1, 0]]
    let values: [Float] = (0..<15).flatMap { r in directions[r % 3].map { $0 + Float(r) / 100 } } + directions.flatMap { $0 }
    let path = try writeStream(folder, "p.us", fields: .split, dimension: 2, labels: labels, splits: splits, values: values)
    var draws: Set<String> = []
    for seed in [1, 2, 3, 1] {
      let result = try ToolRunner.run("score", ["knn", path, "-k", "1", "--labels", "7", "--seed", "\(seed)", "--json"])
      #expect(result.status == 0, "\(result.stderr)")
      let json = result.stdout.jsonObject
      #expect(json["n_train"] as? Int == 7 && json["accuracy"] as? Double == 1, "\(json)")
      let linear = try ToolRunner.run("score", ["linear", path, "--labels", "7", "--seed", "\(seed)", "--json"])
      #expect(linear.stdout.jsonObject["n_train"] as? Int == 7, "\(linear.stderr)")
      draws.insert(String(decoding: linear.stdout, as: UTF8.self))
    }
    // Seeds 1, 2 and 3 draw differently (the fitted objective tells), seed 1 twice alike.
    #expect(draws.count == 3)
    var data = try ProbeData(reading: StreamReader(path: path))
    try data.keepTrainLabels(7, seed: 1)
    #expect((0..<3).map { c in data.trainClasses.filter { $0 == c }.count } == [3, 2, 2])
    // Class 0 has 2 train records, the others 6: 9 labels would need 3 of each.
    let unbalanced: [Int32] = [0, 0, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 0, 1, 2]
    let short = try writeStream(
      folder, "q.us", fields: .split, dimension: 2, labels: unbalanced, splits: Array(repeating: .train, count: 14) + [.test, .test, .test],
      values: unbalanced.flatMap { directions[Int($0)] })
    var shortData = try ProbeData(reading: StreamReader(path: short))
    #expect(throws: Failure.self) { try shortData.keepTrainLabels(9, seed: 1) }
    try expectFailure(["linear", short, "--labels", "9"], status: 64, "class 0 has 2 train records, fewer than the 3 wanted")
    try expectFailure(["linear", path, "--labels", "2"], status: 64, "--labels 2 is fewer than the 3 classes")
    try expectFailure(["knn", path, "--labels", "16"], status: 64, "--labels 16 is more than the 15 labelled train records")
  }

  @Test func streamsThatCannotBeScoredAreRefused() throws {
    let folder = try ToolRunner.temporaryFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    let noCluster = try writeStream(folder, "a.us", fields: [], labels: [0, 1])
    try expectFailure([noCluster], status: 65, "a.us: the stream has no cluster field", "run cluster first")
    let unlabelled = try writeStream(folder, "b.us", fields: .cluster, labels: [-1, -1], clusters: [0, 1])
    try expectFailure([unlabelled], status: 65, "b.us: no record has a label")
    try expectFailure([unlabelled, "--split", "test"], status: 65, "--split test, but the stream has no split field")
    let badLabel = try writeStream(folder, "c.us", fields: .cluster, labels: [0, -4], clusters: [0, 1])
    try expectFailure([badLabel], status: 65, "record id 1 has label -4")

    let noSplit = try writeStream(folder, "d.us", fields: [], dimension: 2, labels: [0, 1], values: [1, 2, 3, 4])
    try expectFailure(["knn", noSplit], status: 65, "d.us: the stream has no split field")
    try expectFailure(["linear", noSplit], status: 65, "d.us: the stream has no split field")
    let small = try writeStream(folder, "e.us", fields: .split, dimension: 2, labels: [0, 1, 1], splits: [.train, .train, .test], values: [1, 2, 3, 4, 5, 6])
    #expect(try ToolRunner.run("score", ["knn", small, "-q"]).status == 0)
    let onlyTrain = try writeStream(folder, "f.us", fields: .split, dimension: 2, labels: [0, 1, -1], splits: [.train, .train, .test], values: [1, 2, 3, 4, 5, 6])
    try expectFailure(["linear", onlyTrain], status: 65, "f.us: no labelled record of split test to score")
    let noTrain = try writeStream(folder, "g.us", fields: .split, dimension: 2, labels: [0, 1], splits: [.test, .unlabeled], values: [1, 2, 3, 4])
    try expectFailure(["knn", noTrain], status: 65, "g.us: no labelled record of split train to fit on")
    let noPayload = try writeStream(folder, "h.us", fields: .split, labels: [0, 1], splits: [.train, .test])
    try expectFailure(["knn", noPayload], status: 65, "h.us: records carry no values")
    let nonFinite = try writeStream(folder, "i.us", fields: .split, dimension: 2, labels: [0, 1], splits: [.train, .test], values: [1, .nan, 3, 4])
    try expectFailure(["linear", nonFinite], status: 65, "record id 0 has a value that is not finite")

    try expectFailure(["/nonexistent/s.us"], status: 66, "/nonexistent/s.us")
    try expectFailure(["knn", small, "-k", "0"], status: 64, "-k must be at least 1")
    try expectFailure(["linear", small, "--c=-1"], status: 64, "--c must be a positive number")
  }

  @Test func helpListsTheSubcommands() throws {
    let result = try ToolRunner.run("score", ["--help"])
    let text = String(decoding: result.stdout, as: UTF8.self)
    #expect(result.status == 0)
    for subcommand in ["clusters (default)", "knn", "linear"] { #expect(text.contains(subcommand), "\(text)") }
  }
}
