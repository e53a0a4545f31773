public import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// One readable sentence for a file-system error, instead of Foundation's
/// `Error Domain=NSCocoaErrorDomain Code=642 …` dumps: the POSIX reason when there is one
/// ("Read-only file system", "No space left on device", "Permission denied").
public enum FileErrorText {
  /// The reason of `error` in words.
  public static func describe(_ error: any Error) -> String {
    let ns = error as NSError
    guard ns.domain == NSCocoaErrorDomain || ns.domain == NSPOSIXErrorDomain else {
      return "\(error)"
    }
    if let posix = posixCode(ns) { return String(cString: strerror(posix)) }
    switch (ns.domain, ns.code) {
    case (NSCocoaErrorDomain, NSFileNoSuchFileError), (NSCocoaErrorDomain, NSFileReadNoSuchFileError):
      return "No such file or directory"
    case (NSCocoaErrorDomain, NSFileWriteNoPermissionError), (NSCocoaErrorDomain, NSFileReadNoPermissionError):
      return "Permission denied"
    case (NSCocoaErrorDomain, NSFileWriteOutOfSpaceError):
      return "No space left on device"
    case (NSCocoaErrorDomain, NSFileWriteVolumeReadOnlyError):
      return "Read-only file system"
    case (NSCocoaErrorDomain, NSFileWriteFileExistsError):
      return "File exists"
    default:
      return ns.localizedDescription
    }
  }

  /// The errno behind a Foundation error, if it records one.
  static func posixCode(_ error: NSError) -> Int32? {
    if error.domain == NSPOSIXErrorDomain { return Int32(error.code) }
    if let underlying = error.userInfo[NSUnderlyingErrorKey] as? NSError {
      return posixCode(underlying)
    }
    return nil
  }
}
