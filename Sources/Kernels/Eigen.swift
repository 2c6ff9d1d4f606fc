import COpenBLAS

/// Eigen-decomposition of a symmetric matrix, by LAPACK's `dsyevd`.
public enum SymmetricEigen {
  /// The eigenvalues of the symmetric n × n `matrix` (row-major) in descending order, with
  /// the unit eigenvectors as the rows of `vectors` in the same order; nil if LAPACK fails.
  public static func decompose(_ matrix: [Double], n: Int) -> (values: [Double], vectors: [Double])? {
    precondition(matrix.count == n * n, "not an n × n matrix")
    guard n > 0 else { return ([], []) }
    // Column-major LAPACK sees the row-major symmetric matrix as itself; its eigenvectors,
    // columns in its order, are rows in ours.
    var a = matrix
    var values = [Double](repeating: 0, count: n)
    var (size, info) = (Int32(n), Int32(0))
    var (workSize, iworkSize) = (Int32(-1), Int32(-1))
    var workQuery = [Double](repeating: 0, count: 1)
    var iworkQuery = [Int32](repeating: 0, count: 1)
    dsyevd_("V", "U", &size, &a, &size, &values, &workQuery, &workSize, &iworkQuery, &iworkSize, &info, 1, 1)
    guard info == 0 else { return nil }
    workSize = Int32(workQuery[0])
    iworkSize = iworkQuery[0]
    var work = [Double](repeating: 0, count: Int(workSize))
    var iwork = [Int32](repeating: 0, count: Int(iworkSize))
    dsyevd_("V", "U", &size, &a, &size, &values, &work, &workSize, &iwork, &iworkSize, &info, 1, 1)
    guard info == 0 else { return nil }
    // LAPACK gives ascending order.
    var vectors = [Double](repeating: 0, count: n * n)
    for (row, column) in (0..<n).reversed().enumerated() {
      for i in 0..<n { vectors[row * n + i] = a[column * n + i] }
    }
    return (values.reversed(), vectors)
  }
}
