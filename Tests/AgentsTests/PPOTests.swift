import Agents
import Environments
import Foundation
import NN
import TestSupport
import XCTest

// PPO (Sources/Agents/PPO.swift, PPOMath.swift): the clipped loss and its gradients against the
// float64 NumPy oracle in Tests/fixtures/continuous/ (finite differences of SB3's loss), advantage
// normalisation, the update's bookkeeping, and learning end to end.

struct PPOFixture: Decodable {
    let dist: String
    let S: Int, A: Int, B: Int
    let clip_range: Double, clip_range_vf: Double?, ent_coef: Double, vf_coef: Double
    let stats: [Double], actions: [Double], old_logp: [Double], adv: [Double], returns: [Double], values: [Double], old_values: [Double]
    let loss: Double, policy_loss: Double, value_loss: Double, entropy_loss: Double, approx_kl: Double, clip_fraction: Double
    let d_stats: [Double], d_values: [Double]
}

struct PPOFixtureFile: Decodable { let ppo: [PPOFixture] }

final class PPOTests: XCTestCase {
    static let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("fixtures/continuous/fixtures.json")

    func testClippedLossAndGradientsAgainstNumPy() throws {
        let cases = try JSONDecoder().decode(PPOFixtureFile.self, from: Data(contentsOf: Self.url)).ppo
        XCTAssertGreaterThanOrEqual(cases.count, 6)
        var sawClipped = false, sawValueClip = false
        for (i, c) in cases.enumerated() {
            let dist: PolicyDistribution = c.dist == "gaussian" ? .gaussian(c.A) : .categorical(c.S)
            var dS = [Float](repeating: 0, count: c.B * c.S), dV = [Float](repeating: 0, count: c.B)
            let f = { (a: [Double]) in a.map(Float.init) }
            let t = ppoLossGradients(dist: dist, stats: f(c.stats), actions: f(c.actions), oldLogProbs: f(c.old_logp), advantages: f(c.adv),
                                     returns: f(c.returns), values: f(c.values), oldValues: f(c.old_values), count: c.B,
                                     clipRange: Float(c.clip_range), clipRangeVF: c.clip_range_vf.map(Float.init),
                                     entCoef: Float(c.ent_coef), vfCoef: Float(c.vf_coef), dStats: &dS, dValues: &dV)
            let what = "case \(i) (\(c.dist), vf clip \(c.clip_range_vf.map { String($0) } ?? "none"))"
            XCTAssertEqual(t.policyLoss, c.policy_loss, accuracy: 1e-5, "\(what) policy_gradient_loss")
            XCTAssertEqual(t.valueLoss, c.value_loss, accuracy: 1e-5 * max(1, c.value_loss), "\(what) value_loss")
            XCTAssertEqual(t.entropyLoss, c.entropy_loss, accuracy: 1e-5, "\(what) entropy_loss")
            XCTAssertEqual(t.approxKL, c.approx_kl, accuracy: 1e-5, "\(what) approx_kl")
            XCTAssertEqual(t.clipFraction, c.clip_fraction, "\(what) clip_fraction")
            let total = t.policyLoss + c.ent_coef * t.entropyLoss + c.vf_coef * t.valueLoss
            XCTAssertEqual(total, c.loss, accuracy: 1e-5 * max(1, abs(c.loss)), "\(what) loss")
            assertClose(dS, c.d_stats, tol: 2e-5, "\(what) ∂L/∂φ")
            assertClose(dV, c.d_values, tol: 2e-5, "\(what) ∂L/∂V")
            sawClipped = sawClipped || c.clip_fraction > 0
            sawValueClip = sawValueClip || (c.clip_range_vf != nil && zip(c.values, c.old_values).contains { abs($0 - $1) > c.clip_range_vf! })
        }
        XCTAssert(sawClipped, "the fixtures must exercise the clipped branch")
        XCTAssert(sawValueClip, "the fixtures must exercise value clipping")
    }

    /// The minibatch shuffle is a permutation, a different one each epoch, with every element
    /// equally likely in every position (4000 shuffles of 6: each count within 5σ of 4000/6).
    func testMinibatchShuffleIsUniform() {
        var rng = RNG(seed: 8, stream: 1)
        var counts = [[Int]](repeating: [Int](repeating: 0, count: 6), count: 6)
        var a = Array(0..<6), previous = a
        var changed = 0
        for _ in 0..<4000 {
            shuffle(&a, rng: &rng)
            XCTAssertEqual(a.sorted(), Array(0..<6))
            if a != previous { changed += 1 }
            previous = a
            for (pos, x) in a.enumerated() { counts[pos][x] += 1 }
        }
        XCTAssertGreaterThan(changed, 3900, "successive epochs see the same order")
        let p = 1.0 / 6, sd = (4000 * p * (1 - p)).squareRoot()
        for pos in 0..<6 { for x in 0..<6 { XCTAssertEqual(Double(counts[pos][x]), 4000 * p, accuracy: 5 * sd, "element \(x) at position \(pos)") } }
    }

    func testAdvantageNormalisation() {
        var x: [Float] = [1, 2, 3, 4, 10]
        normalizeAdvantages(&x, 5)
        // mean 4, sample std sqrt(((3²+2²+1²+0²+6²)/4)) = sqrt(12.5)
        let s = 12.5.squareRoot()
        assertClose(x, [-3 / s, -2 / s, -1 / s, 0, 6 / s], tol: 1e-6, "normalised")
        var one: [Float] = [3]
        normalizeAdvantages(&one, 1)
        XCTAssertEqual(one, [3], "a single advantage is left as it is (SB3)")
    }

    func make(_ env: String, _ overrides: [String: ParamValue], seed: UInt64 = 0, total: Int = 100_000) throws -> PPO {
        var hp = PPO.info.defaults
        for (k, v) in overrides { hp[k] = v }
        return try PPO(AgentContext(envID: env, seed: seed, totalSteps: total, hyperparameters: Hyperparameters(hp)))
    }

    /// One update: n_epochs × ⌈B/batch_size⌉ minibatches, the schedules read at the step count after
    /// the rollout, SB3's metric names, and the Gaussian's std logged.
    func testUpdateBookkeeping() throws {
        let a = try make("Pendulum-v1", ["nenvs": .int(2), "nsteps": .int(50), "batch_size": .int(32), "n_epochs": .int(3),
                                         "lr_schedule": .string("linear"), "clip_range_schedule": .string("linear"), "hidden": .ints([8])],
                         total: 1000)
        let m = a.update()
        XCTAssertEqual(a.envSteps, 100)
        XCTAssertEqual(m["minibatches"], 3 * 4, "100 samples in minibatches of 32: 4 per epoch")
        XCTAssertEqual(m["lr"]!, 3e-4 * 0.9, accuracy: 1e-10)
        XCTAssertEqual(m["clip_range"]!, 0.2 * 0.9, accuracy: 1e-7)
        XCTAssertEqual(m["std"]!, 1, accuracy: 0.01, "log σ starts at 0 and moves a little in 12 steps")
        for name in ["approx_kl", "clip_fraction", "explained_variance", "entropy_loss", "policy_gradient_loss", "value_loss"] {
            XCTAssert(a.metricNames.contains(name), name)
        }
        XCTAssertEqual(m.names, a.metricNames)
        XCTAssertFalse(try make("CartPole-v1", [:]).metricNames.contains("std"), "no std for a categorical policy")
    }

    /// target_kl stops an update's epochs early: with a tiny target only the first minibatch is
    /// looked at, and no step is taken.
    func testTargetKLStopsEarly() throws {
        let hp: [String: ParamValue] = ["nenvs": .int(2), "nsteps": .int(64), "batch_size": .int(32), "n_epochs": .int(5), "hidden": .ints([8]), "lr": .number(0.01)]
        let free = try make("CartPole-v1", hp), stopped = try make("CartPole-v1", hp.merging(["target_kl": .number(1e-12)]) { $1 })
        let m1 = free.update(), m2 = stopped.update()
        XCTAssertEqual(m1["minibatches"], 20)
        XCTAssertEqual(m2["minibatches"], 2, "the first minibatch steps (ratio 1, KL 0); the second sees KL > 1.5·target and stops")
    }

    /// Seed 003's network (Linear → LayerNorm → Linear → LayerNorm → Linear) through the spec's
    /// `network`: the parameters hold γ and β per hidden unit, and PPO learns CartPole with it.
    func testLayerNormNetworkLearns() throws {
        let a = try make("CartPole-v1", ["network": .string("layernorm_mlp"), "activation": .string("identity"), "hidden": .ints([128, 128]),
                                         "nenvs": .int(8), "nsteps": .int(32), "batch_size": .int(256), "n_epochs": .int(10), "lr": .number(1e-3)])
        let dense = (4 * 128 + 128) + (128 * 128 + 128)
        XCTAssertEqual(a.parameters.count, 2 * (dense + 2 * 2 * 128) + (128 * 2 + 2) + (128 + 1), "policy and value nets with LayerNorm γ, β")
        var env: any Environment = Environments.make("CartPole-v1", rng: RNG(seed: 7, stream: 0))!
        let before = evaluateGreedy(a, in: &env, episodes: 3).map(\.episodeReturn).reduce(0, +) / 3
        while a.envSteps < 30_000 { _ = a.update() }
        let after = evaluateGreedy(a, in: &env, episodes: 3).map(\.episodeReturn).reduce(0, +) / 3
        XCTAssertGreaterThanOrEqual(after, 475, "greedy return before \(before), after 30k steps \(after)")
    }

    /// With the zoo's CartPole settings PPO reaches a greedy return of 500 within 40k steps (seed 0).
    func testLearnsCartPole() throws {
        let a = try make("CartPole-v1", ["nenvs": .int(8), "nsteps": .int(32), "batch_size": .int(256), "n_epochs": .int(20),
                                         "gamma": .number(0.98), "gae_lambda": .number(0.8), "lr": .number(1e-3),
                                         "lr_schedule": .string("linear"), "clip_range_schedule": .string("linear")])
        var env: any Environment = Environments.make("CartPole-v1", rng: RNG(seed: 99, stream: 0))!
        var best = 0.0
        while a.envSteps < 40_000 && best < 500 {
            _ = a.update()
            if a.updates % 20 == 0 { best = max(best, evaluateGreedy(a, in: &env, episodes: 3).map(\.episodeReturn).reduce(0, +) / 3) }
        }
        XCTAssertEqual(best, 500, "greedy return after \(a.envSteps) steps")
    }
}
