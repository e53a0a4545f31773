public import Foundation

/// A Kaggle API token, sent with HTTP basic authentication to the Kaggle API host only.
///
/// Found in the environment variables `KAGGLE_USERNAME` and `KAGGLE_KEY` (which win, as in
/// Kaggle's own client) or in `~/.kaggle/kaggle.json` (`{"username": …, "key": …}`).
public struct KaggleCredentials: Sendable, Equatable, Codable {
  /// The Kaggle user name.
  public var username: String
  /// The API key.
  public var key: String

  /// Creates credentials.
  public init(username: String, key: String) {
    self.username = username
    self.key = key
  }

  /// The `Authorization` header value.
  public var authorizationHeader: String {
    "Basic " + Data("\(username):\(key)".utf8).base64EncodedString()
  }

  /// Finds the user's token.
  ///
  /// - Parameters:
  ///   - environment: the process environment (`KAGGLE_USERNAME`, `KAGGLE_KEY`,
  ///     `KAGGLE_CONFIG_DIR`, `HOME`).
  /// - Returns: the credentials, or `nil` if none are configured.
  /// - Throws: `DownloadError` `.credentials` if `kaggle.json` exists but is malformed.
  public static func find(
    environment: [String: String] = ProcessInfo.processInfo.environment
  ) throws -> KaggleCredentials? {
    if let username = environment["KAGGLE_USERNAME"], let key = environment["KAGGLE_KEY"],
      !username.isEmpty, !key.isEmpty
    {
      return KaggleCredentials(username: username, key: key)
    }
    let folder =
      environment["KAGGLE_CONFIG_DIR"]
      ?? environment["HOME"].map { "\($0)/.kaggle" }
    guard let folder else { return nil }
    let file = URL(fileURLWithPath: folder).appendingPathComponent("kaggle.json")
    guard FileManager.default.fileExists(atPath: file.path) else { return nil }
    do {
      return try JSONDecoder().decode(KaggleCredentials.self, from: Data(contentsOf: file))
    } catch {
      throw DownloadError(
        .credentials,
        "cannot read the Kaggle token (expected {\"username\": …, \"key\": …}): \(error)",
        path: file.path)
    }
  }

  /// The message shown when a Kaggle archive is selected without a token.
  public static let missingMessage =
    "L3DAS22 and L3DAS23 are on Kaggle, whose API needs your token: create one at "
    + "kaggle.com → Settings → API, save it as ~/.kaggle/kaggle.json (or set KAGGLE_USERNAME and "
    + "KAGGLE_KEY), and accept the dataset's terms on its Kaggle page"
}
