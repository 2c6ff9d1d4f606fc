// Constants and small types of the stream format; docs/FORMAT.md is the specification.

/// Byte-level constants of the stream format, version 1.
public enum StreamFormat {
  /// `UNSP`, the first four bytes of every frame.
  public static let magic: [UInt8] = [0x55, 0x4E, 0x53, 0x50]
  public static let version: UInt8 = 1
  /// Frame headers, bodies and every column inside a body are multiples of this size.
  public static let alignment = 64
  public static let frameHeaderSize = 64

  public static let maxMetadataBytes = 1 << 20
  public static let maxDimension = 1 << 24
  public static let maxRecordBytes = 1 << 28
  public static let maxProbabilities = 1 << 20
  public static let maxBatchBodyBytes = 1 << 30

  /// Records per batch frame the writer aims for, and the frame size it keeps under.
  public static let recordsPerFrame = 256
  public static let targetFrameBytes = 16 << 20

  /// `value` rounded up to a multiple of `alignment`.
  @inlinable
  public static func padded(_ value: Int) -> Int {
    (value + alignment - 1) & ~(alignment - 1)
  }
}

/// The kind byte of a frame header.
public enum FrameKind: UInt8, Sendable {
  case header = 0x48  // "H"
  case batch = 0x42  // "B"
}

/// Element type of a record payload.
public enum ElementType: UInt8, Sendable, CaseIterable, CustomStringConvertible {
  case u8 = 1
  case f16 = 2
  case f32 = 3

  /// Bytes per element.
  public var size: Int {
    switch self {
    case .u8: return 1
    case .f16: return 2
    case .f32: return 4
    }
  }

  public var description: String {
    switch self {
    case .u8: return "u8"
    case .f16: return "f16"
    case .f32: return "f32"
    }
  }
}

/// How a record's payload is shaped.
public enum Layout: UInt8, Sendable, CustomStringConvertible {
  /// Records carry no payload (only ids, labels and fields).
  case none = 0
  /// A vector of D elements.
  case vector = 1
  /// An image of C channels, H rows and W columns, row-major.
  case chw = 2

  /// Number of dims entries used.
  public var rank: Int {
    switch self {
    case .none: return 0
    case .vector: return 1
    case .chw: return 3
    }
  }

  public var description: String {
    switch self {
    case .none: return "none"
    case .vector: return "D"
    case .chw: return "CHW"
    }
  }
}

/// Which optional per-record fields a stream carries.
public struct RecordFields: OptionSet, Sendable, Hashable {
  public let rawValue: UInt16
  public init(rawValue: UInt16) { self.rawValue = rawValue }

  /// Which augmented view of the same id.
  public static let view = RecordFields(rawValue: 1)
  /// Train, test or unlabeled (see `Split`).
  public static let split = RecordFields(rawValue: 2)
  /// The assigned cluster.
  public static let cluster = RecordFields(rawValue: 4)
  /// A probability or score vector of K entries.
  public static let probs = RecordFields(rawValue: 8)

  public static let known: RecordFields = [.view, .split, .cluster, .probs]
}

/// The split a record belongs to, as stored in the split column.
public enum Split: UInt8, Sendable, CaseIterable, CustomStringConvertible {
  case train = 0
  case test = 1
  case unlabeled = 2

  public var description: String {
    switch self {
    case .train: return "train"
    case .test: return "test"
    case .unlabeled: return "unlabeled"
    }
  }
}
