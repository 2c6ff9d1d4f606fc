/// Limited-memory BFGS (Nocedal 1980; Liu and Nocedal 1989) for smooth unconstrained
/// minimisation: the two-loop recursion over the last `history` steps, scaled by
/// sᵀy / yᵀy, with a backtracking line search on the Armijo condition. Curvature pairs
/// with sᵀy ≤ 0 are dropped; a direction that does not descend, or a line search that
/// fails, restarts from steepest descent once before giving up.
///
/// The objective may be noisy at the level of Float arithmetic (the probe's logits come
/// from sgemm): near the minimum the line search then accepts steps that only lower the
/// noise. So the run also stops, unconverged, when ten iterations together lowered the
/// objective by less than `stallTolerance` relative to its size.
struct LBFGS {
  var history = 10
  var maxIterations: Int
  /// Stop when every gradient component is at most this in absolute value (scipy's gtol).
  var tolerance: Double
  var stallTolerance = 1e-9

  struct Result {
    var parameters: [Double]
    var value: Double
    var iterations: Int
    /// Whether the gradient reached the tolerance (rather than running out of
    /// iterations or being unable to decrease the objective further).
    var converged: Bool
    /// The largest gradient component at the end.
    var gradientMaximum: Double
  }

  /// Minimises `objective`, which returns f(x) and writes ∇f(x) into its second argument.
  func minimize(from start: [Double], _ objective: ([Double], inout [Double]) -> Double) -> Result {
    let count = start.count
    var x = start
    var gradient = [Double](repeating: 0, count: count)
    var value = objective(x, &gradient)
    var steps: [[Double]] = []  // s = x₊ − x
    var changes: [[Double]] = []  // y = ∇f₊ − ∇f
    var direction = [Double](repeating: 0, count: count)
    var candidate = [Double](repeating: 0, count: count)
    var candidateGradient = [Double](repeating: 0, count: count)
    var iterations = 0
    var restarted = false
    var recentValues: [Double] = [value]

    while iterations < maxIterations {
      if maximumMagnitude(gradient) <= tolerance { break }
      if recentValues.count > 10 {
        recentValues.removeFirst()
        if recentValues[0] - value <= stallTolerance * max(1, abs(value)) { break }
      }
      iterations += 1
      twoLoopDirection(gradient, steps, changes, into: &direction)
      var slope = dot(gradient, direction)
      if !(slope < 0) {
        steps.removeAll()
        changes.removeAll()
        for i in 0..<count { direction[i] = -gradient[i] }
        slope = dot(gradient, direction)
      }
      // The first step of steepest descent has no scale yet: take length ≤ 1.
      var step = steps.isEmpty ? min(1, 1 / dot(gradient, gradient).squareRoot()) : 1
      var accepted = false
      var candidateValue = value
      for _ in 0..<50 {
        for i in 0..<count { candidate[i] = x[i] + step * direction[i] }
        candidateValue = objective(candidate, &candidateGradient)
        if candidateValue.isFinite && candidateValue <= value + 1e-4 * step * slope {
          accepted = true
          break
        }
        step *= 0.5
      }
      guard accepted else {
        // No decrease along this direction: forget the curvature and try steepest descent,
        // once; after that the objective cannot be lowered further in floating point.
        if restarted || steps.isEmpty { break }
        restarted = true
        steps.removeAll()
        changes.removeAll()
        continue
      }
      restarted = false
      var s = [Double](repeating: 0, count: count)
      var y = [Double](repeating: 0, count: count)
      for i in 0..<count {
        s[i] = candidate[i] - x[i]
        y[i] = candidateGradient[i] - gradient[i]
      }
      if dot(s, y) > 1e-12 * dot(y, y) {
        if steps.count == history {
          steps.removeFirst()
          changes.removeFirst()
        }
        steps.append(s)
        changes.append(y)
      }
      swap(&x, &candidate)
      swap(&gradient, &candidateGradient)
      value = candidateValue
      recentValues.append(value)
    }
    let largest = maximumMagnitude(gradient)
    return Result(parameters: x, value: value, iterations: iterations, converged: largest <= tolerance, gradientMaximum: largest)
  }

  /// direction = −H·gradient, H the L-BFGS inverse-Hessian estimate.
  private func twoLoopDirection(_ gradient: [Double], _ steps: [[Double]], _ changes: [[Double]], into direction: inout [Double]) {
    let count = gradient.count
    for i in 0..<count { direction[i] = -gradient[i] }
    var alphas = [Double](repeating: 0, count: steps.count)
    for m in steps.indices.reversed() {
      let rho = 1 / dot(changes[m], steps[m])
      alphas[m] = rho * dot(steps[m], direction)
      for i in 0..<count { direction[i] -= alphas[m] * changes[m][i] }
    }
    if let s = steps.last, let y = changes.last {
      let gamma = dot(s, y) / dot(y, y)
      for i in 0..<count { direction[i] *= gamma }
    }
    for m in steps.indices {
      let rho = 1 / dot(changes[m], steps[m])
      let beta = rho * dot(changes[m], direction)
      for i in 0..<count { direction[i] += (alphas[m] - beta) * steps[m][i] }
    }
  }
}

func dot(_ a: [Double], _ b: [Double]) -> Double {
  var sum = 0.0
  for i in 0..<a.count { sum += a[i] * b[i] }
  return sum
}

/// The largest |value|; NaN if any value is NaN (which `max` would pass over), so that a
/// NaN gradient never looks converged.
func maximumMagnitude(_ values: [Double]) -> Double {
  values.reduce(0) { $1.isNaN || $0.isNaN ? .nan : max($0, abs($1)) }
}
