import NN

extension ActorLearner {
    /// Algorithm 1 (asynchronous one-step Q-learning). For each step of the segment (ε-greedy on
    /// Q(s; θ′), at most `async_update` = `t_max` steps, cut at a terminal state):
    ///
    ///     y = r                              for terminal s′
    ///         r + γ max_a′ Q(s′, a′; θ⁻)      for non-terminal s′        (oneStepTargets; a time-limit
    ///                                                                     truncation bootstraps from the final obs)
    ///     accumulate dθ ← dθ + ∂(y − Q(s, a; θ))² / ∂θ                   (qLossGradient)
    ///     if T mod I_target == 0: θ⁻ ← θ
    ///     if t mod I_AsyncUpdate == 0 or s is terminal: update θ with dθ, clear dθ   (the segment's end)
    ///
    /// Departure: the gradients use θ′, the copy of θ taken at the segment's start, rather than
    /// reading θ while other learners write it (identical when one learner runs; what makes the
    /// deterministic interleaving well defined).
    func learnOneStepQ() -> [Double] {
        let tq = targetOutputs()
        let next = (0..<n).map { i -> Double in
            let row = tq + (i + 1) * nA
            return Double(row[Categorical.argmax(row, nA)])
        }
        let terminal = (0..<n).map { $0 == n - 1 && end == .terminated }
        let y = oneStepTargets(r_i: Array(rewards[0..<n]), terminal_i: terminal, next_i: next, gamma: settings.gamma)
        return qStep(q: segmentOutputs, targets: y)
    }
}
