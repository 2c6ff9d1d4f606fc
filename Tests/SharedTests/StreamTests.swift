import Testing

@testable import Shared

// Tests of the stream reader and writer (Sources/Shared/Stream) against docs/FORMAT.md.

/// Collects everything written to it.
final class MemoryOutput: ByteOutput {
  let name = "<test output>"
  var bytes: [UInt8] = []
  func write(_ chunk: UnsafeRawBufferPointer) throws { bytes.append(contentsOf: chunk) }
}

// MARK: Helpers

/// Little-endian bytes built by hand from the spec tables, independent of `FrameCodec`.
struct Bytes {
  var bytes: [UInt8] = []
  mutating func u8(_ value: UInt8) { bytes.append(value) }
  mutating func u16(_ value: UInt16) { for shift in stride(from: 0, to: 16, by: 8) { bytes.append(UInt8(truncatingIfNeeded: value >> shift)) } }
  mutating func u32(_ value: UInt32) { for shift in stride(from: 0, to: 32, by: 8) { bytes.append(UInt8(truncatingIfNeeded: value >> shift)) } }
  mutating func u64(_ value: UInt64) { for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: value >> shift)) } }
  mutating func i32(_ value: Int32) { u32(UInt32(bitPattern: value)) }
  mutating func i64(_ value: Int64) { u64(UInt64(bitPattern: value)) }
  mutating func f32(_ value: Float) { u32(value.bitPattern) }
  mutating func text(_ value: String) { bytes += Array(value.utf8) }
  mutating func zeros(_ count: Int) { bytes += [UInt8](repeating: 0, count: count) }
  /// Zero bytes up to the next multiple of 64.
  mutating func pad() { zeros((64 - bytes.count % 64) % 64) }
}

/// Overwrites `value` little-endian at `offset`.
func poke<T: FixedWidthInteger>(_ bytes: inout [UInt8], at offset: Int, _ value: T) {
  for index in 0..<MemoryLayout<T>.size { bytes[offset + index] = UInt8(truncatingIfNeeded: value >> (8 * index)) }
}

/// The frames of a well-formed stream: kind, offset, body length, and n for B frames.
func frames(of bytes: [UInt8]) -> [(kind: UInt8, offset: Int, bodyLength: Int, n: Int)] {
  var result: [(kind: UInt8, offset: Int, bodyLength: Int, n: Int)] = []
  var offset = 0
  func read(_ at: Int, _ size: Int) -> Int { (0..<size).reduce(0) { $0 | Int(bytes[at + $1]) << (8 * $1) } }
  while offset + 64 <= bytes.count {
    let length = read(offset + 8, 8)
    result.append((bytes[offset + 4], offset, length, bytes[offset + 4] == 0x42 ? read(offset + 16, 4) : 0))
    offset += 64 + length
  }
  return result
}

/// Writes `batch` in one `write` call and finishes.
func written(_ schema: StreamSchema, _ batch: RecordBatch) throws -> [UInt8] {
  let output = MemoryOutput()
  let writer = try StreamWriter(output, schema: schema)
  try writer.write(batch)
  try writer.finish()
  return output.bytes
}

/// Reads a whole stream: its schema and every batch.
func readStream(_ bytes: [UInt8], name: String = "<test>") throws -> (StreamSchema, [RecordBatch]) {
  let reader = try StreamReader(MemoryInput(bytes, name: name))
  var batches: [RecordBatch] = []
  while let batch = try reader.next() {
    #expect(batch.mismatch(with: reader.schema) == nil)
    batches.append(batch)
  }
  #expect(reader.offset == bytes.count)
  return (reader.schema, batches)
}

/// Deterministic records for `schema`: payload bytes from real element values.
func sampleBatch(_ schema: StreamSchema, count: Int, seed: UInt64 = 1) -> RecordBatch {
  var random = SplitMix64(seed: seed)
  var batch = RecordBatch(schema: schema)
  for index in 0..<count {
    var payload: [UInt8] = []
    for _ in 0..<schema.elementsPerRecord {
      let value = random.nextUnitFloat() * 4 - 2
      switch schema.elementType {
      case .u8: payload.append(UInt8(random.next(below: 256)))
      case .f16: withUnsafeBytes(of: Float16(value)) { payload += $0 }
      case .f32: withUnsafeBytes(of: value) { payload += $0 }
      }
    }
    let row = (0..<schema.probabilityCount).map { _ in random.nextUnitFloat() }
    row.withUnsafeBufferPointer { probabilities in
      payload.withUnsafeBytes { bytes in
        batch.append(
          id: Int64(index) * 1_000_003 - 7, label: Int32(index % 11) - 1, view: Int32(index % 3),
          split: Split(rawValue: UInt8(index % 3)), cluster: Int32(index % 5) - 1,
          probabilities: probabilities, payload: bytes)
      }
    }
  }
  return batch
}

func sampleMetadata() -> Metadata {
  var metadata = Metadata(["unknown-key": .object(["nested": .array([.null, .bool(true), .number(-2.5)])])])
  metadata.dataset = "fashion-mnist"
  metadata.classes = ["T-shirt/top", "Trouser", "Über"]
  metadata.range = 0...255
  metadata.history = ["decode fashion-mnist --split train"]
  return metadata
}

/// Every subset of the optional fields.
let allFieldSets: [RecordFields] = (0..<16).map { RecordFields(rawValue: UInt16($0)) }

/// Expects reading `bytes` to the end to throw a StreamError at `offset` whose message
/// contains each of `words`.
func expectStreamError(
  _ bytes: [UInt8], offset: Int, _ words: String..., sourceLocation: SourceLocation = #_sourceLocation
) {
  do {
    let reader = try StreamReader(MemoryInput(bytes, name: "bad.us"))
    _ = try reader.readAll()
    Issue.record("no error; expected one at byte \(offset) mentioning \(words)", sourceLocation: sourceLocation)
  } catch let error as StreamError {
    #expect(error.offset == offset, "\(error)", sourceLocation: sourceLocation)
    #expect(error.input == "bad.us", sourceLocation: sourceLocation)
    #expect(error.exitCode == ExitStatus.dataError, sourceLocation: sourceLocation)
    #expect(error.description.contains("(at byte \(offset))"), "\(error)", sourceLocation: sourceLocation)
    for word in words {
      #expect(error.problem.contains(word), "\(error) should mention \"\(word)\"", sourceLocation: sourceLocation)
    }
  } catch {
    Issue.record("expected a StreamError, got \(error)", sourceLocation: sourceLocation)
  }
}

// MARK: Round trips

@Suite struct StreamRoundTripTests {
  static let layouts: [(Layout, [Int])] = [(.none, []), (.vector, [5]), (.chw, [3, 2, 4])]

  @Test(arguments: ElementType.allCases, [0, 1, 2])
  func everyTypeLayoutAndField(elementType: ElementType, layoutIndex: Int) throws {
    let (layout, dims) = Self.layouts[layoutIndex]
    for fields in allFieldSets {
      let schema = StreamSchema(
        elementType: layout == .none ? .u8 : elementType, layout: layout, dims: dims, fields: fields,
        probabilityCount: fields.contains(.probs) ? 3 : 0, metadata: sampleMetadata())
      let batch = sampleBatch(schema, count: 7)
      #expect(batch.mismatch(with: schema) == nil)

      // Whole batch with `write`.
      let bytes = try written(schema, batch)
      #expect(bytes.count % 64 == 0)
      let (readSchema, batches) = try readStream(bytes)
      #expect(readSchema == schema, "\(schema.summary)")
      #expect(batches == [batch], "\(schema.summary)")

      // Record by record with `append` gives the same bytes.
      let output = MemoryOutput()
      let writer = try StreamWriter(output, schema: schema)
      for index in 0..<batch.count {
        let part = batch.slice(index..<index + 1, schema: schema)
        try (part.probabilities ?? []).withUnsafeBufferPointer { probabilities in
          try part.payload.withUnsafeBytes { payload in
            try writer.append(
              id: part.ids[0], label: part.labels[0], view: part.views?[0] ?? 0,
              split: part.splits.map { Split(rawValue: $0[0])! }, cluster: part.clusters?[0] ?? -1,
              probabilities: schema.fields.contains(.probs) ? probabilities : nil, payload: payload)
          }
        }
      }
      try writer.finish()
      #expect(output.bytes == bytes, "\(schema.summary)")
    }
  }

  @Test func optionalFieldDefaults() throws {
    let schema = StreamSchema(elementType: .u8, layout: .none, dims: [], fields: [.view, .split, .cluster])
    let output = MemoryOutput()
    let writer = try StreamWriter(output, schema: schema)
    try writer.append(id: 42, label: -1, payload: UnsafeRawBufferPointer(start: nil, count: 0))
    try writer.finish()
    let (_, batches) = try readStream(output.bytes)
    #expect(batches.count == 1)
    #expect(batches[0].ids == [42] && batches[0].labels == [-1])
    #expect(batches[0].views == [0] && batches[0].splits == [0] && batches[0].clusters == [-1])
    #expect(batches[0].probabilities == nil)
  }

  @Test func specialFloatValuesSurviveBitForBit() throws {
    let schema = StreamSchema(elementType: .f32, layout: .vector, dims: [6], fields: .probs, probabilityCount: 6)
    let values: [Float] = [.nan, -.infinity, .infinity, -0.0, .leastNonzeroMagnitude, .greatestFiniteMagnitude]
    var batch = RecordBatch(schema: schema)
    values.withUnsafeBufferPointer { probabilities in
      values.withUnsafeBytes { batch.append(id: 0, label: 0, probabilities: probabilities, payload: $0) }
    }
    let (_, batches) = try readStream(try written(schema, batch))
    #expect(batches[0].payload == batch.payload)
    #expect(batches[0].probabilities!.map(\.bitPattern) == values.map(\.bitPattern))
  }

  @Test func metadataSurvives() throws {
    let schema = StreamSchema.image(.u8, channels: 1, height: 2, width: 2, metadata: sampleMetadata())
    let (readSchema, _) = try readStream(try written(schema, sampleBatch(schema, count: 1)))
    #expect(readSchema.metadata == sampleMetadata())
    #expect(readSchema.metadata.dataset == "fashion-mnist")
    #expect(readSchema.metadata.classes == ["T-shirt/top", "Trouser", "Über"])
    #expect(readSchema.metadata.range == 0...255)
    #expect(readSchema.metadata.history == ["decode fashion-mnist --split train"])
    #expect(readSchema.metadata.values["unknown-key"] == .object(["nested": .array([.null, .bool(true), .number(-2.5)])]))
  }

  @Test func zeroRecordStream() throws {
    let schema = StreamSchema.image(.f16, channels: 3, height: 4, width: 5, fields: .split, metadata: sampleMetadata())
    let output = MemoryOutput()
    let writer = try StreamWriter(output, schema: schema)
    try writer.finish()
    let frameList = frames(of: output.bytes)
    #expect(frameList.count == 1 && frameList[0].kind == 0x48)
    let reader = try StreamReader(MemoryInput(output.bytes))
    #expect(reader.schema == schema)
    #expect(try reader.next() == nil)
    #expect(try reader.next() == nil)  // stays at the end
    let all = try StreamReader(MemoryInput(output.bytes)).readAll()
    #expect(all.count == 0 && all.mismatch(with: schema) == nil)
    // An empty `write` adds no frame either.
    #expect(try written(schema, RecordBatch(schema: schema)) == output.bytes)
  }

  @Test func headerIsSentBeforeAnyRecord() throws {
    let schema = StreamSchema(elementType: .u8, layout: .vector, dims: [2])
    let output = MemoryOutput()
    let writer = try StreamWriter(output, schema: schema)
    #expect(output.bytes.isEmpty)
    try writer.writeHeader()
    try writer.writeHeader()
    #expect(frames(of: output.bytes).map(\.kind) == [0x48])
    try [UInt8(3), 4].withUnsafeBytes { try writer.append(id: 1, label: 2, payload: $0) }
    #expect(frames(of: output.bytes).count == 1)  // held until a frame is full or flushed
    try writer.flush()
    try writer.finish()
    #expect(frames(of: output.bytes).map(\.kind) == [0x48, 0x42])
  }

  @Test func noPayloadSchemaIgnoresElementType() throws {
    // The element type means nothing without a payload: writers put u8 there, and a
    // reader treats a stream with another type there as the same schema.
    let schema = StreamSchema(elementType: .f32, layout: .none, dims: [], fields: .view)
    let bytes = try written(schema, sampleBatch(schema, count: 2))
    #expect(bytes[16] == ElementType.u8.rawValue)
    var other = bytes
    other[16] = ElementType.f32.rawValue
    let (readSchema, batches) = try readStream(other)
    #expect(readSchema.elementType == .u8)
    #expect(readSchema.hasSameRecords(as: schema))
    #expect(batches.count == 1)
    let (_, both) = try readStream(bytes + other)
    #expect(both.count == 2)
  }

  @Test func writerRefusesRecordsOfTheWrongSize() throws {
    let schema = StreamSchema(elementType: .f32, layout: .vector, dims: [2], fields: .probs, probabilityCount: 2)
    let writer = try StreamWriter(MemoryOutput(), schema: schema)
    let probabilities: [Float] = [0.5, 0.5]
    let payload = [UInt8](repeating: 0, count: 8)
    probabilities.withUnsafeBufferPointer { probabilities in
      #expect(throws: Failure.self) {
        try [UInt8](repeating: 0, count: 7).withUnsafeBytes { try writer.append(id: 0, label: 0, probabilities: probabilities, payload: $0) }
      }
      #expect(throws: Failure.self) {
        try payload.withUnsafeBytes { try writer.append(id: 0, label: 0, probabilities: nil, payload: $0) }
      }
      #expect(throws: Failure.self) {
        try payload.withUnsafeBytes {
          try writer.append(id: 0, label: 0, probabilities: UnsafeBufferPointer(rebasing: probabilities[..<1]), payload: $0)
        }
      }
    }
    var bad = RecordBatch(schema: schema)
    bad.ids = [1]
    bad.labels = [1]
    bad.probabilities = [1, 2]
    bad.payload = [1, 2, 3]
    #expect(throws: Failure.self) { try writer.write(bad) }
    #expect(throws: Failure.self) {
      _ = try StreamWriter(MemoryOutput(), schema: StreamSchema(elementType: .u8, layout: .chw, dims: [1, 0, 2]))
    }
  }
}

// MARK: Frames, concatenation, readAll

@Suite struct StreamFrameTests {
  @Test func appendSplitsIntoFramesOf256() throws {
    let schema = StreamSchema(elementType: .u8, layout: .vector, dims: [3], fields: [.split, .cluster])
    #expect(schema.recordsPerFrame == 256)
    let batch = sampleBatch(schema, count: 600)
    let output = MemoryOutput()
    let writer = try StreamWriter(output, schema: schema)
    for index in 0..<batch.count {
      try batch.payload[index * 3..<index * 3 + 3].withUnsafeBytes {
        try writer.append(
          id: batch.ids[index], label: batch.labels[index], split: Split(rawValue: batch.splits![index]),
          cluster: batch.clusters![index], payload: $0)
      }
      // A frame goes out as soon as 256 records are held.
      if index == 255 { #expect(frames(of: output.bytes).map(\.n) == [0, 256]) }
    }
    try writer.finish()
    let frameList = frames(of: output.bytes)
    #expect(frameList.map(\.kind) == [0x48, 0x42, 0x42, 0x42])
    #expect(frameList.map(\.n) == [0, 256, 256, 88])
    #expect(frameList.allSatisfy { $0.offset % 64 == 0 && $0.bodyLength % 64 == 0 })
    #expect(try written(schema, batch) == output.bytes)

    let (_, batches) = try readStream(output.bytes)
    #expect(batches.map(\.count) == [256, 256, 88])
    #expect(try StreamReader(MemoryInput(output.bytes)).readAll() == batch)
  }

  @Test func writeSplitsLargeBatchesAndFlushesPendingFirst() throws {
    let schema = StreamSchema(elementType: .f16, layout: .none, dims: [], fields: .view)
    let batch = sampleBatch(schema, count: 1000)
    let output = MemoryOutput()
    let writer = try StreamWriter(output, schema: schema)
    try writer.append(id: -1, label: -1, view: 9, payload: UnsafeRawBufferPointer(start: nil, count: 0))
    try writer.write(batch)
    try writer.finish()
    #expect(frames(of: output.bytes).map(\.n) == [0, 1, 256, 256, 256, 232])
    let all = try StreamReader(MemoryInput(output.bytes)).readAll()
    #expect(all.count == 1001)
    #expect(all.ids.first == -1 && all.views?.first == 9)
    #expect(all.slice(1..<1001, schema: schema) == batch)
  }

  @Test func largeRecordsMakeSmallerFrames() throws {
    // 1 MiB records: 16 MiB / (1 MiB + 32) = 15 records per frame.
    let schema = StreamSchema.image(.f32, channels: 1, height: 256, width: 1024)
    #expect(schema.recordsPerFrame == 15)
    var batch = RecordBatch(schema: schema)
    batch.ids = (0..<20).map(Int64.init)
    batch.labels = [Int32](repeating: 3, count: 20)
    batch.payload = (0..<20 * schema.bytesPerRecord).map { UInt8(truncatingIfNeeded: ($0 &* 31) >> 3) }
    let bytes = try written(schema, batch)
    let frameList = frames(of: bytes)
    #expect(frameList.map(\.n) == [0, 15, 5])
    #expect(frameList.allSatisfy { 64 + $0.bodyLength <= StreamFormat.targetFrameBytes })
    #expect(try StreamReader(MemoryInput(bytes)).readAll() == batch)
  }

  @Test func catOfTwoStreamsWithTheSameSchema() throws {
    var firstMetadata = sampleMetadata()
    firstMetadata.dataset = "first"
    var secondMetadata = Metadata()
    secondMetadata.dataset = "second"
    let first = StreamSchema.image(.u8, channels: 1, height: 3, width: 3, fields: .split, metadata: firstMetadata)
    var second = first
    second.metadata = secondMetadata
    let a = sampleBatch(first, count: 300, seed: 1)
    let b = sampleBatch(second, count: 5, seed: 2)
    let bytes = try written(first, a) + written(second, b)
    #expect(frames(of: bytes).map(\.kind) == [0x48, 0x42, 0x42, 0x48, 0x42])

    let reader = try StreamReader(MemoryInput(bytes))
    var all = try reader.readAll()
    #expect(reader.schema.metadata == firstMetadata)  // the first metadata is kept
    #expect(all.count == 305)
    #expect(all.slice(0..<300, schema: first) == a)
    #expect(all.slice(300..<305, schema: first) == b)

    // Two zero-record streams, and a zero-record stream in the middle.
    let empty = try written(first, RecordBatch(schema: first))
    #expect(try readStream(empty + empty).1.isEmpty)
    all = try StreamReader(MemoryInput(try written(first, a) + empty + written(second, b))).readAll()
    #expect(all.count == 305)
  }

  @Test(arguments: [
    (StreamSchema.image(.u8, channels: 3, height: 3, width: 3), "u8 CHW 1×3×3", "u8 CHW 3×3×3"),
    (StreamSchema.image(.f32, channels: 1, height: 3, width: 3), "u8 CHW 1×3×3", "f32 CHW 1×3×3"),
    (StreamSchema.image(.u8, channels: 1, height: 3, width: 3, fields: .cluster), "u8 CHW 1×3×3", "+cluster"),
    (StreamSchema(elementType: .u8, layout: .vector, dims: [9]), "CHW", "u8 D 9"),
  ])
  func catOfTwoStreamsWithDifferentSchemas(second: StreamSchema, firstSummary: String, secondSummary: String) throws {
    let first = StreamSchema.image(.u8, channels: 1, height: 3, width: 3)
    let a = try written(first, sampleBatch(first, count: 4))
    let b = try written(second, sampleBatch(second, count: 2))
    expectStreamError(a + b, offset: a.count, "schema changes", firstSummary, secondSummary)
    // Also when the first stream has no records.
    let empty = try written(first, RecordBatch(schema: first))
    expectStreamError(empty + b, offset: empty.count, "schema changes")
  }

  @Test func probabilityLengthChangeIsRefused() throws {
    let first = StreamSchema(elementType: .u8, layout: .none, dims: [], fields: .probs, probabilityCount: 2)
    var second = first
    second.probabilityCount = 3
    let a = try written(first, sampleBatch(first, count: 1))
    let b = try written(second, sampleBatch(second, count: 1))
    expectStreamError(a + b, offset: a.count, "schema changes", "+probs[2]", "+probs[3]")
  }
}

// MARK: A stream built byte by byte

@Suite struct HandBuiltStreamTests {
  static let metadataJSON = #"{"classes":["cat","dog"],"dataset":"hand"}"#

  /// An H frame and one B frame of 2 records: f32 vectors of D = 2, every optional field, K = 2.
  static func handBuilt() -> [UInt8] {
    var s = Bytes()
    // H frame header.
    s.text("UNSP")
    s.u8(0x48)  // kind H
    s.u8(1)  // version
    s.u16(0)  // reserved
    s.u64(64)  // body length: M = 42 rounded up
    s.u8(3)  // f32
    s.u8(1)  // layout D
    s.u16(1 | 2 | 4 | 8)  // view, split, cluster, probs
    s.u32(2)  // K
    s.u32(UInt32(metadataJSON.utf8.count))  // M
    s.u32(0)  // reserved
    s.u32(2)
    s.u32(0)
    s.u32(0)
    s.u32(0)  // dims [2, 0, 0, 0]
    s.zeros(16)  // reserved
    #expect(s.bytes.count == 64)
    s.text(metadataJSON)
    s.pad()
    #expect(s.bytes.count == 128)

    // B frame header.
    s.text("UNSP")
    s.u8(0x42)  // kind B
    s.u8(1)
    s.u16(0)
    s.u64(7 * 64)  // seven columns, each padded to 64 bytes
    s.u32(2)  // n
    s.zeros(44)
    #expect(s.bytes.count == 192)
    s.i64(70_000)
    s.i64(-5)
    s.pad()  // id
    s.i32(1)
    s.i32(-1)
    s.pad()  // label
    s.i32(0)
    s.i32(1)
    s.pad()  // view
    s.u8(0)
    s.u8(2)
    s.pad()  // split
    s.i32(-1)
    s.i32(7)
    s.pad()  // cluster
    for value: Float in [0.25, 0.75, 1, 0] { s.f32(value) }
    s.pad()  // probs, row-major 2×2
    for value: Float in [1.5, -2, 0, 3.25] { s.f32(value) }
    s.pad()  // x, record-major 2×2
    #expect(s.bytes.count == 192 + 7 * 64)
    return s.bytes
  }

  static var expectedSchema: StreamSchema {
    var metadata = Metadata()
    metadata.classes = ["cat", "dog"]
    metadata.dataset = "hand"
    return StreamSchema(
      elementType: .f32, layout: .vector, dims: [2], fields: [.view, .split, .cluster, .probs], probabilityCount: 2,
      metadata: metadata)
  }

  @Test func readsKnownValues() throws {
    let (schema, batches) = try readStream(Self.handBuilt())
    #expect(schema == Self.expectedSchema)
    #expect(schema.summary == "f32 D 2 +view +split +cluster +probs[2]")
    try #require(batches.count == 1)
    let batch = batches[0]
    #expect(batch.ids == [70_000, -5])
    #expect(batch.labels == [1, -1])
    #expect(batch.views == [0, 1])
    #expect(batch.splits == [Split.train.rawValue, Split.unlabeled.rawValue])
    #expect(batch.clusters == [-1, 7])
    #expect(batch.probabilities == [0.25, 0.75, 1, 0])
    let floats = batch.payload.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
    #expect(floats == [1.5, -2, 0, 3.25])
  }

  @Test func writerProducesExactlyTheseBytes() throws {
    let schema = Self.expectedSchema
    let output = MemoryOutput()
    let writer = try StreamWriter(output, schema: schema)
    let records: [(Int64, Int32, Int32, Split, Int32, [Float], [Float])] = [
      (70_000, 1, 0, .train, -1, [0.25, 0.75], [1.5, -2]),
      (-5, -1, 1, .unlabeled, 7, [1, 0], [0, 3.25]),
    ]
    for (id, label, view, split, cluster, probabilities, x) in records {
      try probabilities.withUnsafeBufferPointer { probabilities in
        try x.withUnsafeBytes {
          try writer.append(
            id: id, label: label, view: view, split: split, cluster: cluster, probabilities: probabilities, payload: $0)
        }
      }
    }
    try writer.finish()
    #expect(output.bytes == Self.handBuilt())
    #expect(FrameCodec.headerFrame(schema) == Array(Self.handBuilt()[..<128]))
  }

  @Test func reservedBytesAndPaddingAreIgnored() throws {
    var bytes = Self.handBuilt()
    poke(&bytes, at: 6, UInt16(0xFFFF))  // reserved in the H frame header
    poke(&bytes, at: 28, UInt32(0xFFFF_FFFF))  // reserved in H
    poke(&bytes, at: 48, UInt64.max)  // reserved in H
    poke(&bytes, at: 128 + 6, UInt16(0xBEEF))  // reserved in the B frame header
    poke(&bytes, at: 128 + 20, UInt64.max)  // reserved in B
    let (schema, batches) = try readStream(bytes)
    #expect(schema == Self.expectedSchema)
    let expected = try readStream(Self.handBuilt()).1
    #expect(batches == expected)
  }
}

// MARK: Malformed input

@Suite struct MalformedStreamTests {
  /// A valid stream: H frame (128 bytes: M ≤ 64), then two B frames of u8 CHW 1×2×3 + split.
  static let schema = StreamSchema.image(.u8, channels: 1, height: 2, width: 3, fields: .split, metadata: Metadata(["a": .number(1)]))
  static var valid: [UInt8] {
    let output = MemoryOutput()
    let writer = try! StreamWriter(output, schema: schema)
    try! writer.write(sampleBatch(schema, count: 300))
    try! writer.finish()
    return output.bytes
  }
  /// Offset of the second B frame.
  static var secondBatch: Int { frames(of: valid)[2].offset }

  /// An H frame built by hand with the given fields and metadata.
  static func header(
    elementType: UInt8 = 1, layout: UInt8 = 2, fields: UInt16 = 0, k: UInt32 = 0, dims: [UInt32] = [1, 2, 3, 0],
    metadata: String = "{}", metadataLength: UInt32? = nil, bodyLength: UInt64? = nil
  ) -> [UInt8] {
    var s = Bytes()
    s.text("UNSP")
    s.u8(0x48)
    s.u8(1)
    s.u16(0)
    s.u64(bodyLength ?? UInt64(StreamFormat.padded(metadata.utf8.count)))
    s.u8(elementType)
    s.u8(layout)
    s.u16(fields)
    s.u32(k)
    s.u32(metadataLength ?? UInt32(metadata.utf8.count))
    s.u32(0)
    for dim in dims { s.u32(dim) }
    s.zeros(16)
    s.text(metadata)
    s.pad()
    return s.bytes
  }

  @Test func validBaseline() throws {
    #expect(frames(of: Self.valid).map(\.n) == [0, 256, 44])
    #expect(try readStream(Self.valid).1.map(\.count) == [256, 44])
    #expect(try readStream(Self.header()).1.isEmpty)
  }

  @Test func emptyInput() {
    expectStreamError([], offset: 0, "empty input")
  }

  @Test func wrongMagic() {
    var bytes = Self.valid
    bytes.replaceSubrange(0..<4, with: Array("GIF8".utf8))
    expectStreamError(bytes, offset: 0, "wrong magic", "UNSP", "'GIF8'")
    bytes = Self.valid
    bytes.replaceSubrange(0..<4, with: [0x1F, 0x8B, 0x08, 0x00])  // gzip, shown in hex
    expectStreamError(bytes, offset: 0, "wrong magic", "1f 8b 08 00")
    bytes = Self.valid
    bytes[Self.secondBatch + 3] = 0x51
    expectStreamError(bytes, offset: Self.secondBatch, "wrong magic", "'UNSQ'")
  }

  @Test func unknownKindVersionElementTypeAndLayout() {
    var bytes = Self.valid
    bytes[4] = 0x58
    expectStreamError(bytes, offset: 0, "unknown frame kind", "0x58")
    bytes = Self.valid
    bytes[Self.secondBatch + 4] = 0x62  // lower-case b
    expectStreamError(bytes, offset: Self.secondBatch, "unknown frame kind", "0x62")
    bytes = Self.valid
    bytes[5] = 2
    expectStreamError(bytes, offset: 0, "version 2")
    bytes = Self.valid
    bytes[Self.secondBatch + 5] = 0
    expectStreamError(bytes, offset: Self.secondBatch, "version 0")
    expectStreamError(Self.header(elementType: 4), offset: 0, "unknown element type 4")
    expectStreamError(Self.header(elementType: 0), offset: 0, "unknown element type 0")
    expectStreamError(Self.header(elementType: 0, layout: 0, dims: [0, 0, 0, 0]), offset: 0, "unknown element type 0")
    expectStreamError(Self.header(layout: 3), offset: 0, "unknown layout 3")
  }

  @Test func badSchemaFields() {
    expectStreamError(Self.header(fields: 16), offset: 0, "unknown field bits")
    expectStreamError(Self.header(fields: 8, k: 0), offset: 0, "probability length 0")
    expectStreamError(Self.header(fields: 8, k: 1 << 20 + 1), offset: 0, "probability length \(1 << 20 + 1)")
    expectStreamError(Self.header(k: 3), offset: 0, "probability length 3 without the probs field")
    expectStreamError(Self.header(dims: [1, 0, 3, 0]), offset: 0, "dimension 0")
    expectStreamError(Self.header(dims: [1, 1 << 24 + 1, 3, 0]), offset: 0, "dimension \(1 << 24 + 1)")
    expectStreamError(Self.header(elementType: 3, dims: [1 << 24, 1 << 24, 1 << 24, 0]), offset: 0, "record payload above")
    expectStreamError(Self.header(elementType: 1, dims: [1 << 14, 1 << 14 + 1, 1, 0]), offset: 0, "record payload above")
    // Exactly at the limits is fine.
    #expect(throws: Never.self) { try readStream(Self.header(fields: 8, k: 1 << 20, dims: [1 << 14, 1 << 14, 1, 0])) }
  }

  @Test func dimsBeyondLayoutRank() {
    expectStreamError(Self.header(layout: 1, dims: [5, 2, 0, 0]), offset: 0, "layout D uses 1 dims but more are set")
    expectStreamError(Self.header(layout: 2, dims: [1, 2, 3, 4]), offset: 0, "layout CHW uses 3 dims")
    expectStreamError(Self.header(layout: 0, dims: [0, 0, 0, 1]), offset: 0, "layout none uses 0 dims")
  }

  @Test func truncatedHeader() {
    expectStreamError(Array(Self.valid[..<10]), offset: 0, "truncated frame header", "10 of 64")
    expectStreamError(Array(Self.valid[..<63]), offset: 0, "truncated frame header", "63 of 64")
    let cut = Self.secondBatch + 30
    expectStreamError(Array(Self.valid[..<cut]), offset: Self.secondBatch, "truncated frame header", "30 of 64")
  }

  @Test func truncatedBody() {
    // Inside the H frame's metadata.
    expectStreamError(Array(Self.valid[..<100]), offset: 0, "truncated frame", "36 of 64")
    // Inside the last B frame.
    let valid = Self.valid
    let last = frames(of: valid)[2]
    expectStreamError(Array(valid[..<(valid.count - 10)]), offset: last.offset, "truncated frame", "\(last.bodyLength - 10) of \(last.bodyLength)")
    // Right after a B frame header.
    expectStreamError(Array(valid[..<(last.offset + 64)]), offset: last.offset, "truncated frame", "0 of \(last.bodyLength)")
  }

  @Test func bodyLengthMismatch() {
    let second = Self.secondBatch
    let length = frames(of: Self.valid)[2].bodyLength
    // Longer body, with the bytes present.
    var bytes = Self.valid
    poke(&bytes, at: second + 8, UInt64(length + 64))
    bytes += [UInt8](repeating: 0, count: 64)
    expectStreamError(bytes, offset: second, "needs a \(length)-byte body, frame says \(length + 64)")
    // Shorter body.
    bytes = Self.valid
    poke(&bytes, at: second + 8, UInt64(length - 64))
    expectStreamError(bytes, offset: second, "needs a \(length)-byte body")
    // n that does not match the body.
    bytes = Self.valid
    poke(&bytes, at: second + 16, UInt32(100))
    expectStreamError(bytes, offset: second, "batch of 100 records", "frame says \(length)")
    // Body length not a multiple of 64.
    bytes = Self.valid
    poke(&bytes, at: second + 8, UInt64(length + 1))
    expectStreamError(bytes, offset: second, "not a multiple of 64")
    // Over the batch limit of 1 GiB, and a u64 that does not fit Int.
    bytes = Self.valid
    poke(&bytes, at: second + 8, UInt64(1 << 30 + 64))
    expectStreamError(bytes, offset: second, "over the limit")
    poke(&bytes, at: second + 8, UInt64.max)
    expectStreamError(bytes, offset: second, "over the limit")
    // H frame whose body does not match its metadata length.
    expectStreamError(Self.header(metadata: "{}", bodyLength: 128), offset: 0, "header body is 128 bytes", "need 64")
    expectStreamError(Self.header(metadata: "{}", bodyLength: 0), offset: 0, "header body is 0 bytes")
  }

  @Test func batchWithNoRecords() {
    var bytes = Self.valid
    poke(&bytes, at: 128 + 16, UInt32(0))
    expectStreamError(bytes, offset: 128, "no records")
  }

  @Test func metadataNotJSONOrNotAnObject() {
    // Metadata problems are reported at the metadata, right after the 64-byte frame header.
    expectStreamError(Self.header(metadata: "{\"a\": "), offset: 64, "not valid JSON")
    expectStreamError(Self.header(metadata: "not json"), offset: 64, "not valid JSON")
    expectStreamError(Self.header(metadata: ""), offset: 64, "not valid JSON")
    expectStreamError(Self.header(metadata: "[1, 2]"), offset: 64, "not a JSON object")
    expectStreamError(Self.header(metadata: "\"text\""), offset: 64, "not a JSON object")
    expectStreamError(Self.header(metadata: "null"), offset: 64, "not a JSON object")
    var bytes = Self.header(metadata: "{\"a\":\"xx\"}")
    bytes[64 + 6] = 0xFF  // not UTF-8
    expectStreamError(bytes, offset: 64, "not valid JSON")
    // In a repeated header, at that header's metadata.
    let valid = Self.valid
    expectStreamError(valid + Self.header(metadata: "[]"), offset: valid.count + 64, "not a JSON object")
  }

  @Test func oversizedMetadataLength() {
    expectStreamError(
      Self.header(metadataLength: 0x7FFF_FFFF, bodyLength: 64), offset: 0, "metadata of 2147483647 bytes is over the limit")
    expectStreamError(
      Self.header(metadataLength: 1 << 20 + 1, bodyLength: 1 << 20), offset: 0, "metadata of \(1 << 20 + 1) bytes is over the limit")
    // A header body over the limit is refused before it is read.
    expectStreamError(Self.header(bodyLength: 1 << 20 + 64), offset: 0, "over the limit")
    // Exactly 1 MiB of metadata is fine.
    let big = "{\"a\":\"" + String(repeating: "x", count: (1 << 20) - 8) + "\"}"
    #expect(big.utf8.count == 1 << 20)
    #expect(throws: Never.self) { try readStream(Self.header(metadata: big)) }
  }

  @Test func batchBeforeHeader() {
    let valid = Self.valid
    expectStreamError(Array(valid[128...]), offset: 0, "starts with a batch frame")
  }
}
