import Foundation
import NumPyIO
import Testing
import _TestSupport

private struct Expected: Decodable {
  struct File: Decodable { var shape: [Int]; var values: [Double] }
  var files: [String: File]
}

private let fixtures = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!
  .appendingPathComponent("npy")

@Suite("NumPy .npy files")
struct NumPyFileTests {
  static let readable = [
    "v1_f4_le_2d.npy", "v2_f8_be_2d.npy", "v3_f2_le_1d.npy", "v1_f4_fortran_2d.npy", "v1_i2_be_1d.npy",
    "v1_u1_1d.npy", "v1_i8_1d.npy", "v1_b1_1d.npy", "v1_f4_scalar.npy", "v1_f4_empty.npy",
    "np_save_default.npy",
  ]

  @Test("files written by numpy load with their shape and values in C order", arguments: readable)
  func readsNumPyFiles(name: String) throws {
    let expected = try JSONDecoder().decode(Expected.self, from: Data(contentsOf: fixtures.appendingPathComponent("expected.json")))
    let file = try #require(expected.files[name])
    let (header, values) = try NumPyFile.readFloats(fixtures.appendingPathComponent(name))
    #expect(header.shape == file.shape)
    #expect(values.count == file.values.count)
    for (v, e) in zip(values, file.values) { #expect(Double(v) == Double(Float(e)), "\(name)") }
    #expect(try NumPyFile.header(of: fixtures.appendingPathComponent(name)) == header)
  }

  @Test(
    "unsafe or broken files are refused with a specific error",
    arguments: [
      ("object_array.npy", NumPyError.Code.pickled), ("pickle.npy", .pickled), ("archive_npz.npy", .notNumPy),
      ("structured.npy", .unsupportedDType), ("complex.npy", .unsupportedDType), ("truncated.npy", .truncated),
      ("trailing.npy", .trailingData),
    ])
  func refuses(name: String, code: NumPyError.Code) {
    let error = #expect(throws: NumPyError.self) { try NumPyFile.readFloats(fixtures.appendingPathComponent(name)) }
    #expect(error?.code == code, "\(error?.description ?? "")")
    #expect(error?.path?.hasSuffix(name) == true)
  }

  @Test("malformed headers and unknown versions are refused, never evaluated")
  func malformedHeaders() throws {
    let dir = try TemporaryDirectory()
    func file(_ header: String, version: UInt8 = 1) throws -> URL {
      var data = Data([0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, version, 0])
      data.append(contentsOf: [UInt8(header.utf8.count & 0xFF), UInt8(header.utf8.count >> 8)])
      data.append(contentsOf: Array(header.utf8))
      let url = dir.path("h\(UUID().uuidString).npy")
      try data.write(to: url)
      return url
    }
    let cases: [(URL, NumPyError.Code)] = [
      (try file("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }\n", version: 9), .unsupportedVersion),
      (try file("{'descr': '<f4', 'fortran_order': False}\n"), .malformedHeader),
      (try file("{'descr': '<f4', 'fortran_order': __import__('os'), 'shape': (1,)}\n"), .malformedHeader),
      (try file("{'descr': '<U3', 'fortran_order': False, 'shape': (1,)}\n"), .unsupportedDType),
      (try file("[1, 2, 3]\n"), .malformedHeader),
    ]
    for (url, code) in cases {
      let error = #expect(throws: NumPyError.self) { try NumPyFile.header(of: url) }
      #expect(error?.code == code, "\(error?.description ?? "")")
    }
    try Data("not numpy".utf8).write(to: dir.path("x.npy"))
    #expect(throws: NumPyError.self) { try NumPyFile.header(of: dir.path("x.npy")) }
  }

  @Test("written files round-trip and have numpy's 64-byte-aligned header", arguments: [[5], [2, 3], [0]])
  func roundTrip(shape: [Int]) throws {
    let dir = try TemporaryDirectory()
    let values = (0..<shape.reduce(1, *)).map { Float($0) * 0.25 - 1 }
    try NumPyFile.write(values, shape: shape, to: dir.path("a.npy"))
    let (header, back) = try NumPyFile.readFloats(dir.path("a.npy"))
    #expect(header.shape == shape && back == values && header.dataOffset % 64 == 0)
    #expect(throws: NumPyError.self) { try NumPyFile.write([1, 2], shape: [3], to: dir.path("b.npy")) }
    #expect(try dir.entries() == ["a.npy"])
  }

  @Test("numpy (from PyPI, in a venv) loads what we write, and we load what numpy writes; skipped only without python3")
  func numpyInterop() throws {
    guard let python = try PythonVenv.python(with: ["numpy"]) else {
      print("skipped: python3 is not available")
      return
    }
    let dir = try TemporaryDirectory()
    // Ours → numpy.
    let values: [Float] = [0.5, -1, 3.25, 1e-8, -0.0, 7]
    try NumPyFile.write(values, shape: [2, 3], to: dir.path("ours.npy"))
    let loaded = try PythonVenv.run(
      python,
      "import sys, numpy as np; a = np.load(sys.argv[1], allow_pickle=False); print(a.dtype, a.shape, a.ravel().tolist())",
      arguments: [dir.path("ours.npy").path])
    #expect(loaded == "float32 (2, 3) [0.5, -1.0, 3.25, 9.99999993922529e-09, -0.0, 7.0]")

    // numpy → ours: every version, byte order, float and integer type, C and Fortran order.
    let script = """
      import sys, os, json, numpy as np
      from numpy.lib import format as f
      out = sys.argv[1]
      rng = np.random.default_rng(5)
      cases = {}
      base = rng.standard_normal((3, 5))
      for version in [(1, 0), (2, 0), (3, 0)]:
          for dtype in ['<f2', '<f4', '>f4', '<f8', '>f8', '<i2', '>i4', '<i8', '|u1', '|i1']:
              for order in ['C', 'F']:
                  for shape in [(15,), (3, 5)]:
                      a = (base * (100 if dtype[1] in 'iu' else 1)).reshape(shape)
                      if dtype[1] == 'u':
                          a = np.abs(a)
                      a = np.asarray(a, dtype=dtype, order=order)
                      name = f"v{version[0]}_{dtype[1:]}_{'be' if dtype[0] == '>' else 'le'}_{order}_{len(shape)}d.npy"
                      with open(os.path.join(out, name), 'wb') as fh:
                          f.write_array(fh, a, version=version)
                      cases[name] = {'shape': list(a.shape), 'values': a.astype(np.float64).ravel(order='C').tolist()}
      json.dump(cases, open(os.path.join(out, 'expected.json'), 'w'))
      """
    _ = try PythonVenv.run(python, script, arguments: [dir.url.path])
    struct Case: Decodable { var shape: [Int]; var values: [Double] }
    let cases = try JSONDecoder().decode(
      [String: Case].self, from: Data(contentsOf: dir.path("expected.json")))
    #expect(cases.count == 120)
    for (name, expected) in cases {
      let (header, read) = try NumPyFile.readFloats(dir.path(name))
      #expect(header.shape == expected.shape, "\(name)")
      #expect(read == expected.values.map { Float($0) }, "\(name)")
      #expect(try NumPyFile.scan(dir.path(name)).header == header, "\(name)")
    }
  }
}
