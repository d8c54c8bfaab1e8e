import NN

/// A batch of `nenvs` segments of `nsteps` steps each, env-major: segment `e` is one environment
/// stream's consecutive steps. Row `e·(nsteps+1) + t` of `obs` is the observation before step `t`
/// (`t = nsteps`: the one after the segment); row `e·nsteps + t` of the step arrays is step `t`.
///
/// `mu` holds the full behaviour distribution μ(·|x) at every step (ACER needs ρ for every action).
/// `finalObs` row `e·nsteps + t` is the last observation of an episode truncated at step `t`
/// (meaningful only where `truncated`); the next row of `obs` is then the new episode's first.
public struct SegmentBatch {
    public let nenvs: Int, nsteps: Int, obsSize: Int, nA: Int
    public var obs: [Float]
    public var finalObs: [Float]
    public var actions: [Int32]
    public var rewards: [Float]
    public var mu: [Float]
    public var terminated: [Bool]
    public var truncated: [Bool]

    public init(nenvs: Int, nsteps: Int, obsSize: Int, nA: Int) {
        self.nenvs = nenvs; self.nsteps = nsteps; self.obsSize = obsSize; self.nA = nA
        obs = [Float](repeating: 0, count: nenvs * (nsteps + 1) * obsSize)
        finalObs = [Float](repeating: 0, count: nenvs * nsteps * obsSize)
        actions = [Int32](repeating: 0, count: nenvs * nsteps)
        rewards = [Float](repeating: 0, count: nenvs * nsteps)
        mu = [Float](repeating: 0, count: nenvs * nsteps * nA)
        terminated = [Bool](repeating: false, count: nenvs * nsteps)
        truncated = terminated
    }
}

/// ACER's replay memory: for each environment stream a ring of the last `capacity` segments
/// (`buffer_size / (nenvs·nsteps)` segments per stream, as in OpenAI baselines), stored in flat
/// arrays (no per-segment allocation). Sampling draws one stored segment per stream, uniformly.
///
/// Memory per stored environment step: `bytesPerStep` (observations including the segment's extra
/// last one, the final observation slot for truncations, μ, action, reward and flags).
public final class ReplayBuffer {
    public let nenvs: Int, nsteps: Int, obsSize: Int, nA: Int
    /// Segments kept per stream.
    public let capacity: Int
    /// Segments stored per stream so far (≤ capacity).
    public private(set) var count = 0
    /// Next slot to overwrite.
    public private(set) var next = 0
    var obs: [Float], finalObs: [Float], mu: [Float], rewards: [Float], actions: [UInt8], flags: [UInt8]

    public init(bufferSize: Int, nenvs: Int, nsteps: Int, obsSize: Int, nA: Int) {
        precondition(nA <= 256, "actions are stored as bytes")
        self.nenvs = nenvs; self.nsteps = nsteps; self.obsSize = obsSize; self.nA = nA
        capacity = max(1, bufferSize / (nenvs * nsteps))
        let segs = capacity * nenvs
        obs = [Float](repeating: 0, count: segs * (nsteps + 1) * obsSize)
        finalObs = [Float](repeating: 0, count: segs * nsteps * obsSize)
        mu = [Float](repeating: 0, count: segs * nsteps * nA)
        rewards = [Float](repeating: 0, count: segs * nsteps)
        actions = [UInt8](repeating: 0, count: segs * nsteps)
        flags = [UInt8](repeating: 0, count: segs * nsteps)
    }

    /// Environment steps stored.
    public var storedSteps: Int { count * nenvs * nsteps }

    public var bytesPerStep: Double {
        let bytes = (obs.count + finalObs.count + mu.count + rewards.count) * MemoryLayout<Float>.stride + actions.count + flags.count
        return Double(bytes) / Double(capacity * nenvs * nsteps)
    }

    /// Stores every stream's segment of `b` in the next slot.
    public func put(_ b: SegmentBatch) {
        precondition(b.nenvs == nenvs && b.nsteps == nsteps)
        let T = nsteps, d = obsSize
        for e in 0..<nenvs {
            let seg = next * nenvs + e
            let o = seg * (T + 1) * d, s = seg * T
            for k in 0..<((T + 1) * d) { obs[o + k] = b.obs[e * (T + 1) * d + k] }
            for k in 0..<(T * d) { finalObs[s * d + k] = b.finalObs[e * T * d + k] }
            for k in 0..<(T * nA) { mu[s * nA + k] = b.mu[e * T * nA + k] }
            for t in 0..<T {
                rewards[s + t] = b.rewards[e * T + t]
                actions[s + t] = UInt8(b.actions[e * T + t])
                flags[s + t] = (b.terminated[e * T + t] ? 1 : 0) | (b.truncated[e * T + t] ? 2 : 0)
            }
        }
        next = (next + 1) % capacity
        count = min(count + 1, capacity)
    }

    /// Fills `b` with one uniformly drawn stored segment per stream.
    public func sample(into b: inout SegmentBatch, rng: inout RNG) {
        precondition(count > 0, "sampling from an empty replay buffer")
        let T = nsteps, d = obsSize
        for e in 0..<nenvs {
            let seg = rng.int(below: count) * nenvs + e
            let o = seg * (T + 1) * d, s = seg * T
            for k in 0..<((T + 1) * d) { b.obs[e * (T + 1) * d + k] = obs[o + k] }
            for k in 0..<(T * d) { b.finalObs[e * T * d + k] = finalObs[s * d + k] }
            for k in 0..<(T * nA) { b.mu[e * T * nA + k] = mu[s * nA + k] }
            for t in 0..<T {
                b.rewards[e * T + t] = rewards[s + t]
                b.actions[e * T + t] = Int32(actions[s + t])
                b.terminated[e * T + t] = flags[s + t] & 1 != 0
                b.truncated[e * T + t] = flags[s + t] & 2 != 0
            }
        }
    }

    /// The buffer's contents for a checkpoint.
    public var checkpoint: AgentCheckpoint {
        var c = AgentCheckpoint()
        c.floats["replay_obs"] = obs; c.floats["replay_final_obs"] = finalObs; c.floats["replay_mu"] = mu
        c.floats["replay_rewards"] = rewards
        c.ints["replay_actions_flags"] = zip(actions, flags).map { Int64($0) | (Int64($1) << 8) }
        c.ints["replay_counters"] = [Int64(count), Int64(next)]
        return c
    }

    /// The inverse of `checkpoint`, into a buffer of the same shape.
    public func restore(_ c: AgentCheckpoint) throws {
        obs = try c.required(c.floats, "replay_obs", count: obs.count)
        finalObs = try c.required(c.floats, "replay_final_obs", count: finalObs.count)
        mu = try c.required(c.floats, "replay_mu", count: mu.count)
        rewards = try c.required(c.floats, "replay_rewards", count: rewards.count)
        let af = try c.required(c.ints, "replay_actions_flags", count: actions.count)
        for k in af.indices { actions[k] = UInt8(truncatingIfNeeded: af[k]); flags[k] = UInt8(truncatingIfNeeded: af[k] >> 8) }
        let counters = try c.required(c.ints, "replay_counters", count: 2)
        guard (0...Int64(capacity)).contains(counters[0]), (0..<Int64(capacity)).contains(counters[1]) else {
            throw AgentError("replay_counters \(counters) out of range for a buffer of \(capacity) segments per stream")
        }
        count = Int(counters[0]); next = Int(counters[1])
    }
}
