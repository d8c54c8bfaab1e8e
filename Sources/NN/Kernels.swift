// Dense kernels with a fixed summation order (written in C: Sources/CKernels, dispatched by CPU).
//
// Why not BLAS: OpenBLAS picks its kernel by CPU model and the summation order changes with it, so
// the same seed would give different bits on different machines of the same kind (see
// ARCHITECTURE.md, "Reproducibility rules"). Every output element here is accumulated in one fixed
// order, each step a fused multiply-add `c = fma(a, b, c)` (one rounding), vectorised *across*
// outputs but never reordered, so results are identical on every x86-64 CPU. The loops themselves
// are in C (Sources/CKernels/gemm_body.h), compiled for baseline x86-64, for AVX2+FMA and for
// AVX-512 with FP contraction off and picked by cpuid: 8 or 16 lanes in one instruction, the same
// operations on every element; baseline x86-64 has no FMA instruction, so its variant computes the
// fused result exactly in double (Sources/CKernels/fma_emul.h), several times slower.

import CKernels

/// Whether this module was compiled with the optimiser (see Package.swift: the library targets are
/// `-O` in every configuration unless RLEXP_ONONE is set or rlexp is a version-pinned dependency).
public let buildIsOptimized: Bool = !_isDebugAssertConfiguration()

/// `C[m, n] += Σ_k A[m, k] · B[k, n]` for row-major `A` (M×K), `B` (K×N), `C` (M×N).
/// Each `C[m, n]` accumulates `c = fma(a, b, c)` over `k` in increasing order, from its current value.
@inline(__always)
public func gemmAccumulate(_ M: Int, _ N: Int, _ K: Int,
                           _ A: UnsafePointer<Float>, _ B: UnsafePointer<Float>, _ C: UnsafeMutablePointer<Float>) {
    rlexp_gemm_acc(M, N, K, A, B, C)
}

/// `C[k, n] += Σ_m A[m, k] · B[m, n]` (C += Aᵀ B), accumulating over `m` in increasing order.
@inline(__always)
public func gemmTransAAccumulate(_ M: Int, _ N: Int, _ K: Int,
                                _ A: UnsafePointer<Float>, _ B: UnsafePointer<Float>, _ C: UnsafeMutablePointer<Float>) {
    rlexp_gemm_ta_acc(M, N, K, A, B, C)
}

/// `C[m, k] = Σ_n A[m, n] · B[k, n]` (C = A Bᵀ), each a dot product in a fixed 8-lane order.
@inline(__always)
public func gemmTransB(_ M: Int, _ N: Int, _ K: Int,
                       _ A: UnsafePointer<Float>, _ B: UnsafePointer<Float>, _ C: UnsafeMutablePointer<Float>) {
    rlexp_gemm_tb(M, N, K, A, B, C)
}

/// Dot product with eight fixed partial sums (lane i sums elements i, i+8, …), then a fixed tree.
@inline(__always)
public func dot(_ n: Int, _ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>) -> Float {
    rlexp_dot(n, x, y)
}

/// The instruction-set level the C kernels run at (CKernels.h): which variant cpuid chose, or the
/// one RLEXP_ISA=portable forced. Every level gives the same bits.
public enum KernelISA {
    /// 0 = portable (baseline x86-64), 1 = AVX2 (x86-64-v3), 2 = AVX-512 F+VL (16-lane dense and
    /// element-wise kernels).
    public static var level: Int { Int(rlexp_isa_level()) }
    /// The highest level this CPU has.
    public static var supported: Int { Int(rlexp_isa_supported()) }
    public static var name: String { String(cString: rlexp_isa_name(rlexp_isa_level())) }
    /// Runs `body` with the kernels at `level` (tests compare the paths); nil when the CPU lacks it.
    /// Process-wide: not for use while other threads run kernels.
    public static func with<T>(level: Int, _ body: () throws -> T) rethrows -> T? {
        let old = rlexp_isa_force(Int32(level))
        guard old >= 0 else { return nil }
        defer { rlexp_isa_force(old) }
        return try body()
    }
}

/// A rational approximation of tanh (odd degree-13 over even degree-6 polynomial, the form used by
/// Eigen's fast tanh), accurate to a few ulp on Float and far cheaper than libm's `tanhf`; clamped at
/// ±7.9053 where tanh rounds to ±1 in Float. Deterministic: plain multiplies and adds in fixed order.
@inline(__always)
public func fastTanh(_ x0: Float) -> Float {
    let clamp: Float = 7.90531110763549805
    let x = min(max(x0, -clamp), clamp)
    if abs(x) < 0.0004 { return x }
    let x2 = x * x
    var p: Float = -2.76076847742355e-16
    p = p * x2 + 2.00018790482477e-13
    p = p * x2 + -8.60467152213735e-11
    p = p * x2 + 5.12229709037114e-08
    p = p * x2 + 1.48572235717979e-05
    p = p * x2 + 6.37261928875436e-04
    p = p * x2 + 4.89352455891786e-03
    p = p * x
    var q: Float = 1.19825839466702e-06
    q = q * x2 + 1.18534705686654e-04
    q = q * x2 + 2.26843463243900e-03
    q = q * x2 + 4.89352518554385e-03
    return p / q
}
