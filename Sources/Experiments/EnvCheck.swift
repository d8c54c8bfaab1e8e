import Environments
import Foundation
import HDF5
import NN

/// `rlexp env check --reference FILE`: replays every trajectory of a reference file (the layout of
/// ../shared/reference/reference.h5, written by `tools/make_reference.py` or a user's own run of it)
/// against the built-in environments and reports, per environment, how many steps matched bit for
/// bit and the first mismatch.
///
/// Groups understood (any subset may be present):
/// - `/classic_control/<EnvId>/`: `init_state` (N × S float64), `actions` (N × T, or N × T × A for
///   Box actions), `obs` (N × (T+1) × D float32), `state` (N × (T+1) × S float64), `reward`,
///   `terminated`, `truncated` (N × T), `first_done` (N). Each trajectory starts from its
///   `init_state` and runs free for T steps; the state and observation are compared at every step,
///   reward and flags up to and including `first_done` (the reference does not reset).
/// - `/minatar_exact/<game>/seed_<k>/`: checked by `MinAtarReplay` (see there).
public enum EnvCheck {
    /// The outcome for one environment (or MinAtar game).
    public struct Result: Sendable, Equatable {
        public var group: String
        public var id: String
        /// Trajectories or episodes replayed.
        public var trajectories: Int
        /// Steps compared, and the steps that matched every field exactly (a trajectory's steps
        /// after its first mismatch count as compared and not matched).
        public var steps: Int
        public var exactSteps: Int
        /// The first mismatch, e.g. "trajectory 3 step 17: state[2] 0.123… (0x3fbf…) ≠ reference …".
        public var firstMismatch: String?
        /// Why the group was not replayed (an environment rlexp does not have built in).
        public var skipped: String?
        public var exact: Bool { skipped == nil && firstMismatch == nil && exactSteps == steps }
    }

    public struct CheckError: Error, CustomStringConvertible {
        public var description: String
    }

    /// Replays everything the file holds. Throws only when the file cannot be read as a reference.
    public static func run(referencePath: String, progress: (Result) -> Void = { _ in }) throws -> [Result] {
        guard FileManager.default.fileExists(atPath: referencePath) else { throw CheckError(description: "no such file: \(referencePath)") }
        let f: H5File
        do { f = try H5File.open(referencePath) } catch { throw CheckError(description: "\(referencePath) is not an HDF5 file (\(error))") }
        defer { f.close() }
        var out: [Result] = []
        let root = f.root
        let known = ["classic_control", "minatar_exact", "minatar_stats"]
        let groups = try root.memberNames()
        guard groups.contains(where: { known.prefix(2).contains($0) }) else {
            throw CheckError(description: "\(referencePath) holds none of the groups /classic_control, /minatar_exact (it has: \(groups.joined(separator: ", ")))")
        }
        if groups.contains("classic_control") {
            let g = try root.openGroup("classic_control")
            for id in try g.memberNames().sorted() {
                let r = try checkClassic(id: id, group: try g.openGroup(id))
                progress(r); out.append(r)
            }
        }
        if groups.contains("minatar_exact") {
            let g = try root.openGroup("minatar_exact")
            for game in try g.memberNames().sorted() {
                let r = try MinAtarReplay.check(game: game, group: try g.openGroup(game))
                progress(r); out.append(r)
            }
        }
        return out
    }

    static func hex(_ x: Double) -> String { "0x" + String(x.bitPattern, radix: 16) }
    static func hex(_ x: Float) -> String { "0x" + String(x.bitPattern, radix: 16) }

    static func checkClassic(id: String, group g: H5Group) throws -> Result {
        var result = Result(group: "classic_control", id: id, trajectories: 0, steps: 0, exactSteps: 0)
        guard let spec = Environments.spec(id), let probe = spec.make(RNG(seed: 0)) as? any PhysicsStateAccess else {
            result.skipped = "not a built-in classic-control environment"
            return result
        }
        func need(_ name: String) throws -> H5Dataset {
            guard g.exists(name) else { throw CheckError(description: "/classic_control/\(id) has no dataset \(name)") }
            return try g.openDataset(name)
        }
        let initShape = try need("init_state").shape, obsShape = try need("obs").shape
        guard initShape.count == 2, obsShape.count == 3 else { throw CheckError(description: "/classic_control/\(id): init_state must be N × S and obs N × (T+1) × D") }
        let N = initShape[0], S = initShape[1], T = obsShape[1] - 1, D = obsShape[2]
        guard D == spec.observation.size, S == probe.physicsState.count else {
            throw CheckError(description: "/classic_control/\(id): observation size \(D) and state size \(S) do not match the built-in \(id) (\(spec.observation.size), \(probe.physicsState.count))")
        }
        let A = spec.action.dimension
        let initState = try g.read("init_state", as: Double.self)
        let actions = try need("actions").read(as: Float.self)
        let obs = try g.read("obs", as: Float.self), state = try need("state").read(as: Double.self)
        let reward = try need("reward").read(as: Double.self)
        let terminated = try need("terminated").read(as: Int8.self), truncated = try need("truncated").read(as: Int8.self)
        let firstDone = g.exists("first_done") ? try g.read("first_done", as: Int64.self) : [Int64](repeating: -1, count: N)
        guard actions.count == N * T * A, state.count == N * (T + 1) * S, reward.count == N * T else {
            throw CheckError(description: "/classic_control/\(id): dataset sizes do not agree with \(N) trajectories × \(T) steps")
        }
        var o = [Float](repeating: 0, count: D)
        var a = [Float](repeating: 0, count: A)
        result.trajectories = N
        for i in 0..<N {
            var env = probe
            var mismatch: String?
            o.withUnsafeMutableBufferPointer { env.setPhysicsState(Array(initState[(i * S)..<((i + 1) * S)]), into: $0.baseAddress!) }
            for k in 0..<D where o[k].bitPattern != obs[i * (T + 1) * D + k].bitPattern {
                mismatch = "trajectory \(i) initial observation: obs[\(k)] \(o[k]) (\(hex(o[k]))) ≠ reference \(obs[i * (T + 1) * D + k]) (\(hex(obs[i * (T + 1) * D + k])))"
                break
            }
            for t in 0..<T {
                result.steps += 1
                if mismatch != nil { continue }
                for k in 0..<A { a[k] = actions[(i * T + t) * A + k] }
                let r: StepResult = o.withUnsafeMutableBufferPointer { ob in
                    if case .discrete = spec.action { return env.step(Int(a[0]), into: ob.baseAddress!) }
                    return a.withUnsafeBufferPointer { env.step(continuous: $0.baseAddress!, into: ob.baseAddress!) }
                }
                let s = env.physicsState, sb = (i * (T + 1) + t + 1) * S, ob = (i * (T + 1) + t + 1) * D
                for k in 0..<S where s[k].bitPattern != state[sb + k].bitPattern {
                    mismatch = "trajectory \(i) step \(t): state[\(k)] \(s[k]) (\(hex(s[k]))) ≠ reference \(state[sb + k]) (\(hex(state[sb + k])))"; break
                }
                if mismatch == nil {
                    for k in 0..<D where o[k].bitPattern != obs[ob + k].bitPattern {
                        mismatch = "trajectory \(i) step \(t): obs[\(k)] \(o[k]) (\(hex(o[k]))) ≠ reference \(obs[ob + k]) (\(hex(obs[ob + k])))"; break
                    }
                }
                if mismatch == nil && (firstDone[i] < 0 || t <= Int(firstDone[i])) {
                    let j = i * T + t
                    if r.reward.bitPattern != reward[j].bitPattern {
                        mismatch = "trajectory \(i) step \(t): reward \(r.reward) (\(hex(r.reward))) ≠ reference \(reward[j]) (\(hex(reward[j])))"
                    } else if r.terminated != (terminated[j] != 0) {
                        mismatch = "trajectory \(i) step \(t): terminated \(r.terminated) ≠ reference \(terminated[j] != 0)"
                    } else if r.truncated != (truncated[j] != 0) {
                        mismatch = "trajectory \(i) step \(t): truncated \(r.truncated) ≠ reference \(truncated[j] != 0)"
                    }
                }
                if mismatch == nil { result.exactSteps += 1 } else if result.firstMismatch == nil { result.firstMismatch = mismatch }
            }
            if let m = mismatch, result.firstMismatch == nil { result.firstMismatch = m }
        }
        return result
    }
}

/// Replays `/minatar_exact/<game>/seed_<k>/` episodes: `Environment(game, sticky_action_prob=0.1,
/// difficulty_ramping=True)`, `seed(k)`, `reset()` (the first grid of `obs`), then `act(agent_action[t])`
/// for every step, comparing the effective action (after the sticky substitution; when the file has
/// `effective_action`), the reward, the terminal flag and the whole grid. Attributes `sticky_action_prob` and `difficulty_ramping` on
/// the game or episode group override those defaults.
enum MinAtarReplay {
    static func check(game name: String, group g: H5Group) throws -> EnvCheck.Result {
        var result = EnvCheck.Result(group: "minatar_exact", id: name, trajectories: 0, steps: 0, exactSteps: 0)
        guard let game = MinAtar.Game(rawValue: name) else {
            result.skipped = "not a MinAtar game rlexp has (\(MinAtar.Game.allCases.map(\.rawValue).joined(separator: ", ")))"
            return result
        }
        func option(_ group: H5Group, _ key: String, _ fallback: Double) -> Double {
            group.hasAttribute(key) ? ((try? group.attribute(key, as: Double.self)) ?? fallback) : fallback
        }
        let episodes = try g.memberNames().filter { $0.hasPrefix("seed_") }
            .sorted { (Int($0.dropFirst(5)) ?? 0) < (Int($1.dropFirst(5)) ?? 0) }
        for ep in episodes {
            guard let seed = UInt32(ep.dropFirst(5)) else { throw EnvCheck.CheckError(description: "/minatar_exact/\(name)/\(ep): expected seed_<k>") }
            let e = try g.openGroup(ep)
            for d in ["agent_action", "reward", "terminal", "obs"] where !e.exists(d) {
                throw EnvCheck.CheckError(description: "/minatar_exact/\(name)/\(ep) has no dataset \(d)")
            }
            let agent = try e.read("agent_action", as: Int64.self)
            let eff = e.exists("effective_action") ? try e.read("effective_action", as: Int64.self) : nil
            let reward = try e.read("reward", as: Int64.self), terminal = try e.read("terminal", as: Int8.self)
            let obs = try e.read("obs", as: UInt8.self)
            let sticky = option(e, "sticky_action_prob", option(g, "sticky_action_prob", 0.1))
            let ramping = option(e, "difficulty_ramping", option(g, "difficulty_ramping", 1)) != 0
            var env = MinAtar.make(game, seed: seed, stickyActionProbability: sticky, difficultyRamping: ramping)
            let D = env.observationSize, T = agent.count
            guard obs.count == (T + 1) * D, eff.map({ $0.count == T }) ?? true, reward.count == T, terminal.count == T else {
                throw EnvCheck.CheckError(description: "/minatar_exact/\(name)/\(ep): dataset sizes do not agree with \(T) steps of a 10×10×\(env.channelCount) grid")
            }
            result.trajectories += 1
            var o = [UInt8](repeating: 0, count: D)
            o.withUnsafeMutableBufferPointer { env.render(into: $0.baseAddress!) }
            var mismatch: String? = gridMismatch(o, obs, row: 0, channels: env.channelNames).map { "\(ep) after reset: \($0)" }
            for t in 0..<T {
                result.steps += 1
                if mismatch != nil { continue }
                let (r, done) = env.act(Int(agent[t]))
                o.withUnsafeMutableBufferPointer { env.render(into: $0.baseAddress!) }
                if let eff, env.lastAction != Int(eff[t]) {
                    mismatch = "\(ep) step \(t): effective_action \(env.lastAction) ≠ reference \(eff[t])"
                } else if r != Int(reward[t]) {
                    mismatch = "\(ep) step \(t): reward \(r) ≠ reference \(reward[t])"
                } else if done != (terminal[t] != 0) {
                    mismatch = "\(ep) step \(t): terminal \(done) ≠ reference \(terminal[t] != 0)"
                } else if let m = gridMismatch(o, obs, row: t + 1, channels: env.channelNames) {
                    mismatch = "\(ep) step \(t): \(m)"
                }
                if mismatch == nil { result.exactSteps += 1 } else if result.firstMismatch == nil { result.firstMismatch = mismatch }
            }
            if let m = mismatch, result.firstMismatch == nil { result.firstMismatch = m }
        }
        return result
    }

    /// The first cell where the grid differs from row `row` of the reference, named by (y, x, channel).
    static func gridMismatch(_ o: [UInt8], _ obs: [UInt8], row: Int, channels: [String]) -> String? {
        let D = o.count, C = channels.count
        for k in 0..<D where o[k] != obs[row * D + k] {
            let y = k / (10 * C), x = (k / C) % 10, c = k % C
            return "obs[y \(y), x \(x), \(channels[c])] \(o[k]) ≠ reference \(obs[row * D + k])"
        }
        return nil
    }
}
