import Datasets
import Foundation
import Testing
import _TestSupport

@Suite("Digests through libcrypto")
struct DigestTests {
  static let testVectors: [(String, Digest.Algorithm, String)] = [
    ("abc", .md5, "900150983cd24fb0d6963f7d28e17f72"),
    ("abc", .sha256, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
    ("", .md5, "d41d8cd98f00b204e9800998ecf8427e"),
    ("", .sha256, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
  ]

  @Test("published test vectors", arguments: testVectors)
  func vectors(input: String, algorithm: Digest.Algorithm, expected: String) throws {
    #expect(try Digest.hex(of: Data(input.utf8), algorithm: algorithm) == expected)
    let dir = try TemporaryDirectory()
    try Data(input.utf8).write(to: dir.path("f"))
    #expect(try Digest.hex(ofFileAt: dir.path("f"), algorithm: algorithm) == expected)
  }

  @Test("a million 'a' matches the published vectors")
  func millionA() throws {
    let data = Data(repeating: UInt8(ascii: "a"), count: 1_000_000)
    #expect(try Digest.hex(of: data, algorithm: .md5) == "7707d6ae4e027c70eea2a935c2296f21")
    #expect(
      try Digest.hex(of: data, algorithm: .sha256)
        == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
  }

  @Test(
    "a file of several chunks hashes like the same bytes at once",
    arguments: Digest.Algorithm.allCases)
  func multiChunk(algorithm: Digest.Algorithm) throws {
    let count = 2 * Digest.chunkByteCount + Digest.chunkByteCount / 2 + 7
    var state: UInt32 = 12_345
    let data = Data(
      (0..<count).map { _ -> UInt8 in
        state = state &* 1_664_525 &+ 1_013_904_223
        return UInt8(truncatingIfNeeded: state >> 24)
      })
    let dir = try TemporaryDirectory()
    try data.write(to: dir.path("big.bin"))
    let streamed = try Digest.hex(ofFileAt: dir.path("big.bin"), algorithm: algorithm)
    #expect(streamed == (try Digest.hex(of: data, algorithm: algorithm)))
    #expect(streamed.count == 2 * algorithm.byteCount)
    #expect(streamed != (try Digest.hex(of: data.dropLast(), algorithm: algorithm)))
  }

  @Test("hashing a missing file is notFound")
  func missingFile() throws {
    let dir = try TemporaryDirectory()
    let error = #expect(throws: DatasetError.self) {
      try Digest.hex(ofFileAt: dir.path("none"), algorithm: .sha256)
    }
    #expect(error?.code == .notFound)
  }
}
