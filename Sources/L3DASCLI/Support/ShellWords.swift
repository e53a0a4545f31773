import ArgumentParser

/// Splits a command line into words the way a POSIX shell does for plain words, without
/// running a shell: blanks separate words; 'single quotes' keep everything literally;
/// "double quotes" keep blanks and allow \" \\ \$ \` escapes; a backslash outside quotes
/// escapes the next character. Nothing is expanded (no variables, globs or substitutions).
enum ShellWords {
  /// The words of `line`.
  /// - Throws: `ValidationError` for an unterminated quote or a trailing backslash.
  static func split(_ line: String) throws -> [String] {
    var words: [String] = []
    var current = ""
    var inWord = false
    var iterator = line.makeIterator()
    while let c = iterator.next() {
      switch c {
      case " ", "\t", "\n":
        if inWord {
          words.append(current)
          current = ""
          inWord = false
        }
      case "'":
        inWord = true
        var closed = false
        while let d = iterator.next() {
          if d == "'" {
            closed = true
            break
          }
          current.append(d)
        }
        guard closed else { throw ValidationError("unterminated ' quote in '\(line)'") }
      case "\"":
        inWord = true
        var closed = false
        while let d = iterator.next() {
          if d == "\"" {
            closed = true
            break
          }
          if d == "\\" {
            guard let e = iterator.next() else { break }
            if "\"\\$`".contains(e) { current.append(e) } else { current.append(d); current.append(e) }
            continue
          }
          current.append(d)
        }
        guard closed else { throw ValidationError("unterminated \" quote in '\(line)'") }
      case "\\":
        guard let d = iterator.next() else { throw ValidationError("a trailing backslash in '\(line)'") }
        inWord = true
        current.append(d)
      default:
        inWord = true
        current.append(c)
      }
    }
    if inWord { words.append(current) }
    return words
  }
}
