import SIMDKernels

/// The two products K-means and EM make per block of rows, each by whichever of
/// `SmallProducts` and sgemm is faster for the number of vectors k.
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

  /// out (k × d) += weightsᵀ · x, where weights is rows × k and x is rows × d; all
  /// row-major.
  @inlinable
  public static func accumulateWeightedSums(
    _ weights: UnsafePointer<Float>, _ x: UnsafePointer<Float>, rows: Int, count k: Int, dimension d: Int,
    into out: UnsafeMutablePointer<Float>
  ) {
    if k <= SmallProducts.largestCount {
      SmallProducts.accumulateWeightedSums(weights, x, rows: rows, count: k, dimension: d, into: out)
    } else {
      BLAS.sgemm(transposeA: true, m: k, n: d, k: rows, weights, x, beta: 1, out)
    }
  }
}
