// SPDX-License-Identifier: LGPL-2.1-or-later
// glibc 2.36's sin/cos (sysdeps/ieee754/dbl-64/s_sin.c, FMA variant) for |x| < 105414350, compiled
// once per variant (see isa_internal.h): every `FMA(a, b, c)` is one rounding of a·b + c, a `vfmadd`
// under the avx2,fma target and libm's exact `fma` in the portable variant, so both give the same
// bits. Which operations glibc's `__sin_fma` fuses is documented in Sources/NN/DetTrig.swift.

#define FMA(a, b, c) __builtin_fma((a), (b), (c))

/// TAYLOR_SIN(xx, x, dx): x + ((P(xx)·x − dx/2)·xx + dx).
static inline TARGET double VARIANT(taylor_sin)(double xx, double x, double dx) {
    double p = FMA(xx, FMA(xx, FMA(xx, FMA(xx, TRIG_s5, TRIG_s4), TRIG_s3), TRIG_s2), TRIG_s1);
    double t = FMA(FMA(p, x, -(0.5 * dx)), xx, dx);
    return x + t;
}

/// do_cos(x, dx): cos(x + dx) for |x| ≲ 0.855.
static inline TARGET double VARIANT(do_cos)(double x0, double dx0) {
    double dx = x0 < 0 ? -dx0 : dx0;
    double ax = __builtin_fabs(x0);
    double u = TRIG_big + ax;
    double x = (ax - (u - TRIG_big)) + dx;
    double xx = x * x;
    double s = FMA(x * xx, FMA(xx, TRIG_sn5, TRIG_sn3), x);
    double c = xx * FMA(xx, FMA(xx, TRIG_cs6, TRIG_cs4), TRIG_cs2);
    const double *t = sincostab + trig_row(u);
    double cor = FMA(-s, t[0], FMA(-c, t[2], FMA(-s, t[1], t[3])));
    return t[2] + cor;
}

/// do_sin(x, dx): sin(x + dx) for |x| ≲ 0.855.
static inline TARGET double VARIANT(do_sin)(double x0, double dx0) {
    if (__builtin_fabs(x0) < 0.126) return VARIANT(taylor_sin)(x0 * x0, x0, dx0);
    double dx = x0 <= 0 ? -dx0 : dx0;
    double ax = __builtin_fabs(x0);
    double u = TRIG_big + ax;
    double x = ax - (u - TRIG_big);
    double xx = x * x;
    double s = x + FMA(x * xx, FMA(xx, TRIG_sn5, TRIG_sn3), dx);
    double c = FMA(x, dx, xx * FMA(xx, FMA(xx, TRIG_cs6, TRIG_cs4), TRIG_cs2));
    const double *t = sincostab + trig_row(u);
    double cor = FMA(s, t[2], FMA(-c, t[0], FMA(s, t[3], t[1])));
    return __builtin_copysign(t[0] + cor, x0);
}

/// do_sin(x, 0): with dx = ±0 every `fma(p, q, dx)` and `fma(x, dx, r)` is the plain `p·q` or `r`.
static inline TARGET double VARIANT(do_sin0)(double x0) {
    if (__builtin_fabs(x0) < 0.126) {
        double xx = x0 * x0;
        double p = FMA(xx, FMA(xx, FMA(xx, FMA(xx, TRIG_s5, TRIG_s4), TRIG_s3), TRIG_s2), TRIG_s1);
        return x0 + (p * x0) * xx;
    }
    double ax = __builtin_fabs(x0);
    double u = TRIG_big + ax;
    double x = ax - (u - TRIG_big);
    double xx = x * x;
    double s = x + (x * xx) * FMA(xx, TRIG_sn5, TRIG_sn3);
    double c = xx * FMA(xx, FMA(xx, TRIG_cs6, TRIG_cs4), TRIG_cs2);
    const double *t = sincostab + trig_row(u);
    double cor = FMA(s, t[2], FMA(-c, t[0], FMA(s, t[3], t[1])));
    return __builtin_copysign(t[0] + cor, x0);
}

/// do_cos(x, 0): with dx = ±0, x = (|x0| − (u − big)) + dx is that difference unchanged (a zero
/// difference is +0 and +0 + −0 = +0), so the inlined do_cos is exact; kept as a name for the callers.
static inline TARGET double VARIANT(do_cos0)(double x0) { return VARIANT(do_cos)(x0, 0.0); }

/// reduce_sincos: x = n·π/2 + (a + da) for |x| < 105414350; returns n mod 4. xn·mp1, xn·mp2 and
/// xn·pp3 are exact (xn < 2^26, the constants have ≤ 27 bits), so glibc's fused forms equal these.
static inline TARGET int VARIANT(reduce_sincos)(double x, double *a, double *da) {
    double t = FMA(x, TRIG_hpinv, TRIG_toint);
    double xn = t - TRIG_toint;
    int n = (int)(trig_bits(t) & 3);
    double y = (x - xn * TRIG_mp1) - xn * TRIG_mp2;
    double t1 = xn * TRIG_pp3;
    double t2 = y - t1;
    double db = (y - t2) - t1;
    double b = FMA(-xn, TRIG_pp4, t2);
    db = db + FMA(-xn, TRIG_pp4, t2 - b);
    *a = b; *da = db;
    return n;
}

/// do_sincos: sin(a + da + n·π/2).
static inline TARGET double VARIANT(do_sincos)(double a, double da, int n) {
    double r = (n & 1) ? VARIANT(do_cos)(a, da) : VARIANT(do_sin)(a, da);
    return (n & 2) ? -r : r;
}

static TARGET double VARIANT(sin)(double x) {
    uint32_t k = trig_hi(x);
    if (k < 0x3e500000) return x;                                        // |x| < 2^-26
    if (k < 0x3feb6000) return VARIANT(do_sin0)(x);                      // |x| < 0.855469
    if (k < 0x400368fd) return __builtin_copysign(VARIANT(do_cos)(TRIG_hp0 - __builtin_fabs(x), TRIG_hp1), x);  // < 2.426265
    double a, da;
    int n = VARIANT(reduce_sincos)(x, &a, &da);
    return VARIANT(do_sincos)(a, da, n);
}

static TARGET double VARIANT(cos)(double x) {
    uint32_t k = trig_hi(x);
    if (k < 0x3e400000) return 1.0;                                      // |x| < 2^-27
    if (k < 0x3feb6000) return VARIANT(do_cos0)(x);
    if (k < 0x400368fd) {
        double y = TRIG_hp0 - __builtin_fabs(x);
        double a = y + TRIG_hp1;
        double da = (y - a) + TRIG_hp1;
        return VARIANT(do_sin)(a, da);
    }
    double a, da;
    int n = VARIANT(reduce_sincos)(x, &a, &da);
    return VARIANT(do_sincos)(a, da, n + 1);
}

static TARGET void VARIANT(sincos)(double x, double *s, double *c) {
    if (trig_hi(x) < 0x400368fd) { *s = VARIANT(sin)(x); *c = VARIANT(cos)(x); return; }
    double a, da;
    int n = VARIANT(reduce_sincos)(x, &a, &da);
    *s = VARIANT(do_sincos)(a, da, n);
    *c = VARIANT(do_sincos)(a, da, n + 1);
}

#undef FMA
