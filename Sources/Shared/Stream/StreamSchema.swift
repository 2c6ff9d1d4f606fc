/// What every record of a stream looks like: the contents of an H frame.
public struct StreamSchema: Sendable, Equatable {
  /// Element type of the payload (u8 when the layout is none).
  public var elementType: ElementType
  public var layout: Layout
  /// The used dims: [] for none, [D] for vectors, [C, H, W] for images.
  public var dims: [Int]
  /// Optional per-record fields present.
  public var fields: RecordFields
  /// Length K of the probability vector; 0 unless `fields` contains `.probs`.
  public var probabilityCount: Int
  public var metadata: Metadata

  public init(
    elementType: ElementType, layout: Layout, dims: [Int], fields: RecordFields = [],
    probabilityCount: Int = 0, metadata: Metadata = Metadata()
  ) {
    self.elementType = elementType
    self.layout = layout
    self.dims = dims
    self.fields = fields
    self.probabilityCount = probabilityCount
    self.metadata = metadata
  }

  /// An image schema: C×H×W.
  public static func image(
    _ elementType: ElementType, channels: Int, height: Int, width: Int, fields: RecordFields = [],
    metadata: Metadata = Metadata()
  ) -> StreamSchema {
    StreamSchema(
      elementType: elementType, layout: .chw, dims: [channels, height, width], fields: fields,
      metadata: metadata)
  }

  /// Elements in one record's payload.
  public var elementsPerRecord: Int { layout == .none ? 0 : dims.reduce(1, *) }
  /// Bytes in one record's payload.
  public var bytesPerRecord: Int { elementsPerRecord * elementType.size }

  /// True when two schemas describe the same records; metadata may differ, and so may the
  /// element type when there is no payload.
  public func hasSameRecords(as other: StreamSchema) -> Bool {
    (elementType == other.elementType || layout == .none) && layout == other.layout && dims == other.dims
      && fields == other.fields && probabilityCount == other.probabilityCount
  }

  /// e.g. `u8 CHW 1×28×28 +split`.
  public var summary: String {
    var text = layout == .none ? "no payload" : "\(elementType) \(layout) " + dims.map(String.init).joined(separator: "×")
    for (field, name) in [(RecordFields.view, "view"), (.split, "split"), (.cluster, "cluster")] where fields.contains(field) {
      text += " +\(name)"
    }
    if fields.contains(.probs) { text += " +probs[\(probabilityCount)]" }
    return text
  }

  /// Records per batch frame for the writer: 256, fewer when records are large.
  public var recordsPerFrame: Int {
    let perRecord = max(1, bytesPerRecord + probabilityCount * 4 + 32)
    return max(1, min(StreamFormat.recordsPerFrame, StreamFormat.targetFrameBytes / perRecord))
  }

  /// Byte size of each column for `count` records, in stream order, padded.
  func paddedColumnSizes(count: Int) -> Int {
    var total = StreamFormat.padded(count * 8) + StreamFormat.padded(count * 4)
    if fields.contains(.view) { total += StreamFormat.padded(count * 4) }
    if fields.contains(.split) { total += StreamFormat.padded(count) }
    if fields.contains(.cluster) { total += StreamFormat.padded(count * 4) }
    if fields.contains(.probs) { total += StreamFormat.padded(count * probabilityCount * 4) }
    total += StreamFormat.padded(count * bytesPerRecord)
    return total
  }

  /// Checks the invariants a reader also checks, for schemas built by tools.
  public func validate() throws {
    if let problem = problem() { throw Failure("invalid schema: \(problem)", exitCode: ExitStatus.software) }
  }

  /// What is wrong with this schema, or nil.
  public func problem() -> String? {
    guard dims.count == layout.rank else { return "layout \(layout) needs \(layout.rank) dims, found \(dims.count)" }
    for dim in dims where dim < 1 || dim > StreamFormat.maxDimension {
      return "dimension \(dim) outside 1...\(StreamFormat.maxDimension)"
    }
    if dims.reduce(elementType.size, { $0.multipliedReportingOverflow(by: $1).overflow ? .max : $0 * $1 })
      > StreamFormat.maxRecordBytes
    {
      return "record payload above \(StreamFormat.maxRecordBytes) bytes"
    }
    if !RecordFields.known.isSuperset(of: fields) { return "unknown field bits \(fields.rawValue)" }
    if fields.contains(.probs) {
      guard (1...StreamFormat.maxProbabilities).contains(probabilityCount) else {
        return "probability length \(probabilityCount) outside 1...\(StreamFormat.maxProbabilities)"
      }
    } else if probabilityCount != 0 {
      return "probability length \(probabilityCount) without the probs field"
    }
    return nil
  }
}
