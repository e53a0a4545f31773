import Foundation

/// Reusable transform plans of each size, shared by every `STFT` of the process.
///
/// A plan owns its work buffers, so one instance serves one thread at a time: a call checks a
/// plan out of the pool (planning a new one only when all plans of that size are in use) and
/// returns it afterwards. After warm-up there is one plan per size and concurrent worker, and
/// no planning at all.
final class PlanPool<Plan: AnyObject>: @unchecked Sendable {
  private let make: (Int) throws -> Plan
  private let lock = NSLock()
  private var idle: [Int: [Plan]] = [:]

  /// A pool whose plans come from `make(size)`.
  init(make: @escaping (Int) throws -> Plan) {
    self.make = make
  }

  /// Plans (once) a transform of `size`, so later `withPlan(size:_:)` calls cannot fail.
  /// - Throws: what `make` throws (a `DSPError` when FFTW cannot plan it).
  func prepare(size: Int) throws {
    let cached = lock.withLock { idle[size]?.isEmpty == false }
    if cached { return }
    let plan = try make(size)
    lock.withLock { idle[size, default: []].append(plan) }
  }

  /// Runs `body` with a plan of `size` that no other thread uses meanwhile.
  ///
  /// Precondition: `prepare(size:)` succeeded for `size`; an extra plan for a concurrent
  /// caller then only fails when memory is exhausted.
  func withPlan<R>(size: Int, _ body: (Plan) throws -> R) rethrows -> R {
    let plan: Plan
    if let cached = lock.withLock({ idle[size]?.popLast() }) {
      plan = cached
    } else {
      do {
        plan = try make(size)
      } catch {
        preconditionFailure("could not plan another transform of size \(size): \(error)")
      }
    }
    defer { lock.withLock { idle[size, default: []].append(plan) } }
    return try body(plan)
  }
}

/// Real-FFT plans (forward and inverse) for the inverse STFT.
enum STFTPlanPool {
  static let shared = PlanPool<FFTPlan> { try FFTPlan(size: $0) }
}
