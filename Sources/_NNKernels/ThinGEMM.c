// A product for thin reductions: C = bias + A · B with a small inner dimension k (tens), as in a
// convolution whose unfolded taps are few (4 input channels × 3×3: k = 36). OpenBLAS spends
// most of such a product outside its kernel: it needs C filled with the bias beforehand (one
// pass over C, and C is the largest operand here: 64 rows against 36), then reads and writes C
// again around a k of only 36 products per element. Here each 8 × 32 tile of C is formed in
// AVX-512 registers, starting from the bias, over the whole k, and stored once; nothing of C
// is read. The bias is per row of C (per output channel).
//
// A is packed once per call site in panels of 8 rows ([⌈m/8⌉][k][8], zero rows past m), so a
// tile's eight row values for one k are one 32-byte load. B is read in place: rows of 32
// columns, in chunks of 1024 columns so that a chunk of B stays in L2 while every row panel
// of A passes over it.
//
// AVX-512 only: `l3das_thin_gemm_available` tells the caller whether to use it, else the
// caller runs its BLAS path.
#include "NNKernels.h"

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>

int l3das_thin_gemm_available(void) {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f");
}

void l3das_thin_gemm_pack_f32(ptrdiff_t m, ptrdiff_t k, const float *a, ptrdiff_t lda, float *packed) {
  for (ptrdiff_t block = 0; block < (m + 7) / 8; block++) {
    for (ptrdiff_t j = 0; j < k; j++) {
      for (ptrdiff_t i = 0; i < 8; i++) {
        ptrdiff_t row = block * 8 + i;
        *packed++ = row < m ? a[row * lda + j] : 0.0f;
      }
    }
  }
}

enum { CHUNK = 1024 };

// One FMA of row i of the tile: broadcast A's value for row i, times both vectors of B's row.
#define THIN_ROW(i)                                           \
  {                                                          \
    __m512 x = _mm512_set1_ps(w[i]);                         \
    acc[2 * i] = _mm512_fmadd_ps(x, b0, acc[2 * i]);         \
    acc[2 * i + 1] = _mm512_fmadd_ps(x, b1, acc[2 * i + 1]); \
  }
#define THIN_ROWS THIN_ROW(0) THIN_ROW(1) THIN_ROW(2) THIN_ROW(3) THIN_ROW(4) THIN_ROW(5) THIN_ROW(6) THIN_ROW(7)

__attribute__((target("avx512f"))) void l3das_thin_gemm_f32(
    ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, const float *packed, const float *b, ptrdiff_t ldb,
    const float *bias, float *c, ptrdiff_t ldc) {
  ptrdiff_t blocks = (m + 7) / 8;
  for (ptrdiff_t chunk = 0; chunk < n; chunk += CHUNK) {
    ptrdiff_t chunk_end = chunk + CHUNK < n ? chunk + CHUNK : n;
    for (ptrdiff_t block = 0; block < blocks; block++) {
      const float *panel = packed + block * k * 8;
      ptrdiff_t rows = m - block * 8 < 8 ? m - block * 8 : 8;
      for (ptrdiff_t n0 = chunk; n0 < chunk_end; n0 += 32) {
        ptrdiff_t left = n - n0;
        __m512 acc[16];
        for (int i = 0; i < 8; i++) {
          __m512 start = _mm512_set1_ps(bias && i < rows ? bias[block * 8 + i] : 0.0f);
          acc[2 * i] = start;
          acc[2 * i + 1] = start;
        }
        // The last columns of a row (left < 32) are masked: loads never touch memory past the
        // row's end, and stores never write past column n.
        __mmask16 m0 = left >= 16 ? 0xFFFF : (__mmask16)((1u << left) - 1);
        __mmask16 m1 = left >= 32 ? 0xFFFF : (left <= 16 ? 0 : (__mmask16)((1u << (left - 16)) - 1));
        const float *w = panel;
        const float *column = b + n0;
        if (left >= 32) {
          for (ptrdiff_t j = 0; j < k; j++, w += 8) {
            __m512 b0 = _mm512_loadu_ps(column + j * ldb);
            __m512 b1 = _mm512_loadu_ps(column + j * ldb + 16);
            THIN_ROWS
          }
        } else {
          for (ptrdiff_t j = 0; j < k; j++, w += 8) {
            __m512 b0 = _mm512_maskz_loadu_ps(m0, column + j * ldb);
            __m512 b1 = _mm512_maskz_loadu_ps(m1, column + j * ldb + 16);
            THIN_ROWS
          }
        }
        float *out = c + block * 8 * ldc + n0;
        if (left >= 32) {
          for (ptrdiff_t i = 0; i < rows; i++) {
            _mm512_storeu_ps(out + i * ldc, acc[2 * i]);
            _mm512_storeu_ps(out + i * ldc + 16, acc[2 * i + 1]);
          }
        } else {
          for (ptrdiff_t i = 0; i < rows; i++) {
            _mm512_mask_storeu_ps(out + i * ldc, m0, acc[2 * i]);
            _mm512_mask_storeu_ps(out + i * ldc + 16, m1, acc[2 * i + 1]);
          }
        }
      }
    }
  }
}

#else

int l3das_thin_gemm_available(void) { return 0; }

void l3das_thin_gemm_pack_f32(ptrdiff_t m, ptrdiff_t k, const float *a, ptrdiff_t lda, float *packed) {
  (void)m, (void)k, (void)a, (void)lda, (void)packed;
}

void l3das_thin_gemm_f32(
    ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, const float *packed, const float *b, ptrdiff_t ldb,
    const float *bias, float *c, ptrdiff_t ldc) {
  (void)m, (void)n, (void)k, (void)packed, (void)b, (void)ldb, (void)bias, (void)c, (void)ldc;
}

#endif
