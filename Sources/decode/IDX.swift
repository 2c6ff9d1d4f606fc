import Shared

/// The header of an IDX file (the MNIST format): two zero bytes, a type byte, the number
/// of dimensions, then each dimension as a big-endian u32.
struct IDXHeader {
  /// 0x08 unsigned byte, 0x0D big-endian f32 (the others, i8/i16/i32/f64, are refused).
  var type: UInt8
  var dims: [Int]

  var byteCount: Int { 4 + 4 * dims.count }

  static func read(from input: ByteInput) throws -> IDXHeader {
    var start = [UInt8](repeating: 0, count: 4)
    guard try start.withUnsafeMutableBytes({ try input.readFully(into: $0) }) == 4 else {
      throw Failure("\(input.name): not an IDX file: shorter than its 4-byte header")
    }
    guard start[0] == 0, start[1] == 0, (1...4).contains(start[3]) else {
      throw Failure("\(input.name): not an IDX file: header starts \(start.map { String($0, radix: 16) })")
    }
    guard start[2] == 0x08 || start[2] == 0x0D else {
      throw Failure("\(input.name): IDX element type 0x\(String(start[2], radix: 16)) is not supported (u8 0x08 and f32 0x0d are)")
    }
    var sizes = [UInt8](repeating: 0, count: 4 * Int(start[3]))
    guard try sizes.withUnsafeMutableBytes({ try input.readFully(into: $0) }) == sizes.count else {
      throw Failure("\(input.name): IDX header is truncated")
    }
    let dims = (0..<Int(start[3])).map { i in sizes[4 * i..<4 * i + 4].reduce(0) { $0 << 8 | Int($1) } }
    return IDXHeader(type: start[2], dims: dims)
  }
}

/// An IDX image file (N×H×W, or N×D vectors) with an optional IDX label file, read front
/// to back; gzip-compressed files are inflated on the fly.
final class IDXSource: SequentialSource {
  let schema: StreamSchema
  private let images: RecordBlockReader
  private let labels: [UInt8]?
  private let split: Split?
  private let firstId: Int
  private let count: Int
  private var index = 0

  /// - Parameters:
  ///   - firstId: id of the first record (parts after the first continue the numbering).
  init(images imagesPath: String, labels labelsPath: String?, split: Split?, firstId: Int = 0, metadata: Metadata) throws {
    let input = try openInput(path: imagesPath)
    let header = try IDXHeader.read(from: input)
    let elementType: ElementType = header.type == 0x08 ? .u8 : .f32
    let layout: Layout
    let dims: [Int]
    switch header.dims.count {
    case 2:
      (layout, dims) = (.vector, [header.dims[1]])
    case 3:
      (layout, dims) = (.chw, [1, header.dims[1], header.dims[2]])
    default:
      throw Failure("\(imagesPath): IDX file has \(header.dims.count) dimensions; images need 3 (N, H, W), vectors 2 (N, D)")
    }
    var schema = StreamSchema(
      elementType: elementType, layout: layout, dims: dims, fields: split == nil ? [] : .split, metadata: metadata)
    if let problem = schema.problem() { throw Failure("\(imagesPath): \(problem)") }
    if elementType == .u8 && schema.metadata.range == nil { schema.metadata.range = 0...255 }
    self.schema = schema
    count = header.dims[0]
    // An uncompressed file can be checked against its header before anything is allocated.
    if !(input is GzipInput), let size = try FileInput(path: imagesPath).regularFileSize {
      let (payload, overflow) = count.multipliedReportingOverflow(by: schema.bytesPerRecord)
      guard !overflow, header.byteCount + payload <= size else {
        throw Failure("\(imagesPath): header promises \(count) records of \(schema.bytesPerRecord) bytes, but the file has \(size) bytes")
      }
    }
    images = RecordBlockReader(input, recordSize: schema.bytesPerRecord)
    self.split = split
    self.firstId = firstId
    if let labelsPath {
      let labelInput = try openInput(path: labelsPath)
      let labelHeader = try IDXHeader.read(from: labelInput)
      guard labelHeader.type == 0x08, labelHeader.dims.count == 1 else {
        throw Failure("\(labelsPath): not an IDX label file (want u8 values in one dimension)")
      }
      guard labelHeader.dims[0] == count else {
        throw Failure("\(labelsPath) holds \(labelHeader.dims[0]) labels but \(imagesPath) holds \(count) images")
      }
      let labels = try labelInput.readToEnd()
      guard labels.count >= count else {
        throw Failure("\(labelsPath): file ends after \(labels.count) of \(count) labels")
      }
      self.labels = labels
    } else {
      labels = nil
    }
  }

  func next(into payload: UnsafeMutableRawBufferPointer) throws -> SourceRecord? {
    guard index < count else { return nil }
    guard try images.next(into: payload) else {
      throw Failure("\(images.input.name): file ends after \(index) of \(count) records")
    }
    if schema.elementType == .f32 {
      // IDX stores floats big-endian.
      for offset in stride(from: 0, to: payload.count, by: 4) {
        let word = payload.loadUnaligned(fromByteOffset: offset, as: UInt32.self)
        payload.storeBytes(of: UInt32(bigEndian: word), toByteOffset: offset, as: UInt32.self)
      }
    }
    let record = SourceRecord(id: Int64(firstId + index), label: labels.map { Int32($0[index]) } ?? -1, split: split)
    index += 1
    return record
  }

  /// Records in the file, from its header.
  var recordCount: Int { count }
}
