/// The assignment problem: match rows to columns one-to-one at the least total cost.
///
/// `minimumCostAssignment` is the Hungarian algorithm with potentials (Kuhn 1955,
/// Munkres 1957; the O(r²·c) shortest-augmenting-path form of Jonker and Volgenant) run on
/// the r ≤ c orientation of a rectangular matrix. That gives the same matching as padding
/// the matrix to square with zero rows or columns: the padding only absorbs the columns
/// (or rows) left over, and they are reported as unmatched. `bruteForceAssignment` tries
/// every matching and is the oracle the tests compare it with.
enum Hungarian {
  /// cost: (rows, columns) row-major → for each row, its column, or −1 when the row is
  /// left over (only when rows > columns). Costs must be finite.
  static func minimumCostAssignment(_ cost: [Double], rows: Int, columns: Int) -> [Int] {
    precondition(cost.count == rows * columns, "cost holds \(cost.count) values for \(rows) × \(columns)")
    precondition(cost.allSatisfy(\.isFinite), "costs must be finite")
    if rows == 0 || columns == 0 { return [Int](repeating: -1, count: rows) }
    if rows <= columns { return assignRowsToColumns(cost, rows: rows, columns: columns) }
    // More rows than columns: solve the transpose, then read the matching back.
    var transposed = [Double](repeating: 0, count: cost.count)
    for i in 0..<rows {
      for j in 0..<columns { transposed[j * rows + i] = cost[i * columns + j] }
    }
    let rowOfColumn = assignRowsToColumns(transposed, rows: columns, columns: rows)
    var columnOfRow = [Int](repeating: -1, count: rows)
    for (column, row) in rowOfColumn.enumerated() { columnOfRow[row] = column }
    return columnOfRow
  }

  /// weight: (rows, columns) row-major → for each row, its column or −1, maximising the
  /// total weight (e.g. counts of a contingency table).
  static func maximumWeightAssignment(_ weight: [Double], rows: Int, columns: Int) -> [Int] {
    minimumCostAssignment(weight.map { -$0 }, rows: rows, columns: columns)
  }

  /// The core, for rows ≤ columns: every row gets a distinct column.
  ///
  /// Rows are added one at a time; each addition finds a shortest augmenting path from the
  /// new row over reduced costs `cost[i][j] − u[i] − v[j]` (Dijkstra-like, O(r·c)), then
  /// flips the path. Index 0 of `rowOfColumn` and `way` is a virtual column holding the
  /// row being added, as in the usual 1-based formulation.
  private static func assignRowsToColumns(_ cost: [Double], rows: Int, columns: Int) -> [Int] {
    var u = [Double](repeating: 0, count: rows + 1)
    var v = [Double](repeating: 0, count: columns + 1)
    var rowOfColumn = [Int](repeating: 0, count: columns + 1)  // 1-based rows, 0 = free
    var way = [Int](repeating: 0, count: columns + 1)
    var minimum = [Double](repeating: 0, count: columns + 1)
    var used = [Bool](repeating: false, count: columns + 1)
    cost.withUnsafeBufferPointer { cost in
      for row in 1...rows {
        rowOfColumn[0] = row
        var column0 = 0
        for j in 0...columns {
          minimum[j] = .infinity
          used[j] = false
        }
        repeat {
          used[column0] = true
          let row0 = rowOfColumn[column0]
          let costRow = cost.baseAddress! + (row0 - 1) * columns - 1  // costRow[j] for j in 1...columns
          var delta = Double.infinity
          var column1 = 0
          for j in 1...columns where !used[j] {
            let reduced = costRow[j] - u[row0] - v[j]
            if reduced < minimum[j] {
              minimum[j] = reduced
              way[j] = column0
            }
            if minimum[j] < delta {
              delta = minimum[j]
              column1 = j
            }
          }
          for j in 0...columns {
            if used[j] {
              u[rowOfColumn[j]] += delta
              v[j] -= delta
            } else {
              minimum[j] -= delta
            }
          }
          column0 = column1
        } while rowOfColumn[column0] != 0
        // Flip the augmenting path back to the virtual column.
        repeat {
          let column1 = way[column0]
          rowOfColumn[column0] = rowOfColumn[column1]
          column0 = column1
        } while column0 != 0
      }
    }
    var columnOfRow = [Int](repeating: -1, count: rows)
    for j in 1...columns where rowOfColumn[j] != 0 { columnOfRow[rowOfColumn[j] - 1] = j - 1 }
    return columnOfRow
  }

  /// Every matching of min(rows, columns) pairs tried in turn: the oracle for tests
  /// (use only for small sides: max(rows, columns)! / |rows − columns|! matchings).
  static func bruteForceAssignment(_ cost: [Double], rows: Int, columns: Int) -> (assignment: [Int], cost: Double) {
    var best = [Int](repeating: -1, count: rows)
    var bestCost = Double.infinity
    var current = [Int](repeating: -1, count: rows)
    var taken = [Bool](repeating: false, count: columns)
    let pairs = min(rows, columns)
    func search(_ row: Int, _ matched: Int, _ total: Double) {
      if matched == pairs {
        if total < bestCost {
          bestCost = total
          best = current
        }
        return
      }
      guard row < rows, rows - row >= pairs - matched else { return }
      for column in 0..<columns where !taken[column] {
        taken[column] = true
        current[row] = column
        search(row + 1, matched + 1, total + cost[row * columns + column])
        taken[column] = false
        current[row] = -1
      }
      if rows - row > pairs - matched { search(row + 1, matched, total) }  // leave this row over
    }
    search(0, 0, 0)
    return (best, pairs == 0 ? 0 : bestCost)
  }
}
