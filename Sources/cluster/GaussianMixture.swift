import Foundation
import Kernels
import SIMDKernels
import Shared

/// The shape of each component's covariance.
enum CovarianceType: String, CaseIterable {
  /// A variance per component and dimension.
  case diag
  /// One variance per component.
  case spherical
  /// A full covariance matrix per component.
  case full
  /// One full covariance matrix shared by all components.
  case tied
}

/// A fitted Gaussian mixture.
struct GaussianMixtureModel {
  var k: Int
  var d: Int
  var covariance: CovarianceType
  /// Mixing weights, k.
  var weights: [Double]
  /// k × d.
  var means: [Float]
  /// diag: k × d variances; spherical: k variances; full: k × d × d covariance
  /// matrices; tied: one d × d covariance matrix.
  var variances: [Float]
}

/// Gaussian mixtures fitted by EM in the log domain (Dempster, Laird & Rubin 1977), with
/// responsibilities normalised by log-sum-exp so that far-away records do not underflow.
/// The quadratic forms come from products of blocks of rows (`Products`): Σ_j (x_j − μ_kj)² / σ²_kj = x²·(1/σ²)ᵀ − 2 x·(μ/σ²)ᵀ + Σ μ²/σ².
struct GaussianMixture {
  var k: Int
  var covariance = CovarianceType.diag
  /// Added to every variance, so a dimension that never varies stays finite.
  var regularization = 1e-6
  var maxIterations = 100
  /// Stop when the mean log-likelihood per record improves by less than this.
  var tolerance = 1e-3
  /// Worker threads sharing the blocks of rows in each E- and M-step.
  var threads = 1
  var report: (Int, Double, Double) -> Void = { _, _, _ in }

  /// Fits from hard assignments (K-means' result): one M-step from them, then EM.
  func fit(_ data: FeatureMatrix, initialAssignments: [Int32]) -> (model: GaussianMixtureModel, logLikelihood: Double, iterations: Int) {
    var responsibilities = [Float](repeating: 0, count: data.count * k)
    for (i, c) in initialAssignments.enumerated() { responsibilities[i * k + Int(c)] = 1 }
    return fit(data, from: maximization(data, responsibilities))
  }

  /// Runs EM from the given model.
  func fit(_ data: FeatureMatrix, from initial: GaussianMixtureModel) -> (model: GaussianMixtureModel, logLikelihood: Double, iterations: Int) {
    var responsibilities = [Float](repeating: 0, count: data.count * k)
    var model = initial
    var previous = -Double.infinity
    var iterations = 0
    var meanLogLikelihood = -Double.infinity
    let fused = covariance == .diag || covariance == .spherical
    while iterations < maxIterations {
      iterations += 1
      if fused {
        // One pass: the E-step's responsibilities feed the moments of the M-step block by
        // block, so the data is converted once per iteration.
        let result = responsibilities.withUnsafeMutableBufferPointer { pass(data, model: model, $0, accumulate: true) }
        meanLogLikelihood = result.logLikelihood
        model = self.model(from: result.moments!, data)
      } else {
        meanLogLikelihood = expectation(data, model, into: &responsibilities)
        model = maximization(data, responsibilities)
      }
      let change = meanLogLikelihood - previous
      report(iterations, meanLogLikelihood, change)
      if abs(change) < tolerance { break }
      previous = meanLogLikelihood
    }
    meanLogLikelihood = expectation(data, model, into: &responsibilities)
    return (model, meanLogLikelihood, iterations)
  }

  /// Workers for a pass over `data`: --threads, but no more than there are blocks.
  private func workerCount(_ data: FeatureMatrix) -> Int {
    max(1, min(threads, (data.count + DistanceBlocks.rowsPerBlock - 1) / DistanceBlocks.rowsPerBlock))
  }

  /// Free parameters, for BIC: k − 1 weights, k·d means, and the variances.
  func parameterCount(d: Int) -> Int {
    let covarianceParameters: Int
    switch covariance {
    case .diag: covarianceParameters = k * d
    case .spherical: covarianceParameters = k
    case .full: covarianceParameters = k * d * (d + 1) / 2
    case .tied: covarianceParameters = d * (d + 1) / 2
    }
    return (k - 1) + k * d + covarianceParameters
  }

  /// E-step: responsibilities (n × k, rows summing to 1); returns the mean log-likelihood.
  func expectation(_ data: FeatureMatrix, _ model: GaussianMixtureModel, into responsibilities: inout [Float]) -> Double {
    responsibilities.withUnsafeMutableBufferPointer { pass(data, model: model, $0, accumulate: false).logLikelihood }
  }

  /// M-step: weights, means and variances from responsibilities, sums in double.
  func maximization(_ data: FeatureMatrix, _ responsibilities: [Float]) -> GaussianMixtureModel {
    var responsibilities = responsibilities
    let moments = responsibilities.withUnsafeMutableBufferPointer { pass(data, model: nil, $0, accumulate: true).moments! }
    return model(from: moments, data, responsibilities: responsibilities)
  }

  /// Sums over records of r_ic, r_ic x and r_ic x², in double.
  struct Moments {
    var mass: [Double]
    var first: [Double]
    var second: [Double]
  }

  /// One pass over the data in blocks shared among the worker threads. With `model`, the
  /// E-step: responsibilities written into `responsibilities` and the mean log-likelihood
  /// returned; without, `responsibilities` are read. With `accumulate`, the moments of
  /// those responsibilities are summed in the same pass.
  func pass(
    _ data: FeatureMatrix, model: GaussianMixtureModel?, _ responsibilities: UnsafeMutableBufferPointer<Float>,
    accumulate: Bool
  ) -> (logLikelihood: Double, moments: Moments?) {
    let d = data.dimension
    let k = self.k
    // With few components, diagonal densities and the moments come from loops that read
    // the rows as stored (u8 stays u8) and square them in registers; otherwise from float
    // rows, their squares and sgemm.
    let cholesky = model.map { $0.covariance == .full || $0.covariance == .tied } ?? false
    let direct = k <= SmallProducts.largestCount && !cholesky
    let rowScale = direct ? data.scale : 1
    let shared = model.map { model in
      cholesky ? ComponentDensity.cholesky(model) : ComponentDensity.diagonal(model, rowScale: rowScale)
    }
    let workers = (0..<workerCount(data)).map { _ in PassWorker(shared?.withOwnBuffers(), k: k, d: d, accumulate: accumulate) }
    forEachRowBlock(count: data.count, workers: threads) { worker, rows in
      let state = workers[worker]
      let m = rows.count
      let block = UnsafeMutableBufferPointer(rebasing: responsibilities[rows.lowerBound * k..<rows.upperBound * k])
      func handle(_ x: FeatureMatrix.StoredRows) {
        if k > SmallProducts.largestCount, accumulate || state.density?.usesSquares == true, case let .floats(floats) = x {
          Conversions.square(floats, count: m * d, into: &state.squares)
        }
        if let density = state.density {
          density.logDensities(x, squares: state.squares, rows: m, into: &state.logBlock)
          // Locals, not the worker's properties, inside the loops: each access to a class
          // property there would be checked for exclusivity at run time.
          let constants = density.constants
          var total = 0.0
          state.logBlock.withUnsafeBufferPointer { logBlock in
            for r in 0..<m {
              let logs = logBlock.baseAddress! + r * k
              let terms = block.baseAddress! + r * k
              var top = -Double.infinity
              for c in 0..<k { top = max(top, Double(logs[c]) + constants[c]) }
              // One exp per component, in float (the terms are at most 1): the
              // responsibilities are the terms over their sum.
              var sum: Float = 0
              for c in 0..<k {
                terms[c] = Foundation.exp(Float(Double(logs[c]) + constants[c] - top))
                sum += terms[c]
              }
              total += top + Double(Foundation.log(sum))
              let scale = 1 / sum
              for c in 0..<k { terms[c] *= scale }
            }
          }
          state.total += total
        }
        guard accumulate else { return }
        var mass = state.mass
        for r in 0..<m { for c in 0..<k { mass[c] += Double(block[r * k + c]) } }
        state.mass = mass
        state.accumulateMoments(block.baseAddress!, x, rows: m)
      }
      if direct {
        data.storedRows(rows, scratch: &state.scratch, handle)
      } else {
        data.floatRows(rows, scratch: &state.scratch) { handle(.floats($0.baseAddress!)) }
      }
    }
    let logLikelihood = workers.reduce(0) { $0 + $1.total } / Double(data.count)
    guard accumulate else { return (logLikelihood, nil) }
    var moments = Moments(mass: workers[0].mass, first: workers[0].first, second: workers[0].second)
    for other in workers.dropFirst() {
      for c in 0..<k { moments.mass[c] += other.mass[c] }
      for i in 0..<k * d {
        moments.first[i] += other.first[i]
        moments.second[i] += other.second[i]
      }
    }
    return (logLikelihood, moments)
  }

  /// One thread's share of a pass: its density (with its own buffers), log-likelihood sum,
  /// moment sums and buffers.
  private final class PassWorker: @unchecked Sendable {
    /// Adds the block's first (k × d) = Rᵀ (k × m) · x (m × d) and second moments (the same
    /// with x²) to the totals: summed in float within the block, then in double. Float
    /// rows beyond `SmallProducts.largestCount` components use `squares`, x² of the block.
    func accumulateMoments(_ responsibilities: UnsafePointer<Float>, _ x: FeatureMatrix.StoredRows, rows m: Int) {
      let (k, d) = (mass.count, first.count / mass.count)
      blockFirst.withUnsafeMutableBufferPointer { blockFirst in
        blockSecond.withUnsafeMutableBufferPointer { blockSecond in
          blockFirst.update(repeating: 0)
          blockSecond.update(repeating: 0)
          var scale = 1.0
          switch x {
          case let .bytes(bytes, byteScale):
            SmallProducts.accumulateMoments(
              responsibilities, bytes, rows: m, count: k, dimension: d, first: blockFirst.baseAddress!, second: blockSecond.baseAddress!)
            scale = Double(byteScale)
          case let .floats(floats) where k <= SmallProducts.largestCount:
            SmallProducts.accumulateMoments(
              responsibilities, floats, rows: m, count: k, dimension: d, first: blockFirst.baseAddress!, second: blockSecond.baseAddress!)
          case let .floats(floats):
            BLAS.sgemm(transposeA: true, m: k, n: d, k: m, responsibilities, floats, blockFirst.baseAddress!)
            BLAS.sgemm(transposeA: true, m: k, n: d, k: m, responsibilities, squares, blockSecond.baseAddress!)
          }
          first.withUnsafeMutableBufferPointer { first in
            second.withUnsafeMutableBufferPointer { second in
              for i in 0..<k * d {
                first[i] += Double(blockFirst[i]) * scale
                second[i] += Double(blockSecond[i]) * scale * scale
              }
            }
          }
        }
      }
    }

    let density: ComponentDensity?
    var total = 0.0
    var logBlock: [Float]
    var scratch: [Float] = []
    var mass: [Double]
    var first: [Double]
    var second: [Double]
    var blockFirst: [Float]
    var blockSecond: [Float]
    var squares: [Float]

    init(_ density: ComponentDensity?, k: Int, d: Int, accumulate: Bool) {
      self.density = density
      logBlock = [Float](repeating: 0, count: density == nil ? 0 : DistanceBlocks.rowsPerBlock * k)
      let size = accumulate ? k * d : 0
      mass = [Double](repeating: 0, count: k)
      first = [Double](repeating: 0, count: size)
      second = [Double](repeating: 0, count: size)
      blockFirst = [Float](repeating: 0, count: size)
      blockSecond = [Float](repeating: 0, count: size)
      // x² of a block, for the sgemm path only (more components than SmallProducts serves).
      squares = [Float](repeating: 0, count: k > SmallProducts.largestCount ? DistanceBlocks.rowsPerBlock * d : 0)
    }
  }

  /// The M-step's model from the moments; full and tied covariances also need the
  /// responsibilities for a second pass (the scatter about the new means).
  func model(from moments: Moments, _ data: FeatureMatrix, responsibilities: [Float] = []) -> GaussianMixtureModel {
    let d = data.dimension
    let (mass, first, second) = (moments.mass, moments.first, moments.second)
    let n = Double(data.count)
    var model = GaussianMixtureModel(
      k: k, d: d, covariance: covariance, weights: [], means: [Float](repeating: 0, count: k * d), variances: [])
    var masses: [Double] = []
    var sphericalSums = [Double](repeating: 0, count: k)
    var diagonal = [Float](repeating: 0, count: k * d)
    for c in 0..<k {
      // A component that lost all its records keeps a tiny weight rather than dividing by zero.
      let nc = max(mass[c], 10 * Double.ulpOfOne)
      masses.append(nc)
      model.weights.append(max(mass[c] / n, Double.leastNormalMagnitude))
      for j in 0..<d {
        let mean = first[c * d + j] / nc
        let variance = max(0, second[c * d + j] / nc - mean * mean) + regularization
        model.means[c * d + j] = Float(mean)
        diagonal[c * d + j] = Float(variance)
        sphericalSums[c] += variance
      }
    }
    switch covariance {
    case .diag: model.variances = diagonal
    case .spherical: model.variances = sphericalSums.map { Float($0 / Double(d)) }
    case .full, .tied: model.variances = scatter(data, responsibilities, means: model.means, masses: masses)
    }
    return model
  }

  /// Full covariances, Σ_c = Σ_i r_ic (x_i − μ_c)(x_i − μ_c)ᵀ / N_c + reg·I (k × d × d),
  /// or their mass-weighted average for tied (d × d), by one sgemm per component and block.
  private func scatter(_ data: FeatureMatrix, _ responsibilities: [Float], means: [Float], masses: [Double]) -> [Float] {
    let d = data.dimension
    let k = self.k
    let workers = (0..<workerCount(data)).map { _ in ScatterWorker(k: k, d: d) }
    forEachRowBlock(count: data.count, workers: threads) { worker, rows in
      let state = workers[worker]
      let m = rows.count
      data.floatRows(rows, scratch: &state.scratch) { x in
        for c in 0..<k {
          // Rows of (x − μ_c) · √r_ic, so that Wᵀ W is the weighted scatter.
          for r in 0..<m {
            let root = responsibilities[(rows.lowerBound + r) * k + c].squareRoot()
            for j in 0..<d { state.weighted[r * d + j] = (x[r * d + j] - means[c * d + j]) * root }
          }
          BLAS.sgemm(transposeA: true, m: d, n: d, k: m, state.weighted, state.weighted, &state.product)
          for i in 0..<d * d { state.totals[c * d * d + i] += Double(state.product[i]) }
        }
      }
    }
    var totals = workers[0].totals
    for other in workers.dropFirst() { for i in totals.indices { totals[i] += other.totals[i] } }
    if covariance == .tied {
      var shared = [Float](repeating: 0, count: d * d)
      for i in 0..<d * d {
        let sum = (0..<k).reduce(0.0) { $0 + totals[$1 * d * d + i] }
        shared[i] = Float(sum / Double(data.count))
      }
      for j in 0..<d { shared[j * d + j] += Float(regularization) }
      return shared
    }
    var covariances = [Float](repeating: 0, count: k * d * d)
    for c in 0..<k {
      for i in 0..<d * d { covariances[c * d * d + i] = Float(totals[c * d * d + i] / masses[c]) }
      for j in 0..<d { covariances[c * d * d + j * d + j] += Float(regularization) }
    }
    return covariances
  }
}

/// One scatter thread's buffers and sums.
private final class ScatterWorker: @unchecked Sendable {
  var totals: [Double]
  var weighted: [Float]
  var product: [Float]
  var scratch: [Float] = []

  init(k: Int, d: Int) {
    totals = [Double](repeating: 0, count: k * d * d)
    weighted = [Float](repeating: 0, count: DistanceBlocks.rowsPerBlock * d)
    product = [Float](repeating: 0, count: d * d)
  }
}

/// Log densities of every component for a block of rows, without the per-component
/// constants (log π_c − ½ (d log 2π + log|Σ_c|), in `constants`). Keeps its block
/// buffers from call to call.
final class ComponentDensity {
  let k: Int
  let d: Int
  let constants: [Double]
  private let kind: Kind
  private var first: [Float] = []
  private var second: [Float] = []
  private var third: [Float] = []

  /// The same densities with buffers of its own, for another thread.
  func withOwnBuffers() -> ComponentDensity {
    ComponentDensity(k: k, d: d, constants: constants, kind: kind)
  }

  private init(k: Int, d: Int, constants: [Double], kind: Kind) {
    self.k = k
    self.d = d
    self.constants = constants
    self.kind = kind
  }

  private enum Kind {
    /// For diag and spherical, −½ Σ_j (x_j − μ_j)²/σ²_j = −½ Σ_j x_j (x_j a_j + b_j) − ½ Σ μ²/σ²
    /// (the last in `constants`), with precisions a = 1/σ² and b = −2 μ/σ² (k × d each),
    /// both scaled for rows that reach the loops unscaled (u8 read as stored).
    case diagonal(a: [Float], b: [Float])
    /// Cholesky factors L_c (one per component, or one shared) and the means.
    case cholesky(factors: [[Float]], means: [Float])
  }

  /// Densities for rows that reach `logDensities` as stored values times `rowScale`.
  static func diagonal(_ model: GaussianMixtureModel, rowScale: Float) -> ComponentDensity {
    let (k, d) = (model.k, model.d)
    var a = [Float](repeating: 0, count: k * d)
    var b = [Float](repeating: 0, count: k * d)
    var constants = [Double](repeating: 0, count: k)
    let scale = Double(rowScale)
    for c in 0..<k {
      var logDeterminant = 0.0
      var meanTerm = 0.0
      for j in 0..<d {
        let variance = Double(model.covariance == .diag ? model.variances[c * d + j] : model.variances[c])
        let precision = 1 / variance
        let mean = Double(model.means[c * d + j])
        a[c * d + j] = Float(precision * scale * scale)
        b[c * d + j] = Float(-2 * mean * precision * scale)
        logDeterminant += log(variance)
        meanTerm += mean * mean * precision
      }
      constants[c] = log(model.weights[c]) - 0.5 * (Double(d) * log(2 * Double.pi) + logDeterminant + meanTerm)
    }
    return ComponentDensity(k: k, d: d, constants: constants, kind: .diagonal(a: a, b: b))
  }

  static func cholesky(_ model: GaussianMixtureModel) -> ComponentDensity {
    let (k, d) = (model.k, model.d)
    let matrices = model.covariance == .tied ? 1 : k
    var factors: [[Float]] = []
    var logDeterminants: [Double] = []
    for c in 0..<matrices {
      let covariance = model.variances[c * d * d..<(c + 1) * d * d].map(Double.init)
      // The regularisation keeps Σ positive definite; should rounding still defeat it,
      // a little more on the diagonal does.
      var lower = choleskyLower(covariance, n: d)
      var extra = 1e-6
      while lower == nil {
        var bumped = covariance
        for j in 0..<d { bumped[j * d + j] += extra }
        lower = choleskyLower(bumped, n: d)
        extra *= 10
      }
      factors.append(lower!.map(Float.init))
      logDeterminants.append((0..<d).reduce(0.0) { $0 + 2 * log(lower![$1 * d + $1]) })
    }
    let constants = (0..<k).map { c in
      log(model.weights[c]) - 0.5 * (Double(d) * log(2 * Double.pi) + logDeterminants[model.covariance == .tied ? 0 : c])
    }
    return ComponentDensity(k: k, d: d, constants: constants, kind: .cholesky(factors: factors, means: model.means))
  }

  /// Whether `logDensities` reads the squares of the rows.
  var usesSquares: Bool {
    if case .diagonal = kind { return true }
    return false
  }

  /// logs (rows × k) ← the variable part of each component's log density at each row of
  /// x; `squares` holds x² element by element when `usesSquares` and the rows are floats
  /// beyond `SmallProducts.largestCount` components. Cholesky factors take float rows.
  func logDensities(_ rows: FeatureMatrix.StoredRows, squares: UnsafePointer<Float>, rows m: Int, into logs: inout [Float]) {
    switch (kind, rows) {
    case let (.diagonal(a, b), .bytes(x, _)):
      SmallProducts.quadraticForms(x, rows: m, a, b, count: k, dimension: d, into: &logs)
      for i in 0..<m * k { logs[i] *= -0.5 }
    case let (.diagonal(a, b), .floats(x)) where k <= SmallProducts.largestCount:
      SmallProducts.quadraticForms(x, rows: m, a, b, count: k, dimension: d, into: &logs)
      for i in 0..<m * k { logs[i] *= -0.5 }
    case let (.diagonal(a, b), .floats(x)):
      if second.count < m * k { (second, third) = ([Float](repeating: 0, count: m * k), [Float](repeating: 0, count: m * k)) }
      // x² · aᵀ + x · bᵀ, each m × k
      BLAS.sgemm(transposeB: true, m: m, n: k, k: d, squares, a, &second)
      BLAS.sgemm(transposeB: true, m: m, n: k, k: d, x, b, &third)
      for i in 0..<m * k { logs[i] = -0.5 * (second[i] + third[i]) }
    case (.cholesky, .bytes):
      preconditionFailure("Cholesky densities take float rows")
    case let (.cholesky(factors, means), .floats(x)):
      if first.count < m * d { first = [Float](repeating: 0, count: m * d) }
      for c in 0..<k {
        for r in 0..<m {
          for j in 0..<d { first[r * d + j] = x[r * d + j] - means[c * d + j] }
        }
        // Each row y = L⁻¹ (x − μ), so (x − μ)ᵀ Σ⁻¹ (x − μ) = ‖y‖².
        BLAS.solveLowerTransposedRight(m: m, n: d, factors[factors.count == 1 ? 0 : c], &first)
        for r in 0..<m {
          var sum: Float = 0
          for j in 0..<d { sum += first[r * d + j] * first[r * d + j] }
          logs[r * k + c] = -0.5 * sum
        }
      }
    }
  }
}
