import Foundation
import Models

/// The `constructor_args` of a fixture-style model description
/// (`{"class": …, "constructor_args": {…}}`, PyTorch constructor keys) decoded into our
/// configurations; shared by `l3das parity` and `l3das predict`.
enum ConstructorArguments {
  /// Decodes `arguments` as `C`.
  /// - Throws: the decoding error.
  static func decode<C: Decodable>(_ type: C.Type, _ arguments: [String: Any]) throws -> C {
    try JSONDecoder().decode(type, from: JSONSerialization.data(withJSONObject: arguments))
  }

  /// A SELDnet configuration from `Seldnet_augmented` / `Seldnet_vanilla` arguments: the class
  /// picks the variant, and the reference's `verbose` flag is dropped.
  static func seldnet(className: String, _ arguments: [String: Any]) throws -> SELDnetConfiguration {
    var arguments = arguments
    arguments["variant"] = className == "Seldnet_vanilla" ? "vanilla" : "augmented"
    arguments["verbose"] = nil
    return try decode(SELDnetConfiguration.self, arguments)
  }

  /// `arguments` completed with the sizes the audio-visual references hard-code and their
  /// fixtures imply through the input shapes: `image_size` from `images` `[B, 3, H, W]`, and for
  /// the MIMO U-Net `samples` from `input` `[B, C, S]`. The reference's `verbose` flag is dropped.
  /// Other classes' arguments are returned unchanged.
  static func addingInputSizes(
    className: String, _ arguments: [String: Any], shapes: (String) -> [Int]?
  ) -> [String: Any] {
    guard className.hasPrefix("audiovisual_") else { return arguments }
    var arguments = arguments
    arguments["verbose"] = nil
    if arguments["image_size"] == nil, let shape = shapes("images"), shape.count == 4 {
      arguments["image_size"] = [shape[2], shape[3]]
    }
    if className.contains("MIMO"), arguments["samples"] == nil, let shape = shapes("input"), shape.count == 3 {
      arguments["samples"] = shape[2]
    }
    return arguments
  }
}
