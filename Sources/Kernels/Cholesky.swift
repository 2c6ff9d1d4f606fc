/// Cholesky factorisation A = L Lᵀ of a symmetric positive-definite n × n matrix
/// (row-major, in double for stability); returns L (lower, zeros above), or nil when A is
/// not positive definite.
public func choleskyLower(_ a: [Double], n: Int) -> [Double]? {
  precondition(a.count == n * n, "shape")
  var lower = [Double](repeating: 0, count: n * n)
  for j in 0..<n {
    var diagonal = a[j * n + j]
    for p in 0..<j { diagonal -= lower[j * n + p] * lower[j * n + p] }
    guard diagonal > 0 else { return nil }
    let pivot = diagonal.squareRoot()
    lower[j * n + j] = pivot
    for i in (j + 1)..<max(j + 1, n) {
      var value = a[i * n + j]
      for p in 0..<j { value -= lower[i * n + p] * lower[j * n + p] }
      lower[i * n + j] = value / pivot
    }
  }
  return lower
}
