import Environments
import Foundation
import HDF5
import NN
import XCTest

/// Replays every CartPole-v1 trajectory of ../shared/reference/reference.h5 (recorded from
/// Gymnasium 1.4.0 through gym.make) and compares bit for bit.
final class CartPoleReferenceTests: XCTestCase {
    static var referencePath: String {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.deletingLastPathComponent().appendingPathComponent("shared/reference/reference.h5").path
    }

    func testMatchesGymnasiumBitForBit() throws {
        let path = Self.referencePath
        guard FileManager.default.fileExists(atPath: path) else {
            return XCTFail("reference trajectories not found at \(path) (shared/ must sit beside the repository)")
        }
        let f = try H5File.open(path)
        let g = try f.root.openGroup("classic_control/CartPole-v1")
        let nTraj = 20, nSteps = 300
        let actions = try g.read("actions", as: Int64.self)
        let initState = try g.read("init_state", as: Double.self)
        let obs = try g.read("obs", as: Float.self)
        let state = try g.read("state", as: Double.self)
        let reward = try g.read("reward", as: Double.self)
        let terminated = try g.read("terminated", as: Int8.self)
        let truncated = try g.read("truncated", as: Int8.self)
        let firstDone = try g.read("first_done", as: Int64.self)
        XCTAssertEqual(obs.count, nTraj * (nSteps + 1) * 4)

        var comparedFlags = 0
        for i in 0..<nTraj {
            var env = CartPole(rng: RNG(seed: 0))
            var o = [Float](repeating: 0, count: 4)
            let s0 = (initState[i * 4], initState[i * 4 + 1], initState[i * 4 + 2], initState[i * 4 + 3])
            o.withUnsafeMutableBufferPointer { env.setState(s0, into: $0.baseAddress!) }
            XCTAssertEqual(o, Array(obs[(i * 301 * 4)..<(i * 301 * 4 + 4)]), "traj \(i) initial observation")
            for t in 0..<nSteps {
                let r = o.withUnsafeMutableBufferPointer { env.step(Int(actions[i * nSteps + t]), into: $0.baseAddress!) }
                let base = (i * 301 + t + 1) * 4
                let want = [state[base], state[base + 1], state[base + 2], state[base + 3]]
                let got = [env.state.0, env.state.1, env.state.2, env.state.3]
                // bit-exact physics over all 300 steps (also after termination)
                XCTAssertEqual(got.map(\.bitPattern), want.map(\.bitPattern), "traj \(i) step \(t) state")
                XCTAssertEqual(o.map(\.bitPattern), obs[base..<(base + 4)].map(\.bitPattern), "traj \(i) step \(t) observation")
                if firstDone[i] < 0 || t <= Int(firstDone[i]) {
                    XCTAssertEqual(r.reward.bitPattern, reward[i * nSteps + t].bitPattern, "traj \(i) step \(t) reward")
                    XCTAssertEqual(r.terminated, terminated[i * nSteps + t] != 0, "traj \(i) step \(t) terminated")
                    XCTAssertEqual(r.truncated, truncated[i * nSteps + t] != 0, "traj \(i) step \(t) truncated")
                    comparedFlags += 1
                }
            }
        }
        XCTAssertGreaterThan(comparedFlags, 300, "too few steps compared before first_done")
    }

    func testTruncatesAt500AndRewardAfterTermination() {
        var env = CartPole(rng: RNG(seed: 3))
        var o = [Float](repeating: 0, count: 4)
        // TimeLimit: truncated from the 500th step on, whether or not the pole fell (a PD controller keeps it up)
        o.withUnsafeMutableBufferPointer { env.setState((0, 0, 0.01, 0), into: $0.baseAddress!) }
        var last = StepResult(reward: 0, terminated: false, truncated: false)
        var terminatedSteps = 0
        for t in 0..<500 {
            let a = env.state.2 + 0.5 * env.state.3 + 0.01 * env.state.0 + 0.05 * env.state.1 > 0 ? 1 : 0
            last = o.withUnsafeMutableBufferPointer { env.step(a, into: $0.baseAddress!) }
            if t < 499 { XCTAssertFalse(last.truncated, "truncated early at \(t)") }
            if last.terminated { terminatedSteps += 1 }
        }
        XCTAssertTrue(last.truncated)
        XCTAssertEqual(terminatedSteps, 0, "the controller should balance the pole for 500 steps")
        // after termination: reward 1 on the terminal step, 0 afterwards while still terminated
        o.withUnsafeMutableBufferPointer { env.setState((2.39, 1, 0, 0), into: $0.baseAddress!) }
        let r1 = o.withUnsafeMutableBufferPointer { env.step(1, into: $0.baseAddress!) }
        XCTAssertTrue(r1.terminated); XCTAssertEqual(r1.reward, 1)
        let r2 = o.withUnsafeMutableBufferPointer { env.step(1, into: $0.baseAddress!) }
        XCTAssertTrue(r2.terminated); XCTAssertEqual(r2.reward, 0)
    }

    func testResetDrawsFromSmallBoxAndIsSeeded() {
        var a = CartPole(rng: RNG(seed: 9, stream: 1)), b = CartPole(rng: RNG(seed: 9, stream: 1))
        var oa = [Float](repeating: 0, count: 4), ob = oa
        for _ in 0..<100 {
            oa.withUnsafeMutableBufferPointer { a.reset(into: $0.baseAddress!) }
            ob.withUnsafeMutableBufferPointer { b.reset(into: $0.baseAddress!) }
            XCTAssertEqual(oa, ob)
            XCTAssertTrue(oa.allSatisfy { abs($0) <= 0.05 })
        }
    }
}

final class VectorEnvTests: XCTestCase {
    func testAutoResetKeepsTerminatedAndTruncatedApartAndFinalObservation() {
        let envs: [any Environment] = (0..<3).map { CartPole(rng: RNG(seed: 1, stream: UInt64($0))) }
        let v = VectorEnv(envs)
        v.reset()
        var actions = [Int32](repeating: 1, count: 3)   // always push right: episodes terminate fast
        var sawTerminal = false
        for _ in 0..<200 {
            let before = v.observations
            actions.withUnsafeBufferPointer { v.step($0.baseAddress!) }
            for i in 0..<3 where v.terminated[i] {
                sawTerminal = true
                XCTAssertFalse(v.truncated[i])
                // the final observation is the terminal one (outside the bounds), the current one a fresh reset
                let fin = Array(v.finalObservations[(i * 4)..<(i * 4 + 4)])
                XCTAssertTrue(abs(fin[0]) > 2.4 || abs(fin[2]) > 0.2094, "final obs \(fin) is not terminal")
                XCTAssertTrue(v.observations[(i * 4)..<(i * 4 + 4)].allSatisfy { abs($0) <= 0.05 })
                XCTAssertNotEqual(Array(before[(i * 4)..<(i * 4 + 4)]), fin)
            }
        }
        XCTAssertTrue(sawTerminal)
        let eps = v.finished
        XCTAssertFalse(eps.isEmpty)
        XCTAssertTrue(eps.allSatisfy { $0.terminated && $0.episodeReturn == Double($0.length) })
        XCTAssertEqual(v.totalSteps, 600)
    }
}
