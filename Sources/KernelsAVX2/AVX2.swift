import KernelLoops

/// `SmallProductLoops` compiled for AVX2 with FMA (this module is built with
/// `-target-cpu haswell`): 8-float vectors, fused multiply-adds, and tiles of 2 × 5 that
/// fill 10 of the 16 vector registers. Call only where `CPUFeatures` says the CPU has
/// both; `SmallProducts` in Kernels does the choosing.
///
/// `@inline(never)` keeps these bodies out of other modules, which would compile them
/// for the baseline CPU.
public enum SmallProductsAVX2 {
  @inline(never)
  public static func dots(
    _ x: UnsafePointer<Float>, rows: Int, _ v: UnsafePointer<Float>, count k: Int, dimension d: Int,
    into out: UnsafeMutablePointer<Float>
  ) {
    SmallProductLoops.dots(
      x, rows: rows, v, count: k, dimension: d, into: out,
      vector: SIMD8<Float>.self, tile: InlineArray<5, Int>.self, FusedMultiplyAccumulate.self)
  }

  @inline(never)
  public static func dots(
    _ x: UnsafePointer<UInt8>, rows: Int, _ v: UnsafePointer<Float>, count k: Int, dimension d: Int,
    into out: UnsafeMutablePointer<Float>
  ) {
    SmallProductLoops.dots(
      x, rows: rows, v, count: k, dimension: d, into: out,
      vector: SIMD8<Float>.self, tile: InlineArray<5, Int>.self, FusedMultiplyAccumulate.self)
  }

  @inline(never)
  public static func groupDots(
    _ x: UnsafePointer<Float>, rows: Int, _ v: UnsafePointer<Float>, groups: UnsafePointer<Int32>, dimension d: Int,
    into out: UnsafeMutablePointer<Float>
  ) {
    SmallProductLoops.groupDots(
      x, rows: rows, v, groups: groups, dimension: d, into: out, vector: SIMD8<Float>.self, FusedMultiplyAccumulate.self)
  }

  @inline(never)
  public static func groupDots(
    _ x: UnsafePointer<UInt8>, rows: Int, _ v: UnsafePointer<Float>, groups: UnsafePointer<Int32>, dimension d: Int,
    into out: UnsafeMutablePointer<Float>
  ) {
    SmallProductLoops.groupDots(
      x, rows: rows, v, groups: groups, dimension: d, into: out, vector: SIMD8<Float>.self, FusedMultiplyAccumulate.self)
  }

  @inline(never)
  public static func quadraticForms(
    _ x: UnsafePointer<Float>, rows: Int, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count k: Int, dimension d: Int,
    into out: UnsafeMutablePointer<Float>
  ) {
    SmallProductLoops.quadraticForms(
      x, rows: rows, a, b, count: k, dimension: d, into: out,
      vector: SIMD8<Float>.self, tile: InlineArray<5, Int>.self, FusedMultiplyAccumulate.self)
  }

  @inline(never)
  public static func quadraticForms(
    _ x: UnsafePointer<UInt8>, rows: Int, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count k: Int, dimension d: Int,
    into out: UnsafeMutablePointer<Float>
  ) {
    SmallProductLoops.quadraticForms(
      x, rows: rows, a, b, count: k, dimension: d, into: out,
      vector: SIMD8<Float>.self, tile: InlineArray<5, Int>.self, FusedMultiplyAccumulate.self)
  }

  @inline(never)
  public static func moments(
    _ weights: UnsafePointer<Float>, _ x: UnsafePointer<Float>, rows: Int, count k: Int, dimension d: Int,
    first: UnsafeMutablePointer<Float>, second: UnsafeMutablePointer<Float>
  ) {
    SmallProductLoops.moments(
      weights, x, rows: rows, count: k, dimension: d, first: first, second: second,
      vector: SIMD8<Float>.self, tile: InlineArray<5, Int>.self, FusedMultiplyAccumulate.self)
  }

  @inline(never)
  public static func moments(
    _ weights: UnsafePointer<Float>, _ x: UnsafePointer<UInt8>, rows: Int, count k: Int, dimension d: Int,
    first: UnsafeMutablePointer<Float>, second: UnsafeMutablePointer<Float>
  ) {
    SmallProductLoops.moments(
      weights, x, rows: rows, count: k, dimension: d, first: first, second: second,
      vector: SIMD8<Float>.self, tile: InlineArray<5, Int>.self, FusedMultiplyAccumulate.self)
  }
}

/// `ConversionLoops` compiled for AVX2 (and F16C, which Haswell has).
public enum ConversionsAVX2 {
  @inline(never)
  public static func widen(_ source: UnsafePointer<UInt8>, count: Int, scale: Float, into target: UnsafeMutablePointer<Float>) {
    ConversionLoops.widen(source, count: count, scale: scale, into: target)
  }

  @inline(never)
  public static func widen(_ source: UnsafePointer<Float16>, count: Int, scale: Float, into target: UnsafeMutablePointer<Float>) {
    ConversionLoops.widen(source, count: count, scale: scale, into: target)
  }

  @inline(never)
  public static func square(_ source: UnsafePointer<Float>, count: Int, into target: UnsafeMutablePointer<Float>) {
    ConversionLoops.square(source, count: count, into: target)
  }

  @inline(never)
  public static func addRows(
    _ x: UnsafePointer<Float>, rows: Int, dimension d: Int, groups: UnsafePointer<Int32>, into sums: UnsafeMutablePointer<Float>
  ) {
    ConversionLoops.addRows(x, rows: rows, dimension: d, groups: groups, into: sums)
  }

  @inline(never)
  public static func addRows(
    _ x: UnsafePointer<UInt8>, rows: Int, dimension d: Int, groups: UnsafePointer<Int32>, into sums: UnsafeMutablePointer<Float>
  ) {
    ConversionLoops.addRows(x, rows: rows, dimension: d, groups: groups, into: sums)
  }
}

/// `PixelLoops` compiled for AVX2 and FMA: the empty conformance instantiates every loop here.
public enum PixelLoopsAVX2: PixelLoops {
  public typealias Accumulate = FusedMultiplyAccumulate
}
