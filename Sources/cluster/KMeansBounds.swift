import Foundation
import Kernels
import SIMDKernels
import Shared

/// Hamerly's bounds for Lloyd's iterations (Hamerly 2010, "Making k-means even faster"):
/// each record keeps a lower bound on its distance to every centre but its own, lowered
/// by how far the centres move. A record whose distance to its own centre stays below
/// that bound, or below half the distance from its centre to the nearest other centre,
/// cannot change cluster, so only the others are compared with every centre. Once the
/// centres settle that is a few percent of the records per iteration.
///
/// The assignments are those of plain Lloyd: a record is passed over only with a margin
/// that covers float rounding in the distances, and the records compared in full get the
/// same distances (the same loops, row by row) as a full pass gives them. Each pass still
/// computes every record's distance to its own centre (a tenth of a full pass at k = 10),
/// so the inertia reported is exact and the bounds start tight.
final class KMeansBounds {
  /// Per record, a lower bound on the distance (not squared) to the nearest centre other
  /// than its own.
  var lower: [Float]

  init(count: Int) {
    lower = [Float](repeating: 0, count: count)
  }

  /// What one worker gathers in a pass.
  private final class Worker: @unchecked Sendable {
    var inertia = 0.0
    var sumChanges: [Double]
    var countChanges: [Int]
    var ownDots: [Float] = []
    var gathered: [Int] = []
    var gatheredRows: [UInt8] = []
    var products: [Float] = []
    var scratch: [Float] = []

    init(k: Int, d: Int) {
      sumChanges = [Double](repeating: 0, count: k * d)
      countChanges = [Int](repeating: 0, count: k)
    }
  }

  /// One assignment step for `centers`, which moved by `shifts` (per centre, Euclidean)
  /// since the last step: updates the assignments, each record's squared distance to its
  /// centre (`closest`), the bounds, and the clusters' sums and counts. Returns the
  /// inertia.
  func pass(
    _ blocks: DistanceBlocks, centers: [Float], k: Int, shifts: [Double],
    assignments: inout [Int32], closest: inout [Float], sums: inout [Double], counts: inout [Int]
  ) -> Double {
    let data = blocks.data
    let d = data.dimension
    let centerNorms = DistanceBlocks.squaredNorms(centers, dimension: d)
    let largestCenterNorm = centerNorms.max() ?? 0
    // Half the distance from each centre to its nearest other centre.
    let halfGaps: [Float] = (0..<k).map { c in
      var nearest = Double.infinity
      for other in 0..<k where other != c {
        var sum = 0.0
        for j in 0..<d {
          let difference = Double(centers[c * d + j]) - Double(centers[other * d + j])
          sum += difference * difference
        }
        nearest = min(nearest, sum)
      }
      return Float(nearest.squareRoot() / 2)
    }
    // A record's lower bound drops by the largest shift of the other centres.
    let fastest = shifts.indices.max { shifts[$0] < shifts[$1] } ?? 0
    let largestShift = Float(shifts.isEmpty ? 0 : shifts[fastest])
    let secondShift = Float(shifts.indices.filter { $0 != fastest }.map { shifts[$0] }.max() ?? 0)
    let readsBytes = k <= SmallProducts.largestCount
    let workers = (0..<blocks.workers).map { _ in Worker(k: k, d: d) }

    assignments.withUnsafeMutableBufferPointer { assignments in
      closest.withUnsafeMutableBufferPointer { closest in
        lower.withUnsafeMutableBufferPointer { lower in
          forEachRowBlock(count: data.count, workers: blocks.workers) { worker, rows in
            let state = workers[worker]
            let m = rows.count
            if state.ownDots.count < m { state.ownDots = [Float](repeating: 0, count: DistanceBlocks.rowsPerBlock) }
            func process<E: BoundedRows>(_ x: UnsafePointer<E>, scale: Float) {
              let groups = assignments.baseAddress! + rows.lowerBound
              state.ownDots.withUnsafeMutableBufferPointer { own in
                E.groupDots(x, rows: m, centers, groups: groups, dimension: d, into: own.baseAddress!)
                state.gathered.removeAll(keepingCapacity: true)
                var inertia = 0.0
                for r in 0..<m {
                  let i = rows.lowerBound + r
                  let c = Int(groups[r])
                  let norm = blocks.rowNorms[i]
                  let squared = DistanceBlocks.squaredDistance(rowNorm: norm, scaledDot: scale * own[r], centerNorm: centerNorms[c])
                  let distance = squared.squareRoot()
                  let bound = lower[i] - (c == fastest ? secondShift : largestShift)
                  // Float rounding in a squared distance stays below 1e-4 (‖x‖² + ‖c‖²)
                  // here (784-long dots err by about 1e-6 of that); the margin covers it
                  // in four distances, ours and plain Lloyd's, on either side.
                  let error = 1e-4 * (norm + largestCenterNorm)
                  let margin = 4 * error / max(distance, error.squareRoot())
                  if distance + margin < max(bound, halfGaps[c]) {
                    lower[i] = bound
                    closest[i] = squared
                    inertia += Double(squared)
                  } else {
                    state.gathered.append(r)
                  }
                }
                state.inertia += inertia
              }
              let g = state.gathered.count
              guard g > 0 else { return }
              // The records to compare in full, side by side, and their distances.
              let rowBytes = d * MemoryLayout<E>.stride
              if state.gatheredRows.count < g * rowBytes { state.gatheredRows = [UInt8](repeating: 0, count: DistanceBlocks.rowsPerBlock * rowBytes) }
              if state.products.count < g * k { state.products = [Float](repeating: 0, count: DistanceBlocks.rowsPerBlock * k) }
              state.gatheredRows.withUnsafeMutableBytes { raw in
                let packed = raw.baseAddress!.assumingMemoryBound(to: E.self)
                for (slot, r) in state.gathered.enumerated() { (packed + slot * d).update(from: x + r * d, count: d) }
                state.products.withUnsafeMutableBufferPointer { products in
                  E.dots(packed, rows: g, centers, count: k, dimension: d, into: products.baseAddress!)
                  var inertia = 0.0
                  for (slot, r) in state.gathered.enumerated() {
                    let i = rows.lowerBound + r
                    let norm = blocks.rowNorms[i]
                    var best = 0
                    var bestDistance = Float.infinity
                    var second = Float.infinity
                    for c in 0..<k {
                      let squared = DistanceBlocks.squaredDistance(
                        rowNorm: norm, scaledDot: scale * products[slot * k + c], centerNorm: centerNorms[c])
                      if squared < bestDistance {
                        second = bestDistance
                        best = c
                        bestDistance = squared
                      } else if squared < second {
                        second = squared
                      }
                    }
                    lower[i] = second.squareRoot()
                    closest[i] = bestDistance
                    inertia += Double(bestDistance)
                    let previous = Int(assignments[i])
                    if best != previous {
                      assignments[i] = Int32(best)
                      state.countChanges[previous] -= 1
                      state.countChanges[best] += 1
                      let row = packed + slot * d
                      state.sumChanges.withUnsafeMutableBufferPointer { changes in
                        for j in 0..<d {
                          let value = Double(E.scalar(row[j])) * Double(scale)
                          changes[previous * d + j] -= value
                          changes[best * d + j] += value
                        }
                      }
                    }
                  }
                  state.inertia += inertia
                }
              }
            }
            if readsBytes {
              data.storedRows(rows, scratch: &state.scratch) { x in
                switch x {
                case let .bytes(bytes, scale): process(bytes, scale: scale)
                case let .floats(floats): process(floats, scale: 1)
                }
              }
            } else {
              data.floatRows(rows, scratch: &state.scratch) { process($0.baseAddress!, scale: 1) }
            }
          }
        }
      }
    }
    for state in workers {
      for i in sums.indices { sums[i] += state.sumChanges[i] }
      for c in 0..<k { counts[c] += state.countChanges[c] }
    }
    return workers.reduce(0) { $0 + $1.inertia }
  }
}

/// Row types the bounded pass reads, with the products it needs for each.
protocol BoundedRows: RowElement {
  static func groupDots(
    _ x: UnsafePointer<Self>, rows: Int, _ v: UnsafePointer<Float>, groups: UnsafePointer<Int32>, dimension d: Int,
    into out: UnsafeMutablePointer<Float>)
  static func dots(
    _ x: UnsafePointer<Self>, rows: Int, _ v: UnsafePointer<Float>, count k: Int, dimension d: Int,
    into out: UnsafeMutablePointer<Float>)
}

extension UInt8: BoundedRows {
  static func groupDots(
    _ x: UnsafePointer<UInt8>, rows: Int, _ v: UnsafePointer<Float>, groups: UnsafePointer<Int32>, dimension d: Int,
    into out: UnsafeMutablePointer<Float>
  ) {
    SmallProducts.groupDots(x, rows: rows, v, groups: groups, dimension: d, into: out)
  }

  static func dots(
    _ x: UnsafePointer<UInt8>, rows: Int, _ v: UnsafePointer<Float>, count k: Int, dimension d: Int,
    into out: UnsafeMutablePointer<Float>
  ) {
    SmallProducts.dots(x, rows: rows, v, count: k, dimension: d, into: out)
  }
}

extension Float: BoundedRows {
  static func groupDots(
    _ x: UnsafePointer<Float>, rows: Int, _ v: UnsafePointer<Float>, groups: UnsafePointer<Int32>, dimension d: Int,
    into out: UnsafeMutablePointer<Float>
  ) {
    SmallProducts.groupDots(x, rows: rows, v, groups: groups, dimension: d, into: out)
  }

  static func dots(
    _ x: UnsafePointer<Float>, rows: Int, _ v: UnsafePointer<Float>, count k: Int, dimension d: Int,
    into out: UnsafeMutablePointer<Float>
  ) {
    Products.dots(x, rows: rows, v, count: k, dimension: d, into: out)
  }
}
