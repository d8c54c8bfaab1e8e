// A fused multiply-add of floats (a·b + c rounded once) for the portable variant on x86-64, whose
// baseline has no FMA instruction; it gives the bits of `vfmadd` exactly (KernelTests compares it
// with the hardware on random and adversarial inputs), much faster than libm's software `fmaf`.
//
// a·b is exact in double (24 + 24 significant bits ≤ 53, and no float product under- or overflows a
// double). s = a·b + c in double is the first rounding; converting s to float is the second, and two
// roundings differ from one only when s lands exactly on a midpoint between two adjacent floats
// (their midpoints are doubles, so a first rounding that does not land on one cannot cross one).
// Those lanes, and results in float's subnormal range (where the midpoints move), are redone with
// the exact error of the sum (TwoSum) by rounding to odd, which makes the second rounding correct
// (53 ≥ 24 + 2 bits).
#ifndef RLEXP_FMA_EMUL_H
#define RLEXP_FMA_EMUL_H
#include <stdint.h>
#include "isa_internal.h"

typedef double rlexp_v8d __attribute__((vector_size(64)));

/// RN_float(p + c) for a double p = a·b (exact) and c, via round-to-odd of the double sum.
static inline float rlexp_fmaf_rounded_to_odd(double p, double c) {
    double s = p + c;
    double bb = s - p, e = (p - (s - bb)) + (c - bb);   // s + e = p + c exactly (NaN when s is not finite)
    int64_t si;
    __builtin_memcpy(&si, &s, sizeof si);
    if ((e > 0 || e < 0) && (si & 1) == 0) si += ((e > 0) == (s > 0)) ? 1 : -1;   // the odd neighbour toward p + c
    __builtin_memcpy(&s, &si, sizeof s);
    return (float)s;
}

/// Whether a double sum needs the round-to-odd path: its low 29 bits are float's midpoint pattern, or
/// it is a nonzero value below float's smallest normal (2⁻¹²⁶, double bits 0x381…).
#define RLEXP_FMA_NEEDS_ODD(si) ((((si) & 0x1fffffffLL) == 0x10000000LL) | ((((si) & 0x7fffffffffffffffLL) < 0x3810000000000000LL) & (((si) & 0x7fffffffffffffffLL) != 0)))

static inline float rlexp_fmaf_emulated(float a, float b, float c) {
    double p = (double)a * (double)b, s = p + (double)c;
    int64_t si;
    __builtin_memcpy(&si, &s, sizeof si);
    if (__builtin_expect(RLEXP_FMA_NEEDS_ODD(si) != 0, 0)) return rlexp_fmaf_rounded_to_odd(p, (double)c);
    return (float)s;
}

/// The lanes of r marked in odd, redone from a, b, c by rounding to odd (out of line and recomputing
/// the product, so the common path keeps no doubles alive across the test).
__attribute__((noinline, cold)) static rlexp_v8 rlexp_fma8_redo(rlexp_v8 r, rlexp_v8 a, rlexp_v8 b, rlexp_v8 c, rlexp_v8i odd) {
    for (int k = 0; k < 8; k++)
        if (odd[k]) r[k] = rlexp_fmaf_rounded_to_odd((double)a[k] * (double)b[k], (double)c[k]);
    return r;
}

/// Eight lanes of `rlexp_fmaf_emulated`: the common case in double vectors, the rare lanes one by one.
/// The tests look at 32-bit halves (baseline x86-64 has no 64-bit integer compare): the low half's
/// 29 bits for the midpoint pattern, the high half's magnitude for 0 < |s| < 2⁻¹²⁶ (no nonzero sum
/// of these doubles is below 2⁻²⁹⁸, so a zero high half means s = 0).
static inline rlexp_v8 rlexp_fma8_emulated(rlexp_v8 a, rlexp_v8 b, rlexp_v8 c) {
    rlexp_v8d p = __builtin_convertvector(a, rlexp_v8d) * __builtin_convertvector(b, rlexp_v8d);
    rlexp_v8d cd = __builtin_convertvector(c, rlexp_v8d);
    rlexp_v8d s = p + cd;
    rlexp_v16i w = (rlexp_v16i)s;
    rlexp_v8i lo = __builtin_shufflevector(w, w, 0, 2, 4, 6, 8, 10, 12, 14);   // little-endian halves
    rlexp_v8i hi = __builtin_shufflevector(w, w, 1, 3, 5, 7, 9, 11, 13, 15) & 0x7fffffff;
    rlexp_v8i odd = ((lo & 0x1fffffff) == 0x10000000) | ((hi > 0) & (hi < 0x38100000));
    rlexp_v8 r = __builtin_convertvector(s, rlexp_v8);
    rlexp_v8i o2 = odd | __builtin_shufflevector(odd, odd, 4, 5, 6, 7, 0, 1, 2, 3);
    if (__builtin_expect((o2[0] | o2[1] | o2[2] | o2[3]) != 0, 0)) r = rlexp_fma8_redo(r, a, b, c, odd);
    return r;
}
#endif
