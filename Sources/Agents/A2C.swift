import Environments
import NN

/// A2C, the synchronous advantage actor-critic (ALGORITHMS.md §3; Mnih et al. 2016, Algorithm S3
/// made synchronous as in OpenAI baselines).
///
/// Each update: `nenvs` environment copies step in lock-step for `nsteps` steps with actions drawn
/// from `π(·|x; θ)`; returns are bootstrapped from `V(x_{t+nsteps})` (GAE(λ); λ = 1 gives the
/// paper's n-step returns); then one gradient step on
/// `L = mean(ADV · −log π(a|x)) − ent_coef·mean(H) + vf_coef·mean((R − V)²)`, `ADV = R − V` held fixed.
///
/// Departures from baselines, each a switch: a time-limit truncation is bootstrapped from
/// `V(final observation)` (`bootstrap_truncation`; baselines treats it as terminal), and the policy
/// and value may use separate networks (`shared_trunk: false`, as SB3) or one trunk (baselines).
public final class A2C: Agent {
    public static let info = AlgorithmInfo(
        name: "a2c",
        summary: "synchronous advantage actor-critic (OpenAI baselines A2C)",
        params: [
            ParamDef("nenvs", .int(min: 1, max: 4096), .int(8), "environment copies stepped in lock-step"),
            ParamDef("nsteps", .int(min: 1, max: 100_000), .int(5), "steps per copy per update (t_max)"),
            ParamDef("gamma", .number(min: 0, max: 1, exclusiveMin: false), .number(0.99), "discount γ"),
            ParamDef("gae_lambda", .number(min: 0, max: 1, exclusiveMin: false), .number(1.0), "GAE λ (1 = n-step returns, the paper's)"),
            ParamDef("ent_coef", .number(min: 0, max: .infinity, exclusiveMin: false), .number(0.01), "entropy bonus β"),
            ParamDef("vf_coef", .number(min: 0, max: .infinity, exclusiveMin: false), .number(0.5), "value-loss weight"),
            ParamDef("hidden", .intList(minCount: 1, min: 1, max: 65_536), .ints([64, 64]), "hidden layer sizes"),
            ParamDef("activation", .choice(Activation.allCases.map(\.rawValue)), .string("tanh"), "hidden nonlinearity"),
            .network,
            ParamDef("shared_trunk", .bool, .bool(true), "policy and value share hidden layers (baselines) or not (SB3)"),
            ParamDef("bootstrap_truncation", .bool, .bool(true), "bootstrap through time-limit truncations (false: treat as terminal, like baselines)"),
        ] + optimizerParams,
        make: { try A2C($0) },
        constraints: [.oneUpdateFits])

    public static let metrics = ["lr", "policy_loss", "value_loss", "policy_entropy", "loss", "explained_variance", "norm_grads"]
    public var metricNames: [String] { A2C.metrics }

    public let settings: A2CSettings
    let totalSteps: Int
    // the settings under the names the maths below uses
    var nenvs: Int { settings.nenvs }
    var nsteps: Int { settings.nsteps }
    var gamma: Float { settings.gamma }
    var gaeLambda: Float { settings.gaeLambda }
    var entCoef: Float { settings.entCoef }
    var vfCoef: Float { settings.vfCoef }
    var maxGradNorm: Float { settings.maxGradNorm }
    var bootstrapTruncation: Bool { settings.bootstrapTruncation }
    // Model: one MLP [obs → hidden → nA+1] when shared, else policy [obs → hidden → nA] and value [obs → hidden → 1].
    let shared: Bool
    let policyNet: Network
    let valueNet: Network?
    let nA: Int, obsSize: Int
    public private(set) var params: [Float]
    var grads: [Float]
    var optimizer: any Optimizer
    // Experience
    let env: any VectorEnvironment
    var actionRNG: RNG
    public private(set) var envSteps: Int64 = 0
    public private(set) var updates: Int64 = 0
    // Rollout buffers (B = nsteps·nenvs rows, row t·nenvs + i is copy i at step t)
    let batch: Int
    var obsBuf: [Float], logpBuf: [Float], valueBuf: [Float], rewardBuf: [Float], maskBuf: [Float], actionBuf: [Int32]
    var dOut: [Float], dValue: [Float]
    let policyWS: NetworkWorkspace, valueWS: NetworkWorkspace?
    let smallPolicyWS: NetworkWorkspace, smallValueWS: NetworkWorkspace?
    var stepActions: [Int32]
    /// The training vector's recorder, if it has one (`BehaviourObserver`).
    let observer: (any BehaviourObserver)?

    public init(_ ctx: AgentContext) throws {
        let hp = ctx.hyperparameters
        let (spec, n) = try discreteEnvironment(ctx.envID, algorithm: "a2c")
        nA = n; obsSize = spec.observation.size
        let settings = A2CSettings(hp)
        self.settings = settings
        totalSteps = ctx.totalSteps
        shared = settings.sharedTrunk
        let act = settings.activation, hidden = settings.hidden
        let nenvs = settings.nenvs, nsteps = settings.nsteps
        policyNet = Network(kind: settings.network, observationShape: spec.observation.shape, hidden: hidden, activation: act, outputs: shared ? nA + 1 : nA)
        valueNet = shared ? nil : Network(kind: settings.network, observationShape: spec.observation.shape, hidden: hidden, activation: act, outputs: 1)
        let count = policyNet.parameterCount + (valueNet?.parameterCount ?? 0)
        params = [Float](repeating: 0, count: count)
        grads = params
        var initRNG = RNG(seed: ctx.seed, stream: RNG.label("init"))
        if shared {
            // one orthogonal matrix for the output layer: policy columns scaled 0.01, value column 1.
            policyNet.initialize(&params, offset: 0, rng: &initRNG, hiddenGain: 2.0.squareRoot(), outputGain: 1.0)
            let l = policyNet.layerCount - 1, w = policyNet.weightOffsets[l], nOut = nA + 1
            for r in 0..<policyNet.sizes[l] { for c in 0..<nA { params[w + r * nOut + c] *= 0.01 } }
        } else {
            policyNet.initialize(&params, offset: 0, rng: &initRNG, hiddenGain: 2.0.squareRoot(), outputGain: 0.01)
            valueNet!.initialize(&params, offset: policyNet.parameterCount, rng: &initRNG, hiddenGain: 2.0.squareRoot(), outputGain: 1.0)
        }
        optimizer = makeOptimizer(hp, count: count)
        env = try Environments.makeVector(ctx.envID, options: ctx.envOptions, seed: ctx.seed, copies: nenvs)
        env.reset()
        observer = env as? any BehaviourObserver
        actionRNG = RNG(seed: ctx.seed, stream: RNG.label("action"))
        batch = nsteps * nenvs
        obsBuf = [Float](repeating: 0, count: batch * obsSize)
        logpBuf = [Float](repeating: 0, count: batch * nA)
        valueBuf = [Float](repeating: 0, count: batch)
        rewardBuf = valueBuf; maskBuf = valueBuf
        actionBuf = [Int32](repeating: 0, count: batch)
        dOut = [Float](repeating: 0, count: batch * policyNet.outputSize)
        dValue = [Float](repeating: 0, count: batch)
        let (b, ne) = (nsteps * nenvs, nenvs)
        policyWS = NetworkWorkspace(policyNet, capacity: b)
        valueWS = valueNet.map { NetworkWorkspace($0, capacity: b) }
        smallPolicyWS = NetworkWorkspace(policyNet, capacity: ne)
        smallValueWS = valueNet.map { NetworkWorkspace($0, capacity: ne) }
        stepActions = [Int32](repeating: 0, count: nenvs)
    }

    /// `V(x)` for `n` rows of `obs`, written into `out` (uses the small workspaces).
    func values(_ p: UnsafePointer<Float>, _ obs: UnsafePointer<Float>, _ n: Int, _ out: UnsafeMutablePointer<Float>) {
        if let valueNet, let ws = smallValueWS {
            let y = valueNet.forward(p + policyNet.parameterCount, obs, batch: n, ws)
            for i in 0..<n { out[i] = y[i] }
        } else {
            let y = policyNet.forward(p, obs, batch: n, smallPolicyWS)
            for i in 0..<n { out[i] = y[i * (nA + 1) + nA] }
        }
    }

    public func update() -> Metrics {
        let N = nenvs, T = nsteps, B = batch, d = obsSize, nOutP = policyNet.outputSize
        var lastValues = [Float](repeating: 0, count: N)
        // The rollout's buffers are moved into locals for the rollout (and back after it): each access
        // to a class's array property is a dynamic exclusivity check (swift_beginAccess), per copy and
        // step if used in the loop, and an access held open around the loop makes every other check
        // walk past it. Locals are checked at compile time.
        var rng = actionRNG
        var obsL: [Float] = [], logpL: [Float] = [], valueL: [Float] = [], actionL: [Int32] = [], rewardL: [Float] = [], maskL: [Float] = []
        var stepL: [Int32] = []
        swap(&obsL, &obsBuf); swap(&logpL, &logpBuf); swap(&valueL, &valueBuf); swap(&actionL, &actionBuf)
        swap(&rewardL, &rewardBuf); swap(&maskL, &maskBuf); swap(&stepL, &stepActions)
        params.withUnsafeBufferPointer { pb in
            let p = pb.baseAddress!
            obsL.withUnsafeMutableBufferPointer { ob in
            logpL.withUnsafeMutableBufferPointer { lb in
            valueL.withUnsafeMutableBufferPointer { vb in
            actionL.withUnsafeMutableBufferPointer { ab in
            rewardL.withUnsafeMutableBufferPointer { rb in
            maskL.withUnsafeMutableBufferPointer { mb in
            stepL.withUnsafeMutableBufferPointer { sb in
                let obs = ob.baseAddress!, logp = lb.baseAddress!
                // ---- Roll out nsteps × nenvs steps with π(·|x; θ) -------------------------------
                for t in 0..<T {
                    let rows = (t * N)..<((t + 1) * N)
                    env.observations.withUnsafeBufferPointer { (obs + t * N * d).update(from: $0.baseAddress!, count: N * d) }
                    policyNet.forward(p, obs, rows: rows, policyWS)
                    if let valueNet, let vws = valueWS { valueNet.forward(p + policyNet.parameterCount, obs, rows: rows, vws) }
                    let out = policyWS.output
                    let valueOut = shared ? out : valueWS!.output
                    for i in 0..<N {
                        let r = t * N + i
                        Categorical.logSoftmax(out + r * nOutP, nA, into: logp + r * nA)
                        sb[i] = Int32(Categorical.sample(logp + r * nA, nA, u: rng.uniformFloat()))
                        vb[r] = shared ? valueOut[r * nOutP + nA] : valueOut[r]
                        ab[r] = sb[i]
                        if let observer { observer.observe(copy: i, .logProbabilities, logp + r * nA, value: vb[r]) }
                    }
                    env.step(sb.baseAddress!)
                    // the env's arrays once a step (each read through the existential is a call and a retain)
                    let rewards = env.rewards, terminated = env.terminated, truncated = env.truncated
                    for i in 0..<N {
                        let r = t * N + i
                        let step = rolloutStep(reward: Float(rewards[i]), terminated: terminated[i], truncated: truncated[i],
                                               bootstrapTruncation: bootstrapTruncation, gamma: gamma) {
                            // time limit, not a terminal state: V(final observation)
                            var v: Float = 0
                            env.finalObservations.withUnsafeBufferPointer { values(p, $0.baseAddress! + i * d, 1, &v) }
                            return v
                        }
                        rb[r] = step.reward
                        mb[r] = step.mask
                    }
                }
                env.observations.withUnsafeBufferPointer { values(p, $0.baseAddress!, N, &lastValues) }
            } } } } } } }
        }
        swap(&obsL, &obsBuf); swap(&logpL, &logpBuf); swap(&valueL, &valueBuf); swap(&actionL, &actionBuf)
        swap(&rewardL, &rewardBuf); swap(&maskL, &maskBuf); swap(&stepL, &stepActions)
        actionRNG = rng
        envSteps += Int64(B)

        // ---- Returns and advantages (GAE(λ); λ = 1 is the n-step return) ------------------------
        var returns = [Float](repeating: 0, count: B), adv = [Float](repeating: 0, count: B)
        rewardBuf.withUnsafeBufferPointer { r in maskBuf.withUnsafeBufferPointer { m in valueBuf.withUnsafeBufferPointer { v in
            adv.withUnsafeMutableBufferPointer { a in
                for i in 0..<N {   // copy i's sequence is every N-th row, starting at row i
                    gae(count: T, stride: N, r_t: r.baseAddress! + i, mask_t: m.baseAddress! + i, v_t: v.baseAddress! + i,
                        bootstrap: lastValues[i], gamma: gamma, lambda: gaeLambda, into: a.baseAddress! + i)
                }
            }
        } } }
        for r in 0..<B { returns[r] = adv[r] + valueBuf[r] }

        // ---- Loss gradients w.r.t. the network outputs -------------------------------------------
        let terms = logpBuf.withUnsafeBufferPointer { lb in
            dOut.withUnsafeMutableBufferPointer { db in
                dValue.withUnsafeMutableBufferPointer { dvb in
                    a2cLossGradients(logp: lb.baseAddress!, nA: nA, actions: actionBuf, advantages: adv, returns: returns,
                                     values: valueBuf, entCoef: entCoef, vfCoef: vfCoef,
                                     dLogits: db.baseAddress!, logitStride: nOutP,
                                     dValues: shared ? db.baseAddress! + nA : dvb.baseAddress!, valueStride: shared ? nOutP : 1)
                }
            }
        }
        let (pgLoss, vfLoss, entropy) = (terms.policyLoss, terms.valueLoss, terms.entropy)

        // ---- Backward, clip, step ------------------------------------------------------------------
        grads.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
        let lr = settings.lrSchedule.lr(base: settings.lr, step: Int(envSteps - Int64(B)), total: totalSteps)
        var norm: Float = 0
        params.withUnsafeMutableBufferPointer { pb in
            grads.withUnsafeMutableBufferPointer { gb in
                let p = pb.baseAddress!, g = gb.baseAddress!
                obsBuf.withUnsafeBufferPointer { ob in
                    let x = ob.baseAddress!
                    dOut.withUnsafeBufferPointer { policyNet.backward(p, policyWS, dOutput: $0.baseAddress!, grad: g, input: x) }
                    if let valueNet, let vws = valueWS {
                        dValue.withUnsafeBufferPointer {
                            valueNet.backward(p + policyNet.parameterCount, vws, dOutput: $0.baseAddress!, grad: g + policyNet.parameterCount, input: x)
                        }
                    }
                }
                norm = clipByGlobalNorm(g, count: gb.count, maxNorm: maxGradNorm)
                optimizer.step(p, g, count: gb.count, lr: lr)
            }
        }
        updates += 1
        let ev = explainedVariance(predicted: valueBuf.map(Double.init), target: returns.map(Double.init))
        let loss = pgLoss - Double(entCoef) * entropy + Double(vfCoef) * vfLoss
        return ["lr": Double(lr), "policy_loss": pgLoss, "value_loss": vfLoss, "policy_entropy": entropy, "loss": loss,
                "explained_variance": ev, "norm_grads": Double(norm)]
    }

    public func drainEpisodes() -> [EpisodeRecord] { env.drainFinished() }

    public func greedyAction(_ obs: UnsafePointer<Float>) -> Int {
        params.withUnsafeBufferPointer { pb in
            let y = policyNet.forward(pb.baseAddress!, obs, batch: 1, smallPolicyWS)
            return Categorical.argmax(y, nA)
        }
    }

    public func greedyAction(_ obs: UnsafePointer<Float>, into action: UnsafeMutablePointer<Float>, observer: any BehaviourObserver) {
        params.withUnsafeBufferPointer { pb in
            let p = pb.baseAddress!
            let y = policyNet.forward(p, obs, batch: 1, smallPolicyWS)
            var logp = [Float](repeating: 0, count: nA)
            logp.withUnsafeMutableBufferPointer { Categorical.logSoftmax(y, nA, into: $0.baseAddress!) }
            action[0] = Float(Categorical.argmax(y, nA))
            var v: Float = 0
            if shared { v = y[nA] } else { values(p, obs, 1, &v) }
            observer.observe(copy: 0, .logProbabilities, logp, value: v)
        }
    }

    public var behaviourDescription: BehaviourDescription {
        BehaviourDescription(statistics: "π(·|s; θ), the softmax of the policy logits the action was sampled from",
                             value: "V(s; θ_v), the critic's estimate (the value the returns bootstrap from)")
    }

    public var checkpoint: AgentCheckpoint {
        var c = AgentCheckpoint()
        c.addLearner(params: params, optimizer: optimizer, envSteps: envSteps, updates: updates)
        c.words["rng_action"] = actionRNG.stateArray
        c.addEnvironments(env)
        return c
    }

    public func restore(_ c: AgentCheckpoint) throws {
        (envSteps, updates) = try c.restoreLearner(params: &params, optimizer: &optimizer)
        actionRNG = try c.rng("rng_action")
        try c.restoreEnvironments([env], totalSteps: [envSteps])
    }

    public var parameters: [Float] { params }
}

/// A2C's settings, decoded once from the validated hyperparameters (spec names in backticks).
public struct A2CSettings: Sendable {
    /// Environment copies stepped in lock-step (`nenvs`).
    public var nenvs: Int
    /// Steps per copy per update, t_max (`nsteps`).
    public var nsteps: Int
    /// Discount γ (`gamma`).
    public var gamma: Float
    /// GAE λ; 1 gives the paper's n-step returns (`gae_lambda`).
    public var gaeLambda: Float
    /// Entropy bonus β (`ent_coef`).
    public var entCoef: Float
    /// Value-loss weight (`vf_coef`).
    public var vfCoef: Float
    /// Global-norm gradient clipping threshold (`max_grad_norm`).
    public var maxGradNorm: Float
    /// Learning rate η (`lr`) and its schedule over the run's total steps (`lr_schedule`).
    public var lr: Float
    public var lrSchedule: LRSchedule
    /// Bootstrap through time-limit truncations (`bootstrap_truncation`; false: terminal, as baselines).
    public var bootstrapTruncation: Bool
    /// Policy and value share the hidden layers (baselines) or not (SB3) (`shared_trunk`).
    public var sharedTrunk: Bool
    /// Hidden layer sizes and nonlinearity (`hidden`, `activation`).
    public var hidden: [Int]
    public var activation: Activation
    /// Function approximator (`network`): dense layers, or MinAtar's conv net in front of them.
    public var network: NetworkKind

    public init(_ hp: Hyperparameters) {
        nenvs = hp.int("nenvs"); nsteps = hp.int("nsteps"); gamma = hp.float("gamma"); gaeLambda = hp.float("gae_lambda")
        entCoef = hp.float("ent_coef"); vfCoef = hp.float("vf_coef"); maxGradNorm = hp.float("max_grad_norm")
        lr = hp.float("lr"); lrSchedule = LRSchedule(rawValue: hp.string("lr_schedule"))!
        bootstrapTruncation = hp.bool("bootstrap_truncation"); sharedTrunk = hp.bool("shared_trunk")
        hidden = hp.ints("hidden"); activation = Activation(rawValue: hp.string("activation"))!
        network = NetworkKind(rawValue: hp.string("network"))!
    }
}

/// The A2C loss terms of a batch of `B` samples and their gradients w.r.t. the network outputs:
///
/// `L = mean_b(ADV_b · −log π(a_b|x_b)) − ent_coef·mean_b H(π(·|x_b)) + vf_coef·mean_b (R_b − V_b)²`
///
/// with `ADV` and `R` held fixed. Writes `∂L/∂z` (logits, row `b` at `dLogits + b·logitStride`,
/// overwritten) and `∂L/∂V_b` (at `dValues + b·valueStride`), using
/// `∂(−log π_a)/∂z_j = π_j − 1[j=a]` and `∂H/∂z_j = −π_j(log π_j + H)`.
///
/// - Parameters:
///   - logp: `log π` rows (B × nA), from the logits by log-softmax.
/// - Returns: `policy_loss`, `value_loss` (mean squared error, without vf_coef) and `policy_entropy`.
public func a2cLossGradients(logp: UnsafePointer<Float>, nA: Int, actions: [Int32], advantages: [Float], returns: [Float],
                             values: [Float], entCoef: Float, vfCoef: Float,
                             dLogits: UnsafeMutablePointer<Float>, logitStride: Int,
                             dValues: UnsafeMutablePointer<Float>, valueStride: Int) -> (policyLoss: Double, valueLoss: Double, entropy: Double) {
    let B = actions.count
    precondition(advantages.count == B && returns.count == B && values.count == B, "batch arrays differ in length")
    let invB = 1 / Float(B)
    var pg = 0.0, vf = 0.0, ent = 0.0
    let p = UnsafeMutablePointer<Float>.allocate(capacity: nA)
    defer { p.deallocate() }
    for b in 0..<B {
        let lp = logp + b * nA, dz = dLogits + b * logitStride
        let a = Int(actions[b])
        pg += Double(-advantages[b] * lp[a])
        Categorical.probabilities(lp, nA, into: p)           // π once per row
        let h = Categorical.entropy(lp, probabilities: p, nA)
        ent += Double(h)
        let e = returns[b] - values[b]
        vf += Double(e * e)
        for j in 0..<nA { dz[j] = 0 }
        Categorical.addNegLogProbGradient(probabilities: p, nA, action: a, scale: advantages[b] * invB, into: dz)
        if entCoef != 0 { Categorical.addEntropyGradient(lp, probabilities: p, entropy: h, nA, scale: -entCoef * invB, into: dz) }
        dValues[b * valueStride] = vfCoef * 2 * (values[b] - returns[b]) * invB
    }
    return (pg / Double(B), vf / Double(B), ent / Double(B))
}

