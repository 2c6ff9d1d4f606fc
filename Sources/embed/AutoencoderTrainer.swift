import Foundation
import Network
import Shared

/// `embed train --method ae`: the poster's autoencoder ("AE (GMM)", ../shared/papers/002_*):
/// a fully connected encoder (784 → 128 → 12 by default) and the mirrored decoder, stored
/// as the network's head, trained to reproduce the normalised image under the mean squared
/// error, with Adam. `embed -m` then emits the bottleneck. The images are held in memory
/// (as stored: u8 stays u8) and shuffled every epoch.
struct AutoencoderTrainer {
  let options: Train

  func run() throws {
    let reader = try StreamReader(path: options.input)
    let name = reader.input.name
    let schema = reader.schema
    let progress = ProgressLine(tool: "embed", quiet: options.quiet)
    progress.status("reading \(name)")
    let rawInput = try PixelInput(schema: schema, normalization: nil, name: name)
    let architecture = try options.architecture(channels: schema.dims[0], height: schema.dims[1], width: schema.dims[2], source: name)
    let data = try heldImages(reader)
    let batch = min(options.batch, data.count)
    let size = architecture.inputSize
    try MemoryBudget.check(
      values: architecture.estimatedValues(batch: batch) + 2 * Double(batch * size),
      for: "an autoencoder of \(size) values on batches of \(batch)", hint: "lower --batch or --widths")

    let normalization = try options.normalize.map { try parseNormalization($0, channels: architecture.channels) }
      ?? measure(data, rawInput, architecture)
    let input = try PixelInput(schema: schema, normalization: normalization, name: name)
    let epochs = options.epochs ?? 20
    let stepsPerEpoch = (data.count + batch - 1) / batch
    let (total, overflow) = epochs.multipliedReportingOverflow(by: stepsPerEpoch)
    guard !overflow, total <= Train.maxSteps else {
      throw Failure("\(name): \(epochs) epochs of \(stepsPerEpoch) steps are more than \(Train.maxSteps) steps", exitCode: ExitStatus.usage)
    }
    let schedule = LearningRateSchedule(
      base: options.learningRate, warmup: min(options.warmup ?? total / 20, total - 1), total: total)
    let network = EmbeddingNetwork(architecture, maxBatch: batch, threads: options.threads)
    network.initialize(seed: options.seed)
    let optimizer = Optimizer(options.optimizerSettings, for: network)
    let log = try options.log.map { try LossLog(path: $0, resuming: false) }

    let images = UnsafeMutablePointer<Float>.allocate(capacity: batch * size)
    let gradient = UnsafeMutablePointer<Float>.allocate(capacity: batch * size)
    defer {
      images.deallocate()
      gradient.deallocate()
    }
    var order = Array(0..<data.count)
    var rng = SplitMix64(seed: options.seed, 0x4145)
    var step = 0
    var seen = 0
    var loss = Double.nan
    let start = Date()
    for epoch in 1...epochs {
      rng.shuffle(&order)
      var epochLoss = 0.0
      for first in stride(from: 0, to: data.count, by: batch) {
        let rows = order[first..<min(first + batch, data.count)]
        data.records.payload.withUnsafeBytes { payload in
          for (i, row) in rows.enumerated() { input.convert(payload, record: row, into: images + i * size) }
        }
        let count = rows.count
        let output = network.forward(images, batch: count)
        loss = MeanSquaredError.loss(output, target: images, count: count * size, gradient: gradient)
        guard loss.isFinite else {
          throw Failure("the loss is \(loss) at step \(step + 1): training diverged (try a lower --lr)", exitCode: ExitStatus.software)
        }
        network.zeroGradients()
        network.backward(gradient, input: images, batch: count)
        let rate = schedule.rate(at: step)
        optimizer.step(network, learningRate: Float(rate))
        step += 1
        seen += count
        epochLoss += loss * Double(count)
        let elapsed = Date().timeIntervalSince(start)
        let imagesPerSecond = Double(seen) / max(elapsed, 1e-9)
        let fraction = Double(epoch - 1) + Double(first + count) / Double(data.count)
        try log?.append(step: step, epoch: fraction, loss: loss, rate: rate, imagesPerSecond: imagesPerSecond, seconds: elapsed)
        progress.status(
          "epoch \(epoch)/\(epochs), step \(step)/\(total), loss \(String(format: "%.4f", loss)), \(Int(imagesPerSecond)) images/s, ETA \(duration(Double(total - step) * Double(batch) / max(imagesPerSecond, 1e-9)))")
      }
      try log?.flush()
      progress.line("epoch \(epoch)/\(epochs): mean loss \(String(format: "%.4f", epochLoss / Double(data.count)))")
    }
    var recipe = Recipe(options, schedule: schedule)
    recipe.batch = batch
    var model = ModelFile(
      architecture: architecture, normalization: normalization, recipe: ModelFile.json(recipe),
      history: schema.metadata.history + [Train.invocation(omitting: ["--threads", "--log", "-q", "--quiet"])])
    model.extra = ["steps": String(step), "loss": String(loss), "method": "ae"]
    try model.save(network, to: options.output)
    progress.finish(
      "ae \(epochs) epochs (\(step) steps of \(batch) images), loss \(String(format: "%.4f", loss)) in \(String(format: "%.1f", Date().timeIntervalSince(start))) s → \(options.output)")
  }

  /// Each channel's mean and standard deviation over every image, in [0, 1] units.
  private func measure(_ data: FeatureMatrix, _ input: PixelInput, _ architecture: Architecture) -> Normalization {
    var moments = ChannelMoments(channels: architecture.channels, pixels: architecture.height * architecture.width)
    let image = UnsafeMutablePointer<Float>.allocate(capacity: architecture.inputSize)
    defer { image.deallocate() }
    data.records.payload.withUnsafeBytes { payload in
      for row in 0..<data.count {
        input.convert(payload, record: row, into: image)
        moments.add(image, images: 1)
      }
    }
    return moments.normalization
  }
}
