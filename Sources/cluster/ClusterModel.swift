import Foundation
import Shared

/// A fitted clustering that `--save` writes and `--load` reads back to assign new
/// streams: centres (K-means, and Sinkhorn's prototypes) or a Gaussian mixture. Stored as
/// safetensors, with the method, the options used and the data scale in `__metadata__`.
enum ClusterModel {
  case centers(method: Cluster.Method, centers: [Float], k: Int, d: Int)
  case mixture(GaussianMixtureModel)

  var k: Int {
    switch self {
    case let .centers(_, _, k, _): return k
    case let .mixture(model): return model.k
    }
  }

  var d: Int {
    switch self {
    case let .centers(_, _, _, d): return d
    case let .mixture(model): return model.d
    }
  }

  /// Writes the model atomically, with `options` (the command line, the fit's figures)
  /// in the metadata.
  func save(to path: String, scale: Float, options: [String: String]) throws {
    var file = SafeTensors()
    file.metadata = options
    file.metadata["k"] = String(k)
    file.metadata["d"] = String(d)
    file.metadata["scale"] = String(scale)
    switch self {
    case let .centers(method, centers, k, d):
      file.metadata["method"] = method.rawValue
      file.tensors["centers"] = ([k, d], centers)
    case let .mixture(model):
      file.metadata["method"] = Cluster.Method.gmm.rawValue
      file.metadata["covariance"] = model.covariance.rawValue
      file.tensors["weights"] = ([model.k], model.weights.map(Float.init))
      file.tensors["means"] = ([model.k, model.d], model.means)
      file.tensors["variances"] = (model.covariance.storedShape(k: model.k, d: model.d), model.variances)
    }
    let output = try AtomicFileOutput(path: path)
    try output.write(file.encoded())
    try output.commit()
  }

  /// Reads a model written by `save`; returns it with the data scale it was fitted at.
  static func load(from path: String) throws -> (model: ClusterModel, scale: Float) {
    let file = try SafeTensors(bytes: FileInput(path: path).readToEnd(), name: path)
    guard let k = file.metadata["k"].flatMap(Int.init), k >= 1, let d = file.metadata["d"].flatMap(Int.init), d >= 1,
      let scale = file.metadata["scale"].flatMap(Float.init),
      let method = file.metadata["method"].flatMap(Cluster.Method.init(rawValue:))
    else {
      throw Failure("\(path): not a cluster model (its metadata lacks method, k, d or scale)")
    }
    switch method {
    case .kmeans, .sinkhorn:
      let centers = try file.tensor("centers", shape: [k, d], file: path)
      guard centers.allSatisfy(\.isFinite) else { throw Failure("\(path): the model's centres are not all finite") }
      return (.centers(method: method, centers: centers, k: k, d: d), scale)
    case .gmm:
      guard let covariance = file.metadata["covariance"].flatMap(CovarianceType.init(rawValue:)) else {
        throw Failure("\(path): a gmm model without a known covariance type")
      }
      let weights = try file.tensor("weights", shape: [k], file: path).map(Double.init)
      let model = GaussianMixtureModel(
        k: k, d: d, covariance: covariance, weights: weights,
        means: try file.tensor("means", shape: [k, d], file: path),
        variances: try file.tensor("variances", shape: covariance.storedShape(k: k, d: d), file: path))
      // Diagonal entries are variances in every layout: positive; everything finite.
      let diagonalOK: Bool
      switch covariance {
      case .diag, .spherical: diagonalOK = model.variances.allSatisfy { $0 > 0 }
      case .full, .tied: diagonalOK = stride(from: 0, to: model.variances.count, by: d + 1).allSatisfy { model.variances[$0] > 0 }
      }
      guard model.means.allSatisfy(\.isFinite), model.variances.allSatisfy(\.isFinite), diagonalOK,
        weights.allSatisfy({ $0 > 0 && $0.isFinite })
      else {
        throw Failure("\(path): the mixture has non-finite values, non-positive variances or non-positive weights")
      }
      return (.mixture(model), scale)
    }
  }
}

extension CovarianceType {
  /// Shape of the stored variances: k × d, k, k × d × d, or d × d.
  func storedShape(k: Int, d: Int) -> [Int] {
    switch self {
    case .diag: return [k, d]
    case .spherical: return [k]
    case .full: return [k, d, d]
    case .tied: return [d, d]
    }
  }
}
