public import Foundation
public import SafeTensors
import TorchCheckpoint

/// Reading a `state_dict` from either file format a PyTorch user has: safetensors, or a
/// `torch.save` file (`.pt`, `.pth`, `.bin`; zip or legacy), chosen by the file's first bytes,
/// not its name.
///
/// A `torch.save` file is decoded without running its pickle (``TorchCheckpoint``): a bare
/// `state_dict`, or a training checkpoint holding one under `model_state_dict` (the official
/// L3DAS checkpoints), `state_dict` or `model`, with a DataParallel `module.` prefix removed.
public enum StateDictFile {
  /// The `state_dict` in `url` as a safetensors file (in memory for `torch.save` files).
  /// - Throws: `SafeTensorsError` or `TorchCheckpointError` naming the file.
  public static func read(_ url: URL) throws -> SafeTensorsFile {
    let head: Data
    do {
      let handle = try FileHandle(forReadingFrom: url)
      defer { try? handle.close() }
      head = try handle.read(upToCount: 8) ?? Data()
    } catch {
      throw SafeTensorsError(.unreadable, "cannot read the file: \(error.localizedDescription)", path: url.path)
    }
    if TorchCheckpoint.isTorchFile(prefix: head) {
      return try TorchCheckpoint.read(url).stateDict()
    }
    return try SafeTensorsFile.read(url)
  }
}
