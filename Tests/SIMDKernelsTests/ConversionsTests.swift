import Testing

@testable import SIMDKernels

/// Conversions, both compiled versions, against values worked out directly, at lengths
/// that leave a remainder after the vector loop.
@Suite struct ConversionsTests {
  @Test(arguments: InstructionSet.available)
  func widenScalesEachType(instructions: InstructionSet) {
    let bytes: [UInt8] = (0..<37).map { UInt8($0 * 7) }
    var out = [Float](repeating: .nan, count: bytes.count)
    Conversions.widen(bytes, count: bytes.count, scale: 0.5, into: &out, using: instructions)
    #expect(out == bytes.map { Float($0) * 0.5 })
    let halves: [Float16] = (0..<37).map { Float16($0) / 4 }
    Conversions.widen(halves, count: halves.count, scale: 2, into: &out, using: instructions)
    #expect(out == halves.map { Float($0) * 2 })
  }

  @Test(arguments: InstructionSet.available)
  func squareSquares(instructions: InstructionSet) {
    let floats: [Float] = (0..<21).map { Float($0) - 10.5 }
    var out = [Float](repeating: .nan, count: floats.count)
    Conversions.square(floats, count: floats.count, into: &out, using: instructions)
    #expect(out == floats.map { $0 * $0 })
  }

  @Test(arguments: InstructionSet.available)
  func addRowsSumsByGroup(instructions: InstructionSet) {
    // Rows 0 and 2 go to group 1, row 1 to group 0; d = 19 leaves a remainder.
    let d = 19
    let bytes: [UInt8] = (0..<3 * d).map { UInt8($0) }
    let groups: [Int32] = [1, 0, 1]
    var sums = [Float](repeating: 1, count: 2 * d)
    Conversions.addRows(bytes, rows: 3, dimension: d, groups: groups, into: &sums, using: instructions)
    let expected = (0..<d).map { Float(1 + d + $0) } + (0..<d).map { Float(1 + $0 + 2 * d + $0) }
    #expect(sums == expected)
    var floatSums = [Float](repeating: 1, count: 2 * d)
    Conversions.addRows(bytes.map(Float.init), rows: 3, dimension: d, groups: groups, into: &floatSums, using: instructions)
    #expect(floatSums == expected)
  }
}
