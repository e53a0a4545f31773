import Foundation
import SafeTensors
import Testing
import _TestSupport

private let fixtures = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!

/// A valid file built by hand: header JSON (unpadded) and data bytes.
private func rawFile(header: String, data: [UInt8], headerLength: UInt64? = nil) -> Data {
  var bytes = Data()
  let header = Array(header.utf8)
  withUnsafeBytes(of: (headerLength ?? UInt64(header.count)).littleEndian) {
    bytes.append(contentsOf: $0)
  }
  bytes.append(contentsOf: header)
  bytes.append(contentsOf: data)
  return bytes
}

@Suite("safetensors files")
struct SafeTensorsTests {
  @Test("F32, F64 and I64 tensors and metadata round-trip through a written file")
  func roundTrip() throws {
    let dir = try TemporaryDirectory()
    var rng = SplitMix64Seeded.make(11)
    let weights = (0..<12).map { _ in Float.random(in: -1..<1, using: &rng) }
    let precise = (0..<5).map { _ in Double.random(in: -1e3..<1e3, using: &rng) }
    let url = dir.path("model.safetensors")
    try SafeTensorsWriter.write(
      [
        "layer.weight": .init(weights, shape: [4, 3]),
        "layer.bias.f64": .init(precise, shape: [5]),
        "bn.num_batches_tracked": .init([Int64(42)], shape: []),
        "empty": .init([Float](), shape: [0, 3]),
      ],
      metadata: ["format": "pt", "note": "quote \" and ünïcode"], to: url)
    let file = try SafeTensorsFile.read(url)
    #expect(file.names == ["bn.num_batches_tracked", "empty", "layer.bias.f64", "layer.weight"])
    #expect(file.metadata == ["format": "pt", "note": "quote \" and ünïcode"])
    #expect(try file.floats("layer.weight") == weights)
    #expect(try file.doubles("layer.bias.f64") == precise)
    #expect(try file.floats("layer.bias.f64") == precise.map { Float($0) })
    #expect(try file.int64s("bn.num_batches_tracked") == [42])
    #expect(try file.floats("empty").isEmpty)
    #expect(file.info("layer.weight")?.dtype == .float32)
    #expect(file.info("layer.weight")?.shape == [4, 3])
    #expect(file.info("bn.num_batches_tracked")?.shape == [])
    #expect(file.info("nope") == nil)
    // Like the Python package: wider dtypes first (I64, F64, F32), then names, header
    // padded to a multiple of 8, nothing but the file itself in the folder.
    #expect(
      file.tensors.map(\.name) == [
        "bn.num_batches_tracked", "layer.bias.f64", "empty", "layer.weight",
      ])
    let bytes = try Data(contentsOf: url)
    let headerLength = bytes.prefix(8).enumerated().reduce(0) {
      $0 | Int($1.element) << (8 * $1.offset)
    }
    #expect(headerLength % 8 == 0)
    #expect(try dir.entries() == ["model.safetensors"])
  }

  @Test("the parity fixture written by Python reads with its names, shapes and values")
  func readsParityFixture() throws {
    let file = try SafeTensorsFile.read(
      fixtures.appendingPathComponent("spectrum_fast.io.safetensors"))
    #expect(file.names == ["features", "features_with_phase", "input", "stft_imag", "stft_real"])
    #expect(file.info("input")?.shape == [4, 3000])
    #expect(file.info("features")?.shape == [4, 256, 8])
    #expect(file.info("features_with_phase")?.shape == [8, 256, 8])
    #expect(file.info("stft_real")?.shape == [4, 257, 9])
    #expect(file.info("stft_imag")?.dataOffsets == 146_304..<183_312)
    let input = try file.floats("input")
    #expect(input.count == 12_000)
    // Values checked independently with numpy.frombuffer on the same bytes.
    #expect(input.prefix(3) == [0.2275986522436142, 0.6567225456237793, 0.4510059654712677])
    #expect(input.last == 0.029721345752477646)
    #expect(abs(input.reduce(0.0) { $0 + Double($1) } - -6.675464630126953) < 1e-3)
    #expect(try file.doubles("input").map { Float($0) } == input)
  }

  @Test("F16, BF16, I32, U8 and BOOL tensors convert exactly")
  func narrowTypes() throws {
    let header = """
      {"h":{"dtype":"F16","shape":[5],"data_offsets":[0,10]},\
      "b":{"dtype":"BF16","shape":[2],"data_offsets":[10,14]},\
      "i":{"dtype":"I32","shape":[2],"data_offsets":[14,22]},\
      "u":{"dtype":"U8","shape":[2],"data_offsets":[22,24]},\
      "t":{"dtype":"BOOL","shape":[2],"data_offsets":[24,26]}}
      """
    // F16: 1.0, -2.0, 65504 (max), 2^-24 (smallest subnormal), +inf.
    let half: [UInt8] = [0x00, 0x3C, 0x00, 0xC0, 0xFF, 0x7B, 0x01, 0x00, 0x00, 0x7C]
    // BF16: 1.0 (0x3F80), -0.5 (0xBF00).
    let brain: [UInt8] = [0x80, 0x3F, 0x00, 0xBF]
    let int32: [UInt8] = [0xFF, 0xFF, 0xFF, 0xFF, 0x07, 0x00, 0x00, 0x00]
    let file = try SafeTensorsFile(
      bytes: rawFile(header: header, data: half + brain + int32 + [200, 3] + [1, 0]))
    #expect(
      try file.floats("h") == [
        1, -2, 65504, Float(sign: .plus, exponent: -24, significand: 1), .infinity,
      ])
    #expect(try file.floats("b") == [1, -0.5])
    #expect(try file.int64s("i") == [-1, 7])
    #expect(try file.int64s("u") == [200, 3])
    #expect(try file.int64s("t") == [1, 0])
    #expect(try file.doubles("i") == [-1, 7])
    let mismatch = #expect(throws: SafeTensorsError.self) { try file.int64s("h") }
    #expect(mismatch?.code == .typeMismatch)
    let missing = #expect(throws: SafeTensorsError.self) { try file.floats("x") }
    #expect(missing?.code == .missingTensor)
    #expect(missing?.message.contains("\"x\"") == true)
  }

  static let corruptions: [(String, Data, SafeTensorsError.Code, String)] = {
    let good =
      #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}"#
    let data = [UInt8](repeating: 0, count: 12)
    return [
      ("shorter than the length prefix", Data([1, 0, 0]), .truncated, "8-byte"),
      (
        "huge header length", rawFile(header: good, data: data, headerLength: 1 << 40),
        .invalidHeaderLength, "not plausible"
      ),
      (
        "header length past the end", rawFile(header: good, data: [], headerLength: 500),
        .invalidHeaderLength, "exceeds"
      ),
      (
        "truncated data", rawFile(header: good, data: Array(data.prefix(10))), .invalidOffsets,
        "\"b\""
      ),
      (
        "bad JSON",
        rawFile(header: #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}"#, data: data),
        .malformedHeader, "JSON"
      ),
      (
        "JSON not an object", rawFile(header: "[1, 2]", data: []), .malformedHeader, "not an object"
      ),
      (
        "missing field", rawFile(header: #"{"a":{"dtype":"F32","shape":[3]}}"#, data: data),
        .malformedHeader, "\"a\""
      ),
      (
        "negative shape",
        rawFile(header: #"{"a":{"dtype":"F32","shape":[-3],"data_offsets":[0,12]}}"#, data: data),
        .malformedHeader, "\"a\""
      ),
      (
        "out-of-range offsets",
        rawFile(header: #"{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#, data: data),
        .invalidOffsets, "run past"
      ),
      (
        "reversed offsets",
        rawFile(header: #"{"a":{"dtype":"F32","shape":[0],"data_offsets":[8,4]}}"#, data: data),
        .invalidOffsets, "\"a\""
      ),
      (
        "overlap",
        rawFile(
          header:
            #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#,
          data: data), .invalidOffsets, "overlap"
      ),
      (
        "gap",
        rawFile(
          header:
            #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}"#,
          data: data), .invalidOffsets, "gap"
      ),
      (
        "shape mismatch",
        rawFile(header: #"{"a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,12]}}"#, data: data),
        .shapeMismatch, "[2, 2]"
      ),
      (
        "unknown dtype",
        rawFile(
          header:
            #"{"a":{"dtype":"C64","shape":[1],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}"#,
          data: data), .unsupportedDType, "C64"
      ),
      (
        "duplicate name",
        rawFile(
          header:
            #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"a":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}"#,
          data: data), .duplicateName, "\"a\""
      ),
      ("trailing bytes", rawFile(header: good, data: data + [9, 9]), .trailingData, "2 bytes"),
      (
        "metadata not strings", rawFile(header: #"{"__metadata__":{"k":1}}"#, data: []),
        .malformedHeader, "__metadata__"
      ),
    ]
  }()

  @Test(
    "every kind of corruption gives a specific error naming the file",
    arguments: 0..<corruptions.count)
  func corruption(index: Int) throws {
    let (name, bytes, code, fragment) = Self.corruptions[index]
    let dir = try TemporaryDirectory()
    let url = dir.path("bad.safetensors")
    try bytes.write(to: url)
    let error = #expect(throws: SafeTensorsError.self, "\(name)") { try SafeTensorsFile.read(url) }
    #expect(error?.code == code, "\(name): \(error?.description ?? "")")
    #expect(error?.description.hasPrefix(url.path) == true, "\(name)")
    #expect(error?.message.contains(fragment) == true, "\(name): \(error?.message ?? "")")
  }

  @Test("a missing file and inconsistent tensors to write are refused")
  func refusedWrites() throws {
    let dir = try TemporaryDirectory()
    let missing = #expect(throws: SafeTensorsError.self) {
      try SafeTensorsFile.read(dir.path("none.safetensors"))
    }
    #expect(missing?.code == .unreadable)
    let shape = #expect(throws: SafeTensorsError.self) {
      try SafeTensorsWriter.write(
        ["w": .init([Float](repeating: 0, count: 5), shape: [2, 3])], to: dir.path("w.safetensors"))
    }
    #expect(shape?.code == .invalidTensor)
    #expect(shape?.message.contains("\"w\"") == true)
    let reserved = #expect(throws: SafeTensorsError.self) {
      try SafeTensorsWriter.write(
        ["__metadata__": .init([Float(1)], shape: [1])], to: dir.path("w.safetensors"))
    }
    #expect(reserved?.code == .invalidTensor)
    #expect(try dir.entries().isEmpty)
  }

  @Test(
    "the Python safetensors package reads our files and we read its files byte-for-byte (skipped only without python3)"
  )
  func pythonInterop() throws {
    guard let python = try PythonVenv.python(with: ["safetensors", "numpy"]) else {
      print("skipped: python3 is not available")
      return
    }
    let dir = try TemporaryDirectory()
    // Ours → Python.
    let ours = dir.path("ours.safetensors")
    try SafeTensorsWriter.write(
      [
        "w": .init([0.5, -1, 3.25, 1e-8, -0.0, 7] as [Float], shape: [2, 3]),
        "d": .init([0.1, 1e300] as [Double], shape: [2]),
        "n": .init([Int64(-3)], shape: []),
      ],
      metadata: ["format": "pt"], to: ours)
    let read = try PythonVenv.run(
      python,
      """
      import sys
      from safetensors import safe_open
      from safetensors.numpy import load_file
      t = load_file(sys.argv[1])
      with safe_open(sys.argv[1], framework="np") as f: meta = f.metadata()
      for k in sorted(t): print(k, t[k].dtype, t[k].shape, t[k].ravel().tolist())
      print(meta)
      """, arguments: [ours.path])
    #expect(
      read == """
        d float64 (2,) [0.1, 1e+300]
        n int64 () [-3]
        w float32 (2, 3) [0.5, -1.0, 3.25, 9.99999993922529e-09, -0.0, 7.0]
        {'format': 'pt'}
        """)
    // Python → ours, and our writer reproduces the Python file exactly.
    let theirs = dir.path("theirs.safetensors")
    _ = try PythonVenv.run(
      python,
      """
      import sys, numpy as np
      from safetensors.numpy import save_file
      save_file({"b.weight": np.arange(6, dtype=np.float32).reshape(2, 3) / 4,
                 "a.bias": np.array([1.5, -2.25], dtype=np.float64),
                 "c.steps": np.array(9, dtype=np.int64),
                 "z": np.array([0.5], dtype=np.float32)}, sys.argv[1], metadata={"format": "pt"})
      """, arguments: [theirs.path])
    let file = try SafeTensorsFile.read(theirs)
    #expect(file.names == ["a.bias", "b.weight", "c.steps", "z"])
    #expect(file.metadata == ["format": "pt"])
    #expect(try file.floats("b.weight") == [0, 0.25, 0.5, 0.75, 1, 1.25])
    #expect(file.info("b.weight")?.shape == [2, 3])
    #expect(try file.doubles("a.bias") == [1.5, -2.25])
    #expect(try file.int64s("c.steps") == [9])
    let again = try SafeTensorsWriter.encode(
      [
        "b.weight": .init(try file.floats("b.weight"), shape: [2, 3]),
        "a.bias": .init(try file.doubles("a.bias"), shape: [2]),
        "c.steps": .init(try file.int64s("c.steps"), shape: []),
        "z": .init(try file.floats("z"), shape: [1]),
      ], metadata: file.metadata)
    #expect(again == (try Data(contentsOf: theirs)))
  }
}
