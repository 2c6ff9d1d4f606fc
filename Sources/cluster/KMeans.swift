import Foundation
import SIMDKernels
import Shared

/// How K-means picks its first centres.
enum KMeansInit: String, CaseIterable {
  /// Greedy k-means++ (Arthur & Vassilvitskii 2007, with scikit-learn's 2 + ln k
  /// candidates per step, keeping the one that lowers the potential most).
  case kmeansPlusPlus = "kmeans++"
  /// K distinct records chosen uniformly.
  case random
}

/// A K-means solution: centres, the assignment of every record, and its inertia.
struct KMeansResult {
  /// k × d, row-major.
  var centers: [Float]
  var assignments: [Int32]
  /// Sum of squared distances of records to their centres.
  var inertia: Double
  var iterations: Int
}

/// Lloyd's K-means over a `FeatureMatrix`, with distances from BLAS in blocks.
struct KMeans {
  var k: Int
  var maxIterations = 300
  /// Convergence: stop when the centres move (summed squared shift) less than
  /// `tolerance` × the mean variance of the data's dimensions, as scikit-learn does.
  var tolerance = 1e-4
  var initialization = KMeansInit.kmeansPlusPlus
  /// Whether Lloyd's iterations skip records that Hamerly's bounds show cannot move
  /// (`KMeansBounds`); the result is the same either way, which the tests check.
  var usesBounds = true
  /// Called after each iteration with (iteration, inertia, relative change of inertia).
  var report: (Int, Double, Double) -> Void = { _, _, _ in }

  /// Fits once, with first centres chosen by `initialization` from `seed`.
  func fit(_ data: FeatureMatrix, blocks: DistanceBlocks, seed: UInt64) -> KMeansResult {
    var random = SplitMix64(seed: seed)
    let centers = initialization == .random
      ? randomCenters(data, &random) : plusPlusCenters(data, blocks: blocks, &random)
    return fit(data, blocks: blocks, from: centers)
  }

  /// Runs Lloyd's iterations from the given first centres (k × d).
  func fit(_ data: FeatureMatrix, blocks: DistanceBlocks, from initialCenters: [Float]) -> KMeansResult {
    var centers = initialCenters
    let threshold = tolerance * meanVariance(data)
    let d = data.dimension
    var assignments = [Int32](repeating: 0, count: data.count)
    var closest = [Float](repeating: 0, count: data.count)
    let bounds = usesBounds ? KMeansBounds(count: data.count) : nil
    var sums: [Double] = []
    var counts: [Int] = []
    var shifts = [Double](repeating: 0, count: k)
    // A full pass sets the bounds; after a re-seeded cluster the sums no longer follow
    // the assignments, so the next pass is full again.
    var fullPass = true
    var previousInertia = Double.infinity
    var iterations = 0
    var converged = false
    while iterations < maxIterations && !converged {
      iterations += 1
      let inertia: Double
      if let bounds, !fullPass {
        inertia = bounds.pass(
          blocks, centers: centers, k: k, shifts: shifts, assignments: &assignments, closest: &closest,
          sums: &sums, counts: &counts)
      } else {
        let pass = assign(blocks, centers, &assignments, &closest, summing: true, lower: bounds)
        (inertia, sums, counts) = (pass.inertia, pass.sums, pass.counts)
        fullPass = false
      }
      var (clusterSums, clusterCounts) = (sums, counts)
      var shift = 0.0
      var taken = Set<Int>()
      for c in 0..<k {
        if clusterCounts[c] == 0 {
          // An emptied cluster takes the record farthest from its centre.
          let far = farthestRecord(closest, excluding: taken)
          taken.insert(far)
          closest[far] = 0
          var row: [Float] = []
          data.floatRows(far..<far + 1, scratch: &row) { x in for j in 0..<d { clusterSums[c * d + j] = Double(x[j]) } }
          clusterCounts[c] = 1
          fullPass = true
        }
        var centerShift = 0.0
        for j in 0..<d {
          let updated = Float(clusterSums[c * d + j] / Double(clusterCounts[c]))
          let delta = Double(updated - centers[c * d + j])
          centerShift += delta * delta
          centers[c * d + j] = updated
        }
        shifts[c] = centerShift.squareRoot()
        shift += centerShift
      }
      report(iterations, inertia, previousInertia.isFinite ? abs(previousInertia - inertia) / max(inertia, .leastNormalMagnitude) : 1)
      previousInertia = inertia
      converged = shift <= threshold
    }
    // Assignments and inertia of the final centres.
    let inertia = assign(blocks, centers, &assignments, &closest, summing: false).inertia
    return KMeansResult(centers: centers, assignments: assignments, inertia: inertia, iterations: iterations)
  }

  /// What one worker thread gathers during an assignment pass.
  private final class PassTotals: @unchecked Sendable {
    var inertia = 0.0
    var counts: [Int]
    var sums: [Double]
    var blockSums: [Float]

    init(k: Int, d: Int, summing: Bool) {
      counts = [Int](repeating: 0, count: k)
      sums = [Double](repeating: 0, count: summing ? k * d : 0)
      blockSums = [Float](repeating: 0, count: summing ? k * d : 0)
    }
  }

  /// Assigns every record to its nearest centre and returns the inertia; with `summing`,
  /// also the sum (k × d, in double) and count of each cluster's records, from the same
  /// pass over the data, so each iteration reads the data once. With `lower`, sets each
  /// record's bound to its distance to the second-nearest centre.
  func assign(
    _ blocks: DistanceBlocks, _ centers: [Float], _ assignments: inout [Int32], _ closest: inout [Float],
    summing: Bool, lower bounds: KMeansBounds? = nil
  ) -> (inertia: Double, sums: [Double], counts: [Int]) {
    let d = blocks.data.dimension
    let k = self.k
    let totals = (0..<blocks.workers).map { _ in PassTotals(k: k, d: d, summing: summing) }
    // The second-nearest distances go to the bounds, or to scratch nobody reads. (Taken
    // out of the bounds while written, so that the array is not copied.)
    var lower = bounds?.lower ?? [Float](repeating: 0, count: assignments.count)
    bounds?.lower = []
    lower.withUnsafeMutableBufferPointer { lower in
      assignments.withUnsafeMutableBufferPointer { assignments in
        closest.withUnsafeMutableBufferPointer { closest in
          blocks.forEachBlock(centers: centers, k: k) { worker, rows, x, distances in
            let mine = totals[worker]
            // Locals in the loop: a class's properties are checked for exclusive access
            // at every use.
            var inertia = 0.0
            var counts = mine.counts
            for r in 0..<rows.count {
              let row = distances.baseAddress! + r * k
              var best = 0
              var bestDistance = row[0]
              var second = Float.infinity
              for c in 1..<k {
                if row[c] < bestDistance {
                  second = bestDistance
                  best = c
                  bestDistance = row[c]
                } else if row[c] < second {
                  second = row[c]
                }
              }
              lower[rows.lowerBound + r] = second.squareRoot()
              assignments[rows.lowerBound + r] = Int32(best)
              closest[rows.lowerBound + r] = bestDistance
              inertia += Double(bestDistance)
              counts[best] += 1
            }
            mine.inertia += inertia
            mine.counts = counts
            guard summing else { return }
            // Sums within a block stay in float (a block is `DistanceBlocks.rowsPerBlock`
            // rows), then go into double, so rounding does not grow with n.
            mine.blockSums.withUnsafeMutableBufferPointer { out in
              out.update(repeating: 0)
              let groups = assignments.baseAddress! + rows.lowerBound
              var scale: Float = 1
              switch x {
              case let .bytes(bytes, byteScale):
                // Sums of bytes, exact in float, scaled once as they go into double.
                Conversions.addRows(bytes, rows: rows.count, dimension: d, groups: groups, into: out.baseAddress!)
                scale = byteScale
              case let .floats(floats):
                Conversions.addRows(floats, rows: rows.count, dimension: d, groups: groups, into: out.baseAddress!)
              }
              mine.sums.withUnsafeMutableBufferPointer { total in
                for i in 0..<out.count { total[i] += Double(out[i]) * Double(scale) }
              }
            }
          }
        }
      }
    }
    bounds?.lower = lower
    var sums = totals[0].sums
    var counts = totals[0].counts
    for other in totals.dropFirst() {
      for i in sums.indices { sums[i] += other.sums[i] }
      for c in 0..<k { counts[c] += other.counts[c] }
    }
    return (totals.reduce(0) { $0 + $1.inertia }, sums, counts)
  }

  private func farthestRecord(_ closest: [Float], excluding taken: Set<Int>) -> Int {
    var best = 0
    var bestDistance: Float = -1
    for (i, distance) in closest.enumerated() where distance > bestDistance && !taken.contains(i) {
      best = i
      bestDistance = distance
    }
    return best
  }

  /// Mean over dimensions of each dimension's variance.
  private func meanVariance(_ data: FeatureMatrix) -> Double {
    let d = data.dimension
    var sum = [Double](repeating: 0, count: d)
    var squares = [Double](repeating: 0, count: d)
    var scratch: [Float] = []
    for start in stride(from: 0, to: data.count, by: DistanceBlocks.rowsPerBlock) {
      let rows = start..<min(start + DistanceBlocks.rowsPerBlock, data.count)
      data.floatRows(rows, scratch: &scratch) { x in
        for r in 0..<rows.count {
          for j in 0..<d {
            let value = Double(x[r * d + j])
            sum[j] += value
            squares[j] += value * value
          }
        }
      }
    }
    let n = Double(data.count)
    return (0..<d).reduce(0.0) { $0 + max(0, squares[$1] / n - (sum[$1] / n) * (sum[$1] / n)) } / Double(d)
  }

  private func row(_ data: FeatureMatrix, _ index: Int) -> [Float] {
    var scratch: [Float] = []
    return data.floatRows(index..<index + 1, scratch: &scratch) { Array($0) }
  }

  private func randomCenters(_ data: FeatureMatrix, _ random: inout SplitMix64) -> [Float] {
    var indices = Array(0..<data.count)
    // A partial Fisher–Yates: the first k entries become a uniform sample.
    for i in 0..<k { indices.swapAt(i, i + random.next(below: data.count - i)) }
    return indices[0..<k].flatMap { row(data, $0) }
  }

  private func plusPlusCenters(_ data: FeatureMatrix, blocks: DistanceBlocks, _ random: inout SplitMix64) -> [Float] {
    let n = data.count
    let candidatesPerStep = 2 + Int(log(Double(k)))
    var centers = row(data, random.next(below: n))
    var closest = [Float](repeating: 0, count: n)
    closest.withUnsafeMutableBufferPointer { closest in
      blocks.forEachBlock(centers: centers, k: 1) { _, rows, _, distances in
        for r in 0..<rows.count { closest[rows.lowerBound + r] = distances[r] }
      }
    }
    var cumulative = [Double](repeating: 0, count: n)
    for _ in 1..<k {
      // Candidates drawn with probability proportional to their squared distance.
      var running = 0.0
      for i in 0..<n {
        running += Double(closest[i])
        cumulative[i] = running
      }
      let candidates: [Int] = (0..<candidatesPerStep).map { _ in
        guard running > 0 else { return random.next(below: n) }
        let target = Double(random.nextUnitFloat()) * running
        var low = 0
        var high = n - 1
        while low < high {
          let middle = (low + high) / 2
          if cumulative[middle] <= target { low = middle + 1 } else { high = middle }
        }
        return low
      }
      let candidateRows = candidates.flatMap { row(data, $0) }
      let m = candidates.count
      var candidateDistances = [Float](repeating: 0, count: n * m)
      // Each worker sums the potentials of its own blocks.
      var potentials = [[Double]](repeating: [Double](repeating: 0, count: m), count: blocks.workers)
      potentials.withUnsafeMutableBufferPointer { potentials in
        candidateDistances.withUnsafeMutableBufferPointer { candidateDistances in
          closest.withUnsafeBufferPointer { closest in
            blocks.forEachBlock(centers: candidateRows, k: m) { worker, rows, _, distances in
              var sums = [Double](repeating: 0, count: m)
              for r in 0..<rows.count {
                let i = rows.lowerBound + r
                for c in 0..<m {
                  let value = min(closest[i], distances[r * m + c])
                  candidateDistances[i * m + c] = value
                  sums[c] += Double(value)
                }
              }
              for c in 0..<m { potentials[worker][c] += sums[c] }
            }
          }
        }
      }
      let newPotentials = (0..<m).map { c in potentials.reduce(0) { $0 + $1[c] } }
      let best = newPotentials.indices.min { newPotentials[$0] < newPotentials[$1] }!
      for i in 0..<n { closest[i] = candidateDistances[i * m + best] }
      centers += row(data, candidates[best])
    }
    return centers
  }
}
