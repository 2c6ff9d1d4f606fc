import Shared

/// Reads the two views of each image that `augment --views 2` writes (view 0 then view 1
/// of one id, next to each other) and fills batches of pairs as network input.
final class ViewPairs {
  /// Where view v of pair i goes in a batch buffer of `capacity` pairs.
  enum Layout {
    /// 2i + v: NT-Xent's order.
    case interleaved
    /// v · capacity + i: MoCo's queries, then its keys.
    case separate
  }

  let reader: StreamReader
  var input: PixelInput
  private var batch: RecordBatch?
  private var row = 0
  /// Records read, to name a bad one.
  private var position = 0

  init(_ reader: StreamReader, input: PixelInput) throws {
    let schema = reader.schema
    let views = schema.metadata.values["views"]?.numberValue
    guard schema.fields.contains(.view), views == 2 else {
      throw Failure(
        "\(reader.input.name): embed train needs two views of each image (decode … | augment --views 2 | embed train), but the stream holds \(views.map { "\(shortNumber($0)) views per image" } ?? "no views")",
        exitCode: ExitStatus.dataError)
    }
    self.reader = reader
    self.input = input
  }

  /// The next record, or nil at the end of the stream.
  private func nextRecord() throws -> (RecordBatch, Int)? {
    while batch == nil || row == batch!.count {
      guard let next = try reader.next() else { return nil }
      (batch, row) = (next, 0)
    }
    defer {
      row += 1
      position += 1
    }
    return (batch!, row)
  }

  /// Fills `buffer` with up to `capacity` pairs (nil: only reads past them); returns how
  /// many, fewer only at the end of the stream.
  func next(into buffer: UnsafeMutablePointer<Float>?, capacity: Int, layout: Layout) throws -> Int {
    let size = input.channels * input.pixels
    var filled = 0
    while filled < capacity {
      guard let (first, firstRow) = try nextRecord() else { return filled }
      let id = first.ids[firstRow]
      guard first.views![firstRow] == 0 else { throw pairing("view \(first.views![firstRow]) of id \(id) where a view 0 was due") }
      if let buffer { write(first, firstRow, to: buffer, pair: filled, view: 0, capacity: capacity, layout: layout, size: size) }
      guard let (second, secondRow) = try nextRecord() else { throw pairing("the stream ends after view 0 of id \(id)") }
      guard second.ids[secondRow] == id, second.views![secondRow] == 1 else {
        throw pairing("view \(second.views![secondRow]) of id \(second.ids[secondRow]) where view 1 of id \(id) was due")
      }
      if let buffer { write(second, secondRow, to: buffer, pair: filled, view: 1, capacity: capacity, layout: layout, size: size) }
      filled += 1
    }
    return filled
  }

  private func write(
    _ records: RecordBatch, _ row: Int, to buffer: UnsafeMutablePointer<Float>, pair: Int, view: Int, capacity: Int,
    layout: Layout, size: Int
  ) {
    let slot = layout == .interleaved ? 2 * pair + view : view * capacity + pair
    records.payload.withUnsafeBytes { input.convert($0, record: row, into: buffer + slot * size) }
  }

  private func pairing(_ problem: String) -> Failure {
    Failure("\(reader.input.name): record \(position - 1): \(problem); embed train reads views in pairs as augment --views 2 writes them")
  }
}
