import ArgumentParser
import Foundation
import Kernels
import Shared

#if canImport(Glibc)
import Glibc
#endif

@main
struct Cluster: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "cluster",
    abstract: "Cluster a stream of vectors (images are flattened) and write the records with a cluster assigned.",
    discussion: """
      cluster must see every record before it can assign any, so it holds the whole \
      stream in memory, compactly (u8 stays u8; floats are converted a block at a time). \
      u8 values with the range 0...255 are scaled to [0, 1].
      """)

  enum Method: String, ExpressibleByArgument, CaseIterable {
    case kmeans, gmm, sinkhorn
  }

  @Argument(help: ArgumentHelp("The stream to read, or - for stdin.", valueName: "file"))
  var input = "-"

  @Option(help: "kmeans (Lloyd with k-means++ seeding), gmm (Gaussian mixture by EM, started from K-means) or sinkhorn (balanced assignment to K-means prototypes).")
  var method: Method = .kmeans

  @Option(name: .short, help: "Number of clusters (taken from the model with --load).")
  var k: Int?

  @Option(help: ArgumentHelp("Write the fitted model (centres, or the mixture) to FILE, atomically, as safetensors.", valueName: "file"))
  var save: String?

  @Option(help: ArgumentHelp("Assign the stream with a model written by --save, without fitting (its method and k are used).", valueName: "file"))
  var load: String?

  @Option(name: .customLong("max-iter"), help: "At most this many iterations of K-means per run, and of EM after it.")
  var maxIterations = 300

  @Option(name: .customLong("tol"), help: "K-means stops when its centres move less than this, relative to the data's mean variance.")
  var tolerance = 1e-4

  @Option(name: .customLong("n-init"), help: "Run K-means this many times from different seeds and keep the run of least inertia.")
  var restarts = 1

  @Option(name: .customLong("init"), help: "How K-means picks its first centres: kmeans++ (greedy, as scikit-learn) or random.")
  var initialization = KMeansInit.kmeansPlusPlus

  @Option(help: "GMM: covariance of each component: diag, spherical, full or tied (one full matrix shared). full and tied cost d³ per component: reduce d first (e.g. PCA) for raw pixels.")
  var covariance = CovarianceType.diag

  @Option(name: .customLong("reg"), help: "GMM: added to every variance, so constant dimensions stay finite.")
  var regularization = 1e-6

  @Option(help: "Sinkhorn: entropic regularisation, relative to the mean cost. Smaller gives cluster sizes closer to the weights after argmax, in more iterations.")
  var epsilon = 0.05

  @Option(name: .customLong("iters"), help: "Sinkhorn: at most this many iterations (it stops earlier once the cluster sizes are met).")
  var sinkhornIterations = 1000

  @Option(help: ArgumentHelp("Sinkhorn: cluster sizes as K comma-separated weights (default: equal).", valueName: "w1,w2,…"))
  var weights: String?

  @Flag(help: "Add each record's probabilities over the clusters (GMM: responsibilities; Sinkhorn: its row of the transport plan; K-means: one-hot).")
  var soft = false

  @Flag(help: "Keep only id, label, split, cluster and probabilities, not the values.")
  var dropPayload = false

  @Option(help: ArgumentHelp("Mini-batch K-means over batches of B records: memory holds one batch, not the stream (a pipe is first copied to a temporary file, since the records are read again to assign them).", valueName: "B"))
  var minibatch: Int?

  @Option(help: "With --minibatch: passes over the data.")
  var passes = 5

  @Option(help: "Worker threads for the distance computations (default: every core).")
  var threads = ProcessInfo.processInfo.activeProcessorCount

  @OptionGroup var common: CommonOptions

  func validate() throws {
    if !(1...256).contains(threads) { throw ValidationError("--threads must be 1...256, not \(threads)") }
    if let minibatch {
      if minibatch < (k ?? 1) { throw ValidationError("--minibatch must be at least -k (the first batch seeds the centres), not \(minibatch)") }
      if method != .kmeans { throw ValidationError("--minibatch goes with --method kmeans") }
      if passes < 1 { throw ValidationError("--passes must be at least 1") }
    }
    if load == nil && k == nil { throw ValidationError("give -k, the number of clusters (or --load a model)") }
    if let k, k < 1 { throw ValidationError("-k must be at least 1, not \(k)") }
    if load != nil && save != nil { throw ValidationError("--load assigns with a saved model; --save goes with fitting") }
    if maxIterations < 1 { throw ValidationError("--max-iter must be at least 1") }
    if restarts < 1 { throw ValidationError("--n-init must be at least 1") }
    if !(tolerance >= 0) { throw ValidationError("--tol must be 0 or more") }
    if !(epsilon > 0) { throw ValidationError("--epsilon must be positive") }
    if !(regularization >= 0) { throw ValidationError("--reg must be 0 or more") }
    if sinkhornIterations < 1 { throw ValidationError("--iters must be at least 1") }
    if weights != nil && method != .sinkhorn { throw ValidationError("--weights applies to --method sinkhorn") }
    _ = try clusterWeights()
  }

  /// The Sinkhorn column marginals: --weights normalised, or uniform.
  func clusterWeights(k: Int? = nil) throws -> [Double] {
    guard let k = k ?? self.k else { return [] }
    guard let weights else { return Array(repeating: 1 / Double(k), count: k) }
    let values = weights.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
    guard values.count == k, values.allSatisfy({ ($0 ?? -1) > 0 && $0!.isFinite }) else {
      throw Failure("--weights needs \(k) positive numbers separated by commas, got \"\(weights)\"", exitCode: ExitStatus.usage)
    }
    let total = values.reduce(0) { $0 + $1! }
    return values.map { $0! / total }
  }

  static func main() { runAsTool() }

  func run() throws {
    try refuseTerminalInput(input, example: "decode fashion-mnist | cluster -k 10")
    let progress = ProgressLine(tool: "cluster", quiet: common.quiet)
    // The work is shared out by blocks of rows (forEachRowBlock), each BLAS call within
    // one block. OpenBLAS's own threads would only spin beside the workers: measured,
    // they made K-means on 2 cores 1.3x slower.
    BLAS.threads = 1
    if let minibatch {
      try runMiniBatch(batchSize: minibatch, progress)
      return
    }
    let reader = try StreamReader(path: input)
    let data = try FeatureMatrix(reading: reader)
    guard data.count > 0 else { throw Failure("\(reader.input.name): the stream holds no records to cluster") }
    if let k, load == nil, k > data.count {
      throw Failure("-k \(k) is more than the \(data.count) records in \(reader.input.name)", exitCode: ExitStatus.usage)
    }
    if let bad = data.firstNonFiniteRow() {
      throw Failure("\(reader.input.name): record \(bad) (id \(data.records.ids[bad])) holds NaN or infinite values")
    }

    let blocks = DistanceBlocks(data, threads: threads)
    let model: ClusterModel
    var figures: [String: String] = [:]
    if let load {
      let loaded = try loadModel(load, for: reader.schema, name: reader.input.name)
      model = loaded
    } else {
      (model, figures) = try fit(data, blocks, k: k!, progress)
    }
    let k = model.k
    let (assignments, probabilities, assignSummary) = try assign(data, blocks, model)
    var summary = assignSummary
    try writeAssigned(data, k: k, assignments: assignments, probabilities: probabilities)
    if let save {
      figures["history"] = Cluster.invocation
      try model.save(to: save, scale: data.scale, options: figures)
    }
    // A fitted model is summed up by its fit's figures; Sinkhorn adds its own first.
    if let fit = figures["fit"] {
      switch method {
      case .kmeans: summary = "kmeans k=\(k): \(fit)"
      case .gmm: summary = "gmm k=\(k) \(covariance.rawValue): \(fit)"
      case .sinkhorn: summary += "; \(fit)"
      }
    }
    progress.finish(summary)
  }

  /// --minibatch: fits centres batch by batch (or loads them), then reads the stream again
  /// and writes it assigned, batch by batch.
  private func runMiniBatch(batchSize: Int, _ progress: ProgressLine) throws {
    let temporary = try spoolIfPipe()
    defer { if let temporary { unlink(temporary) } }
    let path = temporary ?? input
    let centers: [Float]
    var summary: String
    let probe = try StreamReader(path: path)
    let d = probe.schema.elementsPerRecord
    if let load {
      guard case let .centers(.kmeans, loaded, loadedK, _) = try loadModel(load, for: probe.schema, name: probe.input.name) else {
        throw Failure("\(load): --minibatch assigns with a kmeans model", exitCode: ExitStatus.usage)
      }
      centers = loaded
      summary = "minibatch kmeans k=\(loadedK) (loaded)"
    } else {
      var kmeans = MiniBatchKMeans(k: k!, batchSize: batchSize, epochs: passes, threads: threads)
      kmeans.report = { epoch, batches, inertia in
        progress.status("minibatch kmeans pass \(epoch) batch \(batches): inertia \(String(format: "%.6g", inertia))")
      }
      let fitted = try kmeans.fit(path: path, seed: common.seed)
      centers = fitted.centers
      summary = "minibatch kmeans k=\(k!): inertia \(String(format: "%.6g", fitted.inertia)) in the last of \(passes) passes"
    }
    let k = centers.count / max(1, d)
    let reader = try StreamReader(path: path)
    var schema = outputSchema(reader.schema, k: k, soft: soft)
    schema.metadata.history.append(Cluster.invocation)
    let output = try common.openOutput()
    let writer = try StreamWriter(output, schema: schema)
    try writer.writeHeader()
    try forEachMiniBatch(reader, size: batchSize) { data in
      let (assignments, _) = nearestCenters(DistanceBlocks(data, threads: threads), centers, k: k)
      try writer.write(assignedRecords(data, k: k, assignments: assignments, probabilities: soft ? oneHot(assignments, k: k) : nil))
    }
    try writer.finish()
    try output.commit()
    if let save {
      try ClusterModel.centers(method: .kmeans, centers: centers, k: k, d: d).save(
        to: save, scale: FeatureMatrix.unitScale(for: reader.schema), options: ["history": Cluster.invocation, "fit": summary])
    }
    progress.finish(summary)
  }

  /// A pipe copied to a temporary file (removed by the caller), or nil for a file.
  private func spoolIfPipe() throws -> String? {
    if input != "-", (try? FileInput(path: input).regularFileSize) != nil { return nil }
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("unsup-cluster-\(getpid()).us").path
    let source = try FileInput(path: input)
    let target = try AtomicFileOutput(path: path)
    var chunk = [UInt8](repeating: 0, count: 1 << 20)
    while true {
      let got = try chunk.withUnsafeMutableBytes { try source.read(into: $0) }
      if got == 0 { break }
      try chunk.withUnsafeBytes { try target.write(UnsafeRawBufferPointer(rebasing: $0[..<got])) }
    }
    try target.commit()
    return path
  }

  /// Fits the model --method asks for; returns it with figures of the fit for the summary
  /// and the saved metadata.
  private func fit(_ data: FeatureMatrix, _ blocks: DistanceBlocks, k: Int, _ progress: ProgressLine) throws
    -> (ClusterModel, [String: String])
  {
    let best = fitKMeans(data, blocks, k: k, progress)
    let kmeansFigures = "inertia \(String(format: "%.6g", best.inertia)) after \(best.iterations) K-means iterations"
    switch method {
    case .kmeans, .sinkhorn:
      return (.centers(method: method, centers: best.centers, k: k, d: data.dimension), ["fit": kmeansFigures])
    case .gmm:
      var mixture = GaussianMixture(
        k: k, covariance: covariance, regularization: regularization, maxIterations: maxIterations, threads: threads)
      mixture.report = { iteration, logLikelihood, change in
        progress.status("gmm iteration \(iteration): mean log-likelihood \(String(format: "%.6g", logLikelihood)), change \(String(format: "%.2e", change))")
      }
      let (model, logLikelihood, iterations) = mixture.fit(data, initialAssignments: best.assignments)
      let n = Double(data.count)
      let bic = -2 * logLikelihood * n + Double(mixture.parameterCount(d: data.dimension)) * log(n)
      let figures = "mean log-likelihood \(String(format: "%.6g", logLikelihood)) per record, BIC \(String(format: "%.6g", bic)), \(iterations) EM iterations"
      return (.mixture(model), ["fit": figures, "log_likelihood": String(logLikelihood), "bic": String(bic)])
    }
  }

  /// Assigns every record with `model`: the nearest centre, the most responsible
  /// component, or the balanced transport plan.
  private func assign(_ data: FeatureMatrix, _ blocks: DistanceBlocks, _ model: ClusterModel) throws
    -> (assignments: [Int32], probabilities: [Float]?, summary: String)
  {
    let k = model.k
    switch model {
    case let .centers(method, centers, _, _):
      if method == .sinkhorn {
        var costs = [Float](repeating: 0, count: data.count * k)
        costs.withUnsafeMutableBufferPointer { costs in
          blocks.forEachBlock(centers: centers, k: k) { _, rows, _, distances in
            for i in 0..<distances.count { costs[rows.lowerBound * k + i] = distances[i] }
          }
        }
        let solver = Sinkhorn(epsilon: epsilon, iterations: sinkhornIterations)
        let (rows, iterations) = solver.plan(costs: costs, n: data.count, k: k, weights: try clusterWeights(k: k))
        let assignments = argmaxRows(rows, k: k)
        let sizes = (0..<k).map { c in assignments.lazy.filter { $0 == c }.count }
        return (assignments, soft ? rows : nil,
          "sinkhorn k=\(k) ε=\(epsilon): \(iterations) iterations, cluster sizes \(sizes.map(String.init).joined(separator: " "))")
      }
      let (assignments, inertia) = nearestCenters(blocks, centers, k: k)
      return (assignments, soft ? oneHot(assignments, k: k) : nil, "kmeans k=\(k): inertia \(String(format: "%.6g", inertia))")
    case let .mixture(mixtureModel):
      let mixture = GaussianMixture(k: k, covariance: mixtureModel.covariance, threads: threads)
      var responsibilities = [Float](repeating: 0, count: data.count * k)
      let logLikelihood = mixture.expectation(data, mixtureModel, into: &responsibilities)
      return (argmaxRows(responsibilities, k: k), soft ? responsibilities : nil,
        "gmm k=\(k) \(mixtureModel.covariance.rawValue): mean log-likelihood \(String(format: "%.6g", logLikelihood)) per record")
    }
  }

  /// A saved model, checked against the stream it is to assign: its record size, its data
  /// scale and -k if given.
  private func loadModel(_ path: String, for schema: StreamSchema, name: String) throws -> ClusterModel {
    let (model, scale) = try ClusterModel.load(from: path)
    guard model.d == schema.elementsPerRecord else {
      throw Failure("\(path): the model is for \(model.d)-value records, but \(name) has \(schema.elementsPerRecord)")
    }
    let streamScale = FeatureMatrix.unitScale(for: schema)
    guard scale == streamScale else {
      throw Failure("\(path): the model was fitted on data scaled by \(scale), but \(name) scales by \(streamScale) (another range or element type)")
    }
    if let k, k != model.k { throw Failure("-k \(k) differs from the model's k = \(model.k)", exitCode: ExitStatus.usage) }
    return model
  }

  /// Each record's nearest centre, and the inertia.
  private func nearestCenters(_ blocks: DistanceBlocks, _ centers: [Float], k: Int) -> ([Int32], Double) {
    var assignments = [Int32](repeating: 0, count: blocks.data.count)
    var closest = [Float](repeating: 0, count: blocks.data.count)
    let inertia = KMeans(k: k).assign(blocks, centers, &assignments, &closest, summing: false).inertia
    return (assignments, inertia)
  }

  /// The largest entry's column in each row of an n × k matrix.
  private func argmaxRows(_ matrix: [Float], k: Int) -> [Int32] {
    (0..<matrix.count / k).map { i in
      var best = 0
      for c in 1..<k where matrix[i * k + c] > matrix[i * k + best] { best = c }
      return Int32(best)
    }
  }

  /// Best of --n-init K-means runs, seeds --seed, --seed + 1, ….
  private func fitKMeans(_ data: FeatureMatrix, _ blocks: DistanceBlocks, k: Int, _ progress: ProgressLine) -> KMeansResult {
    var best: KMeansResult?
    for run in 0..<restarts {
      var kmeans = KMeans(k: k, maxIterations: maxIterations, tolerance: tolerance, initialization: initialization)
      let label = restarts > 1 ? " run \(run + 1)/\(restarts)" : ""
      kmeans.report = { iteration, inertia, change in
        progress.status("kmeans\(label) iteration \(iteration): inertia \(String(format: "%.6g", inertia)), change \(String(format: "%.2e", change))")
      }
      let result = kmeans.fit(data, blocks: blocks, seed: common.seed &+ UInt64(run))
      if best == nil || result.inertia < best!.inertia { best = result }
    }
    return best!
  }

  /// The output schema: the input's plus the cluster field (and probabilities).
  private func outputSchema(_ input: StreamSchema, k: Int, soft: Bool) -> StreamSchema {
    var schema = input
    schema.fields.insert(.cluster)
    if soft {
      schema.fields.insert(.probs)
      schema.probabilityCount = k
    }
    if dropPayload {
      schema.layout = .none
      schema.dims = []
      schema.elementType = .u8
    }
    return schema
  }

  /// The records with their clusters (and probabilities) set, payload dropped if asked.
  private func assignedRecords(_ data: FeatureMatrix, k: Int, assignments: [Int32], probabilities: [Float]?) -> RecordBatch {
    var records = data.records
    records.clusters = assignments
    records.probabilities = probabilities
    if dropPayload { records.payload = [] }
    return records
  }

  private func oneHot(_ assignments: [Int32], k: Int) -> [Float] {
    var probabilities = [Float](repeating: 0, count: assignments.count * k)
    for (i, c) in assignments.enumerated() { probabilities[i * k + Int(c)] = 1 }
    return probabilities
  }

  /// Writes the records with their clusters (and probabilities) set.
  private func writeAssigned(_ data: FeatureMatrix, k: Int, assignments: [Int32], probabilities: [Float]?) throws {
    var schema = outputSchema(data.schema, k: k, soft: probabilities != nil)
    schema.metadata.history.append(Cluster.invocation)
    let output = try common.openOutput()
    let writer = try StreamWriter(output, schema: schema)
    try writer.write(assignedRecords(data, k: k, assignments: assignments, probabilities: probabilities))
    try writer.finish()
    try output.commit()
  }
}

extension CovarianceType: ExpressibleByArgument {}
extension KMeansInit: ExpressibleByArgument {}
