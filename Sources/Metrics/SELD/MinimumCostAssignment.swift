/// Minimum-total-cost assignment of a small rectangular cost matrix (the Hungarian method).
///
/// The role of `scipy.optimize.linear_sum_assignment` in the DCASE metrics: with `rows ≤
/// columns` every row gets a distinct column; otherwise every column gets a distinct row. This
/// is the shortest-augmenting-path form with potentials, O(n²·m). Buffers are kept between
/// calls. When several assignments have the same minimum cost, the one chosen may differ from
/// SciPy's.
struct MinimumCostAssignment: Sendable {
  private var rowPotential: [Double] = []
  private var columnPotential: [Double] = []
  private var rowOfColumn: [Int] = []
  private var way: [Int] = []
  private var slack: [Double] = []
  private var used: [Bool] = []
  /// The result: for each row, its column or -1.
  private(set) var columnOfRow: [Int] = []

  /// Solves for `cost[row * columnCount + column]`; read the answer from `columnOfRow`.
  mutating func solve(cost: UnsafeBufferPointer<Double>, rowCount: Int, columnCount: Int) {
    columnOfRow.removeAll(keepingCapacity: true)
    columnOfRow.append(contentsOf: repeatElement(-1, count: rowCount))
    if rowCount == 0 || columnCount == 0 { return }
    if rowCount == 1 {
      var best = 0
      for column in 1..<columnCount where cost[column] < cost[best] { best = column }
      columnOfRow[0] = best
      return
    }
    if columnCount == 1 {
      var best = 0
      for row in 1..<rowCount where cost[row] < cost[best * columnCount] { best = row }
      columnOfRow[best] = 0
      return
    }
    let transposed = rowCount > columnCount
    let n = transposed ? columnCount : rowCount  // rows of the working problem (n ≤ m)
    let m = transposed ? rowCount : columnCount
    func a(_ i: Int, _ j: Int) -> Double {  // 1-based working indices
      transposed ? cost[(j - 1) * columnCount + (i - 1)] : cost[(i - 1) * columnCount + (j - 1)]
    }
    Self.reset(&rowPotential, n + 1, 0.0)
    Self.reset(&columnPotential, m + 1, 0.0)
    Self.reset(&rowOfColumn, m + 1, 0)
    Self.reset(&way, m + 1, 0)
    for i in 1...n {
      rowOfColumn[0] = i
      var j0 = 0
      Self.reset(&slack, m + 1, Double.infinity)
      Self.reset(&used, m + 1, false)
      repeat {
        used[j0] = true
        let i0 = rowOfColumn[j0]
        var delta = Double.infinity
        var j1 = 0
        for j in 1...m where !used[j] {
          let reduced = a(i0, j) - rowPotential[i0] - columnPotential[j]
          if reduced < slack[j] {
            slack[j] = reduced
            way[j] = j0
          }
          if slack[j] < delta {
            delta = slack[j]
            j1 = j
          }
        }
        for j in 0...m {
          if used[j] {
            rowPotential[rowOfColumn[j]] += delta
            columnPotential[j] -= delta
          } else {
            slack[j] -= delta
          }
        }
        j0 = j1
      } while rowOfColumn[j0] != 0
      repeat {
        let j1 = way[j0]
        rowOfColumn[j0] = rowOfColumn[j1]
        j0 = j1
      } while j0 != 0
    }
    for j in 1...m where rowOfColumn[j] != 0 {
      let i = rowOfColumn[j]
      if transposed {
        columnOfRow[j - 1] = i - 1
      } else {
        columnOfRow[i - 1] = j - 1
      }
    }
  }

  private static func reset<T>(_ array: inout [T], _ count: Int, _ value: T) {
    array.removeAll(keepingCapacity: true)
    array.append(contentsOf: repeatElement(value, count: count))
  }
}
