import Testing

import Kernels
@testable import SIMDKernels

/// SmallProducts, both compiled versions, against the naive triple loop: sizes that leave
/// remainders in every tile (odd rows, k not a multiple of the tile width, d not a
/// multiple of the vector width) and a case worked out by hand.
@Suite struct SmallProductsTests {

  func values(_ count: Int, seed: UInt64) -> [Float] {
    var state = seed
    return (0..<count).map { _ in
      state = state &* 6364136223846793005 &+ 1442695040888963407
      return Float(Int64(bitPattern: state) >> 40) / Float(1 << 23)
    }
  }

  static let shapes: [(rows: Int, k: Int, d: Int)] = [
    (1, 1, 1), (2, 5, 8), (3, 4, 7), (7, 10, 784), (5, 11, 33), (64, 3, 17), (9, 16, 100),
  ]

  @Test(arguments: InstructionSet.available, shapes)
  func dotsMatchNaive(instructions: InstructionSet, shape: (rows: Int, k: Int, d: Int)) {
    let (rows, k, d) = shape
    let x = values(rows * d, seed: 1)
    let v = values(k * d, seed: 2)
    var fast = [Float](repeating: .nan, count: rows * k)
    var naive = [Float](repeating: 0, count: rows * k)
    SmallProducts.dots(x, rows: rows, v, count: k, dimension: d, into: &fast, using: instructions)
    BLAS.sgemmNaive(transposeB: true, m: rows, n: k, k: d, x, v, &naive)
    let difference = zip(fast, naive).map { abs($0 - $1) }.max()!
    #expect(difference <= 1e-5 * Float(d), "max |dots − naive| = \(difference)")
  }

  @Test(arguments: InstructionSet.available, shapes)
  func quadraticFormsMatchNaive(instructions: InstructionSet, shape: (rows: Int, k: Int, d: Int)) {
    let (rows, k, d) = shape
    let x = values(rows * d, seed: 3)
    let bytes = (0..<rows * d).map { UInt8(truncatingIfNeeded: $0 &* 29 &+ 3) }
    let a = values(k * d, seed: 4)
    let b = values(k * d, seed: 5)
    func naive(_ row: (Int) -> Float) -> [Float] {
      (0..<rows * k).map { i in
        let (r, c) = (i / k, i % k)
        return (0..<d).reduce(Float(0)) { sum, j in
          let value = row(r * d + j)
          return sum + value * (value * a[c * d + j] + b[c * d + j])
        }
      }
    }
    var out = [Float](repeating: .nan, count: rows * k)
    SmallProducts.quadraticForms(x, rows: rows, a, b, count: k, dimension: d, into: &out, using: instructions)
    var difference = zip(out, naive { x[$0] }).map { abs($0 - $1) }.max()!
    #expect(difference <= 1e-5 * Float(d), "max |quadraticForms − naive| = \(difference)")
    SmallProducts.quadraticForms(bytes, rows: rows, a, b, count: k, dimension: d, into: &out, using: instructions)
    // Each term is at most 255 (255 + 1) in size; rounding is relative to the terms, which
    // cancel.
    difference = zip(out, naive { Float(bytes[$0]) }).map { abs($0 - $1) }.max()!
    #expect(difference <= 1e-6 * 255 * 256 * Float(d), "max |quadraticForms(bytes) − naive| = \(difference)")
  }

  @Test(arguments: InstructionSet.available, shapes)
  func momentsMatchNaive(instructions: InstructionSet, shape: (rows: Int, k: Int, d: Int)) {
    let (rows, k, d) = shape
    let weights = values(rows * k, seed: 6)
    let x = values(rows * d, seed: 7)
    let start = values(k * d, seed: 8)
    var (first, second) = (start, start)
    SmallProducts.accumulateMoments(weights, x, rows: rows, count: k, dimension: d, first: &first, second: &second, using: instructions)
    var (expectedFirst, expectedSecond) = (start, start)
    BLAS.sgemmNaive(transposeA: true, m: k, n: d, k: rows, weights, x, beta: 1, &expectedFirst)
    BLAS.sgemmNaive(transposeA: true, m: k, n: d, k: rows, weights, x.map { $0 * $0 }, beta: 1, &expectedSecond)
    let difference = max(
      zip(first, expectedFirst).map { abs($0 - $1) }.max()!, zip(second, expectedSecond).map { abs($0 - $1) }.max()!)
    #expect(difference <= 1e-5 * Float(rows), "max |moments − naive| = \(difference)")
    // Bytes, read as they are.
    let bytes = (0..<rows * d).map { UInt8(truncatingIfNeeded: $0 &* 41 &+ 9) }
    (first, second) = (start, start)
    SmallProducts.accumulateMoments(weights, bytes, rows: rows, count: k, dimension: d, first: &first, second: &second, using: instructions)
    (expectedFirst, expectedSecond) = (start, start)
    BLAS.sgemmNaive(transposeA: true, m: k, n: d, k: rows, weights, bytes.map(Float.init), beta: 1, &expectedFirst)
    BLAS.sgemmNaive(transposeA: true, m: k, n: d, k: rows, weights, bytes.map { Float($0) * Float($0) }, beta: 1, &expectedSecond)
    let byteDifference = zip(first + second, expectedFirst + expectedSecond).map { abs($0 - $1) }.max()!
    #expect(byteDifference <= 1e-6 * 255 * 255 * Float(rows), "max |moments(bytes) − naive| = \(byteDifference)")
  }

  @Test(arguments: InstructionSet.available)
  func knownAnswer(instructions: InstructionSet) {
    // Rows (1, 2, 3) and (4, 5, 6) against vectors (1, 0, 0), (0, 1, 1), (1, 1, 1).
    var out = [Float](repeating: 0, count: 6)
    let rows: [Float] = [1, 2, 3, 4, 5, 6]
    SmallProducts.dots(rows, rows: 2, [1, 0, 0, 0, 1, 1, 1, 1, 1], count: 3, dimension: 3, into: &out, using: instructions)
    #expect(out == [1, 5, 6, 4, 11, 15])
    // Weights (1, 0) and (2, 1) on the same rows: first moments (1+8, 2+10, 3+12) and
    // (4, 5, 6), second (1+32, 4+50, 9+72) and (16, 25, 36), each added to 1s.
    var first = [Float](repeating: 1, count: 6)
    var second = [Float](repeating: 1, count: 6)
    SmallProducts.accumulateMoments([1, 0, 2, 1], rows, rows: 2, count: 2, dimension: 3, first: &first, second: &second, using: instructions)
    #expect(first == [10, 13, 16, 5, 6, 7])
    #expect(second == [34, 55, 82, 17, 26, 37])
    // x (x a + b) with a = 1, b = −2 on the row (1, 2, 3): −1 + 0 + 3 = 2.
    var forms: [Float] = [0]
    SmallProducts.quadraticForms(Array(rows[0..<3]), rows: 1, [1, 1, 1], [-2, -2, -2], count: 1, dimension: 3, into: &forms, using: instructions)
    #expect(forms == [2])
  }

  @Test(arguments: InstructionSet.available, shapes)
  func byteDotsMatchFloatDots(instructions: InstructionSet, shape: (rows: Int, k: Int, d: Int)) {
    let (rows, k, d) = shape
    let bytes = (0..<rows * d).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
    let v = values(k * d, seed: 6)
    var fromBytes = [Float](repeating: .nan, count: rows * k)
    var naive = [Float](repeating: 0, count: rows * k)
    SmallProducts.dots(bytes, rows: rows, v, count: k, dimension: d, into: &fromBytes, using: instructions)
    BLAS.sgemmNaive(transposeB: true, m: rows, n: k, k: d, bytes.map(Float.init), v, &naive)
    let difference = zip(fromBytes, naive).map { abs($0 - $1) }.max()!
    #expect(difference <= 1e-5 * 255 * Float(d), "max |byte dots − naive| = \(difference)")
  }
}

extension SmallProductsTests {
  @Test(arguments: InstructionSet.available, shapes)
  func groupDotsMatchNaive(instructions: InstructionSet, shape: (rows: Int, k: Int, d: Int)) {
    let (rows, k, d) = shape
    let x = values(rows * d, seed: 7)
    let bytes = (0..<rows * d).map { UInt8(truncatingIfNeeded: $0 &* 13 &+ 5) }
    let v = values(k * d, seed: 8)
    let groups = (0..<rows).map { Int32(($0 * 7) % k) }
    func naive(_ row: (Int) -> Float, _ r: Int) -> Float {
      (0..<d).reduce(0) { $0 + row(r * d + $1) * v[Int(groups[r]) * d + $1] }
    }
    var out = [Float](repeating: .nan, count: rows)
    SmallProducts.groupDots(x, rows: rows, v, groups: groups, dimension: d, into: &out, using: instructions)
    for r in 0..<rows { #expect(abs(out[r] - naive({ x[$0] }, r)) <= 1e-5 * Float(d)) }
    SmallProducts.groupDots(bytes, rows: rows, v, groups: groups, dimension: d, into: &out, using: instructions)
    for r in 0..<rows { #expect(abs(out[r] - naive({ Float(bytes[$0]) }, r)) <= 1e-5 * 255 * Float(d)) }
  }
}
