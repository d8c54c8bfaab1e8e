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

/// A batch of `count` copies of one environment stepped in lock-step, each reset automatically when
/// its episode ends (the next observation is then the new episode's first one): what every
/// algorithm trains on. `VectorEnv` implements it for the built-in environments; a Python-backed
/// environment (one worker process owning a Gymnasium vector env) can implement it too.
///
/// After `step`, `rewards[i]`, `terminated[i]` and `truncated[i]` describe copy `i`'s step, and for
/// a finished copy `finalObservations` row `i` holds the last observation of the old episode, so a
/// learner can bootstrap through a truncation from `V(final observation)`. Observations are
/// `count × spec.observation.size` Floats, row-major per copy.
public protocol VectorEnvironment: AnyObject {
    var spec: EnvSpec { get }
    var count: Int { get }
    var observations: [Float] { get }
    var finalObservations: [Float] { get }
    var rewards: [Double] { get }
    var terminated: [Bool] { get }
    var truncated: [Bool] { get }
    /// Environment steps taken by all copies together.
    var totalSteps: Int64 { get }
    /// Return and length of each copy's running episode.
    var episodeReturns: [Double] { get }
    var episodeLengths: [Int32] { get }
    /// Resets every copy.
    func reset()
    /// Steps every copy with its discrete action (`count` of them).
    func step(_ actions: UnsafePointer<Int32>)
    /// Steps every copy with its real-valued action (`count × spec.action.dimension` floats).
    func step(continuous actions: UnsafePointer<Float>)
    /// The episodes finished since the last call (and forgets them).
    func drainFinished() -> [EpisodeRecord]
    /// Each copy's complete state for a checkpoint, or nil when the copies cannot be serialised
    /// (a Python-backed environment).
    var environmentStates: [EnvCheckpoint]? { get }
    /// Puts every copy into a checkpointed state (the inverse of `environmentStates`,
    /// `observations`, `episodeReturns`, `episodeLengths` and `totalSteps`). An environment that
    /// cannot be serialised (nil `environmentStates`) throws.
    func restore(states: [EnvCheckpoint]?, observations: [Float], episodeReturns: [Double], episodeLengths: [Int32], totalSteps: Int64) throws
}

public struct EnvironmentRestoreError: Error, CustomStringConvertible {
    public let description: String
    public init(_ d: String) { description = d }
}

extension VectorEnvironment {
    public var observationSize: Int { spec.observation.size }
    public var actionSpace: ActionSpace { spec.action }
}

/// The built-in vector environment: `count` Swift environments in one array.
public final class VectorEnv: VectorEnvironment {
    public private(set) var envs: [any Environment]
    public let spec: EnvSpec
    public let count: Int
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
        spec = envs[0].spec
        observations = [Float](repeating: 0, count: count * spec.observation.size)
        finalObservations = observations
        rewards = [Double](repeating: 0, count: count)
        terminated = [Bool](repeating: false, count: count)
        truncated = terminated
        episodeReturns = rewards
        episodeLengths = [Int32](repeating: 0, count: count)
    }

    public var environmentStates: [EnvCheckpoint]? { envs.map(\.checkpointState) }

    public func restore(states: [EnvCheckpoint]?, observations: [Float], episodeReturns: [Double], episodeLengths: [Int32], totalSteps: Int64) throws {
        guard let states, states.count == count, observations.count == self.observations.count,
              episodeReturns.count == count, episodeLengths.count == count else {
            throw EnvironmentRestoreError("\(spec.id): a checkpoint of \(states?.count ?? 0) copies for a vector of \(count)")
        }
        for i in 0..<count { envs[i].restore(states[i]) }
        self.observations = observations
        self.episodeReturns = episodeReturns
        self.episodeLengths = episodeLengths
        self.totalSteps = totalSteps
        finished.removeAll()
    }

    public func drainFinished() -> [EpisodeRecord] {
        defer { finished.removeAll(keepingCapacity: true) }
        return finished
    }

    public func reset() {
        let d = spec.observation.size
        observations.withUnsafeMutableBufferPointer { o in
            for i in 0..<count { envs[i].reset(into: o.baseAddress! + i * d) }
        }
        for i in 0..<count { episodeReturns[i] = 0; episodeLengths[i] = 0 }
    }

    public func step(_ actions: UnsafePointer<Int32>) {
        stepAll { env, i, o in env.step(Int(actions[i]), into: o) }
    }

    public func step(continuous actions: UnsafePointer<Float>) {
        let k = spec.action.dimension
        stepAll { env, i, o in env.step(continuous: actions + i * k, into: o) }
    }

    /// Steps every copy with `stepOne`, records finished episodes and resets their copies.
    @inline(__always)
    func stepAll(_ stepOne: (inout any Environment, Int, UnsafeMutablePointer<Float>) -> StepResult) {
        let d = spec.observation.size
        // Move the arrays into locals for the loop (and back after): a class's stored properties
        // are checked for exclusive access at run time on every use, which cost a quarter of a step.
        var envs: [any Environment] = [], obs: [Float] = [], fin: [Float] = [], rew: [Double] = []
        var term: [Bool] = [], trunc: [Bool] = [], ret: [Double] = [], len: [Int32] = [], done: [EpisodeRecord] = []
        swap(&envs, &self.envs); swap(&obs, &observations); swap(&fin, &finalObservations); swap(&rew, &rewards)
        swap(&term, &terminated); swap(&trunc, &truncated); swap(&ret, &episodeReturns); swap(&len, &episodeLengths)
        swap(&done, &finished)
        let n = count, stepBase = totalSteps + Int64(count)
        obs.withUnsafeMutableBufferPointer { ob in
            fin.withUnsafeMutableBufferPointer { fb in
                let o = ob.baseAddress!, f = fb.baseAddress!
                for i in 0..<n {
                    let r = stepOne(&envs[i], i, o + i * d)
                    rew[i] = r.reward
                    term[i] = r.terminated
                    trunc[i] = r.truncated
                    ret[i] += r.reward
                    len[i] += 1
                    if r.done {
                        (f + i * d).update(from: o + i * d, count: d)
                        done.append(EpisodeRecord(step: stepBase, envIndex: Int32(i), episodeReturn: ret[i], length: len[i],
                                                  terminated: r.terminated))
                        ret[i] = 0; len[i] = 0
                        envs[i].reset(into: o + i * d)
                    }
                }
            }
        }
        swap(&envs, &self.envs); swap(&obs, &observations); swap(&fin, &finalObservations); swap(&rew, &rewards)
        swap(&term, &terminated); swap(&trunc, &truncated); swap(&ret, &episodeReturns); swap(&len, &episodeLengths)
        swap(&done, &finished)
        totalSteps += Int64(count)
    }
}

/// A hook around the training vectors `Environments.makeVector` builds (e.g. a recorder of
/// episodes). It must forward every call unchanged, so that training is bit-identical with it.
public struct VectorWrapper: Sendable {
    public let wrap: @Sendable (any VectorEnvironment) -> any VectorEnvironment
    public init(_ wrap: @escaping @Sendable (any VectorEnvironment) -> any VectorEnvironment) { self.wrap = wrap }
}

extension Environments {
    /// Set (with `$vectorWrapper.withValue`) while an agent is built: `makeVector` passes each
    /// vector it builds through it. A task-local, so that concurrent runs in one process do not
    /// see each other's; nil (the default) changes nothing.
    @TaskLocal public static var vectorWrapper: VectorWrapper?
}
