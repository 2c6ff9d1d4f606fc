import Kernels
import Shared

/// Squared Euclidean distances from rows of data to a set of centres, a block of rows at
/// a time: ‖x‖² − 2 x·c + ‖c‖², with the x·c products from one sgemm per block.
struct DistanceBlocks {
  /// Rows per block: 2,048 rows of 784 floats are 6 MiB, a size BLAS runs at full speed on.
  static let rowsPerBlock = 2048

  let data: FeatureMatrix
  /// ‖x‖² of every row, in the scale `data.floatRows` gives.
  let rowNorms: [Float]
  private var scratch: [Float] = []
  private var products: [Float] = []

  init(_ data: FeatureMatrix) {
    self.data = data
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

  /// Calls `body(rows, x, distances)` for each block: `x` the block's rows (rows × d) and
  /// `distances` (rows × k) their squared distances to `centers` (k × d, row-major).
  mutating func forEachBlock(
    centers: [Float], k: Int,
    _ body: (_ rows: Range<Int>, _ x: UnsafeBufferPointer<Float>, _ distances: UnsafeMutableBufferPointer<Float>) throws -> Void
  ) rethrows {
    let d = data.dimension
    var centerNorms = [Float](repeating: 0, count: k)
    for c in 0..<k {
      var sum: Float = 0
      for j in 0..<d { sum += centers[c * d + j] * centers[c * d + j] }
      centerNorms[c] = sum
    }
    // Take the buffers out of self (swap, not copy) so that writing them does not copy.
    var products: [Float] = []
    var scratch: [Float] = []
    swap(&products, &self.products)
    swap(&scratch, &self.scratch)
    defer {
      swap(&products, &self.products)
      swap(&scratch, &self.scratch)
    }
    if products.count < Self.rowsPerBlock * k { products = [Float](repeating: 0, count: Self.rowsPerBlock * k) }
    for start in stride(from: 0, to: data.count, by: Self.rowsPerBlock) {
      let rows = start..<min(start + Self.rowsPerBlock, data.count)
      try data.floatRows(rows, scratch: &scratch) { x in
        try products.withUnsafeMutableBufferPointer { g in
          // g (rows × k) = x (rows × d) · centersᵀ (d × k)
          BLAS.sgemm(transposeB: true, m: rows.count, n: k, k: d, x.baseAddress!, centers, g.baseAddress!)
          for r in 0..<rows.count {
            let xNorm = rowNorms[rows.lowerBound + r]
            let gRow = g.baseAddress! + r * k
            for c in 0..<k { gRow[c] = max(0, xNorm - 2 * gRow[c] + centerNorms[c]) }
          }
          try body(rows, x, UnsafeMutableBufferPointer(rebasing: g[0..<rows.count * k]))
        }
      }
    }
  }
}
