import Foundation
import Testing

@testable import Shared
@testable import decode

/// IDXSource and the IDX datasets, on tiny files written here and on the real
/// Fashion-MNIST files.
@Suite struct IDXTests {
  /// An IDX file: 0, 0, type, rank, big-endian u32 dims, data.
  static func idx(type: UInt8, dims: [Int], data: [UInt8]) -> [UInt8] {
    [0, 0, type, UInt8(dims.count)] + dims.flatMap(bigEndian32) + data
  }

  @Test func tinyU8FileRoundTrips() throws {
    let folder = try TemporaryFolder()
    let pixels: [UInt8] = (0..<18).map { (i: Int) -> UInt8 in UInt8(i * 13 % 256) }
    let images = try folder.write("images.idx", Self.idx(type: 0x08, dims: [3, 2, 3], data: pixels))
    let labels = try folder.write("labels.idx", Self.idx(type: 0x08, dims: [3], data: [7, 0, 255]))
    let source = try IDXSource(images: images, labels: labels, split: .test, firstId: 100, metadata: Metadata())
    #expect(source.schema.elementType == .u8 && source.schema.layout == .chw && source.schema.dims == [1, 2, 3])
    #expect(source.schema.fields == .split)
    #expect(source.schema.metadata.range == 0...255)
    #expect(source.recordCount == 3)
    let records = try readAll(source)
    #expect(records == [
      ReadRecord(id: 100, label: 7, split: .test, payload: Array(pixels[0..<6])),
      ReadRecord(id: 101, label: 0, split: .test, payload: Array(pixels[6..<12])),
      ReadRecord(id: 102, label: 255, split: .test, payload: Array(pixels[12..<18])),
    ])
    // Past the end it keeps returning nil.
    var scratch = [UInt8](repeating: 0, count: 6)
    #expect(try scratch.withUnsafeMutableBytes { try source.next(into: $0) } == nil)

    // Without labels or split: label -1, no split field.
    let bare = try IDXSource(images: images, labels: nil, split: nil, metadata: Metadata())
    #expect(bare.schema.fields == [])
    let bareRecords = try readAll(bare)
    #expect(bareRecords.map(\.label) == [-1, -1, -1])
    #expect(bareRecords.map(\.id) == [0, 1, 2])
    #expect(bareRecords.map(\.split) == [nil, nil, nil])
  }

  @Test func gzippedFilesAreInflated() throws {
    let folder = try TemporaryFolder()
    let pixels: [UInt8] = (0..<80).map { (i: Int) -> UInt8 in UInt8((i * 37 + 11) % 256) }
    let images = try folder.writeGzipped("images.idx.gz", Self.idx(type: 0x08, dims: [5, 4, 4], data: pixels))
    let labels = try folder.writeGzipped("labels.idx.gz", Self.idx(type: 0x08, dims: [5], data: [1, 2, 3, 4, 5]))
    let records = try readAll(IDXSource(images: images, labels: labels, split: nil, metadata: Metadata()))
    #expect(records.map(\.label) == [1, 2, 3, 4, 5])
    #expect(records.flatMap(\.payload) == pixels)
  }

  /// f32 IDX values are big-endian; 1.5 = 0x3FC00000, −2 = 0xC0000000, 0.1 ≈ 0x3DCCCCCD.
  @Test func floatVectorsAreByteSwapped() throws {
    let folder = try TemporaryFolder()
    let data: [UInt8] = [0x3F, 0xC0, 0, 0, 0xC0, 0, 0, 0, 0x3D, 0xCC, 0xCC, 0xCD, 0, 0, 0, 0]
    let path = try folder.write("vectors.idx", Self.idx(type: 0x0D, dims: [2, 2], data: data))
    let source = try IDXSource(images: path, labels: nil, split: nil, metadata: Metadata())
    #expect(source.schema.elementType == .f32 && source.schema.layout == .vector && source.schema.dims == [2])
    #expect(source.schema.metadata.range == nil)
    let floats = try readAll(source).flatMap { record in
      record.payload.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
    }
    #expect(floats == [1.5, -2, 0.1, 0])
  }

  @Test func wrongLabelCountNamesBothFiles() throws {
    let folder = try TemporaryFolder()
    let images = try folder.write("imgs.idx", Self.idx(type: 0x08, dims: [3, 1, 2], data: [UInt8](repeating: 0, count: 6)))
    let labels = try folder.write("lbls.idx", Self.idx(type: 0x08, dims: [4], data: [0, 1, 2, 3]))
    let message = failureMessage { _ = try IDXSource(images: images, labels: labels, split: nil, metadata: Metadata()) }
    #expect(message == "\(labels) holds 4 labels but \(images) holds 3 images")
  }

  @Test func truncatedFilesAreErrors() throws {
    let folder = try TemporaryFolder()
    let pixels = [UInt8](repeating: 9, count: 3 * 2 * 2)
    let whole = Self.idx(type: 0x08, dims: [3, 2, 2], data: pixels)

    // An uncompressed file shorter than its header promises is refused on opening.
    let short = try folder.write("short.idx", Array(whole.dropLast(6)))
    #expect(failureMessage { _ = try IDXSource(images: short, labels: nil, split: nil, metadata: Metadata()) }
      == "\(short): header promises 3 records of 4 bytes, but the file has 22 bytes")

    // A gzipped one is found short while streaming: inside a record, or after a whole one.
    let shortGzip = try folder.writeGzipped("short.idx.gz", Array(whole.dropLast(6)))
    let message = failureMessage { _ = try readAll(IDXSource(images: shortGzip, labels: nil, split: nil, metadata: Metadata())) }
    #expect(message?.hasPrefix(shortGzip + ": ") == true, "\(message ?? "")")
    #expect(message?.contains("ends") == true, "\(message ?? "")")
    let one = try folder.writeGzipped("one.idx.gz", Array(whole.dropLast(8)))
    #expect(failureMessage { _ = try readAll(IDXSource(images: one, labels: nil, split: nil, metadata: Metadata())) }
      == "\(one): file ends after 1 of 3 records")

    // Header cut inside its dims, and inside its first 4 bytes.
    let header = try folder.write("header.idx", Array(whole[0..<9]))
    #expect(failureMessage { _ = try IDXSource(images: header, labels: nil, split: nil, metadata: Metadata()) }
      == "\(header): IDX header is truncated")
    let tiny = try folder.write("tiny.idx", [0, 0])
    #expect(failureMessage { _ = try IDXSource(images: tiny, labels: nil, split: nil, metadata: Metadata()) }
      == "\(tiny): not an IDX file: shorter than its 4-byte header")

    // Labels file shorter than its header says.
    let images = try folder.write("ok.idx", whole)
    let labels = try folder.write("labels.idx", Self.idx(type: 0x08, dims: [3], data: [1, 2]))
    #expect(failureMessage { _ = try IDXSource(images: images, labels: labels, split: nil, metadata: Metadata()) }
      == "\(labels): file ends after 2 of 3 labels")

    // A truncated gzip file.
    let gz = try folder.writeGzipped("cut.idx.gz", Self.idx(type: 0x08, dims: [50, 8, 8], data: (0..<3200).map { (i: Int) -> UInt8 in UInt8(i % 251) }))
    let gzBytes = try TestData.bytes(gz)
    let cut = try folder.write("cut2.idx.gz", Array(gzBytes[..<(gzBytes.count / 2)]))
    let cutMessage = failureMessage { _ = try readAll(IDXSource(images: cut, labels: nil, split: nil, metadata: Metadata())) }
    #expect(cutMessage?.hasPrefix(cut + ": ") == true, "\(cutMessage ?? "")")
  }

  @Test func unsupportedHeadersAreRefused() throws {
    let folder = try TemporaryFolder()
    let i32 = try folder.write("i32.idx", Self.idx(type: 0x0C, dims: [1, 1, 1], data: [0, 0, 0, 0]))
    #expect(failureMessage { _ = try IDXSource(images: i32, labels: nil, split: nil, metadata: Metadata()) }?
      .contains("0xc is not supported") == true)
    let rank4 = try folder.write("rank4.idx", Self.idx(type: 0x08, dims: [1, 1, 1, 1], data: [0]))
    #expect(failureMessage { _ = try IDXSource(images: rank4, labels: nil, split: nil, metadata: Metadata()) }?
      .contains("has 4 dimensions") == true)
    let text = try folder.write("text.idx", text: "hello world")
    #expect(failureMessage { _ = try IDXSource(images: text, labels: nil, split: nil, metadata: Metadata()) }?
      .hasPrefix("\(text): not an IDX file") == true)
    // A label file must be u8 in one dimension.
    let images = try folder.write("ok.idx", Self.idx(type: 0x08, dims: [1, 1, 1], data: [0]))
    let labels2D = try folder.write("labels2d.idx", Self.idx(type: 0x08, dims: [1, 1], data: [0]))
    #expect(failureMessage { _ = try IDXSource(images: images, labels: labels2D, split: nil, metadata: Metadata()) }
      == "\(labels2D): not an IDX label file (want u8 values in one dimension)")
  }

  // MARK: Fashion-MNIST

  static func fashion(_ name: String) throws -> String {
    let path = TestData.fashionMNIST + "/" + name
    guard FileManager.default.fileExists(atPath: path) else {
      Issue.record("Fashion-MNIST missing: \(path) (apt-get install dataset-fashion-mnist)")
      throw TestData.MissingData()
    }
    return path
  }

  /// The t10k files read by IDXSource equal `gzip -dc` of them, byte for byte; known facts:
  /// 10,000 records, labels start 9 (Ankle boot), 2, 1, 1, 6.
  @Test func fashionMNISTTestFilesDecode() throws {
    let images = try Self.fashion("t10k-images-idx3-ubyte.gz")
    let labels = try Self.fashion("t10k-labels-idx1-ubyte.gz")
    let source = try IDXSource(images: images, labels: labels, split: .test, metadata: Metadata())
    #expect(source.schema.dims == [1, 28, 28])
    let records = try readAll(source)
    #expect(records.count == 10_000)
    #expect(records.prefix(5).map(\.label) == [9, 2, 1, 1, 6])
    #expect(difference(records.map(\.id), (0..<10_000).map(Int64.init)) == nil)
    let raw = try run("/usr/bin/env", ["gzip", "-dc", images])
    #expect(raw.count == 16 + 10_000 * 784)
    #expect(difference(records.flatMap(\.payload), Array(raw[16...])) == nil)
    let rawLabels = try run("/usr/bin/env", ["gzip", "-dc", labels])
    #expect(difference(records.map { UInt8($0.label) }, Array(rawLabels[8...])) == nil)
  }

  @Test func fashionMNISTDatasetNumbersTestAfterTrain() throws {
    _ = try Self.fashion("train-labels-idx1-ubyte.gz")
    let root = TestData.fashionMNIST
    let test = try IDXDataset.fashionMNIST.source(DatasetOptions.parse(["--root", root, "--split", "test"]))
    #expect(test.schema.metadata.classes?.count == 10)
    #expect(test.schema.metadata.classes?[9] == "Ankle boot")
    #expect(test.schema.metadata.dataset == "fashion-mnist")
    let testRecords = try readAll(test as! SequentialSource)
    #expect(testRecords.count == 10_000)
    #expect(testRecords.first?.id == 60_000 && testRecords.last?.id == 69_999)
    #expect(testRecords.first?.label == 9)
    #expect(testRecords.allSatisfy { $0.split == .test })

    // All: train (ids 0…59999, first label 9) then test from 60000.
    let all = try IDXDataset.fashionMNIST.source(DatasetOptions.parse(["--root", root])) as! SequentialSource
    let records = try readAll(all)
    #expect(records.count == 70_000)
    #expect(difference(records.map(\.id), (0..<70_000).map(Int64.init)) == nil)
    #expect(records[0].label == 9 && records[0].split == .train)
    #expect(records[59_999].split == .train && records[60_000].split == .test)
    #expect(records[60_000].id == testRecords[0].id && difference(records[60_000].payload, testRecords[0].payload) == nil)
    #expect(records[69_999].id == testRecords[9_999].id && difference(records[69_999].payload, testRecords[9_999].payload) == nil)
  }

  @Test func missingDatasetFolderSaysWhereItLooked() throws {
    let folder = try TemporaryFolder()
    let message = failureMessage {
      _ = try IDXDataset.mnist.source(DatasetOptions.parse(["--root", folder.path]))
    }
    #expect(message?.hasPrefix("mnist not found: looked for train-images-idx3-ubyte.gz") == true, "\(message ?? "")")
    #expect(message?.contains(folder.path) == true)
  }
}
