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
}
