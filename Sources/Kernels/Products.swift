import SIMDKernels

/// The product of a block of rows with k vectors that K-means makes, by whichever of
/// `SmallProducts` and sgemm is faster for that k.
public enum Products {
  /// out (rows × k) = x (rows × d) · vᵀ, where v is k × d; all row-major.
  @inlinable
  public static func dots(
    _ x: UnsafePointer<Float>, rows: Int, _ v: UnsafePointer<Float>, count k: Int, dimension d: Int,
    into out: UnsafeMutablePointer<Float>
  ) {
    if k <= SmallProducts.largestCount {
      SmallProducts.dots(x, rows: rows, v, count: k, dimension: d, into: out)
    } else {
      BLAS.sgemm(transposeB: true, m: rows, n: k, k: d, x, v, out)
    }
  }
}
