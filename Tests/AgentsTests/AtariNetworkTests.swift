import Agents
import Environments
import NN
import XCTest

/// A test-only image environment with channels-first frames, Atari-like: "catch" on a 20×20 screen
/// of two channels, `[2, 20, 20]` uint8 widened to 0 or 255 (channel 0 the falling ball, channel 1
/// the paddle on the bottom row). Actions: 0 left, 1 stay, 2 right. The ball falls one row a step;
/// reaching the bottom row ends the episode with +1 when the paddle is under it, −1 otherwise.
struct CatchFrames: Environment {
    static func spec(side: Int) -> EnvSpec {
        EnvSpec(id: "Test/CatchFrames\(side)-v0", family: "test",
                observation: ObservationSpace(shape: [2, side, side], dtype: .uint8, low: [Float](repeating: 0, count: 2 * side * side),
                                              high: [Float](repeating: 255, count: 2 * side * side)),
                action: .discrete(3), maxEpisodeSteps: 100, summary: "test-only [C, H, W] frames",
                make: { CatchFrames(rng: $0, side: side) })
    }
    /// 20×20 (the smallest atari_cnn takes) and 36×36 (nature_cnn's smallest).
    static let small = spec(side: 20), large = spec(side: 36)
    let side: Int
    var spec: EnvSpec { side == 20 ? Self.small : Self.large }
    var rng: RNG
    var ballY = 0, ballX = 0, paddle = 0

    init(rng: RNG, side: Int) { self.rng = rng; self.side = side }

    func write(_ obs: UnsafeMutablePointer<Float>) {
        let n = side
        obs.update(repeating: 0, count: 2 * n * n)
        obs[ballY * n + ballX] = 255
        obs[n * n + (n - 1) * n + paddle] = 255
    }

    mutating func reset(into obs: UnsafeMutablePointer<Float>) {
        ballY = 0; ballX = rng.int(below: side); paddle = rng.int(below: side)
        write(obs)
    }

    mutating func step(_ action: Int, into obs: UnsafeMutablePointer<Float>) -> StepResult {
        paddle = min(max(paddle + action - 1, 0), side - 1)
        ballY += 1
        write(obs)
        guard ballY == side - 1 else { return StepResult(reward: 0, terminated: false, truncated: false) }
        return StepResult(reward: ballX == paddle ? 1 : -1, terminated: true, truncated: false)
    }

    var checkpointState: EnvCheckpoint {
        EnvCheckpoint(reals: [], counters: [Int64(ballY), Int64(ballX), Int64(paddle)], rng: rng.stateArray)
    }
    mutating func restore(_ s: EnvCheckpoint) {
        ballY = Int(s.counters[0]); ballX = Int(s.counters[1]); paddle = Int(s.counters[2]); rng = RNG(stateArray: s.rng)
    }
}

/// The Atari networks go through the `Network` seam: every algorithm builds them from the
/// `network` hyperparameter alone and trains on `[C, H, W]` frames, deterministically (same seed,
/// same bits of every metric, episode and parameter).
final class AtariNetworkTests: XCTestCase {
    /// Metric bits, episodes and final parameters of `updates` updates of a fresh agent.
    func train(_ info: AlgorithmInfo, _ overrides: [String: ParamValue], env: EnvSpec, seed: UInt64, updates: Int) throws
        -> (metrics: [[UInt64]], episodes: [EpisodeRecord], params: [UInt32], initial: [UInt32]) {
        var hp = info.defaults
        for (k, v) in overrides { hp[k] = v }
        return try Environments.$taskLocal.withValue([CatchFrames.small, CatchFrames.large]) {
            let a = try info.make(AgentContext(envID: env.id, seed: seed, totalSteps: 100_000, hyperparameters: Hyperparameters(hp)))
            let initial = a.parameters.map(\.bitPattern)
            var metrics: [[UInt64]] = [], episodes: [EpisodeRecord] = []
            for _ in 0..<updates {
                metrics.append(a.update().values.map(\.bitPattern))
                episodes += a.drainEpisodes()
            }
            return (metrics, episodes, a.parameters.map(\.bitPattern), initial)
        }
    }

    func assertDeterministic(_ name: String, _ info: AlgorithmInfo, _ hp: [String: ParamValue], env: EnvSpec = CatchFrames.small, updates: Int,
                             file: StaticString = #filePath, line: UInt = #line) throws {
        let a = try train(info, hp, env: env, seed: 3, updates: updates), b = try train(info, hp, env: env, seed: 3, updates: updates)
        XCTAssertEqual(a.metrics, b.metrics, "\(name): metrics", file: file, line: line)
        XCTAssertEqual(a.episodes, b.episodes, "\(name): episodes", file: file, line: line)
        XCTAssertEqual(a.params, b.params, "\(name): parameters", file: file, line: line)
        XCTAssertNotEqual(a.params, a.initial, "\(name): training changed the parameters", file: file, line: line)
        XCTAssertFalse(a.episodes.isEmpty, "\(name): episodes finished", file: file, line: line)
        let other = try train(info, hp, env: env, seed: 4, updates: updates)
        XCTAssertNotEqual(a.params, other.params, "\(name): another seed trains differently", file: file, line: line)
        // the conv layers' weights (at the front of θ) were trained too
        let net = Network(kind: NetworkKind(rawValue: hp["network"]!.asString!)!, observationShape: env.observation.shape,
                          hidden: hp["hidden"]!.asInts!, activation: .relu, outputs: 1)
        XCTAssertNotEqual(a.params[0..<net.convs[0].parameterCount], a.initial[0..<net.convs[0].parameterCount],
                          "\(name): the first conv layer learned", file: file, line: line)
    }

    func testA2CWithAtariCNN() throws {
        try assertDeterministic("a2c atari_cnn", A2C.info, ["network": .string("atari_cnn"), "hidden": .ints([32]), "activation": .string("relu"),
                                                             "nenvs": .int(4), "nsteps": .int(5)], updates: 12)
    }

    /// nature_cnn (36×36 frames at least), policy and value as separate networks.
    func testA2CWithNatureCNNOnSeparateNetworks() throws {
        XCTAssertNil(NetworkKind.nature_cnn.convStack(observationShape: CatchFrames.small.observation.shape), "20×20 is too small")
        try assertDeterministic("a2c nature_cnn", A2C.info, ["network": .string("nature_cnn"), "hidden": .ints([32]), "activation": .string("relu"),
                                                              "shared_trunk": .bool(false), "nenvs": .int(2), "nsteps": .int(5)],
                                env: CatchFrames.large, updates: 8)
    }

    func testACERWithAtariCNN() throws {
        try assertDeterministic("acer atari_cnn", ACER.info, ["network": .string("atari_cnn"), "hidden": .ints([32]), "activation": .string("relu"),
                                                               "nenvs": .int(2), "nsteps": .int(5), "replay_start": .int(20),
                                                               "buffer_size": .int(200), "replay_ratio": .number(1)], updates: 10)
    }

    func testA3CWithAtariCNN() throws {
        try assertDeterministic("a3c atari_cnn", AsyncAgent.info, ["network": .string("atari_cnn"), "hidden": .ints([32]), "activation": .string("relu"),
                                                                    "method": .string("a3c"), "threads": .int(2), "execution": .string("deterministic")],
                                updates: 6)
    }
}
