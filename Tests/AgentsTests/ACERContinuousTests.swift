import Agents
import Environments
import Foundation
import NN
import TestSupport
import XCTest

// Continuous ACER (ACERContinuous.swift, ACERContinuousMath.swift; ALGORITHMS.md §5), checked
//   * against the float64 NumPy/SciPy oracle in Tests/fixtures/acer_continuous/ (make_fixtures.py →
//     fixtures.json; written from ALGORITHMS.md §5, not from the Swift code): SDN estimates, trace
//     coefficients, Q^ret/Q^opc (unrolled), the per-sample policy terms and g (finite differences),
//     k (finite differences of the KL), the projection (SLSQP + KKT) and the critic gradient;
//   * by reduction tests (Q^opc is Retrace with ratios 1, …);
//   * every backward pass against finite differences: the A(x, a) network's gradient w.r.t. its
//     parameters, the critic's gradient through the SDN (V and A networks), and the policy's
//     gradient through the mean network and log σ;
//   * checkpoint → restore → continue ≡ uninterrupted, and short end-to-end runs on Pendulum-v1.

struct ACERCFixtureFile: Decodable {
    let seed: Int
    let segments: [ACERCSegment]
}

struct ACERCSegment: Decodable {
    let name: String
    let k: Int, n: Int, T: Int
    let gamma: Double, c: Double, entCoef: Double, delta: Double
    let retrace: Bool, biasCorrection: Bool
    let rewards: [Double], terminated: [Bool], truncated: [Bool], d: [Bool], b: [Double]
    let bootstrap: Double
    let qret: [Double], qopc: [Double]
    let steps: [ACERCStep]
}

struct ACERCStep: Decodable {
    let phi: [Double], mu: [Double], phi_avg: [Double], action: [Double], action_prime: [Double]
    let v: Double, adv: Double, adv_prime: Double, adv_u: [Double]
    let log_rho: Double, c_i: Double, qtilde: Double, qtilde_prime: Double
    let fTerm: Double, bcTerm: Double, entropy: Double, rho: Double, rho_prime: Double
    let g: [Double], kvec: [Double], z: [Double], adj: Double, active: Bool, kl: Double
    let dV: Double, dA: Double, dU: [Double], lossQ: Double, lossV: Double
}

func acercClose(_ a: Double, _ b: Double, rel: Double, abs tol: Double) -> Bool { Swift.abs(a - b) <= tol + rel * Swift.abs(b) }

final class ACERContinuousMathTests: XCTestCase {
    func fixtures() throws -> ACERCFixtureFile {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("fixtures/acer_continuous/fixtures.json")
        return try JSONDecoder().decode(ACERCFixtureFile.self, from: Data(contentsOf: url))
    }

    func assertArray(_ got: [Double], _ want: [Double], rel: Double, abs tol: Double, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(got.count, want.count, "\(what): count", file: file, line: line)
        for i in 0..<min(got.count, want.count) where !acercClose(got[i], want[i], rel: rel, abs: tol) {
            XCTFail("\(what)[\(i)]: got \(got[i]), expected \(want[i])", file: file, line: line); return
        }
    }

    func testFixtureCoverage() throws {
        let f = try fixtures()
        XCTAssertEqual(f.segments.count, 5)
        let steps = f.segments.flatMap(\.steps)
        XCTAssert(steps.contains { $0.active } && steps.contains { !$0.active }, "trust region active and slack")
        XCTAssert(steps.contains { $0.c_i < 1 })
        XCTAssert(f.segments.contains { s in s.biasCorrection && s.steps.contains { $0.rho_prime > s.c } }, "bias correction acts")
        XCTAssert(f.segments.contains { $0.truncated.contains(true) } && f.segments.contains { $0.terminated.contains(true) })
    }

    /// SDN estimates, log ρ, c_i and the targets from the fixture's inputs.
    func testTargetsAgainstFixtures() throws {
        for seg in try fixtures().segments {
            var c = [Double](), qt = [Double](), v = [Double]()
            for s in seg.steps {
                let q = sdnEstimate(v: s.v, advantage: s.adv, sampledAdvantages: s.adv_u)
                XCTAssertEqual(q, s.qtilde, accuracy: 1e-12, seg.name)
                XCTAssertEqual(sdnEstimate(v: s.v, advantage: s.adv_prime, sampledAdvantages: s.adv_u), s.qtilde_prime, accuracy: 1e-12)
                let lr = gaussianLogProb(phi: s.phi, action: s.action) - gaussianLogProb(phi: s.mu, action: s.action)
                XCTAssert(acercClose(lr, s.log_rho, rel: 1e-12, abs: 1e-11), "\(seg.name): log ρ \(lr) vs \(s.log_rho)")
                let ci = acerTraceCoefficient(logRho: lr, dimension: seg.k)
                XCTAssert(acercClose(ci, s.c_i, rel: 1e-12, abs: 1e-14), "\(seg.name): c_i \(ci) vs \(s.c_i)")
                c.append(ci); qt.append(q); v.append(s.v)
            }
            let (qret, qopc) = acerContinuousTargets(r_i: seg.rewards, d_i: seg.d, b_i: seg.b, c_i: c, qTilde_i: qt, v_i: v,
                                                     bootstrap: seg.bootstrap, gamma: seg.gamma, retrace: seg.retrace)
            assertArray(qret, seg.qret, rel: 1e-11, abs: 1e-11, "\(seg.name) Q^ret")
            assertArray(qopc, seg.qopc, rel: 1e-11, abs: 1e-11, "\(seg.name) Q^opc")
        }
    }

    /// Per sample: the policy terms and g, k, the projection, the critic gradient.
    func testPerSampleTermsAgainstFixtures() throws {
        var checked = 0
        for seg in try fixtures().segments {
            for (t, s) in seg.steps.enumerated() {
                let terms = acerGaussianPolicyTerms(phi: s.phi, mu: s.mu, action: s.action, actionPrime: s.action_prime,
                                                    qopc: seg.qopc[t], v: s.v, qTildePrime: s.qtilde_prime, c: seg.c,
                                                    entCoef: seg.entCoef, biasCorrection: seg.biasCorrection)
                let what = "\(seg.name) step \(t)"
                XCTAssert(acercClose(terms.fTerm, s.fTerm, rel: 1e-10, abs: 1e-10), "\(what): fTerm \(terms.fTerm) vs \(s.fTerm)")
                XCTAssert(acercClose(terms.bcTerm, s.bcTerm, rel: 1e-10, abs: 1e-10), "\(what): bcTerm \(terms.bcTerm) vs \(s.bcTerm)")
                XCTAssertEqual(terms.entropy, s.entropy, accuracy: 1e-12, what)
                XCTAssert(acercClose(terms.rho, s.rho, rel: 1e-11, abs: 0), "\(what): ρ")
                XCTAssert(acercClose(terms.rhoPrime, s.rho_prime, rel: 1e-11, abs: 0), "\(what): ρ'")
                let scale = max(1, s.g.map(abs).max()!)
                assertArray(terms.g, s.g, rel: 1e-7, abs: 1e-7 * scale, "\(what) g")
                let k = gaussianKLGradientWrtSecond(phiAvg: s.phi_avg, phi: s.phi)
                assertArray(k, s.kvec, rel: 1e-7, abs: 1e-7 * max(1, s.kvec.map(abs).max()!), "\(what) k")
                XCTAssert(acercClose(gaussianKL(s.phi_avg, s.phi), s.kl, rel: 1e-11, abs: 1e-13), "\(what): KL")
                // the projection of the fixture's own g and k (SLSQP there, closed form here)
                let (z, adj) = trustRegionProject(g: s.g, k: s.kvec, delta: seg.delta)
                assertArray(z, s.z, rel: 1e-6, abs: 1e-6 * scale, "\(what) z*")
                XCTAssertEqual(adj > 0, s.active, what)
                XCTAssert(acercClose(adj, s.adj, rel: 1e-5, abs: 1e-8), "\(what): adj \(adj) vs \(s.adj)")
                let cg = sdnCriticGradient(qret: seg.qret[t], qTilde: s.qtilde, rho: s.rho, samples: seg.n, scale: 1)
                XCTAssert(acercClose(cg.dV, s.dV, rel: 1e-8, abs: 1e-8), "\(what): dV \(cg.dV) vs \(s.dV)")
                XCTAssert(acercClose(cg.dA, s.dA, rel: 1e-8, abs: 1e-8), "\(what): dA")
                assertArray([Double](repeating: cg.dU, count: seg.n), s.dU, rel: 1e-8, abs: 1e-8, "\(what) dU")
                XCTAssert(acercClose(cg.lossQ, s.lossQ, rel: 1e-12, abs: 1e-12) && acercClose(cg.lossV, s.lossV, rel: 1e-12, abs: 1e-12), what)
                checked += 1
            }
        }
        XCTAssertEqual(checked, 28)
    }

    /// Q^ret is discrete Retrace with ρ^{1/d} and Q̃; Q^opc is Retrace with every ratio 1; with c_i = 1
    /// both agree; retrace off gives plain n-step returns.
    func testTargetReductions() {
        var rng = RNG(seed: 11, stream: RNG.label("acerc-reductions"))
        let n = 12
        let r = (0..<n).map { _ in rng.normal() }, q = (0..<n).map { _ in rng.normal() }, v = (0..<n).map { _ in rng.normal() }
        let d = (0..<n).map { $0 == 4 || $0 == 9 }, b = (0..<n).map { $0 == 9 ? 0.7 : 0 }
        let c = (0..<n).map { _ in rng.uniform() }
        let (qret, qopc) = acerContinuousTargets(r_i: r, d_i: d, b_i: b, c_i: c, qTilde_i: q, v_i: v, bootstrap: 1.3, gamma: 0.9)
        let viaRetrace = retraceTargets(r_i: r, d_i: d, rho_i: c, q_i: q, v_i: v, b_i: b, bootstrap: 1.3, gamma: 0.9)
        let opcViaRetrace = retraceTargets(r_i: r, d_i: d, rho_i: [Double](repeating: 1, count: n), q_i: q, v_i: v, b_i: b, bootstrap: 1.3, gamma: 0.9)
        for i in 0..<n {
            XCTAssertEqual(qret[i], viaRetrace[i], accuracy: 1e-12)
            XCTAssertEqual(qopc[i], opcViaRetrace[i], accuracy: 1e-12)
        }
        XCTAssertNotEqual(qret, qopc, "c_i < 1 makes them differ")
        let ones = acerContinuousTargets(r_i: r, d_i: d, b_i: b, c_i: [Double](repeating: 1, count: n), qTilde_i: q, v_i: v, bootstrap: 1.3, gamma: 0.9)
        XCTAssertEqual(ones.qret, ones.qopc)
        let plain = acerContinuousTargets(r_i: r, d_i: d, b_i: b, c_i: c, qTilde_i: q, v_i: v, bootstrap: 1.3, gamma: 0.9, retrace: false)
        var g = 1.3
        for i in stride(from: n - 1, through: 0, by: -1) {
            g = r[i] + 0.9 * (d[i] ? b[i] : g)
            XCTAssertEqual(plain.qret[i], g, accuracy: 1e-12); XCTAssertEqual(plain.qopc[i], g, accuracy: 1e-12)
        }
        // Q̃ = V: Q^opc's correction vanishes (the n-step return); Q^ret's does not (c_i < 1 shrinks it)
        let same = acerContinuousTargets(r_i: r, d_i: d, b_i: b, c_i: c, qTilde_i: v, v_i: v, bootstrap: 1.3, gamma: 0.9)
        for i in 0..<n { XCTAssertEqual(same.qopc[i], plain.qret[i], accuracy: 1e-12) }
        XCTAssertNotEqual(same.qret, plain.qret)
        // c_i = min(1, ρ^{1/d})
        XCTAssertEqual(acerTraceCoefficient(logRho: log(0.25), dimension: 2), 0.5, accuracy: 1e-15)
        XCTAssertEqual(acerTraceCoefficient(logRho: log(4.0), dimension: 2), 1)
        XCTAssertEqual(acerTraceCoefficient(logRho: 800, dimension: 1), 1, "no overflow")
    }

    /// The bias-correction term vanishes when ρ' ≤ c or when switched off; the entropy term only moves log σ.
    func testPolicyTermReductions() {
        let phi = [0.2, -0.1, -0.4, -0.2], mu = [0.25, -0.05, -0.35, -0.25], a = [0.5, 0.1], ap = [0.1, -0.3]
        let big = acerGaussianPolicyTerms(phi: phi, mu: mu, action: a, actionPrime: ap, qopc: 1.5, v: 0.3, qTildePrime: -0.7, c: 100, entCoef: 0)
        XCTAssertEqual(big.bcTerm, 0)
        let off = acerGaussianPolicyTerms(phi: phi, mu: mu, action: a, actionPrime: ap, qopc: 1.5, v: 0.3, qTildePrime: -0.7, c: 100, entCoef: 0, biasCorrection: false)
        XCTAssertEqual(big.g, off.g)
        // tiny c: ρ' > c, the correction acts
        let small = acerGaussianPolicyTerms(phi: phi, mu: mu, action: a, actionPrime: ap, qopc: 1.5, v: 0.3, qTildePrime: -0.7, c: 0.05, entCoef: 0)
        XCTAssertNotEqual(small.bcTerm, 0)
        let withEnt = acerGaussianPolicyTerms(phi: phi, mu: mu, action: a, actionPrime: ap, qopc: 1.5, v: 0.3, qTildePrime: -0.7, c: 100, entCoef: 0.5)
        for j in 0..<2 { XCTAssertEqual(withEnt.g[j], big.g[j]); XCTAssertEqual(withEnt.g[2 + j], big.g[2 + j] + 0.5, accuracy: 1e-15) }
        // k vanishes at φ_a = φ (the projection is then the identity)
        XCTAssertEqual(gaussianKLGradientWrtSecond(phiAvg: phi, phi: phi), [0, 0, 0, 0])
    }

    /// The Double helpers agree with the seam's Float functions (DiagGaussian).
    func testDoubleHelpersAgreeWithTheSeam() {
        var rng = RNG(seed: 3, stream: RNG.label("acerc-seam"))
        for k in 1...3 {
            for _ in 0..<20 {
                let p = rng.floats(2 * k, scale: 0.7), q = rng.floats(2 * k, scale: 0.7), x = rng.floats(k, scale: 1.5)
                let pd = p.map(Double.init), qd = q.map(Double.init), xd = x.map(Double.init)
                XCTAssertEqual(gaussianLogProb(phi: pd, action: xd), Double(DiagGaussian.logProb(p, k, action: x)), accuracy: 1e-4)
                XCTAssertEqual(gaussianKL(pd, qd), Double(DiagGaussian.kl(p, q, k)), accuracy: 1e-4)
                var gl = [Float](repeating: 0, count: 2 * k), gk = gl
                DiagGaussian.addLogProbGradient(p, k, action: x, scale: 1, into: &gl)
                DiagGaussian.addKLGradientSecond(p, q, k, scale: 1, into: &gk)
                assertClose(gl, gaussianLogProbGradient(phi: pd, action: xd), tol: 1e-3, "∇ log f")
                assertClose(gk, gaussianKLGradientWrtSecond(phiAvg: pd, phi: qd), tol: 1e-3, "k")
            }
        }
    }
}

/// The backward passes of continuous ACER against finite differences of the real Float32 forward
/// passes: Richardson-extrapolated central differences (h = 2⁻⁷ and 2h), over the step actually
/// applied after Float rounding, as ACERNetworkGradientTests (same tolerance reasoning: 1e-4 absolute
/// + 1e-3 relative per parameter and along random unit directions).
final class ACERContinuousGradientTests: XCTestCase {
    let obsSize = 3, k = 2, B = 6, n = 3, hidden = [16, 16]

    func directionalFD(_ params: [Float], _ v: [Double], h: Double, _ L: ([Float]) -> Double) -> Double {
        let vv = v.reduce(0) { $0 + $1 * $1 }
        func D(_ s: Double) -> Double {
            let plus = zip(params, v).map { Float(Double($0) + s * $1) }, minus = zip(params, v).map { Float(Double($0) - s * $1) }
            var applied = 0.0
            for i in v.indices where v[i] != 0 { applied += (Double(plus[i]) - Double(minus[i])) * v[i] }
            return (L(plus) - L(minus)) / (applied / vv)
        }
        return (4 * D(h) - D(2 * h)) / 3
    }

    func checkGradient(_ params: [Float], _ grad: [Double], seed: UInt64, _ L: ([Float]) -> Double, file: StaticString = #filePath, line: UInt = #line) {
        let h = 0x1p-7
        for i in 0..<params.count {
            var e = [Double](repeating: 0, count: params.count); e[i] = 1
            let fd = directionalFD(params, e, h: h, L)
            if !(abs(fd - grad[i]) <= 1e-4 + 1e-3 * abs(grad[i])) {
                XCTFail("param \(i): backward \(grad[i]), finite difference \(fd)", file: file, line: line); return
            }
        }
        var rng = RNG(seed: seed, stream: RNG.label("acerc-directions"))
        for _ in 0..<6 {
            var v = (0..<params.count).map { _ in rng.normal() }
            let nv = v.reduce(0) { $0 + $1 * $1 }.squareRoot(); v = v.map { $0 / nv }
            let an = zip(grad, v).reduce(0) { $0 + $1.0 * $1.1 }
            XCTAssertEqual(directionalFD(params, v, h: h, L), an, accuracy: 1e-4 + 1e-3 * abs(an), file: file, line: line)
        }
        XCTAssertGreaterThan(grad.map(abs).max()!, 1e-2, "the gradient is not trivially small", file: file, line: line)
    }

    func forward(_ net: MLP, _ p: [Float], _ x: [Float], rows: Int) -> [Double] {
        let ws = MLPWorkspace(net, capacity: rows)
        let o = p.withUnsafeBufferPointer { pb in x.withUnsafeBufferPointer { net.forward(pb.baseAddress!, $0.baseAddress!, batch: rows, ws) } }
        return (0..<(rows * net.outputSize)).map { Double(o[$0]) }
    }

    func backward(_ net: MLP, _ p: [Float], _ x: [Float], rows: Int, dOut: [Float]) -> [Double] {
        let ws = MLPWorkspace(net, capacity: rows)
        var g = [Float](repeating: 0, count: p.count)
        p.withUnsafeBufferPointer { pb in
            x.withUnsafeBufferPointer { xb in
                net.forward(pb.baseAddress!, xb.baseAddress!, batch: rows, ws)
                g.withUnsafeMutableBufferPointer { gb in dOut.withUnsafeBufferPointer { net.backward(pb.baseAddress!, ws, dOutput: $0.baseAddress!, grad: gb.baseAddress!) } }
            }
        }
        return g.map(Double.init)
    }

    func initialised(_ net: MLP, _ rng: inout RNG) -> [Float] {
        var p = [Float](repeating: 0, count: net.parameterCount)
        net.initialize(&p, offset: 0, rng: &rng, hiddenGain: 2.0.squareRoot(), outputGain: 1)
        return p.map { $0 + Float(0.1 * rng.normal()) }
    }

    /// A(x, a) on the concatenated input [x, a]: L = Σ_r w_r·A(row r).
    func testAdvantageNetworkGradient() {
        var rng = RNG(seed: 1, stream: RNG.label("acerc-adv"))
        let net = MLP(sizes: [obsSize + k] + hidden + [1], activation: .tanh)
        let p = initialised(net, &rng)
        let rows = 10
        let x = rng.floats(rows * (obsSize + k)), w = (0..<rows).map { _ in rng.normal() }
        let g = backward(net, p, x, rows: rows, dOut: w.map(Float.init))
        checkGradient(p, g, seed: 1) { q in zip(self.forward(net, q, x, rows: rows), w).reduce(0) { $0 + $1.0 * $1.1 } }
    }

    /// The critic through the SDN: V network on x, A network on [x, a_i], [x, a'_i], [x, u_ij]; the
    /// dOutputs assembled from `sdnCriticGradient` as ACERContinuous.train does, against finite
    /// differences of q_coef/B·Σ_i [½(Q^ret_i − Q̃_i(θv))² + ½(V^target_i − V_i(θv))²] with Q^ret,
    /// V^target (from the base point), ρ_i and the sampled actions fixed.
    func testCriticGradientThroughTheSDN() {
        var rng = RNG(seed: 2, stream: RNG.label("acerc-critic"))
        let vNet = MLP(sizes: [obsSize] + hidden + [1], activation: .tanh), aNet = MLP(sizes: [obsSize + k] + hidden + [1], activation: .tanh)
        let pv = initialised(vNet, &rng), pa = initialised(aNet, &rng)
        let R = n + 2, qCoef = 0.5
        let x = rng.floats(B * obsSize)
        var ax = [Float]()
        for i in 0..<B { for _ in 0..<R { ax += x[(i * obsSize)..<((i + 1) * obsSize)]; ax += rng.floats(k) } }
        let qret = (0..<B).map { _ in 2 * rng.normal() }, rho = (0..<B).map { _ in rng.uniform() * 2 }
        func qTilde(_ V: [Double], _ A: [Double]) -> [Double] {
            (0..<B).map { i in sdnEstimate(v: V[i], advantage: A[i * R], sampledAdvantages: Array(A[(i * R + 2)..<(i * R + R)])) }
        }
        let V0 = forward(vNet, pv, x, rows: B), A0 = forward(aNet, pa, ax, rows: B * R), Q0 = qTilde(V0, A0)
        let vTarget = (0..<B).map { min(1, rho[$0]) * (qret[$0] - Q0[$0]) + V0[$0] }
        var dV = [Float](repeating: 0, count: B), dA = [Float](repeating: 0, count: B * R)
        for i in 0..<B {
            let cg = sdnCriticGradient(qret: qret[i], qTilde: Q0[i], rho: rho[i], samples: n, scale: qCoef / Double(B))
            dV[i] = Float(cg.dV); dA[i * R] = Float(cg.dA)
            for j in 0..<n { dA[i * R + 2 + j] = Float(cg.dU) }
        }
        let grad = backward(vNet, pv, x, rows: B, dOut: dV) + backward(aNet, pa, ax, rows: B * R, dOut: dA)
        let L: ([Float]) -> Double = { theta in
            let V = self.forward(vNet, Array(theta[0..<pv.count]), x, rows: self.B)
            let A = self.forward(aNet, Array(theta[pv.count...]), ax, rows: self.B * R)
            let Q = qTilde(V, A)
            var s = 0.0
            for i in 0..<self.B { s += 0.5 * (qret[i] - Q[i]) * (qret[i] - Q[i]) + 0.5 * (vTarget[i] - V[i]) * (vTarget[i] - V[i]) }
            return qCoef * s / Double(self.B)
        }
        checkGradient(pv + pa, grad, seed: 2, L)
        // the a'_i rows get no gradient and the u rows do (through −1/n)
        XCTAssert((0..<B).allSatisfy { dA[$0 * R + 1] == 0 } && dA[2] != 0)
    }

    /// The policy through the mean network and the shared log σ: −(1/B)·Σ_i J_i(φ_i(θ)) with the
    /// brackets of `acerGaussianPolicyTerms` frozen, and with the trust region the surrogate
    /// −(1/B)·Σ_i z*_i·φ_i(θ) for the projected z* held fixed.
    func testPolicyGradientThroughTheNetwork() {
        var rng = RNG(seed: 4, stream: RNG.label("acerc-policy"))
        let net = MLP(sizes: [obsSize] + hidden + [k], activation: .tanh)
        let pNet = initialised(net, &rng), logStd = rng.floats(k, scale: 0.3)
        let theta = pNet + logStd
        let x = rng.floats(B * obsSize)
        let out0 = forward(net, pNet, x, rows: B)
        func phis(_ out: [Double], _ ls: [Double]) -> [[Double]] { (0..<B).map { i in Array(out[(i * k)..<((i + 1) * k)]) + ls } }
        let phi0 = phis(out0, logStd.map(Double.init))
        let mu = phi0.map { p in p.map { $0 + 0.4 * rng.normal() } }
        let a = mu.map { m in (0..<k).map { m[$0] + DetMath.exp(m[k + $0]) * rng.normal() } }
        let ap = phi0.map { p in (0..<k).map { p[$0] + DetMath.exp(p[k + $0]) * rng.normal() } }
        let qopc = (0..<B).map { _ in rng.normal() }, v = (0..<B).map { _ in rng.normal() }, qtp = (0..<B).map { _ in rng.normal() }
        let c = 1.0, entCoef = 0.05
        let phiAvg = phi0.map { p in p.map { $0 + 0.3 * rng.normal() } }
        for trustRegion in [false, true] {
            var dOut = [Float](repeating: 0, count: B * k), dLogStd = [Double](repeating: 0, count: k)
            var zs = [[Double]](), frozen = [(wf: Double, wbc: Double)](), active = 0
            for i in 0..<B {
                let t = acerGaussianPolicyTerms(phi: phi0[i], mu: mu[i], action: a[i], actionPrime: ap[i], qopc: qopc[i], v: v[i],
                                                qTildePrime: qtp[i], c: c, entCoef: entCoef)
                var z = t.g
                if trustRegion {
                    let pr = trustRegionProject(g: t.g, k: gaussianKLGradientWrtSecond(phiAvg: phiAvg[i], phi: phi0[i]), delta: 0.3)
                    z = pr.z; if pr.adj > 0 { active += 1 }
                }
                zs.append(z)
                for j in 0..<k { dOut[i * k + j] = Float(-z[j] / Double(B)); dLogStd[j] += -z[k + j] / Double(B) }
                let rhoP = DetMath.exp(gaussianLogProb(phi: phi0[i], action: ap[i]) - gaussianLogProb(phi: mu[i], action: ap[i]))
                frozen.append((min(c, t.rho) * (qopc[i] - v[i]), max(0, 1 - c / rhoP) * (qtp[i] - v[i])))
            }
            if trustRegion { XCTAssert(active > 0 && active < B, "trust region active for some samples only (\(active))") }
            XCTAssert(frozen.contains { $0.wbc != 0 }, "the bias correction acts for some sample")
            let grad = backward(net, pNet, x, rows: B, dOut: dOut) + dLogStd
            let L: ([Float]) -> Double = { th in
                let out = self.forward(net, Array(th[0..<pNet.count]), x, rows: self.B)
                let ph = phis(out, th[pNet.count...].map(Double.init))
                var s = 0.0
                for i in 0..<self.B {
                    if trustRegion { s += zip(zs[i], ph[i]).reduce(0) { $0 + $1.0 * $1.1 }; continue }
                    var h = 0.0
                    for j in 0..<self.k { h += ph[i][self.k + j] }
                    s += gaussianLogProb(phi: ph[i], action: a[i]) * frozen[i].wf + gaussianLogProb(phi: ph[i], action: ap[i]) * frozen[i].wbc + entCoef * h
                }
                return -s / Double(self.B)
            }
            checkGradient(theta, grad, seed: trustRegion ? 5 : 4, L)
        }
    }
}

/// The agent: dispatch, checkpoint/restore, determinism, a short run.
final class ACERContinuousAgentTests: XCTestCase {
    func make(_ overrides: [String: ParamValue], env: String = "Pendulum-v1", seed: UInt64 = 5, total: Int = 200_000) throws -> Agent {
        var hp = ACER.info.defaults
        for (k, v) in overrides { precondition(hp[k] != nil, k); hp[k] = v }
        return try ACER.info.make(AgentContext(envID: env, seed: seed, totalSteps: total, hyperparameters: Hyperparameters(hp)))
    }

    let small: [String: ParamValue] = ["nenvs": .int(4), "nsteps": .int(10), "buffer_size": .int(2000), "replay_start": .int(200),
                                       "replay_ratio": .number(4), "hidden": .ints([16]), "sdn_samples": .int(2), "c": .number(2)]

    func trace(_ a: Agent, _ m: Int) -> (metrics: [[UInt64]], episodes: [EpisodeRecord]) {
        var ms: [[UInt64]] = [], eps: [EpisodeRecord] = []
        for _ in 0..<m { ms.append(a.update().values.map(\.bitPattern)); eps += a.drainEpisodes() }
        return (ms, eps)
    }

    func testDispatchOnTheActionSpace() throws {
        XCTAssert(try make([:]) is ACERContinuous)
        XCTAssert(try make([:], env: "CartPole-v1") is ACER)
        XCTAssert(ACER.info.actionKinds.contains(.continuous) && ACER.info.actionKinds.contains(.discrete))
        // the continuous-only hyperparameters are neutral: discrete run ids do not change
        for name in ["sdn_samples", "log_std_init"] { XCTAssertTrue(ACER.info.params.first { $0.name == name }!.neutralDefault, name) }
        XCTAssertEqual(try make([:]).metricNames, ACERContinuous.metrics)
    }

    /// Train N, checkpoint, restore into a fresh agent, train M ≡ train N + M (the replay buffer full
    /// and wrapped at the checkpoint; trust region on and off).
    func testRestoreIsInverse() throws {
        for tr in [true, false] {
            var hp = small; hp["trust_region"] = .bool(tr)
            let whole = try make(hp)
            _ = trace(whole, 60)
            let atN = whole.checkpoint
            XCTAssertEqual(atN.ints["replay_counters"]!, [50, 10], "full (50 segments) and wrapped")
            let rest = trace(whole, 30)
            let fresh = try make(hp)
            XCTAssertNotEqual(fresh.checkpoint, atN)
            try fresh.restore(atN)
            XCTAssertEqual(fresh.checkpoint, atN)
            let resumed = trace(fresh, 30)
            XCTAssertEqual(resumed.metrics, rest.metrics, "trust_region \(tr): metrics after restore")
            XCTAssertEqual(resumed.episodes, rest.episodes)
            XCTAssertFalse(rest.episodes.isEmpty)
            XCTAssertEqual(fresh.checkpoint, whole.checkpoint)
        }
        // a discrete checkpoint does not fit
        XCTAssertThrowsError(try make(small).restore(try make(small, env: "CartPole-v1").checkpoint))
    }

    /// Two agents of the same seed give the same bits; another seed differs. A short run: metrics
    /// finite, replay happens, the critic learns something, σ moves, ρ = 1 on-policy.
    func testShortRun() throws {
        let hp = small.merging(["log_std_init": .number(-0.5), "gamma": .number(0.9)]) { $1 }
        let a = try make(hp), b = try make(hp), other = try make(hp, seed: 6)
        let ta = trace(a, 300), tb = trace(b, 300), to = trace(other, 5)
        XCTAssertEqual(ta.metrics, tb.metrics)
        XCTAssertEqual(a.parameters, b.parameters)
        XCTAssertNotEqual(Array(ta.metrics.prefix(5)), to.metrics)
        let names = a.metricNames
        let rows = ta.metrics.map { $0.map(Double.init(bitPattern:)) }
        for r in rows { XCTAssert(r.allSatisfy(\.isFinite)) }
        let col = { (n: String) in rows.map { $0[names.firstIndex(of: n)!] } }
        XCTAssertGreaterThan(col("replay_updates").reduce(0, +), 0)
        XCTAssertEqual(col("std")[0], exp(-0.5), accuracy: 0.01)
        XCTAssertNotEqual(col("std").last!, col("std")[0])
        // the critic learns: Q̃'s explained variance of Q^ret rises (≈ 0.01 over the first 50 updates,
        // ≈ 0.2 over the last 50 when this was written)
        let ev = col("explained_variance")
        XCTAssertGreaterThan(ev.suffix(50).reduce(0, +) / 50, ev.prefix(50).reduce(0, +) / 50 + 0.1, "the critic learns")
        XCTAssertEqual(col("avg_rho")[0], 1, "on-policy: ρ = 1")
        XCTAssertEqual(ta.episodes.count, 300 * 40 / 200, "Pendulum's 200-step episodes, all truncated")
        XCTAssert(ta.episodes.allSatisfy { $0.length == 200 })
        // the greedy action is the policy mean, unclipped
        var obs: [Float] = [1, 0, 0], act: [Float] = [0]
        a.greedyAction(&obs, into: &act)
        XCTAssert(act[0].isFinite)
    }
}
