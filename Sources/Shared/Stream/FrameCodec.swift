// Encoding of H and B frames to bytes (docs/FORMAT.md). The reader parses these bytes back.

#if _endian(big)
#error("the stream code copies columns as they are in memory, which needs a little-endian machine")
#endif

extension Array where Element == UInt8 {
  @inlinable
  mutating func appendLittleEndian<T: FixedWidthInteger>(_ value: T) {
    Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
  }

  @inlinable
  mutating func padToAlignment() {
    append(contentsOf: repeatElement(0, count: StreamFormat.padded(count) - count))
  }

  /// Appends a typed array's bytes (the machine is little-endian; see `FrameCodec`).
  @inlinable
  mutating func appendColumn<T>(_ column: [T]) {
    column.withUnsafeBytes { append(contentsOf: $0) }
    padToAlignment()
  }
}

extension UnsafeRawBufferPointer {
  /// Reads a little-endian integer at `offset`.
  @inlinable
  func littleEndian<T: FixedWidthInteger>(at offset: Int, as type: T.Type) -> T {
    T(littleEndian: loadUnaligned(fromByteOffset: offset, as: T.self))
  }
}

/// Builds frames. Payload columns are copied as they are in memory: the format is
/// little-endian, and so is every machine Swift runs on that unsup supports.
enum FrameCodec {
  /// The 64-byte frame header without its kind-specific part.
  static func beginFrame(_ frame: inout [UInt8], kind: FrameKind, bodyLength: Int) {
    frame.append(contentsOf: StreamFormat.magic)
    frame.append(kind.rawValue)
    frame.append(StreamFormat.version)
    frame.appendLittleEndian(UInt16(0))
    frame.appendLittleEndian(UInt64(bodyLength))
  }

  /// A complete H frame for `schema`.
  static func headerFrame(_ schema: StreamSchema) -> [UInt8] {
    let json = schema.metadata.encoded()
    var frame: [UInt8] = []
    frame.reserveCapacity(StreamFormat.frameHeaderSize + StreamFormat.padded(json.count))
    beginFrame(&frame, kind: .header, bodyLength: StreamFormat.padded(json.count))
    frame.append(schema.layout == .none ? ElementType.u8.rawValue : schema.elementType.rawValue)
    frame.append(schema.layout.rawValue)
    frame.appendLittleEndian(schema.fields.rawValue)
    frame.appendLittleEndian(UInt32(schema.probabilityCount))
    frame.appendLittleEndian(UInt32(json.count))
    frame.appendLittleEndian(UInt32(0))
    for index in 0..<4 {
      frame.appendLittleEndian(UInt32(index < schema.dims.count ? schema.dims[index] : 0))
    }
    frame.padToAlignment()
    frame.append(contentsOf: json)
    frame.padToAlignment()
    return frame
  }

  /// Appends a B frame holding `batch` (count ≥ 1) to `frame`.
  static func appendBatchFrame(_ frame: inout [UInt8], _ batch: RecordBatch, schema: StreamSchema) {
    appendBatchFrameBeforePayload(&frame, batch, schema: schema)
    frame.appendColumn(batch.payload)
  }

  /// Appends all of a B frame up to its payload column, which the writer then sends from
  /// the batch itself, saving a copy of the largest column.
  static func appendBatchFrameBeforePayload(_ frame: inout [UInt8], _ batch: RecordBatch, schema: StreamSchema) {
    let bodyLength = schema.paddedColumnSizes(count: batch.count)
    beginFrame(&frame, kind: .batch, bodyLength: bodyLength)
    frame.appendLittleEndian(UInt32(batch.count))
    frame.padToAlignment()
    frame.appendColumn(batch.ids)
    frame.appendColumn(batch.labels)
    if let views = batch.views { frame.appendColumn(views) }
    if let splits = batch.splits { frame.appendColumn(splits) }
    if let clusters = batch.clusters { frame.appendColumn(clusters) }
    if let probabilities = batch.probabilities { frame.appendColumn(probabilities) }
  }
}
