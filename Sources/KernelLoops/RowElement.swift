/// A type rows are stored in that the loops read directly, widening to Float in registers:
/// u8 pixels need no converted copy of the data.
public protocol RowElement {
  /// The V.scalarCount values from `pointer` as Floats.
  static func vector<V: SIMD>(_ pointer: UnsafePointer<Self>, as: V.Type) -> V where V.Scalar == Float
  /// The value as a Float.
  static func scalar(_ value: Self) -> Float
}

extension Float: RowElement {
  @inlinable @inline(__always)
  public static func vector<V: SIMD>(_ pointer: UnsafePointer<Float>, as: V.Type) -> V where V.Scalar == Float {
    UnsafeRawPointer(pointer).loadUnaligned(as: V.self)
  }

  @inlinable @inline(__always)
  public static func scalar(_ value: Float) -> Float { value }
}

extension UInt8: RowElement {
  // Element by element, which the compiler turns into one widening load and one
  // conversion (vpmovzxbd, vcvtdq2ps); the standard library's SIMD conversions are calls.
  @inlinable @inline(__always)
  public static func vector<V: SIMD>(_ pointer: UnsafePointer<UInt8>, as: V.Type) -> V where V.Scalar == Float {
    var vector = V()
    for i in 0..<V.scalarCount { vector[i] = Float(pointer[i]) }
    return vector
  }

  @inlinable @inline(__always)
  public static func scalar(_ value: UInt8) -> Float { Float(value) }
}
