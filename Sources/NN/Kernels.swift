// Dense kernels in plain Swift with a fixed summation order.
//
// Why not BLAS: OpenBLAS picks its kernel by CPU model and the summation order changes with it, so
// the same seed would give different bits on different machines of the same kind (see
// ARCHITECTURE.md, "Reproducibility rules"). Every output element here is accumulated in one fixed
// order that the compiler may vectorise *across* outputs but never reorders (Swift does not
// reassociate or contract floating-point operations), so results are identical on every x86-64 CPU.

/// Whether this module was compiled with the optimiser (see Package.swift: the library targets are
/// `-O` in every configuration unless RLEXP_ONONE is set or rlexp is a version-pinned dependency).
public let buildIsOptimized: Bool = !_isDebugAssertConfiguration()

/// `C[m, n] += Σ_k A[m, k] · B[k, n]` for row-major `A` (M×K), `B` (K×N), `C` (M×N).
/// Each `C[m, n]` accumulates over `k` in increasing order, starting from its current value.
@inline(__always)
public func gemmAccumulate(_ M: Int, _ N: Int, _ K: Int,
                           _ A: UnsafePointer<Float>, _ B: UnsafePointer<Float>, _ C: UnsafeMutablePointer<Float>) {
    var m = 0
    while m + 4 <= M {
        accumulate4Rows(N, K, a: A + m * K, aStride: 1, aNext: K, B, c: C + m * N)
        m += 4
    }
    while m < M {
        accumulateRow(N, K, a: A + m * K, aStride: 1, B, c: C + m * N)
        m += 1
    }
}

/// `C[k, n] += Σ_m A[m, k] · B[m, n]` (C += Aᵀ B), accumulating over `m` in increasing order.
@inline(__always)
public func gemmTransAAccumulate(_ M: Int, _ N: Int, _ K: Int,
                                _ A: UnsafePointer<Float>, _ B: UnsafePointer<Float>, _ C: UnsafeMutablePointer<Float>) {
    var k = 0
    while k + 4 <= K {
        accumulate4Rows(N, M, a: A + k, aStride: K, aNext: 1, B, c: C + k * N)
        k += 4
    }
    while k < K {
        accumulateRow(N, M, a: A + k, aStride: K, B, c: C + k * N)
        k += 1
    }
}

/// Four rows of `accumulateRow` at once (`c` rows `r = 0…3` at `c + r·N`, their `a` at
/// `a + r·aNext`), so that each loaded 8-column slice of `B` serves four rows: a quarter of the
/// memory traffic through `B`. Each element still accumulates over `j` in increasing order from its
/// current value, so the results are bit-identical to four `accumulateRow` calls.
@inline(__always)
func accumulate4Rows(_ N: Int, _ J: Int, a: UnsafePointer<Float>, aStride: Int, aNext: Int, _ B: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>) {
    typealias V = SIMD8<Float>
    @inline(__always) func load(_ p: UnsafePointer<Float>) -> V { UnsafeRawPointer(p).loadUnaligned(as: V.self) }
    @inline(__always) func store(_ v: V, _ p: UnsafeMutablePointer<Float>) { UnsafeMutableRawPointer(p).storeBytes(of: v, as: V.self) }
    let a0 = a, a1 = a + aNext, a2 = a + 2 * aNext, a3 = a + 3 * aNext
    let r0 = c, r1 = c + N, r2 = c + 2 * N, r3 = c + 3 * N
    var n = 0
    while n + 8 <= N {
        var c0 = load(r0 + n), c1 = load(r1 + n), c2 = load(r2 + n), c3 = load(r3 + n)
        var b = B + n
        for j in 0..<J {
            let bv = load(b), o = j * aStride
            c0 = c0 + V(repeating: a0[o]) * bv
            c1 = c1 + V(repeating: a1[o]) * bv
            c2 = c2 + V(repeating: a2[o]) * bv
            c3 = c3 + V(repeating: a3[o]) * bv
            b += N
        }
        store(c0, r0 + n); store(c1, r1 + n); store(c2, r2 + n); store(c3, r3 + n)
        n += 8
    }
    while n < N {
        var s0 = r0[n], s1 = r1[n], s2 = r2[n], s3 = r3[n]
        for j in 0..<J {
            let bj = B[j * N + n], o = j * aStride
            s0 += a0[o] * bj; s1 += a1[o] * bj; s2 += a2[o] * bj; s3 += a3[o] * bj
        }
        r0[n] = s0; r1[n] = s1; r2[n] = s2; r3[n] = s3
        n += 1
    }
}

/// `c[n] += Σ_j a[j·aStride] · B[j, n]` for `j` in `0..<J` in increasing order: the row kernel of both
/// products above. Columns are processed in register blocks of 32 and 8 (SIMD), so `c` is loaded and
/// stored once per block instead of once per `j`; each element's summation order is unchanged.
@inline(__always)
func accumulateRow(_ N: Int, _ J: Int, a: UnsafePointer<Float>, aStride: Int, _ B: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>) {
    typealias V = SIMD8<Float>
    @inline(__always) func load(_ p: UnsafePointer<Float>) -> V { UnsafeRawPointer(p).loadUnaligned(as: V.self) }
    @inline(__always) func store(_ v: V, _ p: UnsafeMutablePointer<Float>) { UnsafeMutableRawPointer(p).storeBytes(of: v, as: V.self) }
    var n = 0
    while n + 32 <= N {
        var c0 = load(c + n), c1 = load(c + n + 8), c2 = load(c + n + 16), c3 = load(c + n + 24)
        var b = B + n
        for j in 0..<J {
            let s = V(repeating: a[j * aStride])
            c0 = c0 + s * load(b); c1 = c1 + s * load(b + 8); c2 = c2 + s * load(b + 16); c3 = c3 + s * load(b + 24)
            b += N
        }
        store(c0, c + n); store(c1, c + n + 8); store(c2, c + n + 16); store(c3, c + n + 24)
        n += 32
    }
    while n + 8 <= N {
        var c0 = load(c + n)
        var b = B + n
        for j in 0..<J { c0 = c0 + V(repeating: a[j * aStride]) * load(b); b += N }
        store(c0, c + n)
        n += 8
    }
    while n < N {
        var acc = c[n]
        for j in 0..<J { acc += a[j * aStride] * B[j * N + n] }
        c[n] = acc
        n += 1
    }
}

/// `C[m, k] = Σ_n A[m, n] · B[k, n]` (C = A Bᵀ), each a dot product in a fixed 8-lane order.
@inline(__always)
public func gemmTransB(_ M: Int, _ N: Int, _ K: Int,
                       _ A: UnsafePointer<Float>, _ B: UnsafePointer<Float>, _ C: UnsafeMutablePointer<Float>) {
    for m in 0..<M {
        let a = A + m * N
        for k in 0..<K {
            C[m * K + k] = dot(N, a, B + k * N)
        }
    }
}

/// Dot product with eight fixed partial sums (lane i sums elements i, i+8, …), then a fixed tree.
@inline(__always)
public func dot(_ n: Int, _ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>) -> Float {
    var acc = SIMD8<Float>(repeating: 0)
    var i = 0
    while i + 8 <= n {
        let xv = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self)
        let yv = UnsafeRawPointer(y + i).loadUnaligned(as: SIMD8<Float>.self)
        acc = acc + xv * yv
        i += 8
    }
    var tail: Float = 0
    while i < n { tail += x[i] * y[i]; i += 1 }
    let lo = acc.lowHalf + acc.highHalf
    let q = lo.lowHalf + lo.highHalf
    return (q[0] + q[1]) + tail
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
