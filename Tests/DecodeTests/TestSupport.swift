import ArgumentParser
import Foundation
import Testing

@testable import Shared
@testable import decode

/// Helpers shared by the decode tests: where the shared test data lives, scratch folders,
/// and running `decode`'s record sources and `emitRecords` in-process.
enum TestData {
  /// `../shared/data` beside the package (CI always has it there). Tests that need it fail
  /// with a clear message when it is missing rather than being skipped.
  static let sharedData: URL = {
    URL(fileURLWithPath: #filePath)  // …/main/Tests/DecodeTests/TestSupport.swift
      .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent().appendingPathComponent("shared/data")
  }()

  /// A folder of the shared data, or a recorded failure saying where it was looked for.
  static func folder(_ relative: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
    let path = sharedData.appendingPathComponent(relative).path
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
      Issue.record("shared test data missing: \(path) (expected ../shared/data beside the package)", sourceLocation: sourceLocation)
      throw MissingData()
    }
    return path
  }

  struct MissingData: Error {}

  /// Every `*.png` in a shared-data folder, sorted.
  static func pngFiles(in relative: String) throws -> [String] {
    let folder = try folder(relative)
    return try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".png") }.sorted()
      .map { folder + "/" + $0 }
  }

  static func bytes(_ path: String) throws -> [UInt8] {
    Array(try Data(contentsOf: URL(fileURLWithPath: path)))
  }

  static let fashionMNIST = "/usr/share/datasets/fashion-mnist"
}

/// A fresh scratch folder, removed when the value is dropped.
final class TemporaryFolder {
  let path: String

  init() throws {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("DecodeTests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    path = url.path
  }

  deinit {
    try? FileManager.default.removeItem(atPath: path)
  }

  /// Writes `bytes` to `name` inside the folder (creating subfolders) and returns its path.
  @discardableResult
  func write(_ name: String, _ bytes: [UInt8]) throws -> String {
    let file = path + "/" + name
    try FileManager.default.createDirectory(
      atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    try Data(bytes).write(to: URL(fileURLWithPath: file))
    return file
  }

  @discardableResult
  func write(_ name: String, text: String) throws -> String {
    try write(name, Array(text.utf8))
  }

  /// Writes `bytes` gzip-compressed by the system's `gzip -c`, independently of our zlib code.
  @discardableResult
  func writeGzipped(_ name: String, _ bytes: [UInt8]) throws -> String {
    let plain = try write(name + ".plain", bytes)
    let compressed = try run("/usr/bin/env", ["gzip", "-c", plain])
    try FileManager.default.removeItem(atPath: plain)
    return try write(name, compressed)
  }
}

/// Runs a program and returns its stdout; fails if it exits non-zero.
func run(_ executable: String, _ arguments: [String]) throws -> [UInt8] {
  let process = Process()
  process.executableURL = URL(fileURLWithPath: executable)
  process.arguments = arguments
  let pipe = Pipe()
  process.standardOutput = pipe
  try process.run()
  let output = pipe.fileHandleForReading.readDataToEndOfFile()
  process.waitUntilExit()
  guard process.terminationStatus == 0 else {
    throw Failure("\(executable) \(arguments.joined(separator: " ")) exited with \(process.terminationStatus)")
  }
  return Array(output)
}

/// The message of the `Failure` that `body` throws, or nil (with a recorded issue) if it
/// throws nothing or something else.
func failureMessage(
  sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void
) -> String? {
  do {
    try body()
    Issue.record("expected a Failure, but nothing was thrown", sourceLocation: sourceLocation)
  } catch let failure as Failure {
    return failure.description
  } catch {
    Issue.record("expected a Failure, got \(type(of: error)): \(error)", sourceLocation: sourceLocation)
  }
  return nil
}

/// A record read from a source, with its payload.
struct ReadRecord: Equatable {
  var id: Int64
  var label: Int32
  var split: Split?
  var payload: [UInt8]
}

/// Reads a sequential source to its end.
func readAll(_ source: SequentialSource) throws -> [ReadRecord] {
  var records: [ReadRecord] = []
  var payload = [UInt8](repeating: 0, count: source.schema.bytesPerRecord)
  while let record = try payload.withUnsafeMutableBytes({ try source.next(into: $0) }) {
    records.append(ReadRecord(id: record.id, label: record.label, split: record.split, payload: payload))
  }
  return records
}

/// Reads every record of an indexed source in order.
func readAll(_ source: IndexedSource) throws -> [ReadRecord] {
  var payload = [UInt8](repeating: 0, count: source.schema.bytesPerRecord)
  return try (0..<source.count).map { index in
    let record = try payload.withUnsafeMutableBytes { try source.read(index, into: $0) }
    return ReadRecord(id: record.id, label: record.label, split: record.split, payload: payload)
  }
}

/// A stream written by `decode` to a file, read back.
struct WrittenStream {
  var schema: StreamSchema
  var records: RecordBatch

  init(path: String) throws {
    let reader = try StreamReader(path: path)
    records = try reader.readAll()
    schema = reader.schema
  }

  /// The records' splits as `Split` values.
  var splits: [Split?] {
    records.splits.map { $0.map { Split(rawValue: $0) } } ?? Array(repeating: nil, count: records.count)
  }

  /// Payload of record `i`.
  func payload(_ i: Int) -> [UInt8] {
    let size = schema.bytesPerRecord
    return Array(records.payload[i * size..<(i + 1) * size])
  }
}

/// Runs `emitRecords` in-process with `selection` arguments (e.g. `--shuffle --shard 1/3`)
/// and `common` arguments (the output file and `-q` are added), and reads the stream back.
func emit(_ source: RecordSource, selection: [String] = [], common: [String] = [], in folder: TemporaryFolder) throws
  -> WrittenStream
{
  let output = folder.path + "/out-\(UUID().uuidString).us"
  let selectionOptions = try SelectionOptions.parse(selection)
  let commonOptions = try CommonOptions.parse(common + ["-q", "-o", output])
  try emitRecords(from: source, selection: selectionOptions, common: commonOptions)
  defer { try? FileManager.default.removeItem(atPath: output) }
  return try WrittenStream(path: output)
}

/// Runs a `decode` subcommand in-process, writing to a file in `folder`, and reads the stream back.
func runCommand<Command: ParsableCommand>(_ type: Command.Type, _ arguments: [String], in folder: TemporaryFolder) throws
  -> WrittenStream
{
  let output = folder.path + "/out-\(UUID().uuidString).us"
  var command = try type.parse(arguments + ["-q", "-o", output])
  try command.run()
  defer { try? FileManager.default.removeItem(atPath: output) }
  return try WrittenStream(path: output)
}

/// Big-endian u32 bytes, as IDX headers store sizes.
func bigEndian32(_ value: Int) -> [UInt8] {
  [UInt8(value >> 24 & 0xFF), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
}

/// nil when the arrays are equal, else a short account of the first difference, so that
/// a failing comparison of large payloads does not print megabytes.
func difference<T: Equatable>(_ actual: [T], _ expected: [T]) -> String? {
  if let index = (0..<min(actual.count, expected.count)).first(where: { actual[$0] != expected[$0] }) {
    return "first difference at index \(index): \(actual[index]) instead of \(expected[index]) (counts \(actual.count), \(expected.count))"
  }
  return actual.count == expected.count ? nil : "count \(actual.count) instead of \(expected.count)"
}

/// `difference` for images: shape first, then pixels.
func difference(_ actual: Image, _ expected: Image) -> String? {
  let a = (actual.channels, actual.height, actual.width)
  let e = (expected.channels, expected.height, expected.width)
  guard a == e else { return "shape \(a) instead of \(e)" }
  return difference(actual.pixels, expected.pixels)
}
