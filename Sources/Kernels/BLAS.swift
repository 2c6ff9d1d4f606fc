import COpenBLAS

/// Thin wrappers over OpenBLAS (CBLAS), row-major.
public enum BLAS {
  /// C (m×n) = alpha · op(A) · op(B) + beta · C, where op(A) is m×k and op(B) is k×n;
  /// A, B and C are row-major with their natural leading dimensions (`cblas_sgemm`).
  @inlinable
  public static func sgemm(
    transposeA: Bool = false, transposeB: Bool = false, m: Int, n: Int, k: Int,
    alpha: Float = 1, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
    beta: Float = 0, _ c: UnsafeMutablePointer<Float>
  ) {
    cblas_sgemm(
      CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
      blasint(m), blasint(n), blasint(k), alpha,
      a, blasint(transposeA ? m : k), b, blasint(transposeB ? k : n), beta, c, blasint(n))
  }

  /// Plain triple loop with the same contract as `sgemm`: the oracle its tests compare with.
  public static func sgemmNaive(
    transposeA: Bool = false, transposeB: Bool = false, m: Int, n: Int, k: Int,
    alpha: Float = 1, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
    beta: Float = 0, _ c: UnsafeMutablePointer<Float>
  ) {
    for i in 0..<m {
      for j in 0..<n {
        var sum: Float = 0
        for p in 0..<k {
          let aValue = transposeA ? a[p * m + i] : a[i * k + p]
          let bValue = transposeB ? b[j * k + p] : b[p * n + j]
          sum += aValue * bValue
        }
        c[i * n + j] = alpha * sum + (beta == 0 ? 0 : beta * c[i * n + j])
      }
    }
  }
}

extension BLAS {
  /// The number of threads OpenBLAS uses inside one call (`openblas_get_num_threads`).
  public static var threads: Int {
    get { Int(openblas_get_num_threads()) }
    set { openblas_set_num_threads(Int32(newValue)) }
  }
}

extension BLAS {
  /// B (m × n) ← B · L⁻ᵀ for a lower-triangular L (n × n), row-major: each row b of B
  /// becomes the solution y of L y = b (`cblas_strsm`, right side, transposed).
  @inlinable
  public static func solveLowerTransposedRight(m: Int, n: Int, _ lower: UnsafePointer<Float>, _ b: UnsafeMutablePointer<Float>) {
    cblas_strsm(CblasRowMajor, CblasRight, CblasLower, CblasTrans, CblasNonUnit, blasint(m), blasint(n), 1, lower, blasint(n), b, blasint(n))
  }
}
