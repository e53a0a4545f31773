import DatasetDownload
import Foundation
import Testing
import _TestSupport

@Suite("Dataset catalog and Kaggle credentials")
struct CatalogTests {
  @Test("the bundled catalog lists the public sources with the documented URL patterns")
  func bundled() throws {
    let catalog = try DatasetCatalog.bundled()
    #expect(catalog.datasets.map(\.name) == ["l3das21", "l3das22", "l3das23"])
    let l3das21 = try catalog.archives(matching: ["l3das21"])
    #expect(
      l3das21.map(\.archive.fileName) == [
        "L3DAS_Task1_train100.zip", "L3DAS_Task1_train360.zip", "L3DAS_Task1_dev.zip",
        "L3DAS_Task2_train.zip",
        "L3DAS_Task2_dev.zip",
      ])
    #expect(
      try catalog.downloadURL(for: l3das21[0]).absoluteString
        == "https://zenodo.org/record/4642005/files/L3DAS_Task1_train100.zip")
    #expect(
      try catalog.zenodoRecordURL("4642005").absoluteString
        == "https://zenodo.org/api/records/4642005")
    let kaggle = try catalog.archives(matching: ["l3das22", "l3das23"])
    #expect(
      try kaggle.map { try catalog.downloadURL(for: $0).absoluteString } == [
        "https://www.kaggle.com/api/v1/datasets/download/l3dasteam/l3das22",
        "https://www.kaggle.com/api/v1/datasets/download/l3dasteam/l3das23-task1",
        "https://www.kaggle.com/api/v1/datasets/download/l3dasteam/l3das23-challenge",
      ])
    #expect(catalog.splitItemCounts["L3DAS22_Task2_dev"] == 150)
  }

  @Test("selections pick archives in catalog order without repeats; unknown names are refused")
  func selection() throws {
    let catalog = try DatasetCatalog.bundled()
    #expect(
      try catalog.archives(matching: [
        "l3das21/task2-dev", "L3DAS21/task1-dev", "l3das21/task2-dev",
      ]).map(\.qualifiedName)
        == ["l3das21/task1-dev", "l3das21/task2-dev"])
    for bad in ["l3das24", "l3das21/task3-dev"] {
      let error = #expect(throws: DownloadError.self) { try catalog.archives(matching: [bad]) }
      #expect(error?.code == .unknownSelection)
    }
  }

  @Test("Kaggle credentials: environment first, then kaggle.json; malformed files are errors")
  func credentials() throws {
    let dir = try TemporaryDirectory()
    #expect(try KaggleCredentials.find(environment: ["HOME": dir.url.path]) == nil)
    #expect(
      try KaggleCredentials.find(environment: [
        "KAGGLE_USERNAME": "u", "KAGGLE_KEY": "k", "HOME": dir.url.path,
      ])
        == KaggleCredentials(username: "u", key: "k"))
    try FileManager.default.createDirectory(
      at: dir.path(".kaggle"), withIntermediateDirectories: true)
    try Data(#"{"username":"ann","key":"abc"}"#.utf8).write(to: dir.path(".kaggle/kaggle.json"))
    let found = try KaggleCredentials.find(environment: ["HOME": dir.url.path])
    #expect(found == KaggleCredentials(username: "ann", key: "abc"))
    #expect(found?.authorizationHeader == "Basic " + Data("ann:abc".utf8).base64EncodedString())
    try Data("not json".utf8).write(to: dir.path(".kaggle/kaggle.json"))
    let error = #expect(throws: DownloadError.self) {
      try KaggleCredentials.find(environment: ["HOME": dir.url.path])
    }
    #expect(error?.code == .credentials)
  }
}
