/// Elementary functions from plain IEEE-754 operations in a fixed order, so they give the same bits
/// on every x86-64 CPU.
///
/// Why not libm: glibc chooses between FMA and non-FMA implementations of `exp`, `log`, `expf`,
/// `logf` and `pow` at run time by CPU model, and those are not correctly rounded, so the same
/// binary can produce different last bits on different machines — and one flipped bit in an action
/// probability changes a whole training run. Swift never fuses or reorders floating-point
/// operations, so these functions are reproducible everywhere. (`sqrt` and the four basic operations
/// are exactly rounded by IEEE-754 and safe. glibc's double `sin`, `cos` and `pow` are not correctly
/// rounded and have FMA and non-FMA variants too: the environments use `DetMath.sin`/`cos`
/// (DetTrig.swift) and `DetMath.libmSquare` (DetPow.swift), which reproduce the FMA variants'
/// bits — what NumPy returned when the Gymnasium reference was recorded — on every CPU.)
///
/// Accuracy: about 1 ulp in Double; the Float versions round the Double result once.
public enum DetMath {
    static let ln2Hi = 6.93147180369123816490e-01   // high part of ln 2 with 32 trailing zero bits: n·ln2Hi is exact
    static let ln2Lo = 1.90821492927058770002e-10
    static let log2e = 1.44269504088896338700e+00

    /// Cody–Waite reduction: x = n·ln2 + r with n whole and |r| ≤ ln2/2 (n·ln2Hi is exact).
    /// n = x·log2e rounded to the nearest whole number, ties to even, by adding and subtracting
    /// 1.5·2⁵² (exact for |x·log2e| < 2⁵¹, which covers every caller's range; the same n as
    /// `rounded(.toNearestOrEven)` except that −0 comes out +0, which changes no result), because
    /// baseline x86-64 has no rounding instruction and the library's `rint` is a call.
    @inline(__always)
    static func reduce(_ x: Double) -> (n: Double, r: Double) {
        let n = (x * log2e + 0x1.8p52) - 0x1.8p52
        return (n, (x - n * ln2Hi) - n * ln2Lo)
    }

    /// 1/k! for k = 0…13, each written as 1.0 / k! so the constants are the same as a literal.
    static let inverseFactorials: [Double] = [1.0, 1.0, 0.5, 1.0 / 6.0, 1.0 / 24.0, 1.0 / 120.0, 1.0 / 720.0, 1.0 / 5040.0,
                                              1.0 / 40320.0, 1.0 / 362880.0, 1.0 / 3628800.0, 1.0 / 39916800.0,
                                              1.0 / 479001600.0, 1.0 / 6227020800.0]

    /// Σ_{k ≤ degree} r^k/k! by Horner's rule, highest power first.
    @inline(__always)
    static func taylorExp(_ r: Double, degree: Int) -> Double {
        var p = inverseFactorials[degree]
        for k in stride(from: degree - 1, through: 0, by: -1) { p = p * r + inverseFactorials[k] }
        return p
    }

    /// `taylorExp(r, degree: 13)` written out with the same constants and operations (the same bits).
    @inline(__always)
    static func taylorExp13(_ r: Double) -> Double {
        let p = (((1.0 / 6227020800.0 * r + 1.0 / 479001600.0) * r + 1.0 / 39916800.0) * r + 1.0 / 3628800.0) * r + 1.0 / 362880.0
        return taylorExp9(r, from: p)
    }

    /// `taylorExp(r, degree: 9)` written out with the same constants and operations (the same
    /// bits): the loop over the array was most of `expf`'s cost.
    @inline(__always)
    static func taylorExp9(_ r: Double) -> Double { taylorExp9(r, from: 1.0 / 362880.0) }

    /// Horner's steps below the r⁹ coefficient, starting from `p9` (1/9!, or for degree 13 the
    /// value of the steps down to 1/9!).
    @inline(__always)
    static func taylorExp9(_ r: Double, from p9: Double) -> Double {
        let p = ((p9 * r + 1.0 / 40320.0) * r + 1.0 / 5040.0) * r + 1.0 / 720.0
        let q = ((p * r + 1.0 / 120.0) * r + 1.0 / 24.0) * r + 1.0 / 6.0
        return ((q * r + 0.5) * r + 1.0) * r + 1.0
    }

    /// eˣ: Cody–Waite reduction x = n·ln2 + r, |r| ≤ ln2/2, then a degree-13 Taylor polynomial
    /// (truncation error < 5·10⁻¹⁸ relative) and an exact scaling by 2ⁿ.
    @inline(__always)
    public static func exp(_ x: Double) -> Double {
        if x.isNaN { return x }
        if x > 709.782712893384 { return .infinity }
        if x < -745.1332191019412 { return 0 }
        let (n, r) = reduce(x)
        return scale(taylorExp13(r), Int(n))
    }

    /// p·2ⁿ exactly (as `Double(sign: .plus, exponent: n, significand: p)`), for p in [0.7, 1.5]:
    /// one multiply by 2ⁿ built from its bits when 2ⁿ is a normal double, the library's init otherwise.
    @inline(__always)
    public static func scale(_ p: Double, _ n: Int) -> Double {
        if n >= -1021 && n <= 1023 { return p * Double(bitPattern: UInt64(n + 1023) << 52) }
        return Double(sign: .plus, exponent: n, significand: p)
    }

    /// ln x: x = m·2ᵉ with m ∈ [√½, √2), then ln m = 2·atanh(s), s = (m − 1)/(m + 1), |s| ≤ 0.1716,
    /// by its series to s²³ (truncation error < 10⁻¹⁸).
    @inline(__always)
    public static func log(_ x0: Double) -> Double {
        if x0.isNaN || x0 < 0 { return .nan }
        if x0 == 0 { return -.infinity }
        if x0 == .infinity { return x0 }
        var x = x0
        var e = 0
        if x < Double.leastNormalMagnitude { x *= 0x1p54; e = -54 }
        // x is normal and positive here: its exponent and significand ([1, 2)) from its bits
        let bits = x.bitPattern
        e += Int(bits >> 52) - 1023
        var m = Double(bitPattern: (bits & 0x000F_FFFF_FFFF_FFFF) | 0x3FF0_0000_0000_0000)
        if m > 1.4142135623730951 { m *= 0.5; e += 1 }
        let s = (m - 1) / (m + 1)
        let s2 = s * s
        // Σ s^(2k)/(2k+1), highest term first (the constants 1/k folded, not divided at run time)
        let p4 = (((1.0 / 23.0 * s2 + 1.0 / 21.0) * s2 + 1.0 / 19.0) * s2 + 1.0 / 17.0) * s2 + 1.0 / 15.0
        let p8 = (((p4 * s2 + 1.0 / 13.0) * s2 + 1.0 / 11.0) * s2 + 1.0 / 9.0) * s2 + 1.0 / 7.0
        let p = ((p8 * s2 + 1.0 / 5.0) * s2 + 1.0 / 3.0) * s2 + 1.0
        let d = Double(e)
        return d * ln2Hi + (d * ln2Lo + 2 * s * p)
    }

    /// eˣ for Float: the same reduction in Double with a degree-9 polynomial (truncation error
    /// < 10⁻¹¹ relative, far below Float's ulp), rounded once to Float.
    @inline(__always)
    public static func expf(_ xf: Float) -> Float {
        let x = Double(xf)
        if x.isNaN { return xf }
        if x > 88.8 { return .infinity }
        if x < -104 { return 0 }
        let (n, r) = reduce(x)
        let p = taylorExp9(r)
        return Float(scale(p, Int(n)))
    }
    @inline(__always) public static func logf(_ x: Float) -> Float { Float(log(Double(x))) }

    /// xⁿ for a whole n ≥ 0 by repeated squaring (exact order, no libm).
    public static func pow(_ x: Double, _ n: Int) -> Double {
        precondition(n >= 0)
        var result = 1.0, base = x, k = n
        while k > 0 {
            if k & 1 == 1 { result *= base }
            base *= base
            k >>= 1
        }
        return result
    }
}
