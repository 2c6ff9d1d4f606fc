import ArgumentParser
import Foundation
import Shared

@main
struct Augment: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "augment",
    abstract: "Write augmented views of each image of a stream: the positive pairs of contrastive learning.",
    discussion: """
      Each input record becomes --views records next to each other, with the same id, \
      label and split and a view index (an input that already has views: its view × \
      --views + this one). Clusters and probabilities of the input are not carried over. A preset sets every op (docs/AUGMENT.md cites each \
      recipe); the options after it change single ops. The ops run in this order: affine \
      and elastic (at the input's size), resized crop, flip, colour jitter, grayscale, blur, \
      solarize. Probabilities take one value, or one per view (view v uses the v-th, \
      cycling), as BYOL's two asymmetric views need.

      Reads u8 images, grey or RGB, of any size. Streams in bounded memory, unless \
      --epochs above 1 or --shuffle must hold the input (compactly, as u8). With --seed \
      the output is the same, byte for byte, for any --threads.
      """)

  @Argument(help: ArgumentHelp("The image stream to read, or - for stdin.", valueName: "file"))
  var input = "-"

  @Option(help: "Views written per input image.")
  var views = 2

  @Option(help: "Recipe of the views: simclr, moco-v1, moco-v2, byol, digits (MNIST-like: affine, mild crop, no flip) or none.")
  var preset: Preset = .simclr

  @Option(help: ArgumentHelp("Output size, N or HxW (default: the input's).", valueName: "size"))
  var size: String?

  @Option(help: ArgumentHelp("Crop: range of the box's area, as a fraction of the image.", valueName: "lo,hi"))
  var cropScale: String?

  @Option(help: ArgumentHelp("Crop: range of the box's aspect ratio, width / height (drawn log-uniformly).", valueName: "lo,hi"))
  var cropRatio: String?

  @Flag(help: "No crop: resize the whole image.")
  var noCrop = false

  @Option(help: ArgumentHelp("Probability of a horizontal flip.", valueName: "p[,p…]"))
  var flip: String?

  @Option(help: ArgumentHelp("Colour jitter strengths: brightness, contrast and saturation factors from [1-x, 1+x], hue shift from [-h, h] of a turn (at most 0.5).", valueName: "b,c,s,h"))
  var jitter: String?

  @Option(help: ArgumentHelp("Probability of the colour jitter.", valueName: "p[,p…]"))
  var jitterP: String?

  @Option(help: ArgumentHelp("Probability of turning an RGB view grey (kept as 3 channels).", valueName: "p[,p…]"))
  var grayscale: String?

  @Option(help: ArgumentHelp("Probability of a Gaussian blur.", valueName: "p[,p…]"))
  var blur: String?

  @Option(help: ArgumentHelp("Range of the blur's sigma, in pixels.", valueName: "lo,hi"))
  var blurSigma: String?

  @Option(help: ArgumentHelp("Width of the blur kernel in pixels, odd (default: 10% of the view's height, odd, at least 3).", valueName: "k"))
  var blurKernel: Int?

  @Option(help: ArgumentHelp("Probability of solarizing (values at or above the threshold v become 255 - v).", valueName: "p[,p…]"))
  var solarize: String?

  @Option(help: ArgumentHelp("Solarize threshold, 0...256 (default 128).", valueName: "t"))
  var solarizeThreshold: Double?

  @Option(help: ArgumentHelp("Affine: largest rotation, in degrees either way.", valueName: "deg"))
  var rotate: Double?

  @Option(help: ArgumentHelp("Affine: largest shift, as a fraction of the width (and of the height).", valueName: "fx[,fy]"))
  var translate: String?

  @Option(help: ArgumentHelp("Affine: range of the scale factor.", valueName: "lo,hi"))
  var scale: String?

  @Option(help: ArgumentHelp("Affine: largest x-shear, in degrees either way.", valueName: "deg"))
  var shear: Double?

  @Option(help: ArgumentHelp("Elastic distortion: strength and smoothness in pixels (Simard et al. 2003 use 34,4 on MNIST).", valueName: "alpha,sigma"))
  var elastic: String?

  @Option(help: ArgumentHelp("Write f32 (v/255 - mean) / std instead of u8: one mean and std for every channel, or one per channel (m1,m2,m3,s1,s2,s3).", valueName: "mean,std"))
  var normalize: String?

  @Option(help: "Replay the input this many times, with fresh randomness each time (holds the input in memory).")
  var epochs = 1

  @Flag(help: "Shuffle the records within each epoch (holds the input in memory).")
  var shuffle = false

  @Option(help: "Worker threads (default: every core).")
  var threads = min(ProcessInfo.processInfo.activeProcessorCount, 256)

  @OptionGroup var common: CommonOptions

  static func main() { runAsTool() }

  func validate() throws {
    if !(1...4096).contains(views) { throw ValidationError("--views must be 1...4096, not \(views)") }
    if !(1...1_000_000).contains(epochs) { throw ValidationError("--epochs must be 1...1000000, not \(epochs)") }
    if !(1...256).contains(threads) { throw ValidationError("--threads must be 1...256, not \(threads)") }
    if let size, parseDimensions(size, allowed: 1...2) == nil {
      throw ValidationError("--size must be N or HxW with positive integers, not \"\(size)\"")
    }
    do {
      _ = try makeRecipe()
      _ = try normalization(channels: 3)
    } catch let failure as Failure {
      // ArgumentParser gives its own errors status 64 and a pointer to --help.
      throw ValidationError(failure.description)
    }
  }

  func run() throws {
    let recipe = try makeRecipe()
    let reader = try openStreamInput(input, example: "decode fashion-mnist | augment")
    let schema = reader.schema
    let name = reader.input.name
    guard schema.layout == .chw, schema.elementType == .u8 else {
      throw Failure("\(name): augment reads u8 images (C×H×W), but the stream holds \(schema.summary)", exitCode: ExitStatus.dataError)
    }
    let (channels, height, width) = (schema.dims[0], schema.dims[1], schema.dims[2])
    guard channels == 1 || channels == 3 else {
      throw Failure("\(name): augment reads grey or RGB images, but these have \(channels) channels", exitCode: ExitStatus.dataError)
    }
    let outputSize = size.flatMap { parseDimensions($0, allowed: 1...2) }.map { $0.count == 1 ? [$0[0], $0[0]] : $0 }
      ?? [height, width]
    let encoding = try normalization(channels: channels)

    var metadata = schema.metadata
    metadata.history.append(Self.invocation(omitting: ["--threads"]))
    // Views of views: their indices compose (view × --views + this one), and so do counts.
    let inputViews = schema.fields.contains(.view) ? (metadata.values["views"]?.numberValue ?? 1) : 1
    guard inputViews * Double(views) <= Double(Int32.max) else {
      throw Failure("\(name): views of views would number \(inputViews) × \(views), past a view index's range", exitCode: ExitStatus.usage)
    }
    metadata.values["views"] = .number(inputViews * Double(views))
    // Held input is read before the header goes out, so that the header can say how many
    // epochs of how many images follow (embed train sizes its schedule by them).
    let held = epochs == 1 && !shuffle ? nil : try reader.readAll()
    metadata.values["epochs"] = held.map { _ in .number(Double(epochs)) }
    metadata.values["epoch_images"] = held.map { .number(Double($0.count)) }
    if case let .normalized(mean, std) = encoding {
      metadata.range = 0...1
      metadata.values["normalize"] = .object([
        "mean": .array(mean.map { .number(Double($0)) }), "std": .array(std.map { .number(Double($0)) }),
      ])
    } else {
      metadata.range = 0...255
      metadata.values["normalize"] = nil
    }
    let outputSchema = StreamSchema.image(
      encoding.elementType, channels: channels, height: outputSize[0], width: outputSize[1],
      fields: schema.fields.subtracting([.cluster, .probs]).union(.view), metadata: metadata)
    if let problem = outputSchema.problem() {
      throw Failure("--size \(outputSize[0])x\(outputSize[1]): the views would have \(problem)", exitCode: ExitStatus.usage)
    }

    let output = try common.openOutput()
    let writer = try StreamWriter(output, schema: outputSchema)
    try writer.writeHeader()
    let augmenter = Augmenter(
      recipe: recipe, views: views, seed: common.seed, threads: threads, input: schema, output: outputSchema,
      encoding: encoding)
    let progress = ProgressLine(tool: "augment", quiet: common.quiet)
    var written = 0

    let background = BackgroundWriter(writer)
    let step = augmenter.rowsPerCall
    /// Makes the views of `source`'s `rows` and queues them for writing.
    func emit(_ source: RecordBatch, _ rows: ArraySlice<Int>, positionBase: Int, epoch: Int) throws {
      let slot = background.nextSlot()
      augmenter.augment(source, rows: rows, positionBase: positionBase, epoch: epoch, into: &slot.batch)
      written += slot.batch.count
      try background.submit(slot)
    }
    if held == nil {
      var position = 0
      while let batch = try reader.next() {
        for start in stride(from: 0, to: batch.count, by: step) {
          try emit(batch, ArraySlice(start..<min(start + step, batch.count)), positionBase: position, epoch: 0)
        }
        position += batch.count
        progress.update(written, unit: "views")
      }
    } else if let held {
      let total = Double(held.count) * Double(views) * Double(epochs)
      for epoch in 0..<epochs {
        var order = Array(0..<held.count)
        if shuffle {
          var rng = SplitMix64(seed: common.seed, 0x5348_5546_464C_45, UInt64(epoch))
          rng.shuffle(&order)
        }
        for start in stride(from: 0, to: order.count, by: step) {
          try emit(held, order[start..<min(start + step, order.count)], positionBase: 0, epoch: epoch)
          progress.status("epoch \(epoch + 1)/\(epochs), \(written)/\(Int(total)) views")
        }
      }
    }
    try background.finish()
    try output.commit()
    progress.finish("\(written) views of \(outputSchema.summary)")
  }

  /// The preset with the options given on top of it.
  func makeRecipe() throws -> Recipe {
    var recipe = preset.recipe
    if noCrop { recipe.cropScale = nil }
    if let cropScale {
      let range = try parseRange(cropScale, option: "--crop-scale")
      guard range.lower > 0, range.upper <= 1 else { throw usage("--crop-scale must lie in (0, 1], not \(cropScale)") }
      recipe.cropScale = range
    }
    if let cropRatio {
      let range = try parseRange(cropRatio, option: "--crop-ratio")
      guard range.lower >= 1e-3, range.upper <= 1e3 else { throw usage("--crop-ratio must lie in [0.001, 1000], not \(cropRatio)") }
      recipe.cropRatio = range
    }
    if let flip { recipe.flip = try parseProbabilities(flip, option: "--flip") }
    if let jitter {
      let values = try parseNumbers(jitter, option: "--jitter", count: 4...4)
      guard values[..<3].allSatisfy({ (0...100).contains($0) }), (0...0.5).contains(values[3]) else {
        throw usage("--jitter needs four strengths b,c,s,h: b, c and s 0...100, h 0...0.5, not \(jitter)")
      }
      (recipe.brightness, recipe.contrast, recipe.saturation, recipe.hue) = (values[0], values[1], values[2], values[3])
      if jitterP == nil && recipe.jitterProbability.isNever { recipe.jitterProbability = PerView(1) }
    }
    if let jitterP { recipe.jitterProbability = try parseProbabilities(jitterP, option: "--jitter-p") }
    if let grayscale { recipe.grayscale = try parseProbabilities(grayscale, option: "--grayscale") }
    if let blur { recipe.blur = try parseProbabilities(blur, option: "--blur") }
    if let blurSigma {
      let range = try parseRange(blurSigma, option: "--blur-sigma")
      guard range.lower >= 1e-3, range.upper <= 1e3 else { throw usage("--blur-sigma must lie in [0.001, 1000] pixels, not \(blurSigma)") }
      recipe.blurSigma = range
    }
    if let blurKernel {
      guard blurKernel >= 1, blurKernel % 2 == 1, blurKernel <= 1023 else {
        throw usage("--blur-kernel must be an odd number of pixels, 1...1023, not \(blurKernel)")
      }
      recipe.blurKernel = blurKernel
    }
    if let solarize { recipe.solarize = try parseProbabilities(solarize, option: "--solarize") }
    if let solarizeThreshold {
      guard (0...256).contains(solarizeThreshold) else { throw usage("--solarize-threshold must be 0...256, not \(formatted(solarizeThreshold))") }
      recipe.solarizeThreshold = solarizeThreshold
    }
    if let rotate {
      guard (0...180).contains(rotate) else { throw usage("--rotate must be 0...180 degrees, not \(formatted(rotate))") }
      recipe.rotation = rotate
    }
    if let translate {
      let values = try parseNumbers(translate, option: "--translate", count: 1...2)
      guard values.allSatisfy({ (0...1).contains($0) }) else { throw usage("--translate must be fractions 0...1, not \(translate)") }
      (recipe.translateX, recipe.translateY) = (values[0], values.last!)
    }
    if let scale {
      let range = try parseRange(scale, option: "--scale")
      guard range.lower >= 1e-3, range.upper <= 1e3 else { throw usage("--scale must lie in [0.001, 1000], not \(scale)") }
      recipe.scale = range
    }
    if let shear {
      guard (0...60).contains(shear) else { throw usage("--shear must be 0...60 degrees, not \(formatted(shear))") }
      recipe.shear = shear
    }
    if let elastic {
      let values = try parseNumbers(elastic, option: "--elastic", count: 2...2)
      guard (0...1e4).contains(values[0]), (0.01...100).contains(values[1]) else {
        throw usage("--elastic needs alpha 0...10000 and sigma 0.01...100 pixels, not \(elastic)")
      }
      recipe.elastic = Elastic(alpha: values[0], sigma: values[1])
    }
    return recipe
  }

  /// The output encoding --normalize asks for, checked against the image's channels.
  func normalization(channels: Int) throws -> OutputEncoding {
    guard let normalize else { return .bytes }
    let values = try parseNumbers(normalize, option: "--normalize", count: 2...6)
    let perChannel = values.count / 2
    guard values.count % 2 == 0, perChannel == 1 || perChannel == channels else {
      throw usage("--normalize needs mean,std or one mean then one std per channel (\(channels)), not \(normalize)")
    }
    let mean = values[..<perChannel].map(Float.init)
    let std = values[perChannel...].map(Float.init)
    guard mean.allSatisfy({ abs($0) <= 1e6 }), std.allSatisfy({ (1e-6...1e6).contains($0) }) else {
      throw usage("--normalize: means must lie in ±1e6 and stds in [1e-6, 1e6], not \(normalize)")
    }
    return .normalized(mean: mean, std: std)
  }
}

extension Preset: ExpressibleByArgument {}

private func usage(_ message: String) -> Failure {
  Failure(message, exitCode: ExitStatus.usage)
}

/// Comma-separated finite numbers, as many as `count` allows.
private func parseNumbers(_ text: String, option: String, count: ClosedRange<Int>) throws -> [Double] {
  let parts = text.split(separator: ",", omittingEmptySubsequences: false)
  let values = parts.compactMap { Double($0.trimmingCharacters(in: .whitespaces)) }
  guard values.count == parts.count, count.contains(values.count), values.allSatisfy(\.isFinite) else {
    let howMany = count.lowerBound == count.upperBound ? "\(count.lowerBound)" : "\(count.lowerBound) to \(count.upperBound)"
    throw usage("\(option) needs \(howMany) comma-separated numbers, not \"\(text)\"")
  }
  return values
}

private func parseRange(_ text: String, option: String) throws -> UniformRange {
  let values = try parseNumbers(text, option: option, count: 2...2)
  guard values[0] <= values[1] else { throw usage("\(option) needs lo,hi with lo ≤ hi, not \(text)") }
  return UniformRange(values[0], values[1])
}

private func parseProbabilities(_ text: String, option: String) throws -> PerView {
  let values = try parseNumbers(text, option: option, count: 1...64)
  guard values.allSatisfy({ (0...1).contains($0) }) else { throw usage("\(option) takes probabilities 0...1, not \(text)") }
  return PerView(list: values)
}
