import Foundation
import NN

// ACER's estimators and policy-gradient pieces for discrete actions (Wang et al. 2017, "Sample
// Efficient Actor-Critic with Experience Replay"; ALGORITHMS.md §4), as pure functions over one
// environment stream's segment (index `i` runs forward in time) or one sample's action vector.

/// Retrace targets `Q^ret` for one segment, computed backwards (Munos et al. 2016; ACER eq. 5):
///
/// ```
/// qret ← bootstrap                          (V(x_n) of the observation after the segment)
/// for i = n−1 … 0:
///     qret ← r_i + γ·(d_i ? b_i : qret)     (b_i: value to bootstrap from when step i ended an episode)
///     Q^ret_i = qret
///     qret ← ρ̄_i·(qret − Q(x_i, a_i)) + V(x_i),  ρ̄_i = min(1, ρ_i)
/// ```
///
/// | setting | gives |
/// |---|---|
/// | all `ρ_i = 1` (on-policy) | `qret ← qret − Q(x_i,a_i) + V(x_i)`: the expected-SARSA-corrected n-step return |
/// | `retrace: false` | plain n-step returns `r_i + γ·G_{i+1}` from the bootstrap (no correction) |
///
/// `b_i` is 0 at a terminal state; after a time-limit truncation it is `V(final observation)` (the
/// baselines code treats truncations as terminal, which is `b_i = 0`).
///
/// - Parameters:
///   - r_i, d_i, rho_i, q_i (`Q(x_i, a_i)`), v_i, b_i: length `n`.
public func retraceTargets(r_i: [Double], d_i: [Bool], rho_i: [Double], q_i: [Double], v_i: [Double], b_i: [Double],
                           bootstrap: Double, gamma: Double, retrace: Bool = true) -> [Double] {
    let n = r_i.count
    precondition(d_i.count == n && rho_i.count == n && q_i.count == n && v_i.count == n && b_i.count == n,
                 "retraceTargets: inputs differ in length")
    var out = [Double](repeating: 0, count: n)
    var qret = bootstrap
    for i in stride(from: n - 1, through: 0, by: -1) {
        qret = r_i[i] + gamma * (d_i[i] ? b_i[i] : qret)
        out[i] = qret
        if retrace { qret = min(1, rho_i[i]) * (qret - q_i[i]) + v_i[i] }
    }
    return out
}

/// One sample's ACER policy objective and its gradient w.r.t. the policy's distribution `f`
/// (baselines' choice of statistics φ = f, the softmax output):
///
/// `J = log f(a)·[(Q^ret − V)·min(c, ρ(a))] + Σ_b log f(b)·[(Q(b) − V)·max(0, 1 − c/ρ(b))·f(b)] + ent_coef·H(f)`
///
/// with the brackets held fixed (stop-gradient), so
/// `g_b = 1[b = a]·(Q^ret − V)·min(c, ρ(a))/f(a) + (Q(b) − V)·max(0, 1 − c/ρ(b)) − ent_coef·(log f(b) + 1)`.
/// The losses of ALGORITHMS.md are `loss_f = −mean(first term)`, `loss_bc = −mean(second term)`.
///
/// | setting | effect |
/// |---|---|
/// | `biasCorrection: false` | the second term is dropped (truncated importance sampling only) |
/// | every `ρ(b) ≤ c` | the bias-correction term vanishes by itself |
public struct ACERPolicyTerms: Equatable {
    /// `log f(a)·(Q^ret − V)·min(c, ρ(a))` (so `loss_f` is minus its mean)
    public var fTerm: Double
    /// `Σ_b log f(b)·(Q(b) − V)·max(0, 1 − c/ρ(b))·f(b)`
    public var bcTerm: Double
    /// `H(f)`
    public var entropy: Double
    /// `∂J/∂f`, one entry per action
    public var g: [Double]
}

public func acerPolicyTerms(logf: [Double], mu: [Double], q: [Double], action a: Int, qret: Double,
                            c: Double, entCoef: Double, biasCorrection: Bool = true) -> ACERPolicyTerms {
    let n = logf.count
    precondition(mu.count == n && q.count == n && a >= 0 && a < n, "acerPolicyTerms: bad shapes")
    let f = logf.map { DetMath.exp($0) }
    var v = 0.0
    for b in 0..<n { v += f[b] * q[b] }
    var g = [Double](repeating: 0, count: n)
    let rhoA = f[a] / mu[a]
    let advA = (qret - v) * min(c, rhoA)
    let fTerm = logf[a] * advA
    g[a] += advA / f[a]
    var bc = 0.0
    if biasCorrection {
        for b in 0..<n {
            let rho = f[b] / mu[b]
            let w = (q[b] - v) * max(0, 1 - c / rho)
            bc += logf[b] * w * f[b]
            g[b] += w
        }
    }
    var h = 0.0
    for b in 0..<n { h -= f[b] * logf[b]; g[b] -= entCoef * (logf[b] + 1) }
    return ACERPolicyTerms(fTerm: fTerm, bcTerm: bc, entropy: h, g: g)
}

/// The trust-region projection of ACER (eq. 12) for one sample:
/// `z* = g − max(0, (kᵀg − δ)/‖k‖²)·k`, the closest `z` to `g` (in L2) with `kᵀz ≤ δ`.
///
/// With φ = f (baselines), `k = ∂KL(f_avg ‖ f)/∂f = −f_avg/f` (`klGradientWrtProbabilities`); with
/// φ = logits (the paper's pre-softmax statistics), `k = f − f_avg` (`klGradientWrtLogits`).
/// The projection is the identity when the constraint is slack (`kᵀg ≤ δ`).
///
/// - Returns: `z*` and the step size `adj = max(0, (kᵀg − δ)/‖k‖²)`.
public func trustRegionProject(g: [Double], k: [Double], delta: Double) -> (z: [Double], adj: Double) {
    precondition(g.count == k.count)
    var kg = 0.0, kk = 0.0
    for j in 0..<g.count { kg += k[j] * g[j]; kk += k[j] * k[j] }
    let adj = kk > 0 ? max(0, (kg - delta) / kk) : 0
    return (zip(g, k).map { $0 - adj * $1 }, adj)
}

/// `∂KL(f_avg ‖ f)/∂f_b = −f_avg(b)/f(b)` (KL as a function of the probabilities `f`).
public func klGradientWrtProbabilities(fAvg: [Double], f: [Double]) -> [Double] {
    zip(fAvg, f).map { -$0 / $1 }
}

/// `∂KL(f_avg ‖ softmax(z))/∂z_b = f(b) − f_avg(b)` (KL as a function of the logits `z`).
public func klGradientWrtLogits(fAvg: [Double], f: [Double]) -> [Double] {
    zip(f, fAvg).map { $0 - $1 }
}

/// Chain rule through the softmax: given `∂L/∂f`, returns `∂L/∂z_j = f_j·(∂L/∂f_j − Σ_i f_i·∂L/∂f_i)`.
public func softmaxBackward(f: [Double], dL_df: [Double]) -> [Double] {
    var s = 0.0
    for i in 0..<f.count { s += f[i] * dL_df[i] }
    return (0..<f.count).map { f[$0] * (dL_df[$0] - s) }
}

/// A Poisson(λ) draw (Knuth's multiplication method; fine for the small λ of replay ratios).
/// λ ≤ 0 gives 0 and draws nothing.
public func poisson(_ lambda: Double, uniform rng: inout RNG) -> Int {
    if lambda <= 0 { return 0 }
    let L = DetMath.exp(-lambda)
    var k = 0
    var p = rng.uniform()
    while p > L { k += 1; p *= rng.uniform() }
    return k
}
