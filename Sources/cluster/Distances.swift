import Dispatch
import Kernels
import SIMDKernels
import Shared

/// Squared Euclidean distances from rows of data to a set of centres, a block of rows at
/// a time: ‖x‖² − 2 x·c + ‖c‖², with the x·c products of each block from `Products`.
/// Blocks are shared out among worker threads, each with its own buffers.
final class DistanceBlocks {
  /// Rows per block: 256 rows of 784 floats are 800 KiB, so a block stays in the L2 cache
  /// between the passes made over it (measured with float blocks and sgemm: 2,048-row
  /// blocks, which spill to memory between those steps, made K-means 1.6× and EM 5×
  /// slower).
  static let rowsPerBlock = 256

  let data: FeatureMatrix
  /// ‖x‖² of every row, in the scale `data.floatRows` gives.
  let rowNorms: [Float]
  /// Worker threads; each block is handled by one of them.
  let workers: Int
  private let buffers: [WorkerBuffers]

  private final class WorkerBuffers: @unchecked Sendable {
    var scratch: [Float] = []
    var products: [Float] = []
  }

  init(_ data: FeatureMatrix, threads: Int = 1) {
    self.data = data
    let blockCount = (data.count + Self.rowsPerBlock - 1) / Self.rowsPerBlock
    workers = max(1, min(threads, blockCount))
    buffers = (0..<workers).map { _ in WorkerBuffers() }
    var norms = [Float](repeating: 0, count: data.count)
    var scratch: [Float] = []
    let d = data.dimension
    for start in stride(from: 0, to: data.count, by: Self.rowsPerBlock) {
      let rows = start..<min(start + Self.rowsPerBlock, data.count)
      data.floatRows(rows, scratch: &scratch) { x in
        for r in 0..<rows.count {
          var sum: Float = 0
          let row = x.baseAddress! + r * d
          for j in 0..<d { sum += row[j] * row[j] }
          norms[rows.lowerBound + r] = sum
        }
      }
    }
    rowNorms = norms
  }

  /// ‖v‖² of each row of `vectors` (rows of `dimension` values).
  static func squaredNorms(_ vectors: [Float], dimension d: Int) -> [Float] {
    (0..<vectors.count / d).map { c in (0..<d).reduce(Float(0)) { $0 + vectors[c * d + $1] * vectors[c * d + $1] } }
  }

  /// ‖x − c‖² = ‖x‖² − 2 x·c + ‖c‖², clamped at 0 where rounding takes it below.
  @inline(__always)
  static func squaredDistance(rowNorm: Float, scaledDot: Float, centerNorm: Float) -> Float {
    max(0, rowNorm - 2 * scaledDot + centerNorm)
  }

  /// Calls `body(worker, rows, x, distances)` for each block: `x` the block's rows
  /// (rows × d; u8 data as stored) and `distances` (rows × k) their squared distances to
  /// `centers` (k × d, row-major). Blocks run concurrently on `workers` threads, so `body`
  /// may write only to the rows it is given and to state of its own worker (index
  /// 0..<workers).
  func forEachBlock(
    centers: [Float], k: Int,
    _ body: (_ worker: Int, _ rows: Range<Int>, _ x: FeatureMatrix.StoredRows, _ distances: UnsafeMutableBufferPointer<Float>) -> Void
  ) {
    let d = data.dimension
    let centerNorms = Self.squaredNorms(centers, dimension: d)
    // Bytes go to the small-product loops as they are; sgemm needs floats.
    let readsBytes = k <= SmallProducts.largestCount
    forEachRowBlock(count: data.count, workers: workers) { worker, rows in
      let buffer = self.buffers[worker]
      if buffer.products.count < Self.rowsPerBlock * k { buffer.products = [Float](repeating: 0, count: Self.rowsPerBlock * k) }
      func handle(_ x: FeatureMatrix.StoredRows) {
        buffer.products.withUnsafeMutableBufferPointer { g in
          // g (rows × k) = x (rows × d) · centersᵀ (d × k), then the distances.
          var scale: Float = 1
          switch x {
          case let .bytes(bytes, byteScale):
            SmallProducts.dots(bytes, rows: rows.count, centers, count: k, dimension: d, into: g.baseAddress!)
            scale = byteScale
          case let .floats(floats):
            Products.dots(floats, rows: rows.count, centers, count: k, dimension: d, into: g.baseAddress!)
          }
          for r in 0..<rows.count {
            let xNorm = self.rowNorms[rows.lowerBound + r]
            let gRow = g.baseAddress! + r * k
            for c in 0..<k { gRow[c] = Self.squaredDistance(rowNorm: xNorm, scaledDot: scale * gRow[c], centerNorm: centerNorms[c]) }
          }
          body(worker, rows, x, UnsafeMutableBufferPointer(rebasing: g[0..<rows.count * k]))
        }
      }
      if readsBytes {
        self.data.storedRows(rows, scratch: &buffer.scratch, handle)
      } else {
        self.data.floatRows(rows, scratch: &buffer.scratch) { handle(.floats($0.baseAddress!)) }
      }
    }
  }
}

/// Calls `body(worker, rows)` for every block of `DistanceBlocks.rowsPerBlock` rows of
/// `count`, shared out among `workers` threads as `forEachChunk` does. BLAS calls inside
/// `body` should run on one thread (cluster sets that at start).
func forEachRowBlock(count: Int, workers: Int, _ body: (_ worker: Int, _ rows: Range<Int>) -> Void) {
  forEachChunk(count: count, chunkSize: DistanceBlocks.rowsPerBlock, workers: workers, body)
}
