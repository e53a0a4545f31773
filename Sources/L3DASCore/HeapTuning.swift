#if canImport(Glibc)
  import Glibc
#endif

/// Process-wide heap settings for long numeric runs.
public enum HeapTuning {
  /// Keeps freed large buffers in the heap for reuse.
  ///
  /// Preprocessing, training and prediction allocate buffers of megabytes to gigabytes (audio,
  /// features, activations) that die a moment later. By default glibc maps each from the
  /// kernel and unmaps it on free, so every item or step pays the page faults and zeroing of
  /// fresh pages again (half the system time of a Task 2 preprocessing run, 8 % of a FaSNet
  /// training step). Serving them from the heap and keeping freed memory lets later work reuse
  /// warm pages; the peak stays that of the largest working set. A no-op off glibc.
  public static func retainLargeAllocations() {
    #if canImport(Glibc)
      // <malloc.h> is not in the Glibc module: look `mallopt` up (RTLD_DEFAULT is a null handle).
      typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
      guard let symbol = dlsym(nil, "mallopt") else { return }
      let mallopt = unsafeBitCast(symbol, to: Mallopt.self)
      _ = mallopt(-3, 32 << 20)  // M_MMAP_THRESHOLD: glibc's largest accepted value
      _ = mallopt(-1, 1 << 30)  // M_TRIM_THRESHOLD
    #endif
  }
}
