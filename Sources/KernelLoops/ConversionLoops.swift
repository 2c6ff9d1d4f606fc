/// Element-wise loops, written plainly so that the compiler vectorises them for whichever
/// instruction set the calling module targets (see `SmallProductLoops`): they run on every
/// pass of K-means and EM. They are `while` loops because the compiler does not vectorise
/// the same loop written `for i in 0..<count` (Swift 6.3).
public enum ConversionLoops {
  /// target[i] = Float(source[i]) · scale for i < count.
  @inlinable @inline(__always)
  public static func widen<Element: BinaryFloatingPoint>(
    _ source: UnsafePointer<Element>, count: Int, scale: Float, into target: UnsafeMutablePointer<Float>
  ) {
    var i = 0
    while i < count {
      target[i] = Float(source[i]) * scale
      i += 1
    }
  }

  /// target[i] = Float(source[i]) · scale for i < count.
  @inlinable @inline(__always)
  public static func widen(
    _ source: UnsafePointer<UInt8>, count: Int, scale: Float, into target: UnsafeMutablePointer<Float>
  ) {
    var i = 0
    while i < count {
      target[i] = Float(source[i]) * scale
      i += 1
    }
  }

  /// target[i] = source[i]² for i < count.
  @inlinable @inline(__always)
  public static func square(_ source: UnsafePointer<Float>, count: Int, into target: UnsafeMutablePointer<Float>) {
    var i = 0
    while i < count {
      target[i] = source[i] * source[i]
      i += 1
    }
  }

  /// Adds each row r of x (rows × d, in its stored type) to row `groups[r]` of sums
  /// (groups × d).
  @inlinable @inline(__always)
  public static func addRows<E: RowElement>(
    _ x: UnsafePointer<E>, rows: Int, dimension d: Int, groups: UnsafePointer<Int32>,
    into sums: UnsafeMutablePointer<Float>
  ) {
    for r in 0..<rows {
      let target = sums + Int(groups[r]) * d
      let source = x + r * d
      var j = 0
      while j < d {
        target[j] += E.scalar(source[j])
        j += 1
      }
    }
  }
}
