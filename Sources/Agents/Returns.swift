/// RL estimators as pure functions over 1-D sequences (index `t` runs forward in time).

/// n-step bootstrapped returns, computed backwards:
/// `R ← bootstrap;  for t = T−1 … 0:  R ← r_t + γ·mask_t·R;  G_t = R`.
///
/// - Parameters:
///   - r_t: rewards `r_0 … r_{T−1}`.
///   - mask_t: `0` where the episode ended at `t` (after reward `r_t`), else `1`.
///   - bootstrap: the value of the observation after step `T−1`, `V(x_T)`.
/// - Returns: `G_0 … G_{T−1}`.
public func nStepReturns(r_t: [Double], mask_t: [Double], gamma: Double, bootstrap: Double) -> [Double] {
    precondition(r_t.count == mask_t.count, "r_t and mask_t differ in length")
    var out = [Double](repeating: 0, count: r_t.count)
    var R = bootstrap
    for t in stride(from: r_t.count - 1, through: 0, by: -1) {
        R = r_t[t] + gamma * mask_t[t] * R
        out[t] = R
    }
    return out
}

/// What a rollout stores for one environment step: the reward, folded with the bootstrap when a time
/// limit cut the episode, and the mask that stops the return at an episode boundary.
///
/// | the step | reward stored | mask |
/// |---|---|---|
/// | ended in a terminal state | `r` | 0 |
/// | cut by the time limit, `bootstrapTruncation` | `r + γ·V(x_final)` (the episode would have gone on) | 0 |
/// | cut by the time limit, not `bootstrapTruncation` | `r` (treated as terminal, as OpenAI baselines) | 0 |
/// | neither | `r` | 1 |
///
/// The mask is 0 at every episode boundary because the next observation is the reset of a new
/// episode; the truncated episode's tail enters through the folded-in `γ·V(x_final)` instead
/// (Pardo et al. 2018, "Time Limits in Reinforcement Learning"). `finalValue` is called only then.
public func rolloutStep(reward r: Float, terminated: Bool, truncated: Bool, bootstrapTruncation: Bool,
                        gamma: Float, finalValue: () -> Float) -> (reward: Float, mask: Float) {
    if terminated { return (r, 0) }
    if truncated { return bootstrapTruncation ? (r + gamma * finalValue(), 0) : (r, 0) }
    return (r, 1)
}

/// Generalised advantage estimation (Schulman et al. 2016):
/// `δ_t = r_t + γ·mask_t·V(x_{t+1}) − V(x_t)`,  `A_t = δ_t + γλ·mask_t·A_{t+1}`.
///
/// | λ | reduces to |
/// |---|---|
/// | 1 | n-step return minus `V(x_t)` (`nStepReturns(...)[t] − v_t[t]`) |
/// | 0 | one-step TD error `δ_t` |
///
/// - Parameters:
///   - v_t: `V(x_0) … V(x_{T−1})`; `bootstrap` is `V(x_T)`.
/// - Returns: advantages `A_0 … A_{T−1}` (returns are `A_t + v_t`). Generic so that A2C runs it in
///   Float, the precision of its network outputs.
public func gae<F: BinaryFloatingPoint>(r_t: [F], mask_t: [F], v_t: [F], bootstrap: F, gamma: F, lambda: F) -> [F] {
    precondition(r_t.count == mask_t.count && r_t.count == v_t.count, "r_t, mask_t and v_t differ in length")
    var out = [F](repeating: 0, count: r_t.count)
    r_t.withUnsafeBufferPointer { r in mask_t.withUnsafeBufferPointer { m in v_t.withUnsafeBufferPointer { v in
        out.withUnsafeMutableBufferPointer { o in
            gae(count: r_t.count, stride: 1, r_t: r.baseAddress!, mask_t: m.baseAddress!, v_t: v.baseAddress!,
                bootstrap: bootstrap, gamma: gamma, lambda: lambda, into: o.baseAddress!)
        }
    } } }
    return out
}

/// `gae` over a sequence stored every `stride` elements (e.g. one environment copy of a time-major
/// batch), writing advantages at the same positions of `into`; no allocation.
@inline(__always)
public func gae<F: BinaryFloatingPoint>(count T: Int, stride: Int, r_t: UnsafePointer<F>, mask_t: UnsafePointer<F>, v_t: UnsafePointer<F>,
                                        bootstrap: F, gamma: F, lambda: F, into out: UnsafeMutablePointer<F>) {
    var A: F = 0
    for t in Swift.stride(from: T - 1, through: 0, by: -1) {
        let k = t * stride
        let vNext = t == T - 1 ? bootstrap : v_t[k + stride]
        let delta = r_t[k] + gamma * mask_t[k] * vNext - v_t[k]
        A = delta + gamma * lambda * mask_t[k] * A
        out[k] = A
    }
}

/// Explained variance `1 − Var[y − ŷ] / Var[y]` (as logged by baselines): 1 is a perfect fit,
/// 0 no better than a constant, negative worse; NaN when `Var[y] = 0`.
public func explainedVariance(predicted yHat: [Double], target y: [Double]) -> Double {
    precondition(y.count == yHat.count && !y.isEmpty)
    let n = Double(y.count)
    let my = y.reduce(0, +) / n
    var vy = 0.0
    for v in y { vy += (v - my) * (v - my) }
    let d = zip(y, yHat).map { $0 - $1 }
    let md = d.reduce(0, +) / n
    var vd = 0.0
    for v in d { vd += (v - md) * (v - md) }
    return vy == 0 ? .nan : 1 - vd / vy
}
