/// A batch of records stored column by column, as in a B frame.
///
/// Optional columns are nil when the stream's schema lacks the field. `payload` holds
/// `count × bytesPerRecord` raw little-endian bytes.
public struct RecordBatch: Sendable, Equatable {
  public var ids: [Int64] = []
  public var labels: [Int32] = []
  public var views: [Int32]?
  public var splits: [UInt8]?
  public var clusters: [Int32]?
  /// Row-major `count × K`.
  public var probabilities: [Float]?
  public var payload: [UInt8] = []

  public var count: Int { ids.count }

  /// An empty batch with the columns `schema` asks for.
  public init(schema: StreamSchema, reservingCapacity capacity: Int = 0) {
    ids.reserveCapacity(capacity)
    labels.reserveCapacity(capacity)
    if schema.fields.contains(.view) { views = [] }
    if schema.fields.contains(.split) { splits = [] }
    if schema.fields.contains(.cluster) { clusters = [] }
    if schema.fields.contains(.probs) { probabilities = [] }
    payload.reserveCapacity(capacity * schema.bytesPerRecord)
  }

  /// Appends one record. Fields the batch lacks are ignored; fields it has default to
  /// 0 (view, split) and −1 (cluster) when not given.
  public mutating func append(
    id: Int64, label: Int32, view: Int32 = 0, split: Split? = nil, cluster: Int32 = -1,
    probabilities rowProbabilities: UnsafeBufferPointer<Float>? = nil, payload bytes: UnsafeRawBufferPointer
  ) {
    ids.append(id)
    labels.append(label)
    views?.append(view)
    splits?.append(split?.rawValue ?? 0)
    clusters?.append(cluster)
    if probabilities != nil, let rowProbabilities { probabilities!.append(contentsOf: rowProbabilities) }
    payload.append(contentsOf: bytes)
  }

  /// Appends every record of `other`, which must have the same columns.
  public mutating func append(contentsOf other: RecordBatch) {
    ids += other.ids
    labels += other.labels
    if views != nil { views! += other.views ?? [] }
    if splits != nil { splits! += other.splits ?? [] }
    if clusters != nil { clusters! += other.clusters ?? [] }
    if probabilities != nil { probabilities! += other.probabilities ?? [] }
    payload += other.payload
  }

  /// Removes all records, keeping capacity.
  public mutating func removeAll() {
    ids.removeAll(keepingCapacity: true)
    labels.removeAll(keepingCapacity: true)
    views?.removeAll(keepingCapacity: true)
    splits?.removeAll(keepingCapacity: true)
    clusters?.removeAll(keepingCapacity: true)
    probabilities?.removeAll(keepingCapacity: true)
    payload.removeAll(keepingCapacity: true)
  }

  /// Why this batch does not fit `schema`, or nil when it does.
  public func mismatch(with schema: StreamSchema) -> String? {
    let n = count
    if labels.count != n { return "\(labels.count) labels for \(n) ids" }
    let optionalColumns: [(RecordFields, String, Int?)] = [
      (.view, "view", views?.count), (.split, "split", splits?.count), (.cluster, "cluster", clusters?.count),
      (.probs, "probs", probabilities.map { $0.count / max(1, schema.probabilityCount) }),
    ]
    for (field, name, columnCount) in optionalColumns {
      if (columnCount != nil) != schema.fields.contains(field) { return "column \(name) does not match the schema" }
      if let columnCount, columnCount != n { return "\(columnCount) \(name) rows for \(n) records" }
    }
    if let probabilities, probabilities.count != n * schema.probabilityCount {
      return "\(probabilities.count) probabilities for \(n) records of \(schema.probabilityCount)"
    }
    if payload.count != n * schema.bytesPerRecord {
      return "\(payload.count) payload bytes for \(n) records of \(schema.bytesPerRecord)"
    }
    return nil
  }
}

extension RecordBatch {
  /// The first `count` payload values of record `index` (all of them when nil), as Float.
  public func payloadValues(of index: Int, schema: StreamSchema, count: Int? = nil) -> [Float] {
    let perRecord = schema.elementsPerRecord
    let range = index * perRecord..<index * perRecord + min(count ?? perRecord, perRecord)
    return payload.withUnsafeBytes { bytes in
      switch schema.elementType {
      case .u8: return bytes.bindMemory(to: UInt8.self)[range].map { Float($0) }
      case .f16: return bytes.bindMemory(to: Float16.self)[range].map { Float($0) }
      case .f32: return Array(bytes.bindMemory(to: Float.self)[range])
      }
    }
  }
}
