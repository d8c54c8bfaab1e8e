import Environments
import Foundation
import HDF5
import NN
import XCTest

/// Replays the reference trajectories of ../shared/reference/reference.h5 (Gymnasium 1.4.0 through
/// gym.make, 20 trajectories × 300 steps from explicit float64 initial states) and compares the
/// internal state, observations, rewards and flags bit for bit.
final class ClassicControlReferenceTests: XCTestCase {
    struct Reference {
        var nTraj = 20, nSteps = 300, stateSize: Int, obsSize: Int
        var actions: [Double], initState: [Double], obs: [Float], state: [Double], reward: [Double]
        var terminated: [Int8], truncated: [Int8], firstDone: [Int64]
    }

    func load(_ id: String, stateSize: Int, obsSize: Int) throws -> Reference? {
        let path = CartPoleReferenceTests.referencePath
        guard FileManager.default.fileExists(atPath: path) else {
            XCTFail("reference trajectories not found at \(path) (shared/ must sit beside the repository)"); return nil
        }
        let f = try H5File.open(path)
        defer { f.close() }
        let g = try f.root.openGroup("classic_control/\(id)")
        return Reference(stateSize: stateSize, obsSize: obsSize,
                         actions: try readActions(g), initState: try g.read("init_state", as: Double.self),
                         obs: try g.read("obs", as: Float.self), state: try g.read("state", as: Double.self),
                         reward: try g.read("reward", as: Double.self), terminated: try g.read("terminated", as: Int8.self),
                         truncated: try g.read("truncated", as: Int8.self), firstDone: try g.read("first_done", as: Int64.self))
    }

    /// Discrete actions are int64 in the file, Pendulum's float32; both read as Float exactly.
    func readActions(_ g: H5Group) throws -> [Double] {
        try g.read("actions", as: Float.self).map(Double.init)   // HDF5 converts int64 0/1/2 exactly
    }

    /// Replays every trajectory: `start(env, initialState, obs)` sets the state, `stateOf(env)` reads it back.
    func replay<E: Environment>(_ ref: Reference, make: () -> E, start: (inout E, [Double], UnsafeMutablePointer<Float>) -> Void,
                                stateOf: (E) -> [Double], file: StaticString = #filePath, line: UInt = #line) {
        let continuous = ref.actions.count != ref.nTraj * ref.nSteps || make().actionSpace.kind == .continuous
        let S = ref.stateSize, D = ref.obsSize, T = ref.nSteps
        var comparedFlags = 0
        for i in 0..<ref.nTraj {
            var env = make()
            var o = [Float](repeating: 0, count: D)
            o.withUnsafeMutableBufferPointer { start(&env, Array(ref.initState[(i * S)..<((i + 1) * S)]), $0.baseAddress!) }
            XCTAssertEqual(o.map(\.bitPattern), ref.obs[(i * (T + 1) * D)..<(i * (T + 1) * D + D)].map(\.bitPattern), "traj \(i) initial observation", file: file, line: line)
            for t in 0..<T {
                let r: StepResult
                if continuous {
                    var a = [Float(ref.actions[i * T + t])]
                    r = o.withUnsafeMutableBufferPointer { ob in a.withUnsafeMutableBufferPointer { env.step(continuous: $0.baseAddress!, into: ob.baseAddress!) } }
                } else {
                    r = o.withUnsafeMutableBufferPointer { env.step(Int(ref.actions[i * T + t]), into: $0.baseAddress!) }
                }
                let sb = (i * (T + 1) + t + 1) * S, ob = (i * (T + 1) + t + 1) * D
                guard stateOf(env).map(\.bitPattern) == ref.state[sb..<(sb + S)].map(\.bitPattern) else {
                    return XCTFail("traj \(i) step \(t): state \(stateOf(env)) ≠ \(Array(ref.state[sb..<(sb + S)]))", file: file, line: line)
                }
                XCTAssertEqual(o.map(\.bitPattern), ref.obs[ob..<(ob + D)].map(\.bitPattern), "traj \(i) step \(t) observation", file: file, line: line)
                if ref.firstDone[i] < 0 || t <= Int(ref.firstDone[i]) {
                    XCTAssertEqual(r.reward.bitPattern, ref.reward[i * T + t].bitPattern, "traj \(i) step \(t) reward", file: file, line: line)
                    XCTAssertEqual(r.terminated, ref.terminated[i * T + t] != 0, "traj \(i) step \(t) terminated", file: file, line: line)
                    XCTAssertEqual(r.truncated, ref.truncated[i * T + t] != 0, "traj \(i) step \(t) truncated", file: file, line: line)
                    comparedFlags += 1
                }
            }
        }
        XCTAssertGreaterThan(comparedFlags, 300, "too few steps compared before first_done", file: file, line: line)
    }

    func testMountainCarMatchesGymnasiumBitForBit() throws {
        guard let ref = try load("MountainCar-v0", stateSize: 2, obsSize: 2) else { return }
        replay(ref, make: { MountainCar(rng: RNG(seed: 0)) },
               start: { env, s, o in env.setState((s[0], s[1]), into: o) },
               stateOf: { [$0.state.position, $0.state.velocity] })
        // some trajectory reaches the goal and some hit the left wall (the reference's wide box)
        XCTAssertTrue(ref.terminated.contains(1), "no reference trajectory terminates")
    }

    func testMountainCarResetAndTimeLimit() {
        var env = MountainCar(rng: RNG(seed: 4))
        var o = [Float](repeating: 0, count: 2)
        var starts = Set<Float>()
        for _ in 0..<50 {
            o.withUnsafeMutableBufferPointer { env.reset(into: $0.baseAddress!) }
            XCTAssertTrue(o[0] >= -0.6 && o[0] <= -0.4 && o[1] == 0, "\(o)")
            starts.insert(o[0])
        }
        XCTAssertGreaterThan(starts.count, 45)
        o.withUnsafeMutableBufferPointer { env.reset(into: $0.baseAddress!) }
        for t in 1...200 {
            let r = o.withUnsafeMutableBufferPointer { env.step(1, into: $0.baseAddress!) }   // no push: never reaches the goal
            XCTAssertEqual(r.reward, -1)
            XCTAssertEqual(r.truncated, t == 200)
            XCTAssertFalse(r.terminated)
        }
    }

    func testPendulumMatchesGymnasiumBitForBit() throws {
        guard let ref = try load("Pendulum-v1", stateSize: 2, obsSize: 3) else { return }
        replay(ref, make: { Pendulum(rng: RNG(seed: 0)) },
               start: { env, s, o in env.setState((s[0], s[1]), into: o) },
               stateOf: { [$0.state.theta, $0.state.thetaDot] })
        // the reference exercises the torque clip and the speed clip
        XCTAssertTrue(ref.actions.contains { abs($0) > 2 }, "no reference action outside [-2, 2]")
        XCTAssertTrue(ref.state.enumerated().contains { $0.offset % 2 == 1 && abs($0.element) == 8 }, "no reference state at the speed limit")
    }

    func testPendulumResetBoundsAndTimeLimit() {
        var env = Pendulum(rng: RNG(seed: 5))
        var o = [Float](repeating: 0, count: 3)
        var a: [Float] = [0.5]
        for _ in 0..<50 {
            o.withUnsafeMutableBufferPointer { env.reset(into: $0.baseAddress!) }
            XCTAssertTrue(abs(env.state.theta) <= Double.pi && abs(env.state.thetaDot) <= 1, "\(env.state)")
            XCTAssertEqual(o[0] * o[0] + o[1] * o[1], 1, accuracy: 1e-6)
        }
        for t in 1...200 {
            let r = o.withUnsafeMutableBufferPointer { ob in a.withUnsafeMutableBufferPointer { env.step(continuous: $0.baseAddress!, into: ob.baseAddress!) } }
            XCTAssertLessThanOrEqual(r.reward, 0)
            XCTAssertGreaterThanOrEqual(r.reward, -(Double.pi * Double.pi + 0.1 * 64 + 0.001 * 4))
            XCTAssertEqual(r.truncated, t == 200)
            XCTAssertFalse(r.terminated)
        }
    }

    func testAcrobotMatchesGymnasiumBitForBit() throws {
        guard let ref = try load("Acrobot-v1", stateSize: 4, obsSize: 6) else { return }
        replay(ref, make: { Acrobot(rng: RNG(seed: 0)) },
               start: { env, s, o in env.setState(s, into: o) },
               stateOf: { $0.state })
        XCTAssertTrue(ref.terminated.contains(1), "no reference trajectory terminates")
    }
}
