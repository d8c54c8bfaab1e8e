// The dense kernels' body, compiled once per variant (see isa_internal.h). Every output element
// accumulates `c = fma(a, b, c)` (a·b + c rounded once: FMAV/FMA8/FMAS, defined per variant in gemm.c)
// over the inner index in increasing order from its current value, so the
// register blocking (4 rows or 1; 2 or 4 vectors, one vector, 8 or 1 columns; with AVX-512 a masked
// vector for the last 1…15 columns and 8-row blocks for narrow outputs; with AVX2, for outputs of
// fewer than 8 columns, 32-row blocks whose rows are vector lanes) and the vector width (VL = 8 lanes portable and AVX2, 16 with
// AVX-512) never change a bit.

static inline TARGET rlexp_v8 VARIANT(load8)(const float *p) { rlexp_v8 v; __builtin_memcpy(&v, p, sizeof v); return v; }
static inline TARGET void VARIANT(store8)(float *p, rlexp_v8 v) { __builtin_memcpy(p, &v, sizeof v); }
static inline TARGET rlexp_v8 VARIANT(splat8)(float s) { rlexp_v8 v = {s, s, s, s, s, s, s, s}; return v; }
static inline TARGET VEC VARIANT(loadv)(const float *p) { VEC v; __builtin_memcpy(&v, p, sizeof v); return v; }
static inline TARGET void VARIANT(storev)(float *p, VEC v) { __builtin_memcpy(p, &v, sizeof v); }
static inline TARGET VEC VARIANT(splatv)(float s) { VEC v; for (int k = 0; k < VL; k++) v[k] = s; return v; }

/// Four rows at once: c rows r = 0…3 at c + r·N, their a at a + r·aNext; c[r][n] += Σ_j a_r[j·aStride]·B[j, n].
static inline TARGET void VARIANT(acc4rows)(long N, long J, const float *a, long aStride, long aNext, const float *B, float *c) {
    const float *a0 = a, *a1 = a + aNext, *a2 = a + 2 * aNext, *a3 = a + 3 * aNext;
    float *r0 = c, *r1 = c + N, *r2 = c + 2 * N, *r3 = c + 3 * N;
    long n = 0;
    for (; WIDE_BLOCKS && n + 2 * VL <= N; n += 2 * VL) {
        VEC c0 = VARIANT(loadv)(r0 + n), c1 = VARIANT(loadv)(r1 + n), c2 = VARIANT(loadv)(r2 + n), c3 = VARIANT(loadv)(r3 + n);
        VEC d0 = VARIANT(loadv)(r0 + n + VL), d1 = VARIANT(loadv)(r1 + n + VL), d2 = VARIANT(loadv)(r2 + n + VL), d3 = VARIANT(loadv)(r3 + n + VL);
        const float *b = B + n;
        for (long j = 0; j < J; j++) {
            VEC bv = VARIANT(loadv)(b), bw = VARIANT(loadv)(b + VL);
            long o = j * aStride;
            VEC s0 = VARIANT(splatv)(a0[o]), s1 = VARIANT(splatv)(a1[o]), s2 = VARIANT(splatv)(a2[o]), s3 = VARIANT(splatv)(a3[o]);
            c0 = FMAV(s0, bv, c0); c1 = FMAV(s1, bv, c1); c2 = FMAV(s2, bv, c2); c3 = FMAV(s3, bv, c3);
            d0 = FMAV(s0, bw, d0); d1 = FMAV(s1, bw, d1); d2 = FMAV(s2, bw, d2); d3 = FMAV(s3, bw, d3);
            b += N;
        }
        VARIANT(storev)(r0 + n, c0); VARIANT(storev)(r1 + n, c1); VARIANT(storev)(r2 + n, c2); VARIANT(storev)(r3 + n, c3);
        VARIANT(storev)(r0 + n + VL, d0); VARIANT(storev)(r1 + n + VL, d1); VARIANT(storev)(r2 + n + VL, d2); VARIANT(storev)(r3 + n + VL, d3);
    }
#if VL == 16
    for (; n + VL <= N; n += VL) {
        VEC c0 = VARIANT(loadv)(r0 + n), c1 = VARIANT(loadv)(r1 + n), c2 = VARIANT(loadv)(r2 + n), c3 = VARIANT(loadv)(r3 + n);
        const float *b = B + n;
        for (long j = 0; j < J; j++) {
            VEC bv = VARIANT(loadv)(b);
            long o = j * aStride;
            c0 = FMAV(VARIANT(splatv)(a0[o]), bv, c0); c1 = FMAV(VARIANT(splatv)(a1[o]), bv, c1);
            c2 = FMAV(VARIANT(splatv)(a2[o]), bv, c2); c3 = FMAV(VARIANT(splatv)(a3[o]), bv, c3);
            b += N;
        }
        VARIANT(storev)(r0 + n, c0); VARIANT(storev)(r1 + n, c1); VARIANT(storev)(r2 + n, c2); VARIANT(storev)(r3 + n, c3);
    }
    if (n < N) {   // the last 1…15 columns as one masked vector (lanes past N are neither read nor written)
        __mmask16 k = (__mmask16)((1u << (N - n)) - 1);
        __m512 c0 = _mm512_maskz_loadu_ps(k, r0 + n), c1 = _mm512_maskz_loadu_ps(k, r1 + n), c2 = _mm512_maskz_loadu_ps(k, r2 + n), c3 = _mm512_maskz_loadu_ps(k, r3 + n);
        const float *b = B + n;
        for (long j = 0; j < J; j++) {
            VEC bv = (VEC)_mm512_maskz_loadu_ps(k, b);
            long o = j * aStride;
            c0 = (__m512)FMAV(VARIANT(splatv)(a0[o]), bv, (VEC)c0); c1 = (__m512)FMAV(VARIANT(splatv)(a1[o]), bv, (VEC)c1);
            c2 = (__m512)FMAV(VARIANT(splatv)(a2[o]), bv, (VEC)c2); c3 = (__m512)FMAV(VARIANT(splatv)(a3[o]), bv, (VEC)c3);
            b += N;
        }
        _mm512_mask_storeu_ps(r0 + n, k, c0); _mm512_mask_storeu_ps(r1 + n, k, c1); _mm512_mask_storeu_ps(r2 + n, k, c2); _mm512_mask_storeu_ps(r3 + n, k, c3);
        n = N;
    }
#endif
    for (; n + 8 <= N; n += 8) {
        rlexp_v8 c0 = VARIANT(load8)(r0 + n), c1 = VARIANT(load8)(r1 + n), c2 = VARIANT(load8)(r2 + n), c3 = VARIANT(load8)(r3 + n);
        const float *b = B + n;
        for (long j = 0; j < J; j++) {
            rlexp_v8 bv = VARIANT(load8)(b);
            long o = j * aStride;
            c0 = FMA8(VARIANT(splat8)(a0[o]), bv, c0); c1 = FMA8(VARIANT(splat8)(a1[o]), bv, c1);
            c2 = FMA8(VARIANT(splat8)(a2[o]), bv, c2); c3 = FMA8(VARIANT(splat8)(a3[o]), bv, c3);
            b += N;
        }
        VARIANT(store8)(r0 + n, c0); VARIANT(store8)(r1 + n, c1); VARIANT(store8)(r2 + n, c2); VARIANT(store8)(r3 + n, c3);
    }
    for (; n < N; n++) {
        float s0 = r0[n], s1 = r1[n], s2 = r2[n], s3 = r3[n];
        for (long j = 0; j < J; j++) {
            float bj = B[j * N + n];
            long o = j * aStride;
            s0 = FMAS(a0[o], bj, s0); s1 = FMAS(a1[o], bj, s1); s2 = FMAS(a2[o], bj, s2); s3 = FMAS(a3[o], bj, s3);
        }
        r0[n] = s0; r1[n] = s1; r2[n] = s2; r3[n] = s3;
    }
}

/// One row: c[n] += Σ_j a[j·aStride]·B[j, n], columns in register blocks of 4 vectors, one vector, 8 and 1.
static inline TARGET void VARIANT(acc1row)(long N, long J, const float *a, long aStride, const float *B, float *c) {
    long n = 0;
    for (; WIDE_BLOCKS && n + 4 * VL <= N; n += 4 * VL) {
        VEC c0 = VARIANT(loadv)(c + n), c1 = VARIANT(loadv)(c + n + VL), c2 = VARIANT(loadv)(c + n + 2 * VL), c3 = VARIANT(loadv)(c + n + 3 * VL);
        const float *b = B + n;
        for (long j = 0; j < J; j++) {
            VEC s = VARIANT(splatv)(a[j * aStride]);
            c0 = FMAV(s, VARIANT(loadv)(b), c0); c1 = FMAV(s, VARIANT(loadv)(b + VL), c1);
            c2 = FMAV(s, VARIANT(loadv)(b + 2 * VL), c2); c3 = FMAV(s, VARIANT(loadv)(b + 3 * VL), c3);
            b += N;
        }
        VARIANT(storev)(c + n, c0); VARIANT(storev)(c + n + VL, c1); VARIANT(storev)(c + n + 2 * VL, c2); VARIANT(storev)(c + n + 3 * VL, c3);
    }
#if VL == 16
    for (; n + VL <= N; n += VL) {
        VEC c0 = VARIANT(loadv)(c + n);
        const float *b = B + n;
        for (long j = 0; j < J; j++) { c0 = FMAV(VARIANT(splatv)(a[j * aStride]), VARIANT(loadv)(b), c0); b += N; }
        VARIANT(storev)(c + n, c0);
    }
    if (n < N) {   // the last 1…15 columns as one masked vector
        __mmask16 k = (__mmask16)((1u << (N - n)) - 1);
        VEC c0 = (VEC)_mm512_maskz_loadu_ps(k, c + n);
        const float *b = B + n;
        for (long j = 0; j < J; j++) { c0 = FMAV(VARIANT(splatv)(a[j * aStride]), (VEC)_mm512_maskz_loadu_ps(k, b), c0); b += N; }
        _mm512_mask_storeu_ps(c + n, k, (__m512)c0);
        n = N;
    }
#endif
    for (; n + 8 <= N; n += 8) {
        rlexp_v8 c0 = VARIANT(load8)(c + n);
        const float *b = B + n;
        for (long j = 0; j < J; j++) { c0 = FMA8(VARIANT(splat8)(a[j * aStride]), VARIANT(load8)(b), c0); b += N; }
        VARIANT(store8)(c + n, c0);
    }
    for (; n < N; n++) {
        float acc = c[n];
        for (long j = 0; j < J; j++) acc = FMAS(a[j * aStride], B[j * N + n], acc);
        c[n] = acc;
    }
}

#if VL == 16
/// Eight rows at once for narrow outputs (N < 2·VL: one vector and/or a masked tail a row), where four
/// rows would give only four independent accumulator chains (an FMA's latency needs eight to keep
/// both pipes busy): c[r][n] += Σ_j a_r[j·aStride]·B[j, n] for r = 0…7, the same order as acc4rows.
static inline TARGET void VARIANT(acc8rows)(long N, long J, const float *a, long aStride, long aNext, const float *B, float *c) {
    for (long n = 0; n < N; n += VL) {
        long w = N - n < VL ? N - n : VL;
        __mmask16 k = (__mmask16)(w == VL ? 0xffffu : (1u << w) - 1);
        VEC c0 = (VEC)_mm512_maskz_loadu_ps(k, c + n), c1 = (VEC)_mm512_maskz_loadu_ps(k, c + N + n);
        VEC c2 = (VEC)_mm512_maskz_loadu_ps(k, c + 2 * N + n), c3 = (VEC)_mm512_maskz_loadu_ps(k, c + 3 * N + n);
        VEC c4 = (VEC)_mm512_maskz_loadu_ps(k, c + 4 * N + n), c5 = (VEC)_mm512_maskz_loadu_ps(k, c + 5 * N + n);
        VEC c6 = (VEC)_mm512_maskz_loadu_ps(k, c + 6 * N + n), c7 = (VEC)_mm512_maskz_loadu_ps(k, c + 7 * N + n);
        const float *b = B + n;
        for (long j = 0; j < J; j++) {
            VEC bv = (VEC)_mm512_maskz_loadu_ps(k, b);
            const float *aj = a + j * aStride;
            c0 = FMAV(VARIANT(splatv)(aj[0]), bv, c0); c1 = FMAV(VARIANT(splatv)(aj[aNext]), bv, c1);
            c2 = FMAV(VARIANT(splatv)(aj[2 * aNext]), bv, c2); c3 = FMAV(VARIANT(splatv)(aj[3 * aNext]), bv, c3);
            c4 = FMAV(VARIANT(splatv)(aj[4 * aNext]), bv, c4); c5 = FMAV(VARIANT(splatv)(aj[5 * aNext]), bv, c5);
            c6 = FMAV(VARIANT(splatv)(aj[6 * aNext]), bv, c6); c7 = FMAV(VARIANT(splatv)(aj[7 * aNext]), bv, c7);
            b += N;
        }
        _mm512_mask_storeu_ps(c + n, k, (__m512)c0); _mm512_mask_storeu_ps(c + N + n, k, (__m512)c1);
        _mm512_mask_storeu_ps(c + 2 * N + n, k, (__m512)c2); _mm512_mask_storeu_ps(c + 3 * N + n, k, (__m512)c3);
        _mm512_mask_storeu_ps(c + 4 * N + n, k, (__m512)c4); _mm512_mask_storeu_ps(c + 5 * N + n, k, (__m512)c5);
        _mm512_mask_storeu_ps(c + 6 * N + n, k, (__m512)c6); _mm512_mask_storeu_ps(c + 7 * N + n, k, (__m512)c7);
    }
}
#define NARROW8(N) ((N) < 2 * VL)
#else
#define NARROW8(N) 0
#define acc8rows_portable(...) ((void)0)
#define acc8rows_avx2(...) ((void)0)
#endif

#if VL == 8 && WIDE_BLOCKS
/// Narrow outputs (N < 8) at 8 lanes, 32 rows at once with the rows as the lanes of four vectors:
/// acc4rows would compute them one column at a time in scalar registers, four latency-bound chains.
/// Here two columns at a time make eight vector chains, each lane still
/// c[r][n] = fma(a_r[j], B[j, n], c[r][n]) over j in increasing order (fma(a, b, c) = fma(b, a, c)),
/// so the bits are acc4rows's. Row r's a values are a[r·aNext + j·aStride]; rows that are not
/// contiguous (aNext ≠ 1) are first copied, 64 j at a time, into a [j][32 rows] block.
static inline TARGET void VARIANT(acc32rows_narrow)(long N, long J, const float *a, long aStride, long aNext, const float *B, float *c) {
    float t[64 * 32];
    for (long n = 0; n < N; n += 2) {
        const int two = n + 1 < N;
        rlexp_v8 c0[4], c1[4];
        for (int v = 0; v < 4; v++) {
            for (int r = 0; r < 8; r++) { c0[v][r] = c[(8 * v + r) * N + n]; c1[v][r] = two ? c[(8 * v + r) * N + n + 1] : 0.0f; }
        }
        for (long j0 = 0; j0 < J; j0 += 64) {
            const long jn = J - j0 < 64 ? J - j0 : 64;
            const float *p = a + j0 * aStride;
            long ps = aStride;
            if (aNext != 1) {
                for (long jj = 0; jj < jn; jj++) for (int r = 0; r < 32; r++) t[jj * 32 + r] = a[r * aNext + (j0 + jj) * aStride];
                p = t; ps = 32;
            }
            const float *b = B + j0 * N + n;
            if (two) {
                for (long jj = 0; jj < jn; jj++) {
                    const rlexp_v8 s = VARIANT(splat8)(b[0]), u = VARIANT(splat8)(b[1]);
                    for (int v = 0; v < 4; v++) {
                        const rlexp_v8 av = VARIANT(load8)(p + jj * ps + 8 * v);
                        c0[v] = FMA8(av, s, c0[v]); c1[v] = FMA8(av, u, c1[v]);
                    }
                    b += N;
                }
            } else {
                for (long jj = 0; jj < jn; jj++) {
                    const rlexp_v8 s = VARIANT(splat8)(b[0]);
                    for (int v = 0; v < 4; v++) c0[v] = FMA8(VARIANT(load8)(p + jj * ps + 8 * v), s, c0[v]);
                    b += N;
                }
            }
        }
        for (int v = 0; v < 4; v++) {
            for (int r = 0; r < 8; r++) { c[(8 * v + r) * N + n] = c0[v][r]; if (two) c[(8 * v + r) * N + n + 1] = c1[v][r]; }
        }
    }
}
#define NARROW32(N) ((N) < 8)
#else
#define NARROW32(N) 0
#define acc32rows_narrow_portable(...) ((void)0)
#define acc32rows_narrow_avx512(...) ((void)0)
#endif

static TARGET void VARIANT(gemm_acc)(long M, long N, long K, const float *A, const float *B, float *C) {
    long m = 0;
    if (NARROW32(N)) for (; m + 32 <= M; m += 32) VARIANT(acc32rows_narrow)(N, K, A + m * K, 1, K, B, C + m * N);
    if (NARROW8(N)) for (; m + 8 <= M; m += 8) VARIANT(acc8rows)(N, K, A + m * K, 1, K, B, C + m * N);
    for (; m + 4 <= M; m += 4) VARIANT(acc4rows)(N, K, A + m * K, 1, K, B, C + m * N);
    for (; m < M; m++) VARIANT(acc1row)(N, K, A + m * K, 1, B, C + m * N);
}

static TARGET void VARIANT(gemm_ta_acc)(long M, long N, long K, const float *A, const float *B, float *C) {
    long k = 0;
    if (NARROW32(N)) for (; k + 32 <= K; k += 32) VARIANT(acc32rows_narrow)(N, M, A + k, K, 1, B, C + k * N);
    if (NARROW8(N)) for (; k + 8 <= K; k += 8) VARIANT(acc8rows)(N, M, A + k, K, 1, B, C + k * N);
    for (; k + 4 <= K; k += 4) VARIANT(acc4rows)(N, M, A + k, K, 1, B, C + k * N);
    for (; k < K; k++) VARIANT(acc1row)(N, M, A + k, K, B, C + k * N);
}
#undef NARROW8
#undef NARROW32

static inline TARGET float VARIANT(dot)(long n, const float *x, const float *y) {
    rlexp_v8 acc = VARIANT(splat8)(0.0f);
    long i = 0;
    for (; i + 8 <= n; i += 8) acc = FMA8(VARIANT(load8)(x + i), VARIANT(load8)(y + i), acc);
    float tail = 0.0f;
    for (; i < n; i++) tail = FMAS(x[i], y[i], tail);
    float l0 = acc[0] + acc[4], l1 = acc[1] + acc[5], l2 = acc[2] + acc[6], l3 = acc[3] + acc[7];
    float q0 = l0 + l2, q1 = l1 + l3;
    return (q0 + q1) + tail;
}

static TARGET void VARIANT(gemm_tb)(long M, long N, long K, const float *A, const float *B, float *C) {
    for (long m = 0; m < M; m++) {
        const float *a = A + m * N;
        for (long k = 0; k < K; k++) C[m * K + k] = VARIANT(dot)(N, a, B + k * N);
    }
}

/// wt[j·rows + i] = w[i·cols + j]: 8 × 8 tiles by shuffles (no arithmetic: the same bits everywhere),
/// the edges element by element.
static TARGET void VARIANT(transpose)(long rows, long cols, const float *w, float *wt) {
    long i0 = 0;
    for (; i0 + 8 <= rows; i0 += 8) {
        long j0 = 0;
        for (; j0 + 8 <= cols; j0 += 8) {
            const float *p = w + i0 * cols + j0;
            rlexp_v8 r0 = VARIANT(load8)(p), r1 = VARIANT(load8)(p + cols), r2 = VARIANT(load8)(p + 2 * cols), r3 = VARIANT(load8)(p + 3 * cols);
            rlexp_v8 r4 = VARIANT(load8)(p + 4 * cols), r5 = VARIANT(load8)(p + 5 * cols), r6 = VARIANT(load8)(p + 6 * cols), r7 = VARIANT(load8)(p + 7 * cols);
            rlexp_v8 t0 = __builtin_shufflevector(r0, r1, 0, 8, 1, 9, 4, 12, 5, 13), t1 = __builtin_shufflevector(r0, r1, 2, 10, 3, 11, 6, 14, 7, 15);
            rlexp_v8 t2 = __builtin_shufflevector(r2, r3, 0, 8, 1, 9, 4, 12, 5, 13), t3 = __builtin_shufflevector(r2, r3, 2, 10, 3, 11, 6, 14, 7, 15);
            rlexp_v8 t4 = __builtin_shufflevector(r4, r5, 0, 8, 1, 9, 4, 12, 5, 13), t5 = __builtin_shufflevector(r4, r5, 2, 10, 3, 11, 6, 14, 7, 15);
            rlexp_v8 t6 = __builtin_shufflevector(r6, r7, 0, 8, 1, 9, 4, 12, 5, 13), t7 = __builtin_shufflevector(r6, r7, 2, 10, 3, 11, 6, 14, 7, 15);
            rlexp_v8 u0 = __builtin_shufflevector(t0, t2, 0, 1, 8, 9, 4, 5, 12, 13), u1 = __builtin_shufflevector(t0, t2, 2, 3, 10, 11, 6, 7, 14, 15);
            rlexp_v8 u2 = __builtin_shufflevector(t1, t3, 0, 1, 8, 9, 4, 5, 12, 13), u3 = __builtin_shufflevector(t1, t3, 2, 3, 10, 11, 6, 7, 14, 15);
            rlexp_v8 u4 = __builtin_shufflevector(t4, t6, 0, 1, 8, 9, 4, 5, 12, 13), u5 = __builtin_shufflevector(t4, t6, 2, 3, 10, 11, 6, 7, 14, 15);
            rlexp_v8 u6 = __builtin_shufflevector(t5, t7, 0, 1, 8, 9, 4, 5, 12, 13), u7 = __builtin_shufflevector(t5, t7, 2, 3, 10, 11, 6, 7, 14, 15);
            float *q = wt + j0 * rows + i0;   // column j0 + c of w is row j0 + c of wt
            VARIANT(store8)(q, __builtin_shufflevector(u0, u4, 0, 1, 2, 3, 8, 9, 10, 11));
            VARIANT(store8)(q + rows, __builtin_shufflevector(u1, u5, 0, 1, 2, 3, 8, 9, 10, 11));
            VARIANT(store8)(q + 2 * rows, __builtin_shufflevector(u2, u6, 0, 1, 2, 3, 8, 9, 10, 11));
            VARIANT(store8)(q + 3 * rows, __builtin_shufflevector(u3, u7, 0, 1, 2, 3, 8, 9, 10, 11));
            VARIANT(store8)(q + 4 * rows, __builtin_shufflevector(u0, u4, 4, 5, 6, 7, 12, 13, 14, 15));
            VARIANT(store8)(q + 5 * rows, __builtin_shufflevector(u1, u5, 4, 5, 6, 7, 12, 13, 14, 15));
            VARIANT(store8)(q + 6 * rows, __builtin_shufflevector(u2, u6, 4, 5, 6, 7, 12, 13, 14, 15));
            VARIANT(store8)(q + 7 * rows, __builtin_shufflevector(u3, u7, 4, 5, 6, 7, 12, 13, 14, 15));
        }
        for (long i = i0; i < i0 + 8; i++)
            for (long j = j0; j < cols; j++) wt[j * rows + i] = w[i * cols + j];
    }
    for (long i = i0; i < rows; i++)
        for (long j = 0; j < cols; j++) wt[j * rows + i] = w[i * cols + j];
}
