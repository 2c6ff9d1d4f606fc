/// Reads a stream frame by frame (docs/FORMAT.md).
///
/// `init` reads the first H frame, so `schema` is known before any record. Each `next()`
/// returns one batch. Repeated H frames with the same records (from `cat a b`) are passed
/// over; one that changes the records is refused. All sizes are checked against the
/// format's limits before anything is allocated, and a body is read in chunks, so a forged
/// length cannot make the reader allocate more than the input actually holds plus 16 MiB.
public final class StreamReader {
  public let input: ByteInput
  /// The schema of the first header; its metadata is the first header's.
  public private(set) var schema: StreamSchema
  /// Bytes consumed so far.
  public private(set) var offset = 0

  private var frameHeader = [UInt8](repeating: 0, count: StreamFormat.frameHeaderSize)

  /// Reads the first frame, which must be an H frame.
  public init(_ input: ByteInput) throws {
    self.input = input
    schema = StreamSchema(elementType: .u8, layout: .none, dims: [])
    guard let first = try readFrameHeader() else {
      throw StreamError(input: input.name, offset: 0, problem: "empty input: no stream header")
    }
    guard first.kind == .header else {
      throw StreamError(input: input.name, offset: 0, problem: "stream starts with a batch frame, not a header")
    }
    schema = try readHeaderBody(first)
  }

  /// Opens `path` (`-` for stdin) and reads its header.
  public convenience init(path: String) throws {
    try self.init(FileInput(path: path))
  }

  /// The next batch, or nil at the end of the input.
  public func next() throws -> RecordBatch? {
    while let frame = try readFrameHeader() {
      switch frame.kind {
      case .header:
        let repeated = try readHeaderBody(frame)
        guard repeated.hasSameRecords(as: schema) else {
          throw StreamError(
            input: input.name, offset: frame.offset,
            problem: "schema changes mid-stream from \(schema.summary) to \(repeated.summary); "
              + "only streams with the same schema can be concatenated")
        }
      case .batch:
        return try readBatchBody(frame)
      }
    }
    return nil
  }

  /// Every remaining record in one batch (for tools that must hold the data).
  public func readAll() throws -> RecordBatch {
    var all = RecordBatch(schema: schema)
    while let batch = try next() { all.append(contentsOf: batch) }
    return all
  }

  // MARK: Frames

  private struct FrameHeader {
    var kind: FrameKind
    var bodyLength: Int
    var offset: Int
    /// Bytes 16..<64 of the header.
    var specific: [UInt8]
  }

  private func failure(_ problem: String, at position: Int) -> StreamError {
    StreamError(input: input.name, offset: position, problem: problem)
  }

  /// Reads and checks a 64-byte frame header; nil at a clean end of input.
  private func readFrameHeader() throws -> FrameHeader? {
    let start = offset
    let got = try frameHeader.withUnsafeMutableBytes { try input.readFully(into: $0) }
    offset += got
    if got == 0 { return nil }
    let magicLength = min(got, StreamFormat.magic.count)
    guard frameHeader[..<magicLength].elementsEqual(StreamFormat.magic[..<magicLength]) else {
      throw failure("wrong magic: expected UNSP, found \(frameHeader.withUnsafeBytes { printable($0[..<magicLength]) })", at: start)
    }
    guard got == StreamFormat.frameHeaderSize else {
      throw failure("truncated frame header: \(got) of \(StreamFormat.frameHeaderSize) bytes", at: start)
    }
    return try frameHeader.withUnsafeBytes { bytes -> FrameHeader in
      guard let kind = FrameKind(rawValue: bytes[4]) else {
        throw failure("unknown frame kind 0x\(String(bytes[4], radix: 16))", at: start)
      }
      guard bytes[5] == StreamFormat.version else {
        throw failure("unsupported format version \(bytes[5]) (this reader knows \(StreamFormat.version))", at: start)
      }
      let length = bytes.littleEndian(at: 8, as: UInt64.self)
      let limit = kind == .header ? StreamFormat.padded(StreamFormat.maxMetadataBytes) : StreamFormat.maxBatchBodyBytes
      guard length <= UInt64(limit) else {
        throw failure("frame body of \(length) bytes is over the limit of \(limit)", at: start)
      }
      guard length % UInt64(StreamFormat.alignment) == 0 else {
        throw failure("frame body length \(length) is not a multiple of \(StreamFormat.alignment)", at: start)
      }
      return FrameHeader(kind: kind, bodyLength: Int(length), offset: start, specific: Array(bytes[16..<64]))
    }
  }

  /// The last frame's body; kept, so that reading a frame allocates nothing once the
  /// buffer has grown to the largest frame.
  private var body: [UInt8] = []

  /// Reads a body of `length` bytes into `body`, growing it only as data arrives, and
  /// returns its length.
  private func readBody(_ frame: FrameHeader) throws -> Int {
    let chunk = 16 << 20
    if body.count < min(frame.bodyLength, chunk) { body.append(contentsOf: repeatElement(0, count: min(frame.bodyLength, chunk) - body.count)) }
    var filled = 0
    while filled < frame.bodyLength {
      if filled == body.count { body.append(contentsOf: repeatElement(0, count: min(chunk, frame.bodyLength - filled))) }
      let end = min(body.count, frame.bodyLength)
      let got = try body.withUnsafeMutableBytes {
        try input.readFully(into: UnsafeMutableRawBufferPointer(rebasing: $0[filled..<end]))
      }
      offset += got
      if got == 0 { break }
      filled += got
    }
    guard filled == frame.bodyLength else {
      throw failure("truncated frame: body has \(filled) of \(frame.bodyLength) bytes", at: frame.offset)
    }
    return filled
  }

  private func readHeaderBody(_ frame: FrameHeader) throws -> StreamSchema {
    var parsed: StreamSchema = try frame.specific.withUnsafeBytes { bytes in
      guard let elementType = ElementType(rawValue: bytes[0]) else {
        throw failure("unknown element type \(bytes[0])", at: frame.offset)
      }
      guard let layout = Layout(rawValue: bytes[1]) else { throw failure("unknown layout \(bytes[1])", at: frame.offset) }
      let allDims = (0..<4).map { Int(bytes.littleEndian(at: 16 + 4 * $0, as: UInt32.self)) }
      guard allDims[layout.rank...].allSatisfy({ $0 == 0 }) else {
        throw failure("layout \(layout) uses \(layout.rank) dims but more are set: \(allDims)", at: frame.offset)
      }
      // The element type means nothing without a payload (docs/FORMAT.md); keep it as u8,
      // what writers put there, so that `cat` with a stream that put another type works.
      let schema = StreamSchema(
        elementType: layout == .none ? .u8 : elementType, layout: layout, dims: Array(allDims[..<layout.rank]),
        fields: RecordFields(rawValue: bytes.littleEndian(at: 2, as: UInt16.self)),
        probabilityCount: Int(bytes.littleEndian(at: 4, as: UInt32.self)))
      if let problem = schema.problem() { throw failure(problem, at: frame.offset) }
      return schema
    }
    let metadataLength = frame.specific.withUnsafeBytes { Int($0.littleEndian(at: 8, as: UInt32.self)) }
    guard metadataLength <= StreamFormat.maxMetadataBytes else {
      throw failure("metadata of \(metadataLength) bytes is over the limit of \(StreamFormat.maxMetadataBytes)", at: frame.offset)
    }
    guard StreamFormat.padded(metadataLength) == frame.bodyLength else {
      throw failure(
        "header body is \(frame.bodyLength) bytes but \(metadataLength) bytes of metadata need \(StreamFormat.padded(metadataLength))",
        at: frame.offset)
    }
    _ = try readBody(frame)
    do {
      parsed.metadata = try Metadata(json: Array(body[..<metadataLength]))
    } catch let error as Failure {
      throw failure(error.description, at: frame.offset + StreamFormat.frameHeaderSize)
    }
    return parsed
  }

  private func readBatchBody(_ frame: FrameHeader) throws -> RecordBatch {
    let count = frame.specific.withUnsafeBytes { Int($0.littleEndian(at: 0, as: UInt32.self)) }
    guard count >= 1 else { throw failure("batch frame with no records", at: frame.offset) }
    // count < 2^32 and every per-record size is bounded, so this cannot overflow Int.
    let expected = schema.paddedColumnSizes(count: count)
    guard expected == frame.bodyLength else {
      throw failure(
        "batch of \(count) records of \(schema.summary) needs a \(expected)-byte body, frame says \(frame.bodyLength)",
        at: frame.offset)
    }
    _ = try readBody(frame)
    var batch = RecordBatch(schema: schema)
    body.withUnsafeBytes { bytes in
      var position = 0
      func column<T>(_ type: T.Type, _ elements: Int) -> [T] {
        let values = [T](unsafeUninitializedCapacity: elements) { buffer, initialized in
          UnsafeMutableRawBufferPointer(buffer).copyMemory(
            from: UnsafeRawBufferPointer(rebasing: bytes[position..<position + elements * MemoryLayout<T>.stride]))
          initialized = elements
        }
        position += StreamFormat.padded(elements * MemoryLayout<T>.stride)
        return values
      }
      batch.ids = column(Int64.self, count)
      batch.labels = column(Int32.self, count)
      if schema.fields.contains(.view) { batch.views = column(Int32.self, count) }
      if schema.fields.contains(.split) { batch.splits = column(UInt8.self, count) }
      if schema.fields.contains(.cluster) { batch.clusters = column(Int32.self, count) }
      if schema.fields.contains(.probs) { batch.probabilities = column(Float.self, count * schema.probabilityCount) }
      batch.payload = column(UInt8.self, count * schema.bytesPerRecord)
    }
    return batch
  }
}

/// Four bytes shown as text when printable, as hex otherwise.
private func printable(_ bytes: Slice<UnsafeRawBufferPointer>) -> String {
  if bytes.allSatisfy({ (0x20..<0x7F).contains($0) }) {
    return "'" + String(decoding: Array(bytes), as: UTF8.self) + "'"
  }
  return bytes.map { String(format2hex: $0) }.joined(separator: " ")
}

extension String {
  fileprivate init(format2hex byte: UInt8) {
    self = (byte < 16 ? "0" : "") + String(byte, radix: 16)
  }
}
