import ArgumentParser
import Foundation
import Kernels
import Network
import Shared

@main
struct Embed: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "embed",
    abstract: "Turn images into feature vectors with a trained encoder (or raw pixels, or PCA), or train one.",
    discussion: """
      Examples:
        decode fashion-mnist --split test | embed -m moco.bin | cluster -k 10 | score
        … | augment --views 2 --epochs 50 --shuffle | embed train -o moco.bin
        … | embed --method pca --dims 50 --save pca.bin | …
        decode fashion-mnist --split train | embed train --method calm -o calm.bin
        embed filters -m calm.bin -o filters.png

      `embed -m MODEL` is `embed apply -m MODEL`: see `embed apply --help` and \
      `embed train --help` and `embed filters --help` for their options.
      """,
    subcommands: [Apply.self, Train.self, Filters.self],
    defaultSubcommand: Apply.self)

  static func main() { runAsTool() }
}

/// `embed [-m MODEL]`: a stream of images in, a stream of vectors out.
struct Apply: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "apply",
    abstract: "Embed a stream of images (the default command: `embed -m MODEL` is `embed apply -m MODEL`).",
    discussion: """
      Each record keeps its id, label and split; the vectors are f32 (or f16). With a \
      model, batches are shared out among the cores and memory holds one batch. PCA \
      without -m fits on the whole stream first, so it holds the stream (as stored: u8 \
      stays u8).
      """)

  enum Method: String, ExpressibleByArgument, CaseIterable {
    case model, raw, pca
  }

  enum Layer: String, ExpressibleByArgument, CaseIterable {
    case encoder, head
  }

  @Argument(help: ArgumentHelp("The stream to read, or - for stdin.", valueName: "file"))
  var input = "-"

  @Option(name: [.short, .customLong("model")], help: ArgumentHelp("A model from embed train (a network or its checkpoint, or CALM filters), or a PCA model from --method pca --save.", valueName: "file"))
  var model: String?

  @Option(help: "model (a trained network, -m), raw (the values flattened, u8 pixels scaled to [0, 1]) or pca (principal components: fit here, or -m a saved fit). Default: model with -m, else raw.")
  var method: Method?

  @Option(help: "pca: number of components to keep.")
  var dims: Int?

  @Flag(help: "pca: divide each component by its standard deviation (whitening).")
  var whiten = false

  @Flag(help: "pca: only fit (and --save) the components; write no stream.")
  var fit = false

  @Option(help: ArgumentHelp("pca: write the fitted components to FILE (safetensors, atomically), for -m later.", valueName: "file"))
  var save: String?

  @Option(help: "A CALM model's pooling: each filter's scores pooled by log-sum-exp over each cell of a grid × grid partition of the image (1: the whole image).")
  var grid = 1

  @Option(help: "Which output of a network to emit: encoder (the representation) or head (the projection head's, scaled to unit length as the loss sees it).")
  var layer: Layer = .encoder

  @Flag(help: "Scale every vector to unit length (cosine geometry, as contrastive training shapes it; K-means then clusters by angle).")
  var l2 = false

  @Flag(help: "Write f16 vectors (half the size) instead of f32.")
  var f16 = false

  @Flag(help: "Average the vectors of consecutive records with the same id (the views augment writes) into one record per id: test-time augmentation.")
  var averageViews = false

  @Option(help: "Worker threads (default: every core).")
  var threads = ProcessInfo.processInfo.activeProcessorCount

  @OptionGroup var common: CommonOptions

  /// The method the options ask for.
  var chosen: Method { method ?? (model == nil ? .raw : .model) }

  func validate() throws {
    if !(1...256).contains(threads) { throw ValidationError("--threads must be 1...256, not \(threads)") }
    if chosen == .model && model == nil { throw ValidationError("--method model needs -m MODEL (a file from embed train)") }
    if chosen == .raw && model != nil { throw ValidationError("--method raw takes no model") }
    if chosen == .pca {
      if model == nil && dims == nil { throw ValidationError("--method pca needs --dims D to fit (or -m a saved fit)") }
      if model != nil && (dims != nil || fit || save != nil || whiten) {
        throw ValidationError("-m applies a saved PCA fit; --dims, --whiten, --fit and --save go with fitting")
      }
      if fit && save == nil { throw ValidationError("--fit writes no stream, so it needs --save FILE") }
    } else if dims != nil || fit || save != nil || whiten {
      throw ValidationError("--dims, --whiten, --fit and --save go with --method pca")
    }
    if let dims, dims < 1 { throw ValidationError("--dims must be at least 1") }
    if layer == .head && chosen != .model { throw ValidationError("--layer goes with a trained network (-m)") }
    if !(1...64).contains(grid) { throw ValidationError("--grid must be 1...64, not \(grid)") }
    if grid != 1 && chosen != .model { throw ValidationError("--grid goes with a CALM model (-m)") }
  }

  func run() throws {
    try refuseTerminalInput(input, example: "decode fashion-mnist | embed -m model.bin")
    let progress = ProgressLine(tool: "embed", quiet: common.quiet)
    let reader = try StreamReader(path: input)
    let name = reader.input.name
    if averageViews && !reader.schema.fields.contains(.view) {
      throw Failure("\(name): --average-views averages the views of each id, but the stream has no views (augment --views N makes them)", exitCode: ExitStatus.usage)
    }
    var next: () throws -> RecordBatch? = reader.next
    let map: VectorMap
    let description: String
    switch chosen {
    case .raw:
      guard reader.schema.layout != .none else { throw Failure("\(name): records carry no values to embed") }
      map = RawMap(dimension: reader.schema.elementsPerRecord)
      description = "raw"
    case .model, .pca where model != nil:
      // A model file is either kind; its format says which.
      let file = try SafeTensors(bytes: FileInput(path: model!).readToEnd(), name: model!)
      if file.metadata["format"] == PCAModel.format {
        map = try PCAModel(file, path: model!)
        description = "pca \(model!)"
      } else if file.metadata["format"] == CALMModel.format {
        guard chosen == .model else { throw Failure("\(model!): not a PCA model (\(PCAModel.format))") }
        guard layer == .encoder else { throw Failure("\(model!): --layer head, but a CALM model has no projection head", exitCode: ExitStatus.usage) }
        BLAS.threads = 1
        map = try CALMModel(file, path: model!, grid: grid, threads: threads)
        description = "calm \(model!)\(grid > 1 ? " --grid \(grid)" : "")"
      } else {
        guard chosen == .model else { throw Failure("\(model!): not a PCA model (\(PCAModel.format))") }
        guard grid == 1 else { throw Failure("\(model!): --grid pools a CALM model's scores, and this is a network", exitCode: ExitStatus.usage) }
        // The replicas share the cores; OpenBLAS's own threads would only compete with them.
        BLAS.threads = 1
        let network = try NetworkMap(file, path: model!, head: layer == .head, threads: threads)
        map = network
        description = "\(model!) (\(network.model.architecture.encoder.rawValue), \(layer.rawValue))"
      }
    case .pca:
      let data = try FeatureMatrix(reading: reader)
      guard data.count > 1 else { throw Failure("\(name): PCA needs at least 2 records") }
      let pca = try PCAModel(fitting: data, dimensions: dims!, whiten: whiten)
      let explained = pca.variances.reduce(0, +)
      progress.status("pca: \(dims!) components")
      if let save { try pca.save(to: save, history: data.schema.metadata.history + [Apply.invocation]) }
      if fit {
        progress.finish("pca: \(dims!) components of \(data.dimension) values fitted on \(data.count) records (variance \(shortNumber(explained))) → \(save!)")
        return
      }
      // Emit the records just fitted on, from memory.
      var start = 0
      next = {
        guard start < data.count else { return nil }
        defer { start += 256 }
        return data.records.slice(start..<min(start + 256, data.count), schema: data.schema)
      }
      map = pca
      description = "pca --dims \(dims!)\(whiten ? " --whiten" : "")"
    }
    let stream = VectorStream(
      map: map, averageViews: averageViews, unitLength: l2 || layer == .head, elementType: f16 ? .f16 : .f32, description: description,
      history: Apply.invocation(omitting: ["--threads"]))
    try map.check(reader.schema, name: name)
    let schema = stream.schema(from: reader.schema)
    let output = try common.openOutput()
    let writer = try StreamWriter(output, schema: schema)
    try writer.writeHeader()
    let written = try stream.run(reader.schema, name: name, next: next, to: writer)
    try writer.finish()
    try output.commit()
    progress.finish("\(written) vectors of \(map.dimension) (\(description))")
  }
}
