import Foundation
import NN
import TestSupport
import XCTest

// The policy-distribution seam (Sources/NN/Distributions.swift) against the float64 NumPy/SciPy
// oracle in Tests/fixtures/continuous/ (make_fixtures.py → fixtures.json: log-density and entropy
// from scipy.stats, KL by numerical integration, gradients by finite differences), plus finite
// differences of the Float code itself and sampling moments.

struct GaussianFixture: Decodable {
    let k: Int
    let phi: [Double], x: [Double], q: [Double]
    let logprob: Double, entropy: Double, kl: Double
    let dlogprob: [Double], dentropy: [Double], dkl_q: [Double], dkl_p: [Double]
}

struct ContinuousFixtureFile: Decodable {
    let gaussian: [GaussianFixture]
}

final class DistributionTests: XCTestCase {
    static let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("fixtures/continuous/fixtures.json")

    func fixtures() throws -> [GaussianFixture] {
        let f = try JSONDecoder().decode(ContinuousFixtureFile.self, from: Data(contentsOf: Self.url))
        XCTAssertGreaterThanOrEqual(f.gaussian.count, 8)
        return f.gaussian
    }

    func testGaussianAgainstSciPy() throws {
        for (i, c) in try fixtures().enumerated() {
            let phi = c.phi.map(Float.init), x = c.x.map(Float.init), q = c.q.map(Float.init)
            let d = PolicyDistribution.gaussian(c.k)
            let tol = { (v: Double) in 2e-6 * max(1, abs(v)) }
            XCTAssertEqual(Double(d.logProb(phi, action: x)), c.logprob, accuracy: 4 * tol(c.logprob), "case \(i) log-prob")
            XCTAssertEqual(Double(d.entropy(phi)), c.entropy, accuracy: tol(c.entropy), "case \(i) entropy")
            XCTAssertEqual(Double(d.kl(phi, q)), c.kl, accuracy: 4 * tol(c.kl), "case \(i) KL")
            func grad(_ f: (UnsafeMutablePointer<Float>) -> Void) -> [Float] {
                var g = [Float](repeating: 0, count: 2 * c.k)
                g.withUnsafeMutableBufferPointer { f($0.baseAddress!) }
                return g
            }
            let scaleTol = { (v: [Double]) in 1e-5 * max(1, v.map(abs).max()!) }
            assertClose(grad { d.addLogProbGradient(phi, action: x, scale: 1, into: $0) }, c.dlogprob, tol: scaleTol(c.dlogprob), "case \(i) ∂log f/∂φ")
            assertClose(grad { d.addEntropyGradient(phi, scale: 1, into: $0) }, c.dentropy, tol: scaleTol(c.dentropy), "case \(i) ∂H/∂φ")
            assertClose(grad { d.addKLGradientSecond(phi, q, scale: 1, into: $0) }, c.dkl_q, tol: scaleTol(c.dkl_q), "case \(i) ∂KL/∂q")
            assertClose(grad { d.addKLGradientFirst(phi, q, scale: 1, into: $0) }, c.dkl_p, tol: scaleTol(c.dkl_p), "case \(i) ∂KL/∂p")
            // scale multiplies, and the gradient is added to what is there
            let twice = grad { d.addLogProbGradient(phi, action: x, scale: 1, into: $0); d.addLogProbGradient(phi, action: x, scale: 1, into: $0) }
            assertClose(twice, c.dlogprob.map { 2 * $0 }, tol: 2 * scaleTol(c.dlogprob), "case \(i) accumulates")
        }
    }

    /// Categorical members of the seam by central finite differences in Double of the Float
    /// functions' own definitions (log π from logits re-normalised at each point).
    func testCategoricalGradientsByFiniteDifferences() {
        var rng = RNG(seed: 3, stream: 1)
        for n in [2, 3, 5] {
            let d = PolicyDistribution.categorical(n)
            for _ in 0..<5 {
                let zp = rng.floats(n), zq = rng.floats(n)
                let a = Float(rng.int(below: n))
                func logSoftmax(_ z: [Double]) -> [Double] { let m = z.max()!; let l = m + log(z.reduce(0) { $0 + exp($1 - m) }); return z.map { $0 - l } }
                func lp(_ z: [Double]) -> Double { logSoftmax(z)[Int(a)] }
                func h(_ z: [Double]) -> Double { let l = logSoftmax(z); return -zip(l, l).reduce(0) { $0 + exp($1.0) * $1.1 } }
                func kl(_ p: [Double], _ q: [Double]) -> Double { let lp = logSoftmax(p), lq = logSoftmax(q); return (0..<n).reduce(0) { $0 + exp(lp[$1]) * (lp[$1] - lq[$1]) } }
                func fd(_ f: ([Double]) -> Double, _ z: [Float]) -> [Double] {
                    (0..<n).map { j in
                        var up = z.map(Double.init), dn = up
                        up[j] += 1e-5; dn[j] -= 1e-5
                        return (f(up) - f(dn)) / 2e-5
                    }
                }
                var sp = [Float](repeating: 0, count: n), sq = sp
                Categorical.logSoftmax(zp, n, into: &sp); Categorical.logSoftmax(zq, n, into: &sq)
                func grad(_ f: (UnsafeMutablePointer<Float>) -> Void) -> [Float] {
                    var g = [Float](repeating: 0, count: n); g.withUnsafeMutableBufferPointer { f($0.baseAddress!) }; return g
                }
                assertClose(grad { d.addLogProbGradient(sp, action: [a], scale: 1, into: $0) }, fd(lp, zp), tol: 1e-5, "∂log π/∂z")
                assertClose(grad { d.addEntropyGradient(sp, scale: 1, into: $0) }, fd(h, zp), tol: 1e-5, "∂H/∂z")
                assertClose(grad { d.addKLGradientSecond(sp, sq, scale: 1, into: $0) }, fd({ kl(zp.map(Double.init), $0) }, zq), tol: 1e-5, "∂KL/∂z_q")
                assertClose(grad { d.addKLGradientFirst(sp, sq, scale: 1, into: $0) }, fd({ kl($0, zq.map(Double.init)) }, zp), tol: 1e-5, "∂KL/∂z_p")
                XCTAssertEqual(Double(d.kl(sp, sq)), kl(zp.map(Double.init), zq.map(Double.init)), accuracy: 1e-6)
                XCTAssertEqual(Double(d.logProb(sp, action: [a])), lp(zp.map(Double.init)), accuracy: 1e-6)
                XCTAssertEqual(d.kl(sp, sp), 0, accuracy: 1e-6, "KL(p‖p) = 0")
            }
        }
    }

    /// Samples from the run's RNG have the distribution's moments (20 000 draws: the mean within 4
    /// standard errors, the variance within 5%), the same draws for the same stream, and the mode is
    /// the mean / the argmax.
    func testSamplingMomentsAndMode() {
        let phi: [Float] = [0.7, -1.2, log(0.5), log(2.0)]
        let d = PolicyDistribution.gaussian(2)
        var rng = RNG(seed: 11, stream: 2)
        var sum = [0.0, 0.0], sq = [0.0, 0.0]
        let n = 20_000
        var a = [Float](repeating: 0, count: 2)
        for _ in 0..<n {
            d.sample(phi, rng: &rng, into: &a)
            for j in 0..<2 { sum[j] += Double(a[j]); sq[j] += Double(a[j]) * Double(a[j]) }
        }
        for (j, sigma) in [0.5, 2.0].enumerated() {
            let mean = sum[j] / Double(n), variance = sq[j] / Double(n) - mean * mean
            XCTAssertEqual(mean, Double(phi[j]), accuracy: 4 * sigma / Double(n).squareRoot(), "component \(j) mean")
            XCTAssertEqual(variance, sigma * sigma, accuracy: 0.05 * sigma * sigma, "component \(j) variance")
        }
        var r1 = RNG(seed: 4, stream: 4), r2 = RNG(seed: 4, stream: 4)
        var b1 = [Float](repeating: 0, count: 2), b2 = b1
        for _ in 0..<100 { d.sample(phi, rng: &r1, into: &b1); d.sample(phi, rng: &r2, into: &b2); XCTAssertEqual(b1, b2) }
        d.mode(phi, into: &a)
        XCTAssertEqual(a, [0.7, -1.2])
        let c = PolicyDistribution.categorical(3)
        var lp = [Float](repeating: 0, count: 3)
        Categorical.logSoftmax([0.1, 2, -1], 3, into: &lp)
        c.mode(lp, into: &a)
        XCTAssertEqual(a[0], 1)
        XCTAssertEqual(d.statisticsCount, 4); XCTAssertEqual(d.actionDimension, 2); XCTAssertEqual(c.statisticsCount, 3); XCTAssertEqual(c.actionDimension, 1)
    }
}
