import KernelLoops
import KernelsAVX2

/// The element-wise passes of K-means and EM: widening stored values to Float, squaring,
/// and summing rows by group.
public enum Conversions {
  /// target[i] = Float(source[i]) · scale for i < count.
  @inlinable
  public static func widen(
    _ source: UnsafePointer<UInt8>, count: Int, scale: Float, into target: UnsafeMutablePointer<Float>,
    using instructions: InstructionSet = .current
  ) {
    switch instructions {
    case .avx2: ConversionsAVX2.widen(source, count: count, scale: scale, into: target)
    case .baseline: baselineWiden(source, count: count, scale: scale, into: target)
    }
  }

  /// target[i] = Float(source[i]) · scale for i < count.
  @inlinable
  public static func widen(
    _ source: UnsafePointer<Float16>, count: Int, scale: Float, into target: UnsafeMutablePointer<Float>,
    using instructions: InstructionSet = .current
  ) {
    switch instructions {
    case .avx2: ConversionsAVX2.widen(source, count: count, scale: scale, into: target)
    case .baseline: baselineWiden(source, count: count, scale: scale, into: target)
    }
  }

  /// target[i] = source[i]² for i < count.
  @inlinable
  public static func square(
    _ source: UnsafePointer<Float>, count: Int, into target: UnsafeMutablePointer<Float>,
    using instructions: InstructionSet = .current
  ) {
    switch instructions {
    case .avx2: ConversionsAVX2.square(source, count: count, into: target)
    case .baseline: baselineSquare(source, count: count, into: target)
    }
  }

  /// Adds each row r of x (rows × d) to row `groups[r]` of sums (groups × d).
  @inlinable
  public static func addRows(
    _ x: UnsafePointer<Float>, rows: Int, dimension d: Int, groups: UnsafePointer<Int32>,
    into sums: UnsafeMutablePointer<Float>, using instructions: InstructionSet = .current
  ) {
    switch instructions {
    case .avx2: ConversionsAVX2.addRows(x, rows: rows, dimension: d, groups: groups, into: sums)
    case .baseline: baselineAddRows(x, rows: rows, dimension: d, groups: groups, into: sums)
    }
  }

  /// Adds each row r of x (rows × d, bytes) to row `groups[r]` of sums (groups × d).
  @inlinable
  public static func addRows(
    _ x: UnsafePointer<UInt8>, rows: Int, dimension d: Int, groups: UnsafePointer<Int32>,
    into sums: UnsafeMutablePointer<Float>, using instructions: InstructionSet = .current
  ) {
    switch instructions {
    case .avx2: ConversionsAVX2.addRows(x, rows: rows, dimension: d, groups: groups, into: sums)
    case .baseline: baselineAddRows(x, rows: rows, dimension: d, groups: groups, into: sums)
    }
  }

  @usableFromInline @inline(never)
  static func baselineWiden(_ source: UnsafePointer<UInt8>, count: Int, scale: Float, into target: UnsafeMutablePointer<Float>) {
    ConversionLoops.widen(source, count: count, scale: scale, into: target)
  }

  @usableFromInline @inline(never)
  static func baselineWiden(_ source: UnsafePointer<Float16>, count: Int, scale: Float, into target: UnsafeMutablePointer<Float>) {
    ConversionLoops.widen(source, count: count, scale: scale, into: target)
  }

  @usableFromInline @inline(never)
  static func baselineSquare(_ source: UnsafePointer<Float>, count: Int, into target: UnsafeMutablePointer<Float>) {
    ConversionLoops.square(source, count: count, into: target)
  }

  @usableFromInline @inline(never)
  static func baselineAddRows(
    _ x: UnsafePointer<Float>, rows: Int, dimension d: Int, groups: UnsafePointer<Int32>, into sums: UnsafeMutablePointer<Float>
  ) {
    ConversionLoops.addRows(x, rows: rows, dimension: d, groups: groups, into: sums)
  }

  @usableFromInline @inline(never)
  static func baselineAddRows(
    _ x: UnsafePointer<UInt8>, rows: Int, dimension d: Int, groups: UnsafePointer<Int32>, into sums: UnsafeMutablePointer<Float>
  ) {
    ConversionLoops.addRows(x, rows: rows, dimension: d, groups: groups, into: sums)
  }
}
