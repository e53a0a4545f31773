import Dispatch

/// The median wall time, in seconds, of `repetitions` runs of `body` (at least one), after one
/// untimed warm-up run when `warmUp` is set.
func medianSeconds(repetitions: Int, warmUp: Bool = true, _ body: () throws -> Void) rethrows
  -> Double
{
  if warmUp { try body() }
  var times: [Double] = []
  for _ in 0..<max(1, repetitions) {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
  }
  return times.sorted()[times.count / 2]
}
