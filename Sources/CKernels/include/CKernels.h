// CKernels: the hot numeric kernels in C, compiled for baseline x86-64 (or the host's own baseline
// elsewhere), with `__attribute__((target("avx2,fma")))` and (the dense and element-wise ones) with
// `target("avx512f,avx512vl,…")`, and chosen at run time by CPU feature (cpuid). All variants perform
// the same IEEE-754 operations in the same order on every element (the files turn FP contraction off;
// the dense kernels' fused multiply-adds are written out, and emulated exactly where the CPU has no
// FMA), so they give the same bits: the choice only changes how many lanes one instruction carries.
// No unsafe compiler flag is involved.
#ifndef RLEXP_CKERNELS_H
#define RLEXP_CKERNELS_H

#ifdef __cplusplus
extern "C" {
#endif

/// The instruction-set level the dispatched kernels use: 0 = portable (baseline), 1 = AVX2+FMA,
/// 2 = AVX-512 (F+VL; the dense and element-wise kernels on 16 lanes, sin/cos as at level 1).
/// Chosen once from cpuid; the environment variable RLEXP_ISA=portable forces 0 (what a CPU without
/// AVX2/FMA gets), RLEXP_ISA=avx2 caps it at 1 (what an AVX2-only CPU gets).
int rlexp_isa_level(void);
/// The highest level this CPU supports (0, 1 or 2), whatever RLEXP_ISA says.
int rlexp_isa_supported(void);
/// Sets the level for the whole process (tests compare the paths); returns the previous level, or −1
/// (and changes nothing) when the CPU lacks the level asked for.
int rlexp_isa_force(int level);
/// "portable", "avx2+fma" or "avx512".
const char *rlexp_isa_name(int level);

/// `C[m, n] += Σ_k A[m, k] · B[k, n]`, row-major A (M×K), B (K×N), C (M×N); each C[m, n] accumulates
/// over k in increasing order from its current value (`c = fma(a, b, c)`, one rounding).
void rlexp_gemm_acc(long M, long N, long K, const float *A, const float *B, float *C);
/// `C[k, n] += Σ_m A[m, k] · B[m, n]` (C += Aᵀ B), accumulating over m in increasing order.
void rlexp_gemm_ta_acc(long M, long N, long K, const float *A, const float *B, float *C);
/// `C[m, k] = Σ_n A[m, n] · B[k, n]` (C = A Bᵀ), each a dot product in rlexp_dot's order.
void rlexp_gemm_tb(long M, long N, long K, const float *A, const float *B, float *C);
/// Σ x[i]·y[i] with eight partial sums (lane i accumulates l = fma(x, y, l) over elements i, i+8, … of
/// the first 8⌊n/8⌋), the tail likewise in order, then ((l0+l4)+(l2+l6)) + ((l1+l5)+(l3+l7)) + tail.
float rlexp_dot(long n, const float *x, const float *y);
/// out[i] = fma(a[i], b[i], c[i]) by the portable variant's emulation on every CPU (for tests).
void rlexp_fma_emulated(long n, const float *a, const float *b, const float *c, float *out);

/// y[i] = fastTanh(y[i]) (NN's rational tanh: clamp at ±7.9053, identity below 0.0004 in magnitude).
void rlexp_tanh_inplace(long n, float *y);
/// y[i] = max(y[i], 0) as Swift's `max` (0 >= y ? 0 : y).
void rlexp_relu_inplace(long n, float *y);
/// RMSProp (TF form): v = α·m + (1−α)·g²; m = v; θ = θ − (η·g) / sqrt(v + ε), element by element.
void rlexp_rmsprop(long n, float *params, float *ms, const float *grads, float lr, float alpha, float eps);
/// RMSProp (PyTorch's form): v = v·α + (1−α)·g²; θ = θ + (−η)·(g / (sqrt(v) + ε)), element by element.
void rlexp_rmsprop_torch(long n, float *params, float *v, const float *grads, float lr, float alpha, float eps);
/// tanh's backward in place: dx[i] = dx[i] * (1 - a[i]*a[i]), a = the forward pass's tanh outputs.
void rlexp_tanh_backward(long n, float *dx, const float *a);
/// ReLU's backward in place: dx[i] = 0 where a[i] <= 0 (a = the forward pass's ReLU outputs), else kept.
void rlexp_relu_backward(long n, float *dx, const float *a);
/// acc[j] = acc[j] + x[r*n + j] for every row r in order (bias gradients: column sums).
void rlexp_add_rows(long rows, long n, const float *x, float *acc);
/// wt (cols x rows) = the transpose of w (rows x cols), row-major.
void rlexp_transpose(long rows, long cols, const float *w, float *wt);

/// Σ g[i]² accumulated in double, in the fixed order documented at globalNorm
/// (Sources/NN/Optimizers.swift); the same bits at every level.
double rlexp_sum_squares(long n, const float *g);

/// The spin-wait hint (x86 `pause`): for a thread waiting a few microseconds on a lock.
void rlexp_cpu_relax(void);

/// sin x and cos x bit for bit as glibc 2.36's `__sin_fma`/`__cos_fma` (dettrig.c), for
/// |x| < 105414350 only (the high word of |x| below 0x419921fb): larger and non-finite x are reduced
/// by `__branred` in Sources/NN/DetTrig.swift, which then calls rlexp_sin_reduced.
double rlexp_sin(double x);
double rlexp_cos(double x);
/// *s = rlexp_sin(x), *c = rlexp_cos(x), sharing the reduction where both take it (same bits).
void rlexp_sincos(double x, double *s, double *c);
/// glibc's do_sincos: sin(a + da + n·π/2) for a reduced argument |a + da| ≤ π/4 (cos: n + 1).
double rlexp_sin_reduced(double a, double da, int n);

#ifdef __cplusplus
}
#endif
#endif
