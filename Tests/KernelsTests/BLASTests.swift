import Testing

@testable import Kernels

/// BLAS.sgemm (OpenBLAS) against the naive triple loop, for every transpose combination.
@Suite struct BLASTests {
  /// Deterministic values in [-1, 1).
  func values(_ count: Int, seed: UInt64) -> [Float] {
    var state = seed
    return (0..<count).map { _ in
      state = state &* 6364136223846793005 &+ 1442695040888963407
      return Float(Int64(bitPattern: state) >> 40) / Float(1 << 23)
    }
  }

  @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
  func sgemmMatchesNaive(transposeA: Bool, transposeB: Bool) {
    let (m, n, k) = (7, 13, 29)
    let a = values(m * k, seed: 1)
    let b = values(k * n, seed: 2)
    let start = values(m * n, seed: 3)
    var fast = start
    var naive = start
    BLAS.sgemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: 0.5, a, b, beta: 2, &fast)
    BLAS.sgemmNaive(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: 0.5, a, b, beta: 2, &naive)
    let difference = zip(fast, naive).map { abs($0 - $1) }.max()!
    #expect(difference < 1e-5, "max |sgemm − naive| = \(difference)")
  }

  @Test func sgemmKnownAnswer() {
    // [1 2; 3 4] · [5 6; 7 8] = [19 22; 43 50]
    var c = [Float](repeating: 0, count: 4)
    BLAS.sgemm(m: 2, n: 2, k: 2, [1, 2, 3, 4], [5, 6, 7, 8], &c)
    #expect(c == [19, 22, 43, 50])
  }
}
