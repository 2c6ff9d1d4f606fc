import KernelLoops
import KernelsAVX2

/// Products of a block of rows with a few vectors (k of them, k small): the shapes of
/// K-means distances and of EM for diagonal Gaussian mixtures. For k up to a few dozen
/// these run several times faster than sgemm, which spends such calls packing panels.
public enum SmallProducts {
  /// The largest k for which these loops are used rather than sgemm. Measured on K-means
  /// over Fashion-MNIST (784 u8 values per row, where sgemm also needs the rows converted
  /// to float): these loops and sgemm take about the same time at k = 32 to 48, and these
  /// loops 1.4× as long at k = 64.
  public static let largestCount = 48

  /// out (rows × k) = x (rows × d) · vᵀ, where v is k × d; all row-major.
  @inlinable
  public static func dots(
    _ x: UnsafePointer<Float>, rows: Int, _ v: UnsafePointer<Float>, count k: Int, dimension d: Int,
    into out: UnsafeMutablePointer<Float>, using instructions: InstructionSet = .current
  ) {
    switch instructions {
    case .avx2: SmallProductsAVX2.dots(x, rows: rows, v, count: k, dimension: d, into: out)
    case .baseline: baselineDots(x, rows: rows, v, count: k, dimension: d, into: out)
    }
  }

  /// out (rows × k) = x (rows × d) · vᵀ for rows of bytes, read as they are.
  @inlinable
  public static func dots(
    _ x: UnsafePointer<UInt8>, rows: Int, _ v: UnsafePointer<Float>, count k: Int, dimension d: Int,
    into out: UnsafeMutablePointer<Float>, using instructions: InstructionSet = .current
  ) {
    switch instructions {
    case .avx2: SmallProductsAVX2.dots(x, rows: rows, v, count: k, dimension: d, into: out)
    case .baseline: baselineDots(x, rows: rows, v, count: k, dimension: d, into: out)
    }
  }

  /// out[r] = x[r] · v[groups[r]]: each row (rows × d) against its own row of v.
  @inlinable
  public static func groupDots(
    _ x: UnsafePointer<Float>, rows: Int, _ v: UnsafePointer<Float>, groups: UnsafePointer<Int32>, dimension d: Int,
    into out: UnsafeMutablePointer<Float>, using instructions: InstructionSet = .current
  ) {
    switch instructions {
    case .avx2: SmallProductsAVX2.groupDots(x, rows: rows, v, groups: groups, dimension: d, into: out)
    case .baseline: baselineGroupDots(x, rows: rows, v, groups: groups, dimension: d, into: out)
    }
  }

  /// out[r] = x[r] · v[groups[r]] for rows of bytes, read as they are.
  @inlinable
  public static func groupDots(
    _ x: UnsafePointer<UInt8>, rows: Int, _ v: UnsafePointer<Float>, groups: UnsafePointer<Int32>, dimension d: Int,
    into out: UnsafeMutablePointer<Float>, using instructions: InstructionSet = .current
  ) {
    switch instructions {
    case .avx2: SmallProductsAVX2.groupDots(x, rows: rows, v, groups: groups, dimension: d, into: out)
    case .baseline: baselineGroupDots(x, rows: rows, v, groups: groups, dimension: d, into: out)
    }
  }

  /// out (rows × k): out[r, c] = Σ_j x_rj (x_rj a_cj + b_cj), where a and b are k × d: for
  /// diagonal Gaussians with precisions a and b = −2 a μ, the part of −2 log density that
  /// depends on x.
  @inlinable
  public static func quadraticForms(
    _ x: UnsafePointer<Float>, rows: Int, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count k: Int, dimension d: Int,
    into out: UnsafeMutablePointer<Float>, using instructions: InstructionSet = .current
  ) {
    switch instructions {
    case .avx2: SmallProductsAVX2.quadraticForms(x, rows: rows, a, b, count: k, dimension: d, into: out)
    case .baseline: baselineQuadraticForms(x, rows: rows, a, b, count: k, dimension: d, into: out)
    }
  }

  /// first (k × d) += weightsᵀ · x and second (k × d) += weightsᵀ · x², where weights is
  /// rows × k and x is rows × d (x² element by element).
  @inlinable
  public static func accumulateMoments(
    _ weights: UnsafePointer<Float>, _ x: UnsafePointer<Float>, rows: Int, count k: Int, dimension d: Int,
    first: UnsafeMutablePointer<Float>, second: UnsafeMutablePointer<Float>, using instructions: InstructionSet = .current
  ) {
    switch instructions {
    case .avx2: SmallProductsAVX2.moments(weights, x, rows: rows, count: k, dimension: d, first: first, second: second)
    case .baseline: baselineMoments(weights, x, rows: rows, count: k, dimension: d, first: first, second: second)
    }
  }

  /// out (rows × k): out[r, c] = Σ_j x_rj (x_rj a_cj + b_cj), where a and b are k × d: for
  /// diagonal Gaussians with precisions a and b = −2 a μ, the part of −2 log density that
  /// depends on x. Rows of bytes are read as they are.
  @inlinable
  public static func quadraticForms(
    _ x: UnsafePointer<UInt8>, rows: Int, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count k: Int, dimension d: Int,
    into out: UnsafeMutablePointer<Float>, using instructions: InstructionSet = .current
  ) {
    switch instructions {
    case .avx2: SmallProductsAVX2.quadraticForms(x, rows: rows, a, b, count: k, dimension: d, into: out)
    case .baseline: baselineQuadraticForms(x, rows: rows, a, b, count: k, dimension: d, into: out)
    }
  }

  /// first (k × d) += weightsᵀ · x and second (k × d) += weightsᵀ · x², where weights is
  /// rows × k and x is rows × d (x² element by element). Rows of bytes are read as they are.
  @inlinable
  public static func accumulateMoments(
    _ weights: UnsafePointer<Float>, _ x: UnsafePointer<UInt8>, rows: Int, count k: Int, dimension d: Int,
    first: UnsafeMutablePointer<Float>, second: UnsafeMutablePointer<Float>, using instructions: InstructionSet = .current
  ) {
    switch instructions {
    case .avx2: SmallProductsAVX2.moments(weights, x, rows: rows, count: k, dimension: d, first: first, second: second)
    case .baseline: baselineMoments(weights, x, rows: rows, count: k, dimension: d, first: first, second: second)
    }
  }


  // Baseline: 4-float vectors (SSE2 on x86-64) in tiles of 2 × 5, so the 10 accumulators
  // and 3 operands fit in 16 vector registers.
  @usableFromInline @inline(never)
  static func baselineDots(
    _ x: UnsafePointer<Float>, rows: Int, _ v: UnsafePointer<Float>, count k: Int, dimension d: Int,
    into out: UnsafeMutablePointer<Float>
  ) {
    SmallProductLoops.dots(
      x, rows: rows, v, count: k, dimension: d, into: out,
      vector: SIMD4<Float>.self, tile: InlineArray<5, Int>.self, SeparateMultiplyAccumulate.self)
  }

  @usableFromInline @inline(never)
  static func baselineDots(
    _ x: UnsafePointer<UInt8>, rows: Int, _ v: UnsafePointer<Float>, count k: Int, dimension d: Int,
    into out: UnsafeMutablePointer<Float>
  ) {
    SmallProductLoops.dots(
      x, rows: rows, v, count: k, dimension: d, into: out,
      vector: SIMD4<Float>.self, tile: InlineArray<5, Int>.self, SeparateMultiplyAccumulate.self)
  }

  @usableFromInline @inline(never)
  static func baselineGroupDots(
    _ x: UnsafePointer<Float>, rows: Int, _ v: UnsafePointer<Float>, groups: UnsafePointer<Int32>, dimension d: Int,
    into out: UnsafeMutablePointer<Float>
  ) {
    SmallProductLoops.groupDots(
      x, rows: rows, v, groups: groups, dimension: d, into: out, vector: SIMD4<Float>.self, SeparateMultiplyAccumulate.self)
  }

  @usableFromInline @inline(never)
  static func baselineGroupDots(
    _ x: UnsafePointer<UInt8>, rows: Int, _ v: UnsafePointer<Float>, groups: UnsafePointer<Int32>, dimension d: Int,
    into out: UnsafeMutablePointer<Float>
  ) {
    SmallProductLoops.groupDots(
      x, rows: rows, v, groups: groups, dimension: d, into: out, vector: SIMD4<Float>.self, SeparateMultiplyAccumulate.self)
  }

  @usableFromInline @inline(never)
  static func baselineQuadraticForms(
    _ x: UnsafePointer<Float>, rows: Int, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count k: Int, dimension d: Int,
    into out: UnsafeMutablePointer<Float>
  ) {
    SmallProductLoops.quadraticForms(
      x, rows: rows, a, b, count: k, dimension: d, into: out,
      vector: SIMD4<Float>.self, tile: InlineArray<5, Int>.self, SeparateMultiplyAccumulate.self)
  }

  @usableFromInline @inline(never)
  static func baselineQuadraticForms(
    _ x: UnsafePointer<UInt8>, rows: Int, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count k: Int, dimension d: Int,
    into out: UnsafeMutablePointer<Float>
  ) {
    SmallProductLoops.quadraticForms(
      x, rows: rows, a, b, count: k, dimension: d, into: out,
      vector: SIMD4<Float>.self, tile: InlineArray<5, Int>.self, SeparateMultiplyAccumulate.self)
  }

  @usableFromInline @inline(never)
  static func baselineMoments(
    _ weights: UnsafePointer<Float>, _ x: UnsafePointer<Float>, rows: Int, count k: Int, dimension d: Int,
    first: UnsafeMutablePointer<Float>, second: UnsafeMutablePointer<Float>
  ) {
    SmallProductLoops.moments(
      weights, x, rows: rows, count: k, dimension: d, first: first, second: second,
      vector: SIMD4<Float>.self, tile: InlineArray<5, Int>.self, SeparateMultiplyAccumulate.self)
  }

  @usableFromInline @inline(never)
  static func baselineMoments(
    _ weights: UnsafePointer<Float>, _ x: UnsafePointer<UInt8>, rows: Int, count k: Int, dimension d: Int,
    first: UnsafeMutablePointer<Float>, second: UnsafeMutablePointer<Float>
  ) {
    SmallProductLoops.moments(
      weights, x, rows: rows, count: k, dimension: d, first: first, second: second,
      vector: SIMD4<Float>.self, tile: InlineArray<5, Int>.self, SeparateMultiplyAccumulate.self)
  }
}
