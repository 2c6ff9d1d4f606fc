import ArgumentParser
import Shared

/// `score knn`: weighted k-nearest-neighbour accuracy of an embedding.
struct KNNProbe: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "knn",
    abstract: "Judge an embedding by weighted kNN: train records vote for the class of each test record.",
    discussion: """
      Records of split train with a label are the neighbours; records of split test with a \
      label are classified and scored. Similarity is the cosine; the k most similar train \
      records vote with weight exp(similarity / T) (the kNN monitor of InstDisc and MoCo). \
      The whole stream is held in memory as stored (u8 stays u8); similarities are computed \
      in blocks with BLAS, never as one test × train matrix.
      """)

  @OptionGroup var options: ReportOptions
  @OptionGroup var labelOptions: LabelOptions

  @Option(name: .shortAndLong, help: "Neighbours that vote (at most the number of train records).")
  var k = 20

  @Option(name: [.customShort("t"), .long], help: "Temperature T of the vote weights exp(similarity / T).")
  var temperature = 0.07

  func validate() throws {
    if k < 1 { throw ValidationError("-k must be at least 1, not \(k)") }
    if !(temperature > 0 && temperature.isFinite) { throw ValidationError("--temperature must be a positive number, not \(temperature)") }
  }

  func run() throws {
    let progress = ProgressLine(tool: "score", quiet: options.quiet)
    let data = try labelOptions.data(options.openReader())
    let neighbours = min(k, data.trainRows.count)
    let predictions = NearestNeighbors.predict(
      train: data.train, trainClasses: data.trainClasses, classCount: data.classes.count, test: data.test,
      k: neighbours, temperature: temperature)
    let correct = zip(predictions, data.testClasses).filter { $0 == $1 }.count
    let accuracy = Double(correct) / Double(data.testRows.count)
    let protocolText = "kNN, k = \(neighbours)\(neighbours < k ? " (all the train records)" : ""), cosine, weights exp(similarity / \(shortNumber(temperature)))"
    let lines = fieldLines([
      ["stream", data.name],
      ["protocol", protocolText],
      ["train", "\(data.trainRows.count) records, \(data.classes.count) classes"],
      ["test", "\(data.testRows.count) records"],
      ["skipped", data.skippedText],
      ["accuracy", "\(decimal(accuracy))  (\(correct) of \(data.testRows.count))"],
    ])
    try options.printReport(
      lines: lines,
      object: [
        "stream": .string(data.name),
        "protocol": .string("knn"),
        "accuracy": .number(accuracy),
        "correct": .integer(correct),
        "n_train": .integer(data.trainRows.count),
        "n_test": .integer(data.testRows.count),
        "classes": .integer(data.classes.count),
        "k": .integer(neighbours),
        "temperature": .number(temperature),
        "skipped": .integer(data.unlabelled + data.otherSplits),
      ])
    progress.finish("kNN accuracy \(decimal(accuracy)) on \(data.testRows.count) test records (k = \(neighbours), \(data.trainRows.count) train records)")
  }
}
