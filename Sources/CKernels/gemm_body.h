// The dense kernels' body, compiled once per variant (see isa_internal.h). Every output element
// accumulates `c = c + a·b` over the inner index in increasing order from its current value, so the
// register blocking (4 rows or 1; 32, 8 or 1 columns) and the vector width never change a bit.

static inline TARGET rlexp_v8 VARIANT(load8)(const float *p) { rlexp_v8 v; __builtin_memcpy(&v, p, sizeof v); return v; }
static inline TARGET void VARIANT(store8)(float *p, rlexp_v8 v) { __builtin_memcpy(p, &v, sizeof v); }
static inline TARGET rlexp_v8 VARIANT(splat8)(float s) { rlexp_v8 v = {s, s, s, s, s, s, s, s}; return v; }

/// Four rows at once: c rows r = 0…3 at c + r·N, their a at a + r·aNext; c[r][n] += Σ_j a_r[j·aStride]·B[j, n].
static inline TARGET void VARIANT(acc4rows)(long N, long J, const float *a, long aStride, long aNext, const float *B, float *c) {
    const float *a0 = a, *a1 = a + aNext, *a2 = a + 2 * aNext, *a3 = a + 3 * aNext;
    float *r0 = c, *r1 = c + N, *r2 = c + 2 * N, *r3 = c + 3 * N;
    long n = 0;
    for (; n + 16 <= N; n += 16) {
        rlexp_v8 c0 = VARIANT(load8)(r0 + n), c1 = VARIANT(load8)(r1 + n), c2 = VARIANT(load8)(r2 + n), c3 = VARIANT(load8)(r3 + n);
        rlexp_v8 d0 = VARIANT(load8)(r0 + n + 8), d1 = VARIANT(load8)(r1 + n + 8), d2 = VARIANT(load8)(r2 + n + 8), d3 = VARIANT(load8)(r3 + n + 8);
        const float *b = B + n;
        for (long j = 0; j < J; j++) {
            rlexp_v8 bv = VARIANT(load8)(b), bw = VARIANT(load8)(b + 8);
            long o = j * aStride;
            rlexp_v8 s0 = VARIANT(splat8)(a0[o]), s1 = VARIANT(splat8)(a1[o]), s2 = VARIANT(splat8)(a2[o]), s3 = VARIANT(splat8)(a3[o]);
            c0 = c0 + s0 * bv; c1 = c1 + s1 * bv; c2 = c2 + s2 * bv; c3 = c3 + s3 * bv;
            d0 = d0 + s0 * bw; d1 = d1 + s1 * bw; d2 = d2 + s2 * bw; d3 = d3 + s3 * bw;
            b += N;
        }
        VARIANT(store8)(r0 + n, c0); VARIANT(store8)(r1 + n, c1); VARIANT(store8)(r2 + n, c2); VARIANT(store8)(r3 + n, c3);
        VARIANT(store8)(r0 + n + 8, d0); VARIANT(store8)(r1 + n + 8, d1); VARIANT(store8)(r2 + n + 8, d2); VARIANT(store8)(r3 + n + 8, d3);
    }
    for (; n + 8 <= N; n += 8) {
        rlexp_v8 c0 = VARIANT(load8)(r0 + n), c1 = VARIANT(load8)(r1 + n), c2 = VARIANT(load8)(r2 + n), c3 = VARIANT(load8)(r3 + n);
        const float *b = B + n;
        for (long j = 0; j < J; j++) {
            rlexp_v8 bv = VARIANT(load8)(b);
            long o = j * aStride;
            c0 = c0 + VARIANT(splat8)(a0[o]) * bv; c1 = c1 + VARIANT(splat8)(a1[o]) * bv;
            c2 = c2 + VARIANT(splat8)(a2[o]) * bv; c3 = c3 + VARIANT(splat8)(a3[o]) * bv;
            b += N;
        }
        VARIANT(store8)(r0 + n, c0); VARIANT(store8)(r1 + n, c1); VARIANT(store8)(r2 + n, c2); VARIANT(store8)(r3 + n, c3);
    }
    for (; n < N; n++) {
        float s0 = r0[n], s1 = r1[n], s2 = r2[n], s3 = r3[n];
        for (long j = 0; j < J; j++) {
            float bj = B[j * N + n];
            long o = j * aStride;
            s0 = s0 + a0[o] * bj; s1 = s1 + a1[o] * bj; s2 = s2 + a2[o] * bj; s3 = s3 + a3[o] * bj;
        }
        r0[n] = s0; r1[n] = s1; r2[n] = s2; r3[n] = s3;
    }
}

/// One row: c[n] += Σ_j a[j·aStride]·B[j, n], columns in register blocks of 32, 8 and 1.
static inline TARGET void VARIANT(acc1row)(long N, long J, const float *a, long aStride, const float *B, float *c) {
    long n = 0;
    for (; n + 32 <= N; n += 32) {
        rlexp_v8 c0 = VARIANT(load8)(c + n), c1 = VARIANT(load8)(c + n + 8), c2 = VARIANT(load8)(c + n + 16), c3 = VARIANT(load8)(c + n + 24);
        const float *b = B + n;
        for (long j = 0; j < J; j++) {
            rlexp_v8 s = VARIANT(splat8)(a[j * aStride]);
            c0 = c0 + s * VARIANT(load8)(b); c1 = c1 + s * VARIANT(load8)(b + 8);
            c2 = c2 + s * VARIANT(load8)(b + 16); c3 = c3 + s * VARIANT(load8)(b + 24);
            b += N;
        }
        VARIANT(store8)(c + n, c0); VARIANT(store8)(c + n + 8, c1); VARIANT(store8)(c + n + 16, c2); VARIANT(store8)(c + n + 24, c3);
    }
    for (; n + 8 <= N; n += 8) {
        rlexp_v8 c0 = VARIANT(load8)(c + n);
        const float *b = B + n;
        for (long j = 0; j < J; j++) { c0 = c0 + VARIANT(splat8)(a[j * aStride]) * VARIANT(load8)(b); b += N; }
        VARIANT(store8)(c + n, c0);
    }
    for (; n < N; n++) {
        float acc = c[n];
        for (long j = 0; j < J; j++) acc = acc + a[j * aStride] * B[j * N + n];
        c[n] = acc;
    }
}

static TARGET void VARIANT(gemm_acc)(long M, long N, long K, const float *A, const float *B, float *C) {
    long m = 0;
    for (; m + 4 <= M; m += 4) VARIANT(acc4rows)(N, K, A + m * K, 1, K, B, C + m * N);
    for (; m < M; m++) VARIANT(acc1row)(N, K, A + m * K, 1, B, C + m * N);
}

static TARGET void VARIANT(gemm_ta_acc)(long M, long N, long K, const float *A, const float *B, float *C) {
    long k = 0;
    for (; k + 4 <= K; k += 4) VARIANT(acc4rows)(N, M, A + k, K, 1, B, C + k * N);
    for (; k < K; k++) VARIANT(acc1row)(N, M, A + k, K, B, C + k * N);
}

static inline TARGET float VARIANT(dot)(long n, const float *x, const float *y) {
    rlexp_v8 acc = VARIANT(splat8)(0.0f);
    long i = 0;
    for (; i + 8 <= n; i += 8) acc = acc + VARIANT(load8)(x + i) * VARIANT(load8)(y + i);
    float tail = 0.0f;
    for (; i < n; i++) tail = tail + x[i] * y[i];
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
