public import Foundation
public import SafeTensors
internal import ZIPFoundation

/// A file written by PyTorch's `torch.save`, read without Python and without running any of
/// its pickle: only tensors, storages, numbers, strings and containers are decoded.
///
/// Two containers are understood:
/// - **zip** (PyTorch ≥ 1.6, the default): `<folder>/data.pkl` holds the pickle, each storage
///   is the entry `<folder>/data/<key>` (stored, little-endian), `<folder>/byteorder` says
///   `little`. The folder is named after the file's stem, so any single top folder is accepted.
/// - **legacy** (`_use_new_zipfile_serialization=False`, PyTorch < 1.6): five pickles back to
///   back (magic number, protocol version 1001, system info, the object, the storage keys),
///   then each storage as an int64 element count and its raw little-endian elements.
///
/// The pickle may use the opcodes of a plain `state_dict` and the globals
/// `collections.OrderedDict`, `torch._utils._rebuild_tensor_v2` (and its older and
/// `_rebuild_parameter` forms) and the typed storages (`torch.FloatStorage`, `DoubleStorage`,
/// `HalfStorage`, `BFloat16Storage`, `LongStorage`, `IntStorage`, `ShortStorage`,
/// `CharStorage`, `ByteStorage`, `BoolStorage`). Anything else, for example a pickle that
/// names `posix.system`, is refused with a ``TorchCheckpointError`` that names it, before
/// anything is built from it. Every length and count in the file is checked against the
/// file's size, so a damaged or hostile file gives an error, never a crash or a huge
/// allocation.
///
/// ```swift
/// let checkpoint = try TorchCheckpoint.read(url)
/// let weights = try checkpoint.stateDict()        // a SafeTensorsFile in memory
/// let w = try weights.floats("cnn.0.weight")
/// ```
public struct TorchCheckpoint: @unchecked Sendable {
  /// The container format.
  public enum Format: String, Sendable {
    /// The zip archive of PyTorch ≥ 1.6.
    case zip
    /// The pre-1.6 sequence of pickles and raw storages.
    case legacy
  }

  /// The file read, for messages.
  public let path: String?
  /// The container format found.
  public let format: Format
  /// The unpickled object.
  let root: PickleValue
  /// The bytes of each storage, by key.
  let storages: [String: Data]

  /// Whether `prefix` (the first bytes of a file) looks like a `torch.save` file: a zip local
  /// header (`PK\u{3}\u{4}`) or a pickle protocol opcode (`0x80`). Safetensors files start with
  /// a little-endian header length instead, whose second byte is never `0x4B`/its first never
  /// `0x80` for a sane header.
  public static func isTorchFile(prefix: Data) -> Bool {
    let head = Array(prefix.prefix(4))
    if head == [0x50, 0x4B, 0x03, 0x04] { return true }
    return head.count >= 2 && head[0] == 0x80 && (2...5).contains(head[1])
  }

  /// Reads and decodes the file at `url`.
  /// - Throws: ``TorchCheckpointError`` naming the file.
  public static func read(_ url: URL) throws -> TorchCheckpoint {
    let data: Data
    do {
      data = try Data(contentsOf: url, options: .alwaysMapped)
    } catch {
      throw TorchCheckpointError(.unreadable, "cannot read the file: \(error.localizedDescription)", path: url.path)
    }
    return try TorchCheckpoint(bytes: data, path: url.path)
  }

  /// Decodes a complete `torch.save` file held in memory.
  /// - Parameter path: used in error messages only.
  /// - Throws: ``TorchCheckpointError``.
  public init(bytes: Data, path: String? = nil) throws {
    self.path = path
    do {
      if bytes.starts(with: [0x50, 0x4B, 0x03, 0x04]) {
        format = .zip
        (root, storages) = try Self.readZip(bytes)
      } else if bytes.first == 0x80 {
        format = .legacy
        (root, storages) = try Self.readLegacy(bytes)
      } else if bytes.count > 262, bytes[bytes.startIndex + 257..<bytes.startIndex + 262].elementsEqual("ustar".utf8) {
        throw TorchCheckpointError(.unsupported, "a tar-format torch.save file (PyTorch < 0.4) is not supported; re-save it with a current PyTorch")
      } else {
        throw TorchCheckpointError(
          .notACheckpoint,
          "not a torch.save file: it starts neither with a zip header nor with a pickle (\(bytes.count) bytes)")
      }
    } catch var error as TorchCheckpointError {
      error.path = path
      throw error
    }
  }

  // MARK: - Zip container

  private static func readZip(_ bytes: Data) throws -> (PickleValue, [String: Data]) {
    let archive: Archive
    do {
      archive = try Archive(data: bytes, accessMode: .read)
    } catch {
      throw TorchCheckpointError(.truncated, "not a complete zip archive (truncated or damaged?): \(error)")
    }
    var entries: [String: Entry] = [:]
    var pickles: [String] = []
    for entry in archive {
      entries[entry.path] = entry
      let parts = entry.path.split(separator: "/", omittingEmptySubsequences: false)
      if parts.count == 2, parts[1] == "data.pkl" { pickles.append(entry.path) }
    }
    guard pickles.count == 1, let pickleEntry = entries[pickles[0]] else {
      throw TorchCheckpointError(
        .notACheckpoint,
        pickles.isEmpty
          ? "a zip archive without <folder>/data.pkl: not a torch.save file"
          : "a zip archive with \(pickles.count) data.pkl entries (\(pickles.prefix(3).joined(separator: ", ")))")
    }
    let folder = String(pickles[0].dropLast("data.pkl".count))
    func read(_ entry: Entry, expected: Int? = nil) throws -> Data {
      guard !entry.isCompressed else {
        throw TorchCheckpointError(.unsupported, "entry \(entry.path) is compressed; torch.save stores every entry uncompressed")
      }
      let size = Int(clamping: entry.uncompressedSize)
      guard size <= bytes.count else {
        throw TorchCheckpointError(.truncated, "entry \(entry.path) claims \(size) bytes, more than the file's \(bytes.count)")
      }
      if let expected, expected != size {
        throw TorchCheckpointError(
          .invalidTensor, "entry \(entry.path) holds \(size) bytes; its storage needs \(expected)")
      }
      var data = Data(capacity: size)
      let checksum: CRC32
      do {
        checksum = try archive.extract(entry, bufferSize: 1 << 20, skipCRC32: false) { data.append($0) }
      } catch {
        throw TorchCheckpointError(.truncated, "entry \(entry.path) cannot be read (truncated or damaged?): \(error)")
      }
      guard checksum == entry.checksum else {
        throw TorchCheckpointError(
          .truncated, "entry \(entry.path) fails its CRC-32 check (the file is damaged)")
      }
      guard data.count == size else {
        throw TorchCheckpointError(.truncated, "entry \(entry.path) yields \(data.count) of its \(size) bytes")
      }
      return data
    }
    if let order = entries[folder + "byteorder"] {
      let text = String(decoding: try read(order), as: UTF8.self)
      guard text == "little" else {
        throw TorchCheckpointError(.unsupported, "storages are stored \(text)-endian; only little-endian files are supported")
      }
    }
    let pickle = try read(pickleEntry)
    var references: [String: TorchStorageReference] = [:]
    let root = try pickle.withUnsafeBytes { raw in
      var machine = Unpickler(bytes: raw) { id in
        try .storage(Self.storage(from: id, legacy: false, known: &references, fileSize: bytes.count))
      }
      return try machine.load().value
    }
    var storages: [String: Data] = [:]
    for (key, reference) in references {
      guard let entry = entries[folder + "data/" + key] else {
        throw TorchCheckpointError(.truncated, "storage \(key) has no entry \(folder)data/\(key)")
      }
      storages[key] = try read(entry, expected: reference.elementCount * reference.type.elementSize)
    }
    return (root, storages)
  }

  // MARK: - Legacy container

  /// The magic number that opens a legacy file.
  private static let legacyMagic: [UInt8] = [0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19]

  private static func readLegacy(_ bytes: Data) throws -> (PickleValue, [String: Data]) {
    try bytes.withUnsafeBytes { raw in
      var references: [String: TorchStorageReference] = [:]
      func next(_ offset: Int, _ what: String) throws -> (PickleValue, Int) {
        var machine = Unpickler(bytes: raw, offset: offset) { id in
          try .storage(Self.storage(from: id, legacy: true, known: &references, fileSize: raw.count))
        }
        do {
          return try machine.load()
        } catch let error as TorchCheckpointError {
          throw TorchCheckpointError(error.code, "\(what): \(error.message)")
        }
      }
      let (magic, afterMagic) = try next(0, "the magic number")
      guard case .bigInt(let digits) = magic, digits == legacyMagic else {
        throw TorchCheckpointError(.notACheckpoint, "a pickle that does not start with torch.save's magic number")
      }
      let (protocolVersion, afterVersion) = try next(afterMagic, "the protocol version")
      guard case .int(1001) = protocolVersion else {
        throw TorchCheckpointError(.unsupported, "legacy protocol version \(protocolVersion) (only 1001 is known)")
      }
      let (systemInfo, afterInfo) = try next(afterVersion, "the system information")
      if case .dict(let info) = systemInfo, case .bool(false)? = info.value(forKey: "little_endian") {
        throw TorchCheckpointError(.unsupported, "the file was written on a big-endian machine; only little-endian files are supported")
      }
      let (root, afterObject) = try next(afterInfo, "the saved object")
      let (keyList, afterKeys) = try next(afterObject, "the storage keys")
      guard case .list(let keys) = keyList else {
        throw TorchCheckpointError(.malformedPickle, "the storage key list is a \(keyList.kind)")
      }
      var offset = afterKeys
      var storages: [String: Data] = [:]
      for item in keys.items {
        guard case .string(let key) = item, let reference = references[key] else {
          throw TorchCheckpointError(.malformedPickle, "the storage key list names \(item.kind) \(item), which no tensor uses")
        }
        guard raw.count - offset >= 8 else {
          throw TorchCheckpointError(.truncated, "the file ends at byte \(raw.count) before storage \(key)")
        }
        let count = raw.loadUnaligned(fromByteOffset: offset, as: Int64.self).littleEndian
        offset += 8
        let size = reference.type.elementSize
        guard count == Int64(reference.elementCount) else {
          throw TorchCheckpointError(
            .invalidTensor, "storage \(key) has \(count) elements at byte \(offset - 8); its persistent id says \(reference.elementCount)")
        }
        let byteCount = Int(count) * size
        guard raw.count - offset >= byteCount else {
          throw TorchCheckpointError(
            .truncated, "storage \(key) needs \(byteCount) bytes from byte \(offset); the file ends at \(raw.count)")
        }
        storages[key] = Data(raw[offset..<(offset + byteCount)])
        offset += byteCount
      }
      if let missing = references.keys.first(where: { storages[$0] == nil }) {
        throw TorchCheckpointError(.truncated, "storage \(missing) is used but not in the storage key list")
      }
      guard offset == raw.count else {
        throw TorchCheckpointError(.invalidTensor, "\(raw.count - offset) bytes follow the last storage (from byte \(offset))")
      }
      return (root, storages)
    }
  }

  // MARK: - Persistent ids

  /// Resolves `('storage', torch.<Type>Storage, key, location, numel[, view])`.
  private static func storage(
    from id: PickleValue, legacy: Bool, known: inout [String: TorchStorageReference], fileSize: Int
  ) throws -> TorchStorageReference {
    guard case .tuple(let tuple) = id, case let parts = tuple.items, parts.count == 5 || parts.count == 6,
      case .string("storage") = parts[0]
    else {
      throw TorchCheckpointError(.malformedPickle, "a persistent id that is not a storage: \(id.kind)")
    }
    guard case .global(.storageType(let type)) = parts[1] else {
      throw TorchCheckpointError(.malformedPickle, "a storage whose type is a \(parts[1].kind)")
    }
    guard case .string(let key) = parts[2], case .int(let count) = parts[4], count >= 0 else {
      throw TorchCheckpointError(.malformedPickle, "a storage id without a string key and a non-negative element count")
    }
    if parts.count == 6, case .none = parts[5] {} else if parts.count == 6 {
      throw TorchCheckpointError(.unsupported, "storage \(key) is a view of another storage (PyTorch < 0.4), not supported")
    }
    // The bytes must be in the file: no count can exceed its size.
    guard count <= fileSize / type.elementSize else {
      throw TorchCheckpointError(.invalidTensor, "storage \(key) claims \(count) elements, more than the file holds")
    }
    if let existing = known[key] {
      guard existing.type == type, existing.elementCount == count else {
        throw TorchCheckpointError(.malformedPickle, "storage \(key) is described twice, differently")
      }
      return existing
    }
    let reference = TorchStorageReference(key: key, type: type, elementCount: count)
    known[key] = reference
    return reference
  }
}
