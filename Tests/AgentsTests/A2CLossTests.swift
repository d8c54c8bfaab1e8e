import Agents
import Foundation
import NN
import TestSupport
import XCTest

/// `a2cLossGradients` against an independent Double computation of
/// `L(z, V) = mean(ADV·−log π(a)) − entCoef·mean(H) + vfCoef·mean((R − V)²)` and its central
/// finite differences w.r.t. the logits z and the values V (ADV and R held fixed).
final class A2CLossTests: XCTestCase {
    let B = 4, nA = 3

    struct Batch {
        var logits: [Float], values: [Float], returns: [Float], advantages: [Float], actions: [Int32]
    }

    func randomBatch(_ rng: inout RNG) -> Batch {
        Batch(logits: rng.floats(B * nA, scale: 1.5), values: rng.floats(B), returns: rng.floats(B, scale: 2),
              advantages: rng.floats(B), actions: (0..<B).map { Int32($0 % nA) })  // every action appears
    }

    /// The three loss terms in Double, from the logits (log-sum-exp re-implemented here).
    func terms(_ z: [Double], _ v: [Double], _ batch: Batch) -> (pg: Double, vf: Double, ent: Double) {
        var pg = 0.0, vf = 0.0, ent = 0.0
        for b in 0..<B {
            let row = Array(z[(b * nA)..<((b + 1) * nA)])
            let m = row.max()!
            let lse = m + log(row.reduce(0) { $0 + exp($1 - m) })
            pg += Double(batch.advantages[b]) * (lse - row[Int(batch.actions[b])])
            ent -= row.reduce(0) { $0 + exp($1 - lse) * ($1 - lse) }
            let e = Double(batch.returns[b]) - v[b]
            vf += e * e
        }
        let n = Double(B)
        return (pg / n, vf / n, ent / n)
    }

    func loss(_ z: [Double], _ v: [Double], _ batch: Batch, entCoef: Double, vfCoef: Double) -> Double {
        let t = terms(z, v, batch)
        return t.pg - entCoef * t.ent + vfCoef * t.vf
    }

    enum Layout { case separate, separatePadded, shared }

    /// Runs `a2cLossGradients` with the given buffer layout; returns dLogits (B × nA), dValues (B)
    /// and the loss terms, and checks that nothing outside the documented slots was written.
    func run(_ batch: Batch, entCoef: Float, vfCoef: Float, layout: Layout)
        -> (dz: [Float], dv: [Float], terms: (policyLoss: Double, valueLoss: Double, entropy: Double)) {
        var logp = [Float](repeating: 0, count: B * nA)
        for b in 0..<B { Categorical.logSoftmax(Array(batch.logits[(b * nA)..<((b + 1) * nA)]), nA, into: &logp[b * nA]) }
        let sentinel: Float = 999
        let (logitStride, valueStride): (Int, Int)
        switch layout {
        case .separate: (logitStride, valueStride) = (nA, 1)
        case .separatePadded: (logitStride, valueStride) = (nA + 2, 3)
        case .shared: (logitStride, valueStride) = (nA + 1, nA + 1)
        }
        var zBuf = [Float](repeating: sentinel, count: B * logitStride)
        var vBuf = [Float](repeating: sentinel, count: B * valueStride)
        let result = zBuf.withUnsafeMutableBufferPointer { zb in
            vBuf.withUnsafeMutableBufferPointer { vb in
                a2cLossGradients(logp: logp, nA: nA, actions: batch.actions, advantages: batch.advantages,
                                 returns: batch.returns, values: batch.values, entCoef: entCoef, vfCoef: vfCoef,
                                 dLogits: zb.baseAddress!, logitStride: logitStride,
                                 dValues: layout == .shared ? zb.baseAddress! + nA : vb.baseAddress!, valueStride: valueStride)
            }
        }
        var dz: [Float] = [], dv: [Float] = []
        for b in 0..<B {
            dz += zBuf[(b * logitStride)..<(b * logitStride + nA)]
            dv.append(layout == .shared ? zBuf[b * logitStride + nA] : vBuf[b * valueStride])
        }
        // Padding untouched.
        if layout == .separatePadded {
            for b in 0..<B {
                XCTAssertEqual(Array(zBuf[(b * logitStride + nA)..<((b + 1) * logitStride)]), [sentinel, sentinel], "logit padding row \(b)")
                XCTAssertEqual(Array(vBuf[(b * valueStride + 1)..<((b + 1) * valueStride)]), [sentinel, sentinel], "value padding row \(b)")
            }
        }
        if layout == .shared { XCTAssert(vBuf.allSatisfy { $0 == sentinel }, "the separate value buffer is not used") }
        return (dz, dv, result)
    }

    func testGradientsAndTermsMatchDoubleFiniteDifferences() {
        var rng = RNG(seed: 2024)
        for layout in [Layout.separate, .separatePadded, .shared] {
            for entCoef in [0.01, 0.5, 0] as [Float] {
                let batch = randomBatch(&rng)
                let vfCoef: Float = 0.5
                let (dz, dv, got) = run(batch, entCoef: entCoef, vfCoef: vfCoef, layout: layout)
                let what = "\(layout) entCoef \(entCoef)"
                let z = batch.logits.map(Double.init), v = batch.values.map(Double.init)
                let L = { (z: [Double], v: [Double]) in self.loss(z, v, batch, entCoef: Double(entCoef), vfCoef: Double(vfCoef)) }

                // Central differences in Double, h = 1e-5: truncation ~1e-10, rounding ~1e-11; the Float
                // analytic gradients (entries ≲ 1) carry ~1e-7 relative rounding, so 2e-6 absolute.
                let h = 1e-5
                let fdZ: [Double] = (0..<z.count).map { i in
                    var p = z, m = z; p[i] += h; m[i] -= h
                    return (L(p, v) - L(m, v)) / (2 * h)
                }
                let fdV: [Double] = (0..<v.count).map { i in
                    var p = v, m = v; p[i] += h; m[i] -= h
                    return (L(z, p) - L(z, m)) / (2 * h)
                }
                assertClose(dz, fdZ, tol: 2e-6, "\(what) dLogits")
                assertClose(dv, fdV, tol: 2e-6, "\(what) dValues")
                // Guard against a vacuous comparison: the gradients are far from zero.
                XCTAssertGreaterThan(fdZ.map(abs).max()!, 0.05, what)
                XCTAssertGreaterThan(fdV.map(abs).max()!, 0.05, what)

                let ref = terms(z, v, batch)
                XCTAssertEqual(got.policyLoss, ref.pg, accuracy: 1e-5, "\(what) policy loss")
                XCTAssertEqual(got.valueLoss, ref.vf, accuracy: 1e-5, "\(what) value loss")
                XCTAssertEqual(got.entropy, ref.ent, accuracy: 1e-5, "\(what) entropy")
            }
        }
    }

    /// Hand-computed single sample: uniform logits over 2 actions, a = 0, ADV = 2, R = 1, V = 0.25.
    /// π = [½, ½], H = log 2; ∂(−log π₀)/∂z = [−½, ½]; ∂H/∂z = 0 at the uniform distribution;
    /// ∂L/∂V = vfCoef·2·(V − R) = 0.5·2·(−0.75) = −0.75.
    func testHandComputedSingleSample() {
        let logp: [Float] = [Float(-log(2.0)), Float(-log(2.0))]
        var dz: [Float] = [9, 9], dv: [Float] = [9]
        let t = a2cLossGradients(logp: logp, nA: 2, actions: [0], advantages: [2], returns: [1], values: [0.25],
                                 entCoef: 0.01, vfCoef: 0.5, dLogits: &dz, logitStride: 2, dValues: &dv, valueStride: 1)
        XCTAssertEqual(dz[0], -1, accuracy: 1e-6)  // ADV · (π₀ − 1) = 2 · (−½)
        XCTAssertEqual(dz[1], 1, accuracy: 1e-6)
        XCTAssertEqual(dv[0], -0.75, accuracy: 1e-7)
        XCTAssertEqual(t.policyLoss, 2 * log(2.0), accuracy: 1e-6)
        XCTAssertEqual(t.valueLoss, 0.5625, accuracy: 1e-7)
        XCTAssertEqual(t.entropy, log(2.0), accuracy: 1e-6)
    }
}
