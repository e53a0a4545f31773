// Single-precision recurrent-cell kernels for the NN module, compiled for several x86 vector
// widths and chosen at load time (see NNKernels.c). Not API: only NN imports this module.
#ifndef L3DAS_NN_KERNELS_H
#define L3DAS_NN_KERNELS_H

#include <stddef.h>

/// LSTM step for one batch row. `x` and `hh` are the input and recurrent pre-activations
/// (4h each, gates i, f, g, o); writes the activated gates and the new cell state to `saved`
/// (5h: i, f, g, o, c) and the new hidden state to `out` (h). `previous_cell` may alias the c
/// part of `saved` (in-place update).
void l3das_lstm_forward_f32(
    ptrdiff_t h, const float *x, const float *hh, float *saved, const float *previous_cell,
    float *out);

/// GRU step for one batch row. `x` is the input projection (3h, gates r, z, n, with b_in),
/// `hh` the recurrent product with b_hh (3h). Writes r, z, n and U_n·h + b_hn to `saved` (4h)
/// and h' = (1 − z)·n + z·h to `out`.
void l3das_gru_forward_f32(
    ptrdiff_t h, const float *x, const float *hh, float *saved, const float *previous_output,
    float *out);

/// LSTM backward step for one batch row: from the output gradient `gradient_out` plus the
/// carried dL/dh (`carried_output`, then zeroed) and dL/dc (`carried_cell`, then dL/dc·f),
/// writes the gate gradients to `gradient_gates` (4h). `previous_cell` is NULL at the first step.
void l3das_lstm_backward_f32(
    ptrdiff_t h, const float *gradient_out, const float *saved, const float *previous_cell,
    float *carried_output, float *carried_cell, float *gradient_gates);

/// The logistic function and tanh of `count` values in place (tests check their accuracy).
void l3das_sigmoid_f32(ptrdiff_t count, float *values);
void l3das_tanh_f32(ptrdiff_t count, float *values);

#endif
