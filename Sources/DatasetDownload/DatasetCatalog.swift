public import Foundation

/// The public sources of the L3DAS datasets, read from the `catalog.json` resource.
///
/// The catalog is data, not code: hosts and their URL templates, each edition's archives with
/// the split folders they unpack to, folder renames applied after extraction, and the
/// per-split item counts that are published.
///
/// ```swift
/// let catalog = try DatasetCatalog.bundled()
/// let archives = try catalog.archives(matching: ["l3das21/task2-dev"])
/// ```
public struct DatasetCatalog: Codable, Sendable, Equatable {
  /// The catalog format version (1).
  public var version: Int
  /// URL templates of the hosts.
  public var hosts: Hosts
  /// The datasets, one per edition.
  public var datasets: [Dataset]
  /// Item counts per official split folder name, where published.
  public var splitItemCounts: [String: Int]
  /// Where the numbers come from.
  public var notes: [String]?

  /// URL templates; `{record}`, `{file}` and `{dataset}` are replaced.
  public struct Hosts: Codable, Sendable, Equatable {
    /// Zenodo templates.
    public var zenodo: Zenodo
    /// Kaggle templates.
    public var kaggle: Kaggle

    /// Zenodo's file download URL and record API.
    public struct Zenodo: Codable, Sendable, Equatable {
      /// `https://zenodo.org/record/{record}/files/{file}`.
      public var fileURL: String
      /// `https://zenodo.org/api/records/{record}` (files[].key, checksum, size, links.self).
      public var recordAPI: String
    }

    /// Kaggle's public dataset download API (HTTP basic authentication with the user's token).
    public struct Kaggle: Codable, Sendable, Equatable {
      /// `https://www.kaggle.com/api/v1/datasets/download/{dataset}`.
      public var downloadURL: String
    }
  }

  /// Where a dataset is hosted.
  public enum Host: String, Codable, Sendable, Equatable {
    /// Zenodo: one file per archive, an MD5 per file in the record API.
    case zenodo
    /// Kaggle: one archive per Kaggle dataset, no published checksum.
    case kaggle
  }

  /// One edition's archives.
  public struct Dataset: Codable, Sendable, Equatable {
    /// The selection name (`l3das21`).
    public var name: String
    /// A one-line description with the host identifiers.
    public var title: String
    /// The host.
    public var host: Host
    /// The Zenodo record id, for Zenodo datasets.
    public var zenodoRecord: String?
    /// The archives.
    public var archives: [Archive]
    /// Top-level folder renames applied after extraction (Kaggle name → official name).
    public var folderRenames: [String: String]?
  }

  /// One downloadable archive.
  public struct Archive: Codable, Sendable, Equatable {
    /// The id inside its dataset (`task1-dev`); selected as `<dataset>/<id>`.
    public var id: String
    /// The archive's file name on disk (and on Zenodo).
    public var fileName: String
    /// `owner/name` of the Kaggle dataset, for Kaggle archives.
    public var kaggleDataset: String?
    /// The split folders the archive holds after normalisation.
    public var splitFolders: [String]
  }

  /// An archive with the dataset it belongs to.
  public struct Entry: Sendable, Equatable {
    /// The dataset.
    public var dataset: Dataset
    /// The archive.
    public var archive: Archive
    /// `<dataset>/<archive id>`.
    public var qualifiedName: String { "\(dataset.name)/\(archive.id)" }
  }

  /// The catalog shipped with the module.
  ///
  /// - Throws: `DownloadError` `.invalidCatalog` if the resource is missing or malformed.
  public static func bundled() throws -> DatasetCatalog {
    guard let url = Bundle.module.url(forResource: "catalog", withExtension: "json") else {
      throw DownloadError(.invalidCatalog, "the catalog.json resource is missing from the build")
    }
    return try load(url)
  }

  /// Reads a catalog file.
  ///
  /// - Throws: `DownloadError` `.invalidCatalog` if it cannot be read or decoded.
  public static func load(_ url: URL) throws -> DatasetCatalog {
    do {
      return try JSONDecoder().decode(DatasetCatalog.self, from: Data(contentsOf: url))
    } catch {
      throw DownloadError(.invalidCatalog, "cannot read the catalog: \(error)", path: url.path)
    }
  }

  /// The archives named by `selection`: dataset names (`l3das21`, every archive) or
  /// `<dataset>/<archive id>` (`l3das21/task1-dev`), in catalog order without repeats.
  ///
  /// - Throws: `DownloadError` `.unknownSelection` naming the valid choices.
  public func archives(matching selection: [String]) throws -> [Entry] {
    var chosen: [String] = []
    for item in selection {
      let parts = item.lowercased().split(separator: "/", maxSplits: 1).map(String.init)
      guard let dataset = datasets.first(where: { $0.name == parts.first }) else {
        throw DownloadError(
          .unknownSelection,
          "unknown dataset '\(item)'; choose from \(datasets.map(\.name).joined(separator: ", "))")
      }
      if parts.count == 1 {
        chosen += dataset.archives.map { "\(dataset.name)/\($0.id)" }
      } else if dataset.archives.contains(where: { $0.id == parts[1] }) {
        chosen.append("\(dataset.name)/\(parts[1])")
      } else {
        let ids = dataset.archives.map { "\(dataset.name)/\($0.id)" }.joined(separator: ", ")
        throw DownloadError(.unknownSelection, "unknown archive '\(item)'; choose from \(ids)")
      }
    }
    return allEntries.filter { chosen.contains($0.qualifiedName) }
  }

  /// Every archive of every dataset, in catalog order.
  public var allEntries: [Entry] {
    datasets.flatMap { dataset in dataset.archives.map { Entry(dataset: dataset, archive: $0) } }
  }

  /// The URL an archive is downloaded from (without a mirror).
  public func downloadURL(for entry: Entry) throws -> URL {
    let text: String
    switch entry.dataset.host {
    case .zenodo:
      guard let record = entry.dataset.zenodoRecord else {
        throw DownloadError(.invalidCatalog, "\(entry.dataset.name) has no zenodoRecord")
      }
      text = hosts.zenodo.fileURL.replacingOccurrences(of: "{record}", with: record)
        .replacingOccurrences(of: "{file}", with: entry.archive.fileName)
    case .kaggle:
      guard let dataset = entry.archive.kaggleDataset else {
        throw DownloadError(.invalidCatalog, "\(entry.qualifiedName) has no kaggleDataset")
      }
      text = hosts.kaggle.downloadURL.replacingOccurrences(of: "{dataset}", with: dataset)
    }
    guard let url = URL(string: text) else {
      throw DownloadError(.invalidCatalog, "'\(text)' is not a URL")
    }
    return url
  }

  /// The Zenodo record API URL of `record`.
  public func zenodoRecordURL(_ record: String) throws -> URL {
    let text = hosts.zenodo.recordAPI.replacingOccurrences(of: "{record}", with: record)
    guard let url = URL(string: text) else {
      throw DownloadError(.invalidCatalog, "'\(text)' is not a URL")
    }
    return url
  }
}
