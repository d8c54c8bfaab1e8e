import Foundation
import NN

/// The element type of an observation as the environment produces it (networks always read it
/// widened to Float; trajectories and exports keep the native type).
public enum DType: String, Equatable, Sendable {
    case float32, uint8
}

/// What an observation looks like: its shape (row-major; MinAtar's grids are `[10, 10, C]`, indexed
/// `[y][x][channel]`) and dtype, with Gymnasium's Box bounds per element where the environment has
/// finite ones (`nil`: unbounded, ±∞).
public struct ObservationSpace: Equatable, Sendable, CustomStringConvertible {
    public var shape: [Int]
    public var dtype: DType
    public var low: [Float]?
    public var high: [Float]?
    public init(shape: [Int], dtype: DType = .float32, low: [Float]? = nil, high: [Float]? = nil) {
        precondition(!shape.isEmpty && shape.allSatisfy { $0 > 0 })
        precondition(low.map { $0.count == shape.reduce(1, *) } ?? true && high.map { $0.count == shape.reduce(1, *) } ?? true)
        self.shape = shape; self.dtype = dtype; self.low = low; self.high = high
    }
    /// Elements per observation (the product of the shape).
    public var size: Int { shape.reduce(1, *) }
    /// Gymnasium's notation, e.g. `Box(0, 1, (10, 10, 4), uint8)`.
    public var description: String {
        let dims = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        func bound(_ b: [Float]?, _ inf: String) -> String {
            guard let b else { return inf }
            return Set(b).count == 1 ? formatBound(b[0]) : "[" + b.map(formatBound).joined(separator: ", ") + "]"
        }
        return "Box(\(bound(low, "-inf")), \(bound(high, "inf")), \(dims), \(dtype.rawValue))"
    }
}

func formatBound(_ x: Float) -> String {
    if x.isInfinite { return x < 0 ? "-inf" : "inf" }
    if x == x.rounded() && abs(x) < 1e6 { return String(Int(x)) }
    let s = String(x)   // the shortest repr that round-trips; trimmed to 5 significant digits for display
    guard let d = Double(s), s.count > 8 else { return s }
    var t = String(format: "%.5g", d)
    if t.contains("e+") { t = t.replacingOccurrences(of: "e+", with: "e") }
    return t
}

/// The action space of an environment.
public enum ActionSpace: Equatable, Sendable, CustomStringConvertible {
    /// Actions `0..<n`.
    case discrete(Int)
    /// Real vectors with per-component bounds (Gymnasium's `Box(low, high, (n,), float32)`).
    case box(low: [Float], high: [Float])

    /// The kinds an algorithm can declare support for.
    public enum Kind: String, Sendable, CaseIterable { case discrete, continuous }

    public var kind: Kind {
        switch self { case .discrete: return .discrete; case .box: return .continuous }
    }
    /// The number of actions of a discrete space; nil for a Box.
    public var discreteCount: Int? {
        if case .discrete(let n) = self { return n } else { return nil }
    }
    /// Floats per action of a Box (1 for a discrete action, stored as its index).
    public var dimension: Int {
        switch self { case .discrete: return 1; case .box(let low, _): return low.count }
    }
    public var description: String {
        switch self {
        case .discrete(let n): return "Discrete(\(n))"
        case .box(let low, let high):
            return ObservationSpace(shape: [low.count], dtype: .float32, low: low, high: high).description
        }
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
/// depends only on that stream. `checkpointState`/`restore` expose everything needed for a
/// bit-exact checkpoint (physics state, counters, RNG). Observations are written widened to Float
/// (`spec.observation.size` of them), whatever their native dtype; a uint8 environment also writes
/// them as bytes (`reset(intoBytes:)`, `step(_:intoBytes:)`), its native dtype.
public protocol Environment {
    /// What the environment is: id, spaces, time limit, references.
    var spec: EnvSpec { get }
    /// Starts a new episode and writes its first observation.
    mutating func reset(into obs: UnsafeMutablePointer<Float>)
    /// Applies a discrete action and writes the next observation (discrete action spaces only).
    mutating func step(_ action: Int, into obs: UnsafeMutablePointer<Float>) -> StepResult
    /// Applies a real-valued action of `spec.action.dimension` floats (Box action spaces only).
    mutating func step(continuous action: UnsafePointer<Float>, into obs: UnsafeMutablePointer<Float>) -> StepResult
    /// `reset(into:)` writing the observation in its native dtype, bytes (uint8 observations only:
    /// `spec.observation.dtype == .uint8`, e.g. MinAtar's 0/1 grids, as the Python package returns them).
    mutating func reset(intoBytes obs: UnsafeMutablePointer<UInt8>)
    /// `step(_:into:)` writing the observation as bytes (discrete actions, uint8 observations only).
    /// The same environment stepped either way takes the same trajectory.
    mutating func step(_ action: Int, intoBytes obs: UnsafeMutablePointer<UInt8>) -> StepResult
    /// Full state for checkpoints (physics, counters, RNG words), as Doubles/UInt64s.
    var checkpointState: EnvCheckpoint { get }
    mutating func restore(_ s: EnvCheckpoint)
}

extension Environment {
    public var observationSize: Int { spec.observation.size }
    public var actionSpace: ActionSpace { spec.action }
    public var maxEpisodeSteps: Int { spec.maxEpisodeSteps }
    /// Spec validation refuses an algorithm whose action kinds do not include the environment's, so
    /// reaching one of these is a bug in rlexp, not a user error.
    public mutating func step(_ action: Int, into obs: UnsafeMutablePointer<Float>) -> StepResult {
        preconditionFailure("\(spec.id) has \(spec.action) actions, not discrete ones")
    }
    public mutating func step(continuous action: UnsafePointer<Float>, into obs: UnsafeMutablePointer<Float>) -> StepResult {
        preconditionFailure("\(spec.id) has \(spec.action) actions, not continuous ones")
    }
    public mutating func reset(intoBytes obs: UnsafeMutablePointer<UInt8>) {
        preconditionFailure("\(spec.id) has \(spec.observation.dtype.rawValue) observations, not uint8 ones")
    }
    public mutating func step(_ action: Int, intoBytes obs: UnsafeMutablePointer<UInt8>) -> StepResult {
        preconditionFailure("\(spec.id) has \(spec.observation.dtype.rawValue) observations, not uint8 ones")
    }
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

/// The value of an environment option (a spec's `env_kwargs`).
public enum EnvOptionValue: Sendable, Hashable, CustomStringConvertible {
    /// Strings only reach Gymnasium environments through the bridge (e.g. `obs_type: "grayscale"`).
    case number(Double), bool(Bool), string(String)
    public var asDouble: Double? { if case .number(let x) = self { return x } else { return nil } }
    public var asBool: Bool? { if case .bool(let b) = self { return b } else { return nil } }
    public var description: String {
        switch self {
        case .number(let x): return x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : String(x)
        case .bool(let b): return String(b)
        case .string(let s): return "\"\(s)\""
        }
    }
}

/// A keyword argument an environment accepts (Gymnasium's `gym.make(id, **kwargs)`), with its
/// default and, for numbers, the closed range it must lie in.
public struct EnvOption: Sendable {
    public let name: String
    public let defaultValue: EnvOptionValue
    public let range: ClosedRange<Double>?
    public let doc: String
    public init(_ name: String, _ defaultValue: EnvOptionValue, range: ClosedRange<Double>? = nil, _ doc: String) {
        self.name = name; self.defaultValue = defaultValue; self.range = range; self.doc = doc
    }
    /// Whether `v` is of the option's kind and in its range.
    public func accepts(_ v: EnvOptionValue) -> Bool {
        switch (defaultValue, v) {
        case (.bool, .bool): return true
        case (.number, .number(let x)): return range?.contains(x) ?? true
        default: return false
        }
    }
    /// What a valid value is, for error messages.
    public var expectation: String {
        switch defaultValue {
        case .bool: return "true or false (\(doc); default \(defaultValue))"
        case .string: return "a string (\(doc); default \(defaultValue))"
        case .number: return "a number" + (range.map { " in [\(formatBound(Float($0.lowerBound))), \(formatBound(Float($0.upperBound)))]" } ?? "") + " (\(doc); default \(defaultValue))"
        }
    }
}

/// One registered environment: everything rlexp needs to know about it without making one.
public struct EnvSpec: Sendable {
    /// Gymnasium id, e.g. "CartPole-v1" or "MinAtar/Breakout-v1".
    public let id: String
    /// "classic_control" or "minatar" (groups of the reference file and of `rlexp env list`).
    public let family: String
    public let observation: ObservationSpace
    public let action: ActionSpace
    /// Episode length limit (TimeLimit's `max_episode_steps`): the step on which `truncated` is set.
    public let maxEpisodeSteps: Int
    /// Gymnasium's `reward_threshold`, where defined.
    public let solveThreshold: Double?
    /// Published returns to compare with; the report prints them beside ours.
    public let publishedReturns: [PublishedReturn]
    /// One line for `rlexp env list`.
    public let summary: String
    /// The keyword arguments it accepts (a spec's `env_kwargs`).
    public let options: [EnvOption]
    let factory: @Sendable (RNG, [String: EnvOptionValue]) -> any Environment

    /// An environment without options.
    public init(id: String, family: String, observation: ObservationSpace, action: ActionSpace, maxEpisodeSteps: Int,
                solveThreshold: Double? = nil, publishedReturns: [PublishedReturn] = [], summary: String,
                make: @escaping @Sendable (RNG) -> any Environment) {
        self.init(id: id, family: family, observation: observation, action: action, maxEpisodeSteps: maxEpisodeSteps,
                  solveThreshold: solveThreshold, publishedReturns: publishedReturns, summary: summary, options: [],
                  make: { rng, _ in make(rng) })
    }

    /// An environment with options: `make` receives every option, defaults filled in.
    public init(id: String, family: String, observation: ObservationSpace, action: ActionSpace, maxEpisodeSteps: Int,
                solveThreshold: Double? = nil, publishedReturns: [PublishedReturn] = [], summary: String,
                options: [EnvOption], make: @escaping @Sendable (RNG, [String: EnvOptionValue]) -> any Environment) {
        self.id = id; self.family = family; self.observation = observation; self.action = action
        self.maxEpisodeSteps = maxEpisodeSteps; self.solveThreshold = solveThreshold
        self.publishedReturns = publishedReturns; self.summary = summary; self.options = options; self.factory = make
    }

    /// A fresh environment with its own random stream; `options` overrides defaults (names must be
    /// among `options`, values valid: spec validation checks them first).
    public func make(_ rng: RNG, options given: [String: EnvOptionValue] = [:]) -> any Environment {
        if family == "gym" { return factory(rng, given) }   // a bridged env's kwargs go to gym.make as they are
        var all: [String: EnvOptionValue] = [:]
        for o in options { all[o.name] = given[o.name] ?? o.defaultValue }
        precondition(given.keys.allSatisfy { all[$0] != nil }, "\(id) has no option among \(given.keys.sorted())")
        return factory(rng, all)
    }
}

/// A return some paper reports for an environment, with the budget it was reached at.
public struct PublishedReturn: Sendable, Equatable {
    /// Who reported it, e.g. "Young & Tian 2019 (MinAtar)".
    public var source: String
    /// The method that reached it, e.g. "AC(λ)".
    public var method: String
    /// Environment frames (steps) of training.
    public var frames: Int
    public var value: Double
    /// How the number was measured and how exact it is (read off a curve, final average, …).
    public var note: String
    public init(source: String, method: String, frames: Int, value: Double, note: String) {
        self.source = source; self.method = method; self.frames = frames; self.value = value; self.note = note
    }
}

/// The registry of built-in environments, by Gymnasium id: the one place an environment is listed.
public enum Environments {
    public static let registry: [EnvSpec] = [CartPole.spec, Acrobot.spec, MountainCar.spec, Pendulum.spec] + MinAtar.specs

    public static var ids: [String] { registry.map(\.id) }

    /// Environments known to the current task only, looked up after the built-in ones: set with
    /// `Environments.$taskLocal.withValue([spec]) { … }` around building and training an agent (the
    /// tests' own small environments, e.g. a `[C, H, W]` image one for the Atari networks).
    @TaskLocal public static var taskLocal: [EnvSpec] = []

    /// A built-in environment's spec, a bridged one's (`gym:<id>`) once `GymBridge.resolve` described
    /// it, or a task-local one's.
    public static func spec(_ id: String) -> EnvSpec? {
        if GymBridge.isBridged(id) { return GymBridge.spec(id) }
        return registry.first { $0.id == id } ?? taskLocal.first { $0.id == id }
    }

    /// Reference values for reports: a solve threshold (Gymnasium's `reward_threshold`) where defined.
    public static func solveThreshold(_ id: String) -> Double? { spec(id)?.solveThreshold }

    /// Mean return of the uniformly random policy over `episodes` episodes (fixed seed, so the same
    /// number every time): the "random" reference of normalized scores. Box actions are drawn
    /// uniformly within their bounds.
    public static func randomPolicyReturn(_ id: String, episodes: Int = 2000, seed: UInt64 = 0) -> Double? {
        guard !GymBridge.isBridged(id) else { return nil }   // 2000 episodes through a bridge: not for a report
        guard var env = make(id, rng: RNG(seed: seed, stream: RNG.label("random-policy-env"))) else { return nil }
        var rng = RNG(seed: seed, stream: RNG.label("random-policy-actions"))
        var obs = [Float](repeating: 0, count: env.observationSize)
        var action = [Float](repeating: 0, count: env.actionSpace.dimension)
        var total = 0.0
        obs.withUnsafeMutableBufferPointer { o in
            for _ in 0..<episodes {
                env.reset(into: o.baseAddress!)
                while true {
                    let r: StepResult
                    switch env.actionSpace {
                    case .discrete(let n): r = env.step(rng.int(below: n), into: o.baseAddress!)
                    case .box(let low, let high):
                        for k in action.indices { action[k] = Float(rng.uniform(Double(low[k]), Double(high[k]))) }
                        r = action.withUnsafeBufferPointer { env.step(continuous: $0.baseAddress!, into: o.baseAddress!) }
                    }
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
    public static func make(_ id: String, options: [String: EnvOptionValue] = [:], rng: RNG) -> (any Environment)? {
        spec(id)?.make(rng, options: options)
    }

    /// The training copies of a run, `copies` of them stepped in lock-step (copy `i` on
    /// `trainingStream(seed:copy: firstCopy + i)`). The one place algorithms get their environments
    /// from, so that another vector environment (a Python-backed one) can stand in.
    /// A bridged id (`gym:<id>`) gets a `GymVectorEnv`, whose worker may fail to start (it throws).
    public static func makeVector(_ id: String, options: [String: EnvOptionValue] = [:], seed: UInt64, copies: Int,
                                  firstCopy: Int = 0) throws -> any VectorEnvironment {
        if GymBridge.isBridged(id) {
            guard let config = GymBridge.config(id) else { throw GymBridgeError("\(id) was not checked (GymBridge.resolve) before use") }
            let v = try GymVectorEnv(config: config, seed: seed, copies: copies, firstCopy: firstCopy)
            return vectorWrapper?.wrap(v) ?? v
        }
        guard let s = spec(id) else { throw GymBridgeError("unknown environment \(id)") }
        let v = VectorEnv((0..<copies).map { s.make(trainingStream(seed: seed, copy: firstCopy + $0), options: options) })
        return vectorWrapper?.wrap(v) ?? v
    }
}

/// An environment whose whole dynamic state is a vector of float64s, as Gymnasium's
/// `env.unwrapped.state` for classic control: reference trajectories start from such a state and
/// record it after every step (`rlexp env check`).
public protocol PhysicsStateAccess: Environment {
    var physicsState: [Double] { get }
    /// Starts an episode from an explicit state (clears the step counters) and writes its observation.
    mutating func setPhysicsState(_ s: [Double], into obs: UnsafeMutablePointer<Float>)
}

extension CartPole: PhysicsStateAccess {
    public var physicsState: [Double] { [state.0, state.1, state.2, state.3] }
    public mutating func setPhysicsState(_ s: [Double], into obs: UnsafeMutablePointer<Float>) { setState((s[0], s[1], s[2], s[3]), into: obs) }
}
extension Acrobot: PhysicsStateAccess {
    public var physicsState: [Double] { state }
    public mutating func setPhysicsState(_ s: [Double], into obs: UnsafeMutablePointer<Float>) { setState(s, into: obs) }
}
extension MountainCar: PhysicsStateAccess {
    public var physicsState: [Double] { [state.position, state.velocity] }
    public mutating func setPhysicsState(_ s: [Double], into obs: UnsafeMutablePointer<Float>) { setState((s[0], s[1]), into: obs) }
}
extension Pendulum: PhysicsStateAccess {
    public var physicsState: [Double] { [state.theta, state.thetaDot] }
    public mutating func setPhysicsState(_ s: [Double], into obs: UnsafeMutablePointer<Float>) { setState((s[0], s[1]), into: obs) }
}
