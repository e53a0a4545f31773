/// Minimum-total-cost assignment of a small rectangular cost matrix, choosing among equal-cost
/// assignments exactly as SciPy's `linear_sum_assignment` does.
///
/// The role of `scipy.optimize.linear_sum_assignment` in the DCASE metrics: with `rows ≤
/// columns` every row gets a distinct column; otherwise every column gets a distinct row. When
/// several assignments reach the minimum total (three references and two predictions at equal
/// total distance, symmetric positions, identical rows), which one is returned decides which
/// reference track receives which distance, and so TP, LE and LR. This is therefore not just any
/// Hungarian method but the shortest-augmenting-path method of D. F. Crouse, "On implementing 2D
/// rectangular assignment algorithms", IEEE Trans. Aerosp. Electron. Syst. 52(4), 2016,
/// pp. 1685–1686, with the choices SciPy's implementation makes
/// (`scipy/optimize/rectangular_lsap/rectangular_lsap.cpp`, SciPy ≥ 1.9), all of which decide
/// ties:
/// - a tall matrix (more rows than columns) is solved transposed;
/// - rows are added one at a time, in order; each addition searches a shortest augmenting path
///   from the new row, keeping the columns not yet reached in a list that starts in
///   **descending** order and from which a reached column is removed by moving the list's
///   last entry into its place;
/// - in each step of the search the column with the lowest path cost is taken, the later one in
///   the list on equal cost only if it is unassigned (a free column ends the search at once);
/// - the reduced cost is formed as `((pathCost + cost) − u[row]) − v[column]` and the duals are
///   updated as SciPy updates them, so every comparison sees the same doubles.
///
/// SciPy < 1.9 first subtracted the matrix's minimum from every entry, which can change the
/// rounding of those sums and so, rarely, which of two equal-cost assignments is found. Tested
/// against SciPy 1.10.1 on 480 matrices full of ties (`Fixtures/lsap.json`).
///
/// - Complexity: O(n² · m) for an n × m problem with n ≤ m; buffers are kept between calls.
struct MinimumCostAssignment: Sendable {
  private var transposed: [Double] = []
  private var rowDual: [Double] = []
  private var columnDual: [Double] = []
  private var pathCost: [Double] = []
  private var previousRow: [Int] = []
  private var columnOfWorkingRow: [Int] = []
  private var rowOfColumn: [Int] = []
  private var rowReached: [Bool] = []
  private var columnReached: [Bool] = []
  private var remaining: [Int] = []
  /// The result: for each row, its column or -1.
  private(set) var columnOfRow: [Int] = []

  /// Solves for `cost[row * columnCount + column]`; read the answer from `columnOfRow`.
  ///
  /// - Precondition: every cost is finite (distances always are).
  mutating func solve(cost: UnsafeBufferPointer<Double>, rowCount: Int, columnCount: Int) {
    precondition(cost.count >= rowCount * columnCount, "the cost matrix is too small")
    Self.reset(&columnOfRow, rowCount, -1)
    if rowCount == 0 || columnCount == 0 { return }
    // Tall matrices are solved transposed.
    let transpose = columnCount < rowCount
    let (n, m) = transpose ? (columnCount, rowCount) : (rowCount, columnCount)
    if transpose {
      Self.reset(&transposed, n * m, 0)
      for i in 0..<rowCount {
        for j in 0..<columnCount { transposed[j * rowCount + i] = cost[i * columnCount + j] }
      }
      transposed.withUnsafeBufferPointer { solveWide($0, n: n, m: m) }
    } else {
      solveWide(UnsafeBufferPointer(rebasing: cost[0..<(n * m)]), n: n, m: m)
    }
    for i in 0..<n {
      let j = columnOfWorkingRow[i]
      if transpose { columnOfRow[j] = i } else { columnOfRow[i] = j }
    }
  }

  /// Solves an n × m problem with n ≤ m; fills `columnOfWorkingRow`.
  private mutating func solveWide(_ cost: UnsafeBufferPointer<Double>, n: Int, m: Int) {
    precondition(cost.allSatisfy(\.isFinite), "assignment costs must be finite")
    Self.reset(&rowDual, n, 0)
    Self.reset(&columnDual, m, 0)
    Self.reset(&pathCost, m, 0)
    Self.reset(&previousRow, m, -1)
    Self.reset(&columnOfWorkingRow, n, -1)
    Self.reset(&rowOfColumn, m, -1)
    Self.reset(&rowReached, n, false)
    Self.reset(&columnReached, m, false)
    Self.reset(&remaining, m, 0)
    for currentRow in 0..<n {
      let (sink, minimum) = shortestAugmentingPath(cost, from: currentRow, n: n, m: m)
      // Update the duals.
      rowDual[currentRow] += minimum
      for i in 0..<n where rowReached[i] && i != currentRow {
        rowDual[i] += minimum - pathCost[columnOfWorkingRow[i]]
      }
      for j in 0..<m where columnReached[j] {
        columnDual[j] -= minimum - pathCost[j]
      }
      // Augment along the path back to the current row.
      var j = sink
      while true {
        let i = previousRow[j]
        rowOfColumn[j] = i
        swap(&columnOfWorkingRow[i], &j)
        if i == currentRow { break }
      }
    }
  }

  /// The shortest augmenting path from `row`: its free end column and its length.
  private mutating func shortestAugmentingPath(
    _ cost: UnsafeBufferPointer<Double>, from row: Int, n: Int, m: Int
  ) -> (sink: Int, length: Double) {
    var minimum = 0.0
    var remainingCount = m
    for k in 0..<m { remaining[k] = m - k - 1 }
    for i in 0..<n { rowReached[i] = false }
    for j in 0..<m {
      columnReached[j] = false
      pathCost[j] = .infinity
    }
    var i = row
    while true {
      var index = -1
      var lowest = Double.infinity
      rowReached[i] = true
      for k in 0..<remainingCount {
        let j = remaining[k]
        let reduced = minimum + cost[i * m + j] - rowDual[i] - columnDual[j]
        if reduced < pathCost[j] {
          previousRow[j] = i
          pathCost[j] = reduced
        }
        // On equal cost prefer a free column: it ends the search.
        if pathCost[j] < lowest || (pathCost[j] == lowest && rowOfColumn[j] == -1) {
          lowest = pathCost[j]
          index = k
        }
      }
      minimum = lowest
      let j = remaining[index]
      columnReached[j] = true
      remainingCount -= 1
      remaining[index] = remaining[remainingCount]
      if rowOfColumn[j] == -1 { return (j, minimum) }
      i = rowOfColumn[j]
    }
  }

  private static func reset<T>(_ array: inout [T], _ count: Int, _ value: T) {
    array.removeAll(keepingCapacity: true)
    array.append(contentsOf: repeatElement(value, count: count))
  }
}
