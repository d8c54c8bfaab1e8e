import NN

/// The PPO-clip loss of one minibatch of `B` samples (ALGORITHMS.md §6; Schulman et al. 2017, as
/// Stable-Baselines3 computes it) and its gradients with respect to the policy statistics and the
/// value predictions:
///
///     ratio_b = exp(log π(a_b|φ_b) − log π_old(a_b))
///     policy_gradient_loss = −mean_b min(ratio_b·A_b, clip(ratio_b, 1 − ε, 1 + ε)·A_b)
///     V'_b = V_b                                         (no value clipping)
///          = V_old,b + clip(V_b − V_old,b, −ε_v, ε_v)   (value clipping, SB3's `clip_range_vf`)
///     value_loss = mean_b (R_b − V'_b)²
///     entropy_loss = −mean_b H(π(·|φ_b))
///     loss = policy_gradient_loss + ent_coef·entropy_loss + vf_coef·value_loss
///
/// with `A` (already normalised if wanted), `R`, `V_old` and `log π_old` held fixed. The gradient of
/// the clipped term: `∂/∂log π = −ratio·A/B` where the unclipped term is the minimum
/// (`ratio·A ≤ clip(ratio)·A`, which includes every ratio inside the range), 0 elsewhere;
/// `∂value_loss/∂V_b = 2(V'_b − R_b)/B` where `|V_b − V_old,b| ≤ ε_v` (or always without clipping).
///
/// Also returns SB3's diagnostics: `approx_kl = mean_b((ratio_b − 1) − log ratio_b)` and
/// `clip_fraction = mean_b 1[|ratio_b − 1| > ε]`.
///
/// - Parameters:
///   - stats: the current policy's statistics, `B × dist.statisticsCount` (row stride `statsStride`).
///   - dStats: `∂loss/∂φ` rows (overwritten), same layout as `stats`.
///   - dValues: `∂loss/∂V_b` (overwritten), including `vf_coef`.
public func ppoLossGradients(dist: PolicyDistribution, stats: UnsafePointer<Float>, actions: UnsafePointer<Float>,
                             oldLogProbs: UnsafePointer<Float>, advantages: UnsafePointer<Float>, returns: UnsafePointer<Float>,
                             values: UnsafePointer<Float>, oldValues: UnsafePointer<Float>, count B: Int,
                             clipRange eps: Float, clipRangeVF: Float?, entCoef: Float, vfCoef: Float,
                             dStats: UnsafeMutablePointer<Float>, dValues: UnsafeMutablePointer<Float>)
    -> (policyLoss: Double, valueLoss: Double, entropyLoss: Double, approxKL: Double, clipFraction: Double) {
    let S = dist.statisticsCount, A = dist.actionDimension
    let invB = 1 / Float(B)
    var pg = 0.0, vf = 0.0, ent = 0.0, kl = 0.0, clipped = 0
    for b in 0..<B {
        let phi = stats + b * S, a = actions + b * A, dphi = dStats + b * S
        let logRatio = dist.logProb(phi, action: a) - oldLogProbs[b]
        let ratio = DetMath.expf(logRatio)
        let adv = advantages[b]
        let unclipped = ratio * adv, clippedTerm = min(max(ratio, 1 - eps), 1 + eps) * adv
        pg -= Double(min(unclipped, clippedTerm))
        kl += Double((ratio - 1) - logRatio)
        if abs(ratio - 1) > eps { clipped += 1 }
        for j in 0..<S { dphi[j] = 0 }
        if unclipped <= clippedTerm { dist.addLogProbGradient(phi, action: a, scale: -ratio * adv * invB, into: dphi) }
        ent += Double(dist.entropy(phi))
        if entCoef != 0 { dist.addEntropyGradient(phi, scale: -entCoef * invB, into: dphi) }
        let v = values[b], vOld = oldValues[b]
        var pred = v, live = true
        if let c = clipRangeVF {
            let d = v - vOld
            pred = vOld + min(max(d, -c), c)
            live = d >= -c && d <= c
        }
        let e = pred - returns[b]
        vf += Double(e * e)
        dValues[b] = live ? vfCoef * 2 * e * invB : 0
    }
    let n = Double(B)
    return (pg / n, vf / n, -ent / n, kl / n, Double(clipped) / n)
}

/// Fisher–Yates shuffle of `a` in place with `rng` (from the last position down, swapping with a
/// uniform index at or below it): every permutation equally likely. PPO's minibatch order.
public func shuffle(_ a: inout [Int], rng: inout RNG) {
    for i in stride(from: a.count - 1, to: 0, by: -1) { a.swapAt(i, rng.int(below: i + 1)) }
}

/// Normalises `x[0..<n]` in place to mean 0 and standard deviation 1 (SB3's advantage
/// normalisation: `(x − mean)/(std + 1e-8)`, `std` with Bessel's correction), accumulating in
/// Double in index order. Leaves a single value unchanged (SB3 skips normalisation for n = 1).
public func normalizeAdvantages(_ x: UnsafeMutablePointer<Float>, _ n: Int) {
    guard n > 1 else { return }
    var s = 0.0
    for i in 0..<n { s += Double(x[i]) }
    let mean = s / Double(n)
    var ss = 0.0
    for i in 0..<n { let d = Double(x[i]) - mean; ss += d * d }
    let std = (ss / Double(n - 1)).squareRoot()
    let m = Float(mean), inv = Float(1 / (std + 1e-8))
    for i in 0..<n { x[i] = (x[i] - m) * inv }
}
