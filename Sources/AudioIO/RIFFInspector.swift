import Foundation

/// Checks the chunk structure of a RIFF/WAVE file, which libsndfile accepts silently when
/// the file was cut short (it shortens the frame count to what is there).
enum RIFFInspector {
  /// Throws `.truncated` when the `data` chunk declares more bytes than the file holds.
  ///
  /// Streamed WAVs that leave the size as 0 or 0xFFFFFFFF (unknown) are accepted.
  static func checkDataChunkIsComplete(path: String, fileSize: Int) throws {
    guard let handle = FileHandle(forReadingAtPath: path) else { return }
    defer { try? handle.close() }
    guard let header = try? handle.read(upToCount: 12), header.count == 12 else { return }
    let riffID = String(decoding: header.prefix(4), as: UTF8.self)
    guard riffID == "RIFF" else { return }  // RF64 / RIFX: sizes live elsewhere
    var offset = 12
    // Walk at most a few hundred chunks; a well-formed WAV has a handful.
    for _ in 0..<512 {
      guard offset + 8 <= fileSize else { return }
      try? handle.seek(toOffset: UInt64(offset))
      guard let chunk = try? handle.read(upToCount: 8), chunk.count == 8 else { return }
      let id = String(decoding: chunk.prefix(4), as: UTF8.self)
      let size = chunk.dropFirst(4).enumerated().reduce(0) {
        $0 | Int($1.element) << (8 * $1.offset)
      }
      if id == "data" {
        guard size != 0, size != 0xFFFF_FFFF else { return }
        let available = fileSize - (offset + 8)
        if size > available {
          throw AudioIOError(
            .truncated,
            "truncated WAV: the data chunk declares \(size) bytes but only \(available) follow it",
            path: path)
        }
        return
      }
      offset += 8 + size + (size & 1)
    }
  }
}
