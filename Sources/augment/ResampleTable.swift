import Shared

/// The resampling weights (`ResampleWeights.fill`) from every box size along one axis to a
/// fixed output size, each computed the first time its size comes up: a crop draws a new
/// box for every view, but there are only as many box sizes as input pixels.
///
/// When the table for every size would pass `cacheLimit` floats, one slot is filled
/// again for each call instead.
final class ResampleTable {
  let outputSize: Int
  /// Taps allowed per output: enough for the largest box.
  let taps: Int
  /// Weights stored tap-major (tap t of every output contiguous), or output-major.
  let tapMajor: Bool
  private let slots: Int
  private let first: UnsafeMutablePointer<Int32>
  private let weights: UnsafeMutablePointer<Float>
  /// Taps used by each size's weights; 0 while not computed.
  private var used: [Int]

  static let cacheLimit = 1 << 20

  init(largestInput: Int, outputSize: Int, tapMajor: Bool) {
    self.outputSize = outputSize
    self.tapMajor = tapMajor
    taps = ResampleWeights.tapCount(outputSize: outputSize, length: Double(largestInput))
    slots = largestInput * outputSize * taps <= Self.cacheLimit ? largestInput : 1
    first = .allocate(capacity: slots * outputSize)
    weights = .allocate(capacity: slots * outputSize * taps)
    used = Array(repeating: 0, count: slots)
  }

  deinit {
    first.deallocate()
    weights.deallocate()
  }

  /// The weights from `size` input samples: `first` per output, `weights` laid out as
  /// `tapMajor` says with `taps` taps per output, of which the first `used` matter.
  func weights(from size: Int) -> (first: UnsafePointer<Int32>, weights: UnsafePointer<Float>, used: Int) {
    let slot = slots == 1 ? 0 : size - 1
    let (slotFirst, slotWeights) = (first + slot * outputSize, weights + slot * outputSize * taps)
    if used[slot] == 0 || slots == 1 {
      used[slot] = ResampleWeights.fill(
        inputSize: size, outputSize: outputSize, start: 0, length: Double(size), taps: taps, first: slotFirst,
        weights: slotWeights, outputStride: tapMajor ? 1 : taps, tapStride: tapMajor ? outputSize : 1)
    }
    return (UnsafePointer(slotFirst), UnsafePointer(slotWeights), used[slot])
  }
}
