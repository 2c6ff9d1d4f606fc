import Foundation
import Network
import Shared

/// `embed train --method calm`: CALM's filters learned by EM from a stream of images held
/// in memory (as stored: u8 stays u8). Each pass is one exact EM iteration, its E-step
/// summed over every image before the M-step, so the log-likelihood printed per pass
/// never decreases.
struct CALMTrainer {
  /// Images per block converted to floats and shared out among the threads.
  static let block = 1024

  let options: Train

  func run() throws {
    let reader = try StreamReader(path: options.input)
    let name = reader.input.name
    let schema = reader.schema
    guard schema.layout == .chw, schema.dims.count == 3 else {
      throw Failure("\(name): CALM learns from images (C×H×W), but the stream holds \(schema.summary)")
    }
    let shape = try options.calmShape(channels: schema.dims[0], height: schema.dims[1], width: schema.dims[2], source: name)
    let passes = options.epochs ?? (shape.channels == 1 ? 15 : 10)
    try MemoryBudget.check(
      values: Double(options.threads) * Double(shape.scratchValues), for: "a CALM layer of this shape on \(options.threads) threads",
      hint: "lower --threads, --filters or --patch")
    let progress = ProgressLine(tool: "embed", quiet: options.quiet)
    progress.status("reading \(name)")
    let data = try heldImages(reader)

    var scratch: [Float] = []
    let sample = min(data.count, 4096)
    let input = CALMInput(shape: shape, whitened: options.whiten ?? (shape.channels > 1), threads: options.threads)
    let initial = input.images(data, 0..<sample, scratch: &scratch) {
      CALM.initialFilters(shape, from: $0, count: sample, seed: options.seed)
    }
    let model = CALMModel(CALM(shape, filters: initial, threads: options.threads), grid: 1, input: input)
    let calm = model.calm
    let start = Date()
    var logLikelihoods: [Double] = []
    for pass in 1...passes {
      let passStart = Date()
      var statistics = CALMStatistics(shape)
      for first in stride(from: 0, to: data.count, by: Self.block) {
        let rows = first..<min(first + Self.block, data.count)
        input.images(data, rows, scratch: &scratch) { calm.expectation($0, count: rows.count, into: &statistics) }
        progress.status("pass \(pass)/\(passes): \(rows.upperBound) of \(data.count) images")
      }
      let idle = calm.maximize(statistics)
      let perImage = statistics.logLikelihood / Double(data.count)
      logLikelihoods.append(perImage)
      let seconds = Date().timeIntervalSince(passStart)
      let rate = Double(data.count) / max(seconds, 1e-9)
      progress.line(
        "pass \(pass)/\(passes): log-likelihood \(String(format: "%.4f", perImage)) per image, \(String(format: "%.2f", seconds)) s, \(Int(rate)) images/s\(idle > 0 ? ", \(idle) filters explained nothing" : "")")
      guard perImage.isFinite else {
        throw Failure("the log-likelihood is \(perImage) in pass \(pass): the images' values are too large for the model (scale them to about [0, 1])", exitCode: ExitStatus.software)
      }
    }
    let recipe = CALMRecipe(passes: passes, seed: options.seed, images: data.count)
    try model.save(
      recipe: ModelFile.json(recipe),
      history: schema.metadata.history + [Train.invocation(omitting: ["--threads", "-q", "--quiet"])],
      logLikelihoods: logLikelihoods, to: options.output)
    progress.finish(
      "calm \(shape.filters) filters\(input.whitened ? " (whitened images)" : "") of \(shape.channels)×\(shape.patch)×\(shape.patch), \(passes) EM passes over \(data.count) images in \(String(format: "%.1f", Date().timeIntervalSince(start))) s → \(options.output)")
  }
}

/// How a CALM model was trained, kept in its metadata.
struct CALMRecipe: Codable {
  var method = "calm"
  var passes: Int
  var seed: UInt64
  var images: Int
}
