import Shared

/// A grid of record images, drawn into one PNG.
///
/// Without grouping, the first `rows × columns` records fill the grid row by row. With
/// grouping, each group (a label, a cluster, or the views of one id) gets its own row of
/// up to `columns` images, for up to `rows` groups in sorted order. Values are mapped to
/// 0...255 as `byteMapping` says.
final class ContactSheet {
  private let schema: StreamSchema
  private let grouping: SheetGrouping?
  private let columns: Int
  private let rows: Int
  private let zoom: Int
  private var tiles: [Int64: [[Float]]] = [:]
  private var ungrouped: [[Float]] = []

  private let inputName: String

  init(schema: StreamSchema, inputName: String, grouping: SheetGrouping?, columns: Int, rows: Int, zoom: Int) throws {
    guard schema.layout == .chw else {
      throw Failure("\(inputName): view -o draws images, but the stream holds \(schema.summary)", exitCode: ExitStatus.dataError)
    }
    guard schema.dims[0] == 1 || schema.dims[0] == 3 else {
      throw Failure("\(inputName): view -o draws grey or RGB images, but records have \(schema.dims[0]) channels")
    }
    if grouping == .cluster && !schema.fields.contains(.cluster) {
      throw Failure("\(inputName): --by cluster, but the stream has no cluster field (run cluster first)", exitCode: ExitStatus.usage)
    }
    let tileBytes = schema.elementsPerRecord * zoom * zoom
    guard tileBytes * columns * rows <= 1 << 28 else {
      throw Failure("the sheet would exceed 256 MiB: use fewer --rows, --columns or a smaller --zoom", exitCode: ExitStatus.usage)
    }
    self.schema = schema
    self.inputName = inputName
    self.grouping = grouping
    self.columns = columns
    self.rows = rows
    self.zoom = zoom
  }

  /// True when no further record can appear on the sheet.
  var isFull: Bool { grouping == nil && ungrouped.count >= rows * columns }

  func add(_ batch: RecordBatch) throws {
    for index in 0..<batch.count {
      let key: Int64
      switch grouping {
      case nil:
        guard ungrouped.count < rows * columns else { return }
        ungrouped.append(batch.payloadValues(of: index, schema: schema))
        continue
      case .label: key = Int64(batch.labels[index])
      case .cluster: key = Int64(batch.clusters![index])
      case .view: key = batch.ids[index]
      }
      if tiles[key] == nil {
        // Keep only the `rows` smallest keys, so memory stays bounded.
        if tiles.count >= rows, let largest = tiles.keys.max() {
          guard key < largest else { continue }
          tiles[largest] = nil
        }
        tiles[key] = []
      }
      if tiles[key]!.count < columns { tiles[key]!.append(batch.payloadValues(of: index, schema: schema)) }
    }
  }

  /// The sheet: tiles separated by a one-pixel grey gap.
  func render() throws -> Image {
    let grid: [[[Float]]] = grouping == nil
      ? stride(from: 0, to: ungrouped.count, by: columns).map { Array(ungrouped[$0..<min($0 + columns, ungrouped.count)]) }
      : tiles.keys.sorted().map { tiles[$0]! }
    guard !grid.isEmpty else { throw Failure("\(inputName): no records to draw") }
    let (channels, height, width) = (schema.dims[0], schema.dims[1] * zoom, schema.dims[2] * zoom)
    let gap = 1
    let sheetWidth = columns * (width + gap) - gap
    let sheetHeight = grid.count * (height + gap) - gap
    var sheet = Image(
      channels: channels, height: sheetHeight, width: sheetWidth,
      pixels: [UInt8](repeating: 64, count: channels * sheetHeight * sheetWidth))
    let toByte = byteMapping(grid)
    let (tileHeight, tileWidth) = (schema.dims[1], schema.dims[2])
    sheet.pixels.withUnsafeMutableBufferPointer { out in
      for (row, tilesInRow) in grid.enumerated() {
        for (column, tile) in tilesInRow.enumerated() {
          let top = row * (height + gap)
          let left = column * (width + gap)
          tile.withUnsafeBufferPointer { values in
            for c in 0..<channels {
              for y in 0..<height {
                let valueRow = values.baseAddress! + (c * tileHeight + y / zoom) * tileWidth
                let outRow = out.baseAddress! + (c * sheetHeight + top + y) * sheetWidth + left
                for x in 0..<width { outRow[x] = toByte(valueRow[x / zoom]) }
              }
            }
          }
        }
      }
    }
    return sheet
  }

  /// Maps stored values to bytes: the metadata's `range` to 0...255, or, for normalised
  /// streams and streams without a range, the smallest to largest value drawn.
  private func byteMapping(_ grid: [[[Float]]]) -> (Float) -> UInt8 {
    var (low, high): (Float, Float)
    if let range = schema.metadata.range, schema.metadata.values["normalize"] == nil {
      (low, high) = (Float(range.lowerBound), Float(range.upperBound))
    } else {
      let finite = grid.joined().joined().filter(\.isFinite)
      (low, high) = (finite.min() ?? 0, finite.max() ?? 1)
    }
    let scale = high > low ? 255 / (high - low) : 0
    return { value in
      guard value.isFinite else { return 0 }
      return UInt8(min(max(((value - low) * scale).rounded(), 0), 255))
    }
  }
}
