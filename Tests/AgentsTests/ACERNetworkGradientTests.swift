import Agents
import Foundation
import NN
import XCTest

/// ACER's two-headed network gradient, end to end: the per-row `dOutput` that ACER.train assembles
/// (logits columns 0..<nA: `softmaxBackward(f, −z/B)`; Q column nA+a: `q_coef·(Q(a) − Q^ret)/B`),
/// back-propagated by `MLP.backward`, against central finite differences over the parameters of the
/// scalar loss that gradient belongs to, defined here:
///
///     L(θ) = −(1/B) Σ_b J_b(f_b(θ)) + q_coef·½·(1/B) Σ_b (Q^ret_b − Q_b(θ, a_b))²
///     J_b(f) = log f(a_b)·A_b + Σ_j log f(j)·W_bj + ent_coef·H(f)
///
/// with the stop-gradient brackets A_b = (Q^ret_b − V_b)·min(c, ρ_b(a_b)) and
/// W_bj = (Q_bj − V_b)·max(0, 1 − c/ρ_bj)·f_bj computed once from the base forward pass and frozen
/// while θ is perturbed (Q^ret, μ, actions fixed). Without the trust region that is ACER's loss.
/// With it, the projected z*_b is a constant too and the surrogate −(1/B) Σ_b z*_b·f_b(θ) is the
/// scalar function whose gradient train back-propagates; both are checked.
///
/// ACER.train itself is internal, so the test rebuilds its `dOutput` from the public pieces exactly
/// as train does (ACER.swift, "per-sample gradients w.r.t. the heads").
///
/// Finite differences run the real Float32 `MLP.forward`. Steps are h = 2⁻⁷ ≈ 0.0078 (and 2h),
/// combined by Richardson extrapolation (4th order, truncation ~h⁴ ≈ 4e-9), with the difference
/// quotient taken over the step actually applied after Float rounding. What remains is Float32
/// rounding of the network outputs: |δL| ≲ 1e-7·Σ|∂L/∂out|·|out| ≈ 1e-7, amplified by ≈ (1 + 8 + 8 + 1)/12
/// / h ≈ 200 to ≈ 2e-5 per derivative. Per parameter and along random unit directions the test
/// therefore allows 1e-4 absolute + 1e-3 relative (observed: at most 2.6e-5, i.e. ≤ 0.2 of the
/// tolerance, over ~450 parameters and 3 problems); along the gradient's own direction (derivative
/// ‖∇L‖ ≈ 1–4) 1e-3 relative. For scale: making ent_coef 10 % too large in the assembled dOutput
/// fails both the per-parameter and the directional checks.
final class ACERNetworkGradientTests: XCTestCase {
    let nA = 3, B = 5, obsSize = 4
    let c = 1.2, entCoef = 0.05, qCoef = 0.5

    struct Problem {
        var net: MLP
        var params: [Float]
        var avgParams: [Float]
        var x: [Float]
        var mu: [[Double]]
        var actions: [Int]
        var qret: [Double]
    }

    func makeProblem(seed: UInt64) -> Problem {
        var rng = RNG(seed: seed, stream: RNG.label("acer-network-gradient"))
        let net = MLP(sizes: [obsSize, 16, 16, 2 * nA], activation: .tanh)
        var params = [Float](repeating: 0, count: net.parameterCount)
        net.initialize(&params, offset: 0, rng: &rng, hiddenGain: 2.0.squareRoot(), outputGain: 1.0)
        for i in params.indices { params[i] += Float(0.1 * rng.normal()) }   // nonzero biases too
        let avgParams = params.map { $0 + Float(0.1 * rng.normal()) }
        let x = (0..<(B * obsSize)).map { _ in Float(rng.normal()) }
        // behaviour distributions far enough from f that some ratios exceed c (bias correction active)
        let mu = (0..<B).map { _ in acerLogSoftmax((0..<nA).map { _ in 1.5 * rng.normal() }).map { exp($0) } }
        let actions = (0..<B).map { _ in rng.int(below: nA) }
        let qret = (0..<B).map { _ in 2 * rng.normal() }
        return Problem(net: net, params: params, avgParams: avgParams, x: x, mu: mu, actions: actions, qret: qret)
    }

    /// Network outputs for `params` (Float forward), as Double rows of 2·nA.
    func outputs(_ p: Problem, _ params: [Float]) -> [[Double]] {
        let ws = MLPWorkspace(p.net, capacity: B)
        let out = params.withUnsafeBufferPointer { pb in
            p.x.withUnsafeBufferPointer { p.net.forward(pb.baseAddress!, $0.baseAddress!, batch: B, ws) }
        }
        let n = 2 * nA
        return (0..<B).map { r in (0..<n).map { Double(out[r * n + $0]) } }
    }

    /// The frozen brackets A_b, W_b at the base point (written from ALGORITHMS.md §4, in Double).
    struct Brackets { var a: [Double]; var w: [[Double]] }

    func brackets(_ p: Problem, _ rows: [[Double]], biasCorrection: Bool) -> Brackets {
        var a = [Double](), w = [[Double]]()
        for b in 0..<B {
            let f = acerLogSoftmax(Array(rows[b][0..<nA])).map { exp($0) }, q = Array(rows[b][nA..<(2 * nA)])
            let v = acerDot(f, q), rho = zip(f, p.mu[b]).map { $0 / $1 }
            a.append((p.qret[b] - v) * min(c, rho[p.actions[b]]))
            w.append((0..<nA).map { j in biasCorrection ? (q[j] - v) * max(0, 1 - c / rho[j]) * f[j] : 0 })
        }
        return Brackets(a: a, w: w)
    }

    /// L(θ) with the brackets frozen; with `zFrozen`, the policy part is the projected surrogate instead.
    func loss(_ p: Problem, _ params: [Float], _ br: Brackets, zFrozen: [[Double]]? = nil) -> Double {
        let rows = outputs(p, params)
        var policy = 0.0, qLoss = 0.0
        for b in 0..<B {
            let logf = acerLogSoftmax(Array(rows[b][0..<nA])), f = logf.map { exp($0) }
            if let z = zFrozen {
                policy += acerDot(z[b], f)
            } else {
                let h = -acerDot(f, logf)
                policy += logf[p.actions[b]] * br.a[b] + acerDot(logf, br.w[b]) + entCoef * h
            }
            let e = p.qret[b] - rows[b][nA + p.actions[b]]
            qLoss += 0.5 * e * e
        }
        return -policy / Double(B) + qCoef * qLoss / Double(B)
    }

    /// dOutput exactly as ACER.train assembles it (Float logSoftmax of the Float outputs, Double math),
    /// back-propagated; also returns the z* used per row.
    func analyticGradient(_ p: Problem, biasCorrection: Bool, delta: Double?) -> (grad: [Double], z: [[Double]], active: Int) {
        let nOut = 2 * nA
        let ws = MLPWorkspace(p.net, capacity: B), avgWS = MLPWorkspace(p.net, capacity: B)
        var dOut = [Float](repeating: 0, count: B * nOut), grad = [Float](repeating: 0, count: p.params.count)
        var zs = [[Double]](), active = 0
        p.params.withUnsafeBufferPointer { pb in
            p.x.withUnsafeBufferPointer { xb in
                let out = p.net.forward(pb.baseAddress!, xb.baseAddress!, batch: B, ws)
                let avgOut = p.avgParams.withUnsafeBufferPointer { p.net.forward($0.baseAddress!, xb.baseAddress!, batch: B, avgWS) }
                var lp = [Float](repeating: 0, count: nA)
                let invB = 1 / Double(B)
                for r in 0..<B {
                    lp.withUnsafeMutableBufferPointer { Categorical.logSoftmax(out + r * nOut, nA, into: $0.baseAddress!) }
                    let logf = lp.map(Double.init), f = logf.map { exp($0) }
                    lp.withUnsafeMutableBufferPointer { Categorical.logSoftmax(avgOut + r * nOut, nA, into: $0.baseAddress!) }
                    let fAvg = lp.map { Double(expf($0)) }
                    let q = (0..<nA).map { Double(out[r * nOut + nA + $0]) }
                    let a = p.actions[r]
                    let terms = acerPolicyTerms(logf: logf, mu: p.mu[r], q: q, action: a, qret: p.qret[r], c: c,
                                                entCoef: entCoef, biasCorrection: biasCorrection)
                    var z = terms.g
                    if let delta {
                        let proj = trustRegionProject(g: terms.g, k: klGradientWrtProbabilities(fAvg: fAvg, f: f), delta: delta)
                        z = proj.z
                        if proj.adj > 0 { active += 1 }
                    }
                    zs.append(z)
                    let dz = softmaxBackward(f: f, dL_df: z.map { -$0 * invB })
                    for j in 0..<nA { dOut[r * nOut + j] = Float(dz[j]) }
                    dOut[r * nOut + nA + a] = Float(qCoef * (q[a] - p.qret[r]) * invB)
                }
                grad.withUnsafeMutableBufferPointer { gb in
                    dOut.withUnsafeBufferPointer { p.net.backward(pb.baseAddress!, ws, dOutput: $0.baseAddress!, grad: gb.baseAddress!) }
                }
            }
        }
        return (grad.map(Double.init), zs, active)
    }

    /// Richardson-extrapolated central difference of L along a perturbation `direction` scaled by s,
    /// using the perturbation actually applied after rounding the parameters to Float:
    /// D(s) = (L(θ + Δ₊) − L(θ − Δ₋)) / ((Δ₊ + Δ₋)·v/‖v‖²), result (4·D(h) − D(2h))/3.
    func directionalFD(_ p: Problem, direction v: [Double], h: Double, _ L: ([Float]) -> Double) -> Double {
        let vv = acerDot(v, v)
        func D(_ s: Double) -> Double {
            let plus = zip(p.params, v).map { Float(Double($0) + s * $1) }
            let minus = zip(p.params, v).map { Float(Double($0) - s * $1) }
            var applied = 0.0   // (Δ₊ + Δ₋)·v / ‖v‖², the step length actually taken (≈ 2s)
            for i in v.indices where v[i] != 0 { applied += (Double(plus[i]) - Double(minus[i])) * v[i] }
            applied /= vv
            return (L(plus) - L(minus)) / applied
        }
        return (4 * D(h) - D(2 * h)) / 3
    }

    func check(biasCorrection: Bool, trustRegionDelta: Double?, seed: UInt64) {
        let p = makeProblem(seed: seed)
        let base = outputs(p, p.params)
        let br = brackets(p, base, biasCorrection: biasCorrection)
        let (grad, z, active) = analyticGradient(p, biasCorrection: biasCorrection, delta: trustRegionDelta)
        if biasCorrection {
            XCTAssert(br.w.contains { $0.contains { $0 != 0 } }, "the bias correction is active for some row")
        }
        if trustRegionDelta != nil { XCTAssert(active > 0 && active < B, "trust region active for some rows only (\(active))") }
        let L: ([Float]) -> Double = { self.loss(p, $0, br, zFrozen: trustRegionDelta == nil ? nil : z) }
        let h = 0x1p-7
        for i in 0..<p.params.count {
            var e = [Double](repeating: 0, count: p.params.count); e[i] = 1
            let fd = directionalFD(p, direction: e, h: h, L)
            let err = abs(fd - grad[i])
            if !(err <= 1e-4 + 1e-3 * abs(grad[i])) {
                XCTFail("param \(i): backward \(grad[i]), finite difference \(fd) (bc \(biasCorrection), δ \(String(describing: trustRegionDelta)))")
                return
            }
        }
        // random unit directions (same noise floor as one parameter), and the gradient's own direction
        // (derivative ‖∇L‖: a large signal, checked at 1e-3 relative)
        var rng = RNG(seed: seed, stream: RNG.label("acer-network-gradient-directions"))
        for k in 0...8 {
            var v = k == 8 ? grad : (0..<p.params.count).map { _ in rng.normal() }
            let norm = acerDot(v, v).squareRoot(); v = v.map { $0 / norm }
            let fd = directionalFD(p, direction: v, h: h, L), an = acerDot(grad, v)
            XCTAssertEqual(fd, an, accuracy: k == 8 ? 1e-3 * an : 1e-4 + 1e-3 * abs(an), "direction \(k)")
        }
        // the gradient is not trivially small (the check has something to measure)
        XCTAssertGreaterThan(acerMaxAbs(grad), 1e-2)
    }

    func testGradientWithBiasCorrection() { check(biasCorrection: true, trustRegionDelta: nil, seed: 1) }
    func testGradientWithoutBiasCorrection() { check(biasCorrection: false, trustRegionDelta: nil, seed: 2) }

    /// With the trust region the gradient is that of −(1/B) Σ z*_b·f_b(θ) + Q loss for the projected
    /// z* (held fixed): δ is chosen so that the projection is active for some rows and slack for others.
    /// This checks the chain z* → logits → θ; z* itself is checked against the NumPy oracle in ACERMathTests.
    func testGradientWithTrustRegion() {
        // the first random problem on which δ = 0.5 binds for some rows but not all
        for seed: UInt64 in 3..<60 {
            let active = analyticGradient(makeProblem(seed: seed), biasCorrection: true, delta: 0.5).2
            if active > 0 && active < B { return check(biasCorrection: true, trustRegionDelta: 0.5, seed: seed) }
        }
        XCTFail("no random problem where the trust region binds for some rows only")
    }

    /// The frozen-bracket loss differs from one whose brackets follow θ: guards against a test that
    /// would pass whether or not the brackets are held fixed.
    func testFrozenBracketsMatter() {
        let p = makeProblem(seed: 1)
        let br = brackets(p, outputs(p, p.params), biasCorrection: true)
        let (grad, _, _) = analyticGradient(p, biasCorrection: true, delta: nil)
        let live: ([Float]) -> Double = { params in
            self.loss(p, params, self.brackets(p, self.outputs(p, params), biasCorrection: true))
        }
        var rng = RNG(seed: 99, stream: RNG.label("acer-live-brackets"))
        var v = (0..<p.params.count).map { _ in rng.normal() }
        let norm = acerDot(v, v).squareRoot(); v = v.map { $0 / norm }
        let frozen = directionalFD(p, direction: v, h: 0x1p-7) { self.loss(p, $0, br) }
        let moving = directionalFD(p, direction: v, h: 0x1p-7, live)
        XCTAssertEqual(frozen, acerDot(grad, v), accuracy: 1e-3 * abs(frozen))
        XCTAssertGreaterThan(abs(moving - frozen), 1e-2 * abs(frozen), "live brackets give a different derivative")
    }
}
