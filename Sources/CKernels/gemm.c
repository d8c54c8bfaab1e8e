// Dense and element-wise kernels: gemm_body.h and elementwise_body.h compiled for baseline, AVX2 and
// AVX-512, dispatched by rlexp_isa_level().
#include "isa_internal.h"
#if defined(__x86_64__)
#include <immintrin.h>   // the AVX-512 variant's masked loads and stores (used only under its target attribute)
#endif

#define VARIANT(n) n##_portable
#define TARGET
#define VEC rlexp_v8
#define VECI rlexp_v8i
#define VL 8
#include "gemm_body.h"
#include "elementwise_body.h"
#undef VARIANT
#undef TARGET

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
void rlexp_tanh_backward(long n, float *dx, const float *a) { DISPATCH(tanh_backward, n, dx, a); }
void rlexp_add_rows(long rows, long n, const float *x, float *acc) { DISPATCH(add_rows, rows, n, x, acc); }

/// wt (cols × rows) = wᵀ: data movement only, the same bits in every variant.
void rlexp_transpose(long rows, long cols, const float *w, float *wt) { DISPATCH(transpose, rows, cols, w, wt); }
