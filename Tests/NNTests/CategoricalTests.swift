import Foundation
import NN
import TestSupport
import XCTest

final class CategoricalTests: XCTestCase {
    // Double references, written out independently of the code under test.
    static func logSumExp(_ z: [Double]) -> Double {
        let m = z.max()!
        return m + log(z.reduce(0) { $0 + exp($1 - m) })
    }
    static func negLogProb(_ z: [Double], _ a: Int) -> Double { logSumExp(z) - z[a] }
    static func entropy(_ z: [Double]) -> Double {
        let lse = logSumExp(z)
        return -z.reduce(0) { $0 + exp($1 - lse) * ($1 - lse) }
    }
    static func logSoftmax(_ z: [Float]) -> [Float] {
        var out = [Float](repeating: 0, count: z.count)
        Categorical.logSoftmax(z, z.count, into: &out)
        return out
    }

    static let logitCases: [[Float]] = [
        [0], [0, 0], [1, 2, 3], [-1.5, 0.3, 2.2, 0.7], [5, -5, 0, 0.01, 3.3, -2.2, 1],
        [1000, 1001, 999],        // large: overflows without the max shift
        [-1000, -1002, -1001.5],  // very negative: underflows without the max shift
        [20, -20, 0],             // one near-certain action
    ]

    /// Rounding allowance for logits of magnitude up to |z|max: `logSoftmax` forms `lse = m + log s`
    /// in Float, which rounds to half an ulp of |z|max before the subtraction (6e-5 at |z| = 1000,
    /// 1.9e-6 at 50); below |z| ≈ 16 the 2e-6 floor dominates.
    static func tol(_ z: [Float]) -> Double { 2e-6 + Double(z.map(abs).max()!.ulp) }

    func testLogSoftmaxMatchesDoubleReferenceAndNormalises() {
        for z in Self.logitCases {
            let lp = Self.logSoftmax(z)
            let zd = z.map(Double.init), lse = Self.logSumExp(zd)
            assertClose(lp, zd.map { $0 - lse }, tol: Self.tol(z), "logits \(z)")
            let total = lp.reduce(0.0) { $0 + exp(Double($1)) }
            XCTAssertEqual(total, 1, accuracy: Self.tol(z), "logits \(z)")
            XCTAssert(lp.allSatisfy { $0 <= 0 && $0.isFinite }, "logits \(z): \(lp)")
        }
        // Shift invariance: adding a constant to every logit changes nothing (up to rounding).
        let a = Self.logSoftmax([0.1, 0.2, 0.7]), b = Self.logSoftmax([10.1, 10.2, 10.7])
        assertClose(a, b.map(Double.init), tol: 2e-6, "shift")
    }

    func testEntropyMatchesDoubleReference() {
        for z in Self.logitCases {
            let lp = Self.logSoftmax(z)
            let h = Categorical.entropy(lp, z.count)
            let ref = Self.entropy(z.map(Double.init))
            // A common error δ in log π moves H by (1 − H)·δ at most in size (1 + log n)·δ.
            XCTAssertEqual(Double(h), ref, accuracy: (1 + log(Double(z.count))) * Self.tol(z), "logits \(z)")
        }
        // Uniform over n: H = log n; one-hot: H = 0.
        for n in [1, 2, 3, 6] {
            XCTAssertEqual(Double(Categorical.entropy(Self.logSoftmax([Float](repeating: 0.5, count: n)), n)), log(Double(n)), accuracy: 1e-6)
        }
        XCTAssertEqual(Double(Categorical.entropy(Self.logSoftmax([200, 0, 0]), 3)), 0, accuracy: 1e-6)
    }

    /// Inversion of the CDF: `sample(u)` is the smallest i with u < π₀ + … + π_i.
    func testSampleInvertsTheCDF() {
        let probs: [Double] = [0.1, 0.2, 0.3, 0.4]
        let lp = probs.map { Float(log($0)) }
        let cdf = [0.1, 0.3, 0.6, 1.0]
        for k in 0..<1000 {
            let u = (Double(k) + 0.5) / 1000
            if cdf.contains(where: { abs($0 - u) < 1e-5 }) { continue }
            let expected = cdf.firstIndex { u < $0 }!
            XCTAssertEqual(Categorical.sample(lp, 4, u: Float(u)), expected, "u = \(u)")
        }
        XCTAssertEqual(Categorical.sample(lp, 4, u: 0), 0)
        XCTAssertEqual(Categorical.sample(lp, 4, u: Float(1).nextDown), 3)
        // A zero-probability action is never drawn, even at the boundary of its empty interval.
        let withZero: [Float] = [log(0.5), -.infinity, log(0.5)]
        XCTAssertEqual(Categorical.sample(withZero, 3, u: 0.5), 2)
        XCTAssertEqual(Categorical.sample(withZero, 3, u: 0.4999), 0)
        XCTAssertEqual(Categorical.sample([0], 1, u: 0.99), 0)
    }

    func testSampleFrequenciesMatchProbabilities() {
        let z: [Float] = [0.3, -1.0, 1.2, 0.0, 0.5]
        let lp = Self.logSoftmax(z)
        let zd = z.map(Double.init), lse = Self.logSumExp(zd)
        let pi = zd.map { exp($0 - lse) }
        var rng = RNG(seed: 77)
        let n = 50_000
        var counts = [Int](repeating: 0, count: z.count)
        for _ in 0..<n { counts[Categorical.sample(lp, z.count, u: rng.uniformFloat())] += 1 }
        for i in 0..<z.count {
            // SE = √(π(1−π)/n) ≤ 0.0023; 0.01 is > 4 SE.
            XCTAssertEqual(Double(counts[i]) / Double(n), pi[i], accuracy: 0.01, "action \(i)")
        }
    }

    func testArgmaxLowestIndexOnTies() {
        XCTAssertEqual(Categorical.argmax([0.1, 0.9, 0.3], 3), 1)
        XCTAssertEqual(Categorical.argmax([2, 5, 5, 1], 4), 1)
        XCTAssertEqual(Categorical.argmax([7, 7], 2), 0)
        XCTAssertEqual(Categorical.argmax([-3], 1), 0)
        XCTAssertEqual(Categorical.argmax([-3, -1, -2], 3), 1)
    }

    /// Gradients of −log π_a and of H w.r.t. the logits against central differences in Double
    /// (h = 1e-5, truncation ~1e-10); the Float analytic gradients carry ~1e-7 rounding. Both
    /// helpers *add* `scale ×` the gradient, so dz starts non-zero and scale ≠ 1.
    func testGradientsMatchDoubleFiniteDifferences() {
        var rng = RNG(seed: 21)
        var cases = Self.logitCases.filter { $0.count > 1 && $0.map(abs).max()! < 100 }
        for n in [2, 3, 5, 9] { cases.append(rng.floats(n, scale: 2)) }
        let scale: Float = -1.75
        for z in cases {
            let n = z.count, zd = z.map(Double.init)
            let lp = Self.logSoftmax(z)
            let start = rng.floats(n)
            func numeric(_ f: ([Double]) -> Double) -> [Double] {
                (0..<n).map { j in
                    var p = zd, m = zd
                    p[j] += 1e-5; m[j] -= 1e-5
                    return (f(p) - f(m)) / 2e-5
                }
            }
            for a in 0..<n {
                var dz = start
                Categorical.addNegLogProbGradient(lp, n, action: a, scale: scale, into: &dz)
                let ref = numeric { Self.negLogProb($0, a) }
                assertClose(dz, (0..<n).map { Double(start[$0]) + Double(scale) * ref[$0] }, tol: 2e-6, "−log π_\(a), logits \(z)")
            }
            var dz = start
            Categorical.addEntropyGradient(lp, n, scale: scale, into: &dz)
            let ref = numeric(Self.entropy)
            assertClose(dz, (0..<n).map { Double(start[$0]) + Double(scale) * ref[$0] }, tol: 2e-6, "H, logits \(z)")
        }
    }
}
