import Foundation
import Kernels
import Network
import Shared

/// Principal component analysis: the top `components` directions of the data's
/// covariance, as scikit-learn's `PCA` (variances with n − 1; with whitening, each
/// coordinate divided by its component's standard deviation). Saved as safetensors:
/// `mean` (D), `components` (k × D) and `scale` (k: 1, or 1/σ when whitened).
struct PCAModel: VectorMap {
  static let format = "unsup-embed-pca-1"
  /// D beyond this would need several GiB: the covariance in Float and in Double, LAPACK's
  /// copy and workspace, and the eigenvectors (about 3 GiB at 8192).
  static let maxInput = 8192

  let mean: [Float]
  let components: [Float]
  let scale: [Float]
  let variances: [Double]
  var dimension: Int { scale.count }
  var inputDimension: Int { mean.count }

  /// Fits on every row of `data`.
  init(fitting data: FeatureMatrix, dimensions k: Int, whiten: Bool) throws {
    let (n, d) = (data.count, data.dimension)
    guard d <= Self.maxInput else {
      throw Failure("PCA of \(d)-value records would need a \(d)×\(d) covariance: reduce them first (embed with a model, or decode --size)", exitCode: ExitStatus.usage)
    }
    guard k <= d, k <= max(n - 1, 1) else {
      throw Failure("--dims \(k) is more than the \(min(d, max(n - 1, 1))) components \(n) records of \(d) values have", exitCode: ExitStatus.usage)
    }
    var scratch: [Float] = []
    var sums = [Double](repeating: 0, count: d)
    let block = 1024
    for start in stride(from: 0, to: n, by: block) {
      data.floatRows(start..<min(start + block, n), scratch: &scratch) { rows in
        for (i, value) in rows.enumerated() { sums[i % d] += Double(value) }
      }
    }
    let mean = sums.map { Float($0 / Double(n)) }
    // Σ (x − μ)ᵀ(x − μ), a block of centred rows at a time.
    var covariance = [Float](repeating: 0, count: d * d)
    var centred = [Float](repeating: 0, count: block * d)
    for start in stride(from: 0, to: n, by: block) {
      let rows = min(block, n - start)
      data.floatRows(start..<start + rows, scratch: &scratch) { values in
        for i in 0..<rows * d { centred[i] = values[i] - mean[i % d] }
      }
      BLAS.sgemm(transposeA: true, m: d, n: d, k: rows, centred, centred, beta: 1, &covariance)
    }
    let divisor = Double(max(n - 1, 1))
    guard let (values, vectors) = SymmetricEigen.decompose(covariance.map { Double($0) / divisor }, n: d) else {
      throw Failure("PCA: the eigen-decomposition of the covariance failed", exitCode: ExitStatus.software)
    }
    var components = [Float](repeating: 0, count: k * d)
    for c in 0..<k {
      // A sign convention, so that a fit is the same on every machine: each component's
      // largest entry is positive.
      let row = vectors[c * d..<(c + 1) * d]
      let largest = row.max { abs($0) < abs($1) } ?? 1
      let sign: Double = largest < 0 ? -1 : 1
      for i in 0..<d { components[c * d + i] = Float(sign * vectors[c * d + i]) }
    }
    self.mean = mean
    self.components = components
    variances = Array(values[..<k].map { max($0, 0) })
    scale = variances.map { whiten ? Float(1 / max($0, 1e-12).squareRoot()) : 1 }
  }

  /// The fit in `file`, already read from `path`.
  init(_ file: SafeTensors, path: String) throws {
    guard file.metadata["format"] == Self.format else { throw Failure("\(path): not a PCA model (\(Self.format))") }
    guard let d = file.tensors["mean"]?.shape.first, let k = file.tensors["scale"]?.shape.first,
      file.tensors.count == 3, d <= Self.maxInput, k <= d
    else { throw Failure("\(path): a PCA model holds mean (D), components (k × D) and scale (k)") }
    mean = try file.tensor("mean", shape: [d], file: path)
    components = try file.tensor("components", shape: [k, d], file: path)
    scale = try file.tensor("scale", shape: [k], file: path)
    variances = (file.metadata["variances"] ?? "").split(separator: ",").compactMap { Double($0) }
  }

  func save(to path: String, history: [String]) throws {
    var file = SafeTensors()
    let (d, k) = (inputDimension, dimension)
    file.tensors = ["mean": ([d], mean), "components": ([k, d], components), "scale": ([k], scale)]
    file.metadata = [
      "format": Self.format, "variances": variances.map { String($0) }.joined(separator: ","),
      "history": ModelFile.json(history),
    ]
    let output = try AtomicFileOutput(path: path)
    try output.write(file.encoded())
    try output.commit()
  }

  func check(_ schema: StreamSchema, name: String) throws {
    guard schema.layout != .none, schema.elementsPerRecord == inputDimension else {
      throw Failure("\(name): the PCA model takes records of \(inputDimension) values, but the stream holds \(schema.summary)")
    }
  }

  func vectors(of records: RecordBatch, schema: StreamSchema, name: String) throws -> [Float] {
    let data = try FeatureMatrix(schema: schema, records: records, name: name)
    let (n, d, k) = (records.count, inputDimension, dimension)
    var centred = [Float](repeating: 0, count: n * d)
    var scratch: [Float] = []
    data.floatRows(0..<n, scratch: &scratch) { values in
      for i in 0..<n * d { centred[i] = values[i] - mean[i % d] }
    }
    var result = [Float](repeating: 0, count: n * k)
    guard n > 0 else { return result }
    BLAS.sgemm(transposeB: true, m: n, n: k, k: d, centred, components, &result)
    for i in 0..<n * k { result[i] *= scale[i % k] }
    return result
  }
}
