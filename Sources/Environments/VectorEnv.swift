import NN

/// A finished episode: where it ended (environment step counter of the whole vector), its return
/// and length, which copy it ran in, and whether it terminated (else it was truncated).
public struct EpisodeRecord: Equatable, Sendable {
    public var step: Int64
    public var envIndex: Int32
    public var episodeReturn: Double
    public var length: Int32
    public var terminated: Bool
}

/// `count` copies of one environment stepped in lock-step, each reset automatically when its
/// episode ends (the next observation is then the new episode's first one).
///
/// After `step`, `terminated[i]` and `truncated[i]` say how copy `i`'s episode ended, and for a
/// finished copy `finalObservations` row `i` holds the last observation of the old episode, so a
/// learner can bootstrap through a truncation from `V(final observation)`.
public final class VectorEnv {
    public private(set) var envs: [any Environment]
    public let count: Int
    public let observationSize: Int
    public let actionSpace: ActionSpace
    /// count × observationSize, the current observations.
    public var observations: [Float]
    public var finalObservations: [Float]
    public var rewards: [Double]
    public var terminated: [Bool]
    public var truncated: [Bool]
    /// Environment steps taken by all copies together.
    public private(set) var totalSteps: Int64 = 0
    public var episodeReturns: [Double]
    public var episodeLengths: [Int32]
    /// Episodes finished since the caller last cleared it.
    public var finished: [EpisodeRecord] = []

    public init(_ envs: [any Environment]) {
        precondition(!envs.isEmpty)
        self.envs = envs
        count = envs.count
        observationSize = envs[0].observationSize
        actionSpace = envs[0].actionSpace
        observations = [Float](repeating: 0, count: count * observationSize)
        finalObservations = observations
        rewards = [Double](repeating: 0, count: count)
        terminated = [Bool](repeating: false, count: count)
        truncated = terminated
        episodeReturns = rewards
        episodeLengths = [Int32](repeating: 0, count: count)
    }

    /// The episodes finished since the last call (and forgets them).
    public func drainFinished() -> [EpisodeRecord] {
        defer { finished.removeAll(keepingCapacity: true) }
        return finished
    }

    /// Resets every copy.
    public func reset() {
        let d = observationSize
        observations.withUnsafeMutableBufferPointer { o in
            for i in 0..<count { envs[i].reset(into: o.baseAddress! + i * d) }
        }
        for i in 0..<count { episodeReturns[i] = 0; episodeLengths[i] = 0 }
    }

    /// Steps every copy with its action; resets finished copies.
    public func step(_ actions: UnsafePointer<Int32>) {
        let d = observationSize
        observations.withUnsafeMutableBufferPointer { ob in
            finalObservations.withUnsafeMutableBufferPointer { fb in
                let o = ob.baseAddress!, f = fb.baseAddress!
                for i in 0..<count {
                    let r = envs[i].step(Int(actions[i]), into: o + i * d)
                    rewards[i] = r.reward
                    terminated[i] = r.terminated
                    truncated[i] = r.truncated
                    episodeReturns[i] += r.reward
                    episodeLengths[i] += 1
                    if r.done {
                        (f + i * d).update(from: o + i * d, count: d)
                        finished.append(EpisodeRecord(step: totalSteps + Int64(count), envIndex: Int32(i),
                                                      episodeReturn: episodeReturns[i], length: episodeLengths[i],
                                                      terminated: r.terminated))
                        episodeReturns[i] = 0; episodeLengths[i] = 0
                        envs[i].reset(into: o + i * d)
                    }
                }
            }
        }
        totalSteps += Int64(count)
    }
}
