import Agents
import NN
import XCTest

final class ReturnsTests: XCTestCase {
    // r = [1, 2, 3, 4, 5], the episode ends after step 2 (mask₂ = 0), γ = 0.9, V(x₅) = 10.
    let r: [Double] = [1, 2, 3, 4, 5], mask: [Double] = [1, 1, 0, 1, 1]

    func testNStepReturnsByHand() {
        // Backwards: G₄ = 5 + 0.9·10 = 14;  G₃ = 4 + 0.9·14 = 16.6;  G₂ = 3 (episode end: no bootstrap);
        // G₁ = 2 + 0.9·3 = 4.7;  G₀ = 1 + 0.9·4.7 = 5.23.
        let g = nStepReturns(r_t: r, mask_t: mask, gamma: 0.9, bootstrap: 10)
        XCTAssertEqual(g.count, 5)
        for (got, want) in zip(g, [5.23, 4.7, 3, 16.6, 14]) { XCTAssertEqual(got, want, accuracy: 1e-12) }
        // γ = 0: the rewards themselves.
        XCTAssertEqual(nStepReturns(r_t: r, mask_t: mask, gamma: 0, bootstrap: 10), r)
        // Episode ending at the last step: the bootstrap is ignored.
        XCTAssertEqual(nStepReturns(r_t: [1, 1], mask_t: [1, 0], gamma: 0.5, bootstrap: 1000), [1.5, 1])
        XCTAssertEqual(nStepReturns(r_t: [], mask_t: [], gamma: 0.9, bootstrap: 3), [])
    }

    func testGAEByHand() {
        let v: [Double] = [0.5, 1.0, 1.5, 2.0, 2.5]
        // δ = [1 + 0.9·1.0 − 0.5, 2 + 0.9·1.5 − 1.0, 3 + 0 − 1.5, 4 + 0.9·2.5 − 2.0, 5 + 0.9·10 − 2.5]
        //   = [1.4, 2.35, 1.5, 4.25, 11.5];  γλ = 0.72:
        // A₄ = 11.5;  A₃ = 4.25 + 0.72·11.5 = 12.53;  A₂ = 1.5 (episode end);  A₁ = 2.35 + 0.72·1.5 = 3.43;
        // A₀ = 1.4 + 0.72·3.43 = 3.8696.
        let a = gae(r_t: r, mask_t: mask, v_t: v, bootstrap: 10, gamma: 0.9, lambda: 0.8)
        XCTAssertEqual(a.count, 5)
        for (got, want) in zip(a, [3.8696, 3.43, 1.5, 12.53, 11.5]) { XCTAssertEqual(got, want, accuracy: 1e-12) }
        XCTAssertEqual(gae(r_t: [], mask_t: [], v_t: [], bootstrap: 1, gamma: 0.9, lambda: 0.95), [])
    }

    /// Random sequences with random episode ends.
    private func randomCase(_ rng: inout RNG, _ T: Int) -> (r: [Double], mask: [Double], v: [Double], boot: Double) {
        ((0..<T).map { _ in rng.normal() }, (0..<T).map { _ in rng.uniform() < 0.25 ? 0 : 1 },
         (0..<T).map { _ in rng.normal() }, rng.normal())
    }

    func testGAELambdaOneIsNStepReturnMinusValue() {
        var rng = RNG(seed: 1)
        for T in [1, 2, 5, 17, 64] {
            let (r, m, v, b) = randomCase(&rng, T)
            let gamma = rng.uniform(0.5, 1)
            let a = gae(r_t: r, mask_t: m, v_t: v, bootstrap: b, gamma: gamma, lambda: 1)
            let g = nStepReturns(r_t: r, mask_t: m, gamma: gamma, bootstrap: b)
            for t in 0..<T { XCTAssertEqual(a[t], g[t] - v[t], accuracy: 1e-10, "T \(T) t \(t)") }
        }
    }

    func testGAELambdaZeroIsOneStepTDError() {
        var rng = RNG(seed: 2)
        for T in [1, 2, 5, 17, 64] {
            let (r, m, v, b) = randomCase(&rng, T)
            let gamma = rng.uniform(0.5, 1)
            let a = gae(r_t: r, mask_t: m, v_t: v, bootstrap: b, gamma: gamma, lambda: 0)
            for t in 0..<T {
                let vNext = t + 1 < T ? v[t + 1] : b
                XCTAssertEqual(a[t], r[t] + gamma * m[t] * vNext - v[t], accuracy: 1e-12, "T \(T) t \(t)")
            }
        }
    }

    // MARK: - Explained variance

    func testExplainedVariance() {
        let y: [Double] = [1, 2, 3, 4]
        XCTAssertEqual(explainedVariance(predicted: y, target: y), 1)
        XCTAssertEqual(explainedVariance(predicted: [2.5, 2.5, 2.5, 2.5], target: y), 0, accuracy: 1e-12)  // the mean
        XCTAssert(explainedVariance(predicted: [1, 2, 3, 4], target: [3, 3, 3, 3]).isNaN)
        // ŷ = [1, 2, 3, 5]: y − ŷ = [0, 0, 0, −1], Var = 0.1875 (×4 = 0.75); Var y = 1.25 (×4 = 5): 1 − 0.75/5 = 0.85.
        XCTAssertEqual(explainedVariance(predicted: [1, 2, 3, 5], target: y), 0.85, accuracy: 1e-12)
        // Var[y − ŷ], not the mean square: a constant offset is fully "explained" (as baselines logs it).
        XCTAssertEqual(explainedVariance(predicted: y.map { $0 + 3 }, target: y), 1, accuracy: 1e-12)
        // Worse than a constant: ŷ = −y gives Var[2y] = 4 Var[y] ⇒ 1 − 4 = −3.
        XCTAssertEqual(explainedVariance(predicted: y.map { -$0 }, target: y), -3, accuracy: 1e-12)
    }

    func testRolloutStepFoldsTheBootstrapIntoTruncatedStepsOnly() {
        var calls = 0
        func v() -> Float { calls += 1; return 10 }
        XCTAssertTrue(rolloutStep(reward: 1, terminated: false, truncated: false, bootstrapTruncation: true, gamma: 0.5, finalValue: v) == (1, 1))
        XCTAssertTrue(rolloutStep(reward: 1, terminated: true, truncated: false, bootstrapTruncation: true, gamma: 0.5, finalValue: v) == (1, 0))
        XCTAssertTrue(rolloutStep(reward: 1, terminated: true, truncated: true, bootstrapTruncation: true, gamma: 0.5, finalValue: v) == (1, 0),
                      "terminal wins when both flags are set")
        XCTAssertEqual(calls, 0, "V(final observation) is needed only for a truncation")
        XCTAssertTrue(rolloutStep(reward: 1, terminated: false, truncated: true, bootstrapTruncation: true, gamma: 0.5, finalValue: v) == (6, 0),
                      "r + γ·V = 1 + 0.5·10")
        XCTAssertTrue(rolloutStep(reward: 1, terminated: false, truncated: true, bootstrapTruncation: false, gamma: 0.5, finalValue: v) == (1, 0))
        XCTAssertEqual(calls, 1)
    }
}
