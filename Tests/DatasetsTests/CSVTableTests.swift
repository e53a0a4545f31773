import Datasets
import Foundation
import Testing
import _TestSupport

@Suite("Generic CSV tables (info.csv)")
struct CSVTableTests {
  @Test("header and rows are read with quotes, CRLF and a BOM")
  func parses() throws {
    let text =
      "\u{FEFF}id,speaker,text\r\n1272-128104-0000,1272,\"HELLO, WORLD\"\r\n"
      + "1-2-3,1,\"say \"\"hi\"\"\"\r\n\r\n"
    let table = try CSVTable.parse(text, path: "info.csv")
    #expect(table.header == ["id", "speaker", "text"])
    #expect(
      table.rows == [["1272-128104-0000", "1272", "HELLO, WORLD"], ["1-2-3", "1", "say \"hi\""]])
    #expect(table.rowCount == 2)
    #expect(table.columnIndex(named: "text") == 2)
    #expect(table.columnIndex(named: "missing") == nil)
  }

  @Test("a row with the wrong field count names its line")
  func fieldCount() {
    let error = #expect(throws: DatasetError.self) {
      try CSVTable.parse("a,b\n1,2\n\n1,2,3\n", path: "info.csv")
    }
    #expect(error?.code == .malformedCSV)
    #expect(error?.line == 4)
    #expect(error?.description == "info.csv:4: expected 2 fields as in the header, found 3")
  }

  @Test("an empty file has no header and is an error")
  func empty() {
    let error = #expect(throws: DatasetError.self) { try CSVTable.parse("", path: "info.csv") }
    #expect(error?.code == .malformedCSV)
  }

  @Test("read parses a file from disk")
  func readsFile() throws {
    let dir = try TemporaryDirectory()
    try Data("a,b\n1,2\n3,4\n".utf8).write(to: dir.path("info.csv"))
    #expect(try CSVTable.read(dir.path("info.csv")).rows == [["1", "2"], ["3", "4"]])
  }
}
