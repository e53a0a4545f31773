public import Foundation
import CPNG
import L3DASCore

/// An 8-bit RGB image, rows top to bottom, pixels left to right, `R, G, B` interleaved: the
/// L3DAS23 audio-visual images (512 × 512 PNG, one per microphone position).
///
/// PNG files are decoded and encoded by libpng's simplified API (Debian's libpng 1.6): any
/// PNG colour type or bit depth is converted to 8-bit RGB (alpha composited on black, as
/// PIL's `convert('RGB')` drops it), so a file is only ever parsed, never trusted.
///
/// ```swift
/// let image = try RGBImage(contentsOf: url)        // 512 × 512
/// let input = image.tensorValues()                 // [3, 512, 512] in [0, 1], as ToTensor
/// ```
public struct RGBImage: Sendable, Equatable {
  /// Width in pixels.
  public let width: Int
  /// Height in pixels.
  public let height: Int
  /// `height · width · 3` bytes.
  public let pixels: [UInt8]

  /// The largest side read (a 16384 × 16384 RGB image is 805 MB).
  public static let maximumSide = 16_384

  /// An image from its pixels.
  /// - Precondition: `pixels.count == width · height · 3`.
  public init(width: Int, height: Int, pixels: [UInt8]) {
    precondition(width > 0 && height > 0 && pixels.count == width * height * 3, "RGB pixels must be width × height × 3")
    self.width = width
    self.height = height
    self.pixels = pixels
  }

  /// Decodes the PNG file at `url`.
  /// - Throws: `ImageError` naming the file when it cannot be read, is not a PNG, is damaged
  ///   or larger than `maximumSide` on a side.
  public init(contentsOf url: URL) throws {
    let data: Data
    do {
      data = try RegularFile.read(url, limit: 1 << 30)
    } catch let failure as RegularFile.Failure {
      throw ImageError(path: url.path, failure.message)
    }
    try self.init(png: data, path: url.path)
  }

  /// Decodes PNG bytes (`path` names them in errors).
  public init(png data: Data, path: String) throws {
    var image = png_image()
    image.version = png_uint_32(PNG_IMAGE_VERSION)
    defer { png_image_free(&image) }
    let begun = data.withUnsafeBytes { bytes in
      png_image_begin_read_from_memory(&image, bytes.baseAddress, bytes.count)
    }
    guard begun != 0 else { throw ImageError(path: path, "not a readable PNG image (\(Self.message(image)))") }
    let (width, height) = (Int(image.width), Int(image.height))
    guard width >= 1, height >= 1, width <= Self.maximumSide, height <= Self.maximumSide else {
      throw ImageError(path: path, "a PNG of \(width) × \(height) pixels; at most \(Self.maximumSide) on a side is read")
    }
    image.format = png_uint_32(PNG_FORMAT_FLAG_COLOR)
    var pixels = [UInt8](repeating: 0, count: width * height * 3)
    let finished = data.withUnsafeBytes { _ in
      pixels.withUnsafeMutableBytes { buffer in
        png_image_finish_read(&image, nil, buffer.baseAddress, 0, nil)
      }
    }
    guard finished != 0 else { throw ImageError(path: path, "the PNG image is damaged (\(Self.message(image)))") }
    self.init(width: width, height: height, pixels: pixels)
  }

  /// The size of the PNG at `url` from its header, without decoding the pixels.
  /// - Throws: `ImageError` when it is not a readable PNG.
  public static func size(ofPNGAt url: URL) throws -> (width: Int, height: Int) {
    var image = png_image()
    image.version = png_uint_32(PNG_IMAGE_VERSION)
    defer { png_image_free(&image) }
    guard png_image_begin_read_from_file(&image, url.path) != 0 else {
      throw ImageError(path: url.path, "not a readable PNG image (\(message(image)))")
    }
    return (Int(image.width), Int(image.height))
  }

  /// The PNG encoding of the image.
  public func pngData() throws -> Data {
    var image = png_image()
    image.version = png_uint_32(PNG_IMAGE_VERSION)
    image.width = png_uint_32(width)
    image.height = png_uint_32(height)
    image.format = png_uint_32(PNG_FORMAT_FLAG_COLOR)
    defer { png_image_free(&image) }
    var size = 0
    let measured = pixels.withUnsafeBytes { png_image_write_to_memory(&image, nil, &size, 0, $0.baseAddress, 0, nil) }
    guard measured != 0, size > 0 else { throw ImageError(path: "", "cannot encode the image (\(Self.message(image)))") }
    var bytes = [UInt8](repeating: 0, count: size)
    let written = bytes.withUnsafeMutableBytes { out in
      pixels.withUnsafeBytes { png_image_write_to_memory(&image, out.baseAddress, &size, 0, $0.baseAddress, 0, nil) }
    }
    guard written != 0 else { throw ImageError(path: "", "cannot encode the image (\(Self.message(image)))") }
    return Data(bytes.prefix(size))
  }

  /// Writes the image as a PNG file, atomically.
  public func writePNG(to url: URL) throws {
    do {
      try AtomicFile.write(try pngData(), to: url)
    } catch let error as AtomicFileError {
      throw ImageError(path: url.path, error.message)
    }
  }

  /// The `[3, height, width]` float values in [0, 1] that torchvision's `ToTensor` makes of it
  /// (the official L3DAS23 image transform: no resizing, no normalisation).
  public func tensorValues() -> [Float] {
    let plane = width * height
    var values = [Float](repeating: 0, count: 3 * plane)
    for index in 0..<plane {
      for channel in 0..<3 { values[channel * plane + index] = Float(pixels[3 * index + channel]) / 255 }
    }
    return values
  }

  private static func message(_ image: png_image) -> String {
    withUnsafeBytes(of: image.message) { raw in
      String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
    }
  }
}

/// An image that cannot be read or written.
public struct ImageError: Error, CustomStringConvertible, Sendable {
  /// The file.
  public var path: String
  /// What is wrong.
  public var message: String

  /// Creates an error.
  public init(path: String, _ message: String) {
    self.path = path
    self.message = message
  }

  /// `path: message`.
  public var description: String { path.isEmpty ? message : "\(path): \(message)" }
}
