/// The 14 Task 2 sound classes, in the official id order (alphabetical).
///
/// This enum is the single definition of the class list in the package.
///
/// Source: `sound_classes_dict_task2` in the L3DAS21/22/23 `metrics.py` and
/// `preprocessing.py` (the sounds come from FSD50K).
public enum SoundClass: Int, CaseIterable, Sendable, Codable, Comparable {
  /// `Chink_and_clink` (id 0).
  case chinkAndClink = 0
  /// `Computer_keyboard` (id 1).
  case computerKeyboard = 1
  /// `Cupboard_open_or_close` (id 2).
  case cupboardOpenOrClose = 2
  /// `Drawer_open_or_close` (id 3).
  case drawerOpenOrClose = 3
  /// `Female_speech_and_woman_speaking` (id 4).
  case femaleSpeechAndWomanSpeaking = 4
  /// `Finger_snapping` (id 5).
  case fingerSnapping = 5
  /// `Keys_jangling` (id 6).
  case keysJangling = 6
  /// `Knock` (id 7).
  case knock = 7
  /// `Laughter` (id 8).
  case laughter = 8
  /// `Male_speech_and_man_speaking` (id 9).
  case maleSpeechAndManSpeaking = 9
  /// `Printer` (id 10).
  case printer = 10
  /// `Scissors` (id 11).
  case scissors = 11
  /// `Telephone` (id 12).
  case telephone = 12
  /// `Writing` (id 13).
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

  /// Orders classes by official id.
  public static func < (lhs: SoundClass, rhs: SoundClass) -> Bool { lhs.rawValue < rhs.rawValue }
}
