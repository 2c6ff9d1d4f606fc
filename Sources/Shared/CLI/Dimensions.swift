/// Parses `AxBxC`-style sizes from the command line (`--size 64x64`, `--shape 3x32x32`):
/// between `allowed.lowerBound` and `allowed.upperBound` positive integers, each at most
/// the format's largest dimension, so that no product of them can overflow. Nil otherwise.
public func parseDimensions(_ text: String, allowed: ClosedRange<Int>) -> [Int]? {
  let parts = text.lowercased().split(separator: "x", omittingEmptySubsequences: false)
  guard allowed.contains(parts.count) else { return nil }
  var dims: [Int] = []
  for part in parts {
    guard let value = Int(part), (1...StreamFormat.maxDimension).contains(value) else { return nil }
    dims.append(value)
  }
  return dims
}
