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
}
