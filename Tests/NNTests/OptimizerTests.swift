import CKernels
import Foundation
import NN
import TestSupport
import XCTest

final class OptimizerTests: XCTestCase {
    // MARK: - RMSProp (TF form: ms starts at 1, ε inside the square root)

    func testRMSPropTwoStepsByHand() {
        var opt = RMSProp(count: 3, alpha: 0.9, epsilon: 1e-5)
        XCTAssertEqual(opt.ms, [1, 1, 1])
        var theta: [Float] = [1, -2, 0.5]
        let g1: [Float] = [0.5, -1, 2], g2: [Float] = [1, 0, -3]
        opt.step(&theta, g1, count: 3, lr: 0.1)
        // ms₁ = 0.9·1 + 0.1·g₁² = [0.925, 1.0, 1.3];  θ₁ = θ₀ − 0.1·g₁/√(ms₁ + 1e-5)
        let t1: [Double] = [1 - 0.05 / 0.92501.squareRoot(), -2 + 0.1 / 1.00001.squareRoot(), 0.5 - 0.2 / 1.30001.squareRoot()]
        assertClose(opt.ms, [0.925, 1.0, 1.3], tol: 1e-6, "ms after step 1")
        assertClose(theta, t1, tol: 1e-6, "θ after step 1")
        XCTAssertEqual(opt.stepCount, 1)
        opt.step(&theta, g2, count: 3, lr: 0.1)
        // ms₂ = 0.9·ms₁ + 0.1·g₂² = [0.8325 + 0.1, 0.9 + 0, 1.17 + 0.9] = [0.9325, 0.9, 2.07]
        let t2: [Double] = [t1[0] - 0.1 / 0.93251.squareRoot(), t1[1], t1[2] + 0.3 / 2.07001.squareRoot()]
        assertClose(opt.ms, [0.9325, 0.9, 2.07], tol: 1e-6, "ms after step 2")
        assertClose(opt.stateArrays["ms"]!, [0.9325, 0.9, 2.07], tol: 1e-6, "stateArrays[ms]")
        assertClose(theta, t2, tol: 1e-6, "θ after step 2")
        XCTAssertEqual(opt.stepCount, 2)
        // For contrast, PyTorch's form (ms₀ = 0, ε outside) would have moved θ[0] by 0.1·0.5/√0.025 ≈ 0.316 in step 1.
        XCTAssertLessThan(abs(t1[0] - 1), 0.06)
    }

    /// With a large ε its placement is visible: ms₀ = 1, g = 1, α = 0.9 ⇒ ms₁ = 1, and
    /// θ₁ = −η/√(1 + 0.5) = −0.8165·η (TF form), not −η/(√1 + 0.5) = −0.667·η (ε outside).
    func testRMSPropEpsilonInsideSquareRoot() {
        var opt = RMSProp(count: 1, alpha: 0.9, epsilon: 0.5)
        var theta: [Float] = [0]
        opt.step(&theta, [1], count: 1, lr: 1)
        XCTAssertEqual(Double(theta[0]), -1 / 1.5.squareRoot(), accuracy: 1e-6)
    }

    func testRMSPropDefaults() {
        let opt = RMSProp(count: 2)
        XCTAssertEqual(opt.alpha, 0.99)
        XCTAssertEqual(opt.epsilon, 1e-5)
        XCTAssertEqual(opt.ms, [1, 1])
        XCTAssertEqual(RMSProp(count: 2, initialMeanSquare: 0).ms, [0, 0])
    }

    // MARK: - RMSProp, PyTorch's form (v starts at 0, ε outside the square root)

    /// Hand values: α 0.9, ε 0.5 (large, so that its place shows), η 0.1, θ₀ 1, g 2 then −1.
    /// v₁ = 0.1·4 = 0.4, θ₁ = 1 − 0.1·2/(√0.4 + 0.5) = 0.8233926; v₂ = 0.9·0.4 + 0.1·1 = 0.46,
    /// θ₂ = θ₁ + 0.1/(√0.46 + 0.5) = 0.9082655. (ε inside the root would give θ₁ = 1 − 0.2/√0.9 = 0.789.)
    func testRMSPropTorchTwoStepsByHand() {
        var opt = RMSPropTorch(count: 1, alpha: 0.9, epsilon: 0.5)
        XCTAssertEqual(opt.squareAvg, [0])
        var theta: [Float] = [1]
        opt.step(&theta, [2], count: 1, lr: 0.1)
        XCTAssertEqual(Double(opt.squareAvg[0]), 0.4, accuracy: 1e-7)
        XCTAssertEqual(Double(theta[0]), 1 - 0.2 / (0.4.squareRoot() + 0.5), accuracy: 1e-6)
        XCTAssertEqual(Double(theta[0]), 0.8233926, accuracy: 1e-6)
        opt.step(&theta, [-1], count: 1, lr: 0.1)
        XCTAssertEqual(Double(opt.squareAvg[0]), 0.46, accuracy: 1e-7)
        XCTAssertEqual(Double(theta[0]), 0.9082655, accuracy: 1e-6)
        XCTAssertEqual(opt.stepCount, 2)
        XCTAssertEqual(opt.stateArrays["square_avg"]!.count, 1)
    }

    func testRMSPropTorchStateRoundTrip() throws {
        try assertRoundTripContinuesIdentically({ RMSPropTorch(count: 11) }, "RMSPropTorch")
    }

    // MARK: - Adam

    func testAdamTwoStepsByHand() {
        var opt = Adam(count: 3)  // β1 0.9, β2 0.999, ε 1e-8
        var theta: [Float] = [1, -2, 0.5]
        let g1: [Float] = [0.5, 0, -2], g2: [Float] = [-1, 0, -1]
        opt.step(&theta, g1, count: 3, lr: 0.01)
        // Float β's: 1 − Float(0.999) = 0.00099998713 (1.3e-5 relative off 0.001), hence the moment
        // tolerances below (about 2e-5 relative); θ is compared at 1e-6 absolute (steps are ~1e-2).
        // Step 1: m̂ = g, v̂ = g², so θ moves by lr·g/(|g| + ε) ≈ lr·sign(g); a zero gradient does not move θ.
        let t1: [Double] = [1 - 0.01 * 0.5 / (0.5 + 1e-8), -2, 0.5 + 0.01 * 2 / (2 + 1e-8)]
        assertClose(theta, t1, tol: 1e-6, "θ after step 1")
        assertClose(opt.m, [0.05, 0, -0.2], tol: 1e-7, "m after step 1")
        assertClose(opt.v, [0.00025, 0, 0.004], tol: 1e-7, "v after step 1")
        opt.step(&theta, g2, count: 3, lr: 0.01)
        // m₂ = 0.9·m₁ + 0.1·g₂ = [-0.055, 0, -0.28];  v₂ = 0.999·v₁ + 0.001·g₂² = [0.00124975, 0, 0.004996]
        // bias corrections 1 − 0.9² = 0.19 and 1 − 0.999² = 0.001999
        let mHat: [Double] = [-0.055 / 0.19, 0, -0.28 / 0.19], vHat: [Double] = [0.00124975 / 0.001999, 0, 0.004996 / 0.001999]
        let t2 = (0..<3).map { t1[$0] - 0.01 * mHat[$0] / (vHat[$0].squareRoot() + 1e-8) }
        assertClose(opt.m, [-0.055, 0, -0.28], tol: 1e-7, "m after step 2")
        assertClose(opt.v, [0.00124975, 0, 0.004996], tol: 1e-7, "v after step 2")
        assertClose(theta, t2, tol: 1e-6, "θ after step 2")
        XCTAssertEqual(opt.stepCount, 2)
        XCTAssertEqual(Set(opt.stateArrays.keys), ["m", "v"])
    }

    // MARK: - Checkpoint round trip

    private func assertRoundTripContinuesIdentically<O: Optimizer>(_ make: () -> O, _ name: String) throws {
        var rng = RNG(seed: 10)
        let n = 11
        var a = make()
        var theta = rng.floats(n)
        let grads = (0..<5).map { _ in rng.floats(n) }
        for g in grads[0..<2] { a.step(&theta, g, count: n, lr: 0.01) }
        let (arrays, count, saved) = (a.stateArrays, a.stepCount, theta)
        for g in grads[2...] { a.step(&theta, g, count: n, lr: 0.01) }

        var b = make()
        try b.restore(arrays: arrays, stepCount: count)
        XCTAssertEqual(b.stepCount, 2, name)
        var theta2 = saved
        for g in grads[2...] { b.step(&theta2, g, count: n, lr: 0.01) }
        XCTAssertEqual(theta2, theta, "\(name): parameters after restore")
        XCTAssertEqual(b.stateArrays, a.stateArrays, "\(name): state after restore")
        XCTAssertEqual(b.stepCount, a.stepCount, name)

        var c = make()
        XCTAssertThrowsError(try c.restore(arrays: [:], stepCount: 1), "\(name): missing arrays")
        XCTAssertThrowsError(try c.restore(arrays: arrays.mapValues { Array($0.dropLast()) }, stepCount: 1), "\(name): wrong length")
    }

    func testRMSPropStateRoundTrip() throws {
        try assertRoundTripContinuesIdentically({ RMSProp(count: 11) }, "RMSProp")
    }

    /// Adam's bias correction depends on the step count, so a restore must bring it back too.
    func testAdamStateRoundTrip() throws {
        try assertRoundTripContinuesIdentically({ Adam(count: 11) }, "Adam")
    }

    // MARK: - Global norm and clipping

    func testGlobalNorm() {
        XCTAssertEqual(globalNorm([3, 4], count: 2), 5)
        XCTAssertEqual(globalNorm([3, -4, 12], count: 3), 13)
        XCTAssertEqual(globalNorm([], count: 0), 0)
        // Accumulated in Double: no overflow for values whose squares overflow Float.
        XCTAssertEqual(globalNorm([3e30, 4e30], count: 2), 5e30, accuracy: 5e30 * 1e-6)
    }

    /// The documented summation order, written out one element at a time, gives the same bits at
    /// every length around the block sizes (0…100, and A2C's 9155 parameters) and at every kernel
    /// level, and the norm is within rounding of the Double sum in index order.
    func testGlobalNormOrderAsDocumented() {
        func referenceSum(_ g: [Float]) -> Double {
            var part = [Double](repeating: 0, count: 32), i = 0
            while i + 32 <= g.count { for k in 0..<32 { part[k] += Double(g[i + k]) * Double(g[i + k]) }; i += 32 }
            while i + 8 <= g.count { for k in 0..<8 { part[k] += Double(g[i + k]) * Double(g[i + k]) }; i += 8 }
            var tail = 0.0
            while i < g.count { tail += Double(g[i]) * Double(g[i]); i += 1 }
            var acc = [Double](repeating: 0, count: 8)
            for k in 0..<8 { acc[k] = (part[k] + part[8 + k]) + (part[16 + k] + part[24 + k]) }
            let h = (0..<4).map { acc[$0] + acc[$0 + 4] }
            let q = (0..<2).map { h[$0] + h[$0 + 2] }
            return (q[0] + q[1]) + tail
        }
        var rng = RNG(seed: 11)
        for n in Array(0...100) + [9155] {
            // magnitudes spread over six decades, so that a different order rounds differently
            let g = (0..<n).map { _ in (rng.uniformFloat() - 0.5) * Float(DetMath.pow(10, Int(rng.uniformFloat() * 6))) }
            let wantSum = referenceSum(g), want = Float(wantSum.squareRoot())
            for level in 0...KernelISA.supported {   // CKernels' rlexp_sum_squares at every level
                KernelISA.with(level: level) {
                    // the Double sum itself (a different order shows there even where the Float norm hides it)
                    XCTAssertEqual(rlexp_sum_squares(n, g).bitPattern, wantSum.bitPattern, "n = \(n), level \(level)")
                    XCTAssertEqual(globalNorm(g, count: n).bitPattern, want.bitPattern, "n = \(n), level \(level)")
                }
            }
            let plain = g.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
            XCTAssertEqual(Double(want), plain, accuracy: max(plain * 1e-6, 1e-30), "n = \(n)")
        }
    }

    func testClipByGlobalNorm() {
        var g: [Float] = [3, -4, 12]
        XCTAssertEqual(clipByGlobalNorm(&g, count: 3, maxNorm: 6.5), 13)  // pre-clip norm
        assertClose(g, [1.5, -2, 6], tol: 1e-6, "clipped")
        XCTAssertEqual(globalNorm(g, count: 3), 6.5, accuracy: 1e-6)

        var below: [Float] = [3, -4, 12]
        XCTAssertEqual(clipByGlobalNorm(&below, count: 3, maxNorm: 20), 13)
        XCTAssertEqual(below, [3, -4, 12])
        var equal: [Float] = [3, 4]
        XCTAssertEqual(clipByGlobalNorm(&equal, count: 2, maxNorm: 5), 5)
        XCTAssertEqual(equal, [3, 4])
        var zero: [Float] = [0, 0, 0]
        XCTAssertEqual(clipByGlobalNorm(&zero, count: 3, maxNorm: 0.5), 0)
        XCTAssertEqual(zero, [0, 0, 0])

        var rng = RNG(seed: 3)
        var r = rng.floats(1000)
        let before = r, n = globalNorm(r, count: 1000)
        XCTAssertEqual(clipByGlobalNorm(&r, count: 1000, maxNorm: 0.5), n)
        XCTAssertEqual(Double(globalNorm(r, count: 1000)), 0.5, accuracy: 1e-6)
        for i in 0..<1000 { XCTAssertEqual(r[i], before[i] * (0.5 / n), accuracy: 1e-7) }  // direction kept
    }

    // MARK: - Learning-rate schedules

    func testLRSchedules() {
        let base: Float = 0.004
        for t in [0, 1, 777, 1_000_000] { XCTAssertEqual(LRSchedule.constant.lr(base: base, step: t, total: 1000), base) }

        XCTAssertEqual(LRSchedule.linear.lr(base: base, step: 0, total: 1000), base)
        XCTAssertEqual(LRSchedule.linear.lr(base: base, step: 250, total: 1000), 0.003, accuracy: 1e-9)
        XCTAssertEqual(LRSchedule.linear.lr(base: base, step: 500, total: 1000), base / 2)
        XCTAssertEqual(LRSchedule.linear.lr(base: base, step: 1000, total: 1000), 0)
        XCTAssertEqual(LRSchedule.linear.lr(base: base, step: 1200, total: 1000), 0)  // never negative
        XCTAssertEqual(LRSchedule.linear.lr(base: base, step: 0, total: 0), base)     // no division by zero

        XCTAssertEqual(LRSchedule.step.lr(base: base, step: 0, total: 1), base)
        XCTAssertEqual(LRSchedule.step.lr(base: base, step: 1999, total: 1), base)
        XCTAssertEqual(LRSchedule.step.lr(base: base, step: 2000, total: 1), base * 0.92, accuracy: 1e-9)
        XCTAssertEqual(LRSchedule.step.lr(base: base, step: 3999, total: 1), base * 0.92, accuracy: 1e-9)
        XCTAssertEqual(LRSchedule.step.lr(base: base, step: 4000, total: 1), base * 0.8464, accuracy: 1e-9)
        XCTAssertEqual(Double(LRSchedule.step.lr(base: base, step: 20_000, total: 1)), 0.004 * pow(0.92, 10), accuracy: 1e-9)
        XCTAssertEqual(Set(LRSchedule.allCases.map(\.rawValue)), ["constant", "linear", "step"])
    }
}
