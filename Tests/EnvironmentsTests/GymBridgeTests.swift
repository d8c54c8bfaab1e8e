import Foundation
import NN
import XCTest
@testable import Environments

/// The Gymnasium bridge against the built-in environments. These tests need the bridge's venv
/// (`make gym-venv`; `make test` creates it and sets RLEXP_REQUIRE_GYM=1, so there they fail rather
/// than skip when it is missing).
final class GymBridgeTests: XCTestCase {
    func requireBridge() throws {
        let env = ProcessInfo.processInfo.environment
        if env["RLEXP_GYM_PYTHON"] != nil || FileManager.default.isExecutableFile(atPath: GymBridge.venvPython) { return }
        if env["RLEXP_REQUIRE_GYM"] != nil { XCTFail("the bridge's venv \(GymBridge.venvPython) is missing (make gym-venv)"); return }
        throw XCTSkip("the Gymnasium bridge's venv is missing: run `make gym-venv` (make test does)")
    }

    /// CartPole-v1 through the bridge and built in, from the same states with the same actions:
    /// identical observations (bits), rewards, terminations and truncations at every step, the final
    /// observations of finished episodes included. Each built-in copy starts every episode from the
    /// physics state Gymnasium's reset drew (rlexp's own generator draws other initial states), so
    /// what is compared is everything after the draw. Copy 0 balances the pole (a simple controller),
    /// so that its episodes reach the 500-step time limit and truncation is compared too.
    func testCartPoleThroughTheBridgeMatchesTheBuiltInBitForBit() throws {
        try requireBridge()
        let config = GymEnvConfig(id: "CartPole-v1")
        let spec = try GymBridge.resolve(config)
        XCTAssertEqual(spec.observation.shape, [4]); XCTAssertEqual(spec.action, .discrete(2)); XCTAssertEqual(spec.maxEpisodeSteps, 500)
        XCTAssertEqual(spec.solveThreshold, 475)
        let copies = 4
        let bridged = try GymVectorEnv(config: config, seed: 11, copies: copies)
        defer { bridged.close() }
        bridged.reset()
        var builtIn = (0..<copies).map { CartPole(rng: RNG(seed: UInt64($0))) }
        var obs = [Float](repeating: 0, count: 4 * copies)
        func adopt(_ i: Int, _ states: [[Double]]) {
            let s = states[i]
            obs.withUnsafeMutableBufferPointer { builtIn[i].setState((s[0], s[1], s[2], s[3]), into: $0.baseAddress! + 4 * i) }
        }
        let first = try bridged.physicsStates()
        for i in 0..<copies { adopt(i, first) }
        XCTAssertEqual(obs.map(\.bitPattern), bridged.observations.map(\.bitPattern))
        var rng = RNG(seed: 5)
        var actions = [Int32](repeating: 0, count: copies)
        var truncations = 0, terminations = 0
        for t in 0..<3000 {
            for i in 0..<copies {
                actions[i] = i == 0 ? (obs[4 * i + 2] + obs[4 * i + 3] > 0 ? 1 : 0) : Int32(rng.int(below: 2))
            }
            var results: [StepResult] = []
            var finals: [[Float]] = []
            for i in 0..<copies {
                let r = obs.withUnsafeMutableBufferPointer { builtIn[i].step(Int(actions[i]), into: $0.baseAddress! + 4 * i) }
                results.append(r)
                finals.append(Array(obs[(4 * i)..<(4 * i + 4)]))
            }
            actions.withUnsafeBufferPointer { bridged.step($0.baseAddress!) }
            for i in 0..<copies {
                XCTAssertEqual(bridged.rewards[i], results[i].reward, "step \(t) copy \(i)")
                XCTAssertEqual(bridged.terminated[i], results[i].terminated, "step \(t) copy \(i)")
                XCTAssertEqual(bridged.truncated[i], results[i].truncated, "step \(t) copy \(i)")
            }
            let done = (0..<copies).filter { results[$0].done }
            if !done.isEmpty {
                let states = try bridged.physicsStates()
                for i in done {
                    XCTAssertEqual(finals[i].map(\.bitPattern), Array(bridged.finalObservations[(4 * i)..<(4 * i + 4)]).map(\.bitPattern), "final observation, step \(t) copy \(i)")
                    if results[i].truncated { truncations += 1 } else { terminations += 1 }
                    adopt(i, states)
                }
            }
            XCTAssertEqual(obs.map(\.bitPattern), bridged.observations.map(\.bitPattern), "observations after step \(t)")
            if obs.map(\.bitPattern) != bridged.observations.map(\.bitPattern) { break }
        }
        XCTAssertGreaterThan(truncations, 0, "the controller's episodes should reach the time limit")
        XCTAssertGreaterThan(terminations, 50)
        XCTAssertEqual(bridged.totalSteps, Int64(3000 * copies))
    }

    /// The same run seed gives the same bridged episodes; another seed other ones.
    func testBridgedEpisodesAreReproducibleFromTheSeed() throws {
        try requireBridge()
        let config = GymEnvConfig(id: "CartPole-v1")
        try GymBridge.resolve(config)
        func trace(_ seed: UInt64) throws -> [UInt32] {
            let v = try GymVectorEnv(config: config, seed: seed, copies: 2)
            defer { v.close() }
            v.reset()
            var out = v.observations.map(\.bitPattern)
            var a: [Int32] = [0, 1]
            for t in 0..<300 {
                a[0] = Int32(t % 2); a[1] = Int32((t / 3) % 2)
                a.withUnsafeBufferPointer { v.step($0.baseAddress!) }
                out += v.observations.map(\.bitPattern)
            }
            return out
        }
        XCTAssertEqual(try trace(3), try trace(3))
        XCTAssertNotEqual(try trace(3), try trace(4))
    }

    /// `gym:MinAtar/Breakout-v1` (the `minatar` package from PyPI, through the bridge) against the
    /// built-in `MinAtar/Breakout-v1`: 1000 random-policy episodes each, Welch's t-test on the mean
    /// return and length and the KS test on lengths at α = 0.001, as the reference-data check does.
    func testMinAtarBreakoutThroughTheBridgeIsConsistentWithTheBuiltIn() throws {
        try requireBridge()
        let config = GymEnvConfig(id: "MinAtar/Breakout-v1")
        let spec = try GymBridge.resolve(config)
        XCTAssertEqual(spec.observation.shape, [10, 10, 4]); XCTAssertEqual(spec.observation.dtype, .uint8)
        XCTAssertEqual(spec.action, Environments.spec("MinAtar/Breakout-v1")!.action)
        let episodes = 1000, copies = 8
        let bridged = try GymVectorEnv(config: config, seed: 21, copies: copies)
        defer { bridged.close() }
        bridged.reset()
        var rng = RNG(seed: 22)
        var actions = [Int32](repeating: 0, count: copies)
        var bReturns: [Double] = [], bLengths: [Double] = []
        while bReturns.count < episodes {
            for i in 0..<copies { actions[i] = Int32(rng.int(below: 3)) }
            actions.withUnsafeBufferPointer { bridged.step($0.baseAddress!) }
            for e in bridged.drainFinished() where bReturns.count < episodes {
                bReturns.append(e.episodeReturn); bLengths.append(Double(e.length))
            }
        }
        var env = Environments.make("MinAtar/Breakout-v1", rng: RNG(seed: 23))!
        var obs = [Float](repeating: 0, count: env.observationSize)
        var ours: (returns: [Double], lengths: [Double]) = ([], [])
        obs.withUnsafeMutableBufferPointer { o in
            for _ in 0..<episodes {
                env.reset(into: o.baseAddress!)
                var G = 0.0, L = 0.0
                while true {
                    let r = env.step(rng.int(below: 3), into: o.baseAddress!)
                    G += r.reward; L += 1
                    if r.done { break }
                }
                ours.returns.append(G); ours.lengths.append(L)
            }
        }
        let failures = MinAtarReferenceTests.consistencyFailures("Breakout-v1 bridged vs built in", ours: ours, refReturns: bReturns, refLengths: bLengths)
        XCTAssertTrue(failures.isEmpty, failures.joined(separator: "\n"))
        // (the test's power is shown by MinAtarReferenceTests.testStatisticalCheckTellsConfigurationsApart)
    }

    /// Spaces rlexp cannot use and ids Gymnasium does not know reach the user as one message naming
    /// the environment and the Python error.
    func testUnknownIdsAreClearErrors() throws {
        try requireBridge()
        XCTAssertThrowsError(try GymBridge.resolve(GymEnvConfig(id: "NoSuchEnv-v0"))) { e in
            let m = "\(e)"
            XCTAssertTrue(m.hasPrefix("gym:NoSuchEnv-v0: "), m)
            XCTAssertTrue(m.contains("NoSuchEnv"), m)
        }
        XCTAssertThrowsError(try GymBridge.resolve(GymEnvConfig(id: "NoSuchPackage/Thing-v0"))) { e in
            XCTAssertTrue("\(e)".contains("not installed"), "\(e)")
        }
    }
}
