import Foundation

/// Balanced assignment of n records to K prototypes by entropic optimal transport,
/// solved with Sinkhorn-Knopp (Cuturi 2013; the balanced assignment of SwAV, Caron et al.
/// 2020, which GEDI builds on).
///
/// Finds the plan P (n × K) minimising ⟨P, C⟩ − ε H(P) with row sums 1/n (each record
/// placed once) and column sums `weights` (the cluster sizes asked for). The costs are
/// divided by their mean first, so ε does not depend on the data's scale.
///
/// The iterations are log-domain stabilised (Schmitzer 2019, "Stabilized sparse scaling
/// algorithms for entropy regularized transport problems"): the plan is
/// P = exp(−C/ε + f_i + g_k) · u_i · v_k, the cheap scalings u and v are updated by
/// matrix-vector products, and whenever one grows past e^±30 it is absorbed into the log
/// potentials f and g and the kernel recomputed, so nothing overflows or underflows to
/// zero however small ε is.
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
    let logKernel = costs.map { -Double($0) * scale }
    let rowMass = 1 / Double(n)
    // Start with f_i making each row's largest kernel entry 1.
    var f = (0..<n).map { i in -(0..<k).reduce(-Double.infinity) { max($0, logKernel[i * k + $1]) } }
    var g = [Double](repeating: 0, count: k)
    var kernel = [Double](repeating: 0, count: n * k)
    func recompute() {
      for i in 0..<n {
        for c in 0..<k { kernel[i * k + c] = exp(logKernel[i * k + c] + f[i] + g[c]) }
      }
    }
    recompute()
    var u = [Double](repeating: 1, count: n)
    var v = [Double](repeating: 1, count: k)
    var columns = [Double](repeating: 0, count: k)
    let limit = exp(30.0)
    var done = 0
    for iteration in 1...max(1, iterations) {
      done = iteration
      // u_i = (1/n) / Σ_k K_ik v_k
      var absorb = false
      for i in 0..<n {
        var sum = 0.0
        for c in 0..<k { sum += kernel[i * k + c] * v[c] }
        u[i] = rowMass / sum
        if !(u[i] < limit && u[i] > 1 / limit) { absorb = true }
      }
      // v_k = w_k / Σ_i K_ik u_i; the column sums before this step measure convergence.
      for c in 0..<k { columns[c] = 0 }
      for i in 0..<n {
        for c in 0..<k { columns[c] += kernel[i * k + c] * u[i] }
      }
      var worst = 0.0
      for c in 0..<k {
        worst = max(worst, abs(columns[c] * v[c] / weights[c] - 1))
        v[c] = weights[c] / columns[c]
        if !(v[c] < limit && v[c] > 1 / limit) { absorb = true }
      }
      if absorb {
        for i in 0..<n { f[i] += log(u[i]) }
        for c in 0..<k { g[c] += log(v[c]) }
        for i in 0..<n { u[i] = 1 }
        for c in 0..<k { v[c] = 1 }
        recompute()
      }
      if worst < tolerance { break }
    }
    // Rows of P normalised to sum to 1: P_ik ∝ K_ik v_k (u_i cancels).
    var rows = [Float](repeating: 0, count: n * k)
    for i in 0..<n {
      var sum = 0.0
      for c in 0..<k { sum += kernel[i * k + c] * v[c] }
      for c in 0..<k { rows[i * k + c] = Float(kernel[i * k + c] * v[c] / sum) }
    }
    return (rows, done)
  }
}
