import Foundation

/// Writing results to standard output.
enum Output {
  /// Prints `value` as pretty, key-sorted JSON.
  static func printJSON(_ value: some Encodable) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    print(String(decoding: try encoder.encode(value), as: UTF8.self))
  }
}

/// A problem with the user's data (not with the arguments): printed as `Error: <message>`,
/// exit status 1. Argument problems are `ValidationError` (exit 64).
struct DataError: Error, CustomStringConvertible {
  var description: String
  init(_ description: String) { self.description = description }
}
