// Elementwise and row kernels of the transformer layers (GELU with the exact error function,
// layer normalisation, softmax rows), built per x86 vector width like NNKernels.c.
//
// erf(x) is a branch-free approximation fitted for binary32 (least-squares fits in double
// precision by Tools/reference/erf_coefficients.py, which also checks a binary32 evaluation
// against math.erf on a 140 000-point grid of [−6, 6]: at most 2.3 ulp, 1.4e-7 absolute):
//   |x| < 1:  erf(x) = x · P(x²), P of degree 6 (erf(x)/x);
//   |x| ≥ 1:  erf(x) = sign(x) · (1 − exp(Q(min(|x|, 4)))), Q of degree 9 (log erfc on [1, 4];
//             erfc(4) = 1.5e-8 is below half an ulp of 1, so the clamp is exact in binary32).
#include "NNKernels.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "KernelMath.h"

/// erfc(|x|) for |x| ≥ 1 (clamped to 4), as exp of a polynomial in |x|.
static inline float erfc_large(float a) {
  float t = a > 4.0f ? 4.0f : (a < 1.0f ? 1.0f : a);
  float q = -6.582858290525501e-08f;
  q = q * t + 3.095204723968789e-06f;
  q = q * t - 6.006879651399936e-05f;
  q = q * t + 6.733375529035736e-04f;
  q = q * t - 5.021044767127472e-03f;
  q = q * t + 2.699949713181516e-02f;
  q = q * t - 1.109074170503528e-01f;
  q = q * t - 6.310888679968892e-01f;
  q = q * t - 1.130604469404248e+00f;
  q = q * t + 4.005005036162088e-04f;
  return exp_f32(q);
}

/// erf(x) for |x| < 1.
static inline float erf_small(float x) {
  float s = x * x;
  float p = 7.882497107996121e-05f;
  p = p * s - 8.018854992186409e-04f;
  p = p * s + 5.189311942620340e-03f;
  p = p * s - 2.685432879603369e-02f;
  p = p * s + 1.128359746348720e-01f;
  p = p * s - 3.761262690358035e-01f;
  p = p * s + 1.128379165881502e+00f;
  return x * p;
}

static inline float erf_f32(float x) {
  float a = x < 0 ? -x : x;
  float large = 1.0f - erfc_large(a);
  large = x < 0 ? -large : large;
  return a < 1.0f ? erf_small(x) : large;
}

// The elementwise loops may run in place (out == x): each output depends only on the input at
// the same index, so vectorising is safe, which the compiler cannot prove by itself (it would
// fall back to the scalar loop when the pointers are equal).
KERNEL void l3das_erf_f32(ptrdiff_t count, const float *x, float *out) {
#pragma clang loop vectorize(assume_safety)
  for (ptrdiff_t i = 0; i < count; i++) out[i] = erf_f32(x[i]);
}

KERNEL void l3das_gelu_f32(ptrdiff_t count, const float *x, float *out) {
  // 0.5·x·(1 + erf(x/√2)); for x/√2 ≤ −1, 1 + erf = erfc(|x|/√2) directly (no cancellation).
#pragma clang loop vectorize(assume_safety)
  for (ptrdiff_t i = 0; i < count; i++) {
    float v = x[i];
    float z = v * 0.70710678118654752f;
    float a = z < 0 ? -z : z;
    float tail = erfc_large(a);
    float one_plus = z < 0 ? tail : 2.0f - tail;
    float small = 1.0f + erf_small(z);
    out[i] = 0.5f * v * (a < 1.0f ? small : one_plus);
  }
}

KERNEL void l3das_layer_norm_rows_f32(
    ptrdiff_t rows, ptrdiff_t length, const float *x, ptrdiff_t ldx, const float *weight,
    const float *bias, int per_row, float epsilon, float *out, ptrdiff_t ldo) {
  for (ptrdiff_t r = 0; r < rows; r++) {
    const float *row = x + r * ldx;
    float *o = out + r * ldo;
    // Mean and biased variance in two passes, accumulated in double: rows of 512–1024 values.
    double sum = 0;
    for (ptrdiff_t j = 0; j < length; j++) sum += row[j];
    float mean = (float)(sum / (double)length);
    double squares = 0;
    for (ptrdiff_t j = 0; j < length; j++) {
      float d = row[j] - mean;
      squares += (double)d * d;
    }
    float inv = (float)(1.0 / sqrt(squares / (double)length + (double)epsilon));
    if (per_row) {
      float w = weight ? weight[r] : 1.0f, b = bias ? bias[r] : 0.0f;
      for (ptrdiff_t j = 0; j < length; j++) o[j] = (row[j] - mean) * inv * w + b;
    } else if (weight && bias) {
      for (ptrdiff_t j = 0; j < length; j++) o[j] = (row[j] - mean) * inv * weight[j] + bias[j];
    } else {
      for (ptrdiff_t j = 0; j < length; j++) {
        float h = (row[j] - mean) * inv;
        o[j] = (weight ? h * weight[j] : h) + (bias ? bias[j] : 0.0f);
      }
    }
  }
}

KERNEL void l3das_softmax_rows_f32(ptrdiff_t rows, ptrdiff_t length, float *x, ptrdiff_t ldx) {
  for (ptrdiff_t r = 0; r < rows; r++) {
    float *row = x + r * ldx;
    float m = -INFINITY;
    for (ptrdiff_t j = 0; j < length; j++) m = row[j] > m ? row[j] : m;
    float s = 0;
    for (ptrdiff_t j = 0; j < length; j++) {
      float e = exp_f32(row[j] - m);
      row[j] = e;
      s += e;
    }
    float inv = 1.0f / s;
    for (ptrdiff_t j = 0; j < length; j++) row[j] *= inv;
  }
}

KERNEL void l3das_online_softmax_block_f32(
    ptrdiff_t rows, ptrdiff_t cols, float *scores, float *maxima, float *sums, float *accumulator,
    ptrdiff_t width, int first) {
  for (ptrdiff_t i = 0; i < rows; i++) {
    float *row = scores + i * cols;
    // The block's maximum and the sum of its exponentials are reductions: reassociating them
    // lets them vectorise (the result differs from a sequential sum by rounding only).
    float m = first ? -INFINITY : maxima[i];
    {
#pragma clang fp reassociate(on)
      for (ptrdiff_t j = 0; j < cols; j++) m = row[j] > m ? row[j] : m;
    }
    for (ptrdiff_t j = 0; j < cols; j++) row[j] = exp_f32(row[j] - m);
    float total = 0;
    {
#pragma clang fp reassociate(on)
      for (ptrdiff_t j = 0; j < cols; j++) total += row[j];
    }
    if (first) {
      sums[i] = total;
    } else {
      float correction = exp_f32(maxima[i] - m);
      sums[i] = sums[i] * correction + total;
      float *a = accumulator + i * width;
      for (ptrdiff_t j = 0; j < width; j++) a[j] *= correction;
    }
    maxima[i] = m;
  }
}

KERNEL void l3das_column_norm_f32(
    ptrdiff_t rows, ptrdiff_t cols, const float *x, const float *weight, const float *bias,
    float epsilon, float *out, double *scratch) {
  // scratch: 3·cols doubles (sums, squared deviations, then the per-column scale and shift as
  // floats). Rows are read in order, so each pass streams the matrix once and the per-column
  // accumulators stay in cache.
  double *sums = scratch, *squares = scratch + cols;
  for (ptrdiff_t c = 0; c < cols; c++) sums[c] = squares[c] = 0;
  for (ptrdiff_t r = 0; r < rows; r++) {
    const float *row = x + r * cols;
    for (ptrdiff_t c = 0; c < cols; c++) sums[c] += row[c];
  }
  for (ptrdiff_t c = 0; c < cols; c++) sums[c] /= (double)rows;
  for (ptrdiff_t r = 0; r < rows; r++) {
    const float *row = x + r * cols;
    for (ptrdiff_t c = 0; c < cols; c++) {
      double d = (double)row[c] - sums[c];
      squares[c] += d * d;
    }
  }
  // Per column: y = (x − mean)·scale + shift, scale = weight/√(var + ε), shift = bias − mean·scale.
  float *scale = (float *)(scratch + 2 * cols), *shift = scale + cols;
  for (ptrdiff_t c = 0; c < cols; c++) {
    double inv = 1.0 / sqrt(squares[c] / (double)rows + (double)epsilon);
    double s = (weight ? weight[c] : 1.0) * inv;
    double b = (bias ? bias[c] : 0.0) - sums[c] * s;
    scale[c] = (float)s;
    shift[c] = (float)b;
  }
  for (ptrdiff_t r = 0; r < rows; r++) {
    const float *row = x + r * cols;
    float *o = out + r * cols;
#pragma clang loop vectorize(assume_safety)
    for (ptrdiff_t c = 0; c < cols; c++) o[c] = row[c] * scale[c] + shift[c];
  }
}
