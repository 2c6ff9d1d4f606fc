/// eˣ in eight lanes: x = n ln 2 + r with |r| ≤ ½ ln 2, eʳ from Cephes' degree-6
/// polynomial and 2ⁿ put into the exponent bits. Relative error about 2e-7 (a float's
/// rounding); 0 below −87.3 (where a float's eˣ would be subnormal) and +∞ above 88.7 (past the
/// largest float).
/// A softmax over every (filter, position) pair of every image takes billions of
/// exponentials a pass, hence eight at a time.
@inlinable @inline(__always)
public func exponential(_ x: SIMD8<Float>) -> SIMD8<Float> {
  let low: Float = -87.3
  let high: Float = 88.72
  // Masked replacement: pointwiseMin/Max and clamped are not specialised into vector code.
  var clamped = x
  clamped.replace(with: low, where: x .< low)
  clamped.replace(with: high, where: x .> high)
  // Adding 1.5 · 2²³ rounds to an integer held in the low mantissa bits (to the nearest,
  // even on ties): n as a float and as an Int32 without a per-lane conversion.
  let magic: Float = 12_582_912
  let shifted = clamped * 1.442_695_04 + magic
  let n = shifted - magic
  // ln 2 in two parts, so that n · ln 2 is subtracted without rounding error.
  let r = clamped - n * 0.693_359_375 + n * 2.121_944_4e-4
  var p = SIMD8<Float>(repeating: 1.987_569_15e-4)
  p = p * r + 1.398_199_95e-3
  p = p * r + 8.333_451_9e-3
  p = p * r + 4.166_579_59e-2
  p = p * r + 1.666_666_55e-1
  p = p * r + 5.000_000_12e-1
  let er = p * r * r + r + 1
  // 2ⁿ as 2ᵃ · 2ⁿ⁻ᵃ with a = ⌊n/2⌋: n runs from −126 to 128, one past a normal
  // float's exponents at each end.
  let whole = unsafeBitCast(shifted, to: SIMD8<Int32>.self) &- Int32(bitPattern: magic.bitPattern)
  let half = whole &>> 1
  let first = unsafeBitCast((half &+ 127) &<< 23, to: SIMD8<Float>.self)
  let second = unsafeBitCast((whole &- half &+ 127) &<< 23, to: SIMD8<Float>.self)
  var result = er * first * second
  result.replace(with: 0, where: x .< low)
  result.replace(with: .infinity, where: x .> high)
  return result
}

/// Replaces each of `count` values by e^(value − shift) and returns their sum (in Double).
@inlinable
public func exponentiate(_ values: UnsafeMutablePointer<Float>, count: Int, shift: Float) -> Double {
  var sum = 0.0
  var lanes = SIMD8<Float>()
  var i = 0
  while i + 8 <= count {
    let e = exponential(UnsafeRawPointer(values + i).loadUnaligned(as: SIMD8<Float>.self) - shift)
    UnsafeMutableRawPointer(values + i).storeBytes(of: e, as: SIMD8<Float>.self)
    lanes += e
    i += 8
    // Float lanes hold at most 64 terms of at most 1 before they are added up in Double.
    if i % 512 == 0 {
      sum += Double(lanes.sum())
      lanes = SIMD8()
    }
  }
  sum += Double(lanes.sum())
  while i < count {
    var tail = SIMD8<Float>(repeating: -.infinity)
    let rest = min(8, count - i)
    for j in 0..<rest { tail[j] = values[i + j] - shift }
    let e = exponential(tail)
    for j in 0..<rest {
      values[i + j] = e[j]
      sum += Double(e[j])
    }
    i += rest
  }
  return sum
}
