import Shared
import Testing

@testable import score

/// The Hungarian algorithm on cost matrices solved by hand, and against trying every
/// matching on random ones, square and rectangular.
@Suite struct HungarianTests {
  func total(_ cost: [Double], columns: Int, _ assignment: [Int]) -> Double {
    assignment.enumerated().reduce(0) { $0 + ($1.element >= 0 ? cost[$1.offset * columns + $1.element] : 0) }
  }

  @Test func scipyDocumentationExample() {
    // scipy.optimize.linear_sum_assignment's example: rows 0, 1, 2 → columns 1, 0, 2, cost 5.
    let cost: [Double] = [4, 1, 3, 2, 0, 5, 3, 2, 2]
    #expect(Hungarian.minimumCostAssignment(cost, rows: 3, columns: 3) == [1, 0, 2])
  }

  @Test func wideAndTallByHand() {
    // Two rows, three columns. The pairs cost: (c0,c1) 1+4, (c1,c0) 2+2, (c0,c2) 1+6,
    // (c2,c0) 3+2, (c1,c2) 2+6, (c2,c1) 3+4; the best is row 0 → column 1, row 1 → column 0.
    let wide: [Double] = [1, 2, 3, 2, 4, 6]
    #expect(Hungarian.minimumCostAssignment(wide, rows: 2, columns: 3) == [1, 0])
    // Its transpose: three rows, two columns; row 2 is left over.
    let tall: [Double] = [1, 2, 2, 4, 3, 6]
    #expect(Hungarian.minimumCostAssignment(tall, rows: 3, columns: 2) == [1, 0, -1])
  }

  @Test func maximumWeightOnAContingencyTable() {
    // Counts of 3 labels × 4 clusters: the largest one-to-one total is 50 + 40 + 30 = 120
    // (label 0 → cluster 2, 1 → 0, 2 → 3), although label 0's largest count is in cluster 0.
    let counts: [Double] = [
      45, 0, 50, 0,
      40, 5, 0, 0,
      0, 10, 0, 30,
    ]
    #expect(Hungarian.maximumWeightAssignment(counts, rows: 3, columns: 4) == [2, 0, 3])
  }

  @Test func degenerateShapes() {
    #expect(Hungarian.minimumCostAssignment([], rows: 0, columns: 3) == [])
    #expect(Hungarian.minimumCostAssignment([], rows: 2, columns: 0) == [-1, -1])
    #expect(Hungarian.minimumCostAssignment([7], rows: 1, columns: 1) == [0])
    #expect(Hungarian.minimumCostAssignment([5, -3, 2], rows: 1, columns: 3) == [1])
    #expect(Hungarian.minimumCostAssignment([5, -3, 2], rows: 3, columns: 1) == [-1, 0, -1])
  }

  @Test(arguments: [(1, 1), (2, 2), (3, 3), (5, 5), (6, 6), (2, 5), (5, 2), (3, 7), (7, 3), (4, 6), (6, 4)])
  func matchesBruteForce(rows: Int, columns: Int) {
    var generator = SplitMix64(seed: UInt64(rows * 100 + columns))
    for trial in 0..<20 {
      // Small integers make ties common; half the trials use real values.
      let cost: [Double] = (0..<rows * columns).map { _ in
        trial % 2 == 0 ? Double(generator.next(below: 5)) : Double(generator.nextFloat()) * 100 - 30
      }
      let fast = Hungarian.minimumCostAssignment(cost, rows: rows, columns: columns)
      let oracle = Hungarian.bruteForceAssignment(cost, rows: rows, columns: columns)
      #expect(abs(total(cost, columns: columns, fast) - oracle.cost) < 1e-9, "\(rows)×\(columns) trial \(trial): \(fast) vs \(oracle.assignment)")
      // Every row matched while columns last, each column at most once.
      let matched = fast.filter { $0 >= 0 }
      #expect(matched.count == min(rows, columns) && Set(matched).count == matched.count)
    }
  }

  @Test func paddingToSquareGivesTheSameMatching() {
    // The rectangular solver against the textbook recipe: pad with zero rows to square.
    var generator = SplitMix64(seed: 11)
    let (rows, columns) = (4, 7)
    let cost = (0..<rows * columns).map { _ in Double(generator.next(below: 50)) }
    let padded = cost + [Double](repeating: 0, count: (columns - rows) * columns)
    let square = Hungarian.minimumCostAssignment(padded, rows: columns, columns: columns)
    let rectangular = Hungarian.minimumCostAssignment(cost, rows: rows, columns: columns)
    #expect(total(cost, columns: columns, rectangular) == total(cost, columns: columns, Array(square[..<rows])))
  }

  @Test func largeProblemStaysQuick() {
    // 200 labels × 1000 clusters: O(r²·c) = 4·10⁷ steps.
    var generator = SplitMix64(seed: 3)
    let (rows, columns) = (200, 1000)
    let cost = (0..<rows * columns).map { _ in Double(generator.next(below: 1000)) }
    let assignment = Hungarian.minimumCostAssignment(cost, rows: rows, columns: columns)
    #expect(Set(assignment).count == rows && !assignment.contains(-1))
  }
}
