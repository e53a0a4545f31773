/// Why a baseline model cannot be built, loaded or run.
public struct ModelError: Error, CustomStringConvertible, Sendable, Equatable {
  public enum Code: String, Sendable {
    /// The configuration cannot build a network (every reason is listed).
    case invalidConfiguration
    /// The input tensor's shape does not fit the configuration.
    case wrongInputShape
    /// A reference model class this port does not provide.
    case unsupportedModel
    /// The model produced NaN or an infinity.
    case nonFiniteOutput
  }

  public var code: Code
  public var message: String

  public init(_ code: Code, _ message: String) {
    self.code = code
    self.message = message
  }

  public var description: String { message }
}
