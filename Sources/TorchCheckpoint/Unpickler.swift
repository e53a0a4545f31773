/// A pickle reader that decodes data and never runs code.
///
/// It understands the opcodes a `state_dict` written by `torch.save` uses (protocols 2 to 5):
/// scalars, strings, tuples, lists, dicts, the memo, persistent ids (storages), `GLOBAL` for
/// the few names in `AllowedGlobal`, `REDUCE` applying those, and `BUILD` (whose state, the
/// `_metadata` of a state dict, is ignored). Any other opcode or global stops it with an error
/// naming it and its byte offset; a refused global is never applied to anything.
///
/// Every length read from the data is checked against the bytes that remain, integers are at
/// most 64 bits (wider ones are kept as bytes, up to 64 of them), and the stack and memo grow
/// by at most one entry per opcode, so the work and memory are bounded by the input's size.
struct Unpickler {
  /// Resolves a persistent id (`BINPERSID`) to a value.
  typealias PersistentLoad = (PickleValue) throws -> PickleValue

  private let bytes: UnsafeRawBufferPointer
  private var position: Int
  private let persistentLoad: PersistentLoad
  private var stack: [PickleValue] = []
  private var marks: [Int] = []
  private var memo: [Int: PickleValue] = [:]

  /// Prepares to read one pickle starting at `offset`.
  init(bytes: UnsafeRawBufferPointer, offset: Int = 0, persistentLoad: @escaping PersistentLoad) {
    self.bytes = bytes
    self.position = offset
    self.persistentLoad = persistentLoad
  }

  /// The deepest nesting of containers accepted in the result (a state dict needs about 6).
  static let maximumDepth = 64

  /// Reads up to and including `STOP`.
  ///
  /// Whatever happens, the containers built on the way that are not part of the result are
  /// taken apart iteratively before returning, so that no structure is released recursively:
  /// a hostile pickle can nest containers a million deep in a megabyte.
  /// - Returns: the pickled value and the offset just past `STOP`.
  mutating func load() throws -> (value: PickleValue, end: Int) {
    do {
      let (value, end) = try run()
      let kept = try Self.containers(of: value, maximumDepth: Self.maximumDepth)
      Self.dismantle(stack + Array(memo.values), keeping: kept)
      stack = []
      memo = [:]
      return (value, end)
    } catch let error as TorchCheckpointError {
      Self.dismantle(stack + Array(memo.values), keeping: [])
      stack = []
      memo = [:]
      throw error
    }
  }

  /// The containers reachable from `root`, checking that none is nested deeper than
  /// `maximumDepth` (iteratively; shared and cyclic references are followed once per depth).
  static func containers(of root: PickleValue, maximumDepth: Int) throws -> Set<ObjectIdentifier> {
    var deepest: [ObjectIdentifier: Int] = [:]
    var pending: [(PickleValue, Int)] = [(root, 0)]
    while let (value, depth) = pending.popLast() {
      let children: [PickleValue]
      let id: ObjectIdentifier
      switch value {
      case .tuple(let t): (id, children) = (ObjectIdentifier(t), t.items)
      case .list(let l): (id, children) = (ObjectIdentifier(l), l.items)
      case .dict(let d): (id, children) = (ObjectIdentifier(d), d.entries.flatMap { [$0.key, $0.value] })
      default: continue
      }
      guard depth < maximumDepth else {
        dismantle([root], keeping: [])
        throw TorchCheckpointError(
          .malformedPickle, "containers nested more than \(maximumDepth) deep (or a container inside itself)")
      }
      if let seen = deepest[id], seen >= depth { continue }
      deepest[id] = depth
      pending += children.map { ($0, depth + 1) }
    }
    return Set(deepest.keys)
  }

  /// Empties every container reachable from `values` except those in `keeping` (and what they
  /// hold), iteratively, so that releasing them afterwards never recurses deeply.
  static func dismantle(_ values: [PickleValue], keeping: Set<ObjectIdentifier>) {
    var pending = values
    var seen = keeping
    while let value = pending.popLast() {
      switch value {
      case .tuple(let t) where seen.insert(ObjectIdentifier(t)).inserted:
        pending += t.items
        t.items = []
      case .list(let l) where seen.insert(ObjectIdentifier(l)).inserted:
        pending += l.items
        l.items = []
      case .dict(let d) where seen.insert(ObjectIdentifier(d)).inserted:
        pending += d.entries.flatMap { [$0.key, $0.value] }
        d.removeAll()
      default: break
      }
    }
  }

  private mutating func run() throws -> (value: PickleValue, end: Int) {
    while true {
      let at = position
      let op = try byte()
      switch op {
      case 0x80:  // PROTO
        let version = try byte()
        guard version >= 2 && version <= 5 else {
          throw failure(.unsupported, "pickle protocol \(version) at byte \(at) (torch.save writes 2)")
        }
      case 0x95:  // FRAME (protocol 4): an 8-byte length that only helps buffering.
        _ = try fixed(8)
      case 0x2E:  // STOP
        guard let value = stack.popLast(), stack.isEmpty, marks.isEmpty else {
          throw failure(.malformedPickle, "STOP at byte \(at) with \(stack.count) values on the stack")
        }
        return (value, position)
      case 0x28: marks.append(stack.count)  // MARK
      case 0x30: _ = try pop(at)  // POP
      case 0x31: _ = try popMark(at)  // POP_MARK
      case 0x32: stack.append(try top(at))  // DUP
      case 0x4E: stack.append(.none)  // NONE
      case 0x88: stack.append(.bool(true))  // NEWTRUE
      case 0x89: stack.append(.bool(false))  // NEWFALSE
      case 0x4A: stack.append(.int(Int(Int32(bitPattern: UInt32(try fixed(4))))))  // BININT
      case 0x4B: stack.append(.int(Int(try byte())))  // BININT1
      case 0x4D: stack.append(.int(Int(try fixed(2))))  // BININT2
      case 0x8A: stack.append(try long(length: Int(try byte()), at: at))  // LONG1
      case 0x8B: stack.append(try long(length: Int(Int32(bitPattern: UInt32(try fixed(4)))), at: at))  // LONG4
      case 0x47:  // BINFLOAT: big-endian IEEE double
        var bits: UInt64 = 0
        for _ in 0..<8 { bits = bits << 8 | UInt64(try byte()) }
        stack.append(.float(Double(bitPattern: bits)))
      case 0x58: stack.append(.string(try text(length: Int(try fixed(4)), at: at)))  // BINUNICODE
      case 0x8C: stack.append(.string(try text(length: Int(try byte()), at: at)))  // SHORT_BINUNICODE
      case 0x8D: stack.append(.string(try text(length: try length64(at), at: at)))  // BINUNICODE8
      case 0x55: stack.append(.string(latin1(try raw(Int(try byte()), at))))  // SHORT_BINSTRING
      case 0x54: stack.append(.string(latin1(try raw(Int(try fixed(4)), at))))  // BINSTRING
      case 0x43: stack.append(.bytes(try raw(Int(try byte()), at)))  // SHORT_BINBYTES
      case 0x42: stack.append(.bytes(try raw(Int(try fixed(4)), at)))  // BINBYTES
      case 0x8E: stack.append(.bytes(try raw(try length64(at), at)))  // BINBYTES8
      case 0x29: stack.append(.tuple(PickleTuple()))  // EMPTY_TUPLE
      case 0x74: stack.append(.tuple(PickleTuple(try popMark(at))))  // TUPLE
      case 0x85: stack.append(.tuple(PickleTuple(try pop(1, at))))  // TUPLE1
      case 0x86: stack.append(.tuple(PickleTuple(try pop(2, at))))  // TUPLE2
      case 0x87: stack.append(.tuple(PickleTuple(try pop(3, at))))  // TUPLE3
      case 0x5D: stack.append(.list(PickleList()))  // EMPTY_LIST
      case 0x6C: stack.append(.list(PickleList(try popMark(at))))  // LIST
      case 0x61:  // APPEND
        let item = try pop(at)
        try list(at).items.append(item)
      case 0x65:  // APPENDS
        let items = try popMark(at)
        try list(at).items.append(contentsOf: items)
      case 0x7D: stack.append(.dict(PickleDict()))  // EMPTY_DICT
      case 0x64:  // DICT
        let items = try popMark(at)
        let dict = PickleDict()
        try setItems(items, into: dict, at)
        stack.append(.dict(dict))
      case 0x73:  // SETITEM
        let items = try pop(2, at)
        try setItems(items, into: try dict(at), at)
      case 0x75:  // SETITEMS
        let items = try popMark(at)
        try setItems(items, into: try dict(at), at)
      case 0x71: memo[Int(try byte())] = try top(at)  // BINPUT
      case 0x72: memo[Int(try fixed(4))] = try top(at)  // LONG_BINPUT
      case 0x94: memo[memo.count] = try top(at)  // MEMOIZE
      case 0x68: stack.append(try recall(Int(try byte()), at))  // BINGET
      case 0x6A: stack.append(try recall(Int(try fixed(4)), at))  // LONG_BINGET
      case 0x63:  // GLOBAL "module\nname\n"
        let module = try line(at)
        let name = try line(at)
        stack.append(.global(try allowed(module: module, name: name, at)))
      case 0x93:  // STACK_GLOBAL
        let parts = try pop(2, at)
        guard case .string(let module) = parts[0], case .string(let name) = parts[1] else {
          throw failure(.malformedPickle, "STACK_GLOBAL at byte \(at) needs two strings")
        }
        stack.append(.global(try allowed(module: module, name: name, at)))
      case 0x51:  // BINPERSID
        let id = try pop(at)
        stack.append(try persistentLoad(id))
      case 0x52:  // REDUCE
        let arguments = try pop(at)
        let callable = try pop(at)
        stack.append(try reduce(callable, arguments, at))
      case 0x62:  // BUILD: sets attributes (a state dict's `_metadata`); nothing to keep.
        let state = try pop(at)
        let target = try top(at)
        switch target {
        case .dict, .tensor: _ = state
        default:
          throw failure(.malformedPickle, "BUILD at byte \(at) on a \(target.kind) (only dicts and tensors take state)")
        }
      default:
        throw failure(
          .refusedOpcode,
          "refused pickle opcode \(Self.name(of: op)) (0x\(String(op, radix: 16, uppercase: true))) at byte \(at): a state_dict pickle holds only data, tensors and storages; nothing was executed")
      }
    }
  }

  // MARK: - Reading bytes

  private func failure(_ code: TorchCheckpointErrorCode, _ message: String) -> TorchCheckpointError {
    TorchCheckpointError(code, message)
  }

  private mutating func byte() throws -> UInt8 {
    guard position < bytes.count else {
      throw failure(.truncated, "the pickle ends at byte \(position) before its STOP opcode")
    }
    defer { position += 1 }
    return bytes[position]
  }

  /// A little-endian unsigned integer of `count` (≤ 8) bytes.
  private mutating func fixed(_ count: Int) throws -> UInt64 {
    guard bytes.count - position >= count else {
      throw failure(.truncated, "the pickle ends at byte \(bytes.count) inside an operand at \(position)")
    }
    var value: UInt64 = 0
    for i in 0..<count { value |= UInt64(bytes[position + i]) << (8 * UInt64(i)) }
    position += count
    return value
  }

  private mutating func length64(_ at: Int) throws -> Int {
    let n = try fixed(8)
    guard n <= UInt64(bytes.count) else {
      throw failure(.truncated, "a length of \(n) bytes at byte \(at) exceeds the pickle")
    }
    return Int(n)
  }

  private mutating func raw(_ count: Int, _ at: Int) throws -> [UInt8] {
    guard count >= 0, count <= bytes.count - position else {
      throw failure(
        .truncated,
        "an operand of \(count) bytes at byte \(at) runs past the end of the pickle (\(bytes.count - position) bytes left)")
    }
    defer { position += count }
    return Array(bytes[position..<(position + count)])
  }

  private mutating func text(length: Int, at: Int) throws -> String {
    let data = try raw(length, at)
    guard let string = String(validating: data, as: UTF8.self) else {
      throw failure(.malformedPickle, "a string at byte \(at) is not valid UTF-8")
    }
    return string
  }

  private func latin1(_ data: [UInt8]) -> String {
    String(String.UnicodeScalarView(data.map { Unicode.Scalar($0) }))
  }

  /// A newline-terminated ASCII line (the operands of `GLOBAL`), at most 256 bytes.
  private mutating func line(_ at: Int) throws -> String {
    var data: [UInt8] = []
    while true {
      let b = try byte()
      if b == 0x0A { break }
      data.append(b)
      guard data.count <= 256 else {
        throw failure(.malformedPickle, "a GLOBAL name at byte \(at) is longer than 256 bytes")
      }
    }
    return latin1(data)
  }

  private mutating func long(length: Int, at: Int) throws -> PickleValue {
    guard length >= 0, length <= 64 else {
      throw failure(.malformedPickle, "an integer of \(length) bytes at byte \(at) (at most 64 are accepted)")
    }
    let data = try raw(length, at)
    if data.isEmpty { return .int(0) }
    if data.count <= 8 {
      var value: UInt64 = 0
      for (i, b) in data.enumerated() { value |= UInt64(b) << (8 * UInt64(i)) }
      // Sign-extend from the top byte.
      if data.count < 8, data[data.count - 1] & 0x80 != 0 {
        value |= ~UInt64(0) << (8 * UInt64(data.count))
      }
      return .int(Int(bitPattern: UInt(value)))
    }
    return .bigInt(data)
  }

  // MARK: - Stack

  private mutating func pop(_ at: Int) throws -> PickleValue {
    guard stack.count > (marks.last ?? 0), let value = stack.popLast() else {
      throw failure(.malformedPickle, "stack underflow at byte \(at)")
    }
    return value
  }

  private mutating func pop(_ count: Int, _ at: Int) throws -> [PickleValue] {
    guard stack.count - (marks.last ?? 0) >= count else {
      throw failure(.malformedPickle, "stack underflow at byte \(at)")
    }
    defer { stack.removeLast(count) }
    return Array(stack.suffix(count))
  }

  private func top(_ at: Int) throws -> PickleValue {
    guard let value = stack.last else { throw failure(.malformedPickle, "empty stack at byte \(at)") }
    return value
  }

  private mutating func popMark(_ at: Int) throws -> [PickleValue] {
    guard let mark = marks.popLast() else {
      throw failure(.malformedPickle, "no MARK before the opcode at byte \(at)")
    }
    defer { stack.removeSubrange(mark...) }
    return Array(stack[mark...])
  }

  private func recall(_ index: Int, _ at: Int) throws -> PickleValue {
    guard let value = memo[index] else {
      throw failure(.malformedPickle, "memo entry \(index) fetched at byte \(at) was never stored")
    }
    return value
  }

  private func list(_ at: Int) throws -> PickleList {
    guard case .list(let list) = try top(at) else {
      throw failure(.malformedPickle, "APPEND(S) at byte \(at) on a \((try? top(at))?.kind ?? "nothing")")
    }
    return list
  }

  private func dict(_ at: Int) throws -> PickleDict {
    guard case .dict(let dict) = try top(at) else {
      throw failure(.malformedPickle, "SETITEM(S) at byte \(at) on a \((try? top(at))?.kind ?? "nothing")")
    }
    return dict
  }

  private func setItems(_ items: [PickleValue], into dict: PickleDict, _ at: Int) throws {
    guard items.count % 2 == 0 else {
      throw failure(.malformedPickle, "an odd number of dict items at byte \(at)")
    }
    for i in stride(from: 0, to: items.count, by: 2) { dict.set(items[i], items[i + 1]) }
  }

  // MARK: - Globals and calls

  private func allowed(module: String, name: String, _ at: Int) throws -> AllowedGlobal {
    guard let global = AllowedGlobal(module: module, name: name) else {
      throw failure(
        .refusedGlobal,
        "refused pickle global \(module).\(name) at byte \(at): a state_dict may only name \(AllowedGlobal.allowedDescription); nothing was executed")
    }
    return global
  }

  private func reduce(_ callable: PickleValue, _ arguments: PickleValue, _ at: Int) throws -> PickleValue {
    guard case .global(let global) = callable, case .tuple(let tuple) = arguments else {
      throw failure(.malformedPickle, "REDUCE at byte \(at) applies a \(callable.kind) to a \(arguments.kind)")
    }
    let args = tuple.items
    func bad(_ what: String) -> TorchCheckpointError {
      failure(.malformedPickle, "\(global.qualifiedName) at byte \(at): \(what)")
    }
    switch global {
    case .orderedDict:
      guard args.isEmpty else { throw bad("expected no arguments, got \(args.count)") }
      return .dict(PickleDict())
    case .rebuildTensorV2, .rebuildTensor:
      let expected = global == .rebuildTensor ? 4...4 : 6...7
      guard expected.contains(args.count) else { throw bad("expected \(expected) arguments, got \(args.count)") }
      guard case .storage(let storage) = args[0] else { throw bad("the first argument is a \(args[0].kind), not a storage") }
      guard case .int(let offset) = args[1] else { throw bad("the storage offset is a \(args[1].kind)") }
      let shape = try integers(args[2], bad("the size is not a tuple of integers"))
      let strides = try integers(args[3], bad("the stride is not a tuple of integers"))
      do {
        return .tensor(try TorchTensor(storage: storage, offset: offset, shape: shape, strides: strides))
      } catch let error as TorchCheckpointError {
        throw failure(error.code, "\(error.message) (REDUCE at byte \(at))")
      }
    case .rebuildParameter:
      guard args.count == 3, case .tensor = args[0] else { throw bad("expected (tensor, requires_grad, hooks)") }
      return args[0]
    case .storageType:
      throw bad("a storage type cannot be called")
    }
  }

  private func integers(_ value: PickleValue, _ error: TorchCheckpointError) throws -> [Int] {
    let items: [PickleValue]
    switch value {
    case .tuple(let t): items = t.items
    case .list(let l): items = l.items
    default: throw error
    }
    return try items.map {
      guard case .int(let i) = $0 else { throw error }
      return i
    }
  }

  /// The pickletools name of an opcode, for error messages.
  static func name(of op: UInt8) -> String {
    let names: [UInt8: String] = [
      0x69: "INST", 0x6F: "OBJ", 0x81: "NEWOBJ", 0x92: "NEWOBJ_EX", 0x50: "PERSID", 0x82: "EXT1",
      0x83: "EXT2", 0x84: "EXT4", 0x49: "INT", 0x4C: "LONG", 0x46: "FLOAT", 0x53: "STRING",
      0x56: "UNICODE", 0x67: "GET", 0x70: "PUT", 0x90: "EMPTY_SET", 0x91: "ADDITEMS",
      0x8F: "FROZENSET", 0x96: "BYTEARRAY8", 0x97: "NEXT_BUFFER", 0x98: "READONLY_BUFFER",
    ]
    return names[op] ?? "unknown"
  }
}
