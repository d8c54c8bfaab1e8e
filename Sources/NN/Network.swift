import CKernels
/// How an image observation (or activation) is laid out in memory, row-major.
public enum ImageLayout: String, Sendable, Equatable {
    /// `[H][W][C]` (`[y][x][channel]`): MinAtar's grids as the environments write them, and every
    /// activation between and after conv layers.
    case channelsLast
    /// `[C][H][W]`: Gymnasium's Atari frame stacks (`AtariPreprocessing` + `FrameStackObservation`
    /// give `[4, 84, 84]`), PyTorch's layout.
    case channelsFirst
}

/// A 2-D convolution, `valid` padding: input `H × W × C` in `inputLayout`, output `[H'][W'][outC]`
/// (channels last) with `H' = (H − k)/stride + 1`. `Network` follows each one with ReLU.
///
/// Computed as im2col + the fixed-order dense kernels: each output position's `k·k·C` input patch
/// is copied into a row, so `Y = P·W + b` with `W` row-major `(k·k·C) × outC`, and `∂W += Pᵀ·∂Y`
/// accumulates over (sample, position) in increasing order — the same bits on every CPU, like the
/// dense layers. The order of a patch row (and so of `W`'s rows) follows the input's memory order:
///
/// | `inputLayout` | patch element of (ky, kx, c) | as in |
/// |---|---|---|
/// | `channelsLast` | `(ky·k + kx)·C + c` | MinAtar's network on `[y][x][c]` grids |
/// | `channelsFirst` | `(c·k + ky)·k + kx` | PyTorch's `Conv2d.weight[f].flatten()` |
public struct Conv2D: Sendable, Equatable {
    public let height: Int, width: Int, channels: Int
    public let filters: Int, kernel: Int, stride: Int
    public let inputLayout: ImageLayout

    public init(height: Int, width: Int, channels: Int, filters: Int, kernel: Int, stride: Int = 1,
                inputLayout: ImageLayout = .channelsLast) {
        precondition(height >= kernel && width >= kernel && kernel >= 1 && stride >= 1 && channels >= 1 && filters >= 1,
                     "a \(kernel)×\(kernel) convolution does not fit a \(height)×\(width)×\(channels) input")
        self.height = height; self.width = width; self.channels = channels
        self.filters = filters; self.kernel = kernel; self.stride = stride; self.inputLayout = inputLayout
    }

    public var outHeight: Int { (height - kernel) / stride + 1 }
    public var outWidth: Int { (width - kernel) / stride + 1 }
    /// Output positions per sample.
    public var positions: Int { outHeight * outWidth }
    /// Elements of one patch row: k·k·C.
    public var patchSize: Int { kernel * kernel * channels }
    public var inputSize: Int { height * width * channels }
    public var outputSize: Int { positions * filters }
    /// Weights `patchSize × filters`, then `filters` biases.
    public var parameterCount: Int { patchSize * filters + filters }

    /// Calls `body(inputOffset, patchOffset, count)` for every run of `count` contiguous input
    /// elements that a patch row copies, in patch-row order: sample by sample, output position by
    /// position, then per kernel row (channels last: `k·C` values from `[oy·s + ky][ox·s][0]`) or per
    /// channel and kernel row (channels first: `k` values from `[c][oy·s + ky][ox·s]`). The one index
    /// mapping of `im2col` and of its adjoint `col2im`.
    @inline(__always)
    func forEachPatchRun(batch: Int, _ body: (_ inputOffset: Int, _ patchOffset: Int, _ count: Int) -> Void) {
        let H = height, W = width, C = channels, k = kernel, s = stride, oh = outHeight, ow = outWidth, ps = patchSize
        for b in 0..<batch {
            let x = b * inputSize
            for oy in 0..<oh {
                for ox in 0..<ow {
                    let row = ((b * oh + oy) * ow + ox) * ps
                    switch inputLayout {
                    case .channelsLast:
                        for ky in 0..<k { body(x + ((oy * s + ky) * W + ox * s) * C, row + ky * k * C, k * C) }
                    case .channelsFirst:
                        for c in 0..<C {
                            for ky in 0..<k { body(x + (c * H + oy * s + ky) * W + ox * s, row + (c * k + ky) * k, k) }
                        }
                    }
                }
            }
        }
    }

    /// Copies the patches of `batch` samples into `patches` (`batch · positions × patchSize`), in
    /// the patch order of `inputLayout` (see the type's table).
    @inline(__always)
    func im2col(_ input: UnsafePointer<Float>, batch: Int, _ patches: UnsafeMutablePointer<Float>) {
        forEachPatchRun(batch: batch) { i, r, n in for j in 0..<n { patches[r + j] = input[i + j] } }
    }

    /// The adjoint of `im2col`: adds each patch element of `dPatches` (`batch · positions ×
    /// patchSize`) into the input element it was copied from, `dInput` (`batch × inputSize`, not
    /// cleared here). Elements are visited in patch-row order, so overlapping patches add up in a
    /// fixed order. Gives `∂L/∂input` from `∂L/∂patches`.
    @inline(__always)
    func col2im(_ dPatches: UnsafePointer<Float>, batch: Int, _ dInput: UnsafeMutablePointer<Float>) {
        forEachPatchRun(batch: batch) { i, r, n in for j in 0..<n { dInput[i + j] += dPatches[r + j] } }
    }
}

/// What a network looks like, from the spec's `network` hyperparameter.
public enum NetworkKind: String, Sendable, CaseIterable {
    /// Dense layers over the flattened observation.
    case mlp
    /// MinAtar's network (Young & Tian 2019): conv 16 filters 3×3 stride 1 → ReLU → the dense
    /// `hidden` layers → heads. Needs a `[H, W, C]` observation (channels last).
    case minatar_cnn
    /// Dense layers, each hidden one followed by LayerNorm before its activation: seed 003's
    /// network (Linear → LayerNorm → Linear → LayerNorm → Linear, with `"activation": "identity"`).
    case layernorm_mlp
    /// The A3C paper's Atari network (Mnih et al. 2016, §8, after Mnih et al. 2013): inputs ÷ 255,
    /// conv 16 filters 8×8 stride 4 → ReLU → conv 32 filters 4×4 stride 2 → ReLU → the dense
    /// `hidden` layers (the paper's: `[256]` with ReLU) → heads. Needs `[C, H, W]` observations
    /// (channels first) with H, W ≥ 20; Atari's frame stacks are `[4, 84, 84]`.
    case atari_cnn
    /// The Nature DQN network (Mnih et al. 2015), baselines' `nature_cnn` (their A2C's and ACER's on
    /// Atari): inputs ÷ 255, conv 32
    /// 8×8 stride 4 → ReLU → conv 64 4×4 stride 2 → ReLU → conv 64 3×3 stride 1 → ReLU → the dense
    /// `hidden` layers (the paper's: `[512]` with ReLU) → heads. Needs `[C, H, W]` with H, W ≥ 36.
    case nature_cnn
}

/// One conv layer of an architecture as the papers give it (each is followed by ReLU).
public struct ConvLayerSpec: Sendable, Equatable {
    public let filters: Int, kernel: Int, stride: Int
    public init(filters: Int, kernel: Int, stride: Int) { self.filters = filters; self.kernel = kernel; self.stride = stride }

    /// The smallest input side that leaves `output` positions along it: `(output − 1)·stride + kernel`.
    public func minimumInput(forOutput output: Int) -> Int { (output - 1) * stride + kernel }
}

extension NetworkKind {
    /// The conv layers in front of the dense ones, first to last (empty for the dense kinds).
    public var convLayers: [ConvLayerSpec] {
        switch self {
        case .mlp, .layernorm_mlp: return []
        case .minatar_cnn: return [ConvLayerSpec(filters: 16, kernel: 3, stride: 1)]
        case .atari_cnn: return [ConvLayerSpec(filters: 16, kernel: 8, stride: 4), ConvLayerSpec(filters: 32, kernel: 4, stride: 2)]
        case .nature_cnn: return [ConvLayerSpec(filters: 32, kernel: 8, stride: 4), ConvLayerSpec(filters: 64, kernel: 4, stride: 2),
                                  ConvLayerSpec(filters: 64, kernel: 3, stride: 1)]
        }
    }

    /// How the first conv layer reads the observation: MinAtar's grids channels last, Atari's frame
    /// stacks channels first.
    public var inputLayout: ImageLayout { self == .atari_cnn || self == .nature_cnn ? .channelsFirst : .channelsLast }

    /// The fixed first operation `x / inputDivisor` (255 for the Atari networks: pixel values 0…255
    /// to [0, 1], as `obs.float() / 255` in PyTorch, bit for bit); nil: the observation as given.
    public var inputDivisor: Float? { self == .atari_cnn || self == .nature_cnn ? 255 : nil }

    /// The smallest image side the conv layers take (1 for the dense kinds): working back from one
    /// output position through each layer's `(out − 1)·stride + kernel`.
    public var minimumImageSide: Int {
        convLayers.reversed().reduce(1) { $1.minimumInput(forOutput: $0) }
    }

    /// `(height, width, channels)` of an observation of `shape` as the first conv layer reads it,
    /// or nil when the shape is not an image of this kind's layout and size (always nil for the
    /// dense kinds).
    public func imageDimensions(_ shape: [Int]) -> (height: Int, width: Int, channels: Int)? {
        guard !convLayers.isEmpty, shape.count == 3 else { return nil }
        let d = inputLayout == .channelsLast ? (shape[0], shape[1], shape[2]) : (shape[1], shape[2], shape[0])
        return d.0 >= minimumImageSide && d.1 >= minimumImageSide ? (d.0, d.1, d.2) : nil
    }

    /// What this kind needs of an observation, for messages, e.g. "image observations [C, H, W]
    /// with H, W ≥ 20"; nil for the dense kinds, which take any shape.
    public var observationRequirement: String? {
        guard !convLayers.isEmpty else { return nil }
        let dims = inputLayout == .channelsLast ? "[H, W, C]" : "[C, H, W]"
        return "image observations \(dims) with H, W ≥ \(minimumImageSide)"
    }

    /// The conv layers for observations of `shape`, the first reading `inputLayout`, the others the
    /// channels-last output of the one before; nil when `imageDimensions(shape)` is nil.
    public func convStack(observationShape shape: [Int]) -> [Conv2D]? {
        guard let (h0, w0, c0) = imageDimensions(shape) else { return nil }
        var h = h0, w = w0, c = c0, layout = inputLayout, stack: [Conv2D] = []
        for l in convLayers {
            let conv = Conv2D(height: h, width: w, channels: c, filters: l.filters, kernel: l.kernel, stride: l.stride, inputLayout: layout)
            stack.append(conv)
            h = conv.outHeight; w = conv.outWidth; c = conv.filters; layout = .channelsLast
        }
        return stack
    }
}

/// The function approximator every algorithm uses: a stack of convolutions (each followed by ReLU)
/// in front of an `MLP`, over one flat parameter vector (each conv layer's weights then biases, first
/// layer first, then the MLP's layout). With no convolution it is exactly the MLP (same parameters,
/// same bits).
///
/// Layouts: the first conv layer reads the observation as `convs[0].inputLayout` says (MinAtar's
/// grids channels last, Atari's frame stacks channels first); every conv output, and so the input of
/// the next conv layer and the vector the dense layers read, is channels last, `[y][x][filter]`.
/// With `inputDivisor` set the observation is first divided by it (a fixed operation, no parameters).
///
/// `sizes`, `weightOffsets`, `biasOffsets` and `layerCount` describe the dense part, with offsets
/// into the whole parameter vector (algorithms scale the output layer's columns through them).
public struct Network: Sendable, Equatable {
    /// The conv layers, first to last, each followed by ReLU; empty for a plain MLP.
    public let convs: [Conv2D]
    /// Where conv layer `l`'s weights (`patchSize × filters`, row-major) start; its biases follow them.
    public let convOffsets: [Int]
    /// Observations are divided by this before the first layer (255 for the Atari networks); nil: none.
    public let inputDivisor: Float?
    public let mlp: MLP
    public let parameterCount: Int

    /// A plain MLP (with LayerNorm after each hidden layer when `layerNorm`).
    public init(sizes: [Int], activation: Activation, layerNorm: Bool = false) {
        convs = []; convOffsets = []; inputDivisor = nil
        mlp = MLP(sizes: sizes, activation: activation, layerNorm: layerNorm); parameterCount = mlp.parameterCount
    }

    /// Conv layers `convs` (each → ReLU; layer `l + 1` must read layer `l`'s channels-last output),
    /// then dense `hidden` layers with `activation` and `outputs` linear outputs; the input divided by
    /// `inputDivisor` first when given.
    public init(convs: [Conv2D], inputDivisor: Float? = nil, hidden: [Int], activation: Activation, outputs: Int) {
        precondition(!convs.isEmpty, "a conv network needs at least one conv layer")
        for (a, b) in zip(convs, convs.dropFirst()) {
            precondition(b.inputLayout == .channelsLast && b.height == a.outHeight && b.width == a.outWidth && b.channels == a.filters,
                         "conv layer \(b) does not read the \(a.outHeight)×\(a.outWidth)×\(a.filters) output of \(a)")
        }
        precondition(inputDivisor.map { $0 > 0 && $0.isFinite } ?? true, "inputDivisor must be positive, got \(inputDivisor!)")
        self.convs = convs
        self.inputDivisor = inputDivisor
        var offsets: [Int] = [], off = 0
        for c in convs { offsets.append(off); off += c.parameterCount }
        convOffsets = offsets
        mlp = MLP(sizes: [convs[convs.count - 1].outputSize] + hidden + [outputs], activation: activation)
        parameterCount = off + mlp.parameterCount
    }

    /// One convolution over `[H, W, C]` inputs, ReLU, then dense `hidden` layers with `activation`
    /// and `outputs` linear outputs.
    public init(conv: Conv2D, hidden: [Int], activation: Activation, outputs: Int) {
        self.init(convs: [conv], hidden: hidden, activation: activation, outputs: outputs)
    }

    /// The network of `kind` for observations of `shape` (a conv kind needs
    /// `kind.imageDimensions(shape)`; spec validation refuses other shapes first).
    public init(kind: NetworkKind, observationShape shape: [Int], hidden: [Int], activation: Activation, outputs: Int) {
        switch kind {
        case .mlp: self.init(sizes: [shape.reduce(1, *)] + hidden + [outputs], activation: activation)
        case .layernorm_mlp: self.init(sizes: [shape.reduce(1, *)] + hidden + [outputs], activation: activation, layerNorm: true)
        case .minatar_cnn, .atari_cnn, .nature_cnn:
            guard let stack = kind.convStack(observationShape: shape) else {
                preconditionFailure("\(kind) needs \(kind.observationRequirement!), got shape \(shape)")
            }
            self.init(convs: stack, inputDivisor: kind.inputDivisor, hidden: hidden, activation: activation, outputs: outputs)
        }
    }

    var mlpOffset: Int { parameterCount - mlp.parameterCount }
    public var sizes: [Int] { mlp.sizes }
    public var layerCount: Int { mlp.layerCount }
    public var weightOffsets: [Int] { mlp.weightOffsets.map { $0 + mlpOffset } }
    public var biasOffsets: [Int] { mlp.biasOffsets.map { $0 + mlpOffset } }
    public var inputSize: Int { convs.first?.inputSize ?? mlp.inputSize }
    public var outputSize: Int { mlp.outputSize }

    /// Orthogonal initialisation: each conv's `(k·k·C) × filters` matrix (first layer first) and the
    /// hidden dense layers with `hiddenGain`, the output layer with `outputGain`; biases zero.
    public func initialize(_ params: inout [Float], offset: Int, rng: inout RNG, hiddenGain: Double, outputGain: Double) {
        for (conv, at) in zip(convs, convOffsets) {
            let w = orthogonalMatrix(rows: conv.patchSize, cols: conv.filters, gain: hiddenGain, rng: &rng)
            for i in 0..<w.count { params[offset + at + i] = w[i] }
            for i in 0..<conv.filters { params[offset + at + w.count + i] = 0 }
        }
        mlp.initialize(&params, offset: offset + mlpOffset, rng: &rng, hiddenGain: hiddenGain, outputGain: outputGain)
    }

    /// Forward pass for `batch` rows of `input` (batch × inputSize); returns the output (batch × outputSize).
    @discardableResult
    public func forward(_ p: UnsafePointer<Float>, _ input: UnsafePointer<Float>, batch: Int, _ ws: NetworkWorkspace) -> UnsafeMutablePointer<Float> {
        forward(p, input, rows: 0..<batch, ws)
        return ws.output
    }

    /// Forward pass for rows `rows` only (see `MLP.forward(_:_:rows:_:)`).
    public func forward(_ p: UnsafePointer<Float>, _ input: UnsafePointer<Float>, rows: Range<Int>, _ ws: NetworkWorkspace) {
        guard !convs.isEmpty else { return mlp.forward(p, input, rows: rows, ws.mlp) }
        precondition(rows.upperBound <= ws.capacity, "rows \(rows) exceed workspace capacity \(ws.capacity)")
        let r0 = rows.lowerBound, n = rows.count
        ws.input = input
        var x = input + r0 * inputSize
        if let divisor = inputDivisor {
            let scaled = ws.scaledInput + r0 * inputSize
            divide(x, by: divisor, count: n * inputSize, into: scaled)
            x = UnsafePointer(scaled)
        }
        for (l, conv) in convs.enumerated() {
            let P = conv.positions, F = conv.filters, ps = conv.patchSize
            let w = p + convOffsets[l], bias = w + ps * F
            let patches = ws.patches[l] + r0 * P * ps, y = ws.convOut[l] + r0 * conv.outputSize
            conv.im2col(x, batch: n, patches)
            for r in 0..<(n * P) { (y + r * F).update(from: bias, count: F) }
            gemmAccumulate(n * P, F, ps, patches, w, y)
            rlexp_relu_inplace(n * conv.outputSize, y)
            x = UnsafePointer(y)
        }
        // the dense part reads the last conv output of all rows up to rows.upperBound
        mlp.forward(p + mlpOffset, ws.convOut[convs.count - 1], rows: rows, ws.mlp)
    }

    /// Backward pass for the batch last given to `forward` with `ws`: accumulates `∂L/∂params` into
    /// `grad` given `dOutput` (batch × outputSize). `dInput` (∂L/∂input) is supported for the plain
    /// MLP only (nothing here needs it through a convolution, nor through `inputDivisor`).
    ///
    /// Through conv layer `l` (output `Y = ReLU(P·W + b)`, patches `P` of its input `X`):
    /// `∂Z = ∂Y ⊙ [Y > 0]`, `∂W += Pᵀ·∂Z`, `∂b += Σ_rows ∂Z`, and for `l > 0`
    /// `∂X = col2im(∂Z·Wᵀ)`, the adjoint of the patch copy (overlapping patches add up).
    public func backward(_ p: UnsafePointer<Float>, _ ws: NetworkWorkspace, dOutput: UnsafePointer<Float>,
                         grad: UnsafeMutablePointer<Float>, dInput: UnsafeMutablePointer<Float>? = nil,
                         input: UnsafePointer<Float>? = nil) {
        guard !convs.isEmpty else { return mlp.backward(p, ws.mlp, dOutput: dOutput, grad: grad, dInput: dInput, input: input) }
        precondition(dInput == nil, "∂L/∂input through a convolution is not implemented")
        let batch = ws.mlp.batch, last = convs.count - 1
        ws.dConvOut[last].update(repeating: 0, count: batch * convs[last].outputSize)
        mlp.backward(p + mlpOffset, ws.mlp, dOutput: dOutput, grad: grad + mlpOffset, dInput: ws.dConvOut[last], input: ws.convOut[last])
        for l in stride(from: last, through: 0, by: -1) {
            let conv = convs[l], P = conv.positions, F = conv.filters, ps = conv.patchSize
            let y = ws.convOut[l], dY = ws.dConvOut[l]
            rlexp_relu_backward(batch * conv.outputSize, dY, y)   // ReLU: dY[i] = 0 where y[i] <= 0 (CKernels)
            let gw = grad + convOffsets[l], gb = gw + ps * F
            rlexp_add_rows(batch * P, F, dY, gb)   // ∂b[j] += Σ_rows ∂Z[r, j] in row order (CKernels)
            accumulateWeightGradient(batch * P, F, ps, ws.patches[l], dY, gw)
            guard l > 0 else { break }
            // ∂patches = ∂Z·Wᵀ (row-axpys over a transposed copy of W), then back onto the input
            let w = p + convOffsets[l], wt = ws.transposed, dP = ws.dPatches
            rlexp_transpose(ps, F, w, wt)
            dP.update(repeating: 0, count: batch * P * ps)
            gemmAccumulate(batch * P, ps, F, dY, wt, dP)
            let dX = ws.dConvOut[l - 1]
            dX.update(repeating: 0, count: batch * convs[l - 1].outputSize)
            conv.col2im(dP, batch: batch, dX)
        }
    }
}

/// `∂W[k, f] += Σ_m P[m, k] · ∂Z[m, f]` over the `M` patch rows of a conv layer (`gemmTransAAccumulate`),
/// in blocks of 128 rows so that the block of patches stays in cache while all of `∂W` sweeps it
/// (one pass over millions of floats per 4 rows of `∂W` would run from main memory). Each element
/// still accumulates over `m` in increasing order, one row at a time, so the result is the same bits
/// as one `gemmTransAAccumulate` over all rows.
@inline(__always)
func accumulateWeightGradient(_ M: Int, _ N: Int, _ K: Int, _ P: UnsafePointer<Float>, _ dZ: UnsafePointer<Float>,
                              _ dW: UnsafeMutablePointer<Float>) {
    let block = 128
    var m = 0
    while m < M {
        let rows = min(block, M - m)
        gemmTransAAccumulate(rows, N, K, P + m * K, dZ + m * N, dW)
        m += rows
    }
}

/// `out[i] = x[i] / divisor` for `i < count`: the Atari networks' fixed input scaling (a division,
/// not a multiplication by 1/divisor, so that it equals PyTorch's `obs.float() / 255` bit for bit).
@inline(__always)
func divide(_ x: UnsafePointer<Float>, by divisor: Float, count: Int, into out: UnsafeMutablePointer<Float>) {
    for i in 0..<count { out[i] = x[i] / divisor }
}

/// Scratch memory for one `Network` at up to `capacity` rows: the MLP's workspace and, with
/// convolutions, per conv layer the patches and outputs (kept for `backward`) and the outputs'
/// gradient, plus the scaled input and the scratch of the backward pass.
public final class NetworkWorkspace {
    public let capacity: Int
    public let mlp: MLPWorkspace
    let patches: [UnsafeMutablePointer<Float>]
    let convOut: [UnsafeMutablePointer<Float>]
    let dConvOut: [UnsafeMutablePointer<Float>]
    /// ∂L/∂patches of one conv layer above the first (the largest one's size).
    let dPatches: UnsafeMutablePointer<Float>
    /// A transposed conv weight matrix (the largest one above the first).
    let transposed: UnsafeMutablePointer<Float>
    /// The input divided by the network's `inputDivisor` (one element when it has none).
    let scaledInput: UnsafeMutablePointer<Float>
    var input: UnsafePointer<Float>?

    public init(_ net: Network, capacity: Int) {
        self.capacity = capacity
        mlp = MLPWorkspace(net.mlp, capacity: capacity)
        func zeroed(_ n: Int) -> UnsafeMutablePointer<Float> {
            let p = UnsafeMutablePointer<Float>.allocate(capacity: max(n, 1)); p.initialize(repeating: 0, count: max(n, 1)); return p
        }
        patches = net.convs.map { zeroed($0.positions * $0.patchSize * capacity) }
        convOut = net.convs.map { zeroed($0.outputSize * capacity) }
        dConvOut = net.convs.map { zeroed($0.outputSize * capacity) }
        let upper = net.convs.dropFirst()
        dPatches = zeroed((upper.map { $0.positions * $0.patchSize }.max() ?? 0) * capacity)
        transposed = zeroed(upper.map { $0.patchSize * $0.filters }.max() ?? 0)
        scaledInput = zeroed(net.inputDivisor == nil ? 0 : net.inputSize * capacity)
    }

    /// Output of the last layer for the last forward batch.
    public var output: UnsafeMutablePointer<Float> { mlp.output }
    public var batch: Int { mlp.batch }

    deinit {
        (patches + convOut + dConvOut).forEach { $0.deallocate() }
        dPatches.deallocate(); transposed.deallocate(); scaledInput.deallocate()
    }
}
