import ArgumentParser
import Foundation
import Kernels
import Network
import Shared

/// `embed train`: learns an encoder from the view pairs augment writes.
struct Train: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "train",
    abstract: "Learn an encoder: MoCo v2 or SimCLR from pairs of augmented views, CALM filters by EM, or an autoencoder.",
    discussion: """
      moco and simclr read the stream `augment --views 2` writes (two views of each image, next to each \
      other) and trains on batches of pairs as they arrive, so augment and training run \
      as two processes:

        decode fashion-mnist --split train | augment --views 2 --epochs 50 --shuffle | embed train -o moco.bin

      The length of the learning-rate schedule comes from augment's --epochs (recorded in \
      the stream), from --epochs or from --steps. A checkpoint (the model plus the \
      training state) is written after every epoch and when interrupted (Ctrl-C); resume \
      by running the same pipeline with --resume CHECKPOINT: the views of the steps \
      already done are read and skipped, so the run continues as if never stopped. \
      Memory holds one batch of views and the networks.

      calm (convolution as local mixture, ../shared/papers/000_*) learns --filters K \
      filters of --patch P × P (× C) by EM, with no gradients, from a stream of images:

        decode fashion-mnist --split train | embed train --method calm -o calm.bin

      It holds the images (as stored: u8 stays u8) and makes --epochs passes over them, \
      each one EM iteration; the log-likelihood per image of the filters each pass starts \
      from is printed, and it never decreases. The defaults are the authors': for grey \
      images (MNIST) 64 filters of 20×20, padding 2, 15 passes; for colour (STL-10) 200 \
      filters of 15×15, no padding, 10 passes, on whitened images (--whiten). `embed -m calm.bin` pools each filter's \
      scores by log-sum-exp over the image (--grid for a coarse grid of cells).

      ae is the poster's autoencoder: a fully connected encoder (--arch mlp, --widths \
      128, --features 12: 784 → 128 → 12) and the mirrored decoder, kept as the model's \
      head, trained by Adam on the mean squared error of the normalised image for \
      --epochs 20, from a stream of images it holds and shuffles every epoch:

        decode fashion-mnist --split train | embed train --method ae -o ae.bin

      `embed -m ae.bin` emits the bottleneck.
      """)

  enum Method: String, ExpressibleByArgument, CaseIterable {
    case moco, simclr, calm, ae
  }

  /// Longer schedules than this are surely a mistake (a billion steps).
  static let maxSteps = 1_000_000_000

  @Argument(help: ArgumentHelp("The stream to read (views for moco and simclr, images for calm and ae), or - for stdin.", valueName: "file"))
  var input = "-"

  @Option(name: .shortAndLong, help: ArgumentHelp("Write the trained model here (safetensors, atomically).", valueName: "file"))
  var output: String

  @Option(help: "moco (v2: momentum key encoder, queue of negatives, InfoNCE), simclr (NT-Xent over the 2N views of a batch), calm (filters by EM, from images) or ae (an autoencoder, from images).")
  var method: Method = .moco

  @Option(help: ArgumentHelp("The encoder: convnet (the poster's conv3-conv3-maxpool-linear, for 28×28; the default), resnet (a small ResNet with BatchNorm, for 32–96 px) or mlp (fully connected layers; ae's).", valueName: "name"))
  var arch: Architecture.Encoder?

  @Option(help: ArgumentHelp("convnet: filters of its two convolutions (default 32,64); resnet: of each stage (default 32,64,128); mlp: the hidden layers' sizes (default 128; ae's decoder mirrors them).", valueName: "a,b,…"))
  var widths: String?

  @Option(help: "resnet: basic blocks per stage.")
  var blocks = 1

  @Option(help: "Size of the representation (the encoder's output): convnet's linear layer (default 128), mlp's last layer (default 128; ae: 12, the poster's bottleneck); a resnet's is its last width.")
  var features: Int?

  @Option(help: ArgumentHelp("The MLP projection head's hidden and output sizes (trained, then dropped when embedding), or none.", valueName: "hidden,out|none"))
  var head = "128,128"

  @Option(help: "Images per step (moco, simclr: each gives two views).")
  var batch = 256

  @Option(help: "Train for this many epochs of the stream (default: all that augment --epochs wrote); ae: epochs over the images (default 20); calm: EM passes (default 15 for grey images, 10 for colour).")
  var epochs: Int?

  @Option(help: "Train for this many steps (the schedule's length; needed when the stream does not say how many epochs it holds).")
  var steps: Int?

  @Option(help: "sgd (with momentum 0.9; the default) or adamw (ae's default: Adam, as its weight decay is 0).")
  var optimizer: OptimizerSettings.Kind?

  @Option(help: ArgumentHelp("Peak learning rate (default 0.06 for sgd, 0.001 for adamw).", valueName: "rate"))
  var lr: Double?

  @Option(name: .customLong("weight-decay"), help: ArgumentHelp("Weight decay (default 5e-4 for sgd, 0.01 for adamw, 0 for ae).", valueName: "λ"))
  var weightDecay: Float?

  @Option(help: ArgumentHelp("Steps of linear warm-up before the cosine decay (default: 5% of the steps).", valueName: "n"))
  var warmup: Int?

  @Option(help: ArgumentHelp("Softmax temperature τ (default 0.2 for moco, 0.5 for simclr).", valueName: "τ"))
  var temperature: Float?

  @Option(help: "moco: negatives kept in the queue.")
  var queue = 4096

  @Option(help: ArgumentHelp("moco: the key encoder's momentum m in θk ← m θk + (1 − m) θq.", valueName: "m"))
  var momentum: Float = 0.99

  @Option(help: "calm: the number of filters K (default 64 for grey images, 200 for colour).")
  var filters: Int?

  @Option(help: "calm: the filters' height and width P (default 20 for grey images, 15 for colour).")
  var patch: Int?

  @Option(help: "calm: zeros added on every side of the image, so that patches may overhang it (default 2 for grey images, 0 for colour).")
  var padding: Int?

  @Flag(inversion: .prefixedNo, help: "calm: whiten each channel of each image first (ZCA of its rows, the authors' STL-10 preprocessing; default: for colour images only).")
  var whiten: Bool?

  @Option(help: ArgumentHelp("The input normalisation, per channel (default: measured on the first batch; ae: on every image).", valueName: "mean…,std…"))
  var normalize: String?

  @Option(help: ArgumentHelp("Append a CSV line per step (step, epoch, loss, learning rate, images/s, seconds) to FILE.", valueName: "file"))
  var log: String?

  @Option(help: ArgumentHelp("Where checkpoints go (default: the output's name + .ckpt).", valueName: "file"))
  var checkpoint: String?

  @Option(help: ArgumentHelp("Continue the run saved in this checkpoint (same pipeline, same options).", valueName: "file"))
  var resume: String?

  @Option(help: "Threads, each running the network on its share of a batch (default: every core).")
  var threads = ProcessInfo.processInfo.activeProcessorCount

  @Option(help: "Seed for the initial weights and queue, so runs are reproducible.")
  var seed: UInt64 = 0

  @Flag(name: .shortAndLong, help: "Print no progress or summary on stderr.")
  var quiet = false

  func validate() throws {
    if batch < 2 || batch > 65536 { throw ValidationError("--batch must be 2...65536, not \(batch)") }
    if let epochs, epochs < 1 { throw ValidationError("--epochs must be at least 1") }
    if let steps, !(1...Self.maxSteps).contains(steps) { throw ValidationError("--steps must be 1...\(Self.maxSteps), not \(steps)") }
    if epochs != nil && steps != nil { throw ValidationError("give --epochs or --steps, not both") }
    if let lr, !(lr > 0 && lr.isFinite) { throw ValidationError("--lr must be positive") }
    if let weightDecay, !(weightDecay >= 0 && weightDecay.isFinite) { throw ValidationError("--weight-decay must be 0 or more") }
    if let warmup, warmup < 0 { throw ValidationError("--warmup must be 0 or more") }
    if let temperature, !(temperature > 0.001 && temperature <= 100) { throw ValidationError("--temperature must be in (0.001, 100]") }
    if !(1...1 << 20).contains(queue) { throw ValidationError("--queue must be 1...1048576, not \(queue)") }
    if !(momentum >= 0 && momentum <= 1) { throw ValidationError("--momentum must be in [0, 1]") }
    if !(1...256).contains(threads) { throw ValidationError("--threads must be 1...256, not \(threads)") }
    _ = try architecture(channels: 1, height: 28, width: 28)
    if method != .calm && (filters != nil || patch != nil || padding != nil || whiten != nil) {
      throw ValidationError("--filters, --patch, --padding and --whiten go with --method calm")
    }
    // Options the other methods take and these would silently ignore.
    let ignored: [(String, Bool)]
    switch method {
    case .calm:
      ignored = [
        ("--resume", resume != nil), ("--checkpoint", checkpoint != nil), ("--log", log != nil), ("--normalize", normalize != nil),
        ("--arch", arch != nil), ("--widths", widths != nil), ("--features", features != nil), ("--optimizer", optimizer != nil),
        ("--lr", lr != nil), ("--weight-decay", weightDecay != nil), ("--warmup", warmup != nil), ("--temperature", temperature != nil),
      ]
    case .ae:
      ignored = [("--resume", resume != nil), ("--checkpoint", checkpoint != nil), ("--temperature", temperature != nil)]
    case .moco, .simclr:
      ignored = []
    }
    if let (option, _) = ignored.first(where: \.1) {
      throw ValidationError("--method \(method.rawValue) takes no \(option)")
    }
    if let epochs, epochs > Self.maxSteps { throw ValidationError("--epochs must be at most \(Self.maxSteps)") }
    if (method == .calm || method == .ae) && steps != nil {
      throw ValidationError("--method \(method.rawValue) counts passes over the images with --epochs, not --steps")
    }
    if method == .ae && head != "128,128" { throw ValidationError("--head goes with moco and simclr (ae's decoder mirrors its encoder)") }
  }

  /// The CALM layer the options describe, for images of C × H × W (from `source`, for messages).
  func calmShape(channels: Int, height: Int, width: Int, source: String) throws -> CALMShape {
    let grey = channels == 1
    let shape = CALMShape(
      channels: channels, height: height, width: width, filters: filters ?? (grey ? 64 : 200), patch: patch ?? (grey ? 20 : 15),
      padding: padding ?? (grey ? 2 : 0))
    if let problem = shape.problem {
      throw Failure("\(source): these options make no CALM layer: \(problem)", exitCode: ExitStatus.usage)
    }
    return shape
  }

  /// The network the options describe, for images of C × H × W (from `source`, for messages).
  func architecture(channels: Int, height: Int, width: Int, source: String? = nil) throws -> Architecture {
    let arch = encoder
    if method == .ae && arch != .mlp { throw ValidationError("--method ae trains a fully connected autoencoder: --arch mlp") }
    let text = self.widths ?? ["convnet": "32,64", "resnet": "32,64,128", "mlp": "128"][arch.rawValue]!
    let values = text.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
    guard values.allSatisfy({ ($0 ?? 0) > 0 }), arch != .convnet || values.count == 2 else {
      throw ValidationError("--widths needs \(arch == .convnet ? "two filter counts like 32,64" : "positive sizes like 32,64,128"), not \(text)")
    }
    let widths = values.map { $0! }
    let features = self.features ?? (arch == .resnet ? widths.last! : method == .ae ? 12 : 128)
    var headSizes: [Int]?
    if method == .ae {
      headSizes = widths.reversed() + [channels * height * width]
    } else if head != "none" {
      guard let sizes = integers(head, count: 2) else {
        throw ValidationError("--head needs hidden,out sizes like 128,128 or none, not \(head)")
      }
      headSizes = sizes
    }
    let architecture = Architecture(
      encoder: arch, channels: channels, height: height, width: width, widths: widths,
      blocks: arch == .resnet ? blocks : nil, features: features, head: headSizes)
    if let problem = architecture.problem {
      throw Failure("\(source.map { "\($0): " } ?? "")these options make no network: \(problem)", exitCode: ExitStatus.usage)
    }
    return architecture
  }

  var encoder: Architecture.Encoder { arch ?? (method == .ae ? .mlp : .convnet) }
  var optimizerKind: OptimizerSettings.Kind { optimizer ?? (method == .ae ? .adamw : .sgd) }

  var optimizerSettings: OptimizerSettings {
    let kind = optimizerKind
    return OptimizerSettings(kind: kind, weightDecay: weightDecay ?? (method == .ae ? 0 : kind == .sgd ? 5e-4 : 0.01))
  }

  var learningRate: Double { lr ?? (optimizerKind == .sgd ? 0.06 : 0.001) }
  var tau: Float { temperature ?? (method == .moco ? 0.2 : 0.5) }

  func run() throws {
    try refuseTerminalInput(
      input, example: method == .calm || method == .ae ? "decode fashion-mnist --split train | embed train --method \(method.rawValue) -o model.bin" : "augment --views 2 | embed train -o model.bin")
    if method == .calm {
      BLAS.threads = 1
      return try CALMTrainer(options: self).run()
    }
    if method == .ae {
      BLAS.threads = 1
      return try AutoencoderTrainer(options: self).run()
    }
    // From here a Ctrl-C ends the run after its current step, with a checkpoint.
    Interruption.deferSignals()
    // Each thread runs a replica of the network on its share of the batch (data
    // parallel); OpenBLAS's own threads would only compete with them.
    BLAS.threads = 1
    let trainer = try Trainer(self)
    try trainer.run()
  }
}

/// `count` positive integers separated by commas, or nil.
func integers(_ text: String, count: Int) -> [Int]? {
  let values = text.split(separator: ",", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: .whitespaces)) }
  guard values.count == count, values.allSatisfy({ ($0 ?? 0) > 0 }) else { return nil }
  return values.map { $0! }
}

extension Architecture.Encoder: ExpressibleByArgument {}
extension OptimizerSettings.Kind: ExpressibleByArgument {}

/// Every image of `reader`, held for the methods that make several passes (calm, ae), as
/// stored (u8 stays u8); refused if there is none or a value is not finite.
func heldImages(_ reader: StreamReader) throws -> FeatureMatrix {
  let name = reader.input.name
  let data = try FeatureMatrix(reading: reader)
  guard data.count > 0 else { throw Failure("\(name): no images to learn from") }
  if let row = data.firstNonFiniteRow() {
    throw Failure("\(name): record id \(data.records.ids[row]) has a value that is not finite (NaN or infinity)")
  }
  return data
}
