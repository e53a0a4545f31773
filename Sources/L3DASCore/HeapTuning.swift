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
  /// training step, two thirds of a MIMO-UNet one on the project VM, whose host backs guest
  /// memory lazily). Serving them from the heap and keeping freed memory lets later work reuse
  /// warm pages; the peak stays that of the largest working set. A no-op off glibc.
  public static func retainLargeAllocations() {
    #if canImport(Glibc)
      // <malloc.h> is not in the Glibc module: look `mallopt` up (RTLD_DEFAULT is a null handle).
      typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
      guard let symbol = dlsym(nil, "mallopt") else { return }
      let mallopt = unsafeBitCast(symbol, to: Mallopt.self)
      _ = mallopt(-3, 32 << 20)  // M_MMAP_THRESHOLD: glibc's largest accepted value
      // M_TRIM_THRESHOLD = −1: never give the top of the heap back. A training step frees all
      // of its activations at once; with a finite threshold (it was 1 GiB) the freed top was
      // returned to the kernel after every step and faulted in again, zeroed, by the next one:
      // a FaSNet step spent 56 % of its time in the kernel's clear_page and took 33.8 s; now
      // 12.5–14.9 s.
      _ = mallopt(-1, -1)
      // M_MMAP_MAX = 0: blocks above the 32 MiB threshold come from the heap too, instead of a
      // fresh mapping per block. A MIMO-UNet training step allocates hundreds of such
      // temporaries (up to 236 MB each); mapped fresh, its step took 96–100 s on the project VM,
      // from the heap 27.8 s, with the same 10.6 GB peak. When the heap cannot grow, glibc
      // still falls back to a mapping, so no allocation fails because of this.
      _ = mallopt(-4, 0)
      // M_ARENA_MAX = 1: worker threads allocate from the same retained heap. Their own arenas
      // are heaps of at most 64 MiB, so larger blocks allocated on a worker (the recurrences of
      // an RNN's two directions run on two threads) were mapped fresh and faulted in each time:
      // a FaSNet step's forward took 20.5 s instead of 6. Large allocations are rare, so the
      // shared arena's lock is not contended.
      _ = mallopt(-8, 1)
    #endif
  }
}
