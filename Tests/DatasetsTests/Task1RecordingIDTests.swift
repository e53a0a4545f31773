import Datasets
import Foundation
import Testing

@Suite("Task 1 recording ids")
struct Task1RecordingIDTests {
  @Test("a LibriSpeech id names its three files")
  func fileNames() throws {
    let id = try Task1RecordingID(validating: "1272-128104-0000")
    #expect(id.rawValue == "1272-128104-0000")
    #expect(id.description == "1272-128104-0000")
    #expect(id.audioFileName(.a) == "1272-128104-0000_A.wav")
    #expect(id.audioFileName(.b) == "1272-128104-0000_B.wav")
    #expect(id.cleanFileName == "1272-128104-0000.wav")
    #expect(id.transcriptFileName == "1272-128104-0000.txt")
  }

  @Test(
    "ids with '_', '/' or '.', and the empty id, are rejected",
    arguments: ["", "a_b", "12/34", "x.wav", "1272-128104-0000_A"])
  func rejects(_ text: String) {
    #expect(Task1RecordingID(text) == nil)
    let error = #expect(throws: DatasetError.self) { try Task1RecordingID(validating: text) }
    #expect(error?.code == .invalidValue)
  }

  @Test("ids encode as a plain string and decoding validates")
  func codable() throws {
    let ids = [Task1RecordingID("84-121123-0001"), Task1RecordingID("anything-else")].compactMap {
      $0
    }
    let json = try JSONEncoder().encode(ids)
    #expect(String(decoding: json, as: UTF8.self) == #"["84-121123-0001","anything-else"]"#)
    #expect(try JSONDecoder().decode([Task1RecordingID].self, from: json) == ids)
    #expect(throws: DatasetError.self) {
      try JSONDecoder().decode([Task1RecordingID].self, from: Data(#"["a_b"]"#.utf8))
    }
  }

  @Test("ids sort by their text")
  func ordering() {
    let ids = ["2-1-0", "10-1-0", "1-1-1", "1-1-0"].compactMap(Task1RecordingID.init)
    #expect(ids.sorted().map(\.rawValue) == ["1-1-0", "1-1-1", "10-1-0", "2-1-0"])
  }
}
