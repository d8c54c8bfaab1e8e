import NN

extension ActorLearner {
    /// Asynchronous one-step Sarsa: Algorithm 1 with the target `r + γ Q(s′, a′; θ⁻)`, where `a′` is
    /// the action taken in `s′` (ε-greedy on Q(s′; θ′)):
    ///
    ///     y = r                       for terminal s′
    ///         r + γ Q(s′, a′; θ⁻)      otherwise                          (oneStepTargets)
    ///     accumulate dθ ← dθ + ∂(y − Q(s, a; θ))² / ∂θ;  update θ at the segment's end
    ///
    /// Within the segment `a′` of step i is the action of step i + 1. For the last step it is chosen
    /// now, ε-greedily with θ′, and — when the episode goes on — it is the action the next segment
    /// takes first, so every target uses an action actually taken. After a time-limit truncation it
    /// is chosen at the final observation and not taken (the episode is over).
    func learnOneStepSarsa() -> [Double] {
        let tq = targetOutputs()
        var nextAction = [Int](repeating: 0, count: n)
        for i in 0..<(n - 1) { nextAction[i] = Int(actions[i + 1]) }
        if end != .terminated {
            let q = nextOutput()
            // a′ is the next segment's first action when the episode goes on: its statistics are these
            if end == .running && observer != nil { observeEpsilonGreedy(q) }
            let a = epsilonGreedy(q, nA, epsilon: currentEpsilon, rng: &rng)
            nextAction[n - 1] = a
            if end == .running { pendingAction = Int32(a) }
        }
        let next = (0..<n).map { Double(tq[($0 + 1) * nA + nextAction[$0]]) }
        let terminal = (0..<n).map { $0 == n - 1 && end == .terminated }
        let y = oneStepTargets(r_i: Array(rewards[0..<n]), terminal_i: terminal, next_i: next, gamma: settings.gamma)
        return qStep(q: segmentOutputs, targets: y)
    }
}
