import Atomics
import Environments
import Foundation
import NN

/// How the actor-learners of a run execute.
public enum AsyncExecution: String, Sendable, CaseIterable {
    /// The actor-learners interleaved by a fixed schedule on the run's thread: in each round every
    /// learner syncs θ′ ← θ, then each acts and computes its dθ on the parameters it synced, then the
    /// updates apply in learner order. Bit-reproducible from the seed, whatever `--jobs`.
    case deterministic
    /// One real thread per actor-learner, updating the shared θ as they go (as the paper). Fast, not
    /// bit-reproducible: results vary run to run within the statistical band.
    case threads
}

/// The settings of the asynchronous methods, decoded once from the validated hyperparameters.
public struct AsyncSettings: Sendable {
    /// Which of the paper's four methods.
    public var method: AsyncMethod
    /// Actor-learners (the paper's threads, 16 in its Atari experiments).
    public var threads: Int
    /// Fixed interleaving (reproducible) or real threads.
    public var execution: AsyncExecution
    /// Steps per segment: t_max of A3C and n-step Q, I_AsyncUpdate of the one-step methods (paper: 5).
    public var tMax: Int
    /// Discount γ.
    public var gamma: Double
    /// A3C's entropy weight β (paper: 0.01).
    public var entCoef: Float
    /// A3C's value-loss weight.
    public var vfCoef: Float
    /// Q methods: global steps between θ⁻ ← θ (paper: 40 000 on Atari).
    public var targetUpdate: Int
    /// Q methods: ε anneals from 1 to the learner's final ε over this many of its own steps (paper: 4M frames).
    public var epsilonAnnealSteps: Int
    /// Q methods: one final ε for every learner, or nil to draw it per learner from {0.1, 0.01, 0.5}
    /// with probabilities {0.4, 0.3, 0.3} (the paper).
    public var finalEpsilon: Double?
    /// Learning rate η and its schedule over the run's total steps (the paper anneals linearly to 0).
    public var lr: Float
    public var lrSchedule: LRSchedule
    /// RMSProp decay α and ε (inside the square root).
    public var rmsAlpha: Float
    public var rmsEpsilon: Float
    /// One RMSProp statistic g shared by all learners (the paper's best) or one per learner.
    public var sharedRMSProp: Bool
    /// Threads mode: hold a lock while syncing and applying (false: Hogwild, lock-free, as the paper).
    public var applyLock: Bool
    /// Global-norm clipping of each dθ.
    public var maxGradNorm: Float
    /// Hidden layer sizes and nonlinearity (A3C: one trunk for π and V).
    public var hidden: [Int]
    public var activation: Activation
    /// Function approximator (`network`): dense layers, or MinAtar's conv net in front of them.
    public var network: NetworkKind
    /// Bootstrap through time-limit truncations (false: treat them as terminal).
    public var bootstrapTruncation: Bool
    /// Continuous A3C: the initial log σ of the Gaussian policy.
    public var logStdInit: Float
    /// Global steps between the driver's progress points in threads mode (rows of /updates).
    public var reportInterval: Int
    /// Test-only sabotage (environment variable RLEXP_TEST_FLIP_ADVANTAGE=1): A3C ascends −advantage,
    /// a learner that unlearns. `make test` uses it to prove the statistical golden tier catches a
    /// real learning regression; it never appears in a spec.
    public var flipAdvantageForTests = ProcessInfo.processInfo.environment["RLEXP_TEST_FLIP_ADVANTAGE"] == "1"

    public init(_ hp: Hyperparameters) {
        method = AsyncMethod(rawValue: hp.string("method"))!
        threads = hp.int("threads")
        execution = AsyncExecution(rawValue: hp.string("execution"))!
        tMax = hp.int("t_max")
        gamma = hp.double("gamma")
        entCoef = hp.float("ent_coef"); vfCoef = hp.float("vf_coef")
        targetUpdate = hp.int("target_update")
        epsilonAnnealSteps = hp.int("epsilon_anneal_steps")
        let fe = hp.double("final_epsilon")
        finalEpsilon = fe < 0 ? nil : fe
        lr = hp.float("lr"); lrSchedule = LRSchedule(rawValue: hp.string("lr_schedule"))!
        rmsAlpha = hp.float("rprop_alpha"); rmsEpsilon = hp.float("rprop_epsilon")
        sharedRMSProp = hp.bool("shared_rmsprop")
        applyLock = hp.bool("apply_lock")
        maxGradNorm = hp.float("max_grad_norm")
        hidden = hp.ints("hidden"); activation = Activation(rawValue: hp.string("activation"))!
        network = NetworkKind(rawValue: hp.string("network"))!
        bootstrapTruncation = hp.bool("bootstrap_truncation")
        logStdInit = hp.float("log_std_init")
        reportInterval = hp.int("report_interval")
    }

    /// Per-update metric names (ALGORITHMS.md / baselines names where they exist).
    public var metricNames: [String] {
        method == .a3c
            ? ["lr", "policy_loss", "value_loss", "policy_entropy", "loss", "segment_length", "norm_grads"]
            : ["lr", "loss", "q_mean", "epsilon", "segment_length", "norm_grads"]
    }
}

/// The A3C paper's asynchronous methods as one algorithm (`"algo": "async"`, `"method": …`): a
/// `SharedModel` and `threads` `ActorLearner`s under one of two drivers (`execution`).
///
/// One call of `update()` is one *round* in deterministic mode (every learner one segment) and, in
/// threads mode, the threads' work until `T` has advanced by `report_interval` steps; its metrics
/// are means over the segments done.
public final class AsyncAgent: Agent {
    public static let info = AlgorithmInfo(
        name: "async",
        summary: "the A3C paper's asynchronous methods: A3C, n-step Q, one-step Q, one-step Sarsa (Mnih et al. 2016)",
        params: [
            ParamDef("method", .choice(AsyncMethod.allCases.map(\.rawValue)), .string("a3c"), "a3c (Algorithm S3), n_step_q (S2), one_step_q (Algorithm 1), one_step_sarsa"),
            ParamDef("threads", .int(min: 1, max: 256), .int(2), "actor-learners"),
            ParamDef("execution", .choice(AsyncExecution.allCases.map(\.rawValue)), .string("deterministic"),
                     "deterministic (fixed interleaving, bit-reproducible) or threads (real threads)"),
            ParamDef("t_max", .int(min: 1, max: 10_000), .int(5), "steps per segment (t_max; I_AsyncUpdate for the one-step methods)"),
            ParamDef("gamma", .number(min: 0, max: 1, exclusiveMin: false), .number(0.99), "discount γ"),
            ParamDef("ent_coef", .number(min: 0, max: .infinity, exclusiveMin: false), .number(0.01), "A3C entropy weight β"),
            ParamDef("vf_coef", .number(min: 0, max: .infinity, exclusiveMin: false), .number(0.5), "A3C value-loss weight"),
            ParamDef("target_update", .int(min: 1, max: Int.max), .int(10_000), "Q methods: global steps between θ⁻ ← θ"),
            ParamDef("epsilon_anneal_steps", .int(min: 0, max: Int.max), .int(50_000), "Q methods: each learner's steps over which ε goes from 1 to its final ε"),
            ParamDef("final_epsilon", .number(min: -1, max: 1, exclusiveMin: false), .number(-1),
                     "Q methods: every learner's final ε; −1 draws it per learner from {0.1, 0.01, 0.5} w.p. {0.4, 0.3, 0.3} (the paper)"),
            ParamDef("lr", .number(min: 0, max: 10, exclusiveMin: true), .number(7e-4), "learning rate η"),
            ParamDef("lr_schedule", .choice(LRSchedule.allCases.map(\.rawValue)), .string("linear"), "constant; linear (to 0 at the final step, the paper's); step"),
            ParamDef("rprop_alpha", .number(min: 0, max: 1, exclusiveMin: false), .number(0.99), "RMSProp decay α"),
            ParamDef("rprop_epsilon", .number(min: 0, max: 1, exclusiveMin: true), .number(0.1), "RMSProp ε (inside the square root; the paper's Atari value is 0.1)"),
            ParamDef("shared_rmsprop", .bool, .bool(true), "one RMSProp statistic shared by all learners (the paper's best) or one per learner"),
            ParamDef("apply_lock", .bool, .bool(true), "threads mode: lock around sync and apply (false: Hogwild, as the paper)"),
            ParamDef("max_grad_norm", .number(min: 0, max: .infinity, exclusiveMin: true), .number(40), "global-norm clipping of each dθ"),
            ParamDef("hidden", .intList(minCount: 1, min: 1, max: 65_536), .ints([64, 64]), "hidden layer sizes"),
            ParamDef("activation", .choice(Activation.allCases.map(\.rawValue)), .string("tanh"), "hidden nonlinearity"),
            .network,
            ParamDef("bootstrap_truncation", .bool, .bool(true), "bootstrap through time-limit truncations (false: treat as terminal)"),
            ParamDef("log_std_init", .number(min: -20, max: 20, exclusiveMin: false), .number(0),
                     "continuous A3C: initial log σ of the Gaussian policy (learned, state-independent)", neutralDefault: true),
            ParamDef("report_interval", .int(min: 1, max: Int.max), .int(2_000), "threads mode: global steps between rows of /updates"),
        ],
        make: { try AsyncAgent($0) },
        constraints: [
            ParamConstraint(["threads", "t_max", "total_steps"]) { hp, total in
                guard let k = hp["threads"]?.asInt, let t = hp["t_max"]?.asInt, total < k * t else { return nil }
                return "total_steps \(total) < threads·t_max = \(k)·\(t) = \(k * t): not one round of segments fits in the budget"
            },
        ],
        cores: { hp in hp.string("execution") == AsyncExecution.threads.rawValue ? hp.int("threads") : 1 },
        actionKinds: [.discrete, .continuous],
        actionKindsFor: { hp in hp["method"]?.asString == AsyncMethod.a3c.rawValue ? [.discrete, .continuous] : [.discrete] })

    public let settings: AsyncSettings
    let shared: SharedModel
    let learners: [ActorLearner]
    let net: Network
    /// Discrete actions: their number; continuous: the action dimension.
    let nA: Int
    let continuous: Bool
    let totalSteps: Int
    let evalWS: NetworkWorkspace
    public private(set) var updates: Int64 = 0
    public var envSteps: Int64 { shared.T.load(ordering: .relaxed) }
    public var metricNames: [String] { settings.metricNames }

    public init(_ ctx: AgentContext) throws {
        settings = AsyncSettings(ctx.hyperparameters)
        guard let spec = Environments.spec(ctx.envID) else { throw AgentError("unknown environment \(ctx.envID)") }
        switch spec.action {
        case .discrete(let n): nA = n; continuous = false
        case .box(let low, _):
            guard settings.method == .a3c else {
                throw AgentError("async method \(settings.method.rawValue) needs a discrete action space; \(ctx.envID) has \(spec.action) (continuous actions: method a3c)")
            }
            nA = low.count; continuous = true
        }
        totalSteps = ctx.totalSteps
        net = Network(kind: settings.network, observationShape: spec.observation.shape, hidden: settings.hidden,
                      activation: settings.activation, outputs: settings.method == .a3c ? nA + 1 : nA)
        // θ: the network, then (continuous A3C) the Gaussian's state-independent log σ
        var params = [Float](repeating: 0, count: net.parameterCount + (continuous ? nA : 0))
        var initRNG = RNG(seed: ctx.seed, stream: RNG.label("init"))
        net.initialize(&params, offset: 0, rng: &initRNG, hiddenGain: 2.0.squareRoot(), outputGain: 1.0)
        for j in net.parameterCount..<params.count { params[j] = settings.logStdInit }
        if settings.method == .a3c {
            // policy logits start near uniform: their output columns scaled by 0.01 (as A2C's shared trunk)
            let l = net.layerCount - 1, w = net.weightOffsets[l], nOut = nA + 1
            for r in 0..<net.sizes[l] { for c in 0..<nA { params[w + r * nOut + c] *= 0.01 } }
        }
        shared = SharedModel(parameters: params, withTarget: settings.method.isQ, sharedStatistics: settings.sharedRMSProp,
                             alpha: settings.rmsAlpha, epsilon: settings.rmsEpsilon, lockedApply: settings.applyLock || settings.execution == .deterministic)
        let s = settings, net = net
        learners = try (0..<settings.threads).map { try ActorLearner(index: $0, settings: s, net: net, envID: ctx.envID, envOptions: ctx.envOptions, seed: ctx.seed, parameterCount: params.count) }
        evalWS = NetworkWorkspace(net, capacity: 1)
    }

    func learningRate(_ T: Int64) -> Float {
        settings.lrSchedule.lr(base: settings.lr, step: Int(T), total: totalSteps)
    }

    public func update() -> Metrics {
        switch settings.execution {
        case .deterministic: deterministicRound()
        case .threads: threadsChunk()
        }
        updates += 1
        // means over the segments since the last update() (lr: the last one's)
        var sums = [Double](repeating: 0, count: metricNames.count), segments = 0
        for l in learners {
            for k in sums.indices { sums[k] += l.metricSums[k] }
            segments += l.segments
            for k in l.metricSums.indices { l.metricSums[k] = 0 }
            l.segments = 0
        }
        var m = sums.map { segments > 0 ? $0 / Double(segments) : .nan }
        m[0] = Double(learningRate(envSteps))
        return Metrics(names: metricNames, values: m)
    }

    /// Every learner syncs, then each acts and computes on what it synced, then the updates apply in
    /// learner order (so learner k's update lands on θ already moved by learners 0…k−1: staleness as
    /// with real threads, in a fixed order).
    func deterministicRound() {
        for l in learners { l.sync(shared) }
        var metrics: [[Double]] = []
        for l in learners {
            l.act(shared)
            metrics.append(l.learn())
        }
        for (l, m0) in zip(learners, metrics) {
            var m = m0
            let rate = learningRate(envSteps)
            m[m.count - 1] = Double(l.apply(shared, lr: rate))
            m[0] = Double(rate)
            l.record(m)
        }
    }

    /// Real threads, each running segments until T reaches the next report point (or the budget),
    /// at least one segment each. The threads live as long as the agent (`WorkerPool`): starting
    /// them for every chunk cost milliseconds.
    func threadsChunk() {
        let stop = min(Int64(totalSteps), envSteps + Int64(settings.reportInterval))
        for l in learners { l.syncedAtApply = false }
        if pool == nil {
            let shared = shared, settings = settings, total = totalSteps
            let lr: @Sendable (Int64) -> Float = { settings.lrSchedule.lr(base: settings.lr, step: Int($0), total: total) }
            pool = WorkerPool(learners.map { l in
                { (stop: Int64) in
                    // at least one segment each, so a thread that woke late still takes part
                    repeat { l.segment(shared, lr: lr) } while shared.T.load(ordering: .relaxed) < stop
                }
            })
        }
        pool!.run(until: stop)
    }

    var pool: WorkerPool?

    deinit { pool?.shutdown() }

    public func drainEpisodes() -> [EpisodeRecord] {
        learners.flatMap { $0.drainFinished() }.sorted { ($0.step, $0.envIndex) < ($1.step, $1.envIndex) }
    }

    /// argmax π (A3C) or argmax Q (the Q methods) with the shared θ.
    public func greedyAction(_ obs: UnsafePointer<Float>) -> Int {
        let y = net.forward(UnsafePointer(shared.theta), obs, batch: 1, evalWS)
        return Categorical.argmax(y, nA)
    }

    /// Continuous A3C: the Gaussian's mean; discrete: the argmax as a Float.
    public func greedyAction(_ obs: UnsafePointer<Float>, into action: UnsafeMutablePointer<Float>) {
        let y = net.forward(UnsafePointer(shared.theta), obs, batch: 1, evalWS)
        if continuous { action.update(from: y, count: nA) } else { action[0] = Float(Categorical.argmax(y, nA)) }
    }

    /// The greedy action and what it was read from, with the shared θ: A3C's π (or N(μ, σ²)) and V;
    /// the Q methods' greedy policy (probability 1 on the first argmax, ε = 0) and max_a Q.
    public func greedyAction(_ obs: UnsafePointer<Float>, into action: UnsafeMutablePointer<Float>, observer: any BehaviourObserver) {
        let y = net.forward(UnsafePointer(shared.theta), obs, batch: 1, evalWS)
        let dist: PolicyDistribution = continuous ? .gaussian(nA) : .categorical(nA)
        var row = [Float](repeating: 0, count: dist.statisticsCount)
        if continuous { action.update(from: y, count: nA) } else { action[0] = Float(Categorical.argmax(y, nA)) }
        row.withUnsafeMutableBufferPointer { r in
            let p = r.baseAddress!
            switch settings.method {
            case .a3c:
                dist.statistics(outputs: y, logStd: shared.theta + net.parameterCount, into: p)
                observer.observe(copy: 0, continuous ? .meanLogStd : .logProbabilities, p, value: y[nA])
            default:
                let v = epsilonGreedyProbabilities(y, nA, epsilon: 0, into: p)
                observer.observe(copy: 0, .probabilities, p, value: v)
            }
        }
    }

    public var behaviourDescription: BehaviourDescription {
        settings.method == .a3c
            ? BehaviourDescription(statistics: continuous ? "π(·|s; θ′) = N(μ_θ′(s), σ²), the actor-learner's Gaussian the action was sampled from"
                                                          : "π(·|s; θ′), the softmax of the actor-learner's policy logits the action was sampled from",
                                   value: "V(s; θ′_v), the value output of the shared trunk")
            : BehaviourDescription(statistics: "the ε-greedy policy on Q(s, ·; θ′) at the learner's current ε: ε/n + (1 − ε)·1[a = first argmax] (evaluation: ε = 0)",
                                   value: "max_a Q(s, a; θ′), the greedy value of the Q network the action was chosen with")
    }

    /// Environment steps each actor-learner took (their sum is T).
    public var learnerSteps: [Int64] { learners.map(\.t) }

    /// The shared parameters θ.
    public var parameters: [Float] { shared.parameters }

    public var checkpoint: AgentCheckpoint {
        var c = AgentCheckpoint()
        c.floats["params"] = shared.parameters
        if let t = shared.targetParameters { c.floats["target_params"] = t }
        if let ms = shared.statistics { c.floats["optimizer_ms"] = ms }
        for l in learners {
            if let own = l.ownStatistics { c.floats["optimizer_ms_\(l.index)"] = [Float](UnsafeBufferPointer(start: own, count: shared.count)) }
        }
        c.ints["counters"] = [envSteps, updates, shared.updates.load(ordering: .relaxed), shared.targetEpoch]
        c.ints["learner_steps"] = learners.map(\.t)
        c.ints["learner_pending_action"] = learners.map { Int64($0.pendingAction) }
        c.doubles["learner_final_epsilon"] = learners.map(\.finalEpsilon)
        c.words["learner_rng"] = learners.flatMap(\.rng.stateArray)
        c.addEnvironments(learners.map(\.env))
        return c
    }

    public func restore(_ c: AgentCheckpoint) throws {
        let n = shared.count, k = learners.count
        let theta = try c.required(c.floats, "params", count: n)
        shared.theta.update(from: theta, count: n)
        if let target = shared.target { target.update(from: try c.required(c.floats, "target_params", count: n), count: n) }
        if let ms = shared.ms { ms.update(from: try c.required(c.floats, "optimizer_ms", count: n), count: n) }
        for l in learners {
            if let own = l.ownStatistics { own.update(from: try c.required(c.floats, "optimizer_ms_\(l.index)", count: n), count: n) }
        }
        let counters = try c.required(c.ints, "counters", count: 4)
        shared.T.store(counters[0], ordering: .relaxed)
        updates = counters[1]
        shared.updates.store(counters[2], ordering: .relaxed)
        shared.targetEpoch = counters[3]
        let steps = try c.required(c.ints, "learner_steps", count: k)
        let pending = try c.required(c.ints, "learner_pending_action", count: k)
        let eps = try c.required(c.doubles, "learner_final_epsilon", count: k)
        let words = try c.required(c.words, "learner_rng", count: 4 * k)
        for (i, l) in learners.enumerated() {
            guard eps[i].bitPattern == l.finalEpsilon.bitPattern else {
                throw AgentError("checkpoint's final ε of actor-learner \(i) is \(eps[i]), this configuration draws \(l.finalEpsilon)")
            }
            l.t = steps[i]
            l.pendingAction = Int32(truncatingIfNeeded: pending[i])
            l.rng = RNG(stateArray: Array(words[(4 * i)..<(4 * i + 4)]))
            for m in l.metricSums.indices { l.metricSums[m] = 0 }
            l.segments = 0
            _ = l.drainFinished()
        }
        try c.restoreEnvironments(learners.map(\.env), totalSteps: steps)
    }
}

/// One thread per job, started once and woken for every chunk of work: `run(until:)` hands each
/// thread the chunk's stop point and returns when all are done.
final class WorkerPool: @unchecked Sendable {
    let jobs: [(Int64) -> Void]
    let go: [DispatchSemaphore]
    let done = DispatchSemaphore(value: 0)
    var stop: Int64 = 0
    var quit = false

    init(_ jobs: [(Int64) -> Void]) {
        self.jobs = jobs
        go = jobs.map { _ in DispatchSemaphore(value: 0) }
        for k in jobs.indices {
            let thread = Thread {   // holds the pool until it quits
                while true {
                    self.go[k].wait()
                    if self.quit { return }
                    self.jobs[k](self.stop)
                    self.done.signal()
                }
            }
            thread.stackSize = 4 << 20
            thread.start()
        }
    }

    func run(until stop: Int64) {
        self.stop = stop
        for g in go { g.signal() }
        for _ in jobs { done.wait() }
    }

    func shutdown() {
        quit = true
        for g in go { g.signal() }
    }
}
