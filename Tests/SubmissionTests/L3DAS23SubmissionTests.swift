import Datasets
import Foundation
import Submission
import Testing
import _TestSupport

/// The L3DAS23 nested layout `{group}_{audioonly|audiovisual}.zip` → `task<N>/<K>mic/` and its
/// cylindrical rows.
@Suite("L3DAS23 submissions")
struct L3DAS23SubmissionTests {
  /// A 30 s Task 2 test folder named like L3DAS23's (two scenes).
  func fixture() throws -> (ValidationFixture, URL) {
    let f = try ValidationFixture(items: ["split5_ov1_1": 32, "split5_ov2_1": 32], sampleRate: 32_000)
    let named = f.directory.path("L3DAS23_Task2_test")
    try FileManager.default.moveItem(at: f.test, to: named)
    return (f, named)
  }

  @Test("subtracks are found at the top or below one folder, in zips and folders; each validates as one flat submission")
  func nestedZip() throws {
    let (f, test) = try fixture()
    let zip = f.directory.path("team_audioonly.zip")
    let row = Data("0,7,1.5,-30,0.2\n".utf8)
    try makeZip(zip, [
      ("team/task2/1mic/split5_ov1_1.csv", row), ("team/task2/1mic/split5_ov2_1.csv", Data()),
      ("team/task2/2mic/split5_ov1_1.csv", row),
      ("team/task1/1mic/x.npy", Data([1])),
    ])
    #expect(try Subtrack.present(in: zip).map(\.folder) == ["task1/1mic", "task2/1mic", "task2/2mic"])
    #expect(L3DAS23Submission.track(of: zip) == "audioonly")
    #expect(L3DAS23Submission.track(of: f.directory.path("team.zip")) == nil)
    var options = SubmissionValidator.Options(task: .soundEventLocalizationDetection)
    options.subtrack = Subtrack("1mic", task: .soundEventLocalizationDetection)
    let one = try SubmissionValidator.validate(submission: zip, test: test, options: options)
    #expect(one.isValid && one.edition == .l3das23 && one.validItemCount == 2, "\(one.text)")
    options.subtrack = Subtrack("task2/2mic")
    let two = try SubmissionValidator.validate(submission: zip, test: test, options: options)
    #expect(!two.isValid && two.kinds == [.missingItem], "split5_ov2_1 is missing in 2mic: \(two.text)")
    // The rows the scorer reads are the Cartesian conversion of rho = 1.5, theta = −30°.
    let items = try SubmissionItems(url: zip, task: .soundEventLocalizationDetection, subtrack: Subtrack("task2/1mic"))
    let rows = try items.rows("split5_ov1_1", frameCount: 300, coordinateLimit: 20, coordinates: .cylindrical)
    #expect(abs(rows[0].position.x - 0.75) < 1e-12 && abs(rows[0].position.y - 1.5 * 3.0.squareRoot() / 2) < 1e-12)
    // Without a subtrack the nested files are not a flat submission.
    let flat = try SubmissionValidator.validate(submission: zip, test: test, options: .init(task: .soundEventLocalizationDetection))
    #expect(!flat.isValid)
    #expect(throws: SubmissionError.self) {
      var missing = SubmissionValidator.Options(task: .speechEnhancement)
      missing.subtrack = Subtrack("task1/2mic")
      _ = try SubmissionValidator.validate(submission: zip, test: test, options: missing)
    }
  }

  @Test("the layout rules: a track in the name, both mics only when asked")
  func layoutRules() throws {
    let (f, _) = try fixture()
    let zip = f.directory.path("team.zip")
    try makeZip(zip, [("task2/1mic/split5_ov1_1.csv", Data())])
    let present = try Subtrack.present(in: zip)
    let relaxed = L3DAS23Submission.layoutProblems(url: zip, task: .soundEventLocalizationDetection, present: present, requireBothMicrophones: false)
    #expect(relaxed.map(\.severity) == [.warning], "no track in the name")
    let strict = L3DAS23Submission.layoutProblems(url: zip, task: .soundEventLocalizationDetection, present: present, requireBothMicrophones: true)
    #expect(strict.contains { $0.severity == .error && $0.message.contains("demands both") })
    #expect(Subtrack("3mic", task: .speechEnhancement) == nil && Subtrack("task3/1mic") == nil && Subtrack("task1/1mic", task: .soundEventLocalizationDetection) == nil)
  }

  @Test("rho,theta,z rows: theta in degrees wraps; negative rho, radians and far values warn; the official metric's values are never refused")
  func cylindricalRows() throws {
    let (f, test) = try fixture()
    let radians = (0..<60).map { "\($0),7,1.5,\(Double($0 % 6) - 2.5),0" }.joined(separator: "\n") + "\n"
    func validate(_ one: String, _ two: String) throws -> SubmissionReport {
      try f.write(one, "split5_ov1_1.csv")
      try f.write(two, "split5_ov2_1.csv")
      // The test audio is a few samples long; the edition gives the 300 frames.
      return try SubmissionValidator.validate(
        submission: f.submission, test: test, options: .init(task: .soundEventLocalizationDetection, edition: .l3das23))
    }
    let r = try validate(radians, "")
    #expect(r.isValid && r.kinds == [.radians], "\(r.text)")
    let odd = try validate("", "0,7,-1,720,0\n1,7,25,10,0\n299,7,1,-362,30\n")
    #expect(odd.isValid, "\(odd.text)")
    #expect(Set(odd.kinds) == [.negativeRho, .coordinateOutOfRange], "\(odd.text)")
    #expect(try validate("", "0,7,1,NaN,0\n").isValid == false, "a non-finite theta is an error")
  }
}
