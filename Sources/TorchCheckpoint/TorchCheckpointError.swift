public import L3DASCore

/// A `torch.save` file that cannot be read, or that holds something other than tensors.
///
/// Nothing in a refused file is executed: the reader decodes data and stops at the first thing
/// it does not allow. `description` is one line, `path: message`.
public typealias TorchCheckpointError = CodedError<TorchCheckpointErrorCode>

/// The kinds of ``TorchCheckpointError``.
public enum TorchCheckpointErrorCode: String, Sendable, Codable {
  /// The file does not exist or cannot be read.
  case unreadable
  /// The file is neither a zip `torch.save` archive nor a legacy (pre-1.6) one.
  case notACheckpoint
  /// The file ends early or an entry is missing or damaged (size, CRC).
  case truncated
  /// The pickle names a global (class or function) outside the allowed set, for example
  /// `posix.system`.
  case refusedGlobal
  /// The pickle uses an opcode outside the allowed set (for example `INST`, `NEWOBJ`).
  case refusedOpcode
  /// The pickle is not well formed (stack underflow, bad memo reference, wrong arguments).
  case malformedPickle
  /// A tensor or storage is inconsistent (negative size, view outside its storage, storage
  /// bytes that do not match its element count).
  case invalidTensor
  /// A valid but unsupported variant (big-endian storages, compressed entries, tar format).
  case unsupported
  /// The file holds no `state_dict` of tensors where one was asked for.
  case noStateDict
}
