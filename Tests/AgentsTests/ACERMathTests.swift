import Agents
import Foundation
import NN
import XCTest

// ACER's pure math (Sources/Agents/ACERMath.swift) against
//  * the float64 NumPy oracle in Tests/fixtures/acer/ (make_fixtures.py → fixtures.json; written from
//    ALGORITHMS.md §4, gradients by finite differences), replayed the way ACER.train chains the
//    functions for one environment stream, and
//  * small hand-checkable cases and reductions (rlax style).
//
// Tolerances: closed forms (Retrace, fTerm, bcTerm, H, the projection of given g and k) agree with
// NumPy to rounding, checked at 1e-12 relative; anything compared with a finite difference (g = ∂J/∂f,
// k, ∂J/∂z, ∂L/∂z) at 1e-6 relative — the generator's own error estimate for its 4th-order stencils
// is below 1e-10 relative to each vector's max-norm.

// MARK: - fixture file

struct ACERFixtureFile: Decodable {
    let seed: Int
    let segments: [ACERFixtureSegment]
}

struct ACERFixtureSegment: Decodable {
    let name: String
    let nA: Int, n: Int, B: Int
    let gamma: Double, c: Double, entCoef: Double, qCoef: Double
    let retrace: Bool, biasCorrection: Bool
    let deltaF: Double, deltaZ: Double
    let actions: [Int]
    let rewards: [Double]
    let terminated: [Bool], truncated: [Bool], d: [Bool]
    let b: [Double]
    let logitsLast: [Double], qLast: [Double]
    let rho: [Double], qA: [Double], v: [Double]
    let bootstrap: Double
    let qret: [Double]
    let samples: [ACERFixtureSample]

    enum CodingKeys: String, CodingKey {
        case name, nA, n, B, gamma, c, retrace, actions, rewards, terminated, truncated, d, b, rho, v, bootstrap, qret, samples
        case entCoef = "ent_coef", qCoef = "q_coef", biasCorrection = "bias_correction"
        case deltaF = "delta_f", deltaZ = "delta_z", logitsLast = "logits_last", qLast = "q_last", qA = "q_a"
    }
}

struct ACERFixtureSample: Decodable {
    let logits: [Double], avgLogits: [Double], mu: [Double], q: [Double]
    let action: Int
    let qret: Double
    let fTerm: Double, bcTerm: Double, entropy: Double
    let g: [Double]
    let kFFd: [Double], kZFd: [Double], gZ: [Double]
    let zF: [Double], adjF: Double, activeF: Bool
    let zZ: [Double], adjZ: Double, activeZ: Bool
    let dLdz: [Double]

    enum CodingKeys: String, CodingKey {
        case logits, mu, q, action, qret, fTerm, bcTerm, entropy, g
        case avgLogits = "avg_logits", kFFd = "k_f_fd", kZFd = "k_z_fd", gZ = "g_z"
        case zF = "z_f", adjF = "adj_f", activeF = "active_f", zZ = "z_z", adjZ = "adj_z", activeZ = "active_z"
        case dLdz = "dL_dz"
    }
}

enum ACERFixtures {
    /// Tests/fixtures/acer/fixtures.json, found from this source file's path.
    static let url = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()   // AgentsTests
        .deletingLastPathComponent()   // Tests
        .appendingPathComponent("fixtures/acer/fixtures.json")

    static func load() throws -> ACERFixtureFile {
        let data = try Data(contentsOf: url)
        return try JSONDecoder().decode(ACERFixtureFile.self, from: data)
    }
}

// MARK: - helpers (Double, written here; not the code under test)

/// log-softmax in Double (max-shifted).
func acerLogSoftmax(_ z: [Double]) -> [Double] {
    let m = z.max()!
    let lse = m + log(z.reduce(0) { $0 + exp($1 - m) })
    return z.map { $0 - lse }
}

func acerDot(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }
func acerMaxAbs(_ a: [Double]) -> Double { a.reduce(0) { max($0, abs($1)) } }

/// Element-wise `|got − expected| ≤ rtol·max(|expected_i|, floor·‖expected‖∞) + atol`.
/// The floor keeps entries that are tiny next to the vector's largest from demanding more than the
/// reference's absolute accuracy.
func acerAssertClose(_ got: [Double], _ expected: [Double], rtol: Double, floor: Double = 1e-3, atol: Double = 1e-15,
                     _ what: @autoclosure () -> String, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(got.count, expected.count, "\(what()): count", file: file, line: line)
    let scale = acerMaxAbs(expected)
    for i in 0..<min(got.count, expected.count) {
        let tol = rtol * max(abs(expected[i]), floor * scale) + atol
        if !(abs(got[i] - expected[i]) <= tol) {
            XCTFail("\(what())[\(i)]: got \(got[i]), expected \(expected[i]) (|Δ| \(abs(got[i] - expected[i])) > tol \(tol)); got \(got), expected \(expected)",
                    file: file, line: line)
            return
        }
    }
}

func acerAssertClose(_ got: Double, _ expected: Double, rtol: Double, atol: Double = 1e-15,
                     _ what: @autoclosure () -> String, file: StaticString = #filePath, line: UInt = #line) {
    let tol = rtol * abs(expected) + atol
    XCTAssert(abs(got - expected) <= tol, "\(what()): got \(got), expected \(expected) (|Δ| \(abs(got - expected)) > tol \(tol))",
              file: file, line: line)
}

// MARK: - tests

final class ACERMathTests: XCTestCase {
    static let closed = 1e-12   // closed forms vs NumPy
    static let fd = 1e-6        // vs NumPy finite differences

    func fixtures() throws -> ACERFixtureFile {
        let file = try ACERFixtures.load()
        XCTAssertGreaterThanOrEqual(file.segments.count, 8, "fixture segments")
        return file
    }

    // MARK: fixture cases

    /// The fixture covers what the generator promises (guards against a regenerated, thinner file).
    func testFixtureCoverage() throws {
        let segs = try fixtures().segments
        XCTAssertEqual(Set(segs.map(\.nA)), [2, 3, 4])
        XCTAssertEqual(Set(segs.map(\.n)), [1, 5, 8])
        XCTAssertEqual(Set(segs.map { "\($0.retrace)/\($0.biasCorrection)" }), ["true/true", "true/false", "false/true", "false/false"])
        XCTAssert(segs.contains { s in s.retrace && zip(s.truncated, s.b).contains { $0 && $1 != 0 } }, "truncation with b ≠ 0")
        XCTAssert(segs.contains { s in s.terminated.dropLast().contains(true) }, "terminal mid-segment")
        let samples = segs.flatMap(\.samples)
        XCTAssert(samples.contains { $0.activeF } && samples.contains { !$0.activeF })
        XCTAssert(samples.contains { $0.activeZ } && samples.contains { !$0.activeZ })
        let ratiosOverC = segs.flatMap { s in zip(s.rho, s.samples).map { $0.0 / s.c } }
        XCTAssert(ratiosOverC.contains { $0 > 1 } && ratiosOverC.contains { $0 < 1 }, "ρ(a) above and below c")
    }

    /// `retraceTargets` on the stored inputs (r, d, ρ_i, Q(x_i, a_i), V, b, bootstrap) vs the oracle's
    /// unrolled-sum Q^ret.
    func testFixtureRetraceTargets() throws {
        for s in try fixtures().segments {
            let got = retraceTargets(r_i: s.rewards, d_i: s.d, rho_i: s.rho, q_i: s.qA, v_i: s.v, b_i: s.b,
                                     bootstrap: s.bootstrap, gamma: s.gamma, retrace: s.retrace)
            acerAssertClose(got, s.qret, rtol: Self.closed, floor: 1, atol: 1e-14, "\(s.name) Q^ret")
        }
    }

    /// The per-segment inputs built from the network outputs as ACER.train builds them
    /// (f = exp(log-softmax), V = Σ f·Q, ρ_i = f(a_i)/μ(a_i), d_i = terminated ∨ truncated), then Retrace.
    func testFixtureSegmentAsInTrain() throws {
        for s in try fixtures().segments {
            var rho = [Double](), qa = [Double](), v = [Double](), d = [Bool]()
            for (t, x) in s.samples.enumerated() {
                let f = acerLogSoftmax(x.logits).map { exp($0) }
                XCTAssertEqual(x.action, s.actions[t])
                rho.append(f[x.action] / x.mu[x.action]); qa.append(x.q[x.action]); v.append(acerDot(f, x.q))
                d.append(s.terminated[t] || s.truncated[t])
            }
            XCTAssertEqual(d, s.d, s.name)
            acerAssertClose(rho, s.rho, rtol: Self.closed, "\(s.name) ρ")
            acerAssertClose(qa, s.qA, rtol: 0, atol: 0, "\(s.name) Q(x,a)")
            acerAssertClose(v, s.v, rtol: Self.closed, floor: 1, "\(s.name) V")
            let boot = acerDot(acerLogSoftmax(s.logitsLast).map { exp($0) }, s.qLast)
            acerAssertClose(boot, s.bootstrap, rtol: Self.closed, atol: 1e-14, "\(s.name) bootstrap")
            let got = retraceTargets(r_i: s.rewards, d_i: d, rho_i: rho, q_i: qa, v_i: v, b_i: s.b,
                                     bootstrap: boot, gamma: s.gamma, retrace: s.retrace)
            acerAssertClose(got, s.qret, rtol: Self.closed, floor: 1, atol: 1e-14, "\(s.name) Q^ret")
        }
    }

    /// fTerm, bcTerm, H (closed forms) and g = ∂J/∂f (vs NumPy's finite differences of J with the
    /// stop-gradient brackets frozen at the base point).
    func testFixturePolicyTerms() throws {
        for s in try fixtures().segments {
            for (t, x) in s.samples.enumerated() {
                let what = "\(s.name) t=\(t)"
                let terms = acerPolicyTerms(logf: acerLogSoftmax(x.logits), mu: x.mu, q: x.q, action: x.action, qret: x.qret,
                                            c: s.c, entCoef: s.entCoef, biasCorrection: s.biasCorrection)
                acerAssertClose(terms.fTerm, x.fTerm, rtol: Self.closed, atol: 1e-14, "\(what) fTerm")
                acerAssertClose(terms.bcTerm, x.bcTerm, rtol: Self.closed, atol: 1e-14, "\(what) bcTerm")
                acerAssertClose(terms.entropy, x.entropy, rtol: Self.closed, atol: 1e-14, "\(what) entropy")
                acerAssertClose(terms.g, x.g, rtol: Self.fd, "\(what) g = ∂J/∂f")
                if !s.biasCorrection { XCTAssertEqual(terms.bcTerm, 0, what) }
            }
        }
    }

    /// k for both statistics vs finite differences of KL(f_avg ‖ f) (φ = f) and KL(f_avg ‖ softmax(z)) (φ = z).
    func testFixtureKLGradients() throws {
        for s in try fixtures().segments {
            for (t, x) in s.samples.enumerated() {
                let f = acerLogSoftmax(x.logits).map { exp($0) }, fAvg = acerLogSoftmax(x.avgLogits).map { exp($0) }
                acerAssertClose(klGradientWrtProbabilities(fAvg: fAvg, f: f), x.kFFd, rtol: Self.fd, "\(s.name) t=\(t) k (φ = f)")
                acerAssertClose(klGradientWrtLogits(fAvg: fAvg, f: f), x.kZFd, rtol: Self.fd, "\(s.name) t=\(t) k (φ = logits)")
            }
        }
    }

    /// `trustRegionProject` on the stored g (and k from the closed forms) vs the oracle's half-space
    /// projection, for φ = f (δ_f) and φ = logits (δ_z); the constraint is active for some samples.
    func testFixtureTrustRegionProjection() throws {
        for s in try fixtures().segments {
            for (t, x) in s.samples.enumerated() {
                let f = acerLogSoftmax(x.logits).map { exp($0) }, fAvg = acerLogSoftmax(x.avgLogits).map { exp($0) }
                for (form, g, k, delta, z, adj, active) in [
                    ("φ = f", x.g, klGradientWrtProbabilities(fAvg: fAvg, f: f), s.deltaF, x.zF, x.adjF, x.activeF),
                    ("φ = logits", x.gZ, klGradientWrtLogits(fAvg: fAvg, f: f), s.deltaZ, x.zZ, x.adjZ, x.activeZ),
                ] {
                    let what = "\(s.name) t=\(t) \(form)"
                    let p = trustRegionProject(g: g, k: k, delta: delta)
                    // z* is of the size of g or δ/‖k‖; compare at 1e-12 of that scale
                    let scale = max(acerMaxAbs(g), abs(delta) / acerDot(k, k).squareRoot())
                    acerAssertClose(p.z, z, rtol: Self.closed, floor: 0, atol: Self.closed * scale, "\(what) z*")
                    acerAssertClose(p.adj, adj, rtol: 1e-10, atol: Self.closed * scale / acerDot(k, k).squareRoot(), "\(what) adj")
                    XCTAssertEqual(p.adj > 0, active, "\(what) active")
                    if !active { XCTAssertEqual(p.z, g, "\(what): slack projection is the identity") }
                }
            }
        }
    }

    /// The whole per-sample chain of ACER.train for φ = f, with Swift's own Q^ret: g → k = −f_avg/f →
    /// projection → ∂L/∂f = −z*/B → softmaxBackward, vs NumPy's finite differences of
    /// z ↦ Σ_j ∂L/∂f_j·softmax(z)_j; and softmaxBackward(f, g) vs NumPy's ∂J(softmax(z))/∂z.
    func testFixtureLogitGradientAfterProjection() throws {
        for s in try fixtures().segments {
            var rho = [Double](), qa = [Double](), v = [Double]()
            let logfs = s.samples.map { acerLogSoftmax($0.logits) }
            for (t, x) in s.samples.enumerated() {
                let f = logfs[t].map { exp($0) }
                rho.append(f[x.action] / x.mu[x.action]); qa.append(x.q[x.action]); v.append(acerDot(f, x.q))
            }
            let qret = retraceTargets(r_i: s.rewards, d_i: s.d, rho_i: rho, q_i: qa, v_i: v, b_i: s.b,
                                      bootstrap: s.bootstrap, gamma: s.gamma, retrace: s.retrace)
            for (t, x) in s.samples.enumerated() {
                let what = "\(s.name) t=\(t)"
                let f = logfs[t].map { exp($0) }, fAvg = acerLogSoftmax(x.avgLogits).map { exp($0) }
                let terms = acerPolicyTerms(logf: logfs[t], mu: x.mu, q: x.q, action: x.action, qret: qret[t],
                                            c: s.c, entCoef: s.entCoef, biasCorrection: s.biasCorrection)
                acerAssertClose(softmaxBackward(f: f, dL_df: terms.g), x.gZ, rtol: Self.fd, "\(what) ∂J/∂z")
                let k = klGradientWrtProbabilities(fAvg: fAvg, f: f)
                let (z, adj) = trustRegionProject(g: terms.g, k: k, delta: s.deltaF)
                XCTAssertEqual(adj > 0, x.activeF, "\(what) active")
                let invB = 1 / Double(s.B)
                let dz = softmaxBackward(f: f, dL_df: z.map { -$0 * invB })
                acerAssertClose(dz, x.dLdz, rtol: Self.fd, "\(what) ∂L/∂logits")
            }
        }
    }

    // MARK: Retrace, by hand and reductions

    /// γ = ½, r = (1, 2, 3), ρ = (2, ½, 1), Q(x_i, a_i) = 1, V = (0, 2, 4), bootstrap 4:
    /// i=2: 3 + ½·4 = 5, carry 1·(5−1)+4 = 8; i=1: 2 + ½·8 = 6, carry ½·(6−1)+2 = 4.5; i=0: 1 + ½·4.5 = 3.25.
    func testRetraceByHand() {
        let r = [1.0, 2, 3], rho = [2.0, 0.5, 1], q = [1.0, 1, 1], v = [0.0, 2, 4], zero = [0.0, 0, 0]
        XCTAssertEqual(retraceTargets(r_i: r, d_i: [false, false, false], rho_i: rho, q_i: q, v_i: v, b_i: zero,
                                      bootstrap: 4, gamma: 0.5), [3.25, 6, 5])
        // terminal at i=1: Q^ret_1 = 2, carry ½·(2−1)+2 = 2.5, Q^ret_0 = 1 + 1.25
        XCTAssertEqual(retraceTargets(r_i: r, d_i: [false, true, false], rho_i: rho, q_i: q, v_i: v, b_i: zero,
                                      bootstrap: 4, gamma: 0.5), [2.25, 2, 5])
        // truncation at i=1 with V(final obs) = 6: Q^ret_1 = 2 + 3 = 5, carry ½·(5−1)+2 = 4, Q^ret_0 = 1 + 2
        XCTAssertEqual(retraceTargets(r_i: r, d_i: [false, true, false], rho_i: rho, q_i: q, v_i: v, b_i: [0, 6, 0],
                                      bootstrap: 4, gamma: 0.5), [3, 5, 5])
        // retrace off: plain returns 3 + 2 = 5, 2 + 2.5 = 4.5, 1 + 2.25 = 3.25
        XCTAssertEqual(retraceTargets(r_i: r, d_i: [false, false, false], rho_i: rho, q_i: q, v_i: v, b_i: zero,
                                      bootstrap: 4, gamma: 0.5, retrace: false), [3.25, 4.5, 5])
    }

    /// retrace = false ignores ρ, Q and V and equals the n-step return (`nStepReturns`, mask = 1 − d)
    /// when episode ends are terminals; with all ρ = 1 and Q(x_i, a_i) = V(x_i) Retrace's correction
    /// vanishes and it is the n-step return too.
    func testRetraceReducesToNStepReturn() {
        var rng = RNG(seed: 11, stream: RNG.label("acer-retrace-nstep"))
        for n in [1, 5, 8, 13] {
            let r = (0..<n).map { _ in rng.normal() }
            let d = (0..<n).map { _ in rng.uniform() < 0.25 }
            let rho = (0..<n).map { _ in 3 * rng.uniform() }, q = (0..<n).map { _ in rng.normal() }
            let v = (0..<n).map { _ in rng.normal() }, zero = [Double](repeating: 0, count: n)
            let boot = rng.normal(), gamma = 0.9
            let expected = nStepReturns(r_t: r, mask_t: d.map { $0 ? 0 : 1 }, gamma: gamma, bootstrap: boot)
            acerAssertClose(retraceTargets(r_i: r, d_i: d, rho_i: rho, q_i: q, v_i: v, b_i: zero, bootstrap: boot,
                                           gamma: gamma, retrace: false), expected, rtol: 1e-14, floor: 1, "n=\(n) retrace off")
            acerAssertClose(retraceTargets(r_i: r, d_i: d, rho_i: [Double](repeating: 1, count: n), q_i: v, v_i: v, b_i: zero,
                                           bootstrap: boot, gamma: gamma), expected, rtol: 1e-12, floor: 1, "n=\(n) ρ=1, Q=V")
            // with truncations: R ← r_i + γ·(d_i ? b_i : R)
            let b = d.map { $0 ? rng.normal() : 0 }
            var R = boot, withB = zero
            for i in stride(from: n - 1, through: 0, by: -1) { R = r[i] + gamma * (d[i] ? b[i] : R); withB[i] = R }
            acerAssertClose(retraceTargets(r_i: r, d_i: d, rho_i: rho, q_i: q, v_i: v, b_i: b, bootstrap: boot,
                                           gamma: gamma, retrace: false), withB, rtol: 1e-14, floor: 1, "n=\(n) retrace off, b")
        }
    }

    /// ρ = 0 cuts the trace: Q^ret_i = r_i + γ·V(x_{i+1}) when step i did not end an episode
    /// (i < n−1), r_i + γ·b_i when it did, r_{n−1} + γ·bootstrap at the segment's end.
    func testRetraceZeroRatioCutsTrace() {
        var rng = RNG(seed: 12, stream: RNG.label("acer-retrace-cut"))
        let n = 8, gamma = 0.95
        let r = (0..<n).map { _ in rng.normal() }, q = (0..<n).map { _ in rng.normal() }, v = (0..<n).map { _ in rng.normal() }
        let d = [false, false, true, false, false, true, false, false]
        let b = d.map { $0 ? rng.normal() : 0 }, boot = rng.normal()
        let got = retraceTargets(r_i: r, d_i: d, rho_i: [Double](repeating: 0, count: n), q_i: q, v_i: v, b_i: b,
                                 bootstrap: boot, gamma: gamma)
        for i in 0..<n {
            let next = d[i] ? b[i] : (i == n - 1 ? boot : v[i + 1])
            XCTAssertEqual(got[i], r[i] + gamma * next, accuracy: 1e-14, "i=\(i)")
        }
    }

    // MARK: policy terms

    /// nA = 2, f = (½, ½), μ = (¼, ¾), Q = (1, 3), a = 0, Q^ret = 4, c = 1.5: V = 2, ρ = (2, ⅔),
    /// fTerm = log ½·(4−2)·1.5 = 3 log ½, g_0 = 3/½ = 6; bias correction only for b = 0 (ρ = 2 > c):
    /// w_0 = (1−2)·(1 − 1.5/2) = −¼, bcTerm = log ½·(−¼)·½; entropy log 2, ent_coef 0.1 adds −0.1·(log ½ + 1).
    func testPolicyTermsByHand() {
        let logf = [log(0.5), log(0.5)]
        let t = acerPolicyTerms(logf: logf, mu: [0.25, 0.75], q: [1, 3], action: 0, qret: 4, c: 1.5, entCoef: 0.1)
        XCTAssertEqual(t.fTerm, 3 * log(0.5), accuracy: 1e-15)
        XCTAssertEqual(t.bcTerm, log(0.5) * -0.25 * 0.5, accuracy: 1e-15)
        XCTAssertEqual(t.entropy, log(2.0), accuracy: 1e-15)
        let e = -0.1 * (log(0.5) + 1)
        acerAssertClose(t.g, [6 - 0.25 + e, 0 + e], rtol: 1e-15, atol: 1e-15, "g")
        let noBC = acerPolicyTerms(logf: logf, mu: [0.25, 0.75], q: [1, 3], action: 0, qret: 4, c: 1.5, entCoef: 0.1, biasCorrection: false)
        XCTAssertEqual(noBC.bcTerm, 0)
        acerAssertClose(noBC.g, [6 + e, e], rtol: 1e-15, atol: 1e-15, "g without bias correction")
        // ρ(a) = ⅔ < c: no truncation of the first term, (4 − 2)·⅔/½ for action 1
        let a1 = acerPolicyTerms(logf: logf, mu: [0.25, 0.75], q: [1, 3], action: 1, qret: 4, c: 1.5, entCoef: 0)
        XCTAssertEqual(a1.fTerm, log(0.5) * 2 * (2.0 / 3), accuracy: 1e-15)
        acerAssertClose(a1.g, [-0.25, 2 * (2.0 / 3) / 0.5], rtol: 1e-15, atol: 1e-15, "g, a = 1")
    }

    /// Every ρ(b) ≤ c: the bias-correction term and its gradient vanish by themselves.
    func testBiasCorrectionVanishesWhenRatiosAtMostC() {
        var rng = RNG(seed: 13, stream: RNG.label("acer-bc-vanish"))
        for nA in 2...5 {
            for _ in 0..<20 {
                let logf = acerLogSoftmax((0..<nA).map { _ in rng.normal() })
                let f = logf.map { exp($0) }
                let mu = acerLogSoftmax((0..<nA).map { _ in rng.normal() }).map { exp($0) }
                let c = zip(f, mu).map { $0 / $1 }.max()! * (1 + rng.uniform())   // c ≥ every ratio
                let q = (0..<nA).map { _ in rng.normal() }, a = rng.int(below: nA), qret = rng.normal()
                let on = acerPolicyTerms(logf: logf, mu: mu, q: q, action: a, qret: qret, c: c, entCoef: 0.01)
                let off = acerPolicyTerms(logf: logf, mu: mu, q: q, action: a, qret: qret, c: c, entCoef: 0.01, biasCorrection: false)
                XCTAssertEqual(on.bcTerm, 0)
                XCTAssertEqual(on.g, off.g)
                XCTAssertEqual(on.fTerm, off.fTerm)
            }
        }
        // exactly at c: max(0, 1 − c/ρ) = 0
        let t = acerPolicyTerms(logf: [log(0.5), log(0.5)], mu: [0.25, 0.75], q: [1, 3], action: 1, qret: 0, c: 2, entCoef: 0)
        XCTAssertEqual(t.bcTerm, 0)
    }

    // MARK: trust region

    func testProjectionByHand() {
        // k·g = 3 > δ = 1: adj = (3 − 1)/1 = 2, z = (3 − 2, 4)
        let p = trustRegionProject(g: [3, 4], k: [1, 0], delta: 1)
        XCTAssertEqual(p.adj, 2); XCTAssertEqual(p.z, [1, 4])
        // k = (1, 1), g = (2, 2): k·g = 4, δ = 2, adj = (4 − 2)/2 = 1, z = (1, 1)
        let q = trustRegionProject(g: [2, 2], k: [1, 1], delta: 2)
        XCTAssertEqual(q.adj, 1); XCTAssertEqual(q.z, [1, 1])
        // k = 0: nothing to project on
        let zeroK = trustRegionProject(g: [2, -1], k: [0, 0], delta: 0)
        XCTAssertEqual(zeroK.adj, 0); XCTAssertEqual(zeroK.z, [2, -1])
    }

    /// Slack (kᵀg ≤ δ): the identity. Active: kᵀz* = δ (so ≤ δ + 1e-12), g − z* = adj·k with adj > 0,
    /// and z* is the closest point of the half-space (no feasible random point is closer).
    func testProjectionIdentityWhenSlackAndFeasibleWhenActive() {
        var rng = RNG(seed: 14, stream: RNG.label("acer-projection"))
        var slack = 0, active = 0
        for _ in 0..<400 {
            let n = 2 + rng.int(below: 4)
            let g = (0..<n).map { _ in 3 * rng.normal() }, k = (0..<n).map { _ in rng.normal() }
            let delta = rng.uniform(0, 2)
            let kg = acerDot(k, g), kk = acerDot(k, k)
            let p = trustRegionProject(g: g, k: k, delta: delta)
            if kg <= delta {
                slack += 1
                XCTAssertEqual(p.z, g); XCTAssertEqual(p.adj, 0)
            } else {
                active += 1
                let scale = max(acerMaxAbs(g) * kk.squareRoot(), delta, 1)
                XCTAssertLessThanOrEqual(acerDot(k, p.z), delta + 1e-12 * scale)
                XCTAssertEqual(acerDot(k, p.z), delta, accuracy: 1e-12 * scale)
                XCTAssertGreaterThan(p.adj, 0)
                XCTAssertEqual(p.adj, (kg - delta) / kk, accuracy: 1e-12 * max(1, p.adj))
                for j in 0..<n { XCTAssertEqual(g[j] - p.z[j], p.adj * k[j], accuracy: 1e-12 * scale) }
                // optimality: random feasible points are no closer to g
                let dist = zip(g, p.z).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
                for _ in 0..<5 {
                    var y = (0..<n).map { _ in 3 * rng.normal() }
                    let ky = acerDot(k, y)
                    if ky > delta { y = zip(y, k).map { $0 - (ky - delta) / kk * $1 } }   // onto the boundary
                    let dy = zip(g, y).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
                    XCTAssertGreaterThanOrEqual(dy, dist * (1 - 1e-12))
                }
            }
        }
        XCTAssert(slack > 50 && active > 50, "both regimes exercised: slack \(slack), active \(active)")
    }

    func testKLGradientsAndSoftmaxBackwardByHand() {
        XCTAssertEqual(klGradientWrtProbabilities(fAvg: [0.25, 0.75], f: [0.5, 0.5]), [-0.5, -1.5])
        XCTAssertEqual(klGradientWrtLogits(fAvg: [0.25, 0.75], f: [0.5, 0.5]), [0.25, -0.25])
        // f_avg = f: KL at its minimum in the logits, and k·(any softmax direction) = −1 for φ = f
        XCTAssertEqual(klGradientWrtLogits(fAvg: [0.2, 0.3, 0.5], f: [0.2, 0.3, 0.5]), [0, 0, 0])
        // softmaxBackward: Σ_j f_j·dL/df_j = ½ → ½·(1 − ½), ½·(0 − ½)
        XCTAssertEqual(softmaxBackward(f: [0.5, 0.5], dL_df: [1, 0]), [0.25, -0.25])
        // a constant ∂L/∂f has no effect through the softmax
        let c = softmaxBackward(f: [0.2, 0.3, 0.5], dL_df: [7, 7, 7])
        for x in c { XCTAssertEqual(x, 0, accuracy: 1e-15) }
        // chain rule: softmaxBackward(f, ∂KL/∂f) = ∂KL/∂z
        let f = [0.1, 0.6, 0.3], fAvg = [0.3, 0.3, 0.4]
        acerAssertClose(softmaxBackward(f: f, dL_df: klGradientWrtProbabilities(fAvg: fAvg, f: f)),
                        klGradientWrtLogits(fAvg: fAvg, f: f), rtol: 1e-14, atol: 1e-15, "∂KL/∂z via the chain rule")
    }

    // MARK: Poisson

    func testPoissonMeanAndZero() {
        var rng = RNG(seed: 15, stream: RNG.label("acer-poisson"))
        let before = rng
        for _ in 0..<1000 { XCTAssertEqual(poisson(0, uniform: &rng), 0) }
        XCTAssertEqual(rng, before, "λ = 0 draws no uniforms")
        XCTAssertEqual(poisson(-1, uniform: &rng), 0)
        let draws = 20_000
        for lambda in [0.0, 1, 4] {
            var sum = 0.0, sumSq = 0.0
            for _ in 0..<draws {
                let k = poisson(lambda, uniform: &rng)
                XCTAssertGreaterThanOrEqual(k, 0)
                sum += Double(k); sumSq += Double(k * k)
            }
            let mean = sum / Double(draws), variance = sumSq / Double(draws) - mean * mean
            // standard error of the mean √(λ/20 000): 0.007 (λ = 1), 0.014 (λ = 4); allow 5 of them
            XCTAssertEqual(mean, lambda, accuracy: 5 * (lambda / Double(draws)).squareRoot() + 1e-12, "mean, λ = \(lambda)")
            // a Poisson's variance is λ too (sd of the sample variance ≈ √((λ + 2λ²)/n))
            XCTAssertEqual(variance, lambda, accuracy: 5 * ((lambda + 2 * lambda * lambda) / Double(draws)).squareRoot() + 1e-12,
                           "variance, λ = \(lambda)")
        }
    }
}
