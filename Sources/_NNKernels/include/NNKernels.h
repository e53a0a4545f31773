// Single-precision kernels for the NN module: recurrent cells compiled for several x86 vector
// widths and chosen at load time (NNKernels.c), and an AVX-512 product for thin reductions
// (ThinGEMM.c). Not API: only NN imports this module.
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

/// Whether `l3das_thin_gemm_f32` runs on this CPU (it needs AVX-512 F; see ThinGEMM.c).
int l3das_thin_gemm_available(void);

/// Packs A (m × k, row-major, leading dimension `lda`) for `l3das_thin_gemm_f32` into
/// `packed`, which holds ⌈m/8⌉·8·k floats.
void l3das_thin_gemm_pack_f32(ptrdiff_t m, ptrdiff_t k, const float *a, ptrdiff_t lda, float *packed);

/// C (m × n, row-major, leading dimension `ldc`) = bias + A · B, with A packed by
/// `l3das_thin_gemm_pack_f32`, B (k × n) row-major with leading dimension `ldb`, and `bias`
/// one value per row of C (NULL: zero). Writes every element of C and reads none. For small k
/// (tens); only when `l3das_thin_gemm_available()`.
void l3das_thin_gemm_f32(
    ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, const float *packed, const float *b, ptrdiff_t ldb,
    const float *bias, float *c, ptrdiff_t ldc);

/// The logistic function and tanh of `count` values in place (tests check their accuracy).
void l3das_sigmoid_f32(ptrdiff_t count, float *values);
void l3das_tanh_f32(ptrdiff_t count, float *values);

/// erf of `count` values (Transformer.c: at most 2.3 ulp) and GELU with the exact error
/// function, 0.5·x·(1 + erf(x/√2)) (`out` may equal `x`).
void l3das_erf_f32(ptrdiff_t count, const float *x, float *out);
void l3das_gelu_f32(ptrdiff_t count, const float *x, float *out);

/// Normalisation of `rows` rows of `length` values (row strides `ldx`, `ldo`; `out` may equal
/// `x`) to zero mean and unit biased variance (both accumulated in double), then ·weight + bias
/// (either may be NULL), indexed by column (layer norm) or, with `per_row`, by row (group norm
/// with one channel per group).
void l3das_layer_norm_rows_f32(
    ptrdiff_t rows, ptrdiff_t length, const float *x, ptrdiff_t ldx, const float *weight,
    const float *bias, int per_row, float epsilon, float *out, ptrdiff_t ldo);

/// Softmax of each of `rows` rows of `length` values in place (row stride `ldx`).
void l3das_softmax_rows_f32(ptrdiff_t rows, ptrdiff_t length, float *x, ptrdiff_t ldx);

/// One key block of the streamed ("online") softmax of attention: for each of `rows` rows of
/// `cols` scores, the running maximum `maxima` and sum `sums` are updated, the scores are
/// replaced by exp(score − new maximum), and the row of `accumulator` (`width` values, the
/// partial output) is rescaled by exp(old − new maximum). `first` starts the rows afresh.
void l3das_online_softmax_block_f32(
    ptrdiff_t rows, ptrdiff_t cols, float *scores, float *maxima, float *sums, float *accumulator,
    ptrdiff_t width, int first);

/// Normalisation of each column of a `rows` × `cols` row-major matrix over its rows (group norm
/// with one channel per group on channels-last data, `[time, channels]`): mean and biased
/// variance in double, then ·weight + bias per column (either may be NULL). `out` may equal
/// `x`; `scratch` holds 3·cols doubles.
void l3das_column_norm_f32(
    ptrdiff_t rows, ptrdiff_t cols, const float *x, const float *weight, const float *bias,
    float epsilon, float *out, double *scratch);

#endif
