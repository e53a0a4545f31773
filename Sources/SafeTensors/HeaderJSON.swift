/// A strict JSON parser for safetensors headers (RFC 8259), which — unlike
/// `JSONSerialization` — reports repeated object keys instead of silently keeping one.
struct HeaderJSON {
  indirect enum Value {
    case object([(key: String, value: Value)])
    case array([Value])
    case string(String)
    case number(String)
    case bool(Bool)
    case null
  }

  struct Failure: Error {
    var message: String
  }

  private let bytes: [UInt8]
  private var position = 0
  private var depth = 0

  /// Parses `bytes` as one JSON value followed only by whitespace (the writer pads with spaces).
  static func parse(_ bytes: [UInt8]) throws -> Value {
    var parser = HeaderJSON(bytes: bytes)
    parser.skipSpace()
    let value = try parser.parseValue()
    parser.skipSpace()
    guard parser.position == bytes.count else {
      throw Failure(
        message: "unexpected content after the JSON object at header byte \(parser.position)")
    }
    return value
  }

  private init(bytes: [UInt8]) { self.bytes = bytes }

  private func peek() -> UInt8? { position < bytes.count ? bytes[position] : nil }

  private mutating func skipSpace() {
    while let c = peek(), c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D { position += 1 }
  }

  private func fail(_ what: String) -> Failure {
    Failure(message: "\(what) at header byte \(position)")
  }

  private mutating func expect(_ c: UInt8) throws {
    guard peek() == c else {
      throw fail("expected '\(Character(Unicode.Scalar(c)))'")
    }
    position += 1
  }

  private mutating func parseValue() throws -> Value {
    guard let c = peek() else { throw fail("unexpected end of the header") }
    switch c {
    case UInt8(ascii: "{"): return try parseObject()
    case UInt8(ascii: "["): return try parseArray()
    case UInt8(ascii: "\""): return .string(try parseString())
    case UInt8(ascii: "t"): try literal("true"); return .bool(true)
    case UInt8(ascii: "f"): try literal("false"); return .bool(false)
    case UInt8(ascii: "n"): try literal("null"); return .null
    case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
    default: throw fail("unexpected character '\(Character(Unicode.Scalar(c)))'")
    }
  }

  private mutating func literal(_ word: String) throws {
    let expected = Array(word.utf8)
    guard position + expected.count <= bytes.count,
      Array(bytes[position..<position + expected.count]) == expected
    else { throw fail("invalid literal") }
    position += expected.count
  }

  private mutating func nest() throws {
    depth += 1
    guard depth <= 64 else { throw fail("nesting deeper than 64 levels") }
  }

  private mutating func parseObject() throws -> Value {
    try nest()
    defer { depth -= 1 }
    position += 1
    var members: [(key: String, value: Value)] = []
    var seen = Set<String>()
    skipSpace()
    if peek() == UInt8(ascii: "}") {
      position += 1
      return .object(members)
    }
    while true {
      skipSpace()
      guard peek() == UInt8(ascii: "\"") else { throw fail("expected a string key") }
      let key = try parseString()
      guard seen.insert(key).inserted else {
        throw Failure(message: "duplicate key \"\(key)\"")
      }
      skipSpace()
      try expect(UInt8(ascii: ":"))
      skipSpace()
      members.append((key, try parseValue()))
      skipSpace()
      if peek() == UInt8(ascii: ",") {
        position += 1
        continue
      }
      try expect(UInt8(ascii: "}"))
      return .object(members)
    }
  }

  private mutating func parseArray() throws -> Value {
    try nest()
    defer { depth -= 1 }
    position += 1
    var items: [Value] = []
    skipSpace()
    if peek() == UInt8(ascii: "]") {
      position += 1
      return .array(items)
    }
    while true {
      skipSpace()
      items.append(try parseValue())
      skipSpace()
      if peek() == UInt8(ascii: ",") {
        position += 1
        continue
      }
      try expect(UInt8(ascii: "]"))
      return .array(items)
    }
  }

  private mutating func parseNumber() throws -> String {
    let start = position
    if peek() == UInt8(ascii: "-") { position += 1 }
    func digits(_ p: inout HeaderJSON) -> Int {
      var n = 0
      while let c = p.peek(), c >= UInt8(ascii: "0"), c <= UInt8(ascii: "9") {
        p.position += 1
        n += 1
      }
      return n
    }
    if peek() == UInt8(ascii: "0") {
      position += 1
    } else if digits(&self) == 0 {
      throw fail("invalid number")
    }
    if peek() == UInt8(ascii: ".") {
      position += 1
      guard digits(&self) > 0 else { throw fail("invalid number") }
    }
    if peek() == UInt8(ascii: "e") || peek() == UInt8(ascii: "E") {
      position += 1
      if peek() == UInt8(ascii: "+") || peek() == UInt8(ascii: "-") { position += 1 }
      guard digits(&self) > 0 else { throw fail("invalid number") }
    }
    return String(decoding: bytes[start..<position], as: UTF8.self)
  }

  private mutating func hex4() throws -> UInt32 {
    guard position + 4 <= bytes.count else { throw fail("truncated \\u escape") }
    var value: UInt32 = 0
    for _ in 0..<4 {
      let c = bytes[position]
      let digit: UInt32
      switch c {
      case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(c - UInt8(ascii: "0"))
      case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(c - UInt8(ascii: "a") + 10)
      case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(c - UInt8(ascii: "A") + 10)
      default: throw fail("invalid \\u escape")
      }
      value = value << 4 | digit
      position += 1
    }
    return value
  }

  private mutating func parseString() throws -> String {
    position += 1  // opening quote
    var utf8: [UInt8] = []
    while true {
      guard let c = peek() else { throw fail("unterminated string") }
      position += 1
      switch c {
      case UInt8(ascii: "\""):
        guard let text = String(validating: utf8, as: UTF8.self) else {
          throw fail("a string is not valid UTF-8")
        }
        return text
      case UInt8(ascii: "\\"):
        guard let e = peek() else { throw fail("unterminated escape") }
        position += 1
        switch e {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(e)
        case UInt8(ascii: "b"): utf8.append(0x08)
        case UInt8(ascii: "f"): utf8.append(0x0C)
        case UInt8(ascii: "n"): utf8.append(0x0A)
        case UInt8(ascii: "r"): utf8.append(0x0D)
        case UInt8(ascii: "t"): utf8.append(0x09)
        case UInt8(ascii: "u"):
          var scalar = try hex4()
          if (0xD800..<0xDC00).contains(scalar) {
            guard peek() == UInt8(ascii: "\\"), position + 1 < bytes.count,
              bytes[position + 1] == UInt8(ascii: "u")
            else { throw fail("unpaired surrogate") }
            position += 2
            let low = try hex4()
            guard (0xDC00..<0xE000).contains(low) else { throw fail("unpaired surrogate") }
            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
          }
          guard let u = Unicode.Scalar(scalar) else { throw fail("invalid \\u escape") }
          utf8.append(contentsOf: Array(String(Character(u)).utf8))
        default: throw fail("invalid escape")
        }
      case 0x00..<0x20:
        throw fail("control character in a string")
      default:
        utf8.append(c)
      }
    }
  }

  /// `text` as a JSON string literal, escaping quotes, backslashes and control characters.
  static func quoted(_ text: String) -> String {
    var out = "\""
    for scalar in text.unicodeScalars {
      switch scalar {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      case _ where scalar.value < 0x20:
        let hex = String(scalar.value, radix: 16)
        out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
      default: out.unicodeScalars.append(scalar)
      }
    }
    return out + "\""
  }
}
