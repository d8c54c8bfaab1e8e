import Agents
import Environments
import NN
import XCTest

/// `restore` is the inverse of `checkpoint`, per algorithm: "train N updates, checkpoint, restore
/// into a freshly built agent, train M more" gives the same metrics, episodes and final state, bit
/// for bit, as "train N + M" in one agent.
final class RestoreTests: XCTestCase {
    func make(_ info: AlgorithmInfo, env: String = "CartPole-v1", _ overrides: [String: ParamValue], seed: UInt64 = 5) throws -> Agent {
        var hp = info.defaults
        for (k, v) in overrides { hp[k] = v }
        return try info.make(AgentContext(envID: env, seed: seed, totalSteps: 200_000, hyperparameters: Hyperparameters(hp)))
    }

    /// Metric bits and episodes of `m` more updates.
    func trace(_ a: Agent, updates m: Int) -> (metrics: [[UInt64]], episodes: [EpisodeRecord]) {
        var metrics: [[UInt64]] = [], episodes: [EpisodeRecord] = []
        for _ in 0..<m {
            metrics.append(a.update().values.map(\.bitPattern))
            episodes += a.drainEpisodes()
        }
        return (metrics, episodes)
    }

    func assertRestoreIsInverse(_ name: String, env: String = "CartPole-v1", _ make: () throws -> Agent, n: Int, m: Int,
                                file: StaticString = #filePath, line: UInt = #line) throws {
        let whole = try make()
        _ = trace(whole, updates: n)
        let atN = whole.checkpoint
        let rest = trace(whole, updates: m)

        let first = try make()
        _ = trace(first, updates: n)
        XCTAssertEqual(first.checkpoint, atN, "\(name): the same configuration trained alike", file: file, line: line)
        let fresh = try make()
        XCTAssertNotEqual(fresh.checkpoint, atN, "\(name): a fresh agent already in the trained state proves nothing", file: file, line: line)
        try fresh.restore(atN)
        XCTAssertEqual(fresh.checkpoint, atN, "\(name): checkpoint ∘ restore is not the identity", file: file, line: line)
        XCTAssertEqual(fresh.envSteps, atNSteps(atN), file: file, line: line)
        let resumed = trace(fresh, updates: m)
        XCTAssertEqual(resumed.metrics, rest.metrics, "\(name): metrics after restore differ", file: file, line: line)
        XCTAssertEqual(resumed.episodes, rest.episodes, "\(name): episodes after restore differ", file: file, line: line)
        XCTAssertEqual(fresh.checkpoint, whole.checkpoint, "\(name): final state after restore differs", file: file, line: line)
        XCTAssertEqual(fresh.parameters, whole.parameters, file: file, line: line)
    }

    func atNSteps(_ c: AgentCheckpoint) -> Int64 { c.ints["counters"]![0] }

    func testA2C() throws {
        for shared in [true, false] {
            for opt in ["rmsprop", "adam"] {
                try assertRestoreIsInverse("a2c shared=\(shared) \(opt)", {
                    try make(A2C.info, ["shared_trunk": .bool(shared), "optimizer": .string(opt), "hidden": .ints([16])])
                }, n: 150, m: 100)
            }
        }
    }

    /// PPO, categorical (CartPole) and Gaussian (Pendulum: the learned log σ is in θ), with several
    /// epochs of shuffled minibatches per update (the minibatch stream is in the checkpoint).
    func testPPO() throws {
        let hp: [String: ParamValue] = ["nenvs": .int(2), "nsteps": .int(64), "batch_size": .int(48), "n_epochs": .int(3), "hidden": .ints([16]),
                                        "clip_range_vf": .number(0.5)]
        try assertRestoreIsInverse("ppo discrete", { try make(PPO.info, hp) }, n: 8, m: 6)
        try assertRestoreIsInverse("ppo gaussian", env: "Pendulum-v1", { try make(PPO.info, env: "Pendulum-v1", hp) }, n: 8, m: 6)
    }

    /// Continuous A3C (Pendulum): the learned log σ is part of θ and of every learner's θ′.
    func testContinuousA3C() throws {
        try assertRestoreIsInverse("a3c continuous", env: "Pendulum-v1", {
            try make(AsyncAgent.info, env: "Pendulum-v1", ["threads": .int(3), "hidden": .ints([16]), "shared_rmsprop": .bool(false)])
        }, n: 40, m: 30)
    }

    /// ACER with its replay buffer full (and wrapped around) at the checkpoint, the trust region on,
    /// replay ratio 4.
    func testACERWithAFullReplayBuffer() throws {
        let hp: [String: ParamValue] = ["nenvs": .int(4), "nsteps": .int(10), "buffer_size": .int(2000), "replay_start": .int(200),
                                        "replay_ratio": .number(4), "hidden": .ints([16])]
        let a = try make(ACER.info, hp)
        for _ in 0..<60 { _ = a.update() }
        let c = a.checkpoint
        let stored = c.ints["replay_counters"]!
        XCTAssertEqual(stored[0], 50, "the buffer holds its 50 segments per stream")
        XCTAssertNotEqual(stored[1], 0, "and has wrapped around to a slot in the middle")
        try assertRestoreIsInverse("acer", { try make(ACER.info, hp) }, n: 60, m: 40)
        try assertRestoreIsInverse("acer no trust region", { try make(ACER.info, hp.merging(["trust_region": .bool(false)]) { $1 }) }, n: 60, m: 30)
    }

    func testAsyncMethodsDeterministic() throws {
        for method in AsyncMethod.allCases {
            for sharedStats in [true, false] {
                try assertRestoreIsInverse("async \(method.rawValue) shared_rmsprop=\(sharedStats)", {
                    try make(AsyncAgent.info, ["method": .string(method.rawValue), "threads": .int(3), "hidden": .ints([16]),
                                               "report_interval": .int(500), "shared_rmsprop": .bool(sharedStats),
                                               "target_update": .int(700)])
                }, n: 40, m: 40)
            }
        }
    }

    /// Real threads are not bit-reproducible, but a checkpoint of a threads-mode agent restores and
    /// trains on: counters, θ and the learners' state are the checkpoint's, and T keeps counting.
    func testAsyncThreadsRestoresAndContinues() throws {
        let hp: [String: ParamValue] = ["method": .string("a3c"), "threads": .int(2), "execution": .string("threads"),
                                        "hidden": .ints([16]), "report_interval": .int(500)]
        let a = try make(AsyncAgent.info, hp)
        for _ in 0..<6 { _ = a.update() }
        let c = a.checkpoint
        let b = try make(AsyncAgent.info, hp)
        try b.restore(c)
        XCTAssertEqual(b.checkpoint, c)
        XCTAssertEqual(b.envSteps, a.envSteps)
        for _ in 0..<4 { _ = b.update() }
        XCTAssertGreaterThan(b.envSteps, a.envSteps)
        XCTAssertTrue(b.parameters.allSatisfy(\.isFinite))
    }

    /// The conv net on a MinAtar game (environment state with variable-length counters).
    func testA2COnMinAtarSeaquest() throws {
        try assertRestoreIsInverse("a2c seaquest", env: "MinAtar/Seaquest-v1", {
            try make(A2C.info, env: "MinAtar/Seaquest-v1", ["network": .string("minatar_cnn"), "hidden": .ints([16]), "nenvs": .int(4)])
        }, n: 60, m: 40)
    }

    /// A checkpoint of another configuration is refused with a message, not a crash.
    func testRestoreRefusesAMismatchedCheckpoint() throws {
        let small = try make(A2C.info, ["hidden": .ints([16])])
        let big = try make(A2C.info, ["hidden": .ints([32])])
        XCTAssertThrowsError(try big.restore(small.checkpoint)) { e in
            XCTAssertTrue("\(e)".contains("params"), "\(e)")
        }
        var c = small.checkpoint
        c.words["rng_action"] = nil
        XCTAssertThrowsError(try make(A2C.info, ["hidden": .ints([16])]).restore(c)) { e in
            XCTAssertTrue("\(e)".contains("rng_action"), "\(e)")
        }
    }
}
