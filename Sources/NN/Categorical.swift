
/// A categorical distribution head over `n` actions, parameterised by logits `z`:
/// `π = softmax(z)`, `log π = z − logsumexp(z)`, entropy `H = −Σ π log π`.
///
/// All functions work on one row of logits; callers loop over the batch. Exponentials and
/// logarithms come from `DetMath`, so probabilities are the same bits on every CPU.
public enum Categorical {
    /// Writes `log π` for the logits `z[0..<n]` into `logp` (max-shifted for stability).
    @inline(__always)
    public static func logSoftmax(_ z: UnsafePointer<Float>, _ n: Int, into logp: UnsafeMutablePointer<Float>) {
        var m = z[0]
        for i in 1..<n { m = max(m, z[i]) }
        var s: Float = 0
        for i in 0..<n { s += DetMath.expf(z[i] - m) }
        let ls = DetMath.logf(s)
        for i in 0..<n { logp[i] = (z[i] - m) - ls }
    }

    /// `π = exp(log π)` into `p`: compute once, then pass to the `probabilities:` forms below.
    @inline(__always)
    public static func probabilities(_ logp: UnsafePointer<Float>, _ n: Int, into p: UnsafeMutablePointer<Float>) {
        for i in 0..<n { p[i] = DetMath.expf(logp[i]) }
    }

    /// Entropy `H = −Σ π log π` from log-probabilities.
    @inline(__always)
    public static func entropy(_ logp: UnsafePointer<Float>, _ n: Int) -> Float {
        var h: Float = 0
        for i in 0..<n { h -= DetMath.expf(logp[i]) * logp[i] }
        return h
    }

    /// Entropy from log-probabilities and the matching probabilities.
    @inline(__always)
    public static func entropy(_ logp: UnsafePointer<Float>, probabilities p: UnsafePointer<Float>, _ n: Int) -> Float {
        var h: Float = 0
        for i in 0..<n { h -= p[i] * logp[i] }
        return h
    }

    /// Draws an action by inverting the CDF of `π = exp(logp)` at one uniform `u ∈ [0, 1)`.
    @inline(__always)
    public static func sample(_ logp: UnsafePointer<Float>, _ n: Int, u: Float) -> Int {
        var c: Float = 0
        for i in 0..<(n - 1) {
            c += DetMath.expf(logp[i])
            if u < c { return i }
        }
        return n - 1
    }

    /// The most probable action (lowest index on ties): greedy evaluation.
    @inline(__always)
    public static func argmax(_ z: UnsafePointer<Float>, _ n: Int) -> Int {
        var best = 0
        for i in 1..<n where z[i] > z[best] { best = i }
        return best
    }

    /// `∂H/∂z_j = −π_j (log π_j + H)`, added (times `scale`) into `dz`.
    @inline(__always)
    public static func addEntropyGradient(_ logp: UnsafePointer<Float>, _ n: Int, scale: Float, into dz: UnsafeMutablePointer<Float>) {
        let h = entropy(logp, n)
        for j in 0..<n { dz[j] += scale * (-DetMath.expf(logp[j]) * (logp[j] + h)) }
    }

    /// The same from precomputed probabilities `p` and entropy `h` (identical results, fewer exps).
    @inline(__always)
    public static func addEntropyGradient(_ logp: UnsafePointer<Float>, probabilities p: UnsafePointer<Float>, entropy h: Float,
                                          _ n: Int, scale: Float, into dz: UnsafeMutablePointer<Float>) {
        for j in 0..<n { dz[j] += scale * (-p[j] * (logp[j] + h)) }
    }

    /// `∂(−log π_a)/∂z_j = π_j − 1[j = a]`, added (times `scale`) into `dz`.
    @inline(__always)
    public static func addNegLogProbGradient(_ logp: UnsafePointer<Float>, _ n: Int, action: Int, scale: Float, into dz: UnsafeMutablePointer<Float>) {
        for j in 0..<n { dz[j] += scale * (DetMath.expf(logp[j]) - (j == action ? 1 : 0)) }
    }

    /// The same from precomputed probabilities `p`.
    @inline(__always)
    public static func addNegLogProbGradient(probabilities p: UnsafePointer<Float>, _ n: Int, action: Int, scale: Float, into dz: UnsafeMutablePointer<Float>) {
        for j in 0..<n { dz[j] += scale * (p[j] - (j == action ? 1 : 0)) }
    }
}
