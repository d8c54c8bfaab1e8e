// Element-wise kernels' body, compiled once per variant (see isa_internal.h). Each element goes
// through the same IEEE operations in the same order in the vector loop and in the scalar tail, so
// vector width never changes a bit.

/// Lane-wise `m ? a : b` for a comparison mask `m` (all ones or all zeros per lane), by bits.
static inline TARGET rlexp_v8 VARIANT(sel)(rlexp_v8i m, rlexp_v8 a, rlexp_v8 b) {
    return (rlexp_v8)((m & (rlexp_v8i)a) | (~m & (rlexp_v8i)b));
}

static inline TARGET rlexp_v8 VARIANT(sqrt8)(rlexp_v8 s) {
#if __has_builtin(__builtin_elementwise_sqrt)
    return __builtin_elementwise_sqrt(s);
#else
    rlexp_v8 r;
    for (int k = 0; k < 8; k++) r[k] = __builtin_sqrtf(s[k]);
    return r;
#endif
}

/// fastTanh on 8 lanes. Swift's `max(x, y)` is `y >= x ? y : x` and `min(x, y)` is `y < x ? y : x`:
/// the same selects here (NaN passes through both, as in Swift).
static inline TARGET rlexp_v8 VARIANT(tanh8)(rlexp_v8 x0) {
    const rlexp_v8 clamp = VARIANT(splat8)(7.90531110763549805f), nclamp = VARIANT(splat8)(-7.90531110763549805f);
    rlexp_v8 x = VARIANT(sel)(nclamp >= x0, nclamp, x0);
    x = VARIANT(sel)(clamp < x, clamp, x);
    rlexp_v8 ax = VARIANT(sel)(x < VARIANT(splat8)(0.0f), -x, x);
    rlexp_v8 x2 = x * x;
    rlexp_v8 p = VARIANT(splat8)(-2.76076847742355e-16f);
    p = p * x2 + 2.00018790482477e-13f;
    p = p * x2 + -8.60467152213735e-11f;
    p = p * x2 + 5.12229709037114e-08f;
    p = p * x2 + 1.48572235717979e-05f;
    p = p * x2 + 6.37261928875436e-04f;
    p = p * x2 + 4.89352455891786e-03f;
    p = p * x;
    rlexp_v8 q = VARIANT(splat8)(1.19825839466702e-06f);
    q = q * x2 + 1.18534705686654e-04f;
    q = q * x2 + 2.26843463243900e-03f;
    q = q * x2 + 4.89352518554385e-03f;
    return VARIANT(sel)(ax < VARIANT(splat8)(0.0004f), x, p / q);
}

/// The tail (< 8 elements) goes through the same lanes, padded with zeros.
static TARGET void VARIANT(tanh_inplace)(long n, float *y) {
    long i = 0;
    for (; i + 8 <= n; i += 8) VARIANT(store8)(y + i, VARIANT(tanh8)(VARIANT(load8)(y + i)));
    if (i < n) {
        float t[8] = {0};
        __builtin_memcpy(t, y + i, (size_t)(n - i) * sizeof(float));
        VARIANT(store8)(t, VARIANT(tanh8)(VARIANT(load8)(t)));
        __builtin_memcpy(y + i, t, (size_t)(n - i) * sizeof(float));
    }
}

static TARGET void VARIANT(relu_inplace)(long n, float *y) {
    const rlexp_v8 zero = VARIANT(splat8)(0.0f);
    long i = 0;
    for (; i + 8 <= n; i += 8) { rlexp_v8 x = VARIANT(load8)(y + i); VARIANT(store8)(y + i, VARIANT(sel)(zero >= x, zero, x)); }
    for (; i < n; i++) y[i] = (0.0f >= y[i]) ? 0.0f : y[i];
}

/// `v = α·m + (1−α)·g²; m = v; θ = θ − (η·g) / sqrt(v + ε)`, with 1−α rounded to float first.
static TARGET void VARIANT(rmsprop)(long n, float *p, float *m, const float *g, float lr, float alpha, float eps) {
    const float oma = 1.0f - alpha;
    const rlexp_v8 va = VARIANT(splat8)(alpha), voma = VARIANT(splat8)(oma), vlr = VARIANT(splat8)(lr), veps = VARIANT(splat8)(eps);
    long i = 0;
    for (; i + 8 <= n; i += 8) {
        rlexp_v8 gv = VARIANT(load8)(g + i);
        rlexp_v8 v = va * VARIANT(load8)(m + i) + voma * (gv * gv);
        VARIANT(store8)(m + i, v);
        VARIANT(store8)(p + i, VARIANT(load8)(p + i) - (vlr * gv) / VARIANT(sqrt8)(v + veps));
    }
    for (; i < n; i++) {
        float gi = g[i];
        float v = alpha * m[i] + oma * (gi * gi);
        m[i] = v;
        p[i] = p[i] - (lr * gi) / __builtin_sqrtf(v + eps);
    }
}

/// tanh's backward: `dx[i] = dx[i] · (1 − a[i]·a[i])`, a = tanh's output (MLP.backward's loop).
static TARGET void VARIANT(tanh_backward)(long n, float *dx, const float *a) {
    const rlexp_v8 one = VARIANT(splat8)(1.0f);
    long i = 0;
    for (; i + 8 <= n; i += 8) {
        rlexp_v8 av = VARIANT(load8)(a + i);
        VARIANT(store8)(dx + i, VARIANT(load8)(dx + i) * (one - av * av));
    }
    for (; i < n; i++) dx[i] = dx[i] * (1.0f - a[i] * a[i]);
}

/// Column sums added in row order: `acc[j] = acc[j] + x[r·n + j]` for r = 0, 1, … (bias gradients).
static TARGET void VARIANT(add_rows)(long rows, long n, const float *x, float *acc) {
    for (long r = 0; r < rows; r++) {
        const float *row = x + r * n;
        long j = 0;
        for (; j + 8 <= n; j += 8) VARIANT(store8)(acc + j, VARIANT(load8)(acc + j) + VARIANT(load8)(row + j));
        for (; j < n; j++) acc[j] = acc[j] + row[j];
    }
}
