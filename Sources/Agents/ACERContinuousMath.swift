import NN

// ACER's estimators and policy-gradient pieces for continuous actions (Wang et al. 2017, "Sample
// Efficient Actor-Critic with Experience Replay", Section 5 and Algorithm 3; ALGORITHMS.md §5), as
// pure functions in Double over one environment stream's segment (index `i` runs forward in time)
// or one sample's Gaussian statistics φ = (μ_0 … μ_{k−1}, log σ_0 … log σ_{k−1}) — the layout of
// `PolicyDistribution.gaussian(k)` / `DiagGaussian`, whose Float functions these agree with (tested).

/// The Stochastic Dueling Network estimate of one action value (ACER eq. 13):
///
/// `Q̃(x, a) = V(x) + A(x, a) − (1/n) Σ_{j=1..n} A(x, u_j)`,  `u_j ~ π(·|x)`
///
/// so that `E_{a∼π}[Q̃(x, a)] = V(x)` in expectation over the `u_j`: V and Q̃ are consistent.
/// Its gradient is `∂Q̃/∂V = 1`, `∂Q̃/∂A(x, a) = 1`, `∂Q̃/∂A(x, u_j) = −1/n` (`sdnCriticGradient`).
///
/// - Parameters:
///   - v: `V(x)`; advantage: `A(x, a)`; sampledAdvantages: `A(x, u_j)`, `n ≥ 1` of them.
public func sdnEstimate(v: Double, advantage: Double, sampledAdvantages: [Double]) -> Double {
    precondition(!sampledAdvantages.isEmpty, "sdnEstimate: the SDN needs at least one sample u_j")
    var s = 0.0
    for u in sampledAdvantages { s += u }
    return v + advantage - s / Double(sampledAdvantages.count)
}

/// The continuous-action Retrace coefficient `c_i = min(1, ρ_i^{1/d})` (ACER Section 5: the
/// d-th root keeps the product of traces from vanishing in `d` action dimensions), computed from
/// `log ρ_i` as `min(1, exp(log ρ_i / d))` so that no ratio overflows.
public func acerTraceCoefficient(logRho: Double, dimension d: Int) -> Double {
    precondition(d >= 1)
    return logRho >= 0 ? 1 : DetMath.exp(logRho / Double(d))
}

/// Retrace `Q^ret` and the off-policy-corrected return `Q^opc` for one segment, computed backwards
/// together (ACER Algorithm 3):
///
/// ```
/// Q^ret ← Q^opc ← bootstrap                        (V(x_n); 0 if x_n is terminal)
/// for i = n−1 … 0:
///     Q^ret ← r_i + γ·(d_i ? b_i : Q^ret)           (b_i: value to bootstrap from when step i ended an episode)
///     Q^opc ← r_i + γ·(d_i ? b_i : Q^opc)
///     emit Q^ret_i, Q^opc_i
///     Q^ret ← c_i·(Q^ret − Q̃(x_i, a_i)) + V(x_i)       c_i = min(1, ρ_i^{1/d})  (`acerTraceCoefficient`)
///     Q^opc ←      (Q^opc − Q̃(x_i, a_i)) + V(x_i)
/// ```
///
/// | setting | gives |
/// |---|---|
/// | all `c_i = 1` | `Q^ret = Q^opc` |
/// | `Q̃ = V` at every step | `Q^opc` is the plain n-step return (`Q^ret` is not, unless every `c_i = 1`) |
/// | `retrace: false` | both are plain n-step returns `r_i + γ·G_{i+1}` from the bootstrap (ablation) |
///
/// `Q^ret` with `c_i` is `retraceTargets` (ACERMath.swift) with `ρ_i^{1/d}` for `ρ_i` and `Q̃` for
/// `Q`; `Q^opc` is `retraceTargets` with every ratio 1 (tested). Algorithm 3 is written for one
/// trajectory that ends at `x_k`; a segment here may hold several episodes, and the recursion
/// restarts at every episode end from `b_i` (0 at a terminal state, `V(final observation)` after a
/// time-limit truncation with `bootstrap_truncation`), as discrete ACER does.
///
/// - Parameters:
///   - r_i, d_i, b_i, c_i, qTilde_i (`Q̃(x_i, a_i)`), v_i: length `n`.
public func acerContinuousTargets(r_i: [Double], d_i: [Bool], b_i: [Double], c_i: [Double], qTilde_i: [Double], v_i: [Double],
                                  bootstrap: Double, gamma: Double, retrace: Bool = true) -> (qret: [Double], qopc: [Double]) {
    let n = r_i.count
    precondition(d_i.count == n && b_i.count == n && c_i.count == n && qTilde_i.count == n && v_i.count == n,
                 "acerContinuousTargets: inputs differ in length")
    var qret = [Double](repeating: 0, count: n), qopc = qret
    var ret = bootstrap, opc = bootstrap
    for i in stride(from: n - 1, through: 0, by: -1) {
        ret = r_i[i] + gamma * (d_i[i] ? b_i[i] : ret)
        opc = r_i[i] + gamma * (d_i[i] ? b_i[i] : opc)
        qret[i] = ret; qopc[i] = opc
        if retrace {
            ret = c_i[i] * (ret - qTilde_i[i]) + v_i[i]
            opc = (opc - qTilde_i[i]) + v_i[i]
        }
    }
    return (qret, qopc)
}

/// `log f(x|φ) = Σ_j [−(x_j − μ_j)²/(2σ_j²) − log σ_j − ½ log 2π]` in Double (`DiagGaussian.logProb`).
public func gaussianLogProb(phi: [Double], action x: [Double]) -> Double {
    let k = x.count
    precondition(phi.count == 2 * k, "gaussianLogProb: φ has \(phi.count) values for a \(k)-dimensional action")
    var s = 0.0
    for j in 0..<k {
        let z = (x[j] - phi[j]) * DetMath.exp(-phi[k + j])
        s += -0.5 * z * z - phi[k + j] - 0.918_938_533_204_672_7
    }
    return s
}

/// `∂ log f(x|φ)/∂φ`: `∂/∂μ_j = (x_j − μ_j)/σ_j²`, `∂/∂log σ_j = (x_j − μ_j)²/σ_j² − 1`.
public func gaussianLogProbGradient(phi: [Double], action x: [Double]) -> [Double] {
    let k = x.count
    precondition(phi.count == 2 * k)
    var g = [Double](repeating: 0, count: 2 * k)
    for j in 0..<k {
        let is2 = DetMath.exp(-2 * phi[k + j]), d = x[j] - phi[j]
        g[j] = d * is2
        g[k + j] = d * d * is2 - 1
    }
    return g
}

/// `k = ∂ KL(f(·|φ_a) ‖ f(·|φ))/∂φ`, the trust region's direction for the diagonal Gaussian
/// (gradient in the *second* argument, the current policy's statistics):
/// `∂/∂μ_j = (μ_j − μ_aj)/σ_j²`, `∂/∂log σ_j = 1 − (σ_aj² + (μ_aj − μ_j)²)/σ_j²`.
/// Zero when `φ = φ_a` (the KL's minimum).
public func gaussianKLGradientWrtSecond(phiAvg p: [Double], phi q: [Double]) -> [Double] {
    precondition(p.count == q.count && p.count % 2 == 0)
    let k = p.count / 2
    var g = [Double](repeating: 0, count: 2 * k)
    for j in 0..<k {
        let iq2 = DetMath.exp(-2 * q[k + j]), d = p[j] - q[j]
        g[j] = -d * iq2
        g[k + j] = 1 - (DetMath.exp(2 * p[k + j]) + d * d) * iq2
    }
    return g
}

/// `KL(f(·|p) ‖ f(·|q)) = Σ_j [log σ_qj − log σ_pj + (σ_pj² + (μ_pj − μ_qj)²)/(2σ_qj²) − ½]`.
public func gaussianKL(_ p: [Double], _ q: [Double]) -> Double {
    precondition(p.count == q.count && p.count % 2 == 0)
    let k = p.count / 2
    var s = 0.0
    for j in 0..<k {
        let d = p[j] - q[j]
        s += q[k + j] - p[k + j] + (DetMath.exp(2 * p[k + j]) + d * d) * 0.5 * DetMath.exp(-2 * q[k + j]) - 0.5
    }
    return s
}

/// One sample's continuous ACER policy objective and its gradient `g` w.r.t. the Gaussian
/// statistics φ = (μ, log σ) of `f(·|φ(x_i))` (ACER Algorithm 3, "quantities needed for trust
/// region updating"), with the brackets held fixed (stop-gradient):
///
/// ```
/// J(φ) = log f(a_i|φ)·[min(c, ρ_i)·(Q^opc_i − V(x_i))]
///      + log f(a'_i|φ)·[max(0, 1 − c/ρ'_i)·(Q̃(x_i, a'_i) − V(x_i))]        (bias correction, a'_i ~ f(·|φ))
///      + ent_coef·H(f(·|φ))
/// g = ∇_φ J = min(c, ρ_i)(Q^opc_i − V)·∇_φ log f(a_i) + max(0, 1 − c/ρ'_i)(Q̃(x_i, a'_i) − V)·∇_φ log f(a'_i) + ent_coef·∇_φ H
/// ```
///
/// with `ρ_i = f(a_i)/μ(a_i)`, `ρ'_i = f(a'_i)/μ(a'_i)` (`mu` the behaviour policy's stored
/// statistics). The single sample `a'_i` is the paper's Monte-Carlo estimate of the bias
/// correction's expectation over `a ~ π`. The entropy term is not in Algorithm 3; it is the
/// discrete version's `ent_coef` bonus (0 gives the paper's g; `∇_{log σ_j} H = 1`, `∇_μ H = 0`).
///
/// | setting | effect |
/// |---|---|
/// | `biasCorrection: false` | the second term is dropped (truncated importance sampling only) |
/// | `ρ'_i ≤ c` | the bias-correction term vanishes by itself |
/// | `c → ∞` | the first term is the untruncated `ρ_i`-weighted gradient, the second vanishes |
public struct ACERGaussianPolicyTerms: Equatable {
    /// `log f(a_i)·min(c, ρ_i)·(Q^opc − V)` (so `loss_f` is minus its mean)
    public var fTerm: Double
    /// `log f(a'_i)·max(0, 1 − c/ρ'_i)·(Q̃(x_i, a'_i) − V)` (so `loss_bc` is minus its mean)
    public var bcTerm: Double
    /// `H(f)`
    public var entropy: Double
    /// `ρ_i` and `ρ'_i`
    public var rho: Double, rhoPrime: Double
    /// `log ρ_i` (for the trace coefficient `c_i`)
    public var logRho: Double
    /// `∂J/∂φ`, `2k` entries (means, then log standard deviations)
    public var g: [Double]
}

public func acerGaussianPolicyTerms(phi: [Double], mu: [Double], action a: [Double], actionPrime ap: [Double],
                                    qopc: Double, v: Double, qTildePrime: Double, c: Double, entCoef: Double,
                                    biasCorrection: Bool = true) -> ACERGaussianPolicyTerms {
    let k = a.count
    precondition(phi.count == 2 * k && mu.count == 2 * k && ap.count == k, "acerGaussianPolicyTerms: bad shapes")
    let logf = gaussianLogProb(phi: phi, action: a), logRho = logf - gaussianLogProb(phi: mu, action: a)
    let rho = DetMath.exp(logRho)
    let logfPrime = gaussianLogProb(phi: phi, action: ap)
    let rhoPrime = DetMath.exp(logfPrime - gaussianLogProb(phi: mu, action: ap))
    let wf = min(c, rho) * (qopc - v)
    var g = gaussianLogProbGradient(phi: phi, action: a).map { wf * $0 }
    var bc = 0.0
    if biasCorrection {
        let wbc = max(0, 1 - c / rhoPrime) * (qTildePrime - v)
        bc = logfPrime * wbc
        if wbc != 0 {
            let gp = gaussianLogProbGradient(phi: phi, action: ap)
            for j in 0..<(2 * k) { g[j] += wbc * gp[j] }
        }
    }
    var h = 0.0
    for j in 0..<k { h += phi[k + j] + 0.5 + 0.918_938_533_204_672_7; g[k + j] += entCoef }
    return ACERGaussianPolicyTerms(fTerm: logf * wf, bcTerm: bc, entropy: h, rho: rho, rhoPrime: rhoPrime, logRho: logRho, g: g)
}

/// The value gradients of continuous ACER for one sample (ACER Algorithm 3), as the gradient of a
/// loss to be minimised w.r.t. the SDN's three kinds of outputs. Algorithm 3 accumulates the ascent
/// direction `(Q^ret − Q̃(x_i,a_i))∇Q̃(x_i,a_i) + min(1, ρ_i)(Q^ret − Q̃(x_i,a_i))∇V(x_i)`; with
/// `err = Q^ret − Q̃(x_i, a_i)` and ∇Q̃ = ∇V + ∇A(x_i, a_i) − (1/n)Σ_j ∇A(x_i, u_j) (`sdnEstimate`),
/// times −`scale`:
///
/// `∂L/∂V(x_i) = −scale·err·(1 + min(1, ρ_i))`, `∂L/∂A(x_i, a_i) = −scale·err`, `∂L/∂A(x_i, u_j) = scale·err/n`.
///
/// That is the gradient of `scale·[½(Q^ret − Q̃)² + ½(V^target − V)²]` with `Q^ret` and
/// `V^target = min(1, ρ_i)(Q^ret − Q̃) + V` held fixed (ACER eq. 14's target for V): `lossQ` and
/// `lossV` are those two halves' values (without `scale`).
public func sdnCriticGradient(qret: Double, qTilde: Double, rho: Double, samples n: Int, scale: Double)
    -> (dV: Double, dA: Double, dU: Double, lossQ: Double, lossV: Double) {
    precondition(n >= 1)
    let err = qret - qTilde, w = min(1, rho)
    return (-scale * err * (1 + w), -scale * err, scale * err / Double(n), 0.5 * err * err, 0.5 * w * w * err * err)
}
