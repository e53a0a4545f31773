internal import COpenBLAS
import Foundation
import Synchronization

extension BLAS {
  /// Calls `body` once per block of `0..<rows` (at most `parts` contiguous blocks) on parallel
  /// threads, with OpenBLAS single-threaded for the duration, so that each block's BLAS calls run
  /// on the thread that makes them.
  ///
  /// For many small dependent products (one per time step of an RNN) this beats letting OpenBLAS
  /// split each call: its worker threads are woken and put back to sleep (they spin in
  /// `sched_yield` between calls) a hundred times per sequence, and compete with the
  /// elementwise work between the products. Independent rows need no synchronisation at all.
  /// With one part (or one row) `body` runs once on the calling thread with OpenBLAS unchanged.
  ///
  /// The thread count is process-wide in OpenBLAS 0.3.21 (there is no per-call setting), so
  /// other threads' BLAS calls during `body` also run single-threaded; nested and concurrent
  /// uses are counted and the original count comes back when the last one ends.
  /// `body` must only write state that belongs to its rows.
  public static func forEachPartition(
    rows: Int, parts: Int,
    _ body: (Range<Int>) -> Void
  ) {
    let workers = min(rows, parts)
    guard workers > 1 else {
      body(0..<rows)
      return
    }
    singleThreaded {
      withoutActuallyEscaping(body) { escapable in
        let shared = SendableBody(body: escapable)
        DispatchQueue.concurrentPerform(iterations: workers) { w in
          shared.body((rows * w / workers)..<(rows * (w + 1) / workers))
        }
      }
    }
  }

  /// Runs `body` with OpenBLAS set to one thread, restoring the previous count afterwards.
  static func singleThreaded(_ body: () -> Void) {
    singleThreadedUsers.withLock { state in
      if state.count == 0 {
        state.saved = openblas_get_num_threads()
        openblas_set_num_threads(1)
      }
      state.count += 1
    }
    defer {
      singleThreadedUsers.withLock { state in
        state.count -= 1
        if state.count == 0 { openblas_set_num_threads(state.saved) }
      }
    }
    body()
  }

  private static let singleThreadedUsers = Mutex<(count: Int, saved: Int32)>((0, 1))
}

/// A closure handed to parallel workers that touch disjoint rows.
private struct SendableBody: @unchecked Sendable {
  let body: (Range<Int>) -> Void
}
