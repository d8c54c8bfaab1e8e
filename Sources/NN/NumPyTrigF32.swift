/// NumPy's float32 `np.sin` / `np.cos` as NumPy 2.x computes them on x86-64 CPUs with FMA3 (AVX2 or
/// AVX-512 dispatch), bit for bit on every CPU, from IEEE-754 float operations and explicit fused
/// multiply-adds.
///
/// Why: Acrobot's observation after a reset is `cos`/`sin` of a float32 state, which Gymnasium takes
/// with NumPy in float32. On CPUs with FMA3 NumPy (2.0 … 2.4) uses its own Highway kernel
/// `simd_sincos_f32` (numpy/_core/src/umath/loops_trigonometric.dispatch.cpp: Cody–Waite reduction
/// by π/2 in three parts, degree-8 cosine and degree-9 sine polynomials, all with fused
/// multiply-adds); on CPUs without FMA3 it calls glibc's `sinf`/`cosf` instead, so NumPy itself gives
/// different float32 bits on old CPUs. This re-implements the FMA3 kernel with its constants, so the
/// result is what Gymnasium gives on the FMA machines the references come from. Rounding
/// `DetMath.cos(Double(x))` to Float instead differs from it for about 0.07% (cos) and 0.03% (sin)
/// of the float32 values in [−0.1, 0.1].
///
/// Range: exact for |x| ≤ 71476.0625 (cos) and |x| ≤ 117435.992 (sin); beyond that NumPy calls
/// glibc's `cosf`/`sinf`, which this does not reproduce: it returns `Float(DetMath.cos(Double(x)))`
/// (deterministic, within an ulp, not necessarily NumPy's bits). NaN gives NumPy's positive quiet NaN.
extension DetMath {
    /// float32 cos as NumPy 2.x's FMA3 kernel computes it (exact for |x| ≤ 71476.0625).
    public static func numpyCosf(_ x: Float) -> Float {
        if x.isNaN { return Float(bitPattern: 0x7fc0_0000) }
        guard x.magnitude <= 71476.0625 else { return Float(DetMath.cos(Double(x))) }
        return numpySinCosKernel(x, quadrantOffset: 1)
    }

    /// float32 sin as NumPy 2.x's FMA3 kernel computes it (exact for |x| ≤ 117435.992).
    public static func numpySinf(_ x: Float) -> Float {
        if x.isNaN { return Float(bitPattern: 0x7fc0_0000) }
        guard x.magnitude <= 117435.992 else { return Float(DetMath.sin(Double(x))) }
        return numpySinCosKernel(x, quadrantOffset: 0)
    }
}

/// a·b + c with one rounding.
@inline(__always) private func fmaf(_ a: Float, _ b: Float, _ c: Float) -> Float { c.addingProduct(a, b) }

/// simd_sincos_f32 for one lane: sin(x) with quadrantOffset 0, cos(x) with 1.
@inline(__always) private func numpySinCosKernel(_ x: Float, quadrantOffset: Int32) -> Float {
    // x·2/π rounded to a whole number by adding and subtracting 1.5·2^23; NumPy's wheels are built
    // by GCC, which fuses the multiply and the add (checked in the X86_V3 and X86_V4 kernels).
    var quadrant = fmaf(x, 0x1.45f306p-1, 0x1.8p23)
    quadrant = quadrant - 0x1.8p23
    var r = fmaf(quadrant, -0x1.921fb0p+00, x)           // Cody–Waite: x − q·π/2 in three parts
    r = fmaf(quadrant, -0x1.5110b4p-22, r)
    r = fmaf(quadrant, -0x1.846988p-48, r)
    let r2 = r * r
    var c = fmaf(0x1.98e616p-16, r2, -0x1.6c06dcp-10)   // simd_cosine_poly_f32
    c = fmaf(c, r2, 0x1.55553cp-05)
    c = fmaf(c, r2, -0x1.000000p-01)
    c = fmaf(c, r2, 0x1.000000p+00)
    var s = fmaf(0x1.7d3bbcp-19, r2, -0x1.a06bbap-13)   // simd_sine_poly_f32
    s = fmaf(s, r2, 0x1.11119ap-07)
    s = fmaf(s, r2, -0x1.555556p-03)
    s = fmaf(s, r2, 0)
    s = fmaf(s, r, r)
    let iq = Int32(quadrant) &+ quadrantOffset           // quadrant is whole and |quadrant| < 2^17
    let v = iq & 1 == 0 ? s : c
    return iq & 2 == 2 ? 0 - v : v                        // NumPy negates as 0 − v (so −0 never appears)
}
