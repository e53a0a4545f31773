/// The 14 Task 2 sound classes, in the official id order (alphabetical). This enum is the
/// single definition of the class list in the package.
///
/// Source: `sound_classes_dict_task2` in the L3DAS21/22/23 `metrics.py` and
/// `preprocessing.py` (the sounds come from FSD50K).
public enum SoundClass: Int, CaseIterable, Sendable, Codable, Comparable {
  case chinkAndClink = 0
  case computerKeyboard = 1
  case cupboardOpenOrClose = 2
  case drawerOpenOrClose = 3
  case femaleSpeechAndWomanSpeaking = 4
  case fingerSnapping = 5
  case keysJangling = 6
  case knock = 7
  case laughter = 8
  case maleSpeechAndManSpeaking = 9
  case printer = 10
  case scissors = 11
  case telephone = 12
  case writing = 13

  /// The official class name as it appears in label CSVs, e.g. `Chink_and_clink`.
  public var officialName: String {
    switch self {
    case .chinkAndClink: "Chink_and_clink"
    case .computerKeyboard: "Computer_keyboard"
    case .cupboardOpenOrClose: "Cupboard_open_or_close"
    case .drawerOpenOrClose: "Drawer_open_or_close"
    case .femaleSpeechAndWomanSpeaking: "Female_speech_and_woman_speaking"
    case .fingerSnapping: "Finger_snapping"
    case .keysJangling: "Keys_jangling"
    case .knock: "Knock"
    case .laughter: "Laughter"
    case .maleSpeechAndManSpeaking: "Male_speech_and_man_speaking"
    case .printer: "Printer"
    case .scissors: "Scissors"
    case .telephone: "Telephone"
    case .writing: "Writing"
    }
  }

  /// The official id (0…13).
  public var id: Int { rawValue }

  /// Looks a class up by its official name (exact, case-sensitive, as the official code).
  public init?(officialName: String) {
    guard let found = Self.allCases.first(where: { $0.officialName == officialName }) else {
      return nil
    }
    self = found
  }

  public static func < (lhs: SoundClass, rhs: SoundClass) -> Bool { lhs.rawValue < rhs.rawValue }
}
