import Environments
import NN
import XCTest

/// MinAtar's Environment semantics (sticky actions, the end of an episode, ids and factory) and
/// checkpoints.
final class MinAtarEnvironmentTests: XCTestCase {
    func testIdsAndFactory() {
        XCTAssertEqual(MinAtar.ids, ["MinAtar/Asterix-v0", "MinAtar/Asterix-v1", "MinAtar/Breakout-v0", "MinAtar/Breakout-v1",
                                     "MinAtar/Freeway-v0", "MinAtar/Freeway-v1", "MinAtar/Seaquest-v0", "MinAtar/Seaquest-v1",
                                     "MinAtar/SpaceInvaders-v0", "MinAtar/SpaceInvaders-v1"])
        let minimal: [String: [Int]] = ["asterix": [0, 1, 2, 3, 4], "breakout": [0, 1, 3], "freeway": [0, 2, 4],
                                        "seaquest": [0, 1, 2, 3, 4, 5], "space_invaders": [0, 1, 3, 5]]
        let channels: [String: Int] = ["asterix": 4, "breakout": 4, "freeway": 7, "seaquest": 10, "space_invaders": 6]
        for id in MinAtar.ids {
            guard let env = MinAtar.make(id, seed: 0) else { XCTFail("no environment for \(id)"); continue }
            XCTAssertEqual(env.minimalActionSet, minimal[env.gameName], id)
            XCTAssertEqual(env.actionSet, id.hasSuffix("-v1") ? minimal[env.gameName]! : [0, 1, 2, 3, 4, 5], id)
            XCTAssertEqual(env.numActions, 6)
            XCTAssertEqual(env.channelCount, channels[env.gameName], id)
            XCTAssertEqual(env.channelNames.count, env.channelCount)
            XCTAssertEqual(env.observationSize, 100 * env.channelCount)
            XCTAssertEqual(env.stickyActionProbability, 0.1)
            XCTAssertTrue(env.difficultyRamping)
        }
        XCTAssertNil(MinAtar.make("MinAtar/Pong-v0", seed: 0))
        XCTAssertNil(MinAtar.parse("Breakout-v1"))
        XCTAssertEqual(Seaquest.channelNames, ["sub_front", "sub_back", "friendly_bullet", "trail", "enemy_bullet", "enemy_fish",
                                               "enemy_sub", "oxygen", "diver_gauge", "diver"])
    }

    func testMinimalActionIndexMapsThroughTheSet() {
        var a = MinAtarEnvironment<SpaceInvaders>(stickyActionProbability: 0, seed: 3, minimalActionSet: true)
        var b = MinAtarEnvironment<SpaceInvaders>(stickyActionProbability: 0, seed: 3)
        for t in 0..<200 {
            if a.isTerminal { a.reset(); b.reset() }
            let i = (t * 3 + t / 5) % 4
            XCTAssertTrue(a.act(index: i) == b.act([0, 1, 3, 5][i]))
            XCTAssertEqual(a.lastAction, [0, 1, 3, 5][i])
            XCTAssertEqual(a.state, b.state)
        }
    }

    /// Every `act` draws one `rand()` first — also with p = 0 and after the end — and then
    /// repeats the remembered action when it is below p.
    func testStickyDrawHappensOnEveryCall() {
        var env = MinAtarEnvironment<SpaceInvaders>(stickyActionProbability: 0, seed: 1)   // no game randomness
        var mirror = MT19937(seed: 1)
        var steps = 0
        while !env.isTerminal { _ = env.act(0); _ = mirror.rand(); steps += 1 }
        XCTAssertEqual(steps, 17)                               // a no-op policy dies at step 17
        XCTAssertEqual(env.rng, mirror)
        let frozen = env.state
        for _ in 0..<5 {
            XCTAssertTrue(env.act(5) == (0, true))
            _ = mirror.rand()
        }
        XCTAssertEqual(env.rng, mirror, "act after the end still draws")
        XCTAssertEqual(env.state, frozen, "act after the end changes nothing")
        XCTAssertEqual(env.lastAction, 0, "act after the end does not update the remembered action")

        // p = 1: always the remembered action, which starts at 0 and survives reset
        var sticky = MinAtarEnvironment<Breakout>(stickyActionProbability: 1, seed: 4)
        for a in [3, 1, 3, 3] { _ = sticky.act(a); XCTAssertEqual(sticky.lastAction, 0) }
        // p = 0.5: the substitution follows the draw exactly
        var half = MinAtarEnvironment<Asterix>(stickyActionProbability: 0.5, seed: 8)
        var replay = MT19937(seed: 8)
        var remembered = 0, repeated = 0
        for t in 0..<60 where !half.isTerminal {
            let u = replay.rand()
            let a = (t * 7) % 5
            if u < 0.5 { repeated += 1 } else { remembered = a }
            _ = half.act(a)
            XCTAssertEqual(half.lastAction, remembered)
            replay = half.rng      // the game's own draws in between
        }
        XCTAssertGreaterThan(repeated, 3)
    }

    func testRememberedActionSurvivesReset() {
        var env = MinAtarEnvironment<Breakout>(stickyActionProbability: 0.1, seed: 2)
        while !env.isTerminal { _ = env.act(3) }
        XCTAssertEqual(env.lastAction, 3)
        env.reset()
        XCTAssertFalse(env.isTerminal)
        XCTAssertEqual(env.lastAction, 3)
    }

    func testFreewayLastsExactly2501Steps() {
        for ramping in [true, false] {
            var env = MinAtarEnvironment<Freeway>(difficultyRamping: ramping, seed: 5)
            var t = 0
            while true {
                let (_, done) = env.act(2)
                t += 1
                if done { break }
                XCTAssertLessThan(t, 2501)
            }
            XCTAssertEqual(t, 2501)
        }
    }

    func testFloatRenderingEqualsBytes() {
        for game in MinAtar.Game.allCases {
            var env = MinAtar.make(game, seed: 21)
            var rng = RNG(seed: 21, stream: RNG.label("render"))
            var b = [UInt8](repeating: 7, count: env.observationSize), f = [Float](repeating: 7, count: env.observationSize)
            for _ in 0..<200 {
                if env.isTerminal { env.reset() }
                _ = env.act(rng.int(below: 6))
                b.withUnsafeMutableBufferPointer { env.render(into: $0.baseAddress!) }
                f.withUnsafeMutableBufferPointer { env.render(into: $0.baseAddress!) }
                XCTAssertEqual(b.map(Float.init), f, "\(game)")
                XCTAssertEqual(b, env.state)
                XCTAssertTrue(b.allSatisfy { $0 <= 1 })
            }
        }
    }

    /// The registry environments' native-dtype path (`step(_:intoBytes:)`, what `rlexp env bench`
    /// times) takes the same trajectory and writes the same grids as the Float path the networks
    /// read, across episode ends; every byte of the grid is written (the buffer starts at 7).
    func testBytePathMatchesFloatPath() {
        for id in MinAtar.ids {
            var a = Environments.make(id, rng: RNG(seed: 4, stream: 2))!, b = Environments.make(id, rng: RNG(seed: 4, stream: 2))!
            XCTAssertEqual(a.spec.observation.dtype, .uint8, id)
            let n = a.actionSpace.discreteCount!, d = a.observationSize
            var f = [Float](repeating: 7, count: d), u = [UInt8](repeating: 7, count: d)
            var rng = RNG(seed: 5, stream: RNG.label("bytes"))
            f.withUnsafeMutableBufferPointer { a.reset(into: $0.baseAddress!) }
            u.withUnsafeMutableBufferPointer { b.reset(intoBytes: $0.baseAddress!) }
            var episodes = 0
            for t in 0..<3000 {
                XCTAssertEqual(u.map(Float.init), f, "\(id) step \(t)")
                if u.map(Float.init) != f { break }
                let k = rng.int(below: n)
                let ra = f.withUnsafeMutableBufferPointer { a.step(k, into: $0.baseAddress!) }
                let rb = u.withUnsafeMutableBufferPointer { b.step(k, intoBytes: $0.baseAddress!) }
                XCTAssertEqual(ra, rb, "\(id) step \(t)")
                if ra.done {
                    episodes += 1
                    f.withUnsafeMutableBufferPointer { a.reset(into: $0.baseAddress!) }
                    u.withUnsafeMutableBufferPointer { b.reset(intoBytes: $0.baseAddress!) }
                }
            }
            XCTAssertGreaterThan(episodes, id.contains("Freeway") ? 0 : 3, id)
        }
    }

    /// Checkpoint mid-episode, keep playing; a fresh environment (other seed) restored from the
    /// checkpoint must continue identically — rewards, flags, effective actions, grids, RNG — across
    /// episode boundaries, for every game and both ramping settings.
    func testCheckpointRestoreContinuesIdentically() {
        for game in MinAtar.Game.allCases {
            for ramping in [true, false] {
                var env = MinAtar.make(game, seed: 31, difficultyRamping: ramping)
                var policy = RNG(seed: 31, stream: RNG.label("checkpoint-policy"))
                for _ in 0..<137 {            // somewhere inside an episode (or a later one)
                    if env.isTerminal { env.reset() }
                    _ = env.act(policy.int(below: 6))
                }
                let cp = env.checkpointState
                let policyAtCheckpoint = policy
                /// rewards, flags, effective actions and grids of 3000 more steps, then the final checkpoint
                func run(_ e: inout any MinAtarEnvironmentProtocol, _ p: inout RNG) -> (log: [Int], resets: Int, end: EnvCheckpoint) {
                    var log: [Int] = [], resets = 0
                    var grid = [UInt8](repeating: 0, count: e.observationSize)
                    for _ in 0..<3000 {
                        if e.isTerminal { e.reset(); resets += 1 }
                        let (r, d) = e.act(p.int(below: 6))
                        log += [r, d ? 1 : 0, e.lastAction]
                        grid.withUnsafeMutableBufferPointer { e.render(into: $0.baseAddress!) }
                        for v in grid { log.append(Int(v)) }
                    }
                    return (log, resets, e.checkpointState)
                }
                var p1 = policy
                let original = run(&env, &p1)
                var other = MinAtar.make(game, seed: 999, difficultyRamping: ramping)
                _ = other.act(4)
                other.restore(cp)
                XCTAssertEqual(other.checkpointState, cp, "\(game): restore then checkpoint is the identity")
                var p2 = policyAtCheckpoint
                let restored = run(&other, &p2)
                XCTAssertTrue(original.log == restored.log, "\(game) ramping \(ramping): continuation after restore differs")
                XCTAssertEqual(original.resets, restored.resets)
                XCTAssertEqual(original.end, restored.end, "\(game) ramping \(ramping): final checkpoints differ")
                XCTAssertGreaterThan(original.resets, 0, "\(game): the continuation should cross an episode end")
            }
        }
    }

    /// Environments are values: a copy taken mid-episode (with enemies, bullets and divers on the
    /// board, and past a generator twist) and then driven differently from the original matches a
    /// fresh environment replaying its own action history.
    func testCopiesAreIndependentValues() {
        func drive(_ e: inout any MinAtarEnvironmentProtocol, _ actions: [Int]) -> [Int] {
            var log: [Int] = []
            for a in actions {
                if e.isTerminal { e.reset() }
                let (r, d) = e.act(a)
                log += [r, d ? 1 : 0] + e.state.map(Int.init)
            }
            return log
        }
        let prefix = (0..<400).map { $0 % 2 == 0 ? 5 : 0 }            // Seaquest: fire at the surface, stay alive
        let x = (0..<700).map { ($0 * 5 + $0 / 7) % 6 }, y = (0..<700).map { ($0 * 3 + $0 / 5) % 6 }
        for game in MinAtar.Game.allCases {
            var a = MinAtar.make(game, seed: 6)
            _ = drive(&a, prefix)
            var b = a
            let la = drive(&a, x), lb = drive(&b, y)
            var c = MinAtar.make(game, seed: 6), d = MinAtar.make(game, seed: 6)
            _ = drive(&c, prefix); _ = drive(&d, prefix)
            XCTAssertTrue(la == drive(&c, x), "\(game): the original changed when its copy was driven")
            XCTAssertTrue(lb == drive(&d, y), "\(game): the copy changed when the original was driven")
        }
        // the Seaquest prefix really does fill the board
        var s = MinAtarEnvironment<Seaquest>(seed: 6)
        for a in prefix { _ = s.act(a) }
        let grid = s.state
        XCTAssertFalse(s.isTerminal)
        XCTAssertTrue((0..<100).contains { grid[$0 * 10 + 5] != 0 || grid[$0 * 10 + 6] != 0 }, "no enemies on the board")
    }
}
