import Foundation
import Testing
import ZIPFoundation

/// Writes pickle opcodes by hand, to build `torch.save`-shaped files (and hostile ones) in tests.
struct PickleBuilder {
  var bytes: [UInt8] = [0x80, 0x02]  // PROTO 2

  mutating func op(_ code: UInt8, _ operand: [UInt8] = []) { bytes += [code] + operand }
  mutating func global(_ module: String, _ name: String) { op(0x63, Array("\(module)\n\(name)\n".utf8)) }
  mutating func string(_ s: String) {
    let utf8 = Array(s.utf8)
    op(0x58, le(UInt32(utf8.count)) + utf8)
  }
  /// BININT1, BININT2 or BININT as torch's pickler picks them.
  mutating func int(_ i: Int) {
    if i >= 0 && i < 256 {
      op(0x4B, [UInt8(i)])
    } else if i >= 0 && i < 65536 {
      op(0x4D, le(UInt16(i)))
    } else if let small = Int32(exactly: i) {
      op(0x4A, le(UInt32(bitPattern: small)))
    } else {
      op(0x8A, [8] + le(Int64(i)))  // LONG1
    }
  }
  mutating func tuple(_ body: (inout PickleBuilder) -> Void) {
    op(0x28)
    body(&self)
    op(0x74)
  }
  mutating func stop() { op(0x2E) }

  /// `_rebuild_tensor_v2(('storage', torch.<type>, key, 'cpu', numel), offset, size, stride, False, OrderedDict())`.
  mutating func tensor(storage type: String, key: String, numel: Int, offset: Int, size: [Int], stride: [Int], legacy: Bool) {
    global("torch._utils", "_rebuild_tensor_v2")
    tuple { p in
      p.tuple { q in
        q.string("storage")
        q.global("torch", type)
        q.string(key)
        q.string("cpu")
        q.int(numel)
        if legacy { q.op(0x4E) }
      }
      p.op(0x51)  // BINPERSID
      p.int(offset)
      p.tuple { q in size.forEach { q.int($0) } }
      p.tuple { q in stride.forEach { q.int($0) } }
      p.op(0x89)  // NEWFALSE
      p.global("collections", "OrderedDict")
      p.op(0x29)  // EMPTY_TUPLE
      p.op(0x52)  // REDUCE
    }
    op(0x52)  // REDUCE
  }

  func le<T: FixedWidthInteger>(_ v: T) -> [UInt8] { withUnsafeBytes(of: v.littleEndian, Array.init) }
}

/// A state dict pickle `OrderedDict([(name, tensor)…])` over float storages.
struct TensorSpec {
  var name: String
  var key: String
  var numel: Int
  var offset = 0
  var size: [Int]
  var stride: [Int]
  var type = "FloatStorage"
}

func stateDictPickle(_ tensors: [TensorSpec], legacy: Bool, wrap: ((inout PickleBuilder, (inout PickleBuilder) -> Void) -> Void)? = nil) -> [UInt8] {
  var p = PickleBuilder()
  let body: (inout PickleBuilder) -> Void = { p in
    p.global("collections", "OrderedDict")
    p.op(0x29)
    p.op(0x52)
    p.op(0x28)  // MARK
    for t in tensors {
      p.string(t.name)
      p.tensor(storage: t.type, key: t.key, numel: t.numel, offset: t.offset, size: t.size, stride: t.stride, legacy: legacy)
    }
    p.op(0x75)  // SETITEMS
  }
  if let wrap { wrap(&p, body) } else { body(&p) }
  p.stop()
  return p.bytes
}

/// A legacy (pre-1.6) torch.save file: magic, protocol, sys info, the object, the keys, storages.
func legacyFile(object: [UInt8], storages: [(key: String, elementSize: Int, bytes: [UInt8])]) -> Data {
  var out: [UInt8] = []
  var magic = PickleBuilder()
  magic.op(0x8A, [10, 0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19])
  magic.stop()
  out += magic.bytes
  var version = PickleBuilder()
  version.int(1001)
  version.stop()
  out += version.bytes
  var info = PickleBuilder()
  info.op(0x7D)
  info.string("little_endian")
  info.op(0x88)
  info.op(0x73)
  info.stop()
  out += info.bytes
  out += object
  var keys = PickleBuilder()
  keys.op(0x5D)
  keys.op(0x28)
  for s in storages { keys.string(s.key) }
  keys.op(0x65)
  keys.stop()
  out += keys.bytes
  for s in storages {
    out += keys.le(Int64(s.bytes.count / s.elementSize))
    out += s.bytes
  }
  return Data(out)
}

/// A zip torch.save file with stored entries under `folder/`.
func zipFile(folder: String, pickle: [UInt8], storages: [(key: String, bytes: [UInt8])]) throws -> Data {
  let archive = try Archive(data: Data(), accessMode: .create)
  func add(_ path: String, _ data: [UInt8]) throws {
    try archive.addEntry(
      with: path, type: .file, uncompressedSize: Int64(data.count), compressionMethod: .none,
      provider: { position, size in Data(data[Int(position)..<(Int(position) + size)]) })
  }
  try add("\(folder)/data.pkl", pickle)
  try add("\(folder)/byteorder", Array("little".utf8))
  for s in storages { try add("\(folder)/data/\(s.key)", s.bytes) }
  try add("\(folder)/version", Array("3\n".utf8))
  return try #require(archive.data)
}

func floatBytes(_ values: [Float]) -> [UInt8] {
  values.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) }
}
