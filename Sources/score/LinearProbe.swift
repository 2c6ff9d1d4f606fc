import ArgumentParser
import Foundation
import Shared

/// `score linear`: linear-probe accuracy of an embedding.
struct LinearProbe: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "linear",
    abstract: "Judge an embedding by a linear probe: L2-regularised multinomial logistic regression.",
    discussion: """
      Fits on the records of split train with a label, reports accuracy on those of split \
      test. Features are standardised with the train mean and standard deviation. The fit \
      is full-batch L-BFGS from zero weights, so it makes no random choice: the objective \
      is scikit-learn's LogisticRegression(C) (multinomial, intercept not penalised), \
      mean cross-entropy + λ/2 ‖W‖² with λ = 1 / (C · n_train), or λ = --weight-decay. \
      The train features are held as f32.
      """)

  @OptionGroup var options: ReportOptions
  @OptionGroup var labelOptions: LabelOptions

  @Option(name: .customLong("c"), help: "Inverse regularisation strength, as scikit-learn's C.")
  var inverseRegularization = 1.0

  @Option(help: "L2 penalty λ on the mean loss instead of --c (λ = 1 / (C · n_train)).")
  var weightDecay: Double?

  @Option(help: "At most this many L-BFGS iterations.")
  var maxIter = 1000

  @Option(help: "Stop when every gradient component is at most this (scikit-learn's tol).")
  var tol = 1e-4

  func validate() throws {
    if !(inverseRegularization > 0 && inverseRegularization.isFinite) { throw ValidationError("--c must be a positive number, not \(inverseRegularization)") }
    if let weightDecay, !(weightDecay >= 0 && weightDecay.isFinite) { throw ValidationError("--weight-decay must be 0 or more, not \(weightDecay)") }
    if maxIter < 1 { throw ValidationError("--max-iter must be at least 1, not \(maxIter)") }
    if !(tol > 0) { throw ValidationError("--tol must be positive, not \(tol)") }
  }

  func run() throws {
    let progress = ProgressLine(tool: "score", quiet: options.quiet)
    let data = try labelOptions.data(options.openReader())
    let d = data.features.dimension
    let n = data.trainRows.count
    // The logits (n × classes) and weights (d × classes) are held as floats.
    guard max(n, d) * data.classes.count <= 1 << 28 else {
      throw Failure("\(data.name): \(data.classes.count) classes over \(n) records are too many for a linear probe (labels that are really ids?)")
    }
    let lambda = weightDecay ?? 1 / (inverseRegularization * Double(n))
    var trainValues = [Float](repeating: 0, count: n * d)
    trainValues.withUnsafeMutableBufferPointer { data.train.copy(0..<n, into: $0) }
    let standardizer = Standardizer(fitting: trainValues, dimension: d)
    standardizer.apply(&trainValues)
    let classCount = data.classes.count
    let fit = fitLinearProbe(
      x: trainValues, classes: data.trainClasses, dimension: d, classCount: classCount, weightDecay: lambda,
      maxIterations: maxIter, tolerance: tol)
    guard fit.value.isFinite && fit.parameters.allSatisfy(\.isFinite) else {
      throw Failure("\(data.name): the linear probe diverged (its objective is not finite); are the feature values extreme?")
    }
    let trainPredicted = SoftmaxRegression.predict(trainValues, dimension: d, classCount: classCount, parameters: fit.parameters)
    let trainCorrect = zip(trainPredicted, data.trainClasses).filter { $0 == $1 }.count
    trainValues = []
    // Test records in blocks: gathered, standardised, classified.
    var correct = 0
    let test = data.test
    let block = 4096
    for start in stride(from: 0, to: test.count, by: block) {
      let rows = min(block, test.count - start)
      var values = [Float](repeating: 0, count: rows * d)
      values.withUnsafeMutableBufferPointer { test.copy(start..<start + rows, into: $0) }
      standardizer.apply(&values)
      let predicted = SoftmaxRegression.predict(values, dimension: d, classCount: classCount, parameters: fit.parameters)
      for r in 0..<rows where predicted[r] == data.testClasses[start + r] { correct += 1 }
    }
    let accuracy = Double(correct) / Double(data.testRows.count)
    let penaltyText = weightDecay.map { "weight decay \(shortNumber($0))" }
      ?? "C = \(shortNumber(inverseRegularization)) (λ = \(shortNumber(lambda)))"
    let fitText = "\(fit.iterations) L-BFGS iterations, "
      + (fit.converged ? "converged" : "not converged: largest gradient \(shortNumber(fit.gradientMaximum))")
    let lines = fieldLines([
      ["stream", data.name],
      ["protocol", "linear probe: multinomial logistic regression, standardised features, \(penaltyText)"],
      ["train", "\(n) records, \(classCount) classes, \(d) features"],
      ["test", "\(data.testRows.count) records"],
      ["skipped", data.skippedText],
      ["fit", fitText + ", objective " + String(format: "%.6f", fit.value)],
      ["train acc", "\(decimal(Double(trainCorrect) / Double(n)))  (\(trainCorrect) of \(n))"],
      ["accuracy", "\(decimal(accuracy))  (\(correct) of \(data.testRows.count))"],
    ])
    var object: [String: JSONValue] = [
      "stream": .string(data.name),
      "protocol": .string("linear"),
      "accuracy": .number(accuracy),
      "correct": .integer(correct),
      "train_accuracy": .number(Double(trainCorrect) / Double(n)),
      "n_train": .integer(n),
      "n_test": .integer(data.testRows.count),
      "classes": .integer(data.classes.count),
      "weight_decay": .number(lambda),
      "iterations": .integer(fit.iterations),
      "converged": .bool(fit.converged),
      "objective": .number(fit.value),
      "skipped": .integer(data.unlabelled + data.otherSplits),
    ]
    if weightDecay == nil { object["c"] = .number(inverseRegularization) }
    try options.printReport(lines: lines, object: object)
    progress.finish("linear probe accuracy \(decimal(accuracy)) on \(data.testRows.count) test records (\(fitText))")
  }
}

/// Fits the probe's softmax regression from zero parameters.
func fitLinearProbe(
  x: [Float], classes: [Int32], dimension: Int, classCount: Int, weightDecay: Double, maxIterations: Int, tolerance: Double
) -> LBFGS.Result {
  let model = SoftmaxRegression(x: x, classes: classes, dimension: dimension, classCount: classCount, weightDecay: weightDecay)
  let optimizer = LBFGS(maxIterations: maxIterations, tolerance: tolerance)
  return optimizer.minimize(from: [Double](repeating: 0, count: model.parameterCount)) { model.objective($0, gradient: &$1) }
}
