import Foundation
import Testing

@testable import Shared
@testable import cluster

/// Hamerly's bounds change how much is computed, never the result: the same iterations,
/// assignments and centres as plain Lloyd, on overlapping clusters that take many
/// iterations, for u8 pixels (read as bytes) and for floats.
@Suite struct KMeansBoundsTests {
  static let n = 1500

  /// Uniform integers in 0...255 in 12-D, as bytes or floats.
  func uniformData(bytes: Bool) throws -> FeatureMatrix {
    var random = SplitMix64(seed: 5)
    let d = 12
    let values = (0..<Self.n * d).map { _ in (255 * random.nextUnitFloat()).rounded() }
    var schema = StreamSchema(elementType: bytes ? .u8 : .f32, layout: .vector, dims: [d])
    if bytes { schema.metadata.range = 0...255 }
    var batch = RecordBatch(schema: schema)
    for i in 0..<Self.n {
      let row = Array(values[i * d..<(i + 1) * d])
      if bytes {
        row.map { UInt8($0) }.withUnsafeBytes { batch.append(id: Int64(i), label: -1, payload: $0) }
      } else {
        row.withUnsafeBytes { batch.append(id: Int64(i), label: -1, payload: $0) }
      }
    }
    return try FeatureMatrix(schema: schema, records: batch, name: "test")
  }

  @Test(arguments: [true, false], [UInt64(0), 1, 2])
  func boundsGiveLloydsResult(bytes: Bool, seed: UInt64) throws {
    let data = try uniformData(bytes: bytes)
    let blocks = DistanceBlocks(data, threads: 2)
    var plain = KMeans(k: 8, tolerance: 0)
    plain.usesBounds = false
    var bounded = plain
    bounded.usesBounds = true
    let expected = plain.fit(data, blocks: blocks, seed: seed)
    let result = bounded.fit(data, blocks: blocks, seed: seed)
    #expect(expected.iterations > 5, "too easy a case to test the bounds: \(expected.iterations) iterations")
    #expect(result.iterations == expected.iterations)
    #expect(result.assignments == expected.assignments)
    let difference = zip(result.centers, expected.centers).map { abs($0 - $1) }.max()!
    #expect(difference <= 1e-6, "max centre difference \(difference)")
    #expect(abs(result.inertia - expected.inertia) <= 1e-6 * expected.inertia)
  }
}
