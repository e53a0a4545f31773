// Recurrent-cell kernels. The sigmoid and tanh of the gates are most of an LSTM or GRU step's
// elementwise work; Swift compiles for baseline x86-64 (4-wide SSE2, no FMA), where they cost
// about 8 cycles per value. Here each kernel is built three times (AVX-512, AVX2 + FMA and the
// baseline) and the dynamic loader picks the widest one the CPU has (GNU ifunc, through
// clang's target_clones), so the binary still runs on any x86-64 machine.
//
// exp and tanh are Cephes' single-precision schemes written without calls or branches, the same
// as Float.exp / Float.tanh in NNScalar.swift, so that the loops vectorise: exp within about
// 1 ulp on [−87, 88] (clamped there), tanh within about 1 ulp.
#include "NNKernels.h"

#include <stdint.h>
#include <string.h>

#include "KernelMath.h"

static inline float sigmoid_f32(float x) { return 1.0f / (1.0f + exp_f32(-x)); }

static inline float tanh_f32(float x) {
  float a = x < 0 ? -x : x;
  float large = 1.0f - 2.0f / (exp_f32(2.0f * a) + 1.0f);
  float z = x * x;
  float p = -5.70498872745e-3f;
  p = p * z + 2.06390887954e-2f;
  p = p * z - 5.37397155531e-2f;
  p = p * z + 1.33314422036e-1f;
  p = p * z - 3.33332819422e-1f;
  float small = p * z * x + x;
  return a < 0.625f ? small : (x < 0 ? -large : large);
}

KERNEL void l3das_lstm_forward_f32(
    ptrdiff_t h, const float *restrict x, const float *restrict hh, float *saved,
    const float *previous_cell, float *restrict out) {
  float *restrict gi = saved, *restrict gf = saved + h, *restrict gg = saved + 2 * h;
  float *restrict go = saved + 3 * h;
  for (ptrdiff_t j = 0; j < h; j++) {
    gi[j] = sigmoid_f32(x[j] + hh[j]);
    gf[j] = sigmoid_f32(x[h + j] + hh[h + j]);
    gg[j] = tanh_f32(x[2 * h + j] + hh[2 * h + j]);
    go[j] = sigmoid_f32(x[3 * h + j] + hh[3 * h + j]);
  }
  // The cell state may be updated in place (previous_cell == c).
  float *c = saved + 4 * h;
  for (ptrdiff_t j = 0; j < h; j++) c[j] = gf[j] * previous_cell[j] + gi[j] * gg[j];
  for (ptrdiff_t j = 0; j < h; j++) out[j] = go[j] * tanh_f32(c[j]);
}

KERNEL void l3das_gru_forward_f32(
    ptrdiff_t h, const float *restrict x, const float *restrict hh, float *restrict saved,
    const float *restrict previous_output, float *restrict out) {
  float *restrict r = saved, *restrict z = saved + h, *restrict n = saved + 2 * h;
  float *restrict hn = saved + 3 * h;
  for (ptrdiff_t j = 0; j < h; j++) {
    float rj = sigmoid_f32(x[j] + hh[j]);
    float zj = sigmoid_f32(x[h + j] + hh[h + j]);
    float hnj = hh[2 * h + j];
    float nj = tanh_f32(x[2 * h + j] + rj * hnj);
    r[j] = rj;
    z[j] = zj;
    n[j] = nj;
    hn[j] = hnj;
    out[j] = (1.0f - zj) * nj + zj * previous_output[j];
  }
}

KERNEL void l3das_lstm_backward_f32(
    ptrdiff_t h, const float *restrict gradient_out, const float *restrict saved,
    const float *restrict previous_cell, float *restrict carried_output,
    float *restrict carried_cell, float *restrict gradient_gates) {
  const float *gi = saved, *gf = saved + h, *gg = saved + 2 * h, *go = saved + 3 * h;
  const float *c = saved + 4 * h;
  for (ptrdiff_t j = 0; j < h; j++) {
    float dh = gradient_out[j] + carried_output[j];
    float c_prev = previous_cell ? previous_cell[j] : 0.0f;
    float tc = tanh_f32(c[j]);
    float dc = carried_cell[j] + dh * go[j] * (1.0f - tc * tc);
    gradient_gates[j] = dc * gg[j] * gi[j] * (1.0f - gi[j]);
    gradient_gates[h + j] = dc * c_prev * gf[j] * (1.0f - gf[j]);
    gradient_gates[2 * h + j] = dc * gi[j] * (1.0f - gg[j] * gg[j]);
    gradient_gates[3 * h + j] = dh * tc * go[j] * (1.0f - go[j]);
    carried_cell[j] = dc * gf[j];
    carried_output[j] = 0.0f;
  }
}

KERNEL void l3das_sigmoid_f32(ptrdiff_t count, float *restrict values) {
  for (ptrdiff_t j = 0; j < count; j++) values[j] = sigmoid_f32(values[j]);
}

KERNEL void l3das_tanh_f32(ptrdiff_t count, float *restrict values) {
  for (ptrdiff_t j = 0; j < count; j++) values[j] = tanh_f32(values[j]);
}
