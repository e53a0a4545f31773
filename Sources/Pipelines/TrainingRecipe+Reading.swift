public import Foundation
import L3DASCore
import Models

extension TrainingRecipe {
  /// Reads a recipe file strictly: every key must be one the recipe (or its model's
  /// configuration) knows, and every value of the expected type; an unknown key is an error
  /// naming the key and the nearest known one (`"leaning_rate"`: did you mean
  /// `learning_rate`?), so a typo never trains silently with a default.
  ///
  /// - Throws: `TrainingError.invalidRecipe` naming the file, the key and the expected type.
  public static func read(_ url: URL) throws -> TrainingRecipe {
    let data: Data
    do {
      data = try RegularFile.read(url, limit: 1 << 20)
    } catch let failure as RegularFile.Failure {
      throw TrainingError(.invalidRecipe, failure.description)
    }
    return try decode(data, path: url.path)
  }

  /// Parses and checks the text of a recipe (see `read(_:)`); `path` names it in errors.
  public static func decode(_ data: Data, path: String) throws -> TrainingRecipe {
    func fail(_ message: String) -> TrainingError {
      TrainingError(.invalidRecipe, "\(path): \(message)")
    }
    let object: Any
    do {
      object = try JSONSerialization.jsonObject(with: data)
    } catch {
      let reason = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? "\(error)"
      throw fail("not valid JSON (\(reason))")
    }
    guard let top = object as? [String: Any] else {
      throw fail("a recipe is a JSON object of keys such as \"model\" and \"batch_size\"")
    }
    let topKeys = CodingKeys.allCases.map(\.rawValue)
    for key in top.keys.sorted() where !topKeys.contains(key) {
      throw fail("unknown key \"\(key)\"\(Self.suggestion(for: key, among: topKeys))")
    }
    let nested: [(String, [String])] = [
      ("seldnet", SELDnetConfiguration.jsonKeys), ("mimo_unet", MIMOUNetConfiguration.jsonKeys),
      ("fasnet", FaSNetConfiguration.jsonKeys),
    ]
    for (name, keys) in nested {
      guard let value = top[name] else { continue }
      guard let inner = value as? [String: Any] else {
        throw fail("\"\(name)\" must be an object of the model's constructor arguments")
      }
      for key in inner.keys.sorted() where !keys.contains(key) {
        throw fail("unknown key \"\(name).\(key)\"\(Self.suggestion(for: key, among: keys))")
      }
    }
    // Types first, with the value found (JSONDecoder's own errors lose the key for numbers
    // that do not fit, e.g. "seed": -1).
    for (key, kind) in Self.valueKinds {
      guard let value = top[key] else { continue }
      if let problem = kind.problem(value) { throw fail("key \"\(key)\": \(problem)") }
    }
    do {
      return try JSONDecoder().decode(TrainingRecipe.self, from: data)
    } catch let error as DecodingError {
      throw fail(Self.describe(error, in: top))
    }
  }

  /// What each top-level value must be.
  enum ValueKind {
    case text, integer, wholeNumber, number, optionalNumber

    /// Why `value` is not of this kind, or `nil`.
    func problem(_ value: Any) -> String? {
      func show(_ value: Any) -> String {
        if let text = value as? String { return "\"\(text)\"" }
        if value is NSNull { return "null" }
        if value is [Any] { return "a list" }
        if value is [String: Any] { return "an object" }
        return "\(value)"
      }
      switch self {
      case .text:
        return value is String ? nil : "expected a string, found \(show(value))"
      case .integer, .wholeNumber:
        guard !(value is String), let number = value as? NSNumber else {
          return "expected \(self == .integer ? "an integer" : "a whole number ≥ 0"), found \(show(value))"
        }
        let double = number.doubleValue
        let whole = double.isFinite && double == double.rounded() && abs(double) < 9e15
        if !whole || (self == .wholeNumber && double < 0) {
          return "expected \(self == .integer ? "an integer" : "a whole number ≥ 0"), found \(number)"
        }
        return nil
      case .number, .optionalNumber:
        if self == .optionalNumber && value is NSNull { return nil }
        guard !(value is String), let number = value as? NSNumber, number.doubleValue.isFinite else {
          return "expected a number, found \(show(value))"
        }
        return nil
      }
    }
  }

  /// The kinds of the top-level values (the model configurations are checked by their own
  /// decoders).
  static let valueKinds: [(String, ValueKind)] = [
    ("model", .text), ("loss", .text), ("batch_size", .integer), ("patience", .integer),
    ("max_epochs", .integer), ("seed", .wholeNumber), ("learning_rate", .number),
    ("train_fraction", .number), ("sed_weight", .number), ("doa_weight", .number),
    ("gradient_clip", .optionalNumber),
  ]

  /// `; did you mean "x"?` for the known key nearest to `key`, if it is near enough.
  static func suggestion(for key: String, among known: [String]) -> String {
    let scored = known.map { ($0, editDistance(key, $0)) }.min { $0.1 < $1.1 }
    guard let (best, distance) = scored, distance <= max(2, key.count / 3) else {
      return "; known keys: " + known.sorted().joined(separator: ", ")
    }
    return "; did you mean \"\(best)\"?"
  }

  static func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a.lowercased()), b = Array(b.lowercased())
    var previous = Array(0...b.count)
    for i in 1...max(1, a.count) where !a.isEmpty {
      var current = [i] + Array(repeating: 0, count: b.count)
      for j in 1...max(1, b.count) where !b.isEmpty {
        current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
      }
      previous = current
    }
    return a.isEmpty ? b.count : previous[b.count]
  }

  /// A decoding error as "key x: expected …, found …".
  static func describe(_ error: DecodingError, in top: [String: Any]) -> String {
    func keyPath(_ path: [any CodingKey]) -> String {
      path.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
    }
    func found(_ path: [any CodingKey]) -> String {
      var value: Any? = top
      for key in path {
        if let index = key.intValue { value = (value as? [Any]).flatMap { index < $0.count ? $0[index] : nil } } else {
          value = (value as? [String: Any])?[key.stringValue]
        }
      }
      guard let value else { return "nothing" }
      if value is NSNull { return "null" }
      if let text = value as? String { return "\"\(text)\"" }
      return "\(value)"
    }
    func expected(_ type: Any.Type) -> String {
      switch type {
      case is Int.Type: "an integer"
      case is UInt64.Type: "a whole number ≥ 0"
      case is Double.Type, is Float.Type: "a number"
      case is String.Type: "a string"
      case is Bool.Type: "true or false"
      default: "\(type)"
      }
    }
    switch error {
    case .typeMismatch(let type, let context):
      return "key \"\(keyPath(context.codingPath))\": expected \(expected(type)), found \(found(context.codingPath))"
    case .valueNotFound(let type, let context):
      return "key \"\(keyPath(context.codingPath))\": expected \(expected(type)), found null"
    case .keyNotFound(let key, let context):
      return "missing required key \"\(keyPath(context.codingPath + [key]))\""
    case .dataCorrupted(let context):
      let path = context.codingPath
      let description = context.debugDescription
      let type =
        description.contains("UInt64") ? "a whole number ≥ 0"
        : description.contains("Int") ? "an integer" : "a valid value"
      return path.isEmpty
        ? description
        : "key \"\(keyPath(path))\": expected \(type), found \(found(path))"
    @unknown default:
      return "\(error)"
    }
  }
}
