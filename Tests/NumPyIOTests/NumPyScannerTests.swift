import Foundation
import NumPyIO
import Testing
import _TestSupport

private let fixtures = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!
  .appendingPathComponent("npy")

@Suite("Streaming .npy scanner")
struct NumPyScannerTests {
  @Test(
    "chunked scans of numpy's files agree with the reader, whatever the chunk size",
    arguments: NumPyFileTests.readable)
  func agreesWithReader(name: String) throws {
    let url = fixtures.appendingPathComponent(name)
    let (header, values) = try NumPyFile.readFloats(url)
    let bytes = [UInt8](try Data(contentsOf: url))
    for chunk in [1, 3, 7, 64, 4096] {
      var scanner = NumPyScanner(path: name)
      var offset = 0
      while offset < bytes.count {
        let end = min(bytes.count, offset + chunk)
        try bytes[offset..<end].withUnsafeBytes { try scanner.consume($0) }
        offset = end
      }
      let result = try scanner.finish()
      #expect(result.header == header, "\(name) chunk \(chunk)")
      #expect(result.zeroCount == values.filter { $0 == 0 }.count)
      #expect(result.peak == Double(values.map(abs).max() ?? 0), "\(name) chunk \(chunk)")
      #expect(result.nonFiniteCount == 0)
    }
    #expect(try NumPyFile.scan(url).header == header)
  }

  @Test("NaN and infinities are counted with the first index, in every float type")
  func nonFinite() throws {
    let dir = try TemporaryDirectory()
    var values = [Float](repeating: 0.5, count: 1000)
    values[17] = .nan
    values[500] = -.infinity
    let url = dir.path("x.npy")
    try NumPyFile.write(values, shape: [1000], to: url)
    let result = try NumPyFile.scan(url, chunkSize: 33)
    #expect(result.nonFiniteCount == 2 && result.firstNonFiniteIndex == 17)
    #expect(result.peak == 0.5 && !result.isAllZero)

    // Big-endian float64 with a NaN at 2.
    var bytes: [UInt8] = []
    for v in [1.0, -3.0, .nan, 0.0] { withUnsafeBytes(of: v.bitPattern.bigEndian) { bytes += $0 } }
    var header = "{'descr': '>f8', 'fortran_order': False, 'shape': (4,), }"
    header += String(repeating: " ", count: (64 - (10 + header.utf8.count + 1) % 64) % 64) + "\n"
    let file = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0, UInt8(header.utf8.count), 0] + Array(header.utf8) + bytes
    var scanner = NumPyScanner(path: nil)
    try file.withUnsafeBytes { try scanner.consume($0) }
    let scanned = try scanner.finish()
    #expect(scanned.nonFiniteCount == 1 && scanned.firstNonFiniteIndex == 2)
    #expect(scanned.peak == 3 && scanned.zeroCount == 1)
  }

  @Test("truncated, trailing, empty and pickled streams give specific errors")
  func errors() throws {
    let good = [UInt8](NumPyFile.encode([1, 2, 3, 4], shape: [4]))
    func scan(_ bytes: [UInt8]) -> NumPyError.Code? {
      var scanner = NumPyScanner(path: "s.npy")
      do {
        try bytes.withUnsafeBytes { try scanner.consume($0) }
        _ = try scanner.finish()
        return nil
      } catch let error as NumPyError {
        return error.code
      } catch {
        return nil
      }
    }
    #expect(scan(good) == nil)
    #expect(scan(Array(good.dropLast())) == .truncated)
    #expect(scan(good + [0]) == .trailingData)
    #expect(scan([]) == .notNumPy)
    #expect(scan([0x80, 0x04, 0x95]) == .pickled)
    #expect(scan(Array("PK\u{3}\u{4}".utf8)) == .notNumPy)
    #expect(scan(Array(good.prefix(20))) == .truncated)
    var badVersion = good
    badVersion[6] = 9
    #expect(scan(badVersion) == .unsupportedVersion)
    // A version 2 header claiming 4 GiB is refused before anything is buffered.
    let huge: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 2, 0, 0xFF, 0xFF, 0xFF, 0xFF]
    #expect(scan(huge) == .malformedHeader)
  }

  @Test("a file scan counts trailing bytes without reading them")
  func trailingCount() throws {
    let dir = try TemporaryDirectory()
    let url = dir.path("t.npy")
    try (NumPyFile.encode([1, 2], shape: [2]) + Data(count: 3_000_000)).write(to: url)
    let error = #expect(throws: NumPyError.self) { try NumPyFile.scan(url) }
    #expect(error?.message.hasPrefix("3000000 bytes follow") == true)
  }
}
