import NN

/// A batch of `nenvs` segments of `nsteps` steps each, env-major: segment `e` is one environment
/// stream's consecutive steps. Row `e·(nsteps+1) + t` of `obs` is the observation before step `t`
/// (`t = nsteps`: the one after the segment); row `e·nsteps + t` of the step arrays is step `t`.
///
/// `mu` holds, at every step, one row of `statisticsCount` Floats describing the behaviour policy
/// μ(·|x) — whatever its kind: the full distribution over the `n` actions for discrete ACER (which
/// needs ρ for every action), or the Gaussian's `(μ, log σ)` (`PolicyDistribution.gaussian(k)`,
/// `2k` Floats) for continuous ACER. `actions` holds one row of `actionDimension` Floats per step:
/// the action index (discrete, 1 Float) or the sampled action vector (continuous, before clipping
/// to the action space's bounds).
/// `finalObs` row `e·nsteps + t` is the last observation of an episode truncated at step `t`
/// (meaningful only where `truncated`); the next row of `obs` is then the new episode's first.
public struct SegmentBatch {
    public let nenvs: Int, nsteps: Int, obsSize: Int
    /// Floats per row of behaviour statistics (`mu`) and per action (`actions`).
    public let statisticsCount: Int, actionDimension: Int
    public var obs: [Float]
    public var finalObs: [Float]
    public var actions: [Float]
    public var rewards: [Float]
    public var mu: [Float]
    public var terminated: [Bool]
    public var truncated: [Bool]

    /// The number of discrete actions, for a batch of discrete ACER (= `statisticsCount`).
    public var nA: Int { statisticsCount }

    public init(nenvs: Int, nsteps: Int, obsSize: Int, statisticsCount: Int, actionDimension: Int) {
        self.nenvs = nenvs; self.nsteps = nsteps; self.obsSize = obsSize
        self.statisticsCount = statisticsCount; self.actionDimension = actionDimension
        obs = [Float](repeating: 0, count: nenvs * (nsteps + 1) * obsSize)
        finalObs = [Float](repeating: 0, count: nenvs * nsteps * obsSize)
        actions = [Float](repeating: 0, count: nenvs * nsteps * actionDimension)
        rewards = [Float](repeating: 0, count: nenvs * nsteps)
        mu = [Float](repeating: 0, count: nenvs * nsteps * statisticsCount)
        terminated = [Bool](repeating: false, count: nenvs * nsteps)
        truncated = terminated
    }

    /// A batch for discrete ACER: μ as `nA` probabilities, actions as one Float (the index).
    public init(nenvs: Int, nsteps: Int, obsSize: Int, nA: Int) {
        self.init(nenvs: nenvs, nsteps: nsteps, obsSize: obsSize, statisticsCount: nA, actionDimension: 1)
    }
}

/// ACER's replay memory: for each environment stream a ring of the last `capacity` segments
/// (`buffer_size / (nenvs·nsteps)` segments per stream, as in OpenAI baselines), stored in flat
/// arrays (no per-segment allocation). Sampling draws one stored segment per stream, uniformly.
///
/// One type serves discrete and continuous ACER: each step stores the behaviour policy's
/// statistics (`statisticsCount` Floats) and the action. Discrete actions are stored as one byte
/// (the index, < 256) and checkpointed with the flags in `replay_actions_flags`, as before
/// continuous actions existed; continuous actions are stored as `actionDimension` Floats
/// (`replay_actions` in a checkpoint, and `replay_actions_flags` then holds the flags only).
///
/// ```swift
/// let buffer = ReplayBuffer(bufferSize: 50_000, nenvs: 8, nsteps: 20, obsSize: 3,
///                           statisticsCount: 2, actionDimension: 1, discreteActions: false)
/// buffer.put(batch)                          // the on-policy segment of every stream
/// buffer.sample(into: &batch, rng: &rng)     // one stored segment per stream
/// ```
///
/// Memory per stored environment step: `bytesPerStep` (observations including the segment's extra
/// last one, the final observation slot for truncations, μ's statistics, action, reward and flags).
public final class ReplayBuffer {
    public let nenvs: Int, nsteps: Int, obsSize: Int
    public let statisticsCount: Int, actionDimension: Int
    /// Actions are indices (one byte each) rather than Float vectors.
    public let discreteActions: Bool
    /// Segments kept per stream.
    public let capacity: Int
    /// Segments stored per stream so far (≤ capacity).
    public private(set) var count = 0
    /// Next slot to overwrite.
    public private(set) var next = 0
    var obs: [Float], finalObs: [Float], mu: [Float], rewards: [Float], actions: [UInt8], actionValues: [Float], flags: [UInt8]

    /// The number of discrete actions (= `statisticsCount` for discrete ACER).
    public var nA: Int { statisticsCount }

    public init(bufferSize: Int, nenvs: Int, nsteps: Int, obsSize: Int, statisticsCount: Int, actionDimension: Int, discreteActions: Bool) {
        precondition(!discreteActions || (statisticsCount <= 256 && actionDimension == 1), "discrete actions are stored as bytes")
        self.nenvs = nenvs; self.nsteps = nsteps; self.obsSize = obsSize
        self.statisticsCount = statisticsCount; self.actionDimension = actionDimension; self.discreteActions = discreteActions
        capacity = max(1, bufferSize / (nenvs * nsteps))
        let segs = capacity * nenvs
        obs = [Float](repeating: 0, count: segs * (nsteps + 1) * obsSize)
        finalObs = [Float](repeating: 0, count: segs * nsteps * obsSize)
        mu = [Float](repeating: 0, count: segs * nsteps * statisticsCount)
        rewards = [Float](repeating: 0, count: segs * nsteps)
        actions = [UInt8](repeating: 0, count: discreteActions ? segs * nsteps : 0)
        actionValues = [Float](repeating: 0, count: discreteActions ? 0 : segs * nsteps * actionDimension)
        flags = [UInt8](repeating: 0, count: segs * nsteps)
    }

    /// A buffer for discrete ACER: μ as `nA` probabilities per step, actions as bytes.
    public convenience init(bufferSize: Int, nenvs: Int, nsteps: Int, obsSize: Int, nA: Int) {
        self.init(bufferSize: bufferSize, nenvs: nenvs, nsteps: nsteps, obsSize: obsSize, statisticsCount: nA, actionDimension: 1,
                  discreteActions: true)
    }

    /// Environment steps stored.
    public var storedSteps: Int { count * nenvs * nsteps }

    public var bytesPerStep: Double {
        let bytes = (obs.count + finalObs.count + mu.count + rewards.count + actionValues.count) * MemoryLayout<Float>.stride
            + actions.count + flags.count
        return Double(bytes) / Double(capacity * nenvs * nsteps)
    }

    /// Stores every stream's segment of `b` in the next slot.
    public func put(_ b: SegmentBatch) {
        precondition(b.nenvs == nenvs && b.nsteps == nsteps && b.statisticsCount == statisticsCount && b.actionDimension == actionDimension)
        let T = nsteps, d = obsSize, S = statisticsCount, A = actionDimension
        for e in 0..<nenvs {
            let seg = next * nenvs + e
            let o = seg * (T + 1) * d, s = seg * T
            for k in 0..<((T + 1) * d) { obs[o + k] = b.obs[e * (T + 1) * d + k] }
            for k in 0..<(T * d) { finalObs[s * d + k] = b.finalObs[e * T * d + k] }
            for k in 0..<(T * S) { mu[s * S + k] = b.mu[e * T * S + k] }
            if discreteActions {
                for t in 0..<T { actions[s + t] = UInt8(b.actions[e * T + t]) }
            } else {
                for k in 0..<(T * A) { actionValues[s * A + k] = b.actions[e * T * A + k] }
            }
            for t in 0..<T {
                rewards[s + t] = b.rewards[e * T + t]
                flags[s + t] = (b.terminated[e * T + t] ? 1 : 0) | (b.truncated[e * T + t] ? 2 : 0)
            }
        }
        next = (next + 1) % capacity
        count = min(count + 1, capacity)
    }

    /// Fills `b` with one uniformly drawn stored segment per stream.
    public func sample(into b: inout SegmentBatch, rng: inout RNG) {
        precondition(count > 0, "sampling from an empty replay buffer")
        precondition(b.nenvs == nenvs && b.nsteps == nsteps && b.statisticsCount == statisticsCount && b.actionDimension == actionDimension)
        let T = nsteps, d = obsSize, S = statisticsCount, A = actionDimension
        for e in 0..<nenvs {
            let seg = rng.int(below: count) * nenvs + e
            let o = seg * (T + 1) * d, s = seg * T
            for k in 0..<((T + 1) * d) { b.obs[e * (T + 1) * d + k] = obs[o + k] }
            for k in 0..<(T * d) { b.finalObs[e * T * d + k] = finalObs[s * d + k] }
            for k in 0..<(T * S) { b.mu[e * T * S + k] = mu[s * S + k] }
            if discreteActions {
                for t in 0..<T { b.actions[e * T + t] = Float(actions[s + t]) }
            } else {
                for k in 0..<(T * A) { b.actions[e * T * A + k] = actionValues[s * A + k] }
            }
            for t in 0..<T {
                b.rewards[e * T + t] = rewards[s + t]
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
        if discreteActions {
            c.ints["replay_actions_flags"] = zip(actions, flags).map { Int64($0) | (Int64($1) << 8) }
        } else {
            c.floats["replay_actions"] = actionValues
            c.ints["replay_actions_flags"] = flags.map { Int64($0) << 8 }
        }
        c.ints["replay_counters"] = [Int64(count), Int64(next)]
        return c
    }

    /// The inverse of `checkpoint`, into a buffer of the same shape.
    public func restore(_ c: AgentCheckpoint) throws {
        obs = try c.required(c.floats, "replay_obs", count: obs.count)
        finalObs = try c.required(c.floats, "replay_final_obs", count: finalObs.count)
        mu = try c.required(c.floats, "replay_mu", count: mu.count)
        rewards = try c.required(c.floats, "replay_rewards", count: rewards.count)
        let af = try c.required(c.ints, "replay_actions_flags", count: flags.count)
        if discreteActions {
            for k in af.indices { actions[k] = UInt8(truncatingIfNeeded: af[k]); flags[k] = UInt8(truncatingIfNeeded: af[k] >> 8) }
        } else {
            actionValues = try c.required(c.floats, "replay_actions", count: actionValues.count)
            for k in af.indices { flags[k] = UInt8(truncatingIfNeeded: af[k] >> 8) }
        }
        let counters = try c.required(c.ints, "replay_counters", count: 2)
        guard (0...Int64(capacity)).contains(counters[0]), (0..<Int64(capacity)).contains(counters[1]) else {
            throw AgentError("replay_counters \(counters) out of range for a buffer of \(capacity) segments per stream")
        }
        count = Int(counters[0]); next = Int(counters[1])
    }
}
