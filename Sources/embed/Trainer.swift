import Foundation
import Network
import Shared

/// The training loop of `embed train`: batches of view pairs through MoCo or SimCLR, the
/// optimiser on the schedule, progress, the loss log, checkpoints and resumption.
final class Trainer {
  private let options: Train
  private let pairs: ViewPairs
  private let network: EmbeddingNetwork
  private let moco: MoCo?
  private let simclr: SimCLR?
  private let optimizer: Optimizer
  private let schedule: LearningRateSchedule
  private var model: ModelFile
  /// Images in one epoch of the stream, when augment recorded it.
  private let epochImages: Int?
  private let checkpointPath: String
  private let buffer: UnsafeMutablePointer<Float>
  private var step = 0
  private var normalized: Bool

  init(_ options: Train) throws {
    self.options = options
    let reader = try StreamReader(path: options.input)
    let name = reader.input.name
    let schema = reader.schema
    var pixels = try PixelInput(schema: schema, normalization: nil, name: name)
    pairs = try ViewPairs(reader, input: pixels)
    let architecture = try options.architecture(
      channels: schema.dims[0], height: schema.dims[1], width: schema.dims[2], source: name)

    let values = schema.metadata.values
    // Counts from the stream's metadata, used only when whole numbers in a sane range.
    func count(_ key: String) -> Int? {
      values[key]?.numberValue.flatMap { (1...1e12).contains($0) ? Int(exactly: $0) : nil }
    }
    epochImages = count("epoch_images")
    let streamEpochs = count("epochs")
    let total: Int
    if let steps = options.steps {
      total = steps
    } else if let epochImages, let streamEpochs {
      let epochs = options.epochs ?? streamEpochs
      guard epochs <= streamEpochs else {
        throw Failure("--epochs \(epochs), but \(name) holds \(streamEpochs) epochs of views (augment --epochs)", exitCode: ExitStatus.usage)
      }
      let (product, overflow) = epochs.multipliedReportingOverflow(by: epochImages)
      total = overflow ? Int.max : product / options.batch
      guard total <= Train.maxSteps else {
        throw Failure("\(name): \(epochs) epochs of \(epochImages) images are more than \(Train.maxSteps) steps", exitCode: ExitStatus.usage)
      }
      guard total > 0 else {
        throw Failure("\(name): \(epochs) epochs of \(epochImages) images make no batch of \(options.batch)", exitCode: ExitStatus.usage)
      }
    } else {
      throw Failure(
        "\(name) does not say how many epochs it holds (augment --epochs N writes it): give --steps", exitCode: ExitStatus.usage)
    }
    schedule = LearningRateSchedule(base: options.learningRate, warmup: min(options.warmup ?? total / 20, total - 1), total: total)
    checkpointPath = options.checkpoint ?? options.output + ".ckpt"

    let views = 2 * options.batch
    let networks = options.method == .moco
      ? 2 * architecture.estimatedValues(batch: options.batch) + Double(options.batch) * Double(1 + options.queue)
      : architecture.estimatedValues(batch: views) + Double(views) * Double(views)
    try MemoryBudget.check(
      values: networks + Double(views) * Double(architecture.inputSize),
      for: "training this network on batches of \(options.batch) \(schema.dims.map(String.init).joined(separator: "×")) images",
      hint: "lower --batch\(options.method == .moco ? " or --queue" : ""), or use smaller --widths or images")
    // The contrastive methods; CALM and the autoencoder have trainers of their own.
    if options.method == .moco {
      network = EmbeddingNetwork(architecture, maxBatch: options.batch, threads: options.threads)
      network.initialize(seed: options.seed)
      moco = MoCo(
        query: network, key: EmbeddingNetwork(architecture, maxBatch: options.batch, threads: options.threads), queueSize: options.queue,
        temperature: options.tau, momentum: options.momentum, seed: options.seed &+ 0x5155_4555)
      simclr = nil
    } else {
      network = EmbeddingNetwork(architecture, maxBatch: views, threads: options.threads)
      network.initialize(seed: options.seed)
      simclr = SimCLR(network: network, temperature: options.tau)
      moco = nil
    }
    optimizer = Optimizer(options.optimizerSettings, for: network)
    buffer = .allocate(capacity: views * architecture.inputSize)

    var normalization = Normalization(mean: Array(repeating: 0, count: architecture.channels), std: Array(repeating: 1, count: architecture.channels))
    normalized = false
    if let text = options.normalize {
      normalization = try parseNormalization(text, channels: architecture.channels)
      normalized = true
    }
    model = ModelFile(
      architecture: architecture, normalization: normalization, recipe: ModelFile.json(Recipe(options, schedule: schedule)),
      history: schema.metadata.history + [Train.invocation(omitting: ["--threads", "--resume", "--log", "-q", "--quiet"])])
    if let resume = options.resume { try restore(from: resume) }
    if normalized {
      pixels = try PixelInput(schema: schema, normalization: model.normalization, name: name)
      pairs.input = pixels
    }
  }

  deinit { buffer.deallocate() }

  private var state: [(prefix: String, arena: Arena)] {
    var arenas = optimizer.states
    if let moco {
      arenas += moco.key.savedArenas.map { ("train.key.\($0.prefix)", $0.arena) }
      arenas.append(("train.", moco.state))
    }
    return arenas
  }

  private func restore(from path: String) throws {
    let (saved, file) = try ModelFile.read(path)
    guard saved.architecture == model.architecture else {
      throw Failure("\(path): the checkpoint is for another network (\(ModelFile.json(saved.architecture))) than these options make (\(ModelFile.json(model.architecture)))", exitCode: ExitStatus.usage)
    }
    guard let step = saved.extra["step"].flatMap(Int.init), let optimizerSteps = saved.extra["optimizer_steps"].flatMap(Int.init)
    else { throw Failure("\(path): not a checkpoint (it holds no training step); resume from the .ckpt file") }
    guard (0...schedule.total).contains(step), optimizerSteps == step else {
      throw Failure("\(path): a checkpoint at step \(step) (optimiser step \(optimizerSteps)) does not fit a run of \(schedule.total) steps", exitCode: ExitStatus.usage)
    }
    // Resuming continues the same run: every option that shapes it must be as it was.
    let recipe = Recipe(options, schedule: schedule)
    guard let savedRecipe = try? JSONDecoder().decode(Recipe.self, from: Data(saved.recipe.utf8)) else {
      throw Failure("\(path): the checkpoint's recipe is missing or malformed")
    }
    if let difference = recipe.difference(from: savedRecipe) {
      throw Failure("\(path): the checkpoint's run had \(difference): resume with the options it was started with", exitCode: ExitStatus.usage)
    }
    try ModelFile.load(file, into: network, state: state, name: path)
    model.normalization = saved.normalization
    // A run interrupted before its first step had not measured its normalisation yet.
    normalized = saved.extra["normalization_measured"] == "true" || options.normalize != nil
    self.step = step
    optimizer.steps = optimizerSteps
    if let moco { moco.queuePosition = min(max(0, saved.extra["queue_position"].flatMap(Int.init) ?? 0), moco.queueSize - 1) }
  }
}

extension Trainer {
  func run() throws {
    let batch = options.batch
    let total = schedule.total
    let layout: ViewPairs.Layout = moco == nil ? .interleaved : .separate
    let size = model.architecture.inputSize
    let log = try options.log.map { try LossLog(path: $0, resuming: options.resume != nil) }
    let progress = ProgressLine(tool: "embed", quiet: options.quiet)
    if step > 0 {
      progress.status("skipping the \(step) steps done")
      for _ in 0..<step {
        guard try pairs.next(into: nil, capacity: batch, layout: layout) == batch else {
          throw Failure("\(pairs.reader.input.name): the stream ends before the \(step) steps the checkpoint has done")
        }
      }
    }
    let start = Date()
    let firstStep = step
    var epochLoss = 0.0
    var epochSteps = 0
    var lastLoss = Double.nan
    var streamEnded = false
    while step < total {
      let filled: Int
      do {
        filled = try pairs.next(into: buffer, capacity: batch, layout: layout)
      } catch where Interruption.signal != nil {
        break  // upstream was interrupted too and its stream is cut short
      }
      guard filled == batch else {
        streamEnded = Interruption.signal == nil
        break
      }
      if !normalized { measureNormalization(count: 2 * batch * size) }
      let loss: Double
      if let moco {
        loss = moco.step(queries: buffer, keys: buffer + batch * size, batch: batch)
      } else {
        loss = simclr!.step(views: buffer, images: batch)
      }
      guard loss.isFinite else {
        throw Failure("the loss is \(loss) at step \(step + 1): training diverged (try a lower --lr)", exitCode: ExitStatus.software)
      }
      let rate = schedule.rate(at: step)
      optimizer.step(network, learningRate: Float(rate))
      step += 1
      (lastLoss, epochLoss, epochSteps) = (loss, epochLoss + loss, epochSteps + 1)

      let elapsed = Date().timeIntervalSince(start)
      let imagesPerSecond = Double((step - firstStep) * batch) / max(elapsed, 1e-9)
      let epoch = Double(step) * Double(batch) / Double(epochImages ?? batch * 500)
      try log?.append(step: step, epoch: epoch, loss: loss, rate: rate, imagesPerSecond: imagesPerSecond, seconds: elapsed)
      let eta = Double(total - step) * Double(batch) / max(imagesPerSecond, 1e-9)
      let figures = "step \(step)/\(total), loss \(String(format: "%.4f", loss)), \(Int(imagesPerSecond)) images/s, ETA \(duration(eta))"
      progress.status("epoch \(String(format: "%.2f", epoch)) \(figures)")
      // A checkpoint per epoch (per 500 steps when the stream does not say its epochs).
      let stepsPerEpoch = Double(epochImages ?? batch * 500) / Double(batch)
      if Int(Double(step) / stepsPerEpoch) > Int(Double(step - 1) / stepsPerEpoch) || step == total {
        try saveCheckpoint(loss: lastLoss)
        try log?.flush()
        if !options.quiet {
          let mean = String(format: "%.4f", epochLoss / Double(max(epochSteps, 1)))
          progress.line("epoch \(Int(epoch.rounded())): mean loss \(mean), \(figures)")
        }
        (epochLoss, epochSteps) = (0, 0)
      }
      if Interruption.signal != nil { break }
    }
    try log?.flush()
    if let signal = Interruption.signal {
      try saveCheckpoint(loss: lastLoss)
      throw Failure(
        "interrupted at step \(step) of \(total): the checkpoint \(checkpointPath) holds it (embed -m reads it; --resume \(checkpointPath) continues)",
        exitCode: 128 + signal)
    }
    guard step > firstStep || step == total else {
      throw Failure("\(pairs.reader.input.name): the stream holds fewer than \(batch) pairs: no step taken (lower --batch?)")
    }
    if streamEnded {
      printError("embed: warning: \(pairs.reader.input.name) ended at step \(step) of \(total): the learning rate had not reached 0 (give --steps or --epochs to match the stream)")
    }
    var final = model
    final.extra = ["steps": String(step), "loss": String(lastLoss), "method": options.method.rawValue]
    try final.save(network, to: options.output)
    progress.finish("\(options.method.rawValue) \(step) steps of \(batch) pairs, loss \(String(format: "%.4f", lastLoss)) → \(options.output)")
  }

  private func saveCheckpoint(loss: Double) throws {
    var checkpoint = model
    checkpoint.extra = [
      "step": String(step), "optimizer_steps": String(optimizer.steps), "loss": String(loss),
      "normalization_measured": String(normalized),
    ]
    if let moco { checkpoint.extra["queue_position"] = String(moco.queuePosition) }
    try checkpoint.save(network, state: state, to: checkpointPath)
  }

  /// Sets the normalisation from the first batch (values in [0, 1]), per channel, and
  /// applies it to the batch; later batches are converted with it.
  private func measureNormalization(count: Int) {
    let architecture = model.architecture
    let pixels = architecture.height * architecture.width
    let images = count / (architecture.channels * pixels)
    var moments = ChannelMoments(channels: architecture.channels, pixels: pixels)
    moments.add(buffer, images: images)
    let normalization = moments.normalization
    let (mean, std) = (normalization.mean, normalization.std)
    for n in 0..<images {
      for c in 0..<architecture.channels {
        let plane = buffer + (n * architecture.channels + c) * pixels
        for i in 0..<pixels { plane[i] = (plane[i] - mean[c]) / std[c] }
      }
    }
    model.normalization = normalization
    pairs.input = try! PixelInput(schema: pairs.reader.schema, normalization: model.normalization, name: pairs.reader.input.name)
    normalized = true
  }
}

/// The options a model was trained with, kept in its metadata.
struct Recipe: Codable, Equatable {
  var method: String
  var batch: Int
  var steps: Int
  var warmup: Int
  var optimizer: OptimizerSettings
  var lr: Double
  var temperature: Float?
  var queue: Int?
  var momentum: Float?
  var seed: UInt64
  /// The data-parallel split changes the sums' rounding (and a ResNet's batch statistics).
  var threads: Int?

  init(_ options: Train, schedule: LearningRateSchedule) {
    method = options.method.rawValue
    batch = options.batch
    steps = schedule.total
    warmup = schedule.warmup
    optimizer = options.optimizerSettings
    lr = schedule.base
    temperature = options.method == .ae ? nil : options.tau
    queue = options.method == .moco ? options.queue : nil
    momentum = options.method == .moco ? options.momentum : nil
    seed = options.seed
    threads = options.threads
  }

  /// The settings (all but the seed) that differ from `other`'s, as options, or nil.
  func difference(from other: Recipe) -> String? {
    var differences: [String] = []
    func compare<T: Equatable>(_ option: String, _ mine: T, _ theirs: T) {
      if mine != theirs { differences.append("\(option) \(theirs)") }
    }
    compare("--method", method, other.method)
    compare("--batch", batch, other.batch)
    compare("steps", steps, other.steps)
    compare("--warmup", warmup, other.warmup)
    compare("--optimizer", optimizer.kind.rawValue, other.optimizer.kind.rawValue)
    compare("--weight-decay", optimizer.weightDecay, other.optimizer.weightDecay)
    compare("--lr", lr, other.lr)
    compare("--temperature", temperature.map { "\($0)" } ?? "-", other.temperature.map { "\($0)" } ?? "-")
    compare("--queue", queue.map(String.init) ?? "-", other.queue.map(String.init) ?? "-")
    compare("--momentum", momentum.map { "\($0)" } ?? "-", other.momentum.map { "\($0)" } ?? "-")
    compare("--threads", threads ?? 0, other.threads ?? 0)
    return differences.isEmpty ? nil : differences.joined(separator: ", ")
  }
}

/// "m1,…,s1,…": a mean and a std per channel.
func parseNormalization(_ text: String, channels: Int) throws -> Normalization {
  let values = text.split(separator: ",").map { Float($0.trimmingCharacters(in: .whitespaces)) }
  guard values.count == 2 * channels, values.allSatisfy({ $0?.isFinite == true }), values[channels...].allSatisfy({ $0! > 0 }) else {
    throw Failure("--normalize needs \(channels) means then \(channels) positive stds, comma-separated, not \(text)", exitCode: ExitStatus.usage)
  }
  return Normalization(mean: values[..<channels].map { $0! }, std: values[channels...].map { $0! })
}

/// "1h02m", "3m05s" or "12s".
func duration(_ seconds: Double) -> String {
  guard seconds.isFinite, seconds < 1e9 else { return "?" }
  let s = Int(seconds.rounded())
  if s >= 3600 { return String(format: "%dh%02dm", s / 3600, s % 3600 / 60) }
  if s >= 60 { return String(format: "%dm%02ds", s / 60, s % 60) }
  return "\(s)s"
}

/// The per-step CSV of --log.
final class LossLog {
  private let path: String
  private let file: UnsafeMutablePointer<FILE>

  init(path: String, resuming: Bool) throws {
    self.path = path
    let exists = FileManager.default.fileExists(atPath: path)
    guard let file = fopen(path, resuming ? "a" : "w") else {
      throw Failure("--log \(path): cannot open: \(errorText(errno))", exitCode: ExitStatus.cannotCreate)
    }
    self.file = file
    if !resuming || !exists { fputs("step,epoch,loss,learning_rate,images_per_second,seconds\n", file) }
  }

  deinit { fclose(file) }

  func append(step: Int, epoch: Double, loss: Double, rate: Double, imagesPerSecond: Double, seconds: Double) throws {
    let line = String(format: "%d,%.4f,%.6f,%.6g,%.1f,%.2f\n", step, epoch, loss, rate, imagesPerSecond, seconds)
    guard fputs(line, file) >= 0 else { throw Failure("--log \(path): cannot write: \(errorText(errno))", exitCode: ExitStatus.ioError) }
  }

  func flush() throws {
    guard fflush(file) == 0 else { throw Failure("--log \(path): cannot write: \(errorText(errno))", exitCode: ExitStatus.ioError) }
  }
}
