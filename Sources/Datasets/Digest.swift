internal import COpenSSL
public import Foundation

/// Message digests computed by OpenSSL's libcrypto, for checking downloaded archives and
/// dataset files against published checksums.
///
/// ```swift
/// try Digest.hex(of: Data("abc".utf8), algorithm: .sha256)   // "ba7816bf…"
/// try Digest.hex(ofFileAt: archive, algorithm: .md5)          // streamed in 1 MiB chunks
/// ```
public enum Digest {
  /// A digest algorithm.
  public enum Algorithm: String, CaseIterable, Sendable, Codable {
    /// MD5 (128 bits), as Zenodo publishes per file. Not collision resistant; use only to
    /// detect accidental corruption.
    case md5
    /// SHA-256 (256 bits).
    case sha256

    /// The digest length in bytes.
    public var byteCount: Int {
      switch self {
      case .md5: 16
      case .sha256: 32
      }
    }
  }

  /// The bytes read from a file per update.
  public static let chunkByteCount = 1 << 20

  /// The lower-case hexadecimal digest of `data`.
  ///
  /// - Throws: `DatasetError` `.digestFailed` if libcrypto cannot compute the digest (for
  ///   example when a FIPS-only configuration disables MD5).
  public static func hex(of data: Data, algorithm: Algorithm) throws -> String {
    let context = try DigestContext(algorithm)
    try data.withUnsafeBytes { try context.update($0) }
    return hexString(try context.finish())
  }

  /// The lower-case hexadecimal digest of the file at `url`, read in 1 MiB chunks so any
  /// file size takes constant memory.
  ///
  /// - Throws: `DatasetError` `.notFound` if the file does not exist, `.readFailed` if it
  ///   cannot be read, `.digestFailed` as `hex(of:algorithm:)`.
  public static func hex(ofFileAt url: URL, algorithm: Algorithm) throws -> String {
    guard FileSystem.isFile(url.path) else {
      let message = FileSystem.exists(url.path) ? "not a regular file" : "file does not exist"
      throw DatasetError(
        FileSystem.exists(url.path) ? .readFailed : .notFound, message, path: url.path)
    }
    let context = try DigestContext(algorithm)
    let handle: FileHandle
    do {
      handle = try FileHandle(forReadingFrom: url)
    } catch {
      throw DatasetError(.readFailed, "cannot open: \(error.localizedDescription)", path: url.path)
    }
    defer { try? handle.close() }
    while true {
      let chunk: Data?
      do {
        chunk = try handle.read(upToCount: chunkByteCount)
      } catch {
        throw DatasetError(
          .readFailed, "cannot read: \(error.localizedDescription)", path: url.path)
      }
      guard let chunk, !chunk.isEmpty else { break }
      try chunk.withUnsafeBytes { try context.update($0) }
    }
    return hexString(try context.finish())
  }

  /// One hex SHA-256 over the contents of several files (each file's name, size and digest,
  /// in the order given), e.g. a model's files. Folders are walked (files in name order;
  /// hidden entries skipped).
  ///
  /// - Throws: `DatasetError` naming an unreadable file.
  public static func combinedSHA256(of urls: [URL]) throws -> String {
    var lines: [String] = []
    for url in urls {
      var isFolder: ObjCBool = false
      guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder) else {
        throw DatasetError(.notFound, "file does not exist", path: url.path)
      }
      if isFolder.boolValue {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []
        let inner = names.filter { !$0.hasPrefix(".") }.sorted().map { url.appendingPathComponent($0) }
        lines.append("\(url.lastPathComponent)/ \(try combinedSHA256(of: inner))")
      } else {
        lines.append("\(url.lastPathComponent) \(try hex(ofFileAt: url, algorithm: .sha256))")
      }
    }
    return try hex(of: Data(lines.joined(separator: "\n").utf8), algorithm: .sha256)
  }

  static func hexString(_ bytes: [UInt8]) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var text: [UInt8] = []
    text.reserveCapacity(bytes.count * 2)
    for byte in bytes {
      text.append(digits[Int(byte >> 4)])
      text.append(digits[Int(byte & 0x0f)])
    }
    return String(decoding: text, as: UTF8.self)
  }
}

/// Owns one `EVP_MD_CTX`, freed when the object is released.
final class DigestContext {
  private let context: OpaquePointer
  private let algorithm: Digest.Algorithm

  init(_ algorithm: Digest.Algorithm) throws {
    guard let context = EVP_MD_CTX_new() else {
      throw DatasetError(.digestFailed, "cannot allocate an OpenSSL digest context")
    }
    self.context = context
    self.algorithm = algorithm
    let method =
      switch algorithm {
      case .md5: EVP_md5()
      case .sha256: EVP_sha256()
      }
    guard EVP_DigestInit_ex(context, method, nil) == 1 else {
      throw DatasetError(
        .digestFailed, "OpenSSL cannot initialise \(algorithm.rawValue) (disabled by policy?)")
    }
  }

  deinit { EVP_MD_CTX_free(context) }

  func update(_ bytes: UnsafeRawBufferPointer) throws {
    guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
    guard EVP_DigestUpdate(context, base, bytes.count) == 1 else {
      throw DatasetError(.digestFailed, "OpenSSL \(algorithm.rawValue) update failed")
    }
  }

  func finish() throws -> [UInt8] {
    var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
    var length: UInt32 = 0
    let status = digest.withUnsafeMutableBufferPointer {
      EVP_DigestFinal_ex(context, $0.baseAddress, &length)
    }
    guard status == 1, Int(length) == algorithm.byteCount else {
      throw DatasetError(.digestFailed, "OpenSSL \(algorithm.rawValue) finalisation failed")
    }
    return Array(digest.prefix(Int(length)))
  }
}
