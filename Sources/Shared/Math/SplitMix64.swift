import Foundation

/// A small, fast, seedable random number generator (Steele, Lea & Flood, "Fast Splittable
/// Pseudorandom Number Generators", 2014). Every tool's `--seed` feeds one of these, so a
/// run is reproducible on any machine.
public struct SplitMix64: RandomNumberGenerator, Sendable {
  public var state: UInt64

  public init(seed: UInt64) {
    state = seed
  }

  @inlinable
  public mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}

extension SplitMix64 {
  /// A uniform integer in 0..<bound, without modulo bias (Lemire, "Fast Random Integer
  /// Generation in an Interval", 2019). Written out rather than taken from the standard
  /// library so that sequences stay the same across Swift versions.
  @inlinable
  public mutating func next(below bound: Int) -> Int {
    precondition(bound > 0, "bound must be positive")
    let range = UInt64(bound)
    var product = next().multipliedFullWidth(by: range)
    if product.low < range {
      let threshold = (0 &- range) % range
      while product.low < threshold { product = next().multipliedFullWidth(by: range) }
    }
    return Int(product.high)
  }

  /// A uniform Float in [0, 1) from the top 24 bits.
  @inlinable
  public mutating func nextUnitFloat() -> Float {
    Float(next() >> 40) * 0x1p-24
  }

  /// A uniform Double in [0, 1) from the top 53 bits.
  @inlinable
  public mutating func nextUnitDouble() -> Double {
    Double(next() >> 11) * 0x1p-53
  }

  /// A standard normal Double, by Box–Muller (the pair's second value is dropped).
  public mutating func nextNormal() -> Double {
    let radius = (-2 * log(1 - nextUnitDouble())).squareRoot()
    return radius * cos(2 * Double.pi * nextUnitDouble())
  }

  /// A uniform Double in [lower, upper).
  @inlinable
  public mutating func next(in lower: Double, _ upper: Double) -> Double {
    lower + (upper - lower) * nextUnitDouble()
  }

  /// A generator for one item of a reproducible family, e.g. (seed, epoch, record, view):
  /// the parts are mixed by SplitMix64's finaliser, so neighbouring items get unrelated
  /// sequences, and each item's sequence does not depend on which others were drawn.
  public init(seed: UInt64, _ a: UInt64, _ b: UInt64 = 0, _ c: UInt64 = 0) {
    func mix(_ state: UInt64, _ part: UInt64) -> UInt64 {
      var mixer = SplitMix64(seed: state ^ part &* 0xD1B5_4A32_D192_ED03)
      return mixer.next()
    }
    self.init(seed: mix(mix(mix(seed, a), b), c))
  }

  /// Shuffles `values` in place by Fisher–Yates.
  public mutating func shuffle<T>(_ values: inout [T]) {
    guard values.count > 1 else { return }
    for i in stride(from: values.count - 1, to: 0, by: -1) {
      values.swapAt(i, next(below: i + 1))
    }
  }
}
