import Environments
import Experiments
import Foundation
import HDF5
import NN
import XCTest

/// `EnvCheck` on reference files written here: trajectories recorded from the built-in
/// environments themselves must replay exactly, and changing any one recorded value must be
/// reported at the right trajectory, step and field.
final class EnvCheckTests: XCTestCase {
    /// Records `n` CartPole and Pendulum trajectories of `T` steps in the reference layout, with
    /// `edit` applied to the named dataset's values before writing.
    func writeReference(_ path: String, n: Int = 3, T: Int = 40, edit: (String, String, inout [Double]) -> Void = { _, _, _ in }) throws {
        let f = try H5File.create(path)
        defer { f.close() }
        let cc = try f.root.createGroup("classic_control")
        var actionRNG = RNG(seed: 9)
        for id in ["CartPole-v1", "Pendulum-v1"] {
            let spec = Environments.spec(id)!
            let S = 4 - (id == "Pendulum-v1" ? 2 : 0), D = spec.observation.size, A = spec.action.dimension
            var initState: [Double] = [], actions: [Double] = [], obs: [Double] = [], state: [Double] = []
            var reward: [Double] = [], term: [Double] = [], trunc: [Double] = []
            for i in 0..<n {
                var env = spec.make(RNG(seed: UInt64(i))) as! any PhysicsStateAccess
                var o = [Float](repeating: 0, count: D)
                o.withUnsafeMutableBufferPointer { env.reset(into: $0.baseAddress!) }
                let s0 = env.physicsState
                o.withUnsafeMutableBufferPointer { env.setPhysicsState(s0, into: $0.baseAddress!) }
                initState += s0; obs += o.map(Double.init); state += s0
                for _ in 0..<T {
                    var a = [Float](repeating: 0, count: A)
                    let r: StepResult
                    if case .discrete(let k) = spec.action {
                        a[0] = Float(actionRNG.int(below: k))
                        r = o.withUnsafeMutableBufferPointer { env.step(Int(a[0]), into: $0.baseAddress!) }
                    } else {
                        a[0] = Float(actionRNG.uniform(-2.2, 2.2))
                        r = o.withUnsafeMutableBufferPointer { ob in a.withUnsafeBufferPointer { env.step(continuous: $0.baseAddress!, into: ob.baseAddress!) } }
                    }
                    actions += a.map(Double.init); obs += o.map(Double.init); state += env.physicsState
                    reward.append(r.reward); term.append(r.terminated ? 1 : 0); trunc.append(r.truncated ? 1 : 0)
                }
            }
            for (name, var v) in [("init_state", initState), ("actions", actions), ("obs", obs), ("state", state), ("reward", reward)] {
                edit(id, name, &v)
                let shape: [Int] = name == "init_state" ? [n, S] : name == "actions" ? [n, T, A] : name == "obs" ? [n, T + 1, D]
                    : name == "state" ? [n, T + 1, S] : [n, T]
                let g = cc.exists(id) ? try cc.openGroup(id) : try cc.createGroup(id)
                if name == "obs" { _ = try g.write(name, v.map { Float($0) }, shape: shape) } else { _ = try g.write(name, v, shape: shape) }
            }
            let g = try cc.openGroup(id)
            _ = try g.write("terminated", term.map { Int8($0) }, shape: [n, T])
            _ = try g.write("truncated", trunc.map { Int8($0) }, shape: [n, T])
            _ = try g.write("first_done", [Int64](repeating: -1, count: n), shape: [n])
        }
    }

    func path(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("rlexp-envcheck-\(name)-\(UUID().uuidString).h5").path
    }

    func testSelfRecordedReferenceIsExact() throws {
        let p = path("exact"); defer { try? FileManager.default.removeItem(atPath: p) }
        try writeReference(p)
        let results = try EnvCheck.run(referencePath: p)
        XCTAssertEqual(results.map(\.id), ["CartPole-v1", "Pendulum-v1"])
        for r in results {
            XCTAssertTrue(r.exact, "\(r.id): \(r.firstMismatch ?? "")")
            XCTAssertEqual(r.steps, 3 * 40)
        }
    }

    func testEveryStateComponentAndFieldIsCompared() throws {
        // one value changed at a time: each state component, an observation, a reward
        let cases: [(id: String, dataset: String, index: Int, expect: String)] = [
            ("CartPole-v1", "state", (1 * 41 + 6) * 4 + 0, "trajectory 1 step 5: state[0]"),
            ("CartPole-v1", "state", (0 * 41 + 3) * 4 + 3, "trajectory 0 step 2: state[3]"),
            ("Pendulum-v1", "state", (2 * 41 + 10) * 2 + 0, "trajectory 2 step 9: state[0]"),
            ("Pendulum-v1", "state", (2 * 41 + 10) * 2 + 1, "trajectory 2 step 9: state[1]"),
            ("Pendulum-v1", "reward", 1 * 40 + 7, "trajectory 1 step 7: reward"),
            ("CartPole-v1", "obs", (0 * 41 + 4) * 4 + 2, "trajectory 0 step 3: obs[2]"),
        ]
        for c in cases {
            let p = path("edit"); defer { try? FileManager.default.removeItem(atPath: p) }
            try writeReference(p) { id, name, values in
                if id == c.id && name == c.dataset { values[c.index] = values[c.index].nextUp.nextUp + (name == "obs" ? 1e-3 : 0) }
            }
            let r = try EnvCheck.run(referencePath: p).first { $0.id == c.id }!
            XCTAssertFalse(r.exact, "\(c): a changed value went unnoticed")
            XCTAssertTrue(r.firstMismatch?.hasPrefix(c.expect) ?? false, "\(c): first mismatch \(r.firstMismatch ?? "none")")
        }
    }
}
