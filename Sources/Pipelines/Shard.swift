import Foundation

/// One of N deterministic parts of a run, for spreading `score`, `preprocess` and `leaderboard`
/// over several machines (`--shard K/N`, K counted from 1).
///
/// Shard K of N takes the work units at positions p (in the run's own sorted order) with
/// `p mod N = K − 1`: round-robin, so every shard gets a similar share even when the items are
/// sorted by size or kind, and the same inputs always give the same partition. `l3das merge`
/// adds the partial results back up, equal to the result of one machine.
public struct Shard: Sendable, Hashable, Codable, CustomStringConvertible {
  /// The shard's number, 1...count.
  public let index: Int
  /// How many shards the work is cut into.
  public let count: Int

  /// The whole run as one shard.
  public static let all = Shard(uncheckedIndex: 1, count: 1)

  private init(uncheckedIndex index: Int, count: Int) {
    self.index = index
    self.count = count
  }

  /// Shard `index` of `count`.
  ///
  /// - Throws: `ShardError` unless `1 ≤ index ≤ count`.
  public init(index: Int, count: Int) throws {
    guard count >= 1, index >= 1, index <= count else {
      throw ShardError("shard \(index)/\(count) does not exist: K/N needs 1 ≤ K ≤ N")
    }
    self.init(uncheckedIndex: index, count: count)
  }

  /// Parses `K/N`, e.g. `2/8`.
  ///
  /// - Throws: `ShardError` for anything else.
  public init(parsing text: String) throws {
    let parts = text.split(separator: "/", omittingEmptySubsequences: false)
    guard parts.count == 2, let k = Int(parts[0]), let n = Int(parts[1]) else {
      throw ShardError("'\(text)' is not a shard: write K/N, e.g. 2/8 for the second of eight")
    }
    try self.init(index: k, count: n)
  }

  /// `K/N`.
  public var description: String { "\(index)/\(count)" }

  /// Whether this is the whole run.
  public var isAll: Bool { count == 1 }

  /// Whether the work unit at `position` (0-based, in the run's sorted order) is this shard's.
  public func contains(position: Int) -> Bool { position % count == index - 1 }

  /// The elements of `sorted` that belong to this shard, in order.
  public func select<T>(_ sorted: [T]) -> [T] {
    sorted.enumerated().filter { contains(position: $0.offset) }.map(\.element)
  }

  private enum CodingKeys: String, CodingKey { case index, count }

  /// Decodes `{"index": K, "count": N}` and checks it.
  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    try self.init(
      index: try container.decode(Int.self, forKey: .index),
      count: try container.decode(Int.self, forKey: .count))
  }

  /// Encodes `{"index": K, "count": N}`.
  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(index, forKey: .index)
    try container.encode(count, forKey: .count)
  }
}

/// A malformed `--shard`, or partial results that do not add up to a whole run.
public struct ShardError: Error, CustomStringConvertible, Sendable {
  /// What is wrong.
  public var message: String

  /// Creates an error.
  public init(_ message: String) { self.message = message }

  /// The message.
  public var description: String { message }
}

extension Shard {
  /// Checks that `shards` are exactly 1/N … N/N once each, for one N.
  ///
  /// - Parameter names: what each shard was read from, for the messages.
  /// - Throws: `ShardError` naming duplicates, a mixed N, and every missing shard.
  public static func checkComplete(_ shards: [Shard], names: [String]) throws {
    guard let first = shards.first else { throw ShardError("no partial results to merge") }
    var seen: [Int: String] = [:]
    var problems: [String] = []
    for (shard, name) in zip(shards, names) {
      if shard.count != first.count {
        problems.append("\(name) is shard \(shard), but \(names[0]) is shard \(first): all must cut the run into the same N")
        continue
      }
      if let other = seen[shard.index] {
        problems.append("\(name) and \(other) are both shard \(shard)")
      }
      seen[shard.index] = name
    }
    if problems.isEmpty {
      let missing = (1...first.count).filter { seen[$0] == nil }
      if !missing.isEmpty {
        problems.append(
          "missing shard\(missing.count == 1 ? "" : "s") \(missing.map { "\($0)/\(first.count)" }.joined(separator: ", "))"
        )
      }
    }
    if !problems.isEmpty { throw ShardError(problems.joined(separator: "\n")) }
  }
}
