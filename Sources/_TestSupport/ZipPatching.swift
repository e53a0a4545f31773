public import Foundation

/// Rewrites the headers of the entry `name` in a zip written by `makeZip` (both its local
/// header and its central-directory record): the declared uncompressed size, and bits to set
/// in the general purpose flag (bit 0: encrypted).
public func patchZipEntry(
  _ zip: inout Data, name: String, uncompressedSize: UInt32? = nil, addFlags: UInt16 = 0
) {
  let nameBytes = [UInt8](name.utf8)
  // (signature, offset of the name, offset of the flags, offset of the uncompressed size)
  let layouts: [(UInt32, Int, Int, Int)] = [(0x0403_4B50, 30, 6, 22), (0x0201_4B50, 46, 8, 24)]
  var bytes = [UInt8](zip)
  func le32(_ at: Int) -> UInt32 {
    UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16
      | UInt32(bytes[at + 3]) << 24
  }
  var patched = 0
  for position in 0..<(bytes.count - 46) {
    for (signature, nameAt, flagsAt, sizeAt) in layouts where le32(position) == signature {
      let start = position + nameAt
      guard start + nameBytes.count <= bytes.count,
        Array(bytes[start..<(start + nameBytes.count)]) == nameBytes
      else { continue }
      bytes[position + flagsAt] |= UInt8(addFlags & 0xFF)
      bytes[position + flagsAt + 1] |= UInt8(addFlags >> 8)
      if let size = uncompressedSize {
        for k in 0..<4 { bytes[position + sizeAt + k] = UInt8((size >> (8 * UInt32(k))) & 0xFF) }
      }
      patched += 1
    }
  }
  precondition(patched == 2, "patchZipEntry: found \(patched) headers of \(name), expected 2")
  zip = Data(bytes)
}
