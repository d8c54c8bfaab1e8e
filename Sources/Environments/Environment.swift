import NN

/// The action space of an environment.
public enum ActionSpace: Equatable, Sendable {
    /// Actions `0..<n`.
    case discrete(Int)

    public var discreteCount: Int {
        switch self { case .discrete(let n): return n }
    }
}

/// The result of one environment step, with Gymnasium's distinction between a terminal state
/// (`terminated`: the MDP ended, do not bootstrap) and a time limit (`truncated`: bootstrap from
/// the value of the last observation). Both may be true.
public struct StepResult: Equatable, Sendable {
    public var reward: Double
    public var terminated: Bool
    public var truncated: Bool
    public init(reward: Double, terminated: Bool, truncated: Bool) {
        self.reward = reward; self.terminated = terminated; self.truncated = truncated
    }
    public var done: Bool { terminated || truncated }
}

/// A single environment, Gymnasium-style: `reset` then `step` until `terminated || truncated`.
///
/// Each environment owns its random stream (given at creation), so the sequence of initial states
/// depends only on that stream. `state`/`restore` expose everything needed for a bit-exact
/// checkpoint (physics state, step counter, RNG).
public protocol Environment {
    /// Gymnasium id, e.g. "CartPole-v1".
    static var id: String { get }
    var observationSize: Int { get }
    var actionSpace: ActionSpace { get }
    /// Episode length limit (TimeLimit's `max_episode_steps`).
    var maxEpisodeSteps: Int { get }
    /// Starts a new episode and writes its first observation.
    mutating func reset(into obs: UnsafeMutablePointer<Float>)
    /// Applies a discrete action and writes the next observation.
    mutating func step(_ action: Int, into obs: UnsafeMutablePointer<Float>) -> StepResult
    /// Full state for checkpoints (physics, counters, RNG words), as Doubles/UInt64s.
    var checkpointState: EnvCheckpoint { get }
    mutating func restore(_ s: EnvCheckpoint)
}

/// An environment's complete state as plain arrays.
public struct EnvCheckpoint: Equatable, Sendable {
    public var reals: [Double]
    public var counters: [Int64]
    public var rng: [UInt64]
    public init(reals: [Double], counters: [Int64], rng: [UInt64]) {
        self.reals = reals; self.counters = counters; self.rng = rng
    }
}

/// The registry of built-in environments, by Gymnasium id.
public enum Environments {
    public static let ids = [CartPole.id, Acrobot.id, MountainCar.id]

    /// Reference values for reports: a solve threshold (Gymnasium's `reward_threshold`) where defined.
    public static func solveThreshold(_ id: String) -> Double? {
        switch id { case CartPole.id: return 475; case MountainCar.id: return -110; case Acrobot.id: return -100; default: return nil }
    }

    /// Mean return of the uniformly random policy over `episodes` episodes (fixed seed, so the same
    /// number every time): the "random" reference of normalized scores.
    public static func randomPolicyReturn(_ id: String, episodes: Int = 2000, seed: UInt64 = 0) -> Double? {
        guard var env = make(id, rng: RNG(seed: seed, stream: RNG.label("random-policy-env"))) else { return nil }
        var rng = RNG(seed: seed, stream: RNG.label("random-policy-actions"))
        let n = env.actionSpace.discreteCount
        var obs = [Float](repeating: 0, count: env.observationSize)
        var total = 0.0
        obs.withUnsafeMutableBufferPointer { o in
            for _ in 0..<episodes {
                env.reset(into: o.baseAddress!)
                while true {
                    let r = env.step(rng.int(below: n), into: o.baseAddress!)
                    total += r.reward
                    if r.done { break }
                }
            }
        }
        return total / Double(episodes)
    }

    /// The random stream of training copy `copy` of the run with `seed`.
    public static func trainingStream(seed: UInt64, copy: Int) -> RNG {
        RNG(seed: seed, stream: RNG.label("env"), UInt64(copy))
    }

    /// The random stream of a run's evaluation environment: its own, never a training copy's, so
    /// evaluation episodes do not replay the initial states the agent trained on.
    public static func evaluationStream(seed: Int) -> RNG {
        RNG(seed: UInt64(seed), stream: RNG.label("eval"))
    }

    /// A fresh environment with its own random stream.
    public static func make(_ id: String, rng: RNG) -> (any Environment)? {
        switch id {
        case CartPole.id: return CartPole(rng: rng)
        case MountainCar.id: return MountainCar(rng: rng)
        case Acrobot.id: return Acrobot(rng: rng)
        default: return nil
        }
    }
}
