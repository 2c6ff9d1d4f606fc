/// Writes a stream: one H frame, then B frames (docs/FORMAT.md).
///
/// Records can be given one at a time with `append`, which sends a frame every
/// `schema.recordsPerFrame` records, or as whole batches with `write`. Call `finish()` at
/// the end: it sends the last partial frame, and the header if nothing else was sent.
public final class StreamWriter {
  public let output: ByteOutput
  public let schema: StreamSchema
  private var headerWritten = false
  private var pending: RecordBatch
  private var frame: [UInt8] = []

  /// Checks `schema`; writes nothing yet.
  public init(_ output: ByteOutput, schema: StreamSchema) throws {
    try schema.validate()
    let metadataSize = schema.metadata.encoded().count
    guard metadataSize <= StreamFormat.maxMetadataBytes else {
      throw Failure(
        "the stream's metadata would take \(metadataSize) bytes, over the format's limit of \(StreamFormat.maxMetadataBytes) (too many class names?)",
        exitCode: ExitStatus.dataError)
    }
    self.output = output
    self.schema = schema
    pending = RecordBatch(schema: schema, reservingCapacity: schema.recordsPerFrame)
  }

  /// Sends the H frame now (tools do this before long work, so a reader sees the schema).
  public func writeHeader() throws {
    guard !headerWritten else { return }
    headerWritten = true
    try output.write(FrameCodec.headerFrame(schema))
  }

  /// Appends one record; see `RecordBatch.append` for the defaults of absent fields.
  public func append(
    id: Int64, label: Int32, view: Int32 = 0, split: Split? = nil, cluster: Int32 = -1,
    probabilities: UnsafeBufferPointer<Float>? = nil, payload: UnsafeRawBufferPointer
  ) throws {
    // A record of the wrong size would make a frame whose body does not match its header.
    guard payload.count == schema.bytesPerRecord else {
      throw Failure(
        "internal error: a record payload of \(payload.count) bytes for a stream of \(schema.bytesPerRecord)-byte records",
        exitCode: ExitStatus.software)
    }
    if schema.fields.contains(.probs), probabilities?.count != schema.probabilityCount {
      throw Failure(
        "internal error: \(probabilities?.count ?? 0) probabilities for a stream with K = \(schema.probabilityCount)",
        exitCode: ExitStatus.software)
    }
    pending.append(
      id: id, label: label, view: view, split: split, cluster: cluster, probabilities: probabilities,
      payload: payload)
    if pending.count >= schema.recordsPerFrame { try flush() }
  }

  /// Sends any appended records, then `batch`, split into frames of at most
  /// `schema.recordsPerFrame` records.
  public func write(_ batch: RecordBatch) throws {
    if let problem = batch.mismatch(with: schema) {
      throw Failure("internal error: batch does not fit the stream: \(problem)", exitCode: ExitStatus.software)
    }
    try flush()
    let step = schema.recordsPerFrame
    if batch.count <= step {
      try send(batch)
      return
    }
    for start in stride(from: 0, to: batch.count, by: step) {
      try send(batch.slice(start..<min(start + step, batch.count), schema: schema))
    }
  }

  /// Sends appended records now, even if fewer than a full frame.
  public func flush() throws {
    guard pending.count > 0 else { return }
    try send(pending)
    pending.removeAll()
  }

  /// Sends everything still held, and the header if no frame was sent yet.
  public func finish() throws {
    try writeHeader()
    try flush()
  }

  private func send(_ batch: RecordBatch) throws {
    guard batch.count > 0 else { return }
    try writeHeader()
    #if UNSUP_INTERNAL_CHECKS
    var whole: [UInt8] = []
    FrameCodec.appendBatchFrame(&whole, batch, schema: schema)
    let check = try StreamReader(MemoryInput(FrameCodec.headerFrame(schema) + whole))
    var again: [UInt8] = []
    if let readBack = try check.next() { FrameCodec.appendBatchFrame(&again, readBack, schema: schema) }
    let extra = try check.next()
    precondition(again == whole && extra == nil, "a written frame does not read back")
    #endif
    frame.removeAll(keepingCapacity: true)
    FrameCodec.appendBatchFrameBeforePayload(&frame, batch, schema: schema)
    try output.write(frame)
    try batch.payload.withUnsafeBytes { try output.write($0) }
    let padding = StreamFormat.padded(batch.payload.count) - batch.payload.count
    if padding > 0 { try StreamWriter.zeros.withUnsafeBytes { try output.write(UnsafeRawBufferPointer(rebasing: $0[..<padding])) } }
  }

  private static let zeros = [UInt8](repeating: 0, count: StreamFormat.alignment)
}

extension RecordBatch {
  /// The records in `range`, as a new batch.
  public func slice(_ range: Range<Int>, schema: StreamSchema) -> RecordBatch {
    var part = RecordBatch(schema: schema)
    part.ids = Array(ids[range])
    part.labels = Array(labels[range])
    part.views = views.map { Array($0[range]) }
    part.splits = splits.map { Array($0[range]) }
    part.clusters = clusters.map { Array($0[range]) }
    let k = schema.probabilityCount
    part.probabilities = probabilities.map { Array($0[range.lowerBound * k..<range.upperBound * k]) }
    let size = schema.bytesPerRecord
    part.payload = Array(payload[range.lowerBound * size..<range.upperBound * size])
    return part
  }
}
