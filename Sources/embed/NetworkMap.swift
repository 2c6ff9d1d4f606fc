import Foundation
import Network
import Shared

/// A trained network's vectors (the encoder's, or the projection head's) for each image,
/// computed on every core: each worker thread runs its own copy of the network over its
/// own chunks of a batch.
final class NetworkMap: VectorMap {
  /// Images per forward: large enough for efficient matrix products, small enough to
  /// share a batch out among the cores.
  static let chunk = 64

  let model: ModelFile
  let useHead: Bool
  let dimension: Int
  private let workers: [EmbeddingNetwork]
  private let buffers: [UnsafeMutablePointer<Float>]

  init(path: String, head useHead: Bool, threads: Int) throws {
    let (model, file) = try ModelFile.read(path)
    if useHead && model.architecture.head == nil {
      throw Failure("\(path): --layer head, but the model has no projection head", exitCode: ExitStatus.usage)
    }
    let first = EmbeddingNetwork(model.architecture, maxBatch: Self.chunk)
    first.training = false
    // A checkpoint's training state is not needed to embed.
    try ModelFile.load(file, into: first, ignoringPrefixes: ["train.", "optimizer."], name: path)
    var workers = [first]
    for _ in 1..<max(threads, 1) {
      let copy = EmbeddingNetwork(model.architecture, maxBatch: Self.chunk)
      copy.training = false
      copy.copyParameters(from: first)
      workers.append(copy)
    }
    (self.model, self.useHead, self.workers) = (model, useHead, workers)
    dimension = useHead ? first.outputSize : model.architecture.features
    buffers = workers.map { _ in .allocate(capacity: Self.chunk * model.architecture.inputSize) }
  }

  deinit { buffers.forEach { $0.deallocate() } }

  func check(_ schema: StreamSchema, name: String) throws {
    try PixelInput.check(schema, fits: model.architecture, name: name, model: "the model")
  }

  func vectors(of records: RecordBatch, schema: StreamSchema, name: String) throws -> [Float] {
    let input = try PixelInput(schema: schema, normalization: model.normalization, name: name)
    let (d, size, useHead) = (dimension, model.architecture.inputSize, self.useHead)
    var result = [Float](repeating: 0, count: records.count * d)
    let workers = UncheckedSendable(self.workers)
    let buffers = UncheckedSendable(self.buffers)
    result.withUnsafeMutableBufferPointer { out in
      let target = UncheckedSendable(out.baseAddress!)
      records.payload.withUnsafeBytes { payload in
        forEachChunk(count: records.count, chunkSize: Self.chunk, workers: workers.value.count) { worker, rows in
          let (network, buffer) = (workers.value[worker], buffers.value[worker])
          for (slot, row) in rows.enumerated() { input.convert(payload, record: row, into: buffer + slot * size) }
          let vectors = useHead ? network.forward(buffer, batch: rows.count) : network.forwardEncoder(buffer, batch: rows.count)
          (target.value + rows.lowerBound * d).update(from: vectors, count: rows.count * d)
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
