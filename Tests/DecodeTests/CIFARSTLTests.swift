import Foundation
import Testing

@testable import Shared
@testable import decode

/// CIFAR-10/100 and STL-10 sources on tiny synthetic files written to a scratch folder.
@Suite struct CIFARSTLTests {
  /// A recognisable CIFAR image: byte (c, y, x) of image `n` (planar, row-major).
  static func cifarPixels(_ n: Int) -> [UInt8] {
    (0..<3 * 32 * 32).map { i in
      let (c, y, x) = (i / 1024, i / 32 % 32, i % 32)
      return UInt8((n * 31 + c * 85 + y * 3 + x * 5) & 0xFF)
    }
  }

  /// A CIFAR-10 folder: data_batch_1…5 with `perBatch[k]` records, test_batch with
  /// `testCount`. Image n (numbered across files) has label n % 10.
  static func writeCIFAR10(in folder: TemporaryFolder, perBatch: [Int] = [2, 1, 3, 2, 1], testCount: Int = 3) throws -> Int {
    var n = 0
    for (k, count) in (perBatch + [testCount]).enumerated() {
      var bytes: [UInt8] = []
      for _ in 0..<count {
        bytes += [UInt8(n % 10)] + cifarPixels(n)
        n += 1
      }
      try folder.write(k < 5 ? "data_batch_\(k + 1).bin" : "test_batch.bin", bytes)
    }
    return n
  }

  @Test func cifar10FileReadsLabelsPixelsAndIds() throws {
    let folder = try TemporaryFolder()
    let bytes = [UInt8(3)] + Self.cifarPixels(0) + [UInt8(9)] + Self.cifarPixels(1)
    let path = try folder.write("one.bin", bytes)
    let file = try CIFARFile(path: path, labelBytes: 1, labelOffset: 0, classCount: 10, split: .train, firstId: 40, metadata: Metadata())
    #expect(file.count == 2)
    #expect(file.schema.dims == [3, 32, 32] && file.schema.fields == .split)
    // Read out of order: records are read by index.
    let records = try [1, 0].map { index in
      var payload = [UInt8](repeating: 0, count: 3072)
      let record = try payload.withUnsafeMutableBytes { try file.read(index, into: $0) }
      return ReadRecord(id: record.id, label: record.label, split: record.split, payload: payload)
    }
    #expect(records.map(\.id) == [41, 40] && records.map(\.label) == [9, 3] && records.map(\.split) == [.train, .train])
    #expect(difference(records[0].payload, Self.cifarPixels(1)) == nil)
    #expect(difference(records[1].payload, Self.cifarPixels(0)) == nil)
  }

  @Test func cifar10CommandNumbersTrainThenTest() throws {
    let folder = try TemporaryFolder()
    let total = try Self.writeCIFAR10(in: folder)
    try folder.write("batches.meta.txt", text: "a\nb\n\nc\nd\ne\nf\ng\nh\ni\nj\n")
    let stream = try runCommand(CIFAR10Command.self, [folder.path], in: folder)
    #expect(stream.schema.dims == [3, 32, 32])
    #expect(stream.schema.metadata.dataset == "cifar10")
    #expect(stream.schema.metadata.classes == ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"])
    #expect(stream.records.count == total)
    #expect(stream.records.ids == (0..<Int64(total)).map { $0 })
    #expect(stream.records.labels == (0..<total).map { Int32($0 % 10) })
    #expect(stream.splits == Array(repeating: .train, count: 9) + Array(repeating: .test, count: 3))
    for n in 0..<total { #expect(difference(stream.payload(n), Self.cifarPixels(n)) == nil, "record \(n)") }

    // --split test keeps the ids the records have in the whole dataset.
    let test = try runCommand(CIFAR10Command.self, [folder.path, "--split", "test"], in: folder)
    #expect(test.records.ids == [9, 10, 11])
    #expect(test.splits == [.test, .test, .test])
    #expect(difference(test.payload(2), Self.cifarPixels(11)) == nil)

    // The files may sit in cifar-10-batches-bin/ under the folder given.
    let parent = try TemporaryFolder()
    let inner = parent.path + "/cifar-10-batches-bin"
    try FileManager.default.copyItem(atPath: folder.path, toPath: inner)
    let nested = try runCommand(CIFAR10Command.self, [parent.path, "--split", "train"], in: parent)
    #expect(nested.records.ids == (0..<9).map(Int64.init))
  }

  @Test func cifar100UsesFineOrCoarseLabel() throws {
    let folder = try TemporaryFolder()
    // Records: (coarse, fine) = (1, 42), (19, 99) in train; (0, 7) in test.
    try folder.write("train.bin", [1, 42] + Self.cifarPixels(0) + [19, 99] + Self.cifarPixels(1))
    try folder.write("test.bin", [0, 7] + Self.cifarPixels(2))
    let fine = try runCommand(CIFAR100Command.self, [folder.path], in: folder)
    #expect(fine.records.labels == [42, 99, 7])
    #expect(fine.records.ids == [0, 1, 2])
    #expect(fine.splits == [.train, .train, .test])
    #expect(difference(fine.payload(1), Self.cifarPixels(1)) == nil)
    let coarse = try runCommand(CIFAR100Command.self, [folder.path, "--coarse"], in: folder)
    #expect(coarse.records.labels == [1, 19, 0])
    // A fine label of 100 or more is refused.
    try folder.write("test.bin", [0, 100] + Self.cifarPixels(2))
    let message = failureMessage { _ = try runCommand(CIFAR100Command.self, [folder.path], in: folder) }
    #expect(message == "\(folder.path)/test.bin: record 0 has label 100, but there are 100 classes")
  }

  @Test func badCIFARFilesAreClearErrors() throws {
    let folder = try TemporaryFolder()
    _ = try Self.writeCIFAR10(in: folder)
    // One byte short of two records.
    let batch = try folder.write("data_batch_3.bin", [UInt8](repeating: 1, count: 2 * 3073 - 1))
    let message = failureMessage { _ = try runCommand(CIFAR10Command.self, [folder.path], in: folder) }
    #expect(message == "\(batch): size 6145 is not a multiple of the 3073-byte record; is this the right file?")

    _ = try Self.writeCIFAR10(in: folder)
    try folder.write("data_batch_2.bin", [10] + Self.cifarPixels(0))
    let label = failureMessage { _ = try runCommand(CIFAR10Command.self, [folder.path], in: folder) }
    #expect(label == "\(folder.path)/data_batch_2.bin: record 0 has label 10, but there are 10 classes")

    try FileManager.default.removeItem(atPath: folder.path + "/test_batch.bin")
    let missing = failureMessage { _ = try runCommand(CIFAR10Command.self, [folder.path], in: folder) }
    #expect(missing?.hasPrefix("cifar10 not found: looked for data_batch_1.bin") == true, "\(missing ?? "")")
  }

  // MARK: STL-10

  static let side = 96
  static let plane = 96 * 96

  /// Row-major value of (c, y, x) in STL image `n`; y and x enter differently so a
  /// missing or doubled transpose shows.
  static func stlValue(_ n: Int, _ c: Int, _ y: Int, _ x: Int) -> UInt8 {
    UInt8((n * 29 + c * 100 + y * 3 + x * 7) & 0xFF)
  }

  /// Image n as STL stores it: each channel column by column (x outer, y inner).
  static func stlStored(_ n: Int) -> [UInt8] {
    var bytes: [UInt8] = []
    bytes.reserveCapacity(3 * plane)
    for c in 0..<3 {
      for x in 0..<side {
        for y in 0..<side { bytes.append(stlValue(n, c, y, x)) }
      }
    }
    return bytes
  }

  /// Image n as the stream carries it: C×H×W row-major.
  static func stlExpected(_ n: Int) -> [UInt8] {
    var bytes: [UInt8] = []
    for c in 0..<3 {
      for y in 0..<side {
        for x in 0..<side { bytes.append(stlValue(n, c, y, x)) }
      }
    }
    return bytes
  }

  /// train: images 0, 1 (labels 1, 10); test: images 2, 3, 4 (labels 5, 2, 7); unlabeled: 5.
  static func writeSTL10(in folder: TemporaryFolder) throws {
    try folder.write("train_X.bin", stlStored(0) + stlStored(1))
    try folder.write("train_y.bin", [1, 10])
    try folder.write("test_X.bin", stlStored(2) + stlStored(3) + stlStored(4))
    try folder.write("test_y.bin", [5, 2, 7])
    try folder.write("unlabeled_X.bin", stlStored(5))
  }

  @Test func stl10FileTransposesColumnMajorChannels() throws {
    let folder = try TemporaryFolder()
    try Self.writeSTL10(in: folder)
    let file = try STL10File(
      images: folder.path + "/train_X.bin", labels: folder.path + "/train_y.bin", split: .train, firstId: 0, metadata: Metadata())
    #expect(file.schema.dims == [3, 96, 96])
    let records = try readAll(file)
    // Labels are stored 1…10 and come out 0…9.
    #expect(records.map(\.id) == [0, 1] && records.map(\.split) == [.train, .train])
    #expect(records.map(\.label) == [0, 9])
    #expect(difference(records[0].payload, Self.stlExpected(0)) == nil)
    #expect(difference(records[1].payload, Self.stlExpected(1)) == nil)
    // Spot check by hand: image 1, channel 2, y 5, x 1 is stored at 2·9216 + 1·96 + 5 and
    // is (29 + 200 + 15 + 7) & 255 = 251; in the output it sits at 2·9216 + 5·96 + 1.
    #expect(Self.stlStored(1)[2 * 9216 + 96 + 5] == 251)
    #expect(records[1].payload[2 * 9216 + 5 * 96 + 1] == 251)
  }

  @Test func stl10CommandNumbersTrainTestUnlabeled() throws {
    let folder = try TemporaryFolder()
    try Self.writeSTL10(in: folder)
    let all = try runCommand(STL10Command.self, [folder.path], in: folder)
    #expect(all.schema.metadata.classes?.first == "airplane")
    #expect(all.records.ids == [0, 1, 2, 3, 4, 5])
    #expect(all.records.labels == [0, 9, 4, 1, 6, -1])
    #expect(all.splits == [.train, .train, .test, .test, .test, .unlabeled])
    for n in 0..<6 { #expect(difference(all.payload(n), Self.stlExpected(n)) == nil, "record \(n)") }

    let test = try runCommand(STL10Command.self, [folder.path, "--split", "test"], in: folder)
    #expect(test.records.ids == [2, 3, 4])
    let unlabeled = try runCommand(STL10Command.self, [folder.path, "--split", "unlabeled"], in: folder)
    #expect(unlabeled.records.ids == [5])
    #expect(unlabeled.records.labels == [-1])

    // Train and test do not need the (large) unlabeled file.
    try FileManager.default.removeItem(atPath: folder.path + "/unlabeled_X.bin")
    let train = try runCommand(STL10Command.self, [folder.path, "--split", "train"], in: folder)
    #expect(train.records.ids == [0, 1])
  }

  @Test func badSTL10FilesAreClearErrors() throws {
    let folder = try TemporaryFolder()
    try Self.writeSTL10(in: folder)
    let images = folder.path + "/train_X.bin"
    let labels = folder.path + "/train_y.bin"

    try folder.write("train_y.bin", [1, 2, 3])
    #expect(failureMessage { _ = try STL10File(images: images, labels: labels, split: .train, firstId: 0, metadata: Metadata()) }
      == "\(labels) holds 3 labels but \(images) holds 2 images")

    try folder.write("train_y.bin", [1, 0])
    #expect(failureMessage { _ = try STL10File(images: images, labels: labels, split: .train, firstId: 0, metadata: Metadata()) }
      == "\(labels): label 0 of image 1 is outside 1...10")
    try folder.write("train_y.bin", [11, 1])
    #expect(failureMessage { _ = try STL10File(images: images, labels: labels, split: .train, firstId: 0, metadata: Metadata()) }
      == "\(labels): label 11 of image 0 is outside 1...10")

    try folder.write("train_y.bin", [1])
    try folder.write("train_X.bin", Self.stlStored(0) + [0, 0, 0])
    #expect(failureMessage { _ = try STL10File(images: images, labels: labels, split: .train, firstId: 0, metadata: Metadata()) }
      == "\(images): size 27651 is not a multiple of the 27648-byte record; is this the right file?")
  }
}
