import Foundation
import Testing

@testable import DatasetDownload

@Suite("ArchiveSniffer: naming what is not a zip archive")
struct ArchiveSnifferTests {
  @Test(
    "first bytes are judged",
    arguments: [
      ("PK\u{3}\u{4}rest", nil),
      ("PK\u{5}\u{6}", nil),
      ("", "an empty file"),
      ("  \n<!doctype HTML><html>", "an HTML page (it begins “<!doctype HTML><html>”)"),
      ("<html lang=\"en\">", "an HTML page (it begins “<html lang=\"en\">”)"),
      ("<?xml version='1.0'?><Error/>", "an XML document (it begins “<?xml version='1.0'?><Error/>”)"),
      ("{\"error\": 401}", "a JSON document (it begins “{\"error\": 401}”)"),
      ("Service\tUnavailable\r\n", "a text file (it begins “Service Unavailable”)"),
    ] as [(String, String?)])
  func judge(text: String, expected: String?) {
    #expect(ArchiveSniffer.nonZipDescription(of: Data(text.utf8)) == expected)
  }

  @Test("binary and compressed files are named; long text is cut")
  func binary() {
    #expect(ArchiveSniffer.nonZipDescription(of: Data([0x1F, 0x8B, 8, 0])) == "a gzip file")
    #expect(
      ArchiveSniffer.nonZipDescription(of: Data([0, 1, 2, 0xFF, 0xFE]))
        == "unknown binary data (it begins with the bytes 00 01 02 FF FE)")
    let long = String(repeating: "word ", count: 200)
    let description = ArchiveSniffer.nonZipDescription(of: Data(long.utf8)) ?? ""
    #expect(description.hasSuffix("…”)") && description.count < 90)
  }
}
