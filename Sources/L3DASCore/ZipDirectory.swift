public import Foundation

/// The central directory of a zip archive (ZIP64 included), read independently of
/// ZIPFoundation.
///
/// ZIPFoundation's entry listing ends silently at the first encrypted entry (and at the first
/// local header it cannot read), so the dataset extractor and the submission reader compare
/// its listing with this one, and take from it what ZIPFoundation does not expose: the
/// encryption flags.
public struct ZipDirectory: Sendable {
  /// Why the directory cannot be read.
  public struct Failure: Error, CustomStringConvertible, Sendable {
    /// The archive.
    public var path: String
    /// What is wrong, in words.
    public var message: String
    /// Whether the file could not be read at all (rather than read and found damaged).
    public var isFileSystem: Bool
    /// `path: message`.
    public var description: String { "\(path): \(message)" }
  }

  /// One central-directory record.
  public struct Record: Equatable, Sendable {
    /// The entry's name as stored (decoded as UTF-8, invalid bytes replaced).
    public var path: String
    /// The general purpose bit flag.
    public var flags: UInt16
    /// The declared compressed size in bytes.
    public var compressedSize: UInt64
    /// The declared uncompressed size in bytes.
    public var uncompressedSize: UInt64

    /// Whether the entry is encrypted (traditional PKWARE encryption, bit 0, or strong
    /// encryption, bit 6).
    public var isEncrypted: Bool { flags & 0x0041 != 0 }
  }

  /// The records, in central-directory order.
  public var records: [Record]

  /// The largest central directory read (far above any real dataset archive's).
  public static let maxDirectoryBytes: UInt64 = 1 << 30

  /// Reads the central directory of the archive at `url`.
  ///
  /// - Throws: `ZipDirectory.Failure` when there is no readable end-of-central-directory
  ///   record, the directory is cut short, or the file cannot be read (`isFileSystem`).
  public init(reading url: URL) throws {
    func unreadable(_ error: any Error) -> Failure {
      Failure(path: url.path, message: "cannot read the archive: \(FileErrorText.describe(error))", isFileSystem: true)
    }
    let handle: FileHandle
    do { handle = try FileHandle(forReadingFrom: url) } catch { throw unreadable(error) }
    defer { try? handle.close() }
    func corrupt(_ why: String) -> Failure {
      Failure(path: url.path, message: "not a readable zip archive (truncated or damaged?): \(why)", isFileSystem: false)
    }
    func read(_ count: UInt64, at offset: UInt64) throws -> [UInt8] {
      let data: Data
      do {
        try handle.seek(toOffset: offset)
        data = try handle.read(upToCount: Int(count)) ?? Data()
      } catch {
        throw unreadable(error)
      }
      guard data.count == Int(count) else { throw corrupt("it ends early") }
      return [UInt8](data)
    }

    let fileSize = ((try? FileManager.default.attributesOfItem(atPath: url.path))?[.size] as? NSNumber)
      .map { UInt64($0.int64Value) } ?? 0
    // The end-of-central-directory record: 22 bytes plus a comment of at most 65 535.
    let tailLength = min(fileSize, 22 + 65_535)
    let tail = try read(tailLength, at: fileSize - tailLength)
    guard
      let end = stride(from: tail.count - 22, through: 0, by: -1).first(where: {
        Self.le32(tail, $0) == 0x0605_4B50
      })
    else { throw corrupt("no end-of-central-directory record") }
    var entryCount = UInt64(Self.le16(tail, end + 10))
    var directorySize = UInt64(Self.le32(tail, end + 12))
    var directoryOffset = UInt64(Self.le32(tail, end + 16))
    if entryCount == 0xFFFF || directorySize == 0xFFFF_FFFF || directoryOffset == 0xFFFF_FFFF {
      // ZIP64: the locator sits just before the end record and points at the ZIP64 end record.
      let endOffset = fileSize - tailLength + UInt64(end)
      guard endOffset >= 20 else { throw corrupt("no ZIP64 end-of-central-directory locator") }
      let locator = try read(20, at: endOffset - 20)
      guard Self.le32(locator, 0) == 0x0706_4B50 else {
        throw corrupt("no ZIP64 end-of-central-directory locator")
      }
      let zip64EndOffset = Self.le64(locator, 8)
      guard zip64EndOffset <= fileSize - 56 else { throw corrupt("bad ZIP64 locator") }
      let zip64End = try read(56, at: zip64EndOffset)
      guard Self.le32(zip64End, 0) == 0x0606_4B50 else {
        throw corrupt("no ZIP64 end-of-central-directory record")
      }
      entryCount = Self.le64(zip64End, 32)
      directorySize = Self.le64(zip64End, 40)
      directoryOffset = Self.le64(zip64End, 48)
    }
    guard directorySize <= Self.maxDirectoryBytes, directoryOffset <= fileSize,
      directorySize <= fileSize - directoryOffset, entryCount <= directorySize / 46
    else { throw corrupt("the central directory lies outside the file") }
    let directory = try read(directorySize, at: directoryOffset)

    var records: [Record] = []
    var position = 0
    for _ in 0..<entryCount {
      guard position + 46 <= directory.count, Self.le32(directory, position) == 0x0201_4B50 else {
        throw corrupt("central-directory record \(records.count + 1) is damaged")
      }
      let nameLength = Int(Self.le16(directory, position + 28))
      let extraLength = Int(Self.le16(directory, position + 30))
      let commentLength = Int(Self.le16(directory, position + 32))
      let next = position + 46 + nameLength + extraLength + commentLength
      guard next <= directory.count else {
        throw corrupt("central-directory record \(records.count + 1) is cut short")
      }
      let name = directory[(position + 46)..<(position + 46 + nameLength)]
      var record = Record(
        path: String(decoding: name, as: UTF8.self), flags: Self.le16(directory, position + 8),
        compressedSize: UInt64(Self.le32(directory, position + 20)),
        uncompressedSize: UInt64(Self.le32(directory, position + 24)))
      Self.applyZIP64(
        Array(directory[(position + 46 + nameLength)..<(position + 46 + nameLength + extraLength)]),
        to: &record)
      records.append(record)
      position = next
    }
    self.records = records
  }

  /// Replaces 0xFFFFFFFF sizes with the 64-bit values of the ZIP64 extra field (id 1), which
  /// holds, in this order, only the fields that overflowed.
  private static func applyZIP64(_ extra: [UInt8], to record: inout Record) {
    var position = 0
    while position + 4 <= extra.count {
      let id = le16(extra, position)
      let size = Int(le16(extra, position + 2))
      let body = position + 4
      guard body + size <= extra.count else { return }
      if id == 1 {
        var field = body
        if record.uncompressedSize == 0xFFFF_FFFF, field + 8 <= body + size {
          record.uncompressedSize = le64(extra, field)
          field += 8
        }
        if record.compressedSize == 0xFFFF_FFFF, field + 8 <= body + size {
          record.compressedSize = le64(extra, field)
        }
        return
      }
      position = body + size
    }
  }

  static func le16(_ bytes: [UInt8], _ at: Int) -> UInt16 {
    UInt16(bytes[at]) | UInt16(bytes[at + 1]) << 8
  }

  static func le32(_ bytes: [UInt8], _ at: Int) -> UInt32 {
    UInt32(le16(bytes, at)) | UInt32(le16(bytes, at + 2)) << 16
  }

  static func le64(_ bytes: [UInt8], _ at: Int) -> UInt64 {
    UInt64(le32(bytes, at)) | UInt64(le32(bytes, at + 4)) << 32
  }
}
