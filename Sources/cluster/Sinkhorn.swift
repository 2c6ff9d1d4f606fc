import Foundation

/// Balanced assignment of n records to K prototypes by entropic optimal transport,
/// solved with Sinkhorn-Knopp in the log domain (Cuturi 2013; the balanced assignment of
/// SwAV, Caron et al. 2020, which GEDI builds on).
///
/// Finds the plan P (n × K) minimising ⟨P, C⟩ − ε H(P) with row sums 1/n (each record
/// placed once) and column sums `weights` (the cluster sizes asked for). The costs are
/// divided by their mean first, so ε does not depend on the data's scale.
struct Sinkhorn {
  var epsilon: Double = 0.05
  var iterations = 100
  /// Stop early when every column sum is within this fraction of its target.
  var tolerance = 1e-6

  /// The transport plan's rows, each normalised to sum to 1 (n × K, row-major),
  /// from costs (n × K, row-major). `weights` sum to 1.
  func plan(costs: [Float], n: Int, k: Int, weights: [Double]) -> (rows: [Float], iterations: Int) {
    precondition(costs.count == n * k && weights.count == k, "shapes")
    let mean = costs.reduce(0.0) { $0 + Double($1) } / Double(max(1, costs.count))
    let scale = mean > 0 ? 1 / (mean * epsilon) : 1 / epsilon
    // logKernel = −C / (ε · mean C)
    var logKernel = costs.map { -Double($0) * scale }
    let logRow = -log(Double(n))
    let logColumn = weights.map { log($0) }
    var f = [Double](repeating: 0, count: n)
    var g = [Double](repeating: 0, count: k)
    var done = 0
    var columnLogSums = [Double](repeating: 0, count: k)
    logKernel.withUnsafeMutableBufferPointer { kernel in
      for iteration in 1...max(1, iterations) {
        done = iteration
        // Rows: f_i = log(1/n) − logsumexp_k (K_ik + g_k)
        for i in 0..<n {
          let row = kernel.baseAddress! + i * k
          var top = -Double.infinity
          for c in 0..<k { top = max(top, row[c] + g[c]) }
          var sum = 0.0
          for c in 0..<k { sum += exp(row[c] + g[c] - top) }
          f[i] = logRow - (top + log(sum))
        }
        // Columns: g_k = log w_k − logsumexp_i (K_ik + f_i)
        logSumOverRows(kernel, f, n: n, k: k, into: &columnLogSums)
        var worst = 0.0
        for c in 0..<k {
          worst = max(worst, abs(exp(columnLogSums[c] + g[c] - logColumn[c]) - 1))
          g[c] = logColumn[c] - columnLogSums[c]
        }
        // After the column step columns are exact; `worst` measured them before it.
        if worst < tolerance { break }
      }
    }
    // Rows of P normalised: P_ik / Σ_k P_ik = softmax_k(K_ik + g_k).
    var rows = [Float](repeating: 0, count: n * k)
    for i in 0..<n {
      var top = -Double.infinity
      for c in 0..<k { top = max(top, logKernel[i * k + c] + g[c]) }
      var sum = 0.0
      for c in 0..<k { sum += exp(logKernel[i * k + c] + g[c] - top) }
      for c in 0..<k { rows[i * k + c] = Float(exp(logKernel[i * k + c] + g[c] - top) / sum) }
    }
    return (rows, done)
  }

  private func logSumOverRows(_ kernel: UnsafeMutableBufferPointer<Double>, _ f: [Double], n: Int, k: Int, into out: inout [Double]) {
    var top = [Double](repeating: -.infinity, count: k)
    for i in 0..<n {
      for c in 0..<k { top[c] = max(top[c], kernel[i * k + c] + f[i]) }
    }
    var sum = [Double](repeating: 0, count: k)
    for i in 0..<n {
      for c in 0..<k { sum[c] += exp(kernel[i * k + c] + f[i] - top[c]) }
    }
    for c in 0..<k { out[c] = top[c] + log(sum[c]) }
  }
}
