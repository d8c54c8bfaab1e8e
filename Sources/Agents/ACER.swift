import Environments
import Foundation
import NN

/// ACER for discrete actions (Wang et al. 2017; ALGORITHMS.md §4; OpenAI baselines `acer.py`).
/// `ACER.info` serves both action kinds: on a Box action space its `make` builds `ACERContinuous`
/// (the paper's Algorithm 3, ACERContinuous.swift) instead.
///
/// One network with a shared trunk and two heads: policy logits (f = softmax) and Q(x, ·); V = Σ f·Q.
/// Each iteration: `nenvs` streams act `nsteps` steps with f (the full behaviour distribution μ is
/// stored), the segment goes into the replay buffer and is trained on at once (on-policy); then
/// K ~ Poisson(`replay_ratio`) off-policy updates on segments sampled from the buffer, once it holds
/// `replay_start` steps. Each update: Retrace targets, truncated importance sampling with bias
/// correction, Q loss, entropy bonus, trust-region projection against the Polyak-averaged network
/// (φ = f, as baselines), global-norm clipping, RMSProp; then θ_a ← α·θ_a + (1−α)·θ.
///
/// Departures from baselines, each a switch or noted: truncations bootstrap from V(final
/// observation) (`bootstrap_truncation`); `log f` is the exact log-softmax (baselines: log(f + 1e-6));
/// the entropy gradient is the exact −(log f + 1).
public final class ACER: Agent {
    public static let info = AlgorithmInfo(
        name: "acer",
        summary: "actor-critic with experience replay (discrete actions as OpenAI baselines ACER; continuous actions as the paper's Algorithm 3)",
        params: [
            ParamDef("nenvs", .int(min: 1, max: 4096), .int(8), "environment streams stepped in lock-step"),
            ParamDef("nsteps", .int(min: 1, max: 10_000), .int(20), "steps per stream per segment"),
            ParamDef("gamma", .number(min: 0, max: 1, exclusiveMin: false), .number(0.99), "discount γ"),
            ParamDef("q_coef", .number(min: 0, max: .infinity, exclusiveMin: false), .number(0.5), "Q-loss weight"),
            ParamDef("ent_coef", .number(min: 0, max: .infinity, exclusiveMin: false), .number(0.01), "entropy bonus"),
            ParamDef("c", .number(min: 0, max: .infinity, exclusiveMin: true), .number(10), "importance-weight truncation c"),
            ParamDef("delta", .number(min: 0, max: .infinity, exclusiveMin: false), .number(1), "trust-region bound δ"),
            ParamDef("alpha", .number(min: 0, max: 1, exclusiveMin: false), .number(0.99), "Polyak weight α of the average policy network"),
            ParamDef("replay_ratio", .number(min: 0, max: 64, exclusiveMin: false), .number(4), "mean off-policy updates per on-policy one (Poisson); 0 = on-policy ACER"),
            ParamDef("replay_start", .int(min: 0, max: Int.max), .int(10_000), "stored env steps before replay starts"),
            ParamDef("buffer_size", .int(min: 1, max: Int.max), .int(50_000), "replay capacity in env steps (all streams)"),
            ParamDef("trust_region", .bool, .bool(true), "project the policy gradient onto the trust region (false: ablation)"),
            ParamDef("bias_correction", .bool, .bool(true), "add the bias-correction term (false: truncation only, ablation)"),
            ParamDef("retrace", .bool, .bool(true), "Retrace targets (false: plain n-step returns, ablation)"),
            ParamDef("hidden", .intList(minCount: 1, min: 1, max: 65_536), .ints([64, 64]), "hidden layer sizes of the shared trunk"),
            ParamDef("activation", .choice(Activation.allCases.map(\.rawValue)), .string("tanh"), "hidden nonlinearity"),
            .network,
            ParamDef("bootstrap_truncation", .bool, .bool(true), "bootstrap through time-limit truncations (false: treat as terminal, like baselines)"),
            // continuous actions only (ACERContinuous); neutral, so discrete run ids are unchanged
            ParamDef("sdn_samples", .int(min: 1, max: 64), .int(1), "continuous actions: samples u_i ~ π in the Stochastic Dueling Network's mean advantage (n)",
                     neutralDefault: true),
            ParamDef("log_std_init", .number(min: -20, max: 20, exclusiveMin: false), .number(0),
                     "continuous actions: initial log σ of the Gaussian policy (learned, state-independent)", neutralDefault: true),
        ] + optimizerParams.map { $0.name == "max_grad_norm" ? ParamDef("max_grad_norm", $0.kind, .number(10), $0.doc) : $0 },
        make: { ctx in
            // a Box action space selects the continuous version (Algorithm 3), else discrete ACER
            if Environments.spec(ctx.envID)?.action.kind == .continuous { return try ACERContinuous(ctx) }
            return try ACER(ctx)
        },
        constraints: [
            .oneUpdateFits,
            // the buffer keeps whole segments: buffer_size / (nenvs·nsteps) per stream, rounded down
            ParamConstraint(["nenvs", "nsteps", "buffer_size"]) { hp, _ in
                guard let e = hp["nenvs"]?.asInt, let n = hp["nsteps"]?.asInt, let b = hp["buffer_size"]?.asInt, b < e * n else { return nil }
                return "buffer_size \(b) < nenvs·nsteps = \(e)·\(n) = \(e * n): the buffer cannot hold one segment of every stream"
            },
            ParamConstraint(["replay_start", "buffer_size", "nenvs", "nsteps", "replay_ratio"]) { hp, _ in
                guard let rr = hp["replay_ratio"]?.asDouble, rr > 0, let s = hp["replay_start"]?.asInt, let b = hp["buffer_size"]?.asInt,
                      let e = hp["nenvs"]?.asInt, let n = hp["nsteps"]?.asInt else { return nil }
                let held = max(1, b / (e * n)) * e * n
                guard s > held else { return nil }
                return "replay_start \(s) > \(held), the env steps the buffer can hold (buffer_size \(b) in whole segments of nenvs·nsteps = \(e * n)): replay would never start"
            },
            ParamConstraint(["replay_start", "total_steps", "replay_ratio"]) { hp, total in
                guard let rr = hp["replay_ratio"]?.asDouble, rr > 0, let s = hp["replay_start"]?.asInt, s >= total else { return nil }
                return "replay_start \(s) ≥ total_steps \(total): replay would never start within the budget (set replay_ratio 0 for on-policy ACER)"
            },
        ],
        actionKinds: [.discrete, .continuous])

    public static let metrics = ["lr", "loss", "loss_q", "entropy", "loss_policy", "loss_f", "loss_bc", "explained_variance",
                                 "norm_grads", "norm_grads_q", "norm_grads_policy", "avg_norm_grads_f", "avg_norm_k", "avg_norm_g",
                                 "avg_norm_k_dot_g", "avg_norm_adj", "replay_updates", "buffer_steps"]
    public var metricNames: [String] { ACER.metrics }

    public let settings: ACERSettings
    let nA: Int, obsSize: Int, totalSteps: Int
    // the settings under the names the maths below uses
    var nenvs: Int { settings.nenvs }
    var nsteps: Int { settings.nsteps }
    var gamma: Double { settings.gamma }
    var qCoef: Double { settings.qCoef }
    var entCoef: Double { settings.entCoef }
    var c: Double { settings.c }
    var delta: Double { settings.delta }
    var alpha: Float { settings.alpha }
    var replayRatio: Double { settings.replayRatio }
    var replayStart: Int { settings.replayStart }
    var trustRegion: Bool { settings.trustRegion }
    var biasCorrection: Bool { settings.biasCorrection }
    var retrace: Bool { settings.retrace }
    var bootstrapTruncation: Bool { settings.bootstrapTruncation }
    var maxGradNorm: Float { settings.maxGradNorm }
    let net: Network
    public private(set) var params: [Float]
    var avgParams: [Float]
    var gradPolicy: [Float], gradQ: [Float]
    var optimizer: any Optimizer
    let env: any VectorEnvironment
    let buffer: ReplayBuffer
    var actionRNG: RNG, replayRNG: RNG
    public private(set) var envSteps: Int64 = 0
    public private(set) var updates: Int64 = 0
    var batch: SegmentBatch
    let ws: NetworkWorkspace, avgWS: NetworkWorkspace, smallWS: NetworkWorkspace
    var dOutPolicy: [Float], dOutQ: [Float]
    /// train's per-row log f, f = exp(log f), f_avg and Q (rows × nA), kept between updates so that a replay update
    /// writes them in place instead of allocating three arrays a row.
    var rowLogF: [[Double]], rowF: [[Double]], rowFAvg: [[Double]], rowQ: [[Double]]
    /// The training vector's recorder, if it has one (`BehaviourObserver`).
    let observer: (any BehaviourObserver)?

    public init(_ ctx: AgentContext) throws {
        let hp = ctx.hyperparameters
        let (spec, n) = try discreteEnvironment(ctx.envID, algorithm: "acer")
        nA = n; obsSize = spec.observation.size
        let settings = ACERSettings(hp)
        self.settings = settings
        let nenvs = settings.nenvs, nsteps = settings.nsteps
        totalSteps = ctx.totalSteps
        net = Network(kind: settings.network, observationShape: spec.observation.shape, hidden: settings.hidden, activation: settings.activation, outputs: 2 * nA)
        params = [Float](repeating: 0, count: net.parameterCount)
        var initRNG = RNG(seed: ctx.seed, stream: RNG.label("init"))
        net.initialize(&params, offset: 0, rng: &initRNG, hiddenGain: 2.0.squareRoot(), outputGain: 1.0)
        // policy columns of the output layer scaled to 0.01 (near-uniform initial policy), Q columns gain 1
        let l = net.layerCount - 1, w = net.weightOffsets[l], nOut = 2 * nA
        for r in 0..<net.sizes[l] { for col in 0..<nA { params[w + r * nOut + col] *= 0.01 } }
        avgParams = params
        gradPolicy = [Float](repeating: 0, count: params.count); gradQ = gradPolicy
        optimizer = makeOptimizer(hp, count: params.count)
        env = try Environments.makeVector(ctx.envID, options: ctx.envOptions, seed: ctx.seed, copies: nenvs)
        env.reset()
        observer = env as? any BehaviourObserver
        buffer = ReplayBuffer(bufferSize: settings.bufferSize, nenvs: nenvs, nsteps: nsteps, obsSize: obsSize, nA: nA)
        actionRNG = RNG(seed: ctx.seed, stream: RNG.label("action"))
        replayRNG = RNG(seed: ctx.seed, stream: RNG.label("replay"))
        batch = SegmentBatch(nenvs: nenvs, nsteps: nsteps, obsSize: obsSize, nA: nA)
        let rows = nenvs * (nsteps + 1)
        ws = NetworkWorkspace(net, capacity: rows)
        avgWS = NetworkWorkspace(net, capacity: rows)
        smallWS = NetworkWorkspace(net, capacity: max(nenvs, nenvs * nsteps))
        dOutPolicy = [Float](repeating: 0, count: rows * 2 * nA)
        dOutQ = dOutPolicy
        rowLogF = [[Double]](repeating: [Double](repeating: 0, count: nA), count: rows)
        rowF = rowLogF; rowFAvg = rowLogF; rowQ = rowLogF
    }

    // MARK: acting

    /// Runs `nsteps` steps in every stream with the current policy, filling `batch` (on-policy segment).
    func collect() {
        let N = nenvs, T = nsteps, d = obsSize, nOut = 2 * nA
        var actions = [Int32](repeating: 0, count: N)
        var logp = [Float](repeating: 0, count: nA)
        for t in 0...T {
            for e in 0..<N { for k in 0..<d { batch.obs[(e * (T + 1) + t) * d + k] = env.observations[e * d + k] } }
            if t == T { break }
            let out = params.withUnsafeBufferPointer { p in
                env.observations.withUnsafeBufferPointer { net.forward(p.baseAddress!, $0.baseAddress!, batch: N, smallWS) }
            }
            for e in 0..<N {
                logp.withUnsafeMutableBufferPointer { Categorical.logSoftmax(out + e * nOut, nA, into: $0.baseAddress!) }
                let s = e * T + t
                for a in 0..<nA { batch.mu[s * nA + a] = DetMath.expf(logp[a]) }
                actions[e] = Int32(logp.withUnsafeBufferPointer { Categorical.sample($0.baseAddress!, nA, u: actionRNG.uniformFloat()) })
                batch.actions[s] = Float(actions[e])
                if let observer {   // μ(·|x) as stored, and V(x) = Σ_a μ(a|x) Q(x, a), as `train` computes V
                    var v = 0.0
                    for a in 0..<nA { v += Double(batch.mu[s * nA + a]) * Double(out[e * nOut + nA + a]) }
                    batch.mu.withUnsafeBufferPointer { observer.observe(copy: e, .probabilities, $0.baseAddress! + s * nA, value: Float(v)) }
                }
            }
            actions.withUnsafeBufferPointer { env.step($0.baseAddress!) }
            for e in 0..<N {
                let s = e * T + t
                batch.rewards[s] = Float(env.rewards[e])
                batch.terminated[s] = env.terminated[e]
                batch.truncated[s] = env.truncated[e]
                // zeros where the step was not truncated, so that what the buffer stores depends on the
                // experience alone (not on the batch's earlier contents): a restored agent stores the same
                if env.truncated[e] { for k in 0..<d { batch.finalObs[s * d + k] = env.finalObservations[e * d + k] } }
                else { for k in 0..<d { batch.finalObs[s * d + k] = 0 } }
            }
        }
        envSteps += Int64(N * T)
    }

    // MARK: learning

    /// One ACER update on `batch`; returns the metrics (without the last two bookkeeping columns).
    func train(lr: Float) -> Metrics {
        let N = nenvs, T = nsteps, d = obsSize, nOut = 2 * nA, rows = N * (T + 1), B = N * T
        // The class's arrays are used through locals here: every access to a stored property of a
        // class is a runtime exclusivity check, which cost ~15% of a replay update inside these loops.
        let batch = self.batch
        var dOutPolicy: [Float] = [], dOutQ: [Float] = []
        swap(&dOutPolicy, &self.dOutPolicy); swap(&dOutQ, &self.dOutQ)
        defer { swap(&dOutPolicy, &self.dOutPolicy); swap(&dOutQ, &self.dOutQ) }
        let out: UnsafeMutablePointer<Float> = params.withUnsafeBufferPointer { p in
            batch.obs.withUnsafeBufferPointer { net.forward(p.baseAddress!, $0.baseAddress!, batch: rows, ws) }
        }
        let avgOut: UnsafeMutablePointer<Float> = avgParams.withUnsafeBufferPointer { p in
            batch.obs.withUnsafeBufferPointer { net.forward(p.baseAddress!, $0.baseAddress!, batch: rows, avgWS) }
        }
        // per row: log f, f, f_avg, Q, V (the row arrays are the class's, used through locals and written in place)
        var logf: [[Double]] = [], fRow: [[Double]] = [], fAvg: [[Double]] = [], qs: [[Double]] = []
        swap(&logf, &rowLogF); swap(&fRow, &rowF); swap(&fAvg, &rowFAvg); swap(&qs, &rowQ)
        defer { swap(&logf, &rowLogF); swap(&fRow, &rowF); swap(&fAvg, &rowFAvg); swap(&qs, &rowQ) }
        var vs = [Double](repeating: 0, count: rows)
        var lp = [Float](repeating: 0, count: nA)
        for r in 0..<rows {
            lp.withUnsafeMutableBufferPointer { Categorical.logSoftmax(out + r * nOut, nA, into: $0.baseAddress!) }
            for a in 0..<nA { logf[r][a] = Double(lp[a]); fRow[r][a] = DetMath.exp(logf[r][a]) }
            lp.withUnsafeMutableBufferPointer { Categorical.logSoftmax(avgOut + r * nOut, nA, into: $0.baseAddress!) }
            for a in 0..<nA { fAvg[r][a] = Double(DetMath.expf(lp[a])); qs[r][a] = Double(out[r * nOut + nA + a]) }
            var v = 0.0
            for a in 0..<nA { v = v + fRow[r][a] * qs[r][a] }
            vs[r] = v
        }
        // V(final observation) where a stream was truncated (bootstrap through time limits)
        var boot = [Double](repeating: 0, count: B)
        if bootstrapTruncation {
            let idx = (0..<B).filter { batch.truncated[$0] && !batch.terminated[$0] }
            if !idx.isEmpty {
                var x = [Float](repeating: 0, count: idx.count * d)
                for (j, s) in idx.enumerated() { for k in 0..<d { x[j * d + k] = batch.finalObs[s * d + k] } }
                let o = params.withUnsafeBufferPointer { p in x.withUnsafeBufferPointer { net.forward(p.baseAddress!, $0.baseAddress!, batch: idx.count, smallWS) } }
                for (j, s) in idx.enumerated() {
                    lp.withUnsafeMutableBufferPointer { Categorical.logSoftmax(o + j * nOut, nA, into: $0.baseAddress!) }
                    var v = 0.0
                    for a in 0..<nA { v += Double(DetMath.expf(lp[a])) * Double(o[j * nOut + nA + a]) }
                    boot[s] = v
                }
            }
        }
        // Retrace per stream
        var qret = [Double](repeating: 0, count: B)
        var r = [Double](), dn = [Bool](), rho = [Double](), qa = [Double](), v = [Double](), b = [Double]()
        r.reserveCapacity(T); dn.reserveCapacity(T); rho.reserveCapacity(T); qa.reserveCapacity(T); v.reserveCapacity(T); b.reserveCapacity(T)
        for e in 0..<N {
            r.removeAll(keepingCapacity: true); dn.removeAll(keepingCapacity: true); rho.removeAll(keepingCapacity: true)
            qa.removeAll(keepingCapacity: true); v.removeAll(keepingCapacity: true); b.removeAll(keepingCapacity: true)
            for t in 0..<T {
                let s = e * T + t, row = e * (T + 1) + t, a = Int(batch.actions[s])
                r.append(Double(batch.rewards[s])); dn.append(batch.terminated[s] || batch.truncated[s])
                rho.append(fRow[row][a] / Double(batch.mu[s * nA + a])); qa.append(qs[row][a]); v.append(vs[row]); b.append(boot[s])
            }
            let q = retraceTargets(r_i: r, d_i: dn, rho_i: rho, q_i: qa, v_i: v, b_i: b,
                                   bootstrap: vs[e * (T + 1) + T], gamma: gamma, retrace: retrace)
            for t in 0..<T { qret[e * T + t] = q[t] }
        }
        // per-sample gradients w.r.t. the heads
        for k in 0..<dOutPolicy.count { dOutPolicy[k] = 0; dOutQ[k] = 0 }   // locals: no checks
        var st = [Double](repeating: 0, count: 10)  // fTerm, bcTerm, entropy, lossQ, |g|, |k|, |k·g|, adj, |z|
        var qiAll = [Double](), qretAll = [Double]()
        qiAll.reserveCapacity(B); qretAll.reserveCapacity(B)
        let invB = 1 / Double(B)
        for e in 0..<N {
            for t in 0..<T {
                let s = e * T + t, row = e * (T + 1) + t, a = Int(batch.actions[s])
                let mu = (0..<nA).map { Double(batch.mu[s * nA + $0]) }
                let terms = acerPolicyTerms(logf: logf[row], mu: mu, q: qs[row], action: a, qret: qret[s], c: c,
                                            entCoef: entCoef, biasCorrection: biasCorrection)
                let f = fRow[row]
                var z = terms.g
                let kv = klGradientWrtProbabilities(fAvg: fAvg[row], f: f)
                let kg = zip(kv, terms.g).reduce(0) { $0 + $1.0 * $1.1 }   // kᵀg, for avg_norm_k_dot_g
                var adj = 0.0
                if trustRegion { (z, adj) = trustRegionProject(g: terms.g, k: kv, delta: delta) }
                // grads_f = −z/B, then through the softmax into the logits
                let dz = softmaxBackward(f: f, dL_df: z.map { -$0 * invB })
                for j in 0..<nA { dOutPolicy[row * nOut + j] = Float(dz[j]) }
                let err = qs[row][a] - qret[s]
                dOutQ[row * nOut + nA + a] = Float(qCoef * err * invB)
                st[0] += terms.fTerm; st[1] += terms.bcTerm; st[2] += terms.entropy; st[3] += 0.5 * err * err
                st[4] += norm(terms.g); st[5] += norm(kv); st[6] += abs(kg); st[7] += adj; st[8] += norm(z)
                qiAll.append(qs[row][a]); qretAll.append(qret[s])
            }
        }
        // backward (policy and Q parts separately, for their norms), clip, RMSProp, Polyak
        gradPolicy.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
        gradQ.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
        var normG: Float = 0, normP: Float = 0, normQ: Float = 0
        params.withUnsafeMutableBufferPointer { pb in
            let p = pb.baseAddress!
            gradPolicy.withUnsafeMutableBufferPointer { gp in
                gradQ.withUnsafeMutableBufferPointer { gq in
                    batch.obs.withUnsafeBufferPointer { ob in
                        dOutPolicy.withUnsafeBufferPointer { net.backward(p, ws, dOutput: $0.baseAddress!, grad: gp.baseAddress!, input: ob.baseAddress!) }
                        dOutQ.withUnsafeBufferPointer { net.backward(p, ws, dOutput: $0.baseAddress!, grad: gq.baseAddress!, input: ob.baseAddress!) }
                    }
                    normP = globalNorm(gp.baseAddress!, count: gp.count)
                    normQ = globalNorm(gq.baseAddress!, count: gq.count)
                    for k in 0..<gp.count { gp[k] += gq[k] }
                    normG = clipByGlobalNorm(gp.baseAddress!, count: gp.count, maxNorm: maxGradNorm)
                    optimizer.step(p, gp.baseAddress!, count: gp.count, lr: lr)
                }
            }
            avgParams.withUnsafeMutableBufferPointer { ab in
                let a = alpha, b = 1 - alpha
                for k in 0..<ab.count { ab[k] = a * ab[k] + b * p[k] }
            }
        }
        updates += 1
        let lossF = -st[0] * invB, lossBC = -st[1] * invB, ent = st[2] * invB, lossQ = st[3] * invB
        let lossPolicy = lossF + lossBC
        return ["lr": Double(lr), "loss": lossPolicy + qCoef * lossQ - entCoef * ent, "loss_q": lossQ, "entropy": ent,
                "loss_policy": lossPolicy, "loss_f": lossF, "loss_bc": lossBC,
                "explained_variance": explainedVariance(predicted: qiAll, target: qretAll),
                "norm_grads": Double(normG), "norm_grads_q": Double(normQ), "norm_grads_policy": Double(normP),
                "avg_norm_grads_f": st[8] * invB, "avg_norm_k": st[5] * invB, "avg_norm_g": st[4] * invB,
                "avg_norm_k_dot_g": st[6] * invB, "avg_norm_adj": st[7] * invB]
    }

    public func update() -> Metrics {
        let lr = settings.lrSchedule.lr(base: settings.lr, step: Int(envSteps), total: totalSteps)
        collect()
        buffer.put(batch)
        let metrics = train(lr: lr)   // on-policy
        var k = 0
        if replayRatio > 0 && buffer.storedSteps >= replayStart {
            k = poisson(replayRatio, uniform: &replayRNG)
            for _ in 0..<k {
                buffer.sample(into: &batch, rng: &replayRNG)
                _ = train(lr: lr)
            }
        }
        return metrics + ["replay_updates": Double(k), "buffer_steps": Double(buffer.storedSteps)]
    }

    public func drainEpisodes() -> [EpisodeRecord] { env.drainFinished() }

    public func greedyAction(_ obs: UnsafePointer<Float>) -> Int {
        params.withUnsafeBufferPointer { pb in
            let y = net.forward(pb.baseAddress!, obs, batch: 1, smallWS)
            return Categorical.argmax(y, nA)
        }
    }

    public func greedyAction(_ obs: UnsafePointer<Float>, into action: UnsafeMutablePointer<Float>, observer: any BehaviourObserver) {
        params.withUnsafeBufferPointer { pb in
            let y = net.forward(pb.baseAddress!, obs, batch: 1, smallWS)
            var logp = [Float](repeating: 0, count: nA)
            logp.withUnsafeMutableBufferPointer { Categorical.logSoftmax(y, nA, into: $0.baseAddress!) }
            let f = logp.map { DetMath.expf($0) }
            var v = 0.0
            for a in 0..<nA { v += Double(f[a]) * Double(y[nA + a]) }
            action[0] = Float(Categorical.argmax(y, nA))
            observer.observe(copy: 0, .probabilities, f, value: Float(v))
        }
    }

    public var behaviourDescription: BehaviourDescription {
        BehaviourDescription(statistics: "μ(·|x), the behaviour policy f(·|φ_θ(x)) the action was sampled from (what the replay buffer stores)",
                             value: "V(x) = Σ_a f(a|φ_θ(x)) Q_θ(x, a), the ACER paper's V from the Q head")
    }

    public var checkpoint: AgentCheckpoint {
        var c = buffer.checkpoint
        c.addLearner(params: params, optimizer: optimizer, envSteps: envSteps, updates: updates)
        c.floats["avg_params"] = avgParams
        c.words["rng_action"] = actionRNG.stateArray
        c.words["rng_replay"] = replayRNG.stateArray
        c.addEnvironments(env)
        return c
    }

    public func restore(_ c: AgentCheckpoint) throws {
        (envSteps, updates) = try c.restoreLearner(params: &params, optimizer: &optimizer)
        avgParams = try c.required(c.floats, "avg_params", count: params.count)
        actionRNG = try c.rng("rng_action")
        replayRNG = try c.rng("rng_replay")
        try buffer.restore(c)
        try c.restoreEnvironments([env], totalSteps: [envSteps])
    }

    public var parameters: [Float] { params }
}

func norm(_ x: [Double]) -> Double { x.reduce(0) { $0 + $1 * $1 }.squareRoot() }

/// ACER's settings, decoded once from the validated hyperparameters (spec names in backticks;
/// defaults are OpenAI baselines' `acer.py`).
public struct ACERSettings: Sendable {
    /// Environment streams stepped in lock-step (`nenvs`) and steps per stream per segment (`nsteps`).
    public var nenvs: Int
    public var nsteps: Int
    /// Discount γ (`gamma`).
    public var gamma: Double
    /// Weight of the Q loss (`q_coef`) and of the entropy bonus (`ent_coef`).
    public var qCoef: Double
    public var entCoef: Double
    /// Importance-weight truncation c (`c`).
    public var c: Double
    /// Trust-region bound δ (`delta`).
    public var delta: Double
    /// Polyak weight α of the average policy network (`alpha`).
    public var alpha: Float
    /// Mean off-policy updates per on-policy one, Poisson (`replay_ratio`; 0: on-policy ACER).
    public var replayRatio: Double
    /// Stored env steps before replay starts (`replay_start`) and the buffer's capacity (`buffer_size`).
    public var replayStart: Int
    public var bufferSize: Int
    /// The paper's ablation switches (`trust_region`, `bias_correction`, `retrace`).
    public var trustRegion: Bool
    public var biasCorrection: Bool
    public var retrace: Bool
    /// Bootstrap through time-limit truncations (`bootstrap_truncation`).
    public var bootstrapTruncation: Bool
    /// Global-norm clipping (`max_grad_norm`), learning rate and schedule (`lr`, `lr_schedule`).
    public var maxGradNorm: Float
    public var lr: Float
    public var lrSchedule: LRSchedule
    /// Hidden layer sizes and nonlinearity of the shared trunk (`hidden`, `activation`).
    public var hidden: [Int]
    public var activation: Activation
    /// Function approximator (`network`): dense layers, or MinAtar's conv net in front of them.
    public var network: NetworkKind

    public init(_ hp: Hyperparameters) {
        nenvs = hp.int("nenvs"); nsteps = hp.int("nsteps"); gamma = hp.double("gamma"); qCoef = hp.double("q_coef")
        entCoef = hp.double("ent_coef"); c = hp.double("c"); delta = hp.double("delta"); alpha = hp.float("alpha")
        replayRatio = hp.double("replay_ratio"); replayStart = hp.int("replay_start"); bufferSize = hp.int("buffer_size")
        trustRegion = hp.bool("trust_region"); biasCorrection = hp.bool("bias_correction"); retrace = hp.bool("retrace")
        bootstrapTruncation = hp.bool("bootstrap_truncation")
        maxGradNorm = hp.float("max_grad_norm"); lr = hp.float("lr"); lrSchedule = LRSchedule(rawValue: hp.string("lr_schedule"))!
        hidden = hp.ints("hidden"); activation = Activation(rawValue: hp.string("activation"))!
        network = NetworkKind(rawValue: hp.string("network"))!
    }
}
