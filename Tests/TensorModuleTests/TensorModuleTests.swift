import TensorModule
import Synchronization
import Testing

@Suite("Seeded randomness")
struct RandomTests {
  @Test("the same seed gives the same sequence; different seeds differ")
  func determinism() {
    var a = SplitMix64(seed: 7)
    var b = SplitMix64(seed: 7)
    var c = SplitMix64(seed: 8)
    let sa = (0..<100).map { _ in a.next() }
    #expect(sa == (0..<100).map { _ in b.next() })
    #expect(sa != (0..<100).map { _ in c.next() })
  }

  @Test("SplitMix64 matches the reference sequence for seed 0")
  func referenceValues() {
    // First outputs of the reference C implementation (Vigna, splitmix64.c) for state 0.
    var rng = SplitMix64(seed: 0)
    #expect(rng.next() == 0xE220_A839_7B1D_CDAF)
    #expect(rng.next() == 0x6E78_9E6A_A1B9_65F4)
  }

  @Test("forked streams are reproducible and independent of the parent's later use")
  func fork() {
    let parent = SplitMix64(seed: 1)
    var f1 = parent.fork(stream: 3)
    var f2 = parent.fork(stream: 3)
    var f3 = parent.fork(stream: 4)
    let x = f1.next()
    #expect(x == f2.next())
    #expect(x != f3.next())
  }

  @Test("Gaussian samples have mean ≈ 0 and variance ≈ 1")
  func gaussian() {
    var rng = SplitMix64(seed: 11)
    let n = 200_000
    let x = [Float].gaussianNoise(count: n, using: &rng)
    let mean = x.reduce(0, +) / Float(n)
    let variance = x.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Float(n)
    // Standard error of the mean is 1/sqrt(n) ≈ 0.0022; allow 5 σ.
    #expect(abs(mean) < 0.011)
    #expect(abs(variance - 1) < 0.02)
  }
}

@Suite("BLAS")
struct BLASTests {
  @Test(
    "gemm equals a naive product for every transposition",
    arguments: [(1, 1, 1), (3, 5, 7), (17, 4, 9)])
  func gemm(sizes: (Int, Int, Int)) {
    let (m, n, k) = sizes
    var rng = SplitMix64(seed: UInt64(m * 100 + n * 10 + k))
    let a = (0..<(m * k)).map { _ in Float.random(in: -1..<1, using: &rng) }
    let b = (0..<(k * n)).map { _ in Float.random(in: -1..<1, using: &rng) }
    var expected = [Float](repeating: 0, count: m * n)
    for i in 0..<m {
      for j in 0..<n { for p in 0..<k { expected[i * n + j] += a[i * k + p] * b[p * n + j] } }
    }
    let c = BLAS.matmul(a, b, m: m, n: n, k: k)
    // Summation order differs from the naive loop: allow k·ulp-scale error.
    #expect(zip(c, expected).allSatisfy { abs($0 - $1) < 1e-5 * Float(k) })
    // Transposed storage of both operands gives the same product.
    let at = (0..<(k * m)).map { idx in a[(idx % m) * k + idx / m] }
    let bt = (0..<(n * k)).map { idx in b[(idx % k) * n + idx / k] }
    var c2 = [Float](repeating: 1, count: m * n)
    at.withUnsafeBufferPointer { pa in
      bt.withUnsafeBufferPointer { pb in
        c2.withUnsafeMutableBufferPointer { pc in
          BLAS.gemm(
            .transposed, pa, .transposed, pb, into: pc, m: m, n: n, k: k, alpha: 2, beta: -1)
        }
      }
    }
    #expect(zip(c2, expected).allSatisfy { abs($0 - (2 * $1 - 1)) < 2e-5 * Float(k) })
  }

  /// The NN core hands uninitialised buffers to β = 0 products, including the one-row and
  /// one-column shapes that go to gemv: NaN already in C must not survive.
  @Test("β = 0 does not read C, for gemm and for the gemv shapes", arguments: [(1, 6, 4), (5, 1, 4), (3, 4, 5)])
  func betaZeroIgnoresC(sizes: (Int, Int, Int)) {
    let (m, n, k) = sizes
    let a = (0..<(m * k)).map { Float($0 % 5) - 2 }
    let b = (0..<(k * n)).map { Float($0 % 3) - 1 }
    var c = [Float](repeating: .nan, count: m * n)
    var cd = [Double](repeating: .nan, count: m * n)
    a.withUnsafeBufferPointer { pa in
      b.withUnsafeBufferPointer { pb in
        c.withUnsafeMutableBufferPointer { pc in
          BLAS.gemm(
            .none, .none, m: m, n: n, k: k, alpha: 1, a: pa.baseAddress!, lda: k,
            b: pb.baseAddress!, ldb: n, beta: 0, c: pc.baseAddress!, ldc: n)
        }
      }
    }
    let ad = a.map(Double.init)
    let bd = b.map(Double.init)
    ad.withUnsafeBufferPointer { pa in
      bd.withUnsafeBufferPointer { pb in
        cd.withUnsafeMutableBufferPointer { pc in
          BLAS.gemm(
            .none, .none, m: m, n: n, k: k, alpha: 1, a: pa.baseAddress!, lda: k,
            b: pb.baseAddress!, ldb: n, beta: 0, c: pc.baseAddress!, ldc: n)
        }
      }
    }
    for i in 0..<m {
      for j in 0..<n {
        var s: Float = 0
        for p in 0..<k { s += a[i * k + p] * b[p * n + j] }
        #expect(c[i * n + j] == s)
        #expect(cd[i * n + j] == Double(s))
      }
    }
  }

  @Test("the OpenBLAS configuration and thread count are reported")
  func configuration() {
    #expect(BLAS.configuration.contains("OpenBLAS"))
    #expect(BLAS.threadCount >= 1)
  }
}

@Suite("OpenBLAS kernel choice")
struct BLASKernelTests {
  static let xeon = """
    processor\t: 0
    model name\t: Intel(R) Xeon(R) Processor
    flags\t\t: fpu sse sse2 ssse3 fma sse4_1 sse4_2 avx f16c avx2 avx512f avx512dq avx512cd avx512bw avx512vl
    processor\t: 1
    flags\t\t: fpu
    """

  @Test("the flags come from the first flags line of /proc/cpuinfo")
  func flags() {
    let flags = BLAS.cpuFlags(cpuinfo: Self.xeon)
    #expect(flags.contains("avx512bw") && flags.contains("fma") && !flags.contains("flags"))
    #expect(BLAS.cpuFlags(cpuinfo: "processor : 0\n").isEmpty)
  }

  @Test("only a fallback to Prescott is overridden, with the best kernels the CPU supports")
  func choice() {
    let avx512 = BLAS.cpuFlags(cpuinfo: Self.xeon)
    #expect(BLAS.preferredCoreType(detected: "Prescott", cpuFlags: avx512) == "SkylakeX")
    #expect(BLAS.preferredCoreType(detected: "Prescott", cpuFlags: ["avx2", "fma", "avx512f"]) == "Haswell")
    #expect(BLAS.preferredCoreType(detected: "Prescott", cpuFlags: ["sse3", "avx"]) == nil)
    // A detection that worked is left alone, whatever the flags.
    #expect(BLAS.preferredCoreType(detected: "Haswell", cpuFlags: avx512) == nil)
    #expect(BLAS.preferredCoreType(detected: "Zen", cpuFlags: avx512) == nil)
    #expect(BLAS.preferredCoreType(detected: "SkylakeX", cpuFlags: avx512) == nil)
  }

  @Test("the kernels in use are named")
  func coreName() {
    #expect(!BLAS.coreName.isEmpty && BLAS.coreName != "unknown")
    #expect(BLAS.configuration.contains(BLAS.coreName))
  }
}

@Suite("Row partitions with single-threaded BLAS")
struct BLASPartitionTests {
  @Test("blocks cover the rows once, run BLAS on one thread each, and the thread count returns")
  func partitions() {
    let before = BLAS.sharedThreadCount
    for (rows, parts) in [(1, 4), (5, 2), (7, 3), (2, 8), (100, 1)] {
      let seen = Mutex<[Range<Int>]>([])
      let counts = Mutex<[Int]>([])
      BLAS.forEachPartition(rows: rows, parts: parts) { block in
        seen.withLock { $0.append(block) }
        counts.withLock { $0.append(BLAS.sharedThreadCount) }
      }
      let blocks = seen.withLock { $0 }.sorted { $0.lowerBound < $1.lowerBound }
      #expect(blocks.count == min(rows, parts), "rows \(rows), parts \(parts)")
      #expect(blocks.flatMap { Array($0) } == Array(0..<rows), "rows \(rows), parts \(parts)")
      #expect(blocks.allSatisfy { !$0.isEmpty })
      // One block runs on the caller with OpenBLAS untouched; several run it single-threaded.
      let expected = blocks.count > 1 ? 1 : before
      #expect(counts.withLock { $0 }.allSatisfy { $0 == expected }, "rows \(rows), parts \(parts)")
      #expect(BLAS.sharedThreadCount == before)
    }
  }

  @Test("a partition inside a partition's body runs inline, and products there go straight through")
  func nested() {
    let inner = Mutex<[Range<Int>]>([])
    BLAS.forEachPartition(rows: 4, parts: 2) { outer in
      BLAS.forEachPartition(rows: 3, parts: 3) { rows in inner.withLock { $0.append(rows) } }
      _ = BLAS.matmul([1, 2], [3, 4], m: 1, n: 1, k: 2)  // would deadlock if it waited for the gate
      #expect(outer.count == 2)
    }
    #expect(inner.withLock { $0 } == [0..<3, 0..<3])
  }

  @Test("each block's products equal the whole product")
  func blockProducts() {
    let (m, n, k) = (9, 33, 17)
    let a = (0..<(m * k)).map { Float(($0 * 7) % 13) - 6 }
    let b = (0..<(k * n)).map { Float(($0 * 5) % 11) - 5 }
    let whole = BLAS.matmul(a, b, m: m, n: n, k: k)
    var blocked = [Float](repeating: .nan, count: m * n)
    a.withUnsafeBufferPointer { pa in
      b.withUnsafeBufferPointer { pb in
        blocked.withUnsafeMutableBufferPointer { pc in
          let (ua, ub) = (UncheckedPointer(pa.baseAddress!), UncheckedPointer(pb.baseAddress!))
          let uc = UncheckedMutablePointer(pc.baseAddress!)
          BLAS.forEachPartition(rows: m, parts: 3) { rows in
            BLAS.gemm(
              .none, .none, m: rows.count, n: n, k: k, alpha: 1, a: ua.pointer + rows.lowerBound * k,
              lda: k, b: ub.pointer, ldb: n, beta: 0, c: uc.pointer + rows.lowerBound * n, ldc: n)
          }
        }
      }
    }
    #expect(blocked == whole)  // small integers: exact in any order
  }
}

private struct UncheckedPointer: @unchecked Sendable {
  let pointer: UnsafePointer<Float>
  init(_ pointer: UnsafePointer<Float>) { self.pointer = pointer }
}

private struct UncheckedMutablePointer: @unchecked Sendable {
  let pointer: UnsafeMutablePointer<Float>
  init(_ pointer: UnsafeMutablePointer<Float>) { self.pointer = pointer }
}
