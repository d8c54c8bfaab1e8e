import Environments
import NN

/// What the training driver needs from every algorithm: one update at a time, its metrics under
/// the names ALGORITHMS.md gives them, the episodes that finished, a greedy action for evaluation,
/// and the full state for a checkpoint.
public protocol Agent: AnyObject {
    /// Environment steps taken so far (all copies together).
    var envSteps: Int64 { get }
    /// Updates done so far.
    var updates: Int64 { get }
    /// Per-update metric names (the columns of /updates), in the order `update()` gives them.
    var metricNames: [String] { get }
    /// Collects experience and performs one update; returns its metrics by name.
    func update() -> Metrics
    /// Training episodes finished since the last call.
    func drainEpisodes() -> [EpisodeRecord]
    /// The policy's most probable action for one observation (greedy evaluation), discrete actions.
    func greedyAction(_ obs: UnsafePointer<Float>) -> Int
    /// The same for any action space: `spec.action.dimension` Floats (a discrete action as its
    /// index; a continuous one as the policy's mean, unclipped).
    func greedyAction(_ obs: UnsafePointer<Float>, into action: UnsafeMutablePointer<Float>)
    /// Everything needed to continue training bit-identically.
    var checkpoint: AgentCheckpoint { get }
    /// The inverse of `checkpoint`: puts a freshly built agent of the same configuration into the
    /// state `c` describes, so that training continues exactly as the checkpointed agent would.
    /// Throws (and leaves the agent unusable) when `c` does not fit this configuration.
    func restore(_ c: AgentCheckpoint) throws
    /// The parameters θ (all networks, one flat vector), e.g. for divergence checks.
    var parameters: [Float] { get }
    /// `greedyAction(_:into:)` that also hands `observer` (as copy 0) the policy statistics and the
    /// value estimate the greedy action was read from, from the same forward pass.
    func greedyAction(_ obs: UnsafePointer<Float>, into action: UnsafeMutablePointer<Float>, observer: any BehaviourObserver)
    /// What the statistics and value estimates this agent hands a `BehaviourObserver` are (run.h5 descriptions).
    var behaviourDescription: BehaviourDescription { get }
}

/// How a row handed to `BehaviourObserver.observe` is given.
public enum BehaviourStatistics: Sendable {
    /// `n` log-probabilities `log π(a|s)` (the categorical `PolicyDistribution` row).
    case logProbabilities
    /// `n` probabilities (the Q methods' ε-greedy policy, ACER's stored μ).
    case probabilities
    /// `(μ, log σ)`, `2k` Floats (the Gaussian `PolicyDistribution` row).
    case meanLogStd
}

/// Receives, for every step an agent acts, the statistics of the behaviour policy the action was
/// drawn from and the agent's value estimate for the state — the numbers the agent computed for that
/// step anyway, handed over before the environment copy `copy` is stepped (no extra random draws;
/// training is the same with and without an observer).
///
/// An agent finds its observer by asking its training vector environment (`env as? any
/// BehaviourObserver`, recording wrappers conform); with none it skips the call, so nothing is paid
/// when nothing records.
public protocol BehaviourObserver: AnyObject {
    /// Copy `copy`'s next step: `row` (`n` or `2k` Floats, in `form`) and the value estimate.
    func observe(copy: Int, _ form: BehaviourStatistics, _ row: UnsafePointer<Float>, value: Float)
}

/// What an agent's recorded behaviour statistics and value estimates mean, in words for run.h5.
public struct BehaviourDescription: Sendable, Equatable {
    public var statistics: String
    public var value: String
    public init(statistics: String, value: String) { self.statistics = statistics; self.value = value }
}

/// One update's metrics, each under its ALGORITHMS.md name, in the algorithm's column order.
///
/// ```swift
/// let m: Metrics = ["lr": 7e-4, "policy_loss": 0.2]
/// m["lr"]   // 0.0007
/// ```
public struct Metrics: Sendable, Equatable, ExpressibleByDictionaryLiteral {
    public private(set) var names: [String]
    public private(set) var values: [Double]

    public init(dictionaryLiteral elements: (String, Double)...) {
        names = elements.map(\.0); values = elements.map(\.1)
    }

    public init(names: [String], values: [Double]) {
        precondition(names.count == values.count, "\(names.count) metric names for \(values.count) values")
        self.names = names; self.values = values
    }

    /// The value named `name`, if there is one.
    public subscript(_ name: String) -> Double? {
        names.firstIndex(of: name).map { values[$0] }
    }

    /// These metrics followed by `more`.
    public static func + (a: Metrics, more: Metrics) -> Metrics {
        Metrics(names: a.names + more.names, values: a.values + more.values)
    }
}

/// An agent's state as named flat arrays, grouped by element type (how checkpoints store it).
public struct AgentCheckpoint: Sendable, Equatable {
    public var floats: [String: [Float]] = [:]
    public var doubles: [String: [Double]] = [:]
    public var ints: [String: [Int64]] = [:]
    public var words: [String: [UInt64]] = [:]
    public init() {}
}

/// Everything an algorithm needs to build an agent for one run.
public struct AgentContext: Sendable {
    public var envID: String
    /// The environment's options (a spec's `env_kwargs`; omitted ones take their defaults).
    public var envOptions: [String: EnvOptionValue]
    public var seed: UInt64
    public var totalSteps: Int
    public var hyperparameters: Hyperparameters
    public init(envID: String, envOptions: [String: EnvOptionValue] = [:], seed: UInt64, totalSteps: Int, hyperparameters: Hyperparameters) {
        self.envID = envID; self.envOptions = envOptions; self.seed = seed; self.totalSteps = totalSteps; self.hyperparameters = hyperparameters
    }
}

/// A rule over several settings of one run (hyperparameters and the run's `total_steps`), checked
/// on every expanded configuration of a sweep before anything runs.
public struct ParamConstraint: Sendable {
    /// The settings the rule involves, as hyperparameter names (or "total_steps"): the error names
    /// the JSON path of each.
    public let fields: [String]
    /// nil when the configuration satisfies the rule; otherwise what is wrong, with the values.
    public let violation: @Sendable (_ hp: [String: ParamValue], _ totalSteps: Int) -> String?
    public init(_ fields: [String], _ violation: @escaping @Sendable (_ hp: [String: ParamValue], _ totalSteps: Int) -> String?) {
        self.fields = fields; self.violation = violation
    }

    /// Every rollout algorithm collects `nenvs·nsteps` env steps per update, so a budget below that
    /// trains nothing.
    public static let oneUpdateFits = ParamConstraint(["nenvs", "nsteps", "total_steps"]) { hp, total in
        guard let e = hp["nenvs"]?.asInt, let n = hp["nsteps"]?.asInt, total < e * n else { return nil }
        return "total_steps \(total) < nenvs·nsteps = \(e)·\(n) = \(e * n): not one update fits in the budget"
    }
}

/// An algorithm: its name, its hyperparameters (with defaults and ranges), and a constructor.
public struct AlgorithmInfo: Sendable {
    public let name: String
    public let summary: String
    public let params: [ParamDef]
    public let make: @Sendable (AgentContext) throws -> Agent
    /// Rules over several hyperparameters (checked per expanded configuration).
    public var constraints: [ParamConstraint] = []
    /// Cores a run with these hyperparameters keeps busy (the sweep scheduler counts them against
    /// `--jobs`): 1, except the asynchronous methods on real threads.
    public var cores: @Sendable (Hyperparameters) -> Int = { _ in 1 }
    /// The action spaces the algorithm can act in (spec validation refuses other environments).
    public var actionKinds: Set<ActionSpace.Kind> = [.discrete]
    /// The action kinds one configuration can act in, where that depends on its hyperparameters
    /// (the asynchronous Q methods are discrete only, A3C is both); nil: `actionKinds`.
    public var actionKindsFor: (@Sendable ([String: ParamValue]) -> Set<ActionSpace.Kind>)? = nil

    /// Every hyperparameter at its default.
    public var defaults: [String: ParamValue] {
        Dictionary(uniqueKeysWithValues: params.map { ($0.name, $0.defaultValue) })
    }
}

extension Agent {
    public func greedyAction(_ obs: UnsafePointer<Float>, into action: UnsafeMutablePointer<Float>) {
        action[0] = Float(greedyAction(obs))
    }
}

/// Plays `episodes` whole episodes with the agent's greedy action in `env` (which keeps its own
/// random stream across calls) and returns each episode's return and length. Continuous actions
/// are clipped to the action space's bounds (as SB3's `predict` does). With an `observer`, each
/// greedy step's statistics and value estimate go to it (copy 0) before the step; the actions are
/// the same.
public func evaluateGreedy(_ agent: Agent, in env: inout any Environment, episodes: Int,
                           observer: (any BehaviourObserver)? = nil) -> [(episodeReturn: Double, length: Int)] {
    var obs = [Float](repeating: 0, count: env.observationSize)
    let space = env.actionSpace
    var action = [Float](repeating: 0, count: space.dimension)
    return obs.withUnsafeMutableBufferPointer { o in
        (0..<episodes).map { _ in
            env.reset(into: o.baseAddress!)
            var total = 0.0, n = 0
            while true {
                let r: StepResult
                if let observer { action.withUnsafeMutableBufferPointer { agent.greedyAction(o.baseAddress!, into: $0.baseAddress!, observer: observer) } }
                switch space {
                case .discrete: r = env.step(observer == nil ? agent.greedyAction(o.baseAddress!) : Int(action[0]), into: o.baseAddress!)
                case .box(let low, let high):
                    if observer == nil { action.withUnsafeMutableBufferPointer { agent.greedyAction(o.baseAddress!, into: $0.baseAddress!) } }
                    for j in 0..<action.count { action[j] = min(max(action[j], low[j]), high[j]) }
                    r = action.withUnsafeBufferPointer { env.step(continuous: $0.baseAddress!, into: o.baseAddress!) }
                }
                total += r.reward; n += 1
                if r.done { return (total, n) }
            }
        }
    }
}

/// The registered environment `id` and its number of actions, for an algorithm with discrete
/// actions only (spec validation refuses other pairs first, so this is a second line of defence
/// for programmatic use).
func discreteEnvironment(_ id: String, algorithm: String) throws -> (EnvSpec, Int) {
    guard let spec = Environments.spec(id) else { throw AgentError("unknown environment \(id)") }
    guard let n = spec.action.discreteCount else {
        throw AgentError("\(algorithm) needs a discrete action space; \(id) has \(spec.action)")
    }
    return (spec, n)
}

extension ParamDef {
    /// The `network` hyperparameter every algorithm takes.
    public static let network = ParamDef("network", .choice(NetworkKind.allCases.map(\.rawValue)), .string(NetworkKind.mlp.rawValue),
                                         "function approximator: mlp (dense hidden layers), minatar_cnn (conv 16 filters 3×3 stride 1 → ReLU → the hidden layers; needs [H, W, C] observations), layernorm_mlp (each hidden layer followed by LayerNorm before its activation, seed 003), atari_cnn (the A3C paper's: inputs ÷ 255, conv 16 8×8 stride 4 → ReLU → conv 32 4×4 stride 2 → ReLU → the hidden layers, [256] relu in the paper; needs [C, H, W] observations, H, W ≥ 20) or nature_cnn (Mnih et al. 2015, baselines' nature_cnn: inputs ÷ 255, conv 32 8×8/4 → 64 4×4/2 → 64 3×3/1, each → ReLU, → the hidden layers, [512] relu in the paper; needs [C, H, W], H, W ≥ 36)",
                                         neutralDefault: true)
}

/// Every algorithm rlexp knows, by spec name.
public enum Algorithms {
    public static let all: [AlgorithmInfo] = [A2C.info, ACER.info, AsyncAgent.info, PPO.info]
    public static func named(_ name: String) -> AlgorithmInfo? { all.first { $0.name == name } }
}

public struct AgentError: Error, CustomStringConvertible {
    public let description: String
    public init(_ d: String) { description = d }
}

extension AgentCheckpoint {
    /// The learner state every gradient-based agent has: parameters, optimizer state and counters.
    mutating func addLearner(params: [Float], optimizer: any Optimizer, envSteps: Int64, updates: Int64) {
        floats["params"] = params
        for (k, v) in optimizer.stateArrays { floats["optimizer_" + k] = v }
        ints["counters"] = [envSteps, updates, optimizer.stepCount]
    }

    /// A vector environment's state: every copy's physics, counters and RNG, the current
    /// observations and the running episode accumulators.
    mutating func addEnvironments(_ env: any VectorEnvironment) { addEnvironments([env]) }

    /// The state of several vector environments (the asynchronous methods' one per actor-learner),
    /// concatenated in order. `env_layout` holds, per copy, how many reals, counters and RNG words
    /// its state has (MinAtar's vary with the game's objects), so that `restoreEnvironments` can
    /// split the flat arrays again.
    mutating func addEnvironments(_ envs: [any VectorEnvironment]) {
        let states = envs.flatMap { $0.environmentStates ?? [] }
        doubles["env_reals"] = states.flatMap(\.reals)
        ints["env_counters"] = states.flatMap(\.counters)
        words["env_rng"] = states.flatMap(\.rng)
        ints["env_layout"] = states.flatMap { [Int64($0.reals.count), Int64($0.counters.count), Int64($0.rng.count)] }
        floats["env_observations"] = envs.flatMap(\.observations)
        doubles["episode_returns"] = envs.flatMap(\.episodeReturns)
        ints["episode_lengths"] = envs.flatMap { $0.episodeLengths.map(Int64.init) }
    }

    /// The array `name` of `dict`, which must hold `count` values (any count when nil).
    func required<T>(_ dict: [String: [T]], _ name: String, count: Int? = nil) throws -> [T] {
        guard let a = dict[name] else { throw AgentError("checkpoint has no '\(name)'") }
        if let count, a.count != count { throw AgentError("checkpoint '\(name)' has \(a.count) values, this configuration needs \(count)") }
        return a
    }

    /// The random generator stored under `name`.
    func rng(_ name: String) throws -> RNG { RNG(stateArray: try required(words, name, count: 4)) }

    /// Restores what `addLearner` stored into `params` and `optimizer`; returns the env-step and
    /// update counters.
    func restoreLearner(params: inout [Float], optimizer: inout any Optimizer) throws -> (envSteps: Int64, updates: Int64) {
        params = try required(floats, "params", count: params.count)
        var arrays: [String: [Float]] = [:]
        for (k, v) in floats where k.hasPrefix("optimizer_") { arrays[String(k.dropFirst("optimizer_".count))] = v }
        let counters = try required(ints, "counters", count: 3)
        try optimizer.restore(arrays: arrays, stepCount: counters[2])
        return (counters[0], counters[1])
    }

    /// Restores what `addEnvironments` stored into `envs` (built fresh, of the same configuration),
    /// with `totalSteps[k]` as the step counter of `envs[k]`.
    func restoreEnvironments(_ envs: [any VectorEnvironment], totalSteps: [Int64]) throws {
        let copies = envs.reduce(0) { $0 + $1.count }
        let layout = try required(ints, "env_layout")
        let reals = try required(doubles, "env_reals"), counters = try required(ints, "env_counters"), rngWords = try required(words, "env_rng")
        let serialisable = envs.allSatisfy { $0.environmentStates != nil }
        guard layout.count == (serialisable ? 3 * copies : 0) else {
            throw AgentError("checkpoint holds \(layout.count / 3) environment states, this configuration has \(copies) copies")
        }
        var states: [EnvCheckpoint] = []
        var (r, c, w) = (0, 0, 0)
        for k in stride(from: 0, to: layout.count, by: 3) {
            let (nr, nc, nw) = (Int(layout[k]), Int(layout[k + 1]), Int(layout[k + 2]))
            guard nr >= 0, nc >= 0, nw >= 0, r + nr <= reals.count, c + nc <= counters.count, w + nw <= rngWords.count else {
                throw AgentError("checkpoint's env_layout does not match its environment arrays")
            }
            states.append(EnvCheckpoint(reals: Array(reals[r..<(r + nr)]), counters: Array(counters[c..<(c + nc)]), rng: Array(rngWords[w..<(w + nw)])))
            r += nr; c += nc; w += nw
        }
        guard r == reals.count, c == counters.count, w == rngWords.count else { throw AgentError("checkpoint's environment arrays are longer than env_layout says") }
        let obsCount = envs.reduce(0) { $0 + $1.observations.count }
        let obs = try required(floats, "env_observations", count: obsCount)
        let rets = try required(doubles, "episode_returns", count: copies), lens = try required(ints, "episode_lengths", count: copies)
        var (o, e) = (0, 0)
        for (k, env) in envs.enumerated() {
            let n = env.count, d = env.observations.count
            try env.restore(states: serialisable ? Array(states[e..<(e + n)]) : nil, observations: Array(obs[o..<(o + d)]),
                            episodeReturns: Array(rets[e..<(e + n)]), episodeLengths: lens[e..<(e + n)].map { Int32(truncatingIfNeeded: $0) },
                            totalSteps: totalSteps[k])
            o += d; e += n
        }
    }
}

/// Builds the optimizer a spec names.
func makeOptimizer(_ hp: Hyperparameters, count: Int) -> any Optimizer {
    switch hp.string("optimizer") {
    case "adam": return Adam(count: count, beta1: hp.float("adam_beta1"), beta2: hp.float("adam_beta2"), epsilon: hp.float("adam_epsilon"))
    case "rmsprop_torch": return RMSPropTorch(count: count, alpha: hp.float("rprop_alpha"), epsilon: hp.float("rprop_epsilon"))
    default: return RMSProp(count: count, alpha: hp.float("rprop_alpha"), epsilon: hp.float("rprop_epsilon"))
    }
}

/// Hyperparameters every gradient-based algorithm shares.
let optimizerParams: [ParamDef] = [
    ParamDef("lr", .number(min: 0, max: 10, exclusiveMin: true), .number(7e-4), "learning rate η"),
    ParamDef("lr_schedule", .choice(LRSchedule.allCases.map(\.rawValue)), .string("linear"),
             "constant; linear (to 0 at the final step); step (×0.92 every 2000 frames, seed 002)"),
    ParamDef("optimizer", .choice(["rmsprop", "rmsprop_torch", "adam"]), .string("rmsprop"),
             "rmsprop (TensorFlow form: mean square from 1, ε inside the root), rmsprop_torch (PyTorch's, as SB3: from 0, ε outside) or adam"),
    ParamDef("rprop_alpha", .number(min: 0, max: 1, exclusiveMin: false), .number(0.99), "RMSProp decay α"),
    ParamDef("rprop_epsilon", .number(min: 0, max: 1, exclusiveMin: true), .number(1e-5), "RMSProp ε (inside the square root; outside for rmsprop_torch)"),
    ParamDef("adam_beta1", .number(min: 0, max: 1, exclusiveMin: false), .number(0.9), "Adam β1"),
    ParamDef("adam_beta2", .number(min: 0, max: 1, exclusiveMin: false), .number(0.999), "Adam β2"),
    ParamDef("adam_epsilon", .number(min: 0, max: 1, exclusiveMin: true), .number(1e-8), "Adam ε"),
    ParamDef("max_grad_norm", .number(min: 0, max: .infinity, exclusiveMin: true), .number(0.5), "global-norm gradient clipping threshold"),
]
