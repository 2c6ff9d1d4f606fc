import Foundation
import Kernels
import Shared

/// The shape of each component's covariance.
enum CovarianceType: String, CaseIterable {
  /// A variance per component and dimension.
  case diag
  /// One variance per component.
  case spherical
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
  /// diag: k × d variances; spherical: k variances.
  var variances: [Float]
}

/// Gaussian mixtures fitted by EM in the log domain (Dempster, Laird & Rubin 1977), with
/// responsibilities normalised by log-sum-exp so that far-away records do not underflow.
/// The quadratic forms come from BLAS: Σ_j (x_j − μ_kj)² / σ²_kj = x²·(1/σ²)ᵀ − 2 x·(μ/σ²)ᵀ + Σ μ²/σ².
struct GaussianMixture {
  var k: Int
  var covariance = CovarianceType.diag
  /// Added to every variance, so a dimension that never varies stays finite.
  var regularization = 1e-6
  var maxIterations = 100
  /// Stop when the mean log-likelihood per record improves by less than this.
  var tolerance = 1e-3
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
    while iterations < maxIterations {
      iterations += 1
      meanLogLikelihood = expectation(data, model, into: &responsibilities)
      model = maximization(data, responsibilities)
      let change = meanLogLikelihood - previous
      report(iterations, meanLogLikelihood, change)
      if abs(change) < tolerance { break }
      previous = meanLogLikelihood
    }
    meanLogLikelihood = expectation(data, model, into: &responsibilities)
    return (model, meanLogLikelihood, iterations)
  }

  /// Free parameters, for BIC: k − 1 weights, k·d means, and the variances.
  func parameterCount(d: Int) -> Int {
    (k - 1) + k * d + (covariance == .diag ? k * d : k)
  }

  /// E-step: responsibilities (n × k, rows summing to 1); returns the mean log-likelihood.
  func expectation(_ data: FeatureMatrix, _ model: GaussianMixtureModel, into responsibilities: inout [Float]) -> Double {
    let d = data.dimension
    // Per component: precisions (k × d), precision-weighted means (k × d), and the constant
    // log π_k − ½ (d log 2π + log|Σ_k| + Σ μ²/σ²).
    var precisions = [Float](repeating: 0, count: k * d)
    var weightedMeans = [Float](repeating: 0, count: k * d)
    var constants = [Double](repeating: 0, count: k)
    for c in 0..<k {
      var logDeterminant = 0.0
      var meanTerm = 0.0
      for j in 0..<d {
        let variance = Double(model.covariance == .diag ? model.variances[c * d + j] : model.variances[c])
        let precision = 1 / variance
        precisions[c * d + j] = Float(precision)
        weightedMeans[c * d + j] = Float(Double(model.means[c * d + j]) * precision)
        logDeterminant += log(variance)
        meanTerm += Double(model.means[c * d + j]) * Double(model.means[c * d + j]) * precision
      }
      constants[c] = log(model.weights[c]) - 0.5 * (Double(d) * log(2 * Double.pi) + logDeterminant + meanTerm)
    }
    var total = 0.0
    var logs = [Double](repeating: 0, count: k)
    var squares = [Float](repeating: 0, count: DistanceBlocks.rowsPerBlock * d)
    var linear = [Float](repeating: 0, count: DistanceBlocks.rowsPerBlock * k)
    var quadratic = [Float](repeating: 0, count: DistanceBlocks.rowsPerBlock * k)
    var scratch: [Float] = []
    for start in stride(from: 0, to: data.count, by: DistanceBlocks.rowsPerBlock) {
      let rows = start..<min(start + DistanceBlocks.rowsPerBlock, data.count)
      let m = rows.count
      data.floatRows(rows, scratch: &scratch) { x in
        for i in 0..<x.count { squares[i] = x[i] * x[i] }
        // quadratic (m × k) = x² · precisionsᵀ; linear (m × k) = x · weightedMeansᵀ
        BLAS.sgemm(transposeB: true, m: m, n: k, k: d, squares, precisions, &quadratic)
        BLAS.sgemm(transposeB: true, m: m, n: k, k: d, x.baseAddress!, weightedMeans, &linear)
      }
      for r in 0..<m {
        var top = -Double.infinity
        for c in 0..<k {
          logs[c] = constants[c] - 0.5 * (Double(quadratic[r * k + c]) - 2 * Double(linear[r * k + c]))
          top = max(top, logs[c])
        }
        var sum = 0.0
        for c in 0..<k { sum += exp(logs[c] - top) }
        let logSum = top + log(sum)
        total += logSum
        for c in 0..<k { responsibilities[(rows.lowerBound + r) * k + c] = Float(exp(logs[c] - logSum)) }
      }
    }
    return total / Double(data.count)
  }

  /// M-step: weights, means and variances from responsibilities, sums in double.
  func maximization(_ data: FeatureMatrix, _ responsibilities: [Float]) -> GaussianMixtureModel {
    let d = data.dimension
    var mass = [Double](repeating: 0, count: k)
    var first = [Double](repeating: 0, count: k * d)
    var second = [Double](repeating: 0, count: k * d)
    var blockFirst = [Float](repeating: 0, count: k * d)
    var blockSecond = [Float](repeating: 0, count: k * d)
    var scratch: [Float] = []
    var squares = [Float](repeating: 0, count: DistanceBlocks.rowsPerBlock * d)
    for start in stride(from: 0, to: data.count, by: DistanceBlocks.rowsPerBlock) {
      let rows = start..<min(start + DistanceBlocks.rowsPerBlock, data.count)
      let m = rows.count
      let block = Array(responsibilities[rows.lowerBound * k..<rows.upperBound * k])
      for r in 0..<m { for c in 0..<k { mass[c] += Double(block[r * k + c]) } }
      data.floatRows(rows, scratch: &scratch) { x in
        for i in 0..<x.count { squares[i] = x[i] * x[i] }
        // first (k × d) = Rᵀ (k × m) · x (m × d); second likewise with x².
        BLAS.sgemm(transposeA: true, m: k, n: d, k: m, block, x.baseAddress!, &blockFirst)
        BLAS.sgemm(transposeA: true, m: k, n: d, k: m, block, squares, &blockSecond)
      }
      for i in 0..<k * d {
        first[i] += Double(blockFirst[i])
        second[i] += Double(blockSecond[i])
      }
    }
    let n = Double(data.count)
    var model = GaussianMixtureModel(
      k: k, d: d, covariance: covariance, weights: [], means: [Float](repeating: 0, count: k * d),
      variances: [Float](repeating: 0, count: covariance == .diag ? k * d : k))
    for c in 0..<k {
      // A component that lost all its records keeps a tiny weight and the data's scale,
      // rather than dividing by zero.
      let nc = max(mass[c], 10 * Double.ulpOfOne)
      model.weights.append(max(mass[c] / n, Double.leastNormalMagnitude))
      var sphericalSum = 0.0
      for j in 0..<d {
        let mean = first[c * d + j] / nc
        let variance = max(0, second[c * d + j] / nc - mean * mean) + regularization
        model.means[c * d + j] = Float(mean)
        if covariance == .diag { model.variances[c * d + j] = Float(variance) } else { sphericalSum += variance }
      }
      if covariance == .spherical { model.variances[c] = Float(sphericalSum / Double(d)) }
    }
    return model
  }
}
