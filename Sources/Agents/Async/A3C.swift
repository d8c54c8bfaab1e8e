import NN

extension ActorLearner {
    /// Algorithm S3 (asynchronous advantage actor-critic), after the rollout of `t_max` steps or to
    /// a terminal state:
    ///
    ///     R = 0 for terminal s_t, V(s_t; θ′_v) for non-terminal s_t    (bootstrap; a time-limit
    ///                                                                   truncation bootstraps from V(final obs))
    ///     for i ∈ {t − 1, …, t_start}:
    ///         R ← r_i + γR                                               (nStepTargets)
    ///         dθ  ← dθ  + ∇_θ′ log π(a_i|s_i; θ′)·(R − V(s_i; θ′_v)) + β·∇_θ′ H(π(s_i; θ′))
    ///         dθ_v ← dθ_v + ∂(R − V(s_i; θ′_v))² / ∂θ′_v
    ///     perform the asynchronous update of θ with dθ and of θ_v with dθ_v   (in `apply`)
    ///
    /// Policy and value share the trunk (one network with `nA` logits and one value output), so dθ
    /// and dθ_v are one gradient of the loss `Σ_i [−log π(a_i|s_i)·(R_i − V_i) − β·H_i + vf_coef·(R_i − V_i)²]`
    /// (the advantage held fixed). Departure: the value term is weighted by `vf_coef` (default 0.5, the
    /// common `½(R − V)²`); the paper's pseudocode has weight 1.
    ///
    /// Returns the metrics `lr, policy_loss, value_loss, policy_entropy, loss, segment_length,
    /// norm_grads` (per-sample means; lr and norm_grads are filled in by the caller).
    func learnA3C() -> [Double] {
        let nOut = net.outputSize
        let out = segmentOutputs
        let bootstrap: Double = end == .terminated ? 0 : Double(nextOutput()[nA])
        let R = nStepTargets(r_i: Array(rewards[0..<n]), bootstrap: bootstrap, gamma: settings.gamma)
        let v = (0..<n).map { out[$0 * nOut + nA] }
        let returns = R.map { Float($0) }
        let sign: Float = settings.flipAdvantageForTests ? -1 : 1
        let advantages = (0..<n).map { sign * (returns[$0] - v[$0]) }
        if dist.isContinuous { return learnContinuousA3C(returns: returns, values: v, advantages: advantages) }
        let terms = logp.withUnsafeBufferPointer { lb in
            dOut.withUnsafeMutableBufferPointer { db in
                a2cLossGradients(logp: lb.baseAddress!, nA: nA, actions: Array(actions[0..<n]), advantages: advantages, returns: returns,
                                 values: v, entCoef: settings.entCoef, vfCoef: settings.vfCoef,
                                 dLogits: db.baseAddress!, logitStride: nOut, dValues: db.baseAddress! + nA, valueStride: nOut)
            }
        }
        // a2cLossGradients averages over the rows; the paper accumulates the sum over the segment
        let scale = Float(n)
        for k in 0..<(n * nOut) { dOut[k] *= scale }
        backwardSegment()
        let loss = terms.policyLoss - Double(settings.entCoef) * terms.entropy + Double(settings.vfCoef) * terms.valueLoss
        return [0, terms.policyLoss, terms.valueLoss, terms.entropy, loss, Double(n), 0]
    }

    /// The A3C paper's continuous-action variant (its MuJoCo experiments): the same loss with a
    /// Gaussian policy, `−log f(a_i|s_i)·(R_i − V_i) − β·H(f(·|s_i)) + vf_coef·(R_i − V_i)²` summed
    /// over the segment. Departure: σ is a learned state-independent log σ (seed 003), where the
    /// paper has a softplus variance output; ∂/∂μ flows back through the network, ∂/∂log σ goes
    /// straight to the log σ entries of dθ.
    func learnContinuousA3C(returns: [Float], values v: [Float], advantages: [Float]) -> [Double] {
        let nOut = net.outputSize, S = dist.statisticsCount, k = nA
        var dStats = [Float](repeating: 0, count: n * S), dV = [Float](repeating: 0, count: n)
        let terms = actorCriticLossGradients(dist: dist, stats: logp, actions: continuousActions, advantages: advantages, returns: returns,
                                             values: v, count: n, entCoef: settings.entCoef, vfCoef: settings.vfCoef,
                                             dStats: &dStats, dValues: &dV)
        let scale = Float(n)   // the mean over rows → the paper's sum over the segment
        for i in 0..<n {
            for j in 0..<k { dOut[i * nOut + j] = scale * dStats[i * S + j] }
            dOut[i * nOut + k] = scale * dV[i]
        }
        backwardSegment()
        for i in 0..<n { for j in 0..<k { grads[net.parameterCount + j] += scale * dStats[i * S + k + j] } }
        let loss = terms.policyLoss - Double(settings.entCoef) * terms.entropy + Double(settings.vfCoef) * terms.valueLoss
        return [0, terms.policyLoss, terms.valueLoss, terms.entropy, loss, Double(n), 0]
    }
}

/// The actor-critic loss of `B` samples for any policy distribution and its gradients w.r.t. the
/// policy statistics and the values (what `a2cLossGradients` is for the categorical policy):
///
/// `L = mean_b(ADV_b · −log π(a_b|φ_b)) − ent_coef·mean_b H(π(·|φ_b)) + vf_coef·mean_b (R_b − V_b)²`
///
/// with `ADV` and `R` held fixed: `∂L/∂φ_b = (−ADV_b·∂log π/∂φ − ent_coef·∂H/∂φ)/B` (rows of
/// `dist.statisticsCount`, overwritten) and `∂L/∂V_b = 2·vf_coef·(V_b − R_b)/B`.
/// Returns `policy_loss`, `value_loss` (without vf_coef) and `policy_entropy`, means over the batch.
public func actorCriticLossGradients(dist: PolicyDistribution, stats: UnsafePointer<Float>, actions: UnsafePointer<Float>,
                                     advantages: [Float], returns: [Float], values: [Float], count B: Int,
                                     entCoef: Float, vfCoef: Float,
                                     dStats: UnsafeMutablePointer<Float>, dValues: UnsafeMutablePointer<Float>)
    -> (policyLoss: Double, valueLoss: Double, entropy: Double) {
    let S = dist.statisticsCount, A = dist.actionDimension, invB = 1 / Float(B)
    var pg = 0.0, vf = 0.0, ent = 0.0
    for b in 0..<B {
        let phi = stats + b * S, a = actions + b * A, d = dStats + b * S
        pg += Double(-advantages[b] * dist.logProb(phi, action: a))
        ent += Double(dist.entropy(phi))
        for j in 0..<S { d[j] = 0 }
        dist.addLogProbGradient(phi, action: a, scale: -advantages[b] * invB, into: d)
        if entCoef != 0 { dist.addEntropyGradient(phi, scale: -entCoef * invB, into: d) }
        let e = returns[b] - values[b]
        vf += Double(e * e)
        dValues[b] = vfCoef * 2 * (values[b] - returns[b]) * invB
    }
    let n = Double(B)
    return (pg / n, vf / n, ent / n)
}
