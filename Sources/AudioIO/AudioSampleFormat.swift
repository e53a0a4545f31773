/// The on-disk sample encoding of a WAV file.
public enum AudioSampleFormat: String, CaseIterable, Sendable, Codable {
  /// 16-bit signed integer PCM (the L3DAS23 distribution format).
  case pcm16
  /// 24-bit signed integer PCM.
  case pcm24
  /// 32-bit signed integer PCM.
  case pcm32
  /// 32-bit IEEE float.
  case float32

  /// The quantisation step of the format relative to full scale, i.e. the largest
  /// round-trip error a value in [-1, 1) can suffer when written and read back.
  public var resolution: Float {
    switch self {
    case .pcm16: 1.0 / 32768
    case .pcm24: 1.0 / 8_388_608
    // 32-bit integers carry more precision than Float's 24-bit mantissa.
    case .pcm32: Float.ulpOfOne
    case .float32: 0
    }
  }

  /// Bytes per sample on disk.
  public var bytesPerSample: Int {
    switch self {
    case .pcm16: 2
    case .pcm24: 3
    case .pcm32, .float32: 4
    }
  }
}
