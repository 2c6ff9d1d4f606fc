import ArgumentParser
import Shared

/// Splits an input into lines, a block at a time (no allocation per line).
final class LineReader {
  /// Longest line accepted, so a file without newlines cannot fill memory.
  static let maxLineBytes = 64 << 20

  let input: ByteInput
  private var block = [UInt8](repeating: 0, count: 1 << 20)
  private var start = 0
  /// Where the search for the next newline resumes: bytes before it hold none.
  private var scanned = 0
  private var end = 0
  private var finished = false
  /// 1-based number of the line last returned.
  private(set) var lineNumber = 0

  init(_ input: ByteInput) {
    self.input = input
  }

  /// Calls `body` with the next line (without its newline or carriage return); nil at the end.
  func next<T>(_ body: (UnsafeBufferPointer<UInt8>) throws -> T) throws -> T? {
    while true {
      if let newline = block[scanned..<end].firstIndex(of: 0x0A) {
        let lineStart = start
        start = newline + 1
        scanned = start
        lineNumber += 1
        return try line(lineStart, newline, body)
      }
      scanned = end
      if finished {
        guard start < end else { return nil }
        let lineStart = start
        start = end
        lineNumber += 1
        return try line(lineStart, end, body)
      }
      guard end - start <= LineReader.maxLineBytes else {
        throw Failure("\(input.name):\(lineNumber + 1): line longer than \(LineReader.maxLineBytes >> 20) MiB")
      }
      // Move the partial line to the front and read more, growing the block for long lines.
      if start > 0 {
        let partial = end - start
        block.withUnsafeMutableBytes { $0.baseAddress!.copyMemory(from: $0.baseAddress! + start, byteCount: partial) }
        scanned -= start
        end = partial
        start = 0
      }
      if end == block.count { block += [UInt8](repeating: 0, count: block.count) }
      let got = try block.withUnsafeMutableBytes { try input.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[end...])) }
      if got == 0 { finished = true }
      end += got
    }
  }

  private func line<T>(_ from: Int, _ to: Int, _ body: (UnsafeBufferPointer<UInt8>) throws -> T) throws -> T {
    var from = from
    var to = to
    // A UTF-8 byte-order mark, as spreadsheet programs write, is not part of the first line.
    if lineNumber == 1 && to - from >= 3 && block[from..<from + 3].elementsEqual([0xEF, 0xBB, 0xBF]) { from += 3 }
    if to > from && block[to - 1] == 0x0D { to -= 1 }
    return try block.withUnsafeBufferPointer { try body(UnsafeBufferPointer(rebasing: $0[from..<to])) }
  }
}

/// A CSV file of one record per line: the label, then the pixel (or feature) values.
/// A first line whose first field is not a number is taken as a header and skipped.
final class CSVSource: SequentialSource {
  let schema: StreamSchema
  private let lines: LineReader
  private let split: Split?
  private var pending: [Double]?
  private var index = 0
  private let name: String

  init(path: String, dims: [Int]?, elementType: ElementType, split: Split?) throws {
    let input = try openInput(path: path)
    name = input.name
    lines = LineReader(input)
    self.split = split
    // Read the first data line now: it fixes the number of columns.
    var first: [Double]?
    var header: String?
    while first == nil, let fields = try lines.next({ CSVSource.parse($0) }) {
      switch fields {
      case let .values(values): first = values
      case .blank: continue
      case let .text(line):
        // Only a first line whose first field is not a number is a header; anything else
        // is a record with a typo, which must not vanish silently.
        let firstField = line.prefix { $0 != "," }
        guard lines.lineNumber == 1, Array(firstField.utf8).withUnsafeBufferPointer({ CSVSource.number($0) }) == nil else {
          throw Failure("\(name):\(lines.lineNumber): not a number in: \(line.prefix(60))")
        }
        header = line
      }
    }
    guard let first else { throw Failure("\(name): no records\(header == nil ? "" : " after the header line")") }
    let columns = first.count - 1
    guard columns >= 1 else { throw Failure("\(name):\(lines.lineNumber): a record needs a label and at least one value") }
    let shape = dims ?? CSVSource.defaultDims(columns)
    var metadata = Metadata()
    metadata.dataset = datasetName(fromPath: path)
    if elementType == .u8 { metadata.range = 0...255 }
    schema = StreamSchema(
      elementType: elementType, layout: shape.count == 3 ? .chw : .vector, dims: shape,
      fields: split == nil ? [] : .split, metadata: metadata)
    if let problem = schema.problem() { throw Failure("\(name): --shape: \(problem)", exitCode: ExitStatus.usage) }
    guard schema.elementsPerRecord == columns else {
      throw Failure(
        "\(name): --shape \(shape.map(String.init).joined(separator: "x")) has \(schema.elementsPerRecord) values but records have \(columns)",
        exitCode: ExitStatus.usage)
    }
    pending = first
  }

  /// 1×s×s for s² columns, 3×s×s for 3s², else a vector.
  static func defaultDims(_ columns: Int) -> [Int] {
    for channels in [1, 3] where columns % channels == 0 {
      let side = Int(Double(columns / channels).squareRoot().rounded())
      if side * side * channels == columns && side > 1 { return [channels, side, side] }
    }
    return [columns]
  }

  enum Fields {
    case values([Double])
    case blank
    case text(String)
  }

  /// Comma-separated numbers; `.text` when a field is not a number.
  static func parse(_ line: UnsafeBufferPointer<UInt8>) -> Fields {
    if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { return .blank }
    var values: [Double] = []
    var fieldStart = 0
    for i in 0...line.count where i == line.count || line[i] == 0x2C {
      guard let value = number(UnsafeBufferPointer(rebasing: line[fieldStart..<i])) else {
        return .text(String(decoding: line, as: UTF8.self))
      }
      values.append(value)
      fieldStart = i + 1
    }
    return .values(values)
  }

  /// A field as a number: plain integers are parsed in place (pixel files are millions of
  /// them), anything else by `Double(String)`.
  static func number(_ field: UnsafeBufferPointer<UInt8>) -> Double? {
    var start = 0
    var end = field.count
    while start < end && (field[start] == 0x20 || field[start] == 0x09) { start += 1 }
    while end > start && (field[end - 1] == 0x20 || field[end - 1] == 0x09) { end -= 1 }
    let negative = start < end && field[start] == 0x2D
    var i = negative ? start + 1 : start
    var value = 0
    while i < end && i - start < 15, case 0x30...0x39 = field[i] {
      value = value * 10 + Int(field[i] - 0x30)
      i += 1
    }
    if i == end && end > start + (negative ? 1 : 0) { return Double(negative ? -value : value) }
    let text = String(decoding: UnsafeBufferPointer(rebasing: field[start..<end]), as: UTF8.self)
    guard let value = Double(text), value.isFinite else { return nil }
    return value
  }

  func next(into payload: UnsafeMutableRawBufferPointer) throws -> SourceRecord? {
    var values = pending
    pending = nil
    while values == nil {
      guard let fields = try lines.next({ CSVSource.parse($0) }) else { return nil }
      switch fields {
      case let .values(parsed): values = parsed
      case .blank: continue
      case let .text(line): throw Failure("\(name):\(lines.lineNumber): not a number in: \(line.prefix(60))")
      }
    }
    let row = values!
    let place = "\(name):\(lines.lineNumber)"
    guard row.count == schema.elementsPerRecord + 1 else {
      throw Failure("\(place): \(row.count) columns, expected \(schema.elementsPerRecord + 1) (a label and \(schema.elementsPerRecord) values)")
    }
    guard let label = Int32(exactly: row[0]), label >= -1 else {
      throw Failure("\(place): label \(row[0]) is not an integer ≥ -1")
    }
    switch schema.elementType {
    case .u8:
      for i in 1..<row.count {
        guard let byte = UInt8(exactly: row[i]) else {
          throw Failure("\(place): value \(row[i]) in column \(i + 1) is not an integer 0...255; use --dtype f32")
        }
        payload[i - 1] = byte
      }
    case .f16:
      for i in 1..<row.count {
        let value = Float16(row[i])
        guard value.isFinite else { throw Failure("\(place): value \(row[i]) in column \(i + 1) is beyond f16's range; use --dtype f32") }
        payload.storeBytes(of: value, toByteOffset: (i - 1) * 2, as: Float16.self)
      }
    case .f32:
      for i in 1..<row.count {
        let value = Float(row[i])
        guard value.isFinite else { throw Failure("\(place): value \(row[i]) in column \(i + 1) is beyond f32's range") }
        payload.storeBytes(of: value, toByteOffset: (i - 1) * 4, as: Float.self)
      }
    }
    defer { index += 1 }
    return SourceRecord(id: Int64(index), label: label, split: split)
  }
}

/// `--shape CxHxW`, `HxW` or `D`.
struct ShapeArgument: ExpressibleByArgument {
  var dims: [Int]

  init?(argument: String) {
    guard let values = parseDimensions(argument, allowed: 1...3) else { return nil }
    dims = values.count == 2 ? [1] + values : values
  }
}

struct CSVCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "csv",
    abstract: "Decode a CSV file (.gz accepted): per line a label, then the pixel values.",
    discussion: "A first line that does not start with a number is a header and skipped. Pixels are u8 (0...255) unless --dtype says otherwise.")

  @Argument(help: ArgumentHelp("The CSV file, or - for stdin.", valueName: "file"))
  var file: String

  @Option(help: ArgumentHelp("Record shape: CxHxW, HxW (one channel) or D (a vector). Default: 1×s×s for s² values, 3×s×s for 3s², else D.", valueName: "shape"))
  var shape: ShapeArgument?

  @Option(help: "Element type of the values: u8 (integers 0...255), f16 or f32.")
  var dtype: ElementTypeArgument = .init(.u8)

  @OptionGroup var source: FileSourceOptions

  func run() throws {
    let records = try CSVSource(path: file, dims: shape?.dims, elementType: dtype.type, split: source.split?.split)
    try emitRecords(from: records, selection: source.selection, common: source.common)
  }
}

/// `--dtype u8|f16|f32`.
struct ElementTypeArgument: ExpressibleByArgument {
  var type: ElementType

  init(_ type: ElementType) {
    self.type = type
  }

  init?(argument: String) {
    guard let type = ElementType.allCases.first(where: { $0.description == argument }) else { return nil }
    self.type = type
  }

  var defaultValueDescription: String { type.description }
  static var allValueStrings: [String] { ElementType.allCases.map(\.description) }
}
