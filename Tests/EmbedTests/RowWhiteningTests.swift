import Foundation
import Shared
import Testing

@testable import embed

/// CALM's STL-10 preprocessing: after whitening, a plane's rows have mean 0 and identity
/// covariance, and the map is ZCA's (the symmetric C^(−½)), which is the only symmetric
/// whitening: X Yᵀ = W C^(½) must come out symmetric.
@Suite struct RowWhiteningTests {
  func plane(_ h: Int, _ w: Int, seed: UInt64) -> [Float] {
    var rng = SplitMix64(seed: seed)
    // Correlated rows: each a mix of a few shared signals plus its own noise.
    let signals = (0..<3).map { _ in (0..<w).map { _ in Float(rng.nextNormal()) } }
    return (0..<h * w).map { i in
      let (row, column) = (i / w, i % w)
      return signals[row % 3][column] * Float(row + 1) + 0.3 * Float(rng.nextNormal()) + Float(row)
    }
  }

  @Test func rowsComeOutUncorrelatedWithUnitVariance() {
    let (h, w) = (12, 40)
    let original = plane(h, w, seed: 1)
    var x = original
    RowWhitening.apply(&x, count: 1, channels: 1, height: h, width: w, threads: 1)
    var centred = original
    for i in 0..<h {
      let mean = (0..<w).reduce(0.0) { $0 + Double(original[i * w + $1]) } / Double(w)
      for j in 0..<w { centred[i * w + j] -= Float(mean) }
    }
    for i in 0..<h {
      let mean = (0..<w).reduce(0.0) { $0 + Double(x[i * w + $1]) } / Double(w)
      #expect(abs(mean) < 1e-4)
      for k in 0..<h {
        let covariance = (0..<w).reduce(0.0) { $0 + Double(x[i * w + $1]) * Double(x[k * w + $1]) } / Double(w)
        #expect(abs(covariance - (i == k ? 1 : 0)) < 2e-3, "(\(i), \(k)): \(covariance)")
        let cross = (0..<w).reduce(0.0) { $0 + Double(centred[i * w + $1]) * Double(x[k * w + $1]) }
        let transposed = (0..<w).reduce(0.0) { $0 + Double(centred[k * w + $1]) * Double(x[i * w + $1]) }
        #expect(abs(cross - transposed) < 2e-3 * max(1, abs(cross)), "(\(i), \(k))")
      }
    }
  }

  /// More rows than observations: the centred rows span 5 dimensions of 10, and the other
  /// 5 are divided by σ + 1, not blown up, so the whitened covariance's trace is the rank,
  /// 5; channels are whitened one by one.
  @Test func singularPlanesKeepOnlyTheirRank() {
    let (h, w) = (10, 6)
    var x = plane(h, w, seed: 2) + plane(h, w, seed: 3)
    RowWhitening.apply(&x, count: 1, channels: 2, height: h, width: w, threads: 2)
    #expect(x.allSatisfy { $0.isFinite })
    let trace = (0..<h * w).reduce(0.0) { $0 + Double(x[$1]) * Double(x[$1]) } / Double(w)
    #expect(abs(trace - 5) < 1e-3, "\(trace)")
    var second = plane(h, w, seed: 3)
    RowWhitening.apply(&second, count: 1, channels: 1, height: h, width: w, threads: 1)
    #expect(Array(x[(h * w)...]) == second)
  }

  /// A row that repeats another up to noise of 10⁻⁴ adds a direction of variance 10⁻⁸ of
  /// the largest: rounding as far as float sums can tell, so it is not blown up to unit
  /// variance, and the whitened rows keep the 3 directions that are really there.
  @Test func directionsAtTheRoundingLevelAreNotAmplified() {
    let (h, w) = (4, 40)
    var rng = SplitMix64(seed: 4)
    var x = (0..<3 * w).map { _ in Float(rng.nextNormal()) }
    x += (0..<w).map { x[2 * w + $0] + 1e-4 * Float(rng.nextNormal()) }
    RowWhitening.apply(&x, count: 1, channels: 1, height: h, width: w, threads: 1)
    let trace = x.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(w)
    #expect(abs(trace - 3) < 0.01, "\(trace)")
  }
}
