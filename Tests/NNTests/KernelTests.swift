import CKernels
import Foundation
import NN
import TestSupport
import XCTest

/// The dense kernels against naive Double references. Shapes include 1, sizes below, at and above
/// the 8-lane width and the 32-column block, and sizes that are not multiples of 8 (so every
/// block/tail path of the row kernel is exercised, alone and combined: 32+8+7, 64+8, …).
final class KernelTests: XCTestCase {
    static let shapes: [(M: Int, N: Int, K: Int)] = [
        (1, 1, 1), (1, 8, 8), (2, 3, 5), (3, 7, 9), (5, 8, 16), (4, 17, 13), (7, 1, 33), (6, 33, 1), (9, 24, 40), (16, 64, 4), (3, 47, 5), (2, 72, 3), (5, 32, 8),
        // the AVX-512 blocks (16 lanes): 4 rows × 32/16/8/1 columns, 1 row × 64/16/8/1
        (5, 16, 3), (6, 48, 7), (4, 24, 5), (5, 57, 9), (1, 96, 3), (2, 88, 5), (3, 127, 2),
        // the 8-row blocks for narrow outputs (N < 32 at AVX-512), alone and followed by 4-row and 1-row blocks
        (8, 16, 12), (17, 5, 9), (12, 31, 16), (10, 1, 8), (21, 2, 24),
        // the 32-row blocks for narrow outputs (N < 8 at 8 lanes): column pairs and a last single column,
        // followed by 8-, 4- and 1-row blocks, and inner lengths past the strided copy's 64-j chunks
        (40, 2, 64), (33, 1, 70), (64, 3, 40), (70, 7, 130), (32, 5, 33), (96, 2, 3),
    ]

    /// Float accumulation of k products has error ≤ k·ε·Σ|terms| (ε = 6e-8); with k ≤ 40 that is
    /// ≤ 2.4e-6·Σ|terms|, so 1e-5 relative to Σ|terms| (plus |C₀| for accumulating kernels) is safe and still
    /// orders of magnitude below any indexing mistake.
    static let rel = 1e-5

    func testGemmAccumulate() {
        var rng = RNG(seed: 11)
        for (M, N, K) in Self.shapes {
            let A = rng.floats(M * K), B = rng.floats(K * N), C0 = rng.floats(M * N)
            var C = C0
            gemmAccumulate(M, N, K, A, B, &C)
            for m in 0..<M {
                for n in 0..<N {
                    var ref = Double(C0[m * N + n]), mag = abs(ref)
                    for k in 0..<K { let t = Double(A[m * K + k]) * Double(B[k * N + n]); ref += t; mag += abs(t) }
                    XCTAssertEqual(Double(C[m * N + n]), ref, accuracy: Self.rel * mag, "M\(M) N\(N) K\(K) at (\(m),\(n))")
                }
            }
        }
    }

    /// The documented summation order, bit for bit: every element is `c = fma(a, b, c)` (Swift's
    /// `addingProduct`, one rounding) over the inner index in increasing order in Float, whatever
    /// register block (1 or 4 rows, 32/16/8/1 columns, masked tails) and level computes it.
    func testGemmSummationOrderIsSequentialBitForBit() {
        for level in 0...KernelISA.supported { XCTAssertNotNil(KernelISA.with(level: level) { checkSequentialOrder(level) }) }
    }

    func checkSequentialOrder(_ level: Int) {
        var rng = RNG(seed: 14)
        for (M, N, K) in Self.shapes + [(13, 41, 37), (8, 128, 64)] {
            let A = rng.floats(M * K), B = rng.floats(K * N), C0 = rng.floats(M * N)
            var C = C0
            gemmAccumulate(M, N, K, A, B, &C)
            let At = (0..<(K * M)).map { A[($0 % M) * K + $0 / M] }   // K × M, so that Atᵀ = A
            var CT = [Float](repeating: 0, count: K * N)
            let B2 = rng.floats(M * N), CT0 = rng.floats(K * N)
            CT = CT0
            gemmTransAAccumulate(M, N, K, A, B2, &CT)
            for m in 0..<M {
                for n in 0..<N {
                    var acc = C0[m * N + n]
                    for k in 0..<K { acc = acc.addingProduct(A[m * K + k], B[k * N + n]) }
                    XCTAssertEqual(C[m * N + n].bitPattern, acc.bitPattern, "level \(level) gemmAccumulate M\(M) N\(N) K\(K) at (\(m),\(n))")
                }
            }
            for k in 0..<K {
                for n in 0..<N {
                    var acc = CT0[k * N + n]
                    for m in 0..<M { acc = acc.addingProduct(At[k * M + m], B2[m * N + n]) }
                    XCTAssertEqual(CT[k * N + n].bitPattern, acc.bitPattern, "level \(level) gemmTransAAccumulate M\(M) N\(N) K\(K) at (\(k),\(n))")
                }
            }
        }
    }

    /// `C[k, n] += Σ_m A[m, k] B[m, n]`, with exact zeros in A (the ReLU skip path).
    func testGemmTransAAccumulate() {
        var rng = RNG(seed: 12)
        for (M, N, K) in Self.shapes {
            var A = rng.floats(M * K)
            for i in 0..<A.count where i % 3 == 1 { A[i] = 0 }
            let B = rng.floats(M * N), C0 = rng.floats(K * N)
            var C = C0
            gemmTransAAccumulate(M, N, K, A, B, &C)
            for k in 0..<K {
                for n in 0..<N {
                    var ref = Double(C0[k * N + n]), mag = abs(ref)
                    for m in 0..<M { let t = Double(A[m * K + k]) * Double(B[m * N + n]); ref += t; mag += abs(t) }
                    XCTAssertEqual(Double(C[k * N + n]), ref, accuracy: Self.rel * mag, "M\(M) N\(N) K\(K) at (\(k),\(n))")
                }
            }
        }
    }

    /// `C[m, k] = Σ_n A[m, n] B[k, n]`, overwriting C.
    func testGemmTransBOverwrites() {
        var rng = RNG(seed: 13)
        for (M, N, K) in Self.shapes {
            let A = rng.floats(M * N), B = rng.floats(K * N)
            var C = [Float](repeating: 1e6, count: M * K)
            gemmTransB(M, N, K, A, B, &C)
            for m in 0..<M {
                for k in 0..<K {
                    var ref = 0.0, mag = 0.0
                    for n in 0..<N { let t = Double(A[m * N + n]) * Double(B[k * N + n]); ref += t; mag += abs(t) }
                    XCTAssertEqual(Double(C[m * K + k]), ref, accuracy: Self.rel * mag, "M\(M) N\(N) K\(K) at (\(m),\(k))")
                }
            }
        }
    }

    func testDotAllLengthsUpTo40() {
        var rng = RNG(seed: 14)
        for n in 0...40 {
            let x = rng.floats(n), y = rng.floats(n)
            var ref = 0.0, mag = 0.0
            for i in 0..<n { let t = Double(x[i]) * Double(y[i]); ref += t; mag += abs(t) }
            let d = dot(n, x, y)
            XCTAssertEqual(Double(d), ref, accuracy: Self.rel * mag, "n = \(n)")
        }
    }

    /// Exact small-integer case: every element reaches the sum (a lane or tail dropped would show).
    func testDotExactIntegers() {
        for n in [1, 7, 8, 9, 15, 16, 17, 23, 24, 25] {
            let x = (0..<n).map { Float($0 + 1) }, y = [Float](repeating: 1, count: n)
            XCTAssertEqual(dot(n, x, y), Float(n * (n + 1) / 2), "n = \(n)")
        }
    }

    /// The dispatched (AVX2, AVX-512) and portable variants of every kernel give the same bits, on shapes that
    /// reach every register block and tail, and `dot` follows its documented lane order exactly.
    func testDispatchedAndPortableKernelsAgreeBitForBit() throws {
        let top = KernelISA.supported
        if top == 0 { print("this CPU has no AVX2: only the portable kernels are checked") }
        var rng = RNG(seed: 15)
        for (M, N, K) in Self.shapes + [(13, 41, 37), (8, 128, 64), (40, 64, 64), (40, 3, 64), (32, 128, 1600), (5, 100, 9)] {
            let A = rng.floats(M * K), B = rng.floats(K * N), C0 = rng.floats(M * N)
            let Bt = rng.floats(M * N), CT0 = rng.floats(K * N), Bk = rng.floats(K * K)
            var results: [[[UInt32]]] = []
            for level in 0...top {
                let r = try XCTUnwrap(KernelISA.with(level: level) { () -> [[UInt32]] in
                    XCTAssertEqual(KernelISA.level, level)
                    var C = C0, CT = CT0
                    gemmAccumulate(M, N, K, A, B, &C)
                    gemmTransAAccumulate(M, N, K, A, Bt, &CT)
                    var D = [Float](repeating: 0, count: M * K)
                    gemmTransB(M, K, K, A, Bk, &D)
                    return [C.map(\.bitPattern), CT.map(\.bitPattern), D.map(\.bitPattern), [dot(M * K, A, A).bitPattern]]
                })
                results.append(r)
            }
            for level in 1..<results.count {
                for (i, name) in ["gemmAccumulate", "gemmTransAAccumulate", "gemmTransB", "dot"].enumerated() {
                    XCTAssertEqual(results[level][i], results[0][i], "\(name) M\(M) N\(N) K\(K): level \(level) differs from portable")
                }
            }
        }
        for n in 0...70 {
            let x = rng.floats(n), y = rng.floats(n)
            var lanes = [Float](repeating: 0, count: 8), tail: Float = 0
            let full = n / 8 * 8
            for i in 0..<full { lanes[i % 8] = lanes[i % 8].addingProduct(x[i], y[i]) }
            for i in full..<n { tail = tail.addingProduct(x[i], y[i]) }
            let ref = (((lanes[0] + lanes[4]) + (lanes[2] + lanes[6])) + ((lanes[1] + lanes[5]) + (lanes[3] + lanes[7]))) + tail
            for level in 0...top {
                XCTAssertEqual(KernelISA.with(level: level) { dot(n, x, y) }?.bitPattern, ref.bitPattern, "dot n = \(n), level \(level)")
            }
        }
        XCTAssertNil(KernelISA.with(level: top + 1) { 0 }, "a level the CPU lacks is refused")
    }

    /// The portable variant's fused multiply-add (fma_emul.h: a double sum, redone by rounding to odd
    /// where two roundings could differ from one) against `Float.addingProduct` (the FMA instruction
    /// on this CPU, or libm's exact `fmaf`), bit for bit: random bit patterns (NaN, ±inf, subnormals),
    /// moderate exponents, small dyadic values (whose sums land on float midpoints), subnormal
    /// results, and c ≈ −a·b (cancellation), through both the 8-lane and the one-by-one path.
    func testEmulatedFusedMultiplyAddIsExact() {
        var rng = RNG(seed: 16)
        func draw(_ kind: Int) -> Float {
            let u = UInt32(truncatingIfNeeded: rng.next())
            switch kind {
            case 0: return Float(bitPattern: u)
            case 1: return Float(Int(u % 2001) - 1000) / 64
            case 2: return Float(bitPattern: (u & 0x807f_ffff) | ((100 + (u >> 8) % 55) << 23))
            default: return Float(bitPattern: (u & 0x8000_0000) | ((u & 0x7f) << 16) | (((u >> 8) % 3) << 23))
            }
        }
        let n = 400_003   // not a multiple of 8: the last lanes go one by one
        var a = [Float](repeating: 0, count: n), b = a, c = a
        for i in 0..<n {
            let kind = i % 4
            a[i] = draw(kind); b[i] = draw(i % 5 == 0 ? 3 : kind); c[i] = draw((i / 4) % 4)
            if i % 7 == 0 {   // cancellation: c next to −a·b, sometimes a few ulp off
                let p = -Float(Double(a[i]) * Double(b[i]))
                c[i] = i % 14 == 0 ? Float(bitPattern: p.bitPattern ^ UInt32(truncatingIfNeeded: rng.next() & 3)) : p
            }
        }
        // Sums that land exactly on a midpoint of float's subnormal grid, k·2⁻¹⁴⁹ + 2⁻¹⁵⁰: a·b = 2⁻¹⁵⁰(1 − 2⁻⁴⁶)
        // is just below 2⁻¹⁵⁰, so fma rounds down to c, while the double sum is the midpoint itself and
        // ties to even, which for odd k is one ulp up. Every 5th slot from 8 on (both paths reach them).
        let below = Float(sign: .plus, exponent: -75, significand: 1 + 0x1p-23), above = Float(sign: .plus, exponent: -75, significand: 1 - 0x1p-23)
        let ks: [UInt32] = [129, 130, 1001, 4097, 65535, 0x3f_ffff, 0x7f_fffd, 0x7f_fffe]   // k ≥ 128: the double sum's half ulp is above 2⁻¹⁹⁶
        var slot = 8, constructed: [Int] = []
        for k in ks {
            for sign in [Float(1), -1] {
                a[slot] = sign * below; b[slot] = above; c[slot] = sign * Float(bitPattern: k)
                constructed.append(slot); slot += 5
            }
        }
        var out = [Float](repeating: 0, count: n), one = [Float](repeating: 0, count: n)
        rlexp_fma_emulated(n, a, b, c, &out)   // eight lanes at a time (the last three one by one)
        for i in 0..<n { rlexp_fma_emulated(1, a.withUnsafeBufferPointer { $0.baseAddress! + i }, b.withUnsafeBufferPointer { $0.baseAddress! + i },
                                            c.withUnsafeBufferPointer { $0.baseAddress! + i }, &one[i]) }
        var bad = 0
        for (path, got) in [("8-lane", out), ("one by one", one)] {
            for i in 0..<n {
                let want = c[i].addingProduct(a[i], b[i])
                if want.bitPattern != got[i].bitPattern && !(want.isNaN && got[i].isNaN) {
                    bad += 1
                    if bad <= 5 { XCTFail("\(path): fma(\(a[i]), \(b[i]), \(c[i])) = \(want), emulated \(got[i])") }
                }
            }
        }
        XCTAssertEqual(bad, 0, "emulated fma mismatches")
        let twiceWrong = constructed.filter { i in Float(Double(a[i]) * Double(b[i]) + Double(c[i])) != c[i].addingProduct(a[i], b[i]) }
        XCTAssertEqual(twiceWrong.count, 2 * ks.filter { $0 % 2 == 1 }.count, "the constructed cases double-round wrongly exactly for odd k")
        // the cases where a double sum rounded to float is wrong exist in this sample (the test bites)
        let doubleRoundingWrong = (0..<n).filter { i in
            let twice = Float(Double(a[i]) * Double(b[i]) + Double(c[i]))
            let once = c[i].addingProduct(a[i], b[i])
            return twice.bitPattern != once.bitPattern && !once.isNaN
        }.count
        XCTAssertGreaterThan(doubleRoundingWrong, 0, "the sample reaches the midpoint cases")
    }

    /// The element-wise kernels (CKernels' tanh, ReLU and both RMSProp forms) against their Swift definitions
    /// (`fastTanh`, `max(x, 0)`, the RMSProp update written out), bit for bit at every level: every
    /// 997th float bit pattern (4.3 M values, all signs and magnitudes, NaN and ±inf included) through
    /// tanh and ReLU, and random steps of RMSProp (TF's and PyTorch's form) on lengths that reach the 8- and 16-lane loops and the tails.
    func testElementwiseKernelsMatchTheirSwiftDefinitionsBitForBit() {
        var xs = stride(from: UInt64(0), to: 1 << 32, by: 997).map { Float(bitPattern: UInt32($0)) }
        xs += [0, -0, 0.0004, -0.0004, Float(0.0004).nextDown, 7.90531110763549805, -7.90531110763549805, .infinity, -.infinity, .nan]
        let wantTanh = xs.map { fastTanh($0).bitPattern }, wantRelu = xs.map { max($0, 0).bitPattern }
        var rng = RNG(seed: 16)
        let n = 77, lr: Float = 7e-4, alpha: Float = 0.99, eps: Float = 1e-5
        let p0 = rng.floats(n), g = rng.floats(n), m0 = rng.floats(n).map { $0 * $0 }
        var wantP = p0, wantM = m0
        for i in 0..<n {
            let v = alpha * wantM[i] + (1 - alpha) * (g[i] * g[i])
            wantM[i] = v
            wantP[i] -= lr * g[i] / (v + eps).squareRoot()
        }
        // PyTorch's form (RMSPropTorch), written out: v = v·α + (1−α)·g², θ = θ + (−η)·(g / (√v + ε))
        var wantTP = p0, wantTV = m0
        for i in 0..<n {
            let v = wantTV[i] * alpha + (1 - alpha) * (g[i] * g[i])
            wantTV[i] = v
            wantTP[i] = wantTP[i] + -lr * (g[i] / (v.squareRoot() + eps))
        }
        for level in 0...KernelISA.supported {
            KernelISA.with(level: level) {
                var t = xs, r = xs
                rlexp_tanh_inplace(t.count, &t); rlexp_relu_inplace(r.count, &r)
                let badT = t.indices.first { t[$0].bitPattern != wantTanh[$0] }, badR = r.indices.first { r[$0].bitPattern != wantRelu[$0] }
                XCTAssertNil(badT, "tanh level \(level) at x = \(badT.map { xs[$0] } ?? 0)")
                XCTAssertNil(badR, "relu level \(level) at x = \(badR.map { xs[$0] } ?? 0)")
                for len in [1, 7, 8, 9, 15, 16, 17, 33, 77] {
                    var p = p0, m = m0
                    rmspropStep(&p, ms: &m, g, count: len, lr: lr, alpha: alpha, epsilon: eps)
                    XCTAssertEqual(p.prefix(len).map(\.bitPattern), wantP.prefix(len).map(\.bitPattern), "rmsprop θ, level \(level), n \(len)")
                    XCTAssertEqual(m.prefix(len).map(\.bitPattern), wantM.prefix(len).map(\.bitPattern), "rmsprop ms, level \(level), n \(len)")
                    XCTAssertEqual(p.suffix(n - len), p0.suffix(n - len), "nothing past n is touched")
                    var tp = p0, tv = m0
                    rmspropTorchStep(&tp, v: &tv, g, count: len, lr: lr, alpha: alpha, epsilon: eps)
                    XCTAssertEqual(tp.prefix(len).map(\.bitPattern), wantTP.prefix(len).map(\.bitPattern), "rmsprop_torch θ, level \(level), n \(len)")
                    XCTAssertEqual(tv.prefix(len).map(\.bitPattern), wantTV.prefix(len).map(\.bitPattern), "rmsprop_torch v, level \(level), n \(len)")
                    XCTAssertEqual(tp.suffix(n - len), p0.suffix(n - len), "rmsprop_torch: nothing past n is touched")
                }
            }
        }
    }

    /// MLP.backward's kernels against their loops written out in Swift, bit for bit at every level:
    /// tanh's backward `dx·(1 − a²)`, the bias gradient's column sums in row order, and the
    /// transpose, on shapes that reach the 8-lane loops, the tails and partial 8 × 8 tiles.
    func testBackwardKernelsMatchTheirSwiftDefinitionsBitForBit() {
        var rng = RNG(seed: 17)
        for (rows, cols) in [(1, 1), (3, 5), (8, 8), (9, 17), (40, 64), (64, 2), (5, 64), (16, 24), (17, 9), (24, 43), (64, 64), (3, 130), (2, 200)] {
            let n = rows * cols
            let dx0 = rng.floats(n), a = rng.floats(n).map { tanhf($0) }, x = rng.floats(n), acc0 = rng.floats(cols)
            var wantDx = dx0, wantAcc = acc0, wantT = [Float](repeating: 0, count: n)
            for i in 0..<n { wantDx[i] *= (1 - a[i] * a[i]) }
            for r in 0..<rows { for j in 0..<cols { wantAcc[j] += x[r * cols + j] } }
            for i in 0..<rows { for j in 0..<cols { wantT[j * rows + i] = x[i * cols + j] } }
            // ReLU outputs: zeros, −0, positives, and a NaN now and then (its dx is kept, as `where a <= 0` keeps it)
            let relu = x.enumerated().map { i, v in i % 11 == 5 ? Float.nan : i % 7 == 3 ? -0.0 : max(v, 0) }
            var wantR = dx0
            for i in 0..<n where relu[i] <= 0 { wantR[i] = 0 }
            for level in 0...KernelISA.supported {
                KernelISA.with(level: level) {
                    var dx = dx0, acc = acc0, t = [Float](repeating: .nan, count: n), r = dx0
                    rlexp_relu_backward(n, &r, relu)
                    XCTAssertEqual(r.map(\.bitPattern), wantR.map(\.bitPattern), "relu backward \(rows)×\(cols), level \(level)")
                    rlexp_tanh_backward(n, &dx, a)
                    rlexp_add_rows(rows, cols, x, &acc)
                    rlexp_transpose(rows, cols, x, &t)
                    XCTAssertEqual(dx.map(\.bitPattern), wantDx.map(\.bitPattern), "tanh backward \(rows)×\(cols), level \(level)")
                    XCTAssertEqual(acc.map(\.bitPattern), wantAcc.map(\.bitPattern), "add_rows \(rows)×\(cols), level \(level)")
                    XCTAssertEqual(t.map(\.bitPattern), wantT.map(\.bitPattern), "transpose \(rows)×\(cols), level \(level)")
                }
            }
        }
    }
}
