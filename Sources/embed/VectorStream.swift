import Network
import Shared

/// Turns one batch of records into vectors, row after row (count × dimension floats).
protocol VectorMap {
  var dimension: Int { get }
  /// Refuses a stream whose records this map cannot take, before anything is written.
  func check(_ schema: StreamSchema, name: String) throws
  func vectors(of records: RecordBatch, schema: StreamSchema, name: String) throws -> [Float]
}

/// Writes a vector stream: each record of `reader` mapped by `map`, with its id, label and
/// split; with `averageViews`, the records of one id in a row (the views augment writes)
/// become one record, their vectors' mean. One batch is held at a time.
struct VectorStream {
  let map: VectorMap
  let averageViews: Bool
  /// Scale each vector to unit length (each view's before averaging, and the mean after).
  let unitLength: Bool
  let elementType: ElementType
  let description: String
  let history: String

  func schema(from input: StreamSchema) -> StreamSchema {
    var metadata = input.metadata
    metadata.history.append(history)
    metadata.range = nil
    for key in ["normalize", "epochs", "epoch_images"] { metadata.values[key] = nil }
    if averageViews { metadata.values["views"] = nil }
    metadata.values["embedding"] = .string(description)
    var fields = input.fields.subtracting([.cluster, .probs])
    if averageViews { fields.remove(.view) }
    return StreamSchema(elementType: elementType, layout: .vector, dims: [map.dimension], fields: fields, metadata: metadata)
  }

  /// Maps every batch `next` gives (records of `input`, from `name`) and writes them;
  /// returns the records written.
  func run(_ input: StreamSchema, name: String, next: () throws -> RecordBatch?, to writer: StreamWriter) throws -> Int {
    let d = map.dimension
    var out = RecordBatch(schema: writer.schema)
    var written = 0
    // The id being averaged, its record (from the batch it started in) and the running sum.
    var pending: (id: Int64, label: Int32, split: Split?, count: Int)?
    var sum = [Float](repeating: 0, count: d)
    func emit(id: Int64, label: Int32, view: Int32, split: Split?, _ vector: UnsafeBufferPointer<Float>) {
      switch elementType {
      case .f16:
        let halves = vector.map { Float16($0) }
        halves.withUnsafeBytes { out.append(id: id, label: label, view: view, split: split, payload: $0) }
      default:
        out.append(id: id, label: label, view: view, split: split, payload: UnsafeRawBufferPointer(vector))
      }
    }
    func flushPending() {
      guard let group = pending else { return }
      let scale = 1 / Float(group.count)
      for i in 0..<d { sum[i] *= scale }
      if unitLength { sum.withUnsafeMutableBufferPointer { L2Normalize.forward($0.baseAddress!, batch: 1, dimension: d, into: $0.baseAddress!) } }
      sum.withUnsafeBufferPointer { emit(id: group.id, label: group.label, view: 0, split: group.split, $0) }
      pending = nil
    }
    while let batch = try next() {
      var vectors = try map.vectors(of: batch, schema: input, name: name)
      if unitLength {
        vectors.withUnsafeMutableBufferPointer {
          L2Normalize.forward($0.baseAddress!, batch: batch.count, dimension: d, into: $0.baseAddress!)
        }
      }
      out.removeAll()
      vectors.withUnsafeBufferPointer { all in
        for row in 0..<batch.count {
          let vector = UnsafeBufferPointer(rebasing: all[row * d..<(row + 1) * d])
          let split = batch.splits.flatMap { Split(rawValue: $0[row]) }
          let (id, label) = (batch.ids[row], batch.labels[row])
          guard averageViews else {
            emit(id: id, label: label, view: batch.views?[row] ?? 0, split: split, vector)
            continue
          }
          if pending?.id != id {
            flushPending()
            pending = (id, label, split, 0)
            for i in 0..<d { sum[i] = 0 }
          }
          pending!.count += 1
          for i in 0..<d { sum[i] += vector[i] }
        }
      }
      written += out.count
      try writer.write(out)
    }
    out.removeAll()
    flushPending()
    written += out.count
    try writer.write(out)
    return written
  }
}
