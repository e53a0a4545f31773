import Foundation
import ZIPFoundation

/// A minimal PNG reader for screenshot tests: 8-bit RGB or RGBA, not interlaced (what
/// Chromium writes). Inflates with ZIPFoundation's zlib binding.
struct PNGImage {
  struct DecodeError: Error, CustomStringConvertible {
    var description: String
  }

  let width: Int
  let height: Int
  /// RGB triples, row-major.
  private(set) var pixels: [UInt8] = []

  init(contentsOf url: URL) throws {
    let data = [UInt8](try Data(contentsOf: url))
    guard data.count > 8, data[0..<8] == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] else {
      throw DecodeError(description: "\(url.path): not a PNG")
    }
    func u32(_ at: Int) -> Int { data[at..<at + 4].reduce(0) { $0 << 8 | Int($1) } }
    var offset = 8
    var header: (width: Int, height: Int, bitDepth: UInt8, colorType: UInt8, interlace: UInt8)?
    var compressed: [UInt8] = []
    while offset + 8 <= data.count {
      let length = u32(offset)
      let type = String(decoding: data[offset + 4..<offset + 8], as: UTF8.self)
      let body = offset + 8
      guard body + length <= data.count else { throw DecodeError(description: "truncated \(type) chunk") }
      if type == "IHDR" {
        header = (u32(body), u32(body + 4), data[body + 8], data[body + 9], data[body + 12])
      } else if type == "IDAT" {
        compressed += data[body..<body + length]
      } else if type == "IEND" {
        break
      }
      offset = body + length + 4
    }
    guard let header, header.bitDepth == 8, header.colorType == 2 || header.colorType == 6, header.interlace == 0
    else { throw DecodeError(description: "unsupported PNG \(String(describing: header))") }
    width = header.width
    height = header.height
    // zlib stream: 2-byte header, raw deflate, 4-byte Adler-32.
    let deflate = Data(compressed.dropFirst(2))
    var raw = Data()
    _ = try Data.decompress(
      size: Int64(deflate.count), bufferSize: 1 << 16, skipCRC32: true,
      provider: { position, size in
        let start = Int(position)
        return deflate.subdata(in: start..<min(start + size, deflate.count))
      },
      consumer: { raw.append($0) })
    let channels = header.colorType == 6 ? 4 : 3
    let stride = width * channels
    let bytes = [UInt8](raw)
    guard bytes.count >= height * (stride + 1) else { throw DecodeError(description: "short image data") }
    var previous = [UInt8](repeating: 0, count: stride)
    var current = [UInt8](repeating: 0, count: stride)
    pixels.reserveCapacity(width * height * 3)
    for row in 0..<height {
      let start = row * (stride + 1)
      let filter = bytes[start]
      for i in 0..<stride {
        let x = Int(bytes[start + 1 + i])
        let a = i >= channels ? Int(current[i - channels]) : 0
        let b = Int(previous[i])
        let c = i >= channels ? Int(previous[i - channels]) : 0
        let predictor: Int
        switch filter {
        case 0: predictor = 0
        case 1: predictor = a
        case 2: predictor = b
        case 3: predictor = (a + b) / 2
        case 4:
          let p = a + b - c
          let (pa, pb, pc) = (abs(p - a), abs(p - b), abs(p - c))
          predictor = pa <= pb && pa <= pc ? a : (pb <= pc ? b : c)
        default: throw DecodeError(description: "bad filter \(filter)")
        }
        current[i] = UInt8((x + predictor) & 0xFF)
      }
      for px in 0..<width {
        pixels += current[px * channels..<px * channels + 3]
      }
      swap(&previous, &current)
    }
  }

  /// How many pixels have exactly the colour `#rrggbb`.
  func count(hex: String) -> Int {
    let value = Int(hex.dropFirst(), radix: 16) ?? -1
    let (r, g, b) = (UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF))
    var n = 0
    for i in stride(from: 0, to: pixels.count, by: 3) where pixels[i] == r && pixels[i + 1] == g && pixels[i + 2] == b {
      n += 1
    }
    return n
  }

  /// The rows (y) that hold at least `minimum` pixels of the colour.
  func rows(with hex: String, minimum: Int) -> [Int] {
    let value = Int(hex.dropFirst(), radix: 16) ?? -1
    let (r, g, b) = (UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF))
    return (0..<height).filter { y in
      var n = 0
      for x in 0..<width {
        let i = (y * width + x) * 3
        if pixels[i] == r && pixels[i + 1] == g && pixels[i + 2] == b { n += 1 }
      }
      return n >= minimum
    }
  }
}
