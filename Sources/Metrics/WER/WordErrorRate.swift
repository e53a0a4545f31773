/// Word error counts of one reference/hypothesis pair: the result of one alignment.
///
/// `wer = (S + D + I) / (H + S + D)`, the edit distance divided by the number of reference
/// words. It can exceed 1 when the hypothesis has many insertions.
public struct WordErrorCounts: Sendable, Equatable, Codable {
  /// Reference words replaced by another word.
  public var substitutions: Int
  /// Reference words missing from the hypothesis.
  public var deletions: Int
  /// Hypothesis words with no reference counterpart.
  public var insertions: Int
  /// Reference words matched exactly.
  public var hits: Int

  /// Creates counts.
  public init(substitutions: Int = 0, deletions: Int = 0, insertions: Int = 0, hits: Int = 0) {
    self.substitutions = substitutions
    self.deletions = deletions
    self.insertions = insertions
    self.hits = hits
  }

  /// Number of reference words (H + S + D).
  public var referenceWordCount: Int { hits + substitutions + deletions }

  /// The word error rate. For an empty reference this is the insertion count (jiwer ≥ 4),
  /// i.e. 0 when the hypothesis is empty too.
  public var wer: Double {
    let n = referenceWordCount
    return n == 0 ? Double(insertions) : Double(substitutions + deletions + insertions) / Double(n)
  }

  /// Adds another pair's counts (for a WER pooled over many items).
  public static func + (a: Self, b: Self) -> Self {
    Self(
      substitutions: a.substitutions + b.substitutions, deletions: a.deletions + b.deletions,
      insertions: a.insertions + b.insertions, hits: a.hits + b.hits)
  }
}

/// What to do when the reference transcript has no words.
public enum EmptyReferencePolicy: String, Sendable, Codable, CaseIterable {
  /// The challenge's behaviour: jiwer 2.x raised an error, and the official Task 1 metric
  /// skipped the item (no WER, no STOI, no metric).
  case skip
  /// jiwer ≥ 4: the WER is the number of inserted words (0 if the hypothesis is empty too).
  case countInsertions = "count-insertions"
}

/// The outcome of scoring one pair.
public enum WordErrorResult: Sendable, Equatable {
  /// The pair was aligned.
  case scored(WordErrorCounts)
  /// The reference was empty and the policy says to skip the item.
  case skippedEmptyReference

  /// The counts, or `nil` when skipped.
  public var counts: WordErrorCounts? {
    if case .scored(let counts) = self { return counts }
    return nil
  }
}

/// Word error rate equal to jiwer's default `wer` (jiwer 2.2 as pinned by L3DAS21/22, and 4.0).
///
/// The text transform is jiwer's default: runs of two or more whitespace characters become one
/// space, the ends are stripped, the text is split on single spaces and empty words are dropped.
/// It is **case-sensitive** and keeps punctuation (`"ONE,"` ≠ `"ONE"`), exactly like jiwer. The
/// alignment reproduces RapidFuzz's `Levenshtein.editops` (used by jiwer): common prefix and
/// suffix are removed, then the edit operations are recovered from the end, preferring a
/// deletion, then an insertion, then a substitution or match. So not only the WER but also S,
/// D and I equal jiwer's for every pair (`Tests/MetricsTests/Fixtures/wer-random.json` pins
/// 2 000 random pairs generated with jiwer by `Tools/reference/wer_golden.py`).
///
/// ```swift
/// let counts = WER.counts(reference: "THE QUIET RIVER", hypothesis: "THE QUITE RIVER")
/// counts.substitutions    // 1
/// counts.wer              // 0.333…
/// ```
public enum WER {
  /// jiwer's default transform: the words of `text`.
  public static func words(_ text: String) -> [Substring] {
    // RemoveMultipleSpaces (r"\s\s+" → " "), Strip, split(" "), drop empty words. Works on
    // Unicode scalars, as Python does: "\r\n" is two whitespace characters there.
    var collapsed = String.UnicodeScalarView()
    var pending = String.UnicodeScalarView()
    func flush() {
      if pending.count >= 2 {
        collapsed.append(" ")
      } else {
        collapsed.append(contentsOf: pending)
      }
      pending.removeAll()
    }
    for scalar in text.unicodeScalars {
      if scalar.properties.isWhitespace {
        pending.append(scalar)
      } else {
        flush()
        collapsed.append(scalar)
      }
    }
    flush()
    let scalars = collapsed
    var start = scalars.startIndex
    var end = scalars.endIndex
    while start < end, scalars[start].properties.isWhitespace { start = scalars.index(after: start) }
    while end > start, scalars[scalars.index(before: end)].properties.isWhitespace {
      end = scalars.index(before: end)
    }
    let core = String(String.UnicodeScalarView(scalars[start..<end]))
    return core.split(separator: " ", omittingEmptySubsequences: true)
  }

  /// Aligns two texts with jiwer's default transform.
  ///
  /// - Parameter emptyReference: what to do when the reference has no words.
  public static func evaluate(
    reference: String, hypothesis: String, emptyReference: EmptyReferencePolicy = .skip
  ) -> WordErrorResult {
    let ref = words(reference)
    if ref.isEmpty, emptyReference == .skip { return .skippedEmptyReference }
    return .scored(counts(reference: ref, hypothesis: words(hypothesis)))
  }

  /// Aligns two texts (jiwer ≥ 4 semantics for an empty reference).
  public static func counts(reference: String, hypothesis: String) -> WordErrorCounts {
    counts(reference: words(reference), hypothesis: words(hypothesis))
  }

  /// Aligns two word sequences.
  ///
  /// - Complexity: O(m·n) time after removing the common prefix and suffix, O(m·n) memory
  ///   for the edit matrix of the remaining words (transcripts are short).
  public static func counts<W: Hashable>(reference: [W], hypothesis: [W]) -> WordErrorCounts {
    // Map words to integers so the inner loop compares Ints.
    var ids: [W: Int] = [:]
    func id(_ word: W) -> Int {
      if let known = ids[word] { return known }
      let new = ids.count
      ids[word] = new
      return new
    }
    let s1 = reference.map(id)
    let s2 = hypothesis.map(id)
    return align(s1, s2)
  }

  private static func align(_ a: [Int], _ b: [Int]) -> WordErrorCounts {
    // Common affix: matched words that RapidFuzz strips before aligning.
    var prefix = 0
    while prefix < a.count, prefix < b.count, a[prefix] == b[prefix] { prefix += 1 }
    var suffix = 0
    while suffix < a.count - prefix, suffix < b.count - prefix,
      a[a.count - 1 - suffix] == b[b.count - 1 - suffix]
    {
      suffix += 1
    }
    let s1 = Array(a[prefix..<(a.count - suffix)])
    let s2 = Array(b[prefix..<(b.count - suffix)])
    var counts = WordErrorCounts(hits: prefix + suffix)
    let m = s1.count
    let n = s2.count
    guard m > 0, n > 0 else {
      counts.deletions += m
      counts.insertions += n
      return counts
    }
    // d[j][i]: distance between s1[..<i] and s2[..<j] (row j over s2, column i over s1).
    let width = m + 1
    var d = [Int](repeating: 0, count: (n + 1) * width)
    for i in 0...m { d[i] = i }
    for j in 1...n {
      d[j * width] = j
      for i in 1...m {
        let substitution = d[(j - 1) * width + i - 1] + (s1[i - 1] == s2[j - 1] ? 0 : 1)
        d[j * width + i] = min(substitution, d[(j - 1) * width + i] + 1, d[j * width + i - 1] + 1)
      }
    }
    // Backtrace as RapidFuzz does from its bit-parallel VP/VN vectors:
    // VP[row-1] bit (col-1)  ⇔  d[row][col] - d[row][col-1] == +1  → delete s1[col-1]
    // VN[row-1] bit (col-1)  ⇔  d[row][col] - d[row][col-1] == -1  → insert s2[row]
    var col = m
    var row = n
    while row > 0, col > 0 {
      if d[row * width + col] - d[row * width + col - 1] == 1 {
        counts.deletions += 1
        col -= 1
      } else {
        row -= 1
        if row > 0, d[row * width + col] - d[row * width + col - 1] == -1 {
          counts.insertions += 1
        } else {
          col -= 1
          if s1[col] != s2[row] { counts.substitutions += 1 } else { counts.hits += 1 }
        }
      }
    }
    counts.deletions += col
    counts.insertions += row
    return counts
  }
}
