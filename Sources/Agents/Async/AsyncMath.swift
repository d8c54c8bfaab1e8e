import NN

// The pure pieces of the A3C paper's four asynchronous methods (Mnih et al. 2016, "Asynchronous
// Methods for Deep Reinforcement Learning"; ALGORITHMS.md §2), over one actor-learner's segment
// `i = 0 … n−1` (forward in time). A segment ends after `t_max` (or `async_update`) steps or at the
// end of an episode, so only its last step can end an episode.

/// How a segment ends, which decides what its last step bootstraps from.
public enum SegmentEnd: Equatable, Sendable {
    /// The episode goes on: bootstrap from the value of the next observation.
    case running
    /// The last step reached a terminal state: bootstrap from 0.
    case terminated
    /// The last step was cut by the time limit: bootstrap from the value of the final observation
    /// (not a terminal state; see `rolloutStep`), or from 0 when truncations are treated as terminal.
    case truncated
}

/// n-step targets of Algorithm S2 (n-step Q) and S3 (A3C), backwards from the bootstrap:
/// `R ← bootstrap;  for i = n−1 … 0:  R ← r_i + γ·R;  target_i = R`.
///
/// `bootstrap` is `max_a Q(s_n, a; θ⁻)` (n-step Q) or `V(s_n; θ′)` (A3C) when the segment ends
/// running or truncated, and 0 when it ends terminated (the caller passes 0 then).
/// This is `nStepReturns` with every mask 1 (a segment never crosses an episode boundary).
public func nStepTargets(r_i: [Double], bootstrap: Double, gamma: Double) -> [Double] {
    nStepReturns(r_t: r_i, mask_t: [Double](repeating: 1, count: r_i.count), gamma: gamma, bootstrap: bootstrap)
}

/// One-step targets of Algorithm 1 (one-step Q) and one-step Sarsa:
/// `y_i = r_i + γ·next_i`, with `next_i` the target network's value of the next state —
/// `max_a' Q(s_{i+1}, a'; θ⁻)` for Q-learning, `Q(s_{i+1}, a_{i+1}; θ⁻)` for Sarsa (the action
/// actually taken next) — and `y_i = r_i` when step `i` reached a terminal state (`terminal_i`).
public func oneStepTargets(r_i: [Double], terminal_i: [Bool], next_i: [Double], gamma: Double) -> [Double] {
    precondition(r_i.count == terminal_i.count && r_i.count == next_i.count, "oneStepTargets: inputs differ in length")
    return r_i.indices.map { terminal_i[$0] ? r_i[$0] : r_i[$0] + gamma * next_i[$0] }
}

/// The paper's exploration schedule for the Q methods: ε anneals linearly from 1 to the learner's
/// final ε over its first `annealSteps` environment steps, then stays there.
/// `epsilon(t: 0, …) = 1`; `epsilon(t: annealSteps, …) = final`.
public func epsilon(t: Int64, final: Double, annealSteps: Int64) -> Double {
    guard annealSteps > 0 else { return final }
    let f = min(1, Double(t) / Double(annealSteps))
    return 1 - (1 - final) * f
}

/// Each actor-learner's final ε, drawn once from {0.1, 0.01, 0.5} with probabilities
/// {0.4, 0.3, 0.3} (the paper's Section 5.1), from a uniform `u` in [0, 1).
public func sampleFinalEpsilon(u: Double) -> Double {
    precondition(u >= 0 && u < 1, "u must be in [0, 1), got \(u)")
    return u < 0.4 ? 0.1 : (u < 0.7 ? 0.01 : 0.5)
}

/// The probabilities `epsilonGreedy` draws its action with: `π(a) = ε/n + (1 − ε)·1[a = argmax_a′ Q(a′)]`
/// (the first action of highest value), written into `p`; returns `max_a Q(a)`.
@discardableResult
public func epsilonGreedyProbabilities(_ q: UnsafePointer<Float>, _ nA: Int, epsilon: Double, into p: UnsafeMutablePointer<Float>) -> Float {
    let best = Categorical.argmax(q, nA)
    for a in 0..<nA { p[a] = Float(epsilon / Double(nA) + (a == best ? 1 - epsilon : 0)) }
    return q[best]
}

/// ε-greedy: with probability ε a uniformly random action, else the first action of highest value.
/// Draws two uniforms from `rng` every call (so the stream does not depend on ε).
public func epsilonGreedy(_ q: UnsafePointer<Float>, _ nA: Int, epsilon: Double, rng: inout RNG) -> Int {
    let explore = rng.uniform() < epsilon
    let random = rng.int(below: nA)
    return explore ? random : Categorical.argmax(q, nA)
}

/// Gradient of the Q methods' loss `Σ_i (y_i − Q(s_i, a_i))²` with respect to the Q outputs of each
/// row: `∂/∂Q(s_i, a) = 2(Q(s_i, a_i) − y_i)` for `a = a_i`, 0 for the other actions. Returns the
/// loss. `dq` has `n × nA` entries (overwritten).
public func qLossGradient(q: UnsafePointer<Float>, nA: Int, actions: [Int32], targets: [Double], dq: UnsafeMutablePointer<Float>) -> Double {
    precondition(actions.count == targets.count)
    var loss = 0.0
    for i in 0..<actions.count {
        let a = Int(actions[i])
        for j in 0..<nA { dq[i * nA + j] = 0 }
        let e = Double(q[i * nA + a]) - targets[i]
        loss += e * e
        dq[i * nA + a] = Float(2 * e)
    }
    return loss
}
