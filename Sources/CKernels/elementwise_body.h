// Element-wise kernels' body, compiled once per variant (see isa_internal.h). Each element goes
// through the same IEEE operations in the same order in the vector loop and in the scalar tail, so
// vector width never changes a bit.

/// Lane-wise `m ? a : b` for a comparison mask `m` (all ones or all zeros per lane), by bits.
static inline TARGET VEC VARIANT(sel)(VECI m, VEC a, VEC b) {
    return (VEC)((m & (VECI)a) | (~m & (VECI)b));
}

static inline TARGET VEC VARIANT(sqrtv)(VEC s) {
#if __has_builtin(__builtin_elementwise_sqrt)
    return __builtin_elementwise_sqrt(s);
#else
    VEC r;
    for (int k = 0; k < VL; k++) r[k] = __builtin_sqrtf(s[k]);
    return r;
#endif
}

/// fastTanh on VL lanes. Swift's `max(x, y)` is `y >= x ? y : x` and `min(x, y)` is `y < x ? y : x`:
/// the same selects here (NaN passes through both, as in Swift).
static inline TARGET VEC VARIANT(tanhv)(VEC x0) {
    const VEC clamp = VARIANT(splatv)(7.90531110763549805f), nclamp = VARIANT(splatv)(-7.90531110763549805f);
    VEC x = VARIANT(sel)(nclamp >= x0, nclamp, x0);
    x = VARIANT(sel)(clamp < x, clamp, x);
    VEC ax = VARIANT(sel)(x < VARIANT(splatv)(0.0f), -x, x);
    VEC x2 = x * x;
    VEC p = VARIANT(splatv)(-2.76076847742355e-16f);
    p = p * x2 + 2.00018790482477e-13f;
    p = p * x2 + -8.60467152213735e-11f;
    p = p * x2 + 5.12229709037114e-08f;
    p = p * x2 + 1.48572235717979e-05f;
    p = p * x2 + 6.37261928875436e-04f;
    p = p * x2 + 4.89352455891786e-03f;
    p = p * x;
    VEC q = VARIANT(splatv)(1.19825839466702e-06f);
    q = q * x2 + 1.18534705686654e-04f;
    q = q * x2 + 2.26843463243900e-03f;
    q = q * x2 + 4.89352518554385e-03f;
    return VARIANT(sel)(ax < VARIANT(splatv)(0.0004f), x, p / q);
}

/// The tail (< VL elements) goes through the same lanes, padded with zeros.
static TARGET void VARIANT(tanh_inplace)(long n, float *y) {
    long i = 0;
    for (; i + VL <= n; i += VL) VARIANT(storev)(y + i, VARIANT(tanhv)(VARIANT(loadv)(y + i)));
    if (i < n) {
        float t[VL] = {0};
        __builtin_memcpy(t, y + i, (size_t)(n - i) * sizeof(float));
        VARIANT(storev)(t, VARIANT(tanhv)(VARIANT(loadv)(t)));
        __builtin_memcpy(y + i, t, (size_t)(n - i) * sizeof(float));
    }
}

static TARGET void VARIANT(relu_inplace)(long n, float *y) {
    const VEC zero = VARIANT(splatv)(0.0f);
    long i = 0;
    for (; i + VL <= n; i += VL) { VEC x = VARIANT(loadv)(y + i); VARIANT(storev)(y + i, VARIANT(sel)(zero >= x, zero, x)); }
    for (; i < n; i++) y[i] = (0.0f >= y[i]) ? 0.0f : y[i];
}

/// ReLU's backward in place: dx[i] = 0 where a[i] <= 0 (the forward's outputs), else unchanged
/// (a NaN a keeps its dx, as Swift's `where a[i] <= 0` loop did); a select, no branch per element.
static TARGET void VARIANT(relu_backward)(long n, float *dx, const float *a) {
    const VEC zero = VARIANT(splatv)(0.0f);
    long i = 0;
    for (; i + VL <= n; i += VL) { VEC av = VARIANT(loadv)(a + i); VARIANT(storev)(dx + i, VARIANT(sel)(av <= zero, zero, VARIANT(loadv)(dx + i))); }
    for (; i < n; i++) dx[i] = (a[i] <= 0.0f) ? 0.0f : dx[i];
}

/// `v = α·m + (1−α)·g²; m = v; θ = θ − (η·g) / sqrt(v + ε)`, with 1−α rounded to float first.
static TARGET void VARIANT(rmsprop)(long n, float *p, float *m, const float *g, float lr, float alpha, float eps) {
    const float oma = 1.0f - alpha;
    const VEC va = VARIANT(splatv)(alpha), voma = VARIANT(splatv)(oma), vlr = VARIANT(splatv)(lr), veps = VARIANT(splatv)(eps);
    long i = 0;
    for (; i + VL <= n; i += VL) {
        VEC gv = VARIANT(loadv)(g + i);
        VEC v = va * VARIANT(loadv)(m + i) + voma * (gv * gv);
        VARIANT(storev)(m + i, v);
        VARIANT(storev)(p + i, VARIANT(loadv)(p + i) - (vlr * gv) / VARIANT(sqrtv)(v + veps));
    }
    for (; i < n; i++) {
        float gi = g[i];
        float v = alpha * m[i] + oma * (gi * gi);
        m[i] = v;
        p[i] = p[i] - (lr * gi) / __builtin_sqrtf(v + eps);
    }
}

/// PyTorch's RMSprop in RMSPropTorch's order: `v = m·α + (1−α)·g²; m = v; θ = θ + (−η)·(g / (sqrt(v) + ε))`,
/// with 1−α rounded to float first.
static TARGET void VARIANT(rmsprop_torch)(long n, float *p, float *m, const float *g, float lr, float alpha, float eps) {
    const float oma = 1.0f - alpha, nlr = -lr;
    const VEC va = VARIANT(splatv)(alpha), voma = VARIANT(splatv)(oma), vnlr = VARIANT(splatv)(nlr), veps = VARIANT(splatv)(eps);
    long i = 0;
    for (; i + VL <= n; i += VL) {
        VEC gv = VARIANT(loadv)(g + i);
        VEC v = VARIANT(loadv)(m + i) * va + voma * (gv * gv);
        VARIANT(storev)(m + i, v);
        VARIANT(storev)(p + i, VARIANT(loadv)(p + i) + vnlr * (gv / (VARIANT(sqrtv)(v) + veps)));
    }
    for (; i < n; i++) {
        float gi = g[i];
        float v = m[i] * alpha + oma * (gi * gi);
        m[i] = v;
        p[i] = p[i] + nlr * (gi / (__builtin_sqrtf(v) + eps));
    }
}

/// Σ g[i]² in double, in globalNorm's order (Sources/NN/Optimizers.swift): 32 partial sums over
/// whole blocks of 32 (element i to sum i mod 32), then whole blocks of 8 into sums 0…7, the last
/// n mod 8 in a scalar sum, and a fixed tree. The same code in every variant (eight-lane double
/// vectors whatever VL), so the same bits; each square is exact in double.
static TARGET double VARIANT(sum_squares)(long n, const float *g) {
    rlexp_d8 a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0};
    long i = 0;
    for (; i + 32 <= n; i += 32) {
        rlexp_v8 x0, x1, x2, x3;
        __builtin_memcpy(&x0, g + i, sizeof x0); __builtin_memcpy(&x1, g + i + 8, sizeof x1);
        __builtin_memcpy(&x2, g + i + 16, sizeof x2); __builtin_memcpy(&x3, g + i + 24, sizeof x3);
        rlexp_d8 v0 = __builtin_convertvector(x0, rlexp_d8), v1 = __builtin_convertvector(x1, rlexp_d8);
        rlexp_d8 v2 = __builtin_convertvector(x2, rlexp_d8), v3 = __builtin_convertvector(x3, rlexp_d8);
        a0 = a0 + v0 * v0; a1 = a1 + v1 * v1; a2 = a2 + v2 * v2; a3 = a3 + v3 * v3;
    }
    for (; i + 8 <= n; i += 8) {
        rlexp_v8 x;
        __builtin_memcpy(&x, g + i, sizeof x);
        rlexp_d8 v = __builtin_convertvector(x, rlexp_d8);
        a0 = a0 + v * v;
    }
    double tail = 0;
    for (; i < n; i++) { double x = (double)g[i]; tail += x * x; }
    rlexp_d8 acc = (a0 + a1) + (a2 + a3);
    double h0 = acc[0] + acc[4], h1 = acc[1] + acc[5], h2 = acc[2] + acc[6], h3 = acc[3] + acc[7];
    double q0 = h0 + h2, q1 = h1 + h3;
    return (q0 + q1) + tail;
}

/// tanh's backward: `dx[i] = dx[i] · (1 − a[i]·a[i])`, a = tanh's output (MLP.backward's loop).
static TARGET void VARIANT(tanh_backward)(long n, float *dx, const float *a) {
    const VEC one = VARIANT(splatv)(1.0f);
    long i = 0;
    for (; i + VL <= n; i += VL) {
        VEC av = VARIANT(loadv)(a + i);
        VARIANT(storev)(dx + i, VARIANT(loadv)(dx + i) * (one - av * av));
    }
    for (; i < n; i++) dx[i] = dx[i] * (1.0f - a[i] * a[i]);
}

/// Column sums added in row order: `acc[j] = acc[j] + x[r·n + j]` for r = 0, 1, … (bias gradients).
/// Four vectors of columns at a time stay in registers over all the rows (four independent chains,
/// not a store and a reload per row); each column's sum is still taken in row order.
static TARGET void VARIANT(add_rows)(long rows, long n, const float *x, float *acc) {
    long j = 0;
    for (; j + 4 * VL <= n; j += 4 * VL) {
        VEC a0 = VARIANT(loadv)(acc + j), a1 = VARIANT(loadv)(acc + j + VL);
        VEC a2 = VARIANT(loadv)(acc + j + 2 * VL), a3 = VARIANT(loadv)(acc + j + 3 * VL);
        for (long r = 0; r < rows; r++) {
            const float *row = x + r * n + j;
            a0 = a0 + VARIANT(loadv)(row); a1 = a1 + VARIANT(loadv)(row + VL);
            a2 = a2 + VARIANT(loadv)(row + 2 * VL); a3 = a3 + VARIANT(loadv)(row + 3 * VL);
        }
        VARIANT(storev)(acc + j, a0); VARIANT(storev)(acc + j + VL, a1);
        VARIANT(storev)(acc + j + 2 * VL, a2); VARIANT(storev)(acc + j + 3 * VL, a3);
    }
    for (; j + VL <= n; j += VL) {
        VEC a0 = VARIANT(loadv)(acc + j);
        for (long r = 0; r < rows; r++) a0 = a0 + VARIANT(loadv)(x + r * n + j);
        VARIANT(storev)(acc + j, a0);
    }
    for (; j < n; j++) {
        float s = acc[j];
        for (long r = 0; r < rows; r++) s = s + x[r * n + j];
        acc[j] = s;
    }
}
