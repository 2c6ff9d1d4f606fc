import Foundation
import Network
import Shared

/// A trained network's vectors (the encoder's, or the projection head's) for each image,
/// in evaluation mode, the images of a batch shared out among the cores (the network's
/// data-parallel replicas).
final class NetworkMap: VectorMap {
  /// Images per forward: a stream's batch at most.
  static let batch = 256

  let model: ModelFile
  let useHead: Bool
  let dimension: Int
  private let network: EmbeddingNetwork
  private let buffer: UnsafeMutablePointer<Float>

  /// `file` is the model file at `path`, already read.
  init(_ file: SafeTensors, path: String, head useHead: Bool, threads: Int) throws {
    let model = try ModelFile(file, name: path)
    if useHead && model.architecture.head == nil {
      throw Failure("\(path): --layer head, but the model has no projection head", exitCode: ExitStatus.usage)
    }
    let workers = max(1, min(threads, Self.batch))
    try MemoryBudget.check(
      values: model.architecture.estimatedValues(batch: Self.batch), for: "\(path)'s network",
      hint: "it was made for larger machines")
    network = EmbeddingNetwork(model.architecture, maxBatch: Self.batch, threads: workers)
    network.training = false
    // A checkpoint's training state is not needed to embed.
    try ModelFile.load(file, into: network, ignoringPrefixes: ["train.", "optimizer."], name: path)
    (self.model, self.useHead) = (model, useHead)
    dimension = useHead ? network.outputSize : model.architecture.features
    buffer = .allocate(capacity: Self.batch * model.architecture.inputSize)
  }

  deinit { buffer.deallocate() }

  func check(_ schema: StreamSchema, name: String) throws {
    try PixelInput.check(schema, fits: model.architecture, name: name, model: "the model")
  }

  func vectors(of records: RecordBatch, schema: StreamSchema, name: String) throws -> [Float] {
    let input = try PixelInput(schema: schema, normalization: model.normalization, name: name)
    let (d, size) = (dimension, model.architecture.inputSize)
    var result = [Float](repeating: 0, count: records.count * d)
    result.withUnsafeMutableBufferPointer { out in
      records.payload.withUnsafeBytes { payload in
        for start in stride(from: 0, to: records.count, by: Self.batch) {
          let count = min(Self.batch, records.count - start)
          for i in 0..<count { input.convert(payload, record: start + i, into: buffer + i * size) }
          let vectors = useHead ? network.forward(buffer, batch: count) : network.forwardEncoder(buffer, batch: count)
          (out.baseAddress! + start * d).update(from: vectors, count: count * d)
        }
      }
    }
    return result
  }
}

/// `--method raw`: the values themselves, flattened and brought to [0, 1] as the stream's
/// metadata says (u8 pixels divided by 255).
struct RawMap: VectorMap {
  let dimension: Int

  func check(_ schema: StreamSchema, name: String) throws {}

  func vectors(of records: RecordBatch, schema: StreamSchema, name: String) throws -> [Float] {
    let matrix = try FeatureMatrix(schema: schema, records: records, name: name)
    var scratch: [Float] = []
    return matrix.floatRows(0..<records.count, scratch: &scratch) { Array($0) }
  }
}
