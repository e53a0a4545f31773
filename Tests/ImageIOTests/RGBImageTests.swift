import Foundation
import ImageIO
import Testing
import _TestSupport

@Suite("PNG images (libpng)")
struct RGBImageTests {
  func gradient(width: Int, height: Int) -> RGBImage {
    var pixels: [UInt8] = []
    for y in 0..<height {
      for x in 0..<width { pixels += [UInt8(x % 256), UInt8(y % 256), UInt8((x + y) % 256)] }
    }
    return RGBImage(width: width, height: height, pixels: pixels)
  }

  @Test("an image written as PNG reads back identical; its header gives the size")
  func roundTrip() throws {
    let dir = try TemporaryDirectory()
    let image = gradient(width: 37, height: 19)
    let url = dir.path("x.png")
    try image.writePNG(to: url)
    #expect(try RGBImage(contentsOf: url) == image)
    let size = try RGBImage.size(ofPNGAt: url)
    #expect(size.width == 37 && size.height == 19)
  }

  @Test("tensorValues is ToTensor's [3, H, W] in [0, 1], channel planes first")
  func tensor() {
    let image = RGBImage(width: 2, height: 1, pixels: [255, 0, 51, 0, 102, 255])
    #expect(image.tensorValues() == [1, 0, 0, 0.4, 0.2, 1])
  }

  @Test("not a PNG, truncated or corrupted data is an error naming the file, never a crash")
  func damaged() throws {
    let dir = try TemporaryDirectory()
    let good = try gradient(width: 64, height: 64).pngData()
    let cases: [(String, Data)] = [
      ("text.png", Data("hello".utf8)), ("empty.png", Data()),
      ("truncated.png", good.prefix(good.count / 2)),
      ("flipped.png", Data(good.enumerated().map { $0.offset > 60 && $0.offset % 7 == 0 ? $0.element ^ 0x5A : $0.element })),
    ]
    for (name, data) in cases {
      let url = dir.path(name)
      try data.write(to: url)
      let error = #expect(throws: ImageError.self) { try RGBImage(contentsOf: url) }
      #expect(error?.description.contains(name) == true, "\(error?.description ?? "")")
    }
    #expect(throws: ImageError.self) { try RGBImage(contentsOf: dir.path("missing.png")) }
  }
}
