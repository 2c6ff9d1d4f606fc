import Shared

/// Where a decoded record came from.
struct SourceRecord {
  /// Position in the source dataset (unique within it).
  var id: Int64
  /// Class index, −1 when unknown.
  var label: Int32
  var split: Split?
}

/// Records of one dataset, all of one shape and element type.
protocol RecordSource: AnyObject {
  /// The schema of the records, with dataset metadata but no history.
  var schema: StreamSchema { get }
}

/// A source read front to back (a gzip file, a CSV file).
protocol SequentialSource: RecordSource {
  /// Reads the next record's payload into `payload` (`schema.bytesPerRecord` bytes);
  /// nil at the end.
  func next(into payload: UnsafeMutableRawBufferPointer) throws -> SourceRecord?
}

/// A source that can read any record directly, so shuffling and sharding need not hold
/// the data in memory or read records that are not wanted.
protocol IndexedSource: RecordSource {
  var count: Int { get }
  func read(_ index: Int, into payload: UnsafeMutableRawBufferPointer) throws -> SourceRecord
}

/// Every record of a sequential source, held in memory (u8 stays u8).
final class MemorySource: IndexedSource {
  let schema: StreamSchema
  private let records: [SourceRecord]
  private let payloads: [UInt8]

  init(reading source: SequentialSource) throws {
    schema = source.schema
    let size = schema.bytesPerRecord
    var records: [SourceRecord] = []
    var payloads: [UInt8] = []
    var scratch = [UInt8](repeating: 0, count: size)
    while let record = try scratch.withUnsafeMutableBytes({ try source.next(into: $0) }) {
      records.append(record)
      payloads += scratch
    }
    self.records = records
    self.payloads = payloads
  }

  var count: Int { records.count }

  func read(_ index: Int, into payload: UnsafeMutableRawBufferPointer) throws -> SourceRecord {
    let size = schema.bytesPerRecord
    payloads.withUnsafeBytes { payload.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[index * size..<(index + 1) * size])) }
    return records[index]
  }
}

/// Records of several sources of the same shape, one after another (e.g. train then test).
final class ConcatenatedSource: SequentialSource {
  let schema: StreamSchema
  private var parts: [SequentialSource]

  init(_ parts: [SequentialSource]) throws {
    schema = try sharedSchema(parts)
    self.parts = parts
  }

  func next(into payload: UnsafeMutableRawBufferPointer) throws -> SourceRecord? {
    while let part = parts.first {
      if let record = try part.next(into: payload) { return record }
      parts.removeFirst()
    }
    return nil
  }
}

/// Indexed sources one after another.
final class ConcatenatedIndexedSource: IndexedSource {
  let schema: StreamSchema
  private let parts: [IndexedSource]
  private let starts: [Int]
  let count: Int

  init(_ parts: [IndexedSource]) throws {
    schema = try sharedSchema(parts)
    self.parts = parts
    var starts: [Int] = []
    var total = 0
    for part in parts {
      starts.append(total)
      total += part.count
    }
    self.starts = starts
    count = total
  }

  func read(_ index: Int, into payload: UnsafeMutableRawBufferPointer) throws -> SourceRecord {
    var part = parts.count - 1
    while starts[part] > index { part -= 1 }
    return try parts[part].read(index - starts[part], into: payload)
  }
}

/// The schema all `parts` share (the first one's metadata), or an error naming two that differ.
private func sharedSchema(_ parts: [RecordSource]) throws -> StreamSchema {
  precondition(!parts.isEmpty, "at least one part")
  for part in parts.dropFirst() where !part.schema.hasSameRecords(as: parts[0].schema) {
    throw Failure("parts of the dataset differ in shape: \(parts[0].schema.summary) and \(part.schema.summary)")
  }
  return parts[0].schema
}

/// The parts of a dataset that `split` selects, one after another, with ids numbered on
/// through every part in order (so a record's id never depends on --split). Each part is
/// made from the id of its first record; parts after the last selected one are not opened.
func selectParts(_ parts: [(split: Split, open: (_ firstId: Int) throws -> IndexedSource)], _ split: SplitChoice) throws
  -> IndexedSource
{
  guard let last = parts.lastIndex(where: { split.includes($0.split) }) else {
    throw Failure("this dataset has no \(split.rawValue) part", exitCode: ExitStatus.usage)
  }
  var selected: [IndexedSource] = []
  var firstId = 0
  for part in parts[...last] {
    let source = try part.open(firstId)
    firstId += source.count
    if split.includes(part.split) { selected.append(source) }
  }
  return try ConcatenatedIndexedSource(selected)
}
