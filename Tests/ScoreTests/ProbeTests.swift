import Foundation
import Shared
import Testing

@testable import score

/// The kNN and linear probes' kernels: the blocked kNN against its plain oracle, the
/// softmax regression's gradient against finite differences, L-BFGS on known minima.
@Suite struct ProbeTests {
  func randomRows(_ rows: Int, _ d: Int, seed: UInt64) -> [Float] {
    var generator = SplitMix64(seed: seed)
    return (0..<rows * d).map { _ in generator.nextFloat() }
  }

  func randomClasses(_ rows: Int, _ classes: Int, seed: UInt64) -> [Int32] {
    var generator = SplitMix64(seed: seed)
    return (0..<rows).map { _ in Int32(generator.next(below: classes)) }
  }

  @Test(arguments: [(1, 0.07), (7, 0.1), (20, 0.07)])
  func blockedKNNMatchesNaive(k: Int, temperature: Double) {
    // More rows than one block on both sides (512 test, 2048 train), and ragged ends.
    let d = 6
    let (trainCount, testCount) = (2100, 530)
    let train = randomRows(trainCount, d, seed: 1)
    let test = randomRows(testCount, d, seed: 2)
    let classes = randomClasses(trainCount, 4, seed: 3)
    let fast = NearestNeighbors.predict(
      train: DenseRows(values: train, dimension: d), trainClasses: classes, classCount: 4,
      test: DenseRows(values: test, dimension: d), k: k, temperature: temperature)
    let naive = NearestNeighbors.predictNaive(
      train: train, trainClasses: classes, classCount: 4, test: test, dimension: d, k: k, temperature: temperature)
    let mismatches = (0..<testCount).filter { fast[$0] != naive[$0] }
    #expect(mismatches.isEmpty, "\(mismatches.count) of \(testCount) differ, first rows \(mismatches.prefix(5))")
  }

  @Test func knnByHand() {
    // Train points on the unit circle at 0°, 10°, 90°, 180°; classes 0, 0, 1, 2. A test
    // point at 60° with k = 2 has neighbours 90° (cos 30°) and 10° (cos 50°): weights
    // e^{0.866/T} for class 1 and e^{0.643/T} for class 0, so class 1 wins.
    func point(_ degrees: Double) -> [Float] { [Float(cos(degrees * .pi / 180)), Float(sin(degrees * .pi / 180))] }
    let train = [0.0, 10, 90, 180].flatMap(point)
    let classes: [Int32] = [0, 0, 1, 2]
    func predict(_ degrees: Double, k: Int, temperature: Double = 0.07) -> Int32 {
      NearestNeighbors.predict(
        train: DenseRows(values: train, dimension: 2), trainClasses: classes, classCount: 3,
        test: DenseRows(values: point(degrees) .map { $0 * 3 }, dimension: 2), k: k, temperature: temperature)[0]
    }
    #expect(predict(60, k: 2) == 1)
    // k = 3 adds 0° (cos 60°) for class 0: at T = 0.07 class 1 still wins (e^{12.37} against
    // e^{9.18} + e^{7.14}); at T = 10 the weights are nearly equal and two votes beat one.
    #expect(predict(60, k: 3) == 1)
    #expect(predict(60, k: 3, temperature: 10) == 0)
    // Every train point votes: far ones barely count at T = 0.07.
    #expect(predict(170, k: 4) == 2)
  }

  @Test func softmaxRegressionGradientMatchesFiniteDifferences() {
    let (n, d, classCount) = (40, 5, 3)
    let x = randomRows(n, d, seed: 4)
    let classes = randomClasses(n, classCount, seed: 5)
    let model = SoftmaxRegression(x: x, classes: classes, dimension: d, classCount: classCount, weightDecay: 0.3)
    var generator = SplitMix64(seed: 6)
    let parameters = (0..<model.parameterCount).map { _ in Double(generator.nextFloat()) }
    var gradient = [Double](repeating: 0, count: model.parameterCount)
    _ = model.objective(parameters, gradient: &gradient)
    var scratch = gradient
    var worst = 0.0
    let h = 1e-3
    for i in 0..<model.parameterCount {
      var plus = parameters
      var minus = parameters
      plus[i] += h
      minus[i] -= h
      let numeric = (model.objective(plus, gradient: &scratch) - model.objective(minus, gradient: &scratch)) / (2 * h)
      worst = max(worst, abs(numeric - gradient[i]))
    }
    // Logits are Float: differences of the objective carry ~1e-7 / 2h of noise.
    #expect(worst < 2e-4, "max |analytic − numeric| = \(worst)")
  }

  @Test func softmaxRegressionAtZeroByHand() {
    // At W = 0, b = 0 every class has probability 1/C: the loss is log C.
    let model = SoftmaxRegression(x: randomRows(10, 3, seed: 7), classes: randomClasses(10, 4, seed: 8), dimension: 3, classCount: 4, weightDecay: 1)
    var gradient = [Double](repeating: 0, count: model.parameterCount)
    let value = model.objective([Double](repeating: 0, count: model.parameterCount), gradient: &gradient)
    #expect(abs(value - log(4)) < 1e-12)
  }

  @Test func lbfgsFindsKnownMinima() {
    // A convex quadratic ½ xᵀAx − bᵀx with A = [[3, 1], [1, 2]], b = [1, 1]: x* = A⁻¹b = (0.2, 0.4).
    let optimizer = LBFGS(maxIterations: 100, tolerance: 1e-10)
    let quadratic = optimizer.minimize(from: [5, -7]) { x, g in
      g[0] = 3 * x[0] + x[1] - 1
      g[1] = x[0] + 2 * x[1] - 1
      return 0.5 * (3 * x[0] * x[0] + 2 * x[0] * x[1] + 2 * x[1] * x[1]) - x[0] - x[1]
    }
    #expect(quadratic.converged && abs(quadratic.parameters[0] - 0.2) < 1e-9 && abs(quadratic.parameters[1] - 0.4) < 1e-9)
    // Rosenbrock's valley from the classic start (−1.2, 1): minimum at (1, 1).
    let rosenbrock = LBFGS(maxIterations: 500, tolerance: 1e-8).minimize(from: [-1.2, 1]) { x, g in
      let (a, b) = (1 - x[0], x[1] - x[0] * x[0])
      g[0] = -2 * a - 400 * x[0] * b
      g[1] = 200 * b
      return a * a + 100 * b * b
    }
    #expect(rosenbrock.converged, "\(rosenbrock)")
    #expect(abs(rosenbrock.parameters[0] - 1) < 1e-6 && abs(rosenbrock.parameters[1] - 1) < 1e-6, "\(rosenbrock.parameters)")
  }

  @Test func standardizerUsesPopulationStatistics() {
    // Feature 0: 1, 3 → mean 2, std 1. Feature 1 is constant: scale 1, so it becomes 0.
    let standardizer = Standardizer(fitting: [1, 5, 3, 5], dimension: 2)
    #expect(standardizer.mean == [2, 5] && standardizer.scale == [1, 1])
    var rows: [Float] = [4, 6]
    standardizer.apply(&rows)
    #expect(rows == [2, 1])
  }
}
