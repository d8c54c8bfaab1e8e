import Atomics
import Environments
import NN

/// The A3C paper's four methods (ALGORITHMS.md §2), each in its own file (`A3C.swift`,
/// `NStepQ.swift`, `OneStepQ.swift`, `OneStepSarsa.swift`).
public enum AsyncMethod: String, Sendable, CaseIterable {
    case a3c
    case n_step_q
    case one_step_q
    case one_step_sarsa

    /// The Q methods act ε-greedily on Q and keep a target network θ⁻; A3C samples from π.
    public var isQ: Bool { self != .a3c }
}

/// One actor-learner of the asynchronous methods: its own environment, random stream, local
/// parameters θ′, accumulated gradient dθ, its step count `t` and its ε schedule. It does its work
/// in *segments*: sync θ′ ← θ (and θ⁻), act for up to `t_max` steps or to the end of an episode,
/// compute dθ from what it saw (the method's file), apply dθ to θ. The drivers in `AsyncAgent`
/// run segments of several actor-learners in a fixed interleaving or on real threads.
final class ActorLearner {
    let index: Int
    let settings: AsyncSettings
    let net: Network
    /// Discrete actions: their number. Continuous (A3C): the action dimension k, the network's mean
    /// outputs (the value output follows the policy outputs either way).
    let nA: Int, obsSize: Int
    /// A3C's policy: categorical over the logits, or a diagonal Gaussian with mean from the network
    /// and the state-independent log σ stored after the network's parameters in θ.
    let dist: PolicyDistribution
    /// Box bounds that continuous actions are clipped to when sent to the environment.
    let low: [Float], high: [Float]
    // Experience
    let env: any VectorEnvironment
    var rng: RNG
    /// This learner's environment steps.
    var t: Int64 = 0
    /// The final ε of this learner's schedule (Q methods).
    let finalEpsilon: Double
    /// One-step Sarsa: the action already chosen for the current observation (a′ of the last step).
    var pendingAction: Int32 = -1
    // Local parameters and gradients
    var local: [Float], targetLocal: [Float], grads: [Float]
    /// Per-thread RMSProp statistics (nil when they are shared).
    var ownStatistics: UnsafeMutablePointer<Float>?
    // Segment buffers: rows 0..<n are s_0 … s_{n−1}; row n is the observation after the last step
    var obs: [Float], actions: [Int32], rewards: [Double]
    /// Continuous A3C: the sampled (unclipped) action of each row, k Floats per row.
    var continuousActions: [Float], envAction: [Float]
    /// A3C: the policy statistics of each row (log π(·|s_i; θ′), or (μ, log σ)), kept from acting.
    var logp: [Float]
    var end: SegmentEnd = .running
    var n = 0
    let ws: NetworkWorkspace, targetWS: NetworkWorkspace, nextWS: NetworkWorkspace
    var dOut: [Float]
    // Episodes finished, with the global step T at which each ended
    var finished: [EpisodeRecord] = []
    /// θ′ was copied from θ by this learner's last update (threads driver); cleared at the start of
    /// every chunk of the driver, so that θ′ is read afresh after anything outside the threads.
    var syncedAtApply = false
    // Metrics summed over segments since the last drain
    var metricSums: [Double]
    var segments = 0
    /// The learner's recorder, if its environment has one (`BehaviourObserver`), and a row of
    /// ε-greedy probabilities for it (Q methods).
    let observer: (any BehaviourObserver)?
    var observedRow: [Float]

    init(index: Int, settings: AsyncSettings, net: Network, envID: String, envOptions: [String: EnvOptionValue], seed: UInt64, parameterCount: Int) throws {
        self.index = index
        self.settings = settings
        self.net = net
        env = try Environments.makeVector(envID, options: envOptions, seed: seed, copies: 1, firstCopy: index)
        switch env.actionSpace {
        case .discrete(let n): dist = .categorical(n); low = []; high = []
        case .box(let l, let h): dist = .gaussian(l.count); low = l; high = h
        }
        nA = dist.networkOutputs
        obsSize = env.observationSize
        env.reset()
        observer = env as? any BehaviourObserver
        rng = RNG(seed: seed, stream: RNG.label("actor-learner"), UInt64(index))
        var epsRNG = RNG(seed: seed, stream: RNG.label("final-epsilon"), UInt64(index))
        finalEpsilon = settings.finalEpsilon ?? sampleFinalEpsilon(u: epsRNG.uniform())
        local = [Float](repeating: 0, count: parameterCount)
        targetLocal = settings.method.isQ ? local : []
        grads = local
        if !settings.sharedRMSProp {
            ownStatistics = .allocate(capacity: parameterCount)
            ownStatistics!.initialize(repeating: 1, count: parameterCount)
        }
        let T = settings.tMax
        obs = [Float](repeating: 0, count: (T + 1) * obsSize)
        actions = [Int32](repeating: 0, count: T + 1)
        rewards = [Double](repeating: 0, count: T)
        logp = [Float](repeating: 0, count: (T + 1) * dist.statisticsCount)
        continuousActions = [Float](repeating: 0, count: dist.isContinuous ? (T + 1) * nA : 0)
        envAction = [Float](repeating: 0, count: dist.isContinuous ? nA : 0)
        ws = NetworkWorkspace(net, capacity: T + 1)
        targetWS = NetworkWorkspace(net, capacity: T + 1)
        nextWS = NetworkWorkspace(net, capacity: 1)
        dOut = [Float](repeating: 0, count: (T + 1) * net.outputSize)
        metricSums = [Double](repeating: 0, count: settings.metricNames.count)
        observedRow = [Float](repeating: 0, count: dist.statisticsCount)
    }

    deinit { ownStatistics?.deallocate() }

    /// Current ε of this learner (Q methods).
    var currentEpsilon: Double { epsilon(t: t, final: finalEpsilon, annealSteps: Int64(settings.epsilonAnnealSteps)) }

    // ---- The segment: sync, act, learn, apply ----------------------------------------------------

    /// θ′ ← θ (and the target network's copy for the Q methods).
    func sync(_ shared: SharedModel) {
        local.withUnsafeMutableBufferPointer { shared.sync(into: $0.baseAddress!) }
        syncTarget(shared)
    }

    /// The target network's copy θ⁻′ ← θ⁻ (Q methods; nothing otherwise).
    func syncTarget(_ shared: SharedModel) {
        if settings.method.isQ, let target = shared.target {
            if shared.lockedApply { shared.lock.lock() }
            targetLocal.withUnsafeMutableBufferPointer { $0.baseAddress!.update(from: target, count: shared.count) }
            if shared.lockedApply { shared.lock.unlock() }
        }
    }

    /// Acts for up to `t_max` steps with θ′, or until the episode ends; counts the steps into `T`
    /// once at the end (one atomic add per segment, not per step: the counter's cache line is the
    /// one thing every thread writes). Episodes are stamped with T as of their last step, exactly in
    /// deterministic mode, as seen from this thread in threads mode.
    func act(_ shared: SharedModel) {
        let d = obsSize, method = settings.method
        n = 0; end = .running
        let start = shared.T.load(ordering: .relaxed)
        defer { shared.T.wrappingIncrement(by: Int64(n), ordering: .relaxed) }
        local.withUnsafeBufferPointer { pb in
            let p = pb.baseAddress!
            obs.withUnsafeMutableBufferPointer { ob in
                let o = ob.baseAddress!
                while n < settings.tMax {
                    env.observations.withUnsafeBufferPointer { (o + n * d).update(from: $0.baseAddress!, count: d) }
                    net.forward(p, o, rows: n..<(n + 1), ws)
                    let y = ws.output + n * net.outputSize
                    if dist.isContinuous {   // continuous A3C: sample from the Gaussian, step with the clipped action
                        let S = dist.statisticsCount, k = nA
                        logp.withUnsafeMutableBufferPointer { lb in
                            continuousActions.withUnsafeMutableBufferPointer { ab in
                                dist.statistics(outputs: y, logStd: p + net.parameterCount, into: lb.baseAddress! + n * S)
                                dist.sample(lb.baseAddress! + n * S, rng: &rng, into: ab.baseAddress! + n * k)
                                observer?.observe(copy: 0, .meanLogStd, lb.baseAddress! + n * S, value: y[k])
                            }
                        }
                        for j in 0..<k { envAction[j] = min(max(continuousActions[n * k + j], low[j]), high[j]) }
                        actions[n] = 0
                        envAction.withUnsafeBufferPointer { env.step(continuous: $0.baseAddress!) }
                    } else {
                    let a: Int
                    switch method {
                    case .a3c:
                        let u = rng.uniformFloat()
                        a = logp.withUnsafeMutableBufferPointer { lb in
                            Categorical.logSoftmax(y, nA, into: lb.baseAddress! + n * nA)
                            observer?.observe(copy: 0, .logProbabilities, lb.baseAddress! + n * nA, value: y[nA])
                            return Categorical.sample(lb.baseAddress! + n * nA, nA, u: u)
                        }
                    case .one_step_sarsa where pendingAction >= 0:
                        a = Int(pendingAction)   // its statistics went to the observer when it was chosen (learnOneStepSarsa)
                    default:
                        if observer != nil { observeEpsilonGreedy(y) }
                        a = epsilonGreedy(y, nA, epsilon: currentEpsilon, rng: &rng)
                    }
                    pendingAction = -1
                    actions[n] = Int32(a)
                    actions.withUnsafeBufferPointer { env.step($0.baseAddress! + n) }
                    }
                    t += 1
                    let now = start + Int64(n) + 1   // T after this step (counted into T once, after the segment)
                    rewards[n] = env.rewards[0]
                    n += 1
                    for var e in env.drainFinished() {
                        e.step = now; e.envIndex = Int32(index)
                        finished.append(e)
                    }
                    if env.terminated[0] { end = .terminated; break }
                    if env.truncated[0] { end = settings.bootstrapTruncation ? .truncated : .terminated; break }
                }
                // row n: the observation the last step led to (the final one if the episode ended)
                let next = end == .running ? env.observations : env.finalObservations
                next.withUnsafeBufferPointer { (o + n * d).update(from: $0.baseAddress!, count: d) }
            }
        }
    }

    /// Computes dθ for the segment just acted (the method's file) and returns its metrics.
    func learn() -> [Double] {
        for k in 0..<grads.count { grads[k] = 0 }
        switch settings.method {
        case .a3c: return learnA3C()
        case .n_step_q: return learnNStepQ()
        case .one_step_q: return learnOneStepQ()
        case .one_step_sarsa: return learnOneStepSarsa()
        }
    }

    /// Clips dθ and applies it to θ; updates θ⁻ when T has passed the next target interval. With
    /// `thenSync`, θ′ ← θ as part of the update (`SharedModel.apply(syncInto:)`).
    func apply(_ shared: SharedModel, lr: Float, thenSync: Bool = false) -> Float {
        let norm = grads.withUnsafeMutableBufferPointer { g -> Float in
            let norm = clipByGlobalNorm(g.baseAddress!, count: g.count, maxNorm: settings.maxGradNorm)
            if thenSync {
                local.withUnsafeMutableBufferPointer { shared.apply(g.baseAddress!, lr: lr, ownStatistics: ownStatistics, syncInto: $0.baseAddress!) }
            } else {
                shared.apply(g.baseAddress!, lr: lr, ownStatistics: ownStatistics)
            }
            return norm
        }
        if settings.method.isQ { shared.updateTargetIfDue(T: shared.T.load(ordering: .relaxed), interval: Int64(settings.targetUpdate)) }
        return norm
    }

    /// One whole segment (the threads driver's unit of work); `lr` from the step counter. The sync
    /// of θ′ ← θ that starts a segment is done at the end of the previous one's update, under its
    /// lock hold (`syncedAtApply`; the paper's loop order, with nothing in between but the metrics):
    /// reading θ a second time, after the other threads wrote its cache lines, was a third of the
    /// traffic between the cores per segment.
    func segment(_ shared: SharedModel, lr: (Int64) -> Float) {
        if syncedAtApply { syncTarget(shared) } else { sync(shared) }
        syncedAtApply = false
        act(shared)
        var m = learn()
        let rate = lr(shared.T.load(ordering: .relaxed))
        m[m.count - 1] = Double(apply(shared, lr: rate, thenSync: true))
        syncedAtApply = true
        m[0] = Double(rate)
        record(m)
    }

    func record(_ m: [Double]) {
        for k in 0..<m.count { metricSums[k] += m[k] }
        segments += 1
    }

    // ---- Helpers for the methods' files ------------------------------------------------------------

    /// The network's outputs for the segment's rows `0..<n` with θ′, as computed while acting (θ′ has
    /// not changed since), row-major `n × outputSize`.
    var segmentOutputs: UnsafeMutablePointer<Float> { ws.output }

    /// The network's output for row `n` (the observation after the last step) with θ′.
    func nextOutput() -> UnsafeMutablePointer<Float> {
        local.withUnsafeBufferPointer { pb in
            obs.withUnsafeBufferPointer { _ = net.forward(pb.baseAddress!, $0.baseAddress! + n * obsSize, batch: 1, nextWS) }
        }
        return nextWS.output
    }

    /// The target network's outputs for rows `0...n` (θ⁻ as synced at the segment's start).
    func targetOutputs() -> UnsafeMutablePointer<Float> {
        targetLocal.withUnsafeBufferPointer { pb in
            obs.withUnsafeBufferPointer { net.forward(pb.baseAddress!, $0.baseAddress!, rows: 0..<(n + 1), targetWS) }
        }
        return targetWS.output
    }

    /// Back-propagates `dOut` (rows `0..<n`, ∂loss/∂outputs) through the forward passes made while
    /// acting, accumulating into dθ.
    func backwardSegment() {
        local.withUnsafeBufferPointer { pb in
            grads.withUnsafeMutableBufferPointer { gb in
                obs.withUnsafeBufferPointer { ob in
                    dOut.withUnsafeBufferPointer { net.backward(pb.baseAddress!, ws, dOutput: $0.baseAddress!, grad: gb.baseAddress!, input: ob.baseAddress!) }
                }
            }
        }
    }

    /// Hands the observer the ε-greedy probabilities on `q` at the current ε, and `max_a Q(s, a; θ′)`
    /// as the value estimate, for the step about to be taken (Q methods).
    func observeEpsilonGreedy(_ q: UnsafePointer<Float>) {
        guard let observer else { return }
        observedRow.withUnsafeMutableBufferPointer { p in
            let v = epsilonGreedyProbabilities(q, nA, epsilon: currentEpsilon, into: p.baseAddress!)
            observer.observe(copy: 0, .probabilities, p.baseAddress!, value: v)
        }
    }

    /// The segment's episodes since the last call.
    func drainFinished() -> [EpisodeRecord] {
        defer { finished.removeAll(keepingCapacity: true) }
        return finished
    }
}
