import CKernels
/// Hidden-layer nonlinearity of an `MLP`.
public enum Activation: String, Sendable, CaseIterable, Codable {
    case tanh, relu
    /// No nonlinearity (seed 003's LayerNorm MLP: Linear → LayerNorm → Linear → …).
    case identity
}

/// A multilayer perceptron over a flat parameter vector: Dense → act → … → Dense (linear output).
///
/// The parameters are not stored here: the network is a *shape* (layer sizes, activation) plus the
/// offsets of each weight matrix and bias inside a flat `[Float]` the caller owns. That one flat
/// vector is what optimizers update, what checkpoints store, and what actor-learner threads share.
///
/// Layout, layer `l` (inputs `n_in`, outputs `n_out`): weights `W_l` row-major `n_in × n_out`
/// (so `y = x W + b` with batch-major rows), then bias `b_l`.
///
/// ```swift
/// let net = MLP(sizes: [4, 64, 64, 2], activation: .tanh)
/// var params = [Float](repeating: 0, count: net.parameterCount)
/// net.initialize(&params, offset: 0, rng: &rng, hiddenGain: 2.squareRoot(), outputGain: 0.01)
/// let ws = MLPWorkspace(net, capacity: 40)
/// ```
public struct MLP: Sendable, Equatable {
    public let sizes: [Int]
    public let activation: Activation
    public let weightOffsets: [Int]
    public let biasOffsets: [Int]
    /// Layer normalisation after every hidden dense layer, before its activation (Ba et al. 2016,
    /// PyTorch's `nn.LayerNorm(n)`: per row `x̂ = (y − mean)/sqrt(var + 1e-5)` with the biased
    /// variance, then `γ·x̂ + β`, γ and β learned per unit). Seed 003's network.
    public let layerNorm: Bool
    /// With `layerNorm`: where hidden layer `l`'s γ starts (β follows it), right after its bias.
    public let normOffsets: [Int]
    public let parameterCount: Int
    /// LayerNorm's ε (PyTorch's default).
    public static let layerNormEpsilon: Float = 1e-5

    public init(sizes: [Int], activation: Activation, layerNorm: Bool = false) {
        precondition(sizes.count >= 2 && sizes.allSatisfy { $0 > 0 }, "MLP sizes must be ≥ 2 positive numbers, got \(sizes)")
        self.sizes = sizes
        self.activation = activation
        self.layerNorm = layerNorm
        var w: [Int] = [], b: [Int] = [], g: [Int] = [], off = 0
        for l in 0..<(sizes.count - 1) {
            w.append(off); off += sizes[l] * sizes[l + 1]
            b.append(off); off += sizes[l + 1]
            if layerNorm && l < sizes.count - 2 { g.append(off); off += 2 * sizes[l + 1] }
        }
        weightOffsets = w; biasOffsets = b; normOffsets = g; parameterCount = off
    }

    public var layerCount: Int { sizes.count - 1 }
    public var inputSize: Int { sizes[0] }
    public var outputSize: Int { sizes[sizes.count - 1] }

    /// Orthogonal initialisation (Saxe et al. 2014, as in OpenAI baselines and SB3): each weight
    /// matrix is a random orthonormal matrix times `hiddenGain` (hidden layers) or `outputGain` (the
    /// last layer); biases are zero.
    public func initialize(_ params: inout [Float], offset: Int, rng: inout RNG, hiddenGain: Double, outputGain: Double) {
        for l in 0..<layerCount {
            let gain = l == layerCount - 1 ? outputGain : hiddenGain
            let w = orthogonalMatrix(rows: sizes[l], cols: sizes[l + 1], gain: gain, rng: &rng)
            for i in 0..<w.count { params[offset + weightOffsets[l] + i] = w[i] }
            for i in 0..<sizes[l + 1] { params[offset + biasOffsets[l] + i] = 0 }
            if layerNorm && l < layerCount - 1 {   // γ = 1, β = 0 (PyTorch's init)
                for i in 0..<sizes[l + 1] { params[offset + normOffsets[l] + i] = 1; params[offset + normOffsets[l] + sizes[l + 1] + i] = 0 }
            }
        }
    }

    /// Forward pass for `batch` rows of `input` (batch × inputSize). Writes every layer's output into
    /// `ws` (kept for `backward`) and returns a pointer to the output (batch × outputSize).
    @discardableResult
    public func forward(_ p: UnsafePointer<Float>, _ input: UnsafePointer<Float>, batch: Int, _ ws: MLPWorkspace) -> UnsafeMutablePointer<Float> {
        forward(p, input, rows: 0..<batch, ws)
        return ws.output
    }

    /// Forward pass for rows `rows` of `input` only (row `r` of the input ↦ row `r` of every layer's
    /// output in `ws`). A rollout fills a workspace chunk by chunk this way, and a later `backward`
    /// over rows `0..<rows.upperBound` reuses those activations instead of recomputing them (valid
    /// while the parameters have not changed). Other rows of `ws` are left as they are.
    public func forward(_ p: UnsafePointer<Float>, _ input: UnsafePointer<Float>, rows: Range<Int>, _ ws: MLPWorkspace) {
        precondition(rows.upperBound <= ws.capacity, "rows \(rows) exceed workspace capacity \(ws.capacity)")
        ws.input = input
        ws.batch = rows.upperBound
        let batch = rows.count, r0 = rows.lowerBound
        var x = input + r0 * sizes[0]
        for l in 0..<layerCount {
            let nIn = sizes[l], nOut = sizes[l + 1]
            let y = ws.outputs[l] + r0 * nOut
            let bias = p + biasOffsets[l]
            for r in 0..<batch { (y + r * nOut).update(from: bias, count: nOut) }
            gemmAccumulate(batch, nOut, nIn, x, p + weightOffsets[l], y)
            if l < layerCount - 1 {
                if layerNorm { normalize(p, l, y, rows: batch, firstRow: r0, ws) }
                let n = batch * nOut
                switch activation {
                case .tanh: rlexp_tanh_inplace(n, y)   // = fastTanh on every element (CKernels)
                case .relu: rlexp_relu_inplace(n, y)
                case .identity: break
                }
            }
            x = UnsafePointer(y)
        }
    }

    /// LayerNorm of hidden layer `l` in place on `rows` rows at `y` (workspace rows from `firstRow`),
    /// keeping `x̂` and `1/σ` for `backward`. Sums run in index order in Float: the same bits everywhere.
    @inline(__always)
    func normalize(_ p: UnsafePointer<Float>, _ l: Int, _ y: UnsafeMutablePointer<Float>, rows: Int, firstRow r0: Int, _ ws: MLPWorkspace) {
        let n = sizes[l + 1], gamma = p + normOffsets[l], beta = gamma + n
        let xhat = ws.normalized[l] + r0 * n, inv = ws.inverseStd[l] + r0
        for r in 0..<rows {
            let row = y + r * n, xh = xhat + r * n
            var mean: Float = 0
            for j in 0..<n { mean += row[j] }
            mean /= Float(n)
            var variance: Float = 0
            for j in 0..<n { let d = row[j] - mean; variance += d * d }
            variance /= Float(n)
            let is_ = 1 / (variance + MLP.layerNormEpsilon).squareRoot()
            inv[r] = is_
            for j in 0..<n {
                xh[j] = (row[j] - mean) * is_
                row[j] = gamma[j] * xh[j] + beta[j]
            }
        }
    }

    /// Backward through hidden layer `l`'s LayerNorm: `dz` (∂L/∂ its output, `batch` rows) becomes
    /// ∂L/∂ its input `y`, `∂y = (1/σ)·(∂x̂ − mean(∂x̂) − x̂·mean(∂x̂·x̂))` with `∂x̂ = γ·dz`;
    /// accumulates `∂γ += Σ_rows dz·x̂`, `∂β += Σ_rows dz`.
    @inline(__always)
    func normalizeBackward(_ p: UnsafePointer<Float>, _ l: Int, _ dz: UnsafeMutablePointer<Float>, batch: Int, _ ws: MLPWorkspace,
                           grad: UnsafeMutablePointer<Float>) {
        let n = sizes[l + 1], gamma = p + normOffsets[l]
        let gGamma = grad + normOffsets[l], gBeta = gGamma + n
        for r in 0..<batch {
            let d = dz + r * n, xh = ws.normalized[l] + r * n, inv = ws.inverseStd[l][r]
            var m1: Float = 0, m2: Float = 0
            for j in 0..<n {
                gGamma[j] += d[j] * xh[j]
                gBeta[j] += d[j]
                let dxh = d[j] * gamma[j]
                m1 += dxh; m2 += dxh * xh[j]
            }
            m1 /= Float(n); m2 /= Float(n)
            for j in 0..<n { d[j] = inv * (d[j] * gamma[j] - m1 - xh[j] * m2) }
        }
    }

    /// Backward pass for the batch last given to `forward` with this workspace: accumulates
    /// `∂L/∂params` into `grad` (same layout as the parameters) given `dOutput = ∂L/∂output`
    /// (batch × outputSize), and writes `∂L/∂input` into `dInput` when it is not nil.
    ///
    /// `input` must be the input given to `forward`; pass it again when the pointer `forward` saw
    /// came from a `withUnsafeBufferPointer` scope that has ended (the default reuses that pointer).
    public func backward(_ p: UnsafePointer<Float>, _ ws: MLPWorkspace, dOutput: UnsafePointer<Float>,
                         grad: UnsafeMutablePointer<Float>, dInput: UnsafeMutablePointer<Float>? = nil,
                         input: UnsafePointer<Float>? = nil) {
        let batch = ws.batch
        guard let input = input ?? ws.input else { preconditionFailure("backward before forward") }
        var dy = UnsafeMutablePointer(mutating: dOutput)
        for l in stride(from: layerCount - 1, through: 0, by: -1) {
            let nIn = sizes[l], nOut = sizes[l + 1]
            let x: UnsafePointer<Float> = l == 0 ? input : UnsafePointer(ws.outputs[l - 1])
            // bias and weight gradients
            rlexp_add_rows(batch, nOut, dy, grad + biasOffsets[l])   // Σ over rows, in row order (CKernels)
            gemmTransAAccumulate(batch, nOut, nIn, x, dy, grad + weightOffsets[l])
            // gradient w.r.t. this layer's input
            if l > 0 {
                let dx = ws.grads[l - 1]
                // dX = dY·Wᵀ as row-axpys over a transposed copy of W (faster than per-element dots)
                let w = p + weightOffsets[l], wt = ws.transposed
                rlexp_transpose(nIn, nOut, w, wt)
                dx.update(repeating: 0, count: batch * nIn)
                gemmAccumulate(batch, nIn, nOut, dy, wt, dx)
                let n = batch * nIn
                let a = ws.outputs[l - 1]
                switch activation {
                case .tanh: rlexp_tanh_backward(n, dx, a)   // dx[i] · (1 − a[i]²) (CKernels)
                case .relu: rlexp_relu_backward(n, dx, a)   // dx[i] = 0 where a[i] <= 0 (CKernels)
                case .identity: break
                }
                if layerNorm { normalizeBackward(p, l - 1, dx, batch: batch, ws, grad: grad) }
                dy = dx
            } else if let dInput {
                // the same row-axpys as above (a network's dense part after its convolutions needs this
                // ∂input; per-element dots are one latency-bound chain each)
                rlexp_transpose(nIn, nOut, p + weightOffsets[0], ws.transposed)
                dInput.update(repeating: 0, count: batch * nIn)
                gemmAccumulate(batch, nIn, nOut, dy, ws.transposed, dInput)
            }
        }
    }
}

/// Scratch memory for one `MLP` at up to `capacity` rows: each layer's outputs (post-activation)
/// and the gradients w.r.t. them. Allocate once, reuse every step (nothing is allocated on the hot path).
public final class MLPWorkspace {
    public let capacity: Int
    public internal(set) var outputs: [UnsafeMutablePointer<Float>]
    var grads: [UnsafeMutablePointer<Float>]
    var input: UnsafePointer<Float>?
    /// Scratch for a transposed weight matrix (the largest layer's).
    let transposed: UnsafeMutablePointer<Float>
    /// With LayerNorm: each hidden layer's x̂ and 1/σ per row (empty otherwise).
    var normalized: [UnsafeMutablePointer<Float>] = [], inverseStd: [UnsafeMutablePointer<Float>] = []
    public internal(set) var batch = 0

    public init(_ net: MLP, capacity: Int) {
        self.capacity = capacity
        outputs = net.sizes.dropFirst().map { n in
            let p = UnsafeMutablePointer<Float>.allocate(capacity: n * capacity); p.initialize(repeating: 0, count: n * capacity); return p
        }
        grads = net.sizes.dropFirst().map { n in
            let p = UnsafeMutablePointer<Float>.allocate(capacity: n * capacity); p.initialize(repeating: 0, count: n * capacity); return p
        }
        let largest = zip(net.sizes, net.sizes.dropFirst()).map { $0 * $1 }.max() ?? 1
        transposed = .allocate(capacity: largest)
        transposed.initialize(repeating: 0, count: largest)
        if net.layerNorm {
            for l in 0..<(net.layerCount - 1) {
                let x = UnsafeMutablePointer<Float>.allocate(capacity: net.sizes[l + 1] * capacity); x.initialize(repeating: 0, count: net.sizes[l + 1] * capacity)
                let v = UnsafeMutablePointer<Float>.allocate(capacity: capacity); v.initialize(repeating: 0, count: capacity)
                normalized.append(x); inverseStd.append(v)
            }
        }
    }

    /// Output of the last layer for the last forward batch.
    public var output: UnsafeMutablePointer<Float> { outputs[outputs.count - 1] }

    deinit {
        outputs.forEach { $0.deallocate() }
        grads.forEach { $0.deallocate() }
        transposed.deallocate()
        normalized.forEach { $0.deallocate() }
        inverseStd.forEach { $0.deallocate() }
    }
}

/// A `rows × cols` row-major matrix with orthonormal rows or columns (whichever are fewer), times
/// `gain`: Gram–Schmidt (modified, in Double) on a standard-normal matrix.
public func orthogonalMatrix(rows: Int, cols: Int, gain: Double, rng: inout RNG) -> [Float] {
    let long = max(rows, cols), short = min(rows, cols)
    // q: `short` vectors of length `long`, orthonormalised.
    var q = [[Double]](repeating: [Double](repeating: 0, count: long), count: short)
    for j in 0..<short { for i in 0..<long { q[j][i] = rng.normal() } }
    for j in 0..<short {
        for k in 0..<j {
            var d = 0.0
            for i in 0..<long { d += q[j][i] * q[k][i] }
            for i in 0..<long { q[j][i] -= d * q[k][i] }
        }
        var norm = 0.0
        for i in 0..<long { norm += q[j][i] * q[j][i] }
        norm = norm.squareRoot()
        for i in 0..<long { q[j][i] /= norm }
    }
    var w = [Float](repeating: 0, count: rows * cols)
    for r in 0..<rows {
        for c in 0..<cols {
            // rows ≥ cols: columns are the orthonormal vectors; else rows are.
            w[r * cols + c] = Float(gain * (rows >= cols ? q[c][r] : q[r][c]))
        }
    }
    return w
}
