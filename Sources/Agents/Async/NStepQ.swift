import NN

extension ActorLearner {
    /// Algorithm S2 (asynchronous n-step Q-learning), after acting ε-greedily on Q(s; θ′) for
    /// `t_max` steps or to a terminal state:
    ///
    ///     R = 0 for terminal s_t, max_a Q(s_t, a; θ⁻) for non-terminal s_t   (a time-limit truncation
    ///                                                                      bootstraps from the final obs)
    ///     for i ∈ {t − 1, …, t_start}:
    ///         R ← r_i + γR                                                  (nStepTargets)
    ///         dθ ← dθ + ∂(R − Q(s_i, a_i; θ′))² / ∂θ′                        (qLossGradient)
    ///     perform the asynchronous update of θ using dθ; θ⁻ ← θ every target_update global steps
    ///
    /// Returns `lr, loss, q_mean, epsilon, segment_length, norm_grads` (loss: mean (R − Q)² per step;
    /// q_mean: mean Q(s_i, a_i; θ′)).
    func learnNStepQ() -> [Double] {
        let q = segmentOutputs
        let bootstrap: Double
        if end == .terminated {
            bootstrap = 0
        } else {
            let tq = targetOutputs() + n * nA
            bootstrap = Double(tq[Categorical.argmax(tq, nA)])
        }
        let R = nStepTargets(r_i: Array(rewards[0..<n]), bootstrap: bootstrap, gamma: settings.gamma)
        return qStep(q: q, targets: R)
    }

    /// The Q methods' shared tail: dθ of `Σ_i (y_i − Q(s_i, a_i; θ′))²` and the metrics.
    func qStep(q: UnsafeMutablePointer<Float>, targets: [Double]) -> [Double] {
        let acts = Array(actions[0..<n])
        let loss = dOut.withUnsafeMutableBufferPointer { qLossGradient(q: q, nA: nA, actions: acts, targets: targets, dq: $0.baseAddress!) }
        backwardSegment()
        var qMean = 0.0
        for i in 0..<n { qMean += Double(q[i * nA + Int(acts[i])]) }
        return [0, loss / Double(n), qMean / Double(n), currentEpsilon, Double(n), 0]
    }
}
