// Dense and element-wise kernels: gemm_body.h and elementwise_body.h compiled for baseline and for AVX2, dispatched by rlexp_isa_level().
#include "isa_internal.h"

#define VARIANT(n) n##_portable
#define TARGET
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
#define DISPATCH(f, ...) do { if (RLEXP_AVX2) f##_avx2(__VA_ARGS__); else f##_portable(__VA_ARGS__); } while (0)
#define DISPATCH_RETURN(f, ...) return RLEXP_AVX2 ? f##_avx2(__VA_ARGS__) : f##_portable(__VA_ARGS__)
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

/// wt[j·rows + i] = w[i·cols + j], in 8 × 8 tiles (no arithmetic: the same bits on every CPU).
void rlexp_transpose(long rows, long cols, const float *w, float *wt) {
    for (long i0 = 0; i0 < rows; i0 += 8) {
        long i1 = i0 + 8 < rows ? i0 + 8 : rows;
        for (long j0 = 0; j0 < cols; j0 += 8) {
            long j1 = j0 + 8 < cols ? j0 + 8 : cols;
            for (long i = i0; i < i1; i++)
                for (long j = j0; j < j1; j++) wt[j * rows + i] = w[i * cols + j];
        }
    }
}
