// Dense and element-wise kernels: gemm_body.h and elementwise_body.h compiled for baseline, AVX2 and
// AVX-512, dispatched by rlexp_isa_level().
#include "isa_internal.h"
#include "fma_emul.h"
#if defined(__x86_64__)
#include <immintrin.h>   // the AVX-512 variant's masked loads and stores (used only under its target attribute)
#endif

// The dense kernels' multiply-adds are fused (one rounding): an instruction under the FMA target; in
// the portable variant on x86-64, whose baseline has none, fma_emul.h's exact emulation (the same
// bits); elsewhere (aarch64 has FMA in its base) the compiler's fma.
#define VARIANT(n) n##_portable
#define TARGET
#define VEC rlexp_v8
#define VECI rlexp_v8i
#define VL 8
#if defined(__x86_64__)
#define FMAV(a, b, c) rlexp_fma8_emulated(a, b, c)
#define FMA8(a, b, c) rlexp_fma8_emulated(a, b, c)
#define FMAS(a, b, c) rlexp_fmaf_emulated(a, b, c)
#define WIDE_BLOCKS 0   // the emulation's temporaries need the registers that wider blocks would take
#else
#define WIDE_BLOCKS 1
#define FMAV(a, b, c) __builtin_elementwise_fma(a, b, c)
#define FMA8(a, b, c) __builtin_elementwise_fma(a, b, c)
#define FMAS(a, b, c) __builtin_fmaf(a, b, c)
#endif
#include "gemm_body.h"
#include "elementwise_body.h"
#undef VARIANT
#undef TARGET
#undef FMAV
#undef FMA8
#undef FMAS
#undef WIDE_BLOCKS
#define WIDE_BLOCKS 1
#define FMAV(a, b, c) __builtin_elementwise_fma(a, b, c)
#define FMA8(a, b, c) __builtin_elementwise_fma(a, b, c)
#define FMAS(a, b, c) __builtin_fmaf(a, b, c)

#if RLEXP_HAVE_AVX2_VARIANT
#define VARIANT(n) n##_avx2
#define TARGET __attribute__((target("avx2,fma")))
#include "gemm_body.h"
#include "elementwise_body.h"
#undef VARIANT
#undef TARGET
#undef VEC
#undef VECI
#undef VL

// AVX-512: the same bodies on 16-lane vectors (min-legal-vector-width keeps them in zmm registers).
#define VARIANT(n) n##_avx512
#define TARGET __attribute__((target("avx512f,avx512vl,avx2,fma"), min_vector_width(512)))
#define VEC rlexp_v16
#define VECI rlexp_v16i
#define VL 16
#include "gemm_body.h"
#include "elementwise_body.h"
#undef VARIANT
#undef TARGET

#define DISPATCH(f, ...) do { int l_ = rlexp_isa_level(); if (l_ == 2) f##_avx512(__VA_ARGS__); else if (l_ == 1) f##_avx2(__VA_ARGS__); else f##_portable(__VA_ARGS__); } while (0)
#define DISPATCH_RETURN(f, ...) do { int l_ = rlexp_isa_level(); return l_ == 2 ? f##_avx512(__VA_ARGS__) : l_ == 1 ? f##_avx2(__VA_ARGS__) : f##_portable(__VA_ARGS__); } while (0)
#else
#define DISPATCH(f, ...) f##_portable(__VA_ARGS__)
#define DISPATCH_RETURN(f, ...) return f##_portable(__VA_ARGS__)
#endif
void rlexp_gemm_acc(long M, long N, long K, const float *A, const float *B, float *C) { DISPATCH(gemm_acc, M, N, K, A, B, C); }
void rlexp_gemm_ta_acc(long M, long N, long K, const float *A, const float *B, float *C) { DISPATCH(gemm_ta_acc, M, N, K, A, B, C); }
void rlexp_gemm_tb(long M, long N, long K, const float *A, const float *B, float *C) { DISPATCH(gemm_tb, M, N, K, A, B, C); }
float rlexp_dot(long n, const float *x, const float *y) { DISPATCH_RETURN(dot, n, x, y); }
void rlexp_tanh_inplace(long n, float *y) { DISPATCH(tanh_inplace, n, y); }
void rlexp_relu_inplace(long n, float *y) { DISPATCH(relu_inplace, n, y); }
void rlexp_rmsprop(long n, float *params, float *ms, const float *grads, float lr, float alpha, float eps) {
    DISPATCH(rmsprop, n, params, ms, grads, lr, alpha, eps);
}
void rlexp_rmsprop_torch(long n, float *params, float *v, const float *grads, float lr, float alpha, float eps) {
    DISPATCH(rmsprop_torch, n, params, v, grads, lr, alpha, eps);
}
double rlexp_sum_squares(long n, const float *g) { DISPATCH_RETURN(sum_squares, n, g); }
void rlexp_tanh_backward(long n, float *dx, const float *a) { DISPATCH(tanh_backward, n, dx, a); }
void rlexp_relu_backward(long n, float *dx, const float *a) { DISPATCH(relu_backward, n, dx, a); }
void rlexp_add_rows(long rows, long n, const float *x, float *acc) { DISPATCH(add_rows, rows, n, x, acc); }

/// wt (cols × rows) = wᵀ: data movement only, the same bits in every variant.
void rlexp_transpose(long rows, long cols, const float *w, float *wt) { DISPATCH(transpose, rows, cols, w, wt); }

/// out[i] = a[i]·b[i] + c[i] rounded once by the portable variant's emulation (fma_emul.h), whatever
/// the CPU: eight lanes at a time, the rest one by one (tests compare it with the FMA instruction).
void rlexp_fma_emulated(long n, const float *a, const float *b, const float *c, float *out) {
    long i = 0;
    for (; i + 8 <= n; i += 8) {
        rlexp_v8 va, vb, vc;
        __builtin_memcpy(&va, a + i, sizeof va); __builtin_memcpy(&vb, b + i, sizeof vb); __builtin_memcpy(&vc, c + i, sizeof vc);
        rlexp_v8 r = rlexp_fma8_emulated(va, vb, vc);
        __builtin_memcpy(out + i, &r, sizeof r);
    }
    for (; i < n; i++) out[i] = rlexp_fmaf_emulated(a[i], b[i], c[i]);
}
