import SIMDKernels

/// Every record of a stream held for tools that need several passes (cluster, score):
/// payloads in their stored element type (u8 stays u8), rows of `dimension` values.
///
/// `floatRows` hands out blocks of rows as Float for BLAS, converted (and scaled) on the
/// fly into a caller's scratch buffer, so no n × d float copy of u8 data is ever made.
public struct FeatureMatrix: Sendable {
  public let schema: StreamSchema
  /// The records' ids, labels and other fields, with the payload.
  public let records: RecordBatch
  /// Values per row (the product of the record dims).
  public let dimension: Int
  /// Multiplier applied when converting: `unitScale(for:)`, so 1 for anything but u8.
  public let scale: Float

  public var count: Int { records.count }

  /// Reads every remaining record of `reader`. Refuses streams without a payload.
  public init(reading reader: StreamReader) throws {
    try self.init(schema: reader.schema, records: reader.readAll(), name: reader.input.name)
  }

  /// The records of one batch (`name` names their input in messages).
  public init(schema: StreamSchema, records: RecordBatch, name: String) throws {
    guard schema.layout != .none else {
      throw Failure("\(name): records carry no values (layout none); nothing to compute on")
    }
    self.schema = schema
    self.records = records
    dimension = schema.elementsPerRecord
    scale = Self.unitScale(for: schema)
  }

  /// 1 / hi for u8 data whose metadata range is 0...hi (1/255 for pixels), mapping the
  /// values to [0, 1]; 1 for anything else.
  public static func unitScale(for schema: StreamSchema) -> Float {
    guard schema.elementType == .u8, let range = schema.metadata.range, range.lowerBound == 0, range.upperBound > 0 else {
      return 1
    }
    return Float(1 / range.upperBound)
  }

  /// Calls `body` with rows `rows` as a row-major Float block: f32 data as stored (it is
  /// never scaled), u8 and f16 converted and scaled into `scratch` (grown as needed).
  @inlinable
  public func floatRows<T>(
    _ rows: Range<Int>, scratch: inout [Float], _ body: (UnsafeBufferPointer<Float>) throws -> T
  ) rethrows -> T {
    let d = dimension
    let range = rows.lowerBound * d..<rows.upperBound * d
    return try records.payload.withUnsafeBytes { bytes in
      if schema.elementType == .f32 {
        return try body(UnsafeBufferPointer(rebasing: bytes.bindMemory(to: Float.self)[range]))
      }
      if scratch.count < range.count { scratch = [Float](repeating: 0, count: range.count) }
      return try scratch.withUnsafeMutableBufferPointer { out in
        let count = range.count
        let target = out.baseAddress!
        if schema.elementType == .u8 {
          let source = bytes.baseAddress!.assumingMemoryBound(to: UInt8.self) + range.lowerBound
          Conversions.widen(source, count: count, scale: scale, into: target)
        } else {
          let source = bytes.baseAddress!.assumingMemoryBound(to: Float16.self) + range.lowerBound
          Conversions.widen(source, count: count, scale: scale, into: target)
        }
        return try body(UnsafeBufferPointer(rebasing: out[0..<count]))
      }
    }
  }

  /// A block of rows as the loops that read bytes directly take it.
  public enum StoredRows {
    /// u8 values as stored; times `scale` they are the values `floatRows` gives.
    case bytes(UnsafePointer<UInt8>, scale: Float)
    /// The values `floatRows` gives.
    case floats(UnsafePointer<Float>)
  }

  /// Calls `body` with rows `rows` (row-major): u8 data as stored, anything else as
  /// `floatRows` gives it.
  @inlinable
  public func storedRows<T>(
    _ rows: Range<Int>, scratch: inout [Float], _ body: (StoredRows) throws -> T
  ) rethrows -> T {
    guard schema.elementType == .u8 else {
      return try floatRows(rows, scratch: &scratch) { try body(.floats($0.baseAddress!)) }
    }
    return try records.payload.withUnsafeBytes { bytes in
      let start = bytes.baseAddress!.assumingMemoryBound(to: UInt8.self) + rows.lowerBound * dimension
      return try body(.bytes(start, scale: scale))
    }
  }

  /// The first row whose values are not all finite, if any.
  public func firstNonFiniteRow() -> Int? {
    guard schema.elementType != .u8 else { return nil }
    var scratch: [Float] = []
    let block = 1024
    for start in stride(from: 0, to: count, by: block) {
      let end = min(start + block, count)
      let bad: Int? = floatRows(start..<end, scratch: &scratch) { values in
        values.firstIndex { !$0.isFinite }.map { start + $0 / dimension }
      }
      if let bad { return bad }
    }
    return nil
  }
}
