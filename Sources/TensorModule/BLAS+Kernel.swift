internal import COpenBLAS
import Foundation

#if canImport(Glibc)
  import Glibc
#endif

extension BLAS {
  /// The kernel family OpenBLAS chose for this CPU, e.g. "Haswell", "SkylakeX" or "Prescott".
  public static var coreName: String {
    guard let name = openblas_get_corename() else { return "unknown" }
    return String(cString: name)
  }

  /// The kernel family to ask OpenBLAS for when its own detection fell back to the generic
  /// "Prescott" kernels on a CPU that has better ones, or nil.
  ///
  /// Debian's OpenBLAS 0.3.21 (a `DYNAMIC_ARCH` build) knows CPU models only up to its release.
  /// On newer ones it falls back to Prescott's SSE3 kernels. The project machine is a 5th
  /// generation Xeon (family 6, model 207) with AVX-512. There, sgemm reached 40 GFLOP/s with
  /// Prescott and 307 GFLOP/s with SkylakeX on 2 threads. The choice depends only on the
  /// instruction sets the kernel reports in `/proc/cpuinfo`:
  /// - SkylakeX needs AVX-512 F, CD, BW, DQ and VL;
  /// - Haswell needs AVX2 and FMA.
  public static func preferredCoreType(
    detected: String = coreName, cpuFlags: @autoclosure () -> Set<String> = cpuFlags()
  ) -> String? {
    // Only a fallback is worth looking at the flags for (so a normal start reads no file).
    guard detected.lowercased() == "prescott" else { return nil }
    let flags = cpuFlags()
    if ["avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"].allSatisfy(flags.contains) {
      return "SkylakeX"
    }
    if flags.contains("avx2") && flags.contains("fma") { return "Haswell" }
    return nil
  }

  /// The instruction-set flags of the first CPU in `/proc/cpuinfo` (empty elsewhere).
  public static func cpuFlags() -> Set<String> {
    guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return [] }
    return cpuFlags(cpuinfo: text)
  }

  /// The flags of the first `flags` line of a `/proc/cpuinfo` text.
  public static func cpuFlags(cpuinfo: String) -> Set<String> {
    for line in cpuinfo.split(separator: "\n") where line.hasPrefix("flags") {
      guard let colon = line.firstIndex(of: ":") else { continue }
      return Set(line[line.index(after: colon)...].split(separator: " ").map(String.init))
    }
    return []
  }

  /// Makes OpenBLAS use the best kernels this CPU supports, by running the program again with
  /// `OPENBLAS_CORETYPE` set when `preferredCoreType()` says that OpenBLAS's own detection
  /// failed. Call it first thing in `main`, before any output.
  ///
  /// OpenBLAS reads `OPENBLAS_CORETYPE` once, when it is loaded, before any of our code runs.
  /// So the variable is set and the program re-executes itself (`execv` of `/proc/self/exe`,
  /// same arguments and process id). A user's own `OPENBLAS_CORETYPE` is respected, and
  /// `L3DAS_BLAS_CORETYPE=keep` turns this off. If `execv` fails, the program simply goes on
  /// with the detected kernels.
  public static func useBestKernels() {
    let environment = ProcessInfo.processInfo.environment
    guard environment["OPENBLAS_CORETYPE"] == nil, environment["L3DAS_BLAS_CORETYPE"] != "keep",
      let core = preferredCoreType()
    else { return }
    setenv("OPENBLAS_CORETYPE", core, 1)
    execv("/proc/self/exe", CommandLine.unsafeArgv)
    unsetenv("OPENBLAS_CORETYPE")
  }
}
