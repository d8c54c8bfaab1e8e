/// A diagonal Gaussian policy over `k` real action components with statistics
/// `φ = (μ_0 … μ_{k−1}, log σ_0 … log σ_{k−1})` (one row of `2k` Floats: the mean from the network,
/// the log standard deviation a learned state-independent parameter, as seed 003's
/// `nn.Parameter(torch.ones(1, n) * std)`).
///
/// Every function works on one row; callers loop over the batch. Exponentials and logarithms come
/// from `DetMath`, so the bits are the same on every CPU. Gradients are with respect to the
/// statistics `φ` (∂/∂μ in the first `k` slots, ∂/∂log σ in the last `k`).
public enum DiagGaussian {
    /// `½·log 2π`.
    public static let halfLog2Pi: Float = 0.918_938_5

    /// `log f(x|φ) = Σ_j [−(x_j − μ_j)²/(2σ_j²) − log σ_j − ½ log 2π]`.
    @inline(__always)
    public static func logProb(_ phi: UnsafePointer<Float>, _ k: Int, action x: UnsafePointer<Float>) -> Float {
        var s: Float = 0
        for j in 0..<k {
            let ls = phi[k + j], z = (x[j] - phi[j]) * DetMath.expf(-ls)
            s += -0.5 * z * z - ls - halfLog2Pi
        }
        return s
    }

    /// Entropy `H = Σ_j [log σ_j + ½(1 + log 2π)]`.
    @inline(__always)
    public static func entropy(_ phi: UnsafePointer<Float>, _ k: Int) -> Float {
        var s: Float = 0
        for j in 0..<k { s += phi[k + j] + 0.5 + halfLog2Pi }
        return s
    }

    /// `KL(p ‖ q) = Σ_j [log σ_qj − log σ_pj + (σ_pj² + (μ_pj − μ_qj)²)/(2σ_qj²) − ½]`.
    @inline(__always)
    public static func kl(_ p: UnsafePointer<Float>, _ q: UnsafePointer<Float>, _ k: Int) -> Float {
        var s: Float = 0
        for j in 0..<k {
            let lp = p[k + j], lq = q[k + j], d = p[j] - q[j]
            let iq2 = DetMath.expf(-2 * lq)
            s += lq - lp + (DetMath.expf(2 * lp) + d * d) * 0.5 * iq2 - 0.5
        }
        return s
    }

    /// `x_j = μ_j + σ_j·ε_j`, `ε_j ~ N(0, 1)` from `rng` (k normals, in component order).
    @inline(__always)
    public static func sample(_ phi: UnsafePointer<Float>, _ k: Int, rng: inout RNG, into x: UnsafeMutablePointer<Float>) {
        for j in 0..<k { x[j] = phi[j] + DetMath.expf(phi[k + j]) * Float(rng.normal()) }
    }

    /// `∂ log f(x|φ)/∂φ`, times `scale`, added into `dphi`:
    /// `∂/∂μ_j = (x_j − μ_j)/σ_j²`, `∂/∂log σ_j = (x_j − μ_j)²/σ_j² − 1`.
    @inline(__always)
    public static func addLogProbGradient(_ phi: UnsafePointer<Float>, _ k: Int, action x: UnsafePointer<Float>, scale: Float,
                                          into dphi: UnsafeMutablePointer<Float>) {
        for j in 0..<k {
            let is2 = DetMath.expf(-2 * phi[k + j]), d = x[j] - phi[j]
            dphi[j] += scale * d * is2
            dphi[k + j] += scale * (d * d * is2 - 1)
        }
    }

    /// `∂H/∂φ` (1 for each log σ_j, 0 for the means), times `scale`, added into `dphi`.
    @inline(__always)
    public static func addEntropyGradient(_ k: Int, scale: Float, into dphi: UnsafeMutablePointer<Float>) {
        for j in 0..<k { dphi[k + j] += scale }
    }

    /// `∂ KL(p ‖ q)/∂q`, times `scale`, added into `dq`:
    /// `∂/∂μ_qj = (μ_qj − μ_pj)/σ_qj²`, `∂/∂log σ_qj = 1 − (σ_pj² + (μ_pj − μ_qj)²)/σ_qj²`.
    @inline(__always)
    public static func addKLGradientSecond(_ p: UnsafePointer<Float>, _ q: UnsafePointer<Float>, _ k: Int, scale: Float,
                                           into dq: UnsafeMutablePointer<Float>) {
        for j in 0..<k {
            let iq2 = DetMath.expf(-2 * q[k + j]), d = p[j] - q[j]
            dq[j] += scale * (-d * iq2)
            dq[k + j] += scale * (1 - (DetMath.expf(2 * p[k + j]) + d * d) * iq2)
        }
    }

    /// `∂ KL(p ‖ q)/∂p`, times `scale`, added into `dp`:
    /// `∂/∂μ_pj = (μ_pj − μ_qj)/σ_qj²`, `∂/∂log σ_pj = σ_pj²/σ_qj² − 1`.
    @inline(__always)
    public static func addKLGradientFirst(_ p: UnsafePointer<Float>, _ q: UnsafePointer<Float>, _ k: Int, scale: Float,
                                          into dp: UnsafeMutablePointer<Float>) {
        for j in 0..<k {
            let iq2 = DetMath.expf(-2 * q[k + j]), d = p[j] - q[j]
            dp[j] += scale * d * iq2
            dp[k + j] += scale * (DetMath.expf(2 * p[k + j]) * iq2 - 1)
        }
    }
}

/// The policy-distribution seam: what an algorithm needs from its policy, whatever the action
/// space, over one row of *statistics* — what buffers store for the behaviour policy μ:
///
/// - `categorical(n)`: the `n` log-probabilities `log π` (log-softmax of the logits; gradients are
///   with respect to the logits, which log π is one choice of). Actions are one Float, the index.
/// - `gaussian(k)`: `(μ, log σ)`, `2k` Floats (`DiagGaussian`); actions are `k` Floats.
///
/// ```swift
/// let d = PolicyDistribution.gaussian(1)
/// var phi: [Float] = [0.3, -0.5], a: [Float] = [0]
/// d.sample(phi, rng: &rng, into: &a)
/// let lp = d.logProb(phi, action: a)
/// ```
public enum PolicyDistribution: Equatable, Sendable {
    case categorical(Int)
    case gaussian(Int)

    /// Floats per row of statistics (n, or 2k).
    public var statisticsCount: Int {
        switch self { case .categorical(let n): return n; case .gaussian(let k): return 2 * k }
    }
    /// Floats per action (1, or k).
    public var actionDimension: Int {
        switch self { case .categorical: return 1; case .gaussian(let k): return k }
    }
    /// Network outputs that parameterise one row (n logits, or k means: log σ is not an output).
    public var networkOutputs: Int {
        switch self { case .categorical(let n): return n; case .gaussian(let k): return k }
    }
    public var isContinuous: Bool { if case .gaussian = self { return true } else { return false } }

    /// `log π(a|φ)`.
    @inline(__always)
    public func logProb(_ phi: UnsafePointer<Float>, action a: UnsafePointer<Float>) -> Float {
        switch self {
        case .categorical: return phi[Int(a[0])]
        case .gaussian(let k): return DiagGaussian.logProb(phi, k, action: a)
        }
    }

    /// Entropy `H(π(·|φ))`.
    @inline(__always)
    public func entropy(_ phi: UnsafePointer<Float>) -> Float {
        switch self {
        case .categorical(let n): return Categorical.entropy(phi, n)
        case .gaussian(let k): return DiagGaussian.entropy(phi, k)
        }
    }

    /// `KL(p ‖ q)`; categorical: `Σ_j π_pj (log π_pj − log π_qj)`.
    @inline(__always)
    public func kl(_ p: UnsafePointer<Float>, _ q: UnsafePointer<Float>) -> Float {
        switch self {
        case .categorical(let n):
            var s: Float = 0
            for j in 0..<n { s += DetMath.expf(p[j]) * (p[j] - q[j]) }
            return s
        case .gaussian(let k): return DiagGaussian.kl(p, q, k)
        }
    }

    /// Draws an action from `rng` (categorical: one uniform; Gaussian: k normals).
    @inline(__always)
    public func sample(_ phi: UnsafePointer<Float>, rng: inout RNG, into a: UnsafeMutablePointer<Float>) {
        switch self {
        case .categorical(let n): a[0] = Float(Categorical.sample(phi, n, u: rng.uniformFloat()))
        case .gaussian(let k): DiagGaussian.sample(phi, k, rng: &rng, into: a)
        }
    }

    /// The most probable action: argmax (lowest index on ties), or the mean.
    @inline(__always)
    public func mode(_ phi: UnsafePointer<Float>, into a: UnsafeMutablePointer<Float>) {
        switch self {
        case .categorical(let n): a[0] = Float(Categorical.argmax(phi, n))
        case .gaussian(let k): a.update(from: phi, count: k)
        }
    }

    /// `∂ log π(a|φ)/∂φ`, times `scale`, added into `dphi` (categorical: `1[j = a] − π_j`).
    @inline(__always)
    public func addLogProbGradient(_ phi: UnsafePointer<Float>, action a: UnsafePointer<Float>, scale: Float, into dphi: UnsafeMutablePointer<Float>) {
        switch self {
        case .categorical(let n): Categorical.addNegLogProbGradient(phi, n, action: Int(a[0]), scale: -scale, into: dphi)
        case .gaussian(let k): DiagGaussian.addLogProbGradient(phi, k, action: a, scale: scale, into: dphi)
        }
    }

    /// `∂H/∂φ`, times `scale`, added into `dphi` (categorical: `−π_j (log π_j + H)`).
    @inline(__always)
    public func addEntropyGradient(_ phi: UnsafePointer<Float>, scale: Float, into dphi: UnsafeMutablePointer<Float>) {
        switch self {
        case .categorical(let n): Categorical.addEntropyGradient(phi, n, scale: scale, into: dphi)
        case .gaussian(let k): DiagGaussian.addEntropyGradient(k, scale: scale, into: dphi)
        }
    }

    /// `∂ KL(p ‖ q)/∂q`, times `scale`, added into `dq` (categorical: `π_qj − π_pj`).
    @inline(__always)
    public func addKLGradientSecond(_ p: UnsafePointer<Float>, _ q: UnsafePointer<Float>, scale: Float, into dq: UnsafeMutablePointer<Float>) {
        switch self {
        case .categorical(let n):
            for j in 0..<n { dq[j] += scale * (DetMath.expf(q[j]) - DetMath.expf(p[j])) }
        case .gaussian(let k): DiagGaussian.addKLGradientSecond(p, q, k, scale: scale, into: dq)
        }
    }

    /// `∂ KL(p ‖ q)/∂p`, times `scale`, added into `dp` (categorical: `π_pj (log π_pj − log π_qj − KL)`).
    @inline(__always)
    public func addKLGradientFirst(_ p: UnsafePointer<Float>, _ q: UnsafePointer<Float>, scale: Float, into dp: UnsafeMutablePointer<Float>) {
        switch self {
        case .categorical(let n):
            let d = kl(p, q)
            for j in 0..<n { dp[j] += scale * DetMath.expf(p[j]) * (p[j] - q[j] - d) }
        case .gaussian(let k): DiagGaussian.addKLGradientFirst(p, q, k, scale: scale, into: dp)
        }
    }

    /// Writes one row of statistics from the network's outputs `y` (n logits, or k means) and, for
    /// the Gaussian, the shared `logStd` (k values).
    @inline(__always)
    public func statistics(outputs y: UnsafePointer<Float>, logStd: UnsafePointer<Float>?, into phi: UnsafeMutablePointer<Float>) {
        switch self {
        case .categorical(let n): Categorical.logSoftmax(y, n, into: phi)
        case .gaussian(let k):
            phi.update(from: y, count: k)
            (phi + k).update(from: logStd!, count: k)
        }
    }
}
