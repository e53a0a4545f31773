internal import COpenBLAS
import Foundation

#if canImport(Glibc)
  import Glibc
#endif

extension BLAS {
  /// Calls `body` once per block of `0..<rows` (at most `parts` contiguous blocks) on parallel
  /// threads, with OpenBLAS single-threaded for the duration, so that each block's BLAS calls run
  /// on the thread that makes them.
  ///
  /// For many small dependent products (one per time step of an RNN) this beats letting OpenBLAS
  /// split each call: its worker threads are woken and put back to sleep (they spin in
  /// `sched_yield` between calls) a hundred times per sequence, and compete with the
  /// elementwise work between the products. Independent rows need no synchronisation at all.
  /// With one part (or one row) `body` runs once on the calling thread with OpenBLAS unchanged,
  /// and so does a call from inside another partition's body.
  ///
  /// The thread count is process-wide in OpenBLAS 0.3.21 (there is no per-call setting), and a
  /// product can round differently on one thread than on two (85×192·192×64 differed by 3e-6).
  /// So that no other thread's product silently runs single-threaded, and a run stays
  /// reproducible whatever else the process does, the partitions hold the BLAS gate exclusively:
  /// products on other threads wait until they are done, and they wait for those in flight.
  /// `body` must only write state that belongs to its rows.
  public static func forEachPartition(
    rows: Int, parts: Int,
    _ body: (Range<Int>) -> Void
  ) {
    let workers = min(rows, parts)
    guard workers > 1, !PartitionGate.shared.isInsidePartition else {
      body(0..<rows)
      return
    }
    PartitionGate.shared.exclusively {
      let saved = openblas_get_num_threads()
      openblas_set_num_threads(1)
      defer { openblas_set_num_threads(saved) }
      withoutActuallyEscaping(body) { escapable in
        let shared = SendableBody(body: escapable)
        DispatchQueue.concurrentPerform(iterations: workers) { w in
          PartitionGate.shared.markInsidePartition(true)
          defer { PartitionGate.shared.markInsidePartition(false) }
          shared.body((rows * w / workers)..<(rows * (w + 1) / workers))
        }
      }
    }
  }

  /// The OpenBLAS thread count that products outside partitions run with, read under the gate
  /// (a bare `threadCount` read can see the 1 that a partition on another thread set for its
  /// duration); inside a partition's body, that partition's 1.
  public static var sharedThreadCount: Int { gated { threadCount } }

  /// Runs one BLAS call under the partition gate: shared with other calls, excluded while a
  /// partition runs elsewhere (calls from inside a partition's body go straight through).
  @inline(__always)
  static func gated<R>(_ call: () -> R) -> R {
    let gate = PartitionGate.shared
    if gate.isInsidePartition { return call() }
    gate.enterShared()
    defer { gate.leaveShared() }
    return call()
  }
}

/// A readers–writer lock around OpenBLAS's process-wide thread count (see
/// ``BLAS/forEachPartition(rows:parts:_:)``), plus a per-thread flag marking partition bodies.
private final class PartitionGate: @unchecked Sendable {
  static let shared = PartitionGate()

  private let lock: UnsafeMutablePointer<pthread_rwlock_t>
  private var key = pthread_key_t()

  private init() {
    lock = .allocate(capacity: 1)
    lock.initialize(to: pthread_rwlock_t())
    // Writers first: glibc's default prefers readers, so products issued back to back from
    // several threads could keep a partition waiting indefinitely. (A thread never takes the
    // shared side twice, which writer preference would deadlock.) The setting is a GNU
    // extension, looked up at run time: `Glibc` does not export it.
    var attributes = pthread_rwlockattr_t()
    pthread_rwlockattr_init(&attributes)
    typealias SetKind = @convention(c) (UnsafeMutablePointer<pthread_rwlockattr_t>, Int32) -> Int32
    if let symbol = dlsym(nil, "pthread_rwlockattr_setkind_np") {
      _ = unsafeBitCast(symbol, to: SetKind.self)(&attributes, 2)  // PREFER_WRITER_NONRECURSIVE_NP
    }
    pthread_rwlock_init(lock, &attributes)
    pthread_rwlockattr_destroy(&attributes)
    pthread_key_create(&key, nil)
  }

  var isInsidePartition: Bool { pthread_getspecific(key) != nil }

  func markInsidePartition(_ inside: Bool) {
    pthread_setspecific(key, inside ? UnsafeRawPointer(bitPattern: 1) : nil)
  }

  func enterShared() { pthread_rwlock_rdlock(lock) }
  func leaveShared() { pthread_rwlock_unlock(lock) }

  func exclusively(_ body: () -> Void) {
    pthread_rwlock_wrlock(lock)
    defer { pthread_rwlock_unlock(lock) }
    body()
  }
}

/// A closure handed to parallel workers that touch disjoint rows.
private struct SendableBody: @unchecked Sendable {
  let body: (Range<Int>) -> Void
}
