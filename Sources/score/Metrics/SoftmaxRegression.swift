import Foundation
import Kernels

/// Multinomial logistic regression with an L2 penalty on the weights (not the biases), the
/// linear probe of self-supervised learning, with scikit-learn's objective for
/// `LogisticRegression(C=…)` (lbfgs, multinomial) divided by C·n:
///
///     f(W, b) = (1/n) Σ_r [log Σ_c exp z_rc − z_r,y_r] + (λ/2)‖W‖²,   z = X·W + b,
///
/// with λ = 1 / (C·n) for scikit-learn's C, or λ the weight decay.
/// Parameters: W (d, C) row-major, then b (C). x: (n, d) row-major, already standardised.
final class SoftmaxRegression {
  let x: [Float]
  let classes: [Int32]
  let n: Int
  let d: Int
  let classCount: Int
  let weightDecay: Double
  private var weights: [Float]
  private var logits: [Float]
  private var weightGradient: [Float]

  init(x: [Float], classes: [Int32], dimension: Int, classCount: Int, weightDecay: Double) {
    precondition(x.count == classes.count * dimension, "one class per row")
    self.x = x
    self.classes = classes
    n = classes.count
    d = dimension
    self.classCount = classCount
    self.weightDecay = weightDecay
    weights = [Float](repeating: 0, count: dimension * classCount)
    logits = [Float](repeating: 0, count: classes.count * classCount)
    weightGradient = [Float](repeating: 0, count: dimension * classCount)
  }

  var parameterCount: Int { (d + 1) * classCount }

  /// f(parameters); writes ∇f into `gradient`. Logits and ∇W come from sgemm in Float;
  /// the softmax, the loss and the sums run in Double.
  func objective(_ parameters: [Double], gradient: inout [Double]) -> Double {
    let (n, d, classCount) = (self.n, self.d, self.classCount)
    let biasStart = d * classCount
    for i in 0..<biasStart { weights[i] = Float(parameters[i]) }
    // logits (n, C) = x (n, d) · W (d, C)
    BLAS.sgemm(m: n, n: classCount, k: d, x, weights, &logits)
    var loss = 0.0
    for c in 0..<classCount { gradient[biasStart + c] = 0 }
    var z = [Double](repeating: 0, count: classCount)
    let inverseN = 1 / Double(n)
    logits.withUnsafeMutableBufferPointer { logits in
      for r in 0..<n {
        let row = logits.baseAddress! + r * classCount
        var largest = -Double.infinity
        for c in 0..<classCount {
          z[c] = Double(row[c]) + parameters[biasStart + c]
          largest = max(largest, z[c])
        }
        var sum = 0.0
        for c in 0..<classCount {
          z[c] = exp(z[c] - largest)
          sum += z[c]
        }
        let label = Int(classes[r])
        loss += largest + log(sum) - (Double(row[label]) + parameters[biasStart + label])
        // row becomes dL/dz for this row: (softmax − onehot) / n.
        for c in 0..<classCount {
          let derivative = (z[c] / sum - (c == label ? 1 : 0)) * inverseN
          row[c] = Float(derivative)
          gradient[biasStart + c] += derivative
        }
      }
    }
    // ∇W (d, C) = xᵀ (d, n) · dz (n, C)
    BLAS.sgemm(transposeA: true, m: d, n: classCount, k: n, x, logits, &weightGradient)
    var penalty = 0.0
    for i in 0..<biasStart {
      penalty += parameters[i] * parameters[i]
      gradient[i] = Double(weightGradient[i]) + weightDecay * parameters[i]
    }
    return loss * inverseN + weightDecay / 2 * penalty
  }

  /// The class with the largest logit for each row of `x` ((rows, d) row-major).
  static func predict(_ x: [Float], dimension d: Int, classCount: Int, parameters: [Double]) -> [Int32] {
    let rows = d == 0 ? 0 : x.count / d
    let weights = parameters[0..<d * classCount].map { Float($0) }
    var logits = [Float](repeating: 0, count: rows * classCount)
    BLAS.sgemm(m: rows, n: classCount, k: d, x, weights, &logits)
    return (0..<rows).map { r in
      var best = 0
      var bestValue = -Double.infinity
      for c in 0..<classCount {
        let value = Double(logits[r * classCount + c]) + parameters[d * classCount + c]
        if value > bestValue {
          bestValue = value
          best = c
        }
      }
      return Int32(best)
    }
  }
}

/// Per-feature mean and standard deviation of the train rows (population, as
/// scikit-learn's StandardScaler; a constant feature gets 1), applied to any rows.
struct Standardizer {
  let mean: [Float]
  let scale: [Float]

  /// rows: (n, d) row-major.
  init(fitting rows: [Float], dimension d: Int) {
    let n = d == 0 ? 0 : rows.count / d
    var mean = [Double](repeating: 0, count: d)
    var variance = [Double](repeating: 0, count: d)
    rows.withUnsafeBufferPointer { rows in
      for r in 0..<n {
        for i in 0..<d { mean[i] += Double(rows[r * d + i]) }
      }
      for i in 0..<d { mean[i] /= Double(max(n, 1)) }
      for r in 0..<n {
        for i in 0..<d {
          let deviation = Double(rows[r * d + i]) - mean[i]
          variance[i] += deviation * deviation
        }
      }
    }
    self.mean = mean.map { Float($0) }
    scale = variance.map { total in
      let std = (total / Double(max(n, 1))).squareRoot()
      return std > 0 ? Float(std) : 1
    }
  }

  /// rows: (n, d) row-major, standardised in place.
  func apply(_ rows: inout [Float]) {
    let d = mean.count
    guard d > 0 else { return }
    rows.withUnsafeMutableBufferPointer { rows in
      for r in 0..<rows.count / d {
        for i in 0..<d { rows[r * d + i] = (rows[r * d + i] - mean[i]) / scale[i] }
      }
    }
  }
}
