import Environments
import NN

/// PPO-clip with GAE(λ) (Schulman et al. 2017; ALGORITHMS.md §6, seed 003), for discrete and
/// continuous actions, as Stable-Baselines3's `PPO` computes it.
///
/// Each update: `nenvs` copies act `nsteps` steps with `π(·|x; θ)` (a categorical policy, or a
/// diagonal Gaussian with mean from the network and a learned state-independent `log σ`); GAE(λ)
/// advantages and returns `R = A + V`; then `n_epochs` passes over the rollout in shuffled
/// minibatches of `batch_size`, each one Adam step on `ppoLossGradients`' loss (advantages
/// normalised per minibatch when `normalize_advantage`), with global-norm clipping.
///
/// Choices, each as SB3 unless said: separate policy and value networks (SB3's default
/// `MlpPolicy`, 64-64 tanh; orthogonal init, gains √2 hidden, 0.01 policy output, 1 value output;
/// `log σ` starts at `log_std_init`); the learning rate and the clip range follow their schedules at
/// the env-step count *after* the rollout (SB3's progress_remaining); Gaussian actions are clipped
/// to the action space's bounds when stepping the environment, the unclipped sample is what the
/// log-probabilities are of; with `target_kl` > 0 an epoch loop stops before the step of the first
/// minibatch whose `approx_kl` exceeds 1.5·target_kl. Departure: a time-limit truncation is
/// bootstrapped from `V(final observation)` (`bootstrap_truncation`), which SB3 also does.
public final class PPO: Agent {
    public static let info = AlgorithmInfo(
        name: "ppo",
        summary: "proximal policy optimisation, clipped objective with GAE (Stable-Baselines3 PPO), discrete or continuous actions",
        params: [
            ParamDef("nenvs", .int(min: 1, max: 4096), .int(8), "environment copies stepped in lock-step (SB3 n_envs)"),
            ParamDef("nsteps", .int(min: 1, max: 100_000), .int(2048), "steps per copy per rollout (SB3 n_steps)"),
            ParamDef("batch_size", .int(min: 1, max: 1 << 24), .int(64), "minibatch size"),
            ParamDef("n_epochs", .int(min: 1, max: 1000), .int(10), "passes over each rollout"),
            ParamDef("gamma", .number(min: 0, max: 1, exclusiveMin: false), .number(0.99), "discount γ"),
            ParamDef("gae_lambda", .number(min: 0, max: 1, exclusiveMin: false), .number(0.95), "GAE λ"),
            ParamDef("clip_range", .number(min: 0, max: 10, exclusiveMin: true), .number(0.2), "clip range ε of the probability ratio"),
            ParamDef("clip_range_schedule", .choice(["constant", "linear"]), .string("constant"), "constant, or linear to 0 at the final step (the zoo's lin_ prefix)"),
            ParamDef("clip_range_vf", .number(min: 0, max: .infinity, exclusiveMin: false), .number(0), "value clipping range around the old value (0 = no value clipping, SB3's None)"),
            ParamDef("normalize_advantage", .bool, .bool(true), "normalise advantages per minibatch"),
            ParamDef("ent_coef", .number(min: 0, max: .infinity, exclusiveMin: false), .number(0), "entropy bonus c_reg"),
            ParamDef("vf_coef", .number(min: 0, max: .infinity, exclusiveMin: false), .number(0.5), "value-loss weight c_v"),
            ParamDef("target_kl", .number(min: 0, max: .infinity, exclusiveMin: false), .number(0), "stop an update's epochs when approx_kl > 1.5·target_kl (0 = never)"),
            ParamDef("log_std_init", .number(min: -20, max: 20, exclusiveMin: false), .number(0), "initial log σ of the Gaussian policy (continuous actions)"),
            ParamDef("hidden", .intList(minCount: 1, min: 1, max: 65_536), .ints([64, 64]), "hidden layer sizes (policy and value networks each)"),
            ParamDef("activation", .choice(Activation.allCases.map(\.rawValue)), .string("tanh"), "hidden nonlinearity"),
            .network,
            ParamDef("bootstrap_truncation", .bool, .bool(true), "bootstrap through time-limit truncations (false: treat as terminal)"),
        ] + optimizerParams.withDefaults(["lr": .number(3e-4), "lr_schedule": .string("constant"), "optimizer": .string("adam"),
                                          "adam_epsilon": .number(1e-5)]),
        make: { try PPO($0) },
        constraints: [.oneUpdateFits],
        actionKinds: [.discrete, .continuous])

    public var metricNames: [String] {
        ["lr", "clip_range", "entropy_loss", "policy_gradient_loss", "value_loss", "approx_kl", "clip_fraction", "loss",
         "explained_variance", "norm_grads", "minibatches"] + (dist.isContinuous ? ["std"] : [])
    }

    public let settings: PPOSettings
    public let dist: PolicyDistribution
    let totalSteps: Int
    let policyNet: Network, valueNet: Network
    let obsSize: Int, S: Int, A: Int
    /// Action bounds (continuous actions), for clipping what is sent to the environment.
    let low: [Float], high: [Float]
    /// θ: policy network, value network, then log σ (k values, continuous actions only).
    public private(set) var params: [Float]
    var grads: [Float]
    var optimizer: any Optimizer
    let valueOffset: Int, logStdOffset: Int
    let env: any VectorEnvironment
    var actionRNG: RNG, minibatchRNG: RNG
    public private(set) var envSteps: Int64 = 0
    public private(set) var updates: Int64 = 0
    // Rollout (B = nsteps·nenvs rows; row t·nenvs + i is copy i at step t)
    let batch: Int
    var obsBuf: [Float], actionBuf: [Float], logpBuf: [Float], valueBuf: [Float], rewardBuf: [Float], maskBuf: [Float]
    var advantages: [Float], returns: [Float]
    // Minibatch scratch
    var mbObs: [Float], mbActions: [Float], mbOldLogp: [Float], mbAdv: [Float], mbReturns: [Float], mbOldValues: [Float]
    var mbStats: [Float], mbValues: [Float], dStats: [Float], dValues: [Float], dMean: [Float]
    let policyWS: NetworkWorkspace, valueWS: NetworkWorkspace, smallPolicyWS: NetworkWorkspace, smallValueWS: NetworkWorkspace
    var stepStats: [Float], stepActions: [Float], envActions: [Float], discreteActions: [Int32]
    /// The training vector's recorder, if it has one (`BehaviourObserver`).
    let observer: (any BehaviourObserver)?

    public init(_ ctx: AgentContext) throws {
        let hp = ctx.hyperparameters
        guard let spec = Environments.spec(ctx.envID) else { throw AgentError("unknown environment \(ctx.envID)") }
        let settings = PPOSettings(hp)
        self.settings = settings
        totalSteps = ctx.totalSteps
        switch spec.action {
        case .discrete(let n): dist = .categorical(n); low = []; high = []
        case .box(let l, let h): dist = .gaussian(l.count); low = l; high = h
        }
        obsSize = spec.observation.size; S = dist.statisticsCount; A = dist.actionDimension
        policyNet = Network(kind: settings.network, observationShape: spec.observation.shape, hidden: settings.hidden,
                            activation: settings.activation, outputs: dist.networkOutputs)
        valueNet = Network(kind: settings.network, observationShape: spec.observation.shape, hidden: settings.hidden,
                           activation: settings.activation, outputs: 1)
        valueOffset = policyNet.parameterCount
        logStdOffset = valueOffset + valueNet.parameterCount
        let count = logStdOffset + (dist.isContinuous ? A : 0)
        params = [Float](repeating: 0, count: count)
        grads = params
        var initRNG = RNG(seed: ctx.seed, stream: RNG.label("init"))
        policyNet.initialize(&params, offset: 0, rng: &initRNG, hiddenGain: 2.0.squareRoot(), outputGain: 0.01)
        valueNet.initialize(&params, offset: valueOffset, rng: &initRNG, hiddenGain: 2.0.squareRoot(), outputGain: 1.0)
        for j in logStdOffset..<count { params[j] = settings.logStdInit }
        optimizer = makeOptimizer(hp, count: count)
        env = try Environments.makeVector(ctx.envID, options: ctx.envOptions, seed: ctx.seed, copies: settings.nenvs)
        env.reset()
        observer = env as? any BehaviourObserver
        actionRNG = RNG(seed: ctx.seed, stream: RNG.label("action"))
        minibatchRNG = RNG(seed: ctx.seed, stream: RNG.label("minibatch"))
        let N = settings.nenvs, B = settings.nsteps * N, M = min(settings.batchSize, B)
        batch = B
        obsBuf = [Float](repeating: 0, count: B * obsSize)
        actionBuf = [Float](repeating: 0, count: B * A)
        logpBuf = [Float](repeating: 0, count: B)
        valueBuf = logpBuf; rewardBuf = logpBuf; maskBuf = logpBuf; advantages = logpBuf; returns = logpBuf
        mbObs = [Float](repeating: 0, count: M * obsSize)
        mbActions = [Float](repeating: 0, count: M * A)
        mbOldLogp = [Float](repeating: 0, count: M)
        mbAdv = mbOldLogp; mbReturns = mbOldLogp; mbOldValues = mbOldLogp; mbValues = mbOldLogp; dValues = mbOldLogp
        mbStats = [Float](repeating: 0, count: M * S); dStats = mbStats
        dMean = [Float](repeating: 0, count: M * dist.networkOutputs)
        policyWS = NetworkWorkspace(policyNet, capacity: M); valueWS = NetworkWorkspace(valueNet, capacity: M)
        smallPolicyWS = NetworkWorkspace(policyNet, capacity: N); smallValueWS = NetworkWorkspace(valueNet, capacity: N)
        stepStats = [Float](repeating: 0, count: N * S)
        stepActions = [Float](repeating: 0, count: N * A); envActions = stepActions
        discreteActions = [Int32](repeating: 0, count: N)
    }

    /// Policy statistics of `n` rows of `obs` into `out` (n × S), with θ at `p`.
    func statistics(_ p: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ n: Int, _ out: UnsafeMutablePointer<Float>) {
        let k = dist.networkOutputs
        for r in 0..<n { dist.statistics(outputs: y + r * k, logStd: dist.isContinuous ? p + logStdOffset : nil, into: out + r * S) }
    }

    /// `V(x)` of `n` rows of `obs` (small workspace).
    func values(_ p: UnsafePointer<Float>, _ obs: UnsafePointer<Float>, _ n: Int, _ out: UnsafeMutablePointer<Float>) {
        let y = valueNet.forward(p + valueOffset, obs, batch: n, smallValueWS)
        for i in 0..<n { out[i] = y[i] }
    }

    /// Collects one rollout of `nsteps × nenvs` steps and computes GAE advantages and returns.
    func collectRollout() {
        let N = settings.nenvs, T = settings.nsteps, d = obsSize, gamma = settings.gamma
        var lastValues = [Float](repeating: 0, count: N)
        params.withUnsafeBufferPointer { pb in
            let p = pb.baseAddress!
            for t in 0..<T {
                let r0 = t * N
                obsBuf.withUnsafeMutableBufferPointer { ob in
                    env.observations.withUnsafeBufferPointer { (ob.baseAddress! + r0 * d).update(from: $0.baseAddress!, count: N * d) }
                    let x = UnsafePointer(ob.baseAddress! + r0 * d)
                    let y = policyNet.forward(p, x, batch: N, smallPolicyWS)
                    stepStats.withUnsafeMutableBufferPointer { statistics(p, y, N, $0.baseAddress!) }
                    valueBuf.withUnsafeMutableBufferPointer { values(p, x, N, $0.baseAddress! + r0) }
                }
                stepStats.withUnsafeBufferPointer { sb in
                    stepActions.withUnsafeMutableBufferPointer { ab in
                        for i in 0..<N {
                            let phi = sb.baseAddress! + i * S, a = ab.baseAddress! + i * A
                            dist.sample(phi, rng: &actionRNG, into: a)
                            logpBuf[r0 + i] = dist.logProb(phi, action: a)
                            observer?.observe(copy: i, dist.isContinuous ? .meanLogStd : .logProbabilities, phi, value: valueBuf[r0 + i])
                        }
                    }
                }
                for k in 0..<(N * A) { actionBuf[r0 * A + k] = stepActions[k] }
                if dist.isContinuous {
                    for i in 0..<N { for j in 0..<A { envActions[i * A + j] = min(max(stepActions[i * A + j], low[j]), high[j]) } }
                    envActions.withUnsafeBufferPointer { env.step(continuous: $0.baseAddress!) }
                } else {
                    for i in 0..<N { discreteActions[i] = Int32(stepActions[i]) }
                    discreteActions.withUnsafeBufferPointer { env.step($0.baseAddress!) }
                }
                for i in 0..<N {
                    let step = rolloutStep(reward: Float(env.rewards[i]), terminated: env.terminated[i], truncated: env.truncated[i],
                                           bootstrapTruncation: settings.bootstrapTruncation, gamma: gamma) {
                        var v: Float = 0
                        env.finalObservations.withUnsafeBufferPointer { values(p, $0.baseAddress! + i * d, 1, &v) }
                        return v
                    }
                    rewardBuf[r0 + i] = step.reward
                    maskBuf[r0 + i] = step.mask
                }
            }
            env.observations.withUnsafeBufferPointer { values(p, $0.baseAddress!, N, &lastValues) }
        }
        envSteps += Int64(batch)
        rewardBuf.withUnsafeBufferPointer { r in maskBuf.withUnsafeBufferPointer { m in valueBuf.withUnsafeBufferPointer { v in
            advantages.withUnsafeMutableBufferPointer { a in
                for i in 0..<N {
                    gae(count: T, stride: N, r_t: r.baseAddress! + i, mask_t: m.baseAddress! + i, v_t: v.baseAddress! + i,
                        bootstrap: lastValues[i], gamma: gamma, lambda: settings.gaeLambda, into: a.baseAddress! + i)
                }
            }
        } } }
        for r in 0..<batch { returns[r] = advantages[r] + valueBuf[r] }
    }

    public func update() -> Metrics {
        collectRollout()
        let B = batch, M = min(settings.batchSize, B), d = obsSize, k = dist.networkOutputs
        let progressStep = Int(envSteps)
        let lr = settings.lrSchedule.lr(base: settings.lr, step: progressStep, total: totalSteps)
        let clip = settings.clipRangeSchedule.lr(base: settings.clipRange, step: progressStep, total: totalSteps)
        var sums = (pg: 0.0, vf: 0.0, ent: 0.0, kl: 0.0, cf: 0.0, norm: 0.0)
        var lastLoss = 0.0, minibatches = 0, steps = 0
        var order = Array(0..<B)
        epochs: for _ in 0..<settings.nEpochs {
            shuffle(&order, rng: &minibatchRNG)   // each epoch reshuffles the previous epoch's order
            var start = 0
            while start < B {
                let n = min(M, B - start)
                for (j, r) in order[start..<(start + n)].enumerated() {
                    for c in 0..<d { mbObs[j * d + c] = obsBuf[r * d + c] }
                    for c in 0..<A { mbActions[j * A + c] = actionBuf[r * A + c] }
                    mbOldLogp[j] = logpBuf[r]; mbAdv[j] = advantages[r]; mbReturns[j] = returns[r]; mbOldValues[j] = valueBuf[r]
                }
                start += n
                if settings.normalizeAdvantage { mbAdv.withUnsafeMutableBufferPointer { normalizeAdvantages($0.baseAddress!, n) } }
                let terms = trainMinibatch(n, lr: lr, clip: clip, k: k)
                // as SB3, a minibatch stopped by target_kl still counts in the logged means
                sums.pg += terms.policyLoss; sums.vf += terms.valueLoss; sums.ent += terms.entropyLoss
                sums.kl += terms.approxKL; sums.cf += terms.clipFraction
                lastLoss = terms.policyLoss + Double(settings.entCoef) * terms.entropyLoss + Double(settings.vfCoef) * terms.valueLoss
                minibatches += 1
                if terms.norm.isNaN { break epochs }   // target_kl: the step was not taken
                sums.norm += terms.norm; steps += 1
            }
        }
        updates += 1
        let m = Double(max(minibatches, 1))
        let ev = explainedVariance(predicted: valueBuf.map(Double.init), target: returns.map(Double.init))
        var names = ["lr", "clip_range", "entropy_loss", "policy_gradient_loss", "value_loss", "approx_kl", "clip_fraction", "loss",
                     "explained_variance", "norm_grads", "minibatches"]
        var values = [Double(lr), Double(clip), sums.ent / m, sums.pg / m, sums.vf / m, sums.kl / m, sums.cf / m, lastLoss,
                      ev, sums.norm / Double(max(steps, 1)), Double(minibatches)]
        if dist.isContinuous {
            names.append("std")
            var s = 0.0
            for j in 0..<A { s += Double(DetMath.expf(params[logStdOffset + j])) }
            values.append(s / Double(A))
        }
        return Metrics(names: names, values: values)
    }

    /// One Adam step on the first `n` rows of the minibatch buffers; returns the loss terms and the
    /// gradient norm before clipping (NaN when `target_kl` stopped the update before this step).
    func trainMinibatch(_ n: Int, lr: Float, clip: Float, k: Int)
        -> (policyLoss: Double, valueLoss: Double, entropyLoss: Double, approxKL: Double, clipFraction: Double, norm: Double) {
        for j in 0..<grads.count { grads[j] = 0 }
        var result = (policyLoss: 0.0, valueLoss: 0.0, entropyLoss: 0.0, approxKL: 0.0, clipFraction: 0.0, norm: 0.0)
        params.withUnsafeMutableBufferPointer { pb in
            let p = pb.baseAddress!
            mbObs.withUnsafeBufferPointer { ob in
                let x = ob.baseAddress!
                let y = policyNet.forward(p, x, batch: n, policyWS)
                mbStats.withUnsafeMutableBufferPointer { statistics(p, y, n, $0.baseAddress!) }
                let v = valueNet.forward(p + valueOffset, x, batch: n, valueWS)
                for j in 0..<n { mbValues[j] = v[j] }
                let t = ppoLossGradients(dist: dist, stats: mbStats, actions: mbActions, oldLogProbs: mbOldLogp, advantages: mbAdv,
                                         returns: mbReturns, values: mbValues, oldValues: mbOldValues, count: n,
                                         clipRange: clip, clipRangeVF: settings.clipRangeVF > 0 ? settings.clipRangeVF : nil,
                                         entCoef: settings.entCoef, vfCoef: settings.vfCoef, dStats: &dStats, dValues: &dValues)
                result = (t.policyLoss, t.valueLoss, t.entropyLoss, t.approxKL, t.clipFraction, 0)
                if settings.targetKL > 0 && t.approxKL > 1.5 * Double(settings.targetKL) { result.norm = .nan; return }
                // ∂/∂(network outputs): the first k statistics of each row; ∂/∂log σ sums over rows
                for j in 0..<n { for c in 0..<k { dMean[j * k + c] = dStats[j * S + c] } }
                grads.withUnsafeMutableBufferPointer { gb in
                    let g = gb.baseAddress!
                    dMean.withUnsafeBufferPointer { policyNet.backward(p, policyWS, dOutput: $0.baseAddress!, grad: g, input: x) }
                    dValues.withUnsafeBufferPointer { valueNet.backward(p + valueOffset, valueWS, dOutput: $0.baseAddress!, grad: g + valueOffset, input: x) }
                    if dist.isContinuous {
                        for j in 0..<n { for c in 0..<A { g[logStdOffset + c] += dStats[j * S + A + c] } }
                    }
                    result.norm = Double(clipByGlobalNorm(g, count: gb.count, maxNorm: settings.maxGradNorm))
                    optimizer.step(p, g, count: gb.count, lr: lr)
                }
            }
        }
        return result
    }

    public func drainEpisodes() -> [EpisodeRecord] { env.drainFinished() }

    public func greedyAction(_ obs: UnsafePointer<Float>) -> Int {
        var a: Float = 0
        greedyAction(obs, into: &a)
        return Int(a)
    }

    public func greedyAction(_ obs: UnsafePointer<Float>, into action: UnsafeMutablePointer<Float>) {
        params.withUnsafeBufferPointer { pb in
            let p = pb.baseAddress!
            let y = policyNet.forward(p, obs, batch: 1, smallPolicyWS)
            var phi = [Float](repeating: 0, count: S)
            phi.withUnsafeMutableBufferPointer { statistics(p, y, 1, $0.baseAddress!) }
            dist.mode(phi, into: action)
        }
    }

    public func greedyAction(_ obs: UnsafePointer<Float>, into action: UnsafeMutablePointer<Float>, observer: any BehaviourObserver) {
        params.withUnsafeBufferPointer { pb in
            let p = pb.baseAddress!
            let y = policyNet.forward(p, obs, batch: 1, smallPolicyWS)
            var phi = [Float](repeating: 0, count: S), v: Float = 0
            phi.withUnsafeMutableBufferPointer { statistics(p, y, 1, $0.baseAddress!) }
            dist.mode(phi, into: action)
            values(p, obs, 1, &v)
            observer.observe(copy: 0, dist.isContinuous ? .meanLogStd : .logProbabilities, phi, value: v)
        }
    }

    public var behaviourDescription: BehaviourDescription {
        BehaviourDescription(statistics: dist.isContinuous ? "π(·|s; θ) = N(μ_θ(s), σ²), the Gaussian the action was sampled from"
                                                           : "π(·|s; θ), the softmax of the policy logits the action was sampled from",
                             value: "V(s; θ_v), the value network (what GAE uses)")
    }

    public var checkpoint: AgentCheckpoint {
        var c = AgentCheckpoint()
        c.addLearner(params: params, optimizer: optimizer, envSteps: envSteps, updates: updates)
        c.words["rng_action"] = actionRNG.stateArray
        c.words["rng_minibatch"] = minibatchRNG.stateArray
        c.addEnvironments(env)
        return c
    }

    public func restore(_ c: AgentCheckpoint) throws {
        (envSteps, updates) = try c.restoreLearner(params: &params, optimizer: &optimizer)
        actionRNG = try c.rng("rng_action")
        minibatchRNG = try c.rng("rng_minibatch")
        try c.restoreEnvironments([env], totalSteps: [envSteps])
    }

    public var parameters: [Float] { params }
}

/// PPO's settings, decoded once from the validated hyperparameters (spec names in backticks).
public struct PPOSettings: Sendable {
    /// Environment copies (`nenvs`) and steps per copy per rollout (`nsteps`).
    public var nenvs: Int, nsteps: Int
    /// Minibatch size (`batch_size`) and passes over each rollout (`n_epochs`).
    public var batchSize: Int, nEpochs: Int
    /// Discount γ (`gamma`) and GAE λ (`gae_lambda`).
    public var gamma: Float, gaeLambda: Float
    /// Clip range ε (`clip_range`) and its schedule (`clip_range_schedule`).
    public var clipRange: Float, clipRangeSchedule: LRSchedule
    /// Value clipping range, 0 = none (`clip_range_vf`).
    public var clipRangeVF: Float
    /// Normalise advantages per minibatch (`normalize_advantage`).
    public var normalizeAdvantage: Bool
    /// Entropy bonus (`ent_coef`) and value-loss weight (`vf_coef`).
    public var entCoef: Float, vfCoef: Float
    /// Early stop of an update's epochs, 0 = never (`target_kl`).
    public var targetKL: Float
    /// Initial log σ of the Gaussian policy (`log_std_init`).
    public var logStdInit: Float
    /// Global-norm clipping threshold (`max_grad_norm`).
    public var maxGradNorm: Float
    /// Learning rate (`lr`) and its schedule (`lr_schedule`).
    public var lr: Float, lrSchedule: LRSchedule
    /// Bootstrap through time-limit truncations (`bootstrap_truncation`).
    public var bootstrapTruncation: Bool
    /// Hidden layers, nonlinearity and network kind of both networks (`hidden`, `activation`, `network`).
    public var hidden: [Int], activation: Activation, network: NetworkKind

    public init(_ hp: Hyperparameters) {
        nenvs = hp.int("nenvs"); nsteps = hp.int("nsteps"); batchSize = hp.int("batch_size"); nEpochs = hp.int("n_epochs")
        gamma = hp.float("gamma"); gaeLambda = hp.float("gae_lambda")
        clipRange = hp.float("clip_range"); clipRangeSchedule = LRSchedule(rawValue: hp.string("clip_range_schedule"))!
        clipRangeVF = hp.float("clip_range_vf"); normalizeAdvantage = hp.bool("normalize_advantage")
        entCoef = hp.float("ent_coef"); vfCoef = hp.float("vf_coef"); targetKL = hp.float("target_kl")
        logStdInit = hp.float("log_std_init"); maxGradNorm = hp.float("max_grad_norm")
        lr = hp.float("lr"); lrSchedule = LRSchedule(rawValue: hp.string("lr_schedule"))!
        bootstrapTruncation = hp.bool("bootstrap_truncation")
        hidden = hp.ints("hidden"); activation = Activation(rawValue: hp.string("activation"))!
        network = NetworkKind(rawValue: hp.string("network"))!
    }
}

extension Array where Element == ParamDef {
    /// The same definitions with some defaults replaced (e.g. PPO's Adam at 3e-4 among the shared
    /// optimizer hyperparameters).
    func withDefaults(_ d: [String: ParamValue]) -> [ParamDef] {
        map { p in d[p.name].map { ParamDef(p.name, p.kind, $0, p.doc, neutralDefault: p.neutralDefault) } ?? p }
    }
}
