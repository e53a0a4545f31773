public import Foundation

/// The file list of a Zenodo record, from `https://zenodo.org/api/records/<id>`.
public struct ZenodoRecord: Sendable, Equatable {
  /// One file of the record.
  public struct File: Sendable, Equatable {
    /// The file name (`key`).
    public var name: String
    /// Size in bytes.
    public var bytes: Int64?
    /// Lower-case hex MD5 (from `checksum: "md5:…"`).
    public var md5: String?
    /// The download link (`links.self`).
    public var url: URL?
  }

  /// The files by name.
  public var files: [String: File]

  /// Parses the record JSON.
  ///
  /// - Throws: `DownloadError` `.connection` if it is not a Zenodo record.
  public init(json: Data) throws {
    guard let object = try? JSONSerialization.jsonObject(with: json) as? [String: Any],
      let list = object["files"] as? [[String: Any]]
    else {
      throw DownloadError(.connection, "the Zenodo record answer has no files list")
    }
    var files: [String: File] = [:]
    for entry in list {
      guard let key = entry["key"] as? String else { continue }
      var file = File(name: key)
      if let size = entry["size"] as? NSNumber { file.bytes = size.int64Value }
      if let checksum = entry["checksum"] as? String, checksum.lowercased().hasPrefix("md5:") {
        file.md5 = String(checksum.dropFirst(4)).lowercased()
      }
      if let links = entry["links"] as? [String: Any], let link = links["self"] as? String {
        file.url = URL(string: link)
      }
      files[key] = file
    }
    self.files = files
  }

  /// Fetches and parses the record at `url`.
  public static func fetch(
    _ url: URL, transport: any HTTPTransport, idleTimeoutSeconds: Double
  ) throws -> ZenodoRecord {
    let handler = CollectingHandler()
    try transport.perform(
      HTTPRequest(
        url: url, headers: ["Accept": "application/json"], idleTimeoutSeconds: idleTimeoutSeconds),
      handler: handler)
    guard let head = handler.head, head.statusCode == 200 else {
      throw PartFileWriter.statusError(handler.head?.statusCode ?? 0, name: url.absoluteString)
    }
    return try ZenodoRecord(json: handler.body)
  }
}
