import Environments
import NN

/// ACER for continuous actions (Wang et al. 2017, Section 5 and Algorithm 3; ALGORITHMS.md §5),
/// selected by `"algo": "acer"` on an environment with a Box action space (e.g. Pendulum-v1).
///
/// Networks (θ: policy; θv: critic), over one flat parameter vector
/// `[policy MLP | log σ (k) | V MLP | A MLP]`:
/// - the policy `f(·|φ_θ(x))`, a diagonal Gaussian with statistics `φ = (μ(x), log σ)`: the mean
///   from an MLP on `x`, `log σ` a learned state-independent parameter vector (the seam's
///   default, `PolicyDistribution.gaussian(k)`), starting at `log_std_init`;
/// - the Stochastic Dueling Network: `V(x)` from an MLP on `x`, `A(x, a)` from an MLP on the
///   concatenation `[x, a]`, and `Q̃(x, a) = V(x) + A(x, a) − (1/n) Σ_j A(x, u_j)`, `u_j ~ f(·|x)`,
///   `n = sdn_samples` (`sdnEstimate`);
/// - the average policy network θ_a (policy MLP and log σ only), `θ_a ← α θ_a + (1 − α) θ` after
///   every update.
///
/// Each iteration (as discrete ACER): `nenvs` streams act `nsteps` steps with `f` (the behaviour
/// statistics `φ(x_i)` are stored as μ, with the unclipped action), the segment goes into the
/// replay buffer and is trained on at once (on-policy); then K ~ Poisson(`replay_ratio`)
/// off-policy updates on segments sampled from the buffer once it holds `replay_start` steps.
/// One update on a segment, line by line against Algorithm 3:
/// 1. compute `f(·|φ_θ(x_i))`, `V(x_i)`, `f(·|φ_θa(x_i))`; draw `a'_i ~ f(·|φ_θ(x_i))` and the SDN's
///    `u_{i,1..n} ~ f(·|φ_θ(x_i))`; `Q̃(x_i, a_i)` and `Q̃(x_i, a'_i)` with the same `u_{i,j}`;
/// 2. `ρ_i = f(a_i|φ)/μ(a_i|x_i)`, `ρ'_i = f(a'_i|φ)/μ(a'_i|x_i)`, `c_i = min(1, ρ_i^{1/d})`
///    (`acerTraceCoefficient`, d = action dimension);
/// 3. `Q^ret = Q^opc = V(x_k)` (0 if terminal), backwards `Q^ret ← r_i + γQ^ret`, `Q^opc ← r_i + γQ^opc`,
///    then `Q^ret ← c_i(Q^ret − Q̃(x_i,a_i)) + V(x_i)`, `Q^opc ← (Q^opc − Q̃(x_i,a_i)) + V(x_i)`
///    (`acerContinuousTargets`);
/// 4. `g = min(c, ρ_i)∇_φ log f(a_i)(Q^opc_i − V(x_i)) + [1 − c/ρ'_i]_+ (Q̃(x_i,a'_i) − V(x_i))∇_φ log f(a'_i)`
///    (`acerGaussianPolicyTerms`), `k = ∇_φ KL(f(·|φ_θa(x_i)) ‖ f(·|φ_θ(x_i)))`
///    (`gaussianKLGradientWrtSecond`), `z* = g − max(0, (kᵀg − δ)/‖k‖²)k` (`trustRegionProject`,
///    shared with discrete ACER), and `∂φ/∂θ · z*` accumulated into the policy's gradient;
/// 5. `(Q^ret − Q̃(x_i,a_i))∇_θv Q̃(x_i,a_i) + min(1, ρ_i)(Q^ret − Q̃(x_i,a_i))∇_θv V(x_i)` into the
///    critic's (`sdnCriticGradient`);
/// 6. clip the whole gradient by its global norm, one RMSProp step, Polyak-average θ_a.
///
/// The Algorithm 3 text was not available here (the `search` tool found no copy of the paper); the
/// lines above are checked against ALGORITHMS.md §5, which restates it, and the paper's equations
/// as recalled. Implementation choices, each marked:
/// - **σ**: a learned state-independent `log σ` (seam default, seed 003, ALGORITHMS.md §1), in
///   φ = (μ, log σ): `g`, `k` and the trust region cover both, and ∂φ/∂θ for the log σ entries is
///   the identity (their per-sample z* entries are summed into log σ's gradient). The paper
///   (Section 5, as recalled — not verified here) parameterises its MuJoCo policies as a Gaussian
///   with mean φ_θ(x) and a *fixed* diagonal covariance, so its φ is the mean alone. Learning σ lets
///   exploration shrink as the policy improves (Pendulum's greedy return depends on a precise mean
///   action; σ starts at exp(`log_std_init`)), and with log σ in φ the trust region also bounds how
///   fast σ may collapse. A fixed σ is not offered.
/// - **Separate networks** for the policy, V and A (Algorithm 3 keeps θ and θv apart); A sees the
///   action through its input layer. `hidden` and `activation` apply to all three (dense layers
///   only: `network` must be `mlp`). Initialisation: orthogonal, hidden gain √2, output gains 0.01
///   (policy mean), 1 (V and A).
/// - **Losses and weights**: the critic's gradients are those of Algorithm 3 times `q_coef` (as the
///   discrete version's Q loss); the policy's are `−z*/B` for a segment of B samples (the mean over
///   samples, as discrete ACER); both go through one optimizer and one global-norm clip.
/// - **Entropy**: Algorithm 3 has none; `ent_coef·∇_φ H` is added to `g` before the projection, as in
///   discrete ACER (`ent_coef` 0 is the paper's g).
/// - **Sampling**: `a'_i` then `u_{i,1..n}` for every sample in segment order, from the run's
///   `sdn` random stream, at every update (on- and off-policy). The actions sent to the
///   environment are clipped to the Box bounds; ratios use the stored unclipped sample.
/// - **Episode ends inside a segment**: the targets restart from `b_i` (0 at a terminal, `V(final
///   observation)` after a truncation with `bootstrap_truncation`), as discrete ACER.
/// - **Ablations**: `trust_region: false` uses `z = g`; `bias_correction: false` drops the `a'_i`
///   term; `retrace: false` makes both `Q^ret` and `Q^opc` plain n-step returns.
/// - **Polyak** averages the policy part only (θ_a is used for φ_a alone).
///
/// Metrics: discrete ACER's names (`loss`, `loss_q`, `entropy`, `loss_policy`, `loss_f`, `loss_bc`,
/// `explained_variance` of Q̃(x_i,a_i) against Q^ret, `norm_grads`, `norm_grads_q` (critic),
/// `norm_grads_policy`, `avg_norm_grads_f` (‖z*‖), `avg_norm_k`, `avg_norm_g`, `avg_norm_k_dot_g`,
/// `avg_norm_adj`, `replay_updates`, `buffer_steps`) plus `loss_v` (½·mean (V^target − V)²),
/// `std` (mean σ), `avg_rho` (mean ρ_i) and `avg_kl` (mean KL(f(·|φ_a) ‖ f(·|φ))).
public final class ACERContinuous: Agent {
    public static let metrics = ["lr", "loss", "loss_q", "loss_v", "entropy", "loss_policy", "loss_f", "loss_bc", "explained_variance",
                                 "norm_grads", "norm_grads_q", "norm_grads_policy", "avg_norm_grads_f", "avg_norm_k", "avg_norm_g",
                                 "avg_norm_k_dot_g", "avg_norm_adj", "std", "avg_rho", "avg_kl", "replay_updates", "buffer_steps"]
    public var metricNames: [String] { ACERContinuous.metrics }

    public let settings: ACERSettings
    /// SDN samples n (`sdn_samples`).
    public let sdnSamples: Int
    public let dist: PolicyDistribution
    let obsSize: Int, k: Int, totalSteps: Int
    let low: [Float], high: [Float]
    let policyNet: MLP, valueNet: MLP, advNet: MLP
    /// Offsets: log σ, the V network and the A network in `params`; `policyCount` = policy MLP + log σ.
    let logStdOffset: Int, policyCount: Int, valueOffset: Int, advOffset: Int
    public private(set) var params: [Float]
    var avgParams: [Float]
    var grad: [Float]
    var optimizer: any Optimizer
    let env: any VectorEnvironment
    let buffer: ReplayBuffer
    var actionRNG: RNG, replayRNG: RNG, sdnRNG: RNG
    public private(set) var envSteps: Int64 = 0
    public private(set) var updates: Int64 = 0
    var batch: SegmentBatch
    let policyWS: MLPWorkspace, avgWS: MLPWorkspace, smallWS: MLPWorkspace
    let valueWS: MLPWorkspace, smallValueWS: MLPWorkspace, advWS: MLPWorkspace
    var advInput: [Float], dOutPolicy: [Float], dOutV: [Float], dOutA: [Float]
    var stepStats: [Float], stepActions: [Float], envActions: [Float]
    /// The training vector's recorder, if it has one (`BehaviourObserver`), and the workspace of
    /// the V(x; θv) forward pass made for it only (the training forward passes keep theirs).
    let observer: (any BehaviourObserver)?
    let observerValueWS: MLPWorkspace?

    public init(_ ctx: AgentContext) throws {
        let hp = ctx.hyperparameters
        guard let spec = Environments.spec(ctx.envID) else { throw AgentError("unknown environment \(ctx.envID)") }
        guard case .box(let l, let h) = spec.action else { throw AgentError("continuous ACER needs a Box action space; \(ctx.envID) has \(spec.action)") }
        low = l; high = h
        k = l.count; dist = .gaussian(k)
        obsSize = spec.observation.size
        let settings = ACERSettings(hp)
        self.settings = settings
        sdnSamples = hp.int("sdn_samples")
        totalSteps = ctx.totalSteps
        let N = settings.nenvs, T = settings.nsteps, rows = N * (T + 1), B = N * T
        guard settings.network == .mlp else { throw AgentError("continuous ACER has dense networks only (network \"mlp\"), got \"\(settings.network.rawValue)\"") }
        policyNet = MLP(sizes: [obsSize] + settings.hidden + [k], activation: settings.activation)
        valueNet = MLP(sizes: [obsSize] + settings.hidden + [1], activation: settings.activation)
        advNet = MLP(sizes: [obsSize + k] + settings.hidden + [1], activation: settings.activation)
        logStdOffset = policyNet.parameterCount
        policyCount = logStdOffset + k
        valueOffset = policyCount
        advOffset = valueOffset + valueNet.parameterCount
        params = [Float](repeating: 0, count: advOffset + advNet.parameterCount)
        var initRNG = RNG(seed: ctx.seed, stream: RNG.label("init"))
        policyNet.initialize(&params, offset: 0, rng: &initRNG, hiddenGain: 2.0.squareRoot(), outputGain: 0.01)
        valueNet.initialize(&params, offset: valueOffset, rng: &initRNG, hiddenGain: 2.0.squareRoot(), outputGain: 1.0)
        advNet.initialize(&params, offset: advOffset, rng: &initRNG, hiddenGain: 2.0.squareRoot(), outputGain: 1.0)
        let logStdInit = hp.float("log_std_init")
        for j in 0..<k { params[logStdOffset + j] = logStdInit }
        avgParams = Array(params[0..<policyCount])
        grad = [Float](repeating: 0, count: params.count)
        optimizer = makeOptimizer(hp, count: params.count)
        env = try Environments.makeVector(ctx.envID, options: ctx.envOptions, seed: ctx.seed, copies: N)
        env.reset()
        observer = env as? any BehaviourObserver
        observerValueWS = MLPWorkspace(valueNet, capacity: N)
        buffer = ReplayBuffer(bufferSize: settings.bufferSize, nenvs: N, nsteps: T, obsSize: obsSize,
                              statisticsCount: dist.statisticsCount, actionDimension: k, discreteActions: false)
        actionRNG = RNG(seed: ctx.seed, stream: RNG.label("action"))
        replayRNG = RNG(seed: ctx.seed, stream: RNG.label("replay"))
        sdnRNG = RNG(seed: ctx.seed, stream: RNG.label("sdn"))
        batch = SegmentBatch(nenvs: N, nsteps: T, obsSize: obsSize, statisticsCount: dist.statisticsCount, actionDimension: k)
        let R = sdnSamples + 2
        policyWS = MLPWorkspace(policyNet, capacity: rows)
        avgWS = MLPWorkspace(policyNet, capacity: rows)
        smallWS = MLPWorkspace(policyNet, capacity: N)
        valueWS = MLPWorkspace(valueNet, capacity: rows)
        smallValueWS = MLPWorkspace(valueNet, capacity: B)
        advWS = MLPWorkspace(advNet, capacity: B * R)
        advInput = [Float](repeating: 0, count: B * R * (obsSize + k))
        dOutPolicy = [Float](repeating: 0, count: rows * k)
        dOutV = [Float](repeating: 0, count: rows)
        dOutA = [Float](repeating: 0, count: B * R)
        stepStats = [Float](repeating: 0, count: N * dist.statisticsCount)
        stepActions = [Float](repeating: 0, count: N * k)
        envActions = stepActions
    }

    // MARK: acting

    /// Runs `nsteps` steps in every stream with the current policy, filling `batch` (on-policy
    /// segment): μ's statistics φ(x) and the unclipped sampled action are stored; the environment
    /// gets the action clipped to its bounds.
    func collect() {
        let N = settings.nenvs, T = settings.nsteps, d = obsSize, S = dist.statisticsCount
        for t in 0...T {
            for e in 0..<N { for c in 0..<d { batch.obs[(e * (T + 1) + t) * d + c] = env.observations[e * d + c] } }
            if t == T { break }
            params.withUnsafeBufferPointer { pb in
                let p = pb.baseAddress!
                let y = env.observations.withUnsafeBufferPointer { policyNet.forward(p, $0.baseAddress!, batch: N, smallWS) }
                stepStats.withUnsafeMutableBufferPointer { sb in
                    stepActions.withUnsafeMutableBufferPointer { ab in
                        for e in 0..<N {
                            let phi = sb.baseAddress! + e * S
                            dist.statistics(outputs: y + e * k, logStd: p + logStdOffset, into: phi)
                            dist.sample(phi, rng: &actionRNG, into: ab.baseAddress! + e * k)
                        }
                        if let observer, let vws = observerValueWS {
                            // V(x; θv) is not needed to act: one forward pass of the value network, for the recorder only
                            let v = env.observations.withUnsafeBufferPointer { valueNet.forward(p + valueOffset, $0.baseAddress!, batch: N, vws) }
                            for e in 0..<N { observer.observe(copy: e, .meanLogStd, sb.baseAddress! + e * S, value: v[e]) }
                        }
                    }
                }
            }
            for e in 0..<N {
                let s = e * T + t
                for j in 0..<S { batch.mu[s * S + j] = stepStats[e * S + j] }
                for j in 0..<k {
                    batch.actions[s * k + j] = stepActions[e * k + j]
                    envActions[e * k + j] = min(max(stepActions[e * k + j], low[j]), high[j])
                }
            }
            envActions.withUnsafeBufferPointer { env.step(continuous: $0.baseAddress!) }
            for e in 0..<N {
                let s = e * T + t
                batch.rewards[s] = Float(env.rewards[e])
                batch.terminated[s] = env.terminated[e]
                batch.truncated[s] = env.truncated[e]
                // zeros where not truncated: what the buffer stores depends on the experience alone
                if env.truncated[e] { for c in 0..<d { batch.finalObs[s * d + c] = env.finalObservations[e * d + c] } }
                else { for c in 0..<d { batch.finalObs[s * d + c] = 0 } }
            }
        }
        envSteps += Int64(N * T)
    }

    // MARK: learning

    /// One continuous ACER update on `batch` (Algorithm 3; see the type's comment); returns the
    /// metrics without the last two bookkeeping columns.
    func train(lr: Float) -> Metrics {
        let N = settings.nenvs, T = settings.nsteps, d = obsSize, S = 2 * k, rows = N * (T + 1), B = N * T
        let n = sdnSamples, R = n + 2, dA = d + k
        let invB = 1 / Double(B)
        // 1. forward: policy at θ and θ_a, V at θv (all rows, the last of each stream for the bootstrap)
        let yP: UnsafeMutablePointer<Float> = params.withUnsafeBufferPointer { p in
            batch.obs.withUnsafeBufferPointer { policyNet.forward(p.baseAddress!, $0.baseAddress!, batch: rows, policyWS) }
        }
        let yAvg: UnsafeMutablePointer<Float> = avgParams.withUnsafeBufferPointer { p in
            batch.obs.withUnsafeBufferPointer { policyNet.forward(p.baseAddress!, $0.baseAddress!, batch: rows, avgWS) }
        }
        let yV: UnsafeMutablePointer<Float> = params.withUnsafeBufferPointer { p in
            batch.obs.withUnsafeBufferPointer { valueNet.forward(p.baseAddress! + valueOffset, $0.baseAddress!, batch: rows, valueWS) }
        }
        let logStd = (0..<k).map { params[logStdOffset + $0] }, avgLogStd = (0..<k).map { avgParams[logStdOffset + $0] }
        var phi = [[Double]](repeating: [], count: B), phiAvg = phi, mu = phi, act = phi, actPrime = phi
        var v = [Double](repeating: 0, count: rows)
        for r in 0..<rows { v[r] = Double(yV[r]) }
        // a'_i, then u_{i,1..n}, per sample, into the A network's input rows [x_i, a_i], [x_i, a'_i], [x_i, u_ij]
        var phiF = [Float](repeating: 0, count: S), draw = [Float](repeating: 0, count: k)
        for e in 0..<N {
            for t in 0..<T {
                let s = e * T + t, row = e * (T + 1) + t
                for j in 0..<k { phiF[j] = yP[row * k + j]; phiF[k + j] = logStd[j] }
                phi[s] = phiF.map(Double.init)
                phiAvg[s] = (0..<k).map { Double(yAvg[row * k + $0]) } + avgLogStd.map(Double.init)
                mu[s] = (0..<S).map { Double(batch.mu[s * S + $0]) }
                act[s] = (0..<k).map { Double(batch.actions[s * k + $0]) }
                for q in 0..<R {
                    let base = (s * R + q) * dA
                    for c in 0..<d { advInput[base + c] = batch.obs[row * d + c] }
                    if q == 0 {
                        for j in 0..<k { advInput[base + d + j] = batch.actions[s * k + j] }
                    } else {
                        phiF.withUnsafeBufferPointer { pf in draw.withUnsafeMutableBufferPointer { dist.sample(pf.baseAddress!, rng: &sdnRNG, into: $0.baseAddress!) } }
                        for j in 0..<k { advInput[base + d + j] = draw[j] }
                        if q == 1 { actPrime[s] = draw.map(Double.init) }
                    }
                }
            }
        }
        let yAdv: UnsafeMutablePointer<Float> = params.withUnsafeBufferPointer { p in
            advInput.withUnsafeBufferPointer { advNet.forward(p.baseAddress! + advOffset, $0.baseAddress!, batch: B * R, advWS) }
        }
        // SDN estimates Q̃(x_i, a_i), Q̃(x_i, a'_i), and log ρ_i
        var qTilde = [Double](repeating: 0, count: B), qTildePrime = qTilde, logRho = qTilde
        for e in 0..<N {
            for t in 0..<T {
                let s = e * T + t, row = e * (T + 1) + t
                let u = (0..<n).map { Double(yAdv[s * R + 2 + $0]) }
                qTilde[s] = sdnEstimate(v: v[row], advantage: Double(yAdv[s * R]), sampledAdvantages: u)
                qTildePrime[s] = sdnEstimate(v: v[row], advantage: Double(yAdv[s * R + 1]), sampledAdvantages: u)
                logRho[s] = gaussianLogProb(phi: phi[s], action: act[s]) - gaussianLogProb(phi: mu[s], action: act[s])
            }
        }
        // V(final observation) where a stream was truncated (bootstrap through time limits)
        var boot = [Double](repeating: 0, count: B)
        if settings.bootstrapTruncation {
            let idx = (0..<B).filter { batch.truncated[$0] && !batch.terminated[$0] }
            if !idx.isEmpty {
                var x = [Float](repeating: 0, count: idx.count * d)
                for (j, s) in idx.enumerated() { for c in 0..<d { x[j * d + c] = batch.finalObs[s * d + c] } }
                let o = params.withUnsafeBufferPointer { p in
                    x.withUnsafeBufferPointer { valueNet.forward(p.baseAddress! + valueOffset, $0.baseAddress!, batch: idx.count, smallValueWS) }
                }
                for (j, s) in idx.enumerated() { boot[s] = Double(o[j]) }
            }
        }
        // 3. Q^ret and Q^opc per stream
        var qret = [Double](repeating: 0, count: B), qopc = qret
        for e in 0..<N {
            let r0 = e * T
            let rr = (0..<T).map { Double(batch.rewards[r0 + $0]) }
            let dn = (0..<T).map { batch.terminated[r0 + $0] || batch.truncated[r0 + $0] }
            let ci = (0..<T).map { acerTraceCoefficient(logRho: logRho[r0 + $0], dimension: k) }
            let vi = (0..<T).map { v[e * (T + 1) + $0] }
            let (qr, qo) = acerContinuousTargets(r_i: rr, d_i: dn, b_i: Array(boot[r0..<(r0 + T)]), c_i: ci,
                                                 qTilde_i: Array(qTilde[r0..<(r0 + T)]), v_i: vi,
                                                 bootstrap: v[e * (T + 1) + T], gamma: settings.gamma, retrace: settings.retrace)
            for t in 0..<T { qret[r0 + t] = qr[t]; qopc[r0 + t] = qo[t] }
        }
        // 4–5. per-sample gradients w.r.t. φ (projected) and the SDN outputs
        for i in 0..<dOutPolicy.count { dOutPolicy[i] = 0 }
        for i in 0..<dOutV.count { dOutV[i] = 0 }
        var dLogStd = [Double](repeating: 0, count: k)
        var st = [Double](repeating: 0, count: 13)  // fTerm, bcTerm, H, lossQ, lossV, |g|, |k|, |kᵀg|, adj, |z|, ρ, KL
        let qScale = settings.qCoef * invB
        for e in 0..<N {
            for t in 0..<T {
                let s = e * T + t, row = e * (T + 1) + t
                let terms = acerGaussianPolicyTerms(phi: phi[s], mu: mu[s], action: act[s], actionPrime: actPrime[s], qopc: qopc[s],
                                                    v: v[row], qTildePrime: qTildePrime[s], c: settings.c, entCoef: settings.entCoef,
                                                    biasCorrection: settings.biasCorrection)
                let kv = gaussianKLGradientWrtSecond(phiAvg: phiAvg[s], phi: phi[s])
                var z = terms.g, adj = 0.0
                if settings.trustRegion { (z, adj) = trustRegionProject(g: terms.g, k: kv, delta: settings.delta) }
                for j in 0..<k { dOutPolicy[row * k + j] = Float(-z[j] * invB) }
                for j in 0..<k { dLogStd[j] += -z[k + j] * invB }
                let cg = sdnCriticGradient(qret: qret[s], qTilde: qTilde[s], rho: terms.rho, samples: n, scale: qScale)
                dOutV[row] = Float(cg.dV)
                dOutA[s * R] = Float(cg.dA); dOutA[s * R + 1] = 0
                for q in 0..<n { dOutA[s * R + 2 + q] = Float(cg.dU) }
                st[0] += terms.fTerm; st[1] += terms.bcTerm; st[2] += terms.entropy; st[3] += cg.lossQ; st[4] += cg.lossV
                st[5] += norm(terms.g); st[6] += norm(kv); st[7] += abs(zip(kv, terms.g).reduce(0) { $0 + $1.0 * $1.1 })
                st[8] += adj; st[9] += norm(z); st[10] += terms.rho; st[11] += gaussianKL(phiAvg[s], phi[s])
            }
        }
        // 6. backward, clip, RMSProp, Polyak
        for i in 0..<grad.count { grad[i] = 0 }
        var normG: Float = 0, normP: Float = 0, normQ: Float = 0
        let count = params.count, pc = policyCount, vo = valueOffset, ao = advOffset
        params.withUnsafeMutableBufferPointer { pb in
            let p = pb.baseAddress!
            grad.withUnsafeMutableBufferPointer { gb in
                let g = gb.baseAddress!
                batch.obs.withUnsafeBufferPointer { ob in
                    dOutPolicy.withUnsafeBufferPointer { policyNet.backward(p, policyWS, dOutput: $0.baseAddress!, grad: g, input: ob.baseAddress!) }
                    dOutV.withUnsafeBufferPointer { valueNet.backward(p + vo, valueWS, dOutput: $0.baseAddress!, grad: g + vo, input: ob.baseAddress!) }
                }
                advInput.withUnsafeBufferPointer { ib in
                    dOutA.withUnsafeBufferPointer { advNet.backward(p + ao, advWS, dOutput: $0.baseAddress!, grad: g + ao, input: ib.baseAddress!) }
                }
                for j in 0..<k { g[logStdOffset + j] += Float(dLogStd[j]) }
                normP = globalNorm(g, count: pc)
                normQ = globalNorm(g + vo, count: count - vo)
                normG = clipByGlobalNorm(g, count: count, maxNorm: settings.maxGradNorm)
                optimizer.step(p, g, count: count, lr: lr)
            }
            avgParams.withUnsafeMutableBufferPointer { ab in
                let a = settings.alpha, b = 1 - settings.alpha
                for i in 0..<ab.count { ab[i] = a * ab[i] + b * p[i] }
            }
        }
        updates += 1
        let lossF = -st[0] * invB, lossBC = -st[1] * invB, ent = st[2] * invB, lossQ = st[3] * invB, lossV = st[4] * invB
        let lossPolicy = lossF + lossBC
        var std = 0.0
        for j in 0..<k { std += DetMath.exp(Double(params[logStdOffset + j])) }
        return ["lr": Double(lr), "loss": lossPolicy + settings.qCoef * (lossQ + lossV) - settings.entCoef * ent,
                "loss_q": lossQ, "loss_v": lossV, "entropy": ent, "loss_policy": lossPolicy, "loss_f": lossF, "loss_bc": lossBC,
                "explained_variance": explainedVariance(predicted: qTilde, target: qret),
                "norm_grads": Double(normG), "norm_grads_q": Double(normQ), "norm_grads_policy": Double(normP),
                "avg_norm_grads_f": st[9] * invB, "avg_norm_k": st[6] * invB, "avg_norm_g": st[5] * invB,
                "avg_norm_k_dot_g": st[7] * invB, "avg_norm_adj": st[8] * invB,
                "std": std / Double(k), "avg_rho": st[10] * invB, "avg_kl": st[11] * invB]
    }

    public func update() -> Metrics {
        let lr = settings.lrSchedule.lr(base: settings.lr, step: Int(envSteps), total: totalSteps)
        collect()
        buffer.put(batch)
        let metrics = train(lr: lr)   // on-policy
        var n = 0
        if settings.replayRatio > 0 && buffer.storedSteps >= settings.replayStart {
            n = poisson(settings.replayRatio, uniform: &replayRNG)
            for _ in 0..<n {
                buffer.sample(into: &batch, rng: &replayRNG)
                _ = train(lr: lr)
            }
        }
        return metrics + ["replay_updates": Double(n), "buffer_steps": Double(buffer.storedSteps)]
    }

    public func drainEpisodes() -> [EpisodeRecord] { env.drainFinished() }

    public func greedyAction(_ obs: UnsafePointer<Float>) -> Int {
        var a = [Float](repeating: 0, count: k)
        greedyAction(obs, into: &a)
        return Int(a[0])
    }

    /// The policy's mean μ(x) (unclipped; `evaluateGreedy` clips it to the bounds).
    public func greedyAction(_ obs: UnsafePointer<Float>, into action: UnsafeMutablePointer<Float>) {
        params.withUnsafeBufferPointer { pb in
            let y = policyNet.forward(pb.baseAddress!, obs, batch: 1, smallWS)
            action.update(from: y, count: k)
        }
    }

    public func greedyAction(_ obs: UnsafePointer<Float>, into action: UnsafeMutablePointer<Float>, observer: any BehaviourObserver) {
        params.withUnsafeBufferPointer { pb in
            let p = pb.baseAddress!
            let y = policyNet.forward(p, obs, batch: 1, smallWS)
            var phi = [Float](repeating: 0, count: dist.statisticsCount)
            phi.withUnsafeMutableBufferPointer { dist.statistics(outputs: y, logStd: p + logStdOffset, into: $0.baseAddress!) }
            action.update(from: y, count: k)
            let v = valueNet.forward(p + valueOffset, obs, batch: 1, observerValueWS!)
            observer.observe(copy: 0, .meanLogStd, phi, value: v[0])
        }
    }

    public var behaviourDescription: BehaviourDescription {
        BehaviourDescription(statistics: "μ(·|x) = N(μ_θ(x), σ²), the Gaussian the action was sampled from (what the replay buffer stores)",
                             value: "V(x; θv), the value network of the stochastic dueling network")
    }

    public var checkpoint: AgentCheckpoint {
        var c = buffer.checkpoint
        c.addLearner(params: params, optimizer: optimizer, envSteps: envSteps, updates: updates)
        c.floats["avg_params"] = avgParams
        c.words["rng_action"] = actionRNG.stateArray
        c.words["rng_replay"] = replayRNG.stateArray
        c.words["rng_sdn"] = sdnRNG.stateArray
        c.addEnvironments(env)
        return c
    }

    public func restore(_ c: AgentCheckpoint) throws {
        (envSteps, updates) = try c.restoreLearner(params: &params, optimizer: &optimizer)
        avgParams = try c.required(c.floats, "avg_params", count: avgParams.count)
        actionRNG = try c.rng("rng_action")
        replayRNG = try c.rng("rng_replay")
        sdnRNG = try c.rng("rng_sdn")
        try buffer.restore(c)
        try c.restoreEnvironments([env], totalSteps: [envSteps])
    }

    public var parameters: [Float] { params }
}
