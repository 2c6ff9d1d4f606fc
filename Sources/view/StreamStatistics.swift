import Shared

/// Statistics of a whole stream, gathered batch by batch in bounded memory.
struct StreamStatistics {
  let schema: StreamSchema
  private(set) var records = 0
  private(set) var labels: [Int32: Int] = [:]
  private(set) var splits: [UInt8: Int] = [:]
  private(set) var views: [Int32: Int] = [:]
  private(set) var clusters: [Int32: Int] = [:]
  private(set) var minimum = Double.infinity
  private(set) var maximum = -Double.infinity
  /// Non-finite payload values (NaN, ±inf), which the sums leave out.
  private(set) var nonFinite = 0
  /// Per channel (images) or one entry (vectors): count, sum and sum of squares.
  private var channelCount: [Int]
  private var channelSum: [Double]
  private var channelSquares: [Double]

  init(schema: StreamSchema) {
    self.schema = schema
    let channels = schema.layout == .chw ? schema.dims[0] : 1
    channelCount = Array(repeating: 0, count: channels)
    channelSum = Array(repeating: 0, count: channels)
    channelSquares = Array(repeating: 0, count: channels)
  }

  mutating func add(_ batch: RecordBatch) {
    records += batch.count
    for label in batch.labels { labels[label, default: 0] += 1 }
    for split in batch.splits ?? [] { splits[split, default: 0] += 1 }
    for view in batch.views ?? [] { views[view, default: 0] += 1 }
    for cluster in batch.clusters ?? [] { clusters[cluster, default: 0] += 1 }
    guard schema.layout != .none else { return }
    let channels = channelCount.count
    let plane = schema.elementsPerRecord / channels
    batch.payload.withUnsafeBytes { bytes in
      for record in 0..<batch.count {
        for c in 0..<channels {
          let start = (record * channels + c) * plane
          switch schema.elementType {
          case .u8: accumulate(UnsafeBufferPointer(rebasing: bytes.bindMemory(to: UInt8.self)[start..<start + plane]), channel: c)
          case .f16: accumulate(UnsafeBufferPointer(rebasing: bytes.bindMemory(to: Float16.self)[start..<start + plane]), channel: c)
          case .f32: accumulate(UnsafeBufferPointer(rebasing: bytes.bindMemory(to: Float.self)[start..<start + plane]), channel: c)
          }
        }
      }
    }
  }

  private mutating func accumulate(_ values: UnsafeBufferPointer<UInt8>, channel: Int) {
    var sum: UInt64 = 0
    var squares: UInt64 = 0
    var low: UInt8 = .max
    var high: UInt8 = 0
    for value in values {
      sum += UInt64(value)
      squares += UInt64(value) * UInt64(value)
      low = min(low, value)
      high = max(high, value)
    }
    channelCount[channel] += values.count
    channelSum[channel] += Double(sum)
    channelSquares[channel] += Double(squares)
    if !values.isEmpty {
      minimum = min(minimum, Double(low))
      maximum = max(maximum, Double(high))
    }
  }

  private mutating func accumulate<T: BinaryFloatingPoint>(_ values: UnsafeBufferPointer<T>, channel: Int) {
    var sum = 0.0
    var squares = 0.0
    var finite = 0
    for value in values where value.isFinite {
      let x = Double(value)
      sum += x
      squares += x * x
      minimum = min(minimum, x)
      maximum = max(maximum, x)
      finite += 1
    }
    nonFinite += values.count - finite
    channelCount[channel] += finite
    channelSum[channel] += sum
    channelSquares[channel] += squares
  }

  /// Mean and standard deviation of the finite payload values, per channel and overall.
  func moments() -> (overall: (mean: Double, std: Double), channels: [(mean: Double, std: Double)])? {
    let total = channelCount.reduce(0, +)
    guard total > 0 else { return nil }
    func moment(_ count: Int, _ sum: Double, _ squares: Double) -> (mean: Double, std: Double) {
      guard count > 0 else { return (.nan, .nan) }
      let mean = sum / Double(count)
      return (mean, max(0, squares / Double(count) - mean * mean).squareRoot())
    }
    let channels = (0..<channelCount.count).map { moment(channelCount[$0], channelSum[$0], channelSquares[$0]) }
    return (moment(total, channelSum.reduce(0, +), channelSquares.reduce(0, +)), channels)
  }
}
