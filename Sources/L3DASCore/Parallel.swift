import Foundation

/// Collects one result per index from work run with `DispatchQueue.concurrentPerform`, or the
/// error of the lowest failing index (so the reported failure does not depend on scheduling).
///
/// ```swift
/// let results = IndexedResults<Score>(count: items.count)
/// DispatchQueue.concurrentPerform(iterations: items.count) { i in results.record(i) { try score(items[i]) } }
/// let scores = try results.values()
/// ```
public final class IndexedResults<Value>: @unchecked Sendable {
  private let lock = NSLock()
  private var slots: [Value?]
  private var failure: (index: Int, error: any Error)?

  /// Prepares `count` empty slots.
  public init(count: Int) { slots = Array(repeating: nil, count: count) }

  /// Runs `body` and stores its value (or its error) for `index`.
  public func record(_ index: Int, _ body: () throws -> Value) {
    do {
      let value = try body()
      lock.withLock { slots[index] = value }
    } catch {
      lock.withLock {
        if let existing = failure, existing.index < index { return }
        failure = (index, error)
      }
    }
  }

  /// The values in index order.
  /// - Throws: the error recorded for the lowest index, if any.
  public func values() throws -> [Value] {
    if let failure { throw failure.error }
    let values = slots.compactMap { $0 }
    precondition(values.count == slots.count, "a parallel item finished without a result or an error")
    return values
  }
}

/// Counts finished units of concurrent work and forwards each count to a `ProgressReporter`.
public final class ConcurrentProgress: @unchecked Sendable {
  private let lock = NSLock()
  private var completed = 0
  private let total: Int
  private let reporter: any ProgressReporter

  /// Reports to `reporter` out of `total` units.
  public init(total: Int, reporter: any ProgressReporter) {
    self.total = total
    self.reporter = reporter
  }

  /// Marks one more unit done.
  public func advance(label: String) {
    let done = lock.withLock {
      completed += 1
      return completed
    }
    reporter.report(completed: done, total: total, label: label)
  }
}

/// Hands out the indices `0, 1, 2, …` to concurrent workers, each index once, so a fixed set
/// of workers can pull items until none are left.
public final class NextIndex: @unchecked Sendable {
  private let lock = NSLock()
  private var value = 0

  /// Starts at index 0.
  public init() {}

  /// The next index, or `nil` once `limit` is reached.
  public func take(below limit: Int) -> Int? {
    lock.withLock {
      guard value < limit else { return nil }
      defer { value += 1 }
      return value
    }
  }
}
