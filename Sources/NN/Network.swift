/// A 2-D convolution over channel-last images, `valid` padding: input `[H][W][C]` (the layout the
/// environments write: MinAtar's `[y][x][channel]`), output `[H'][W'][outC]` with
/// `H' = (H − k)/stride + 1`, followed by ReLU.
///
/// Computed as im2col + the fixed-order dense kernels: each output position's `k·k·C` input patch
/// is copied into a row (`(ky·k + kx)·C + c` order), so `Y = P·W + b` with `W` row-major
/// `(k·k·C) × outC`, and `∂W += Pᵀ·∂Y` accumulates over (sample, position) in increasing order —
/// the same bits on every CPU, like the dense layers.
public struct Conv2D: Sendable, Equatable {
    public let height: Int, width: Int, channels: Int
    public let filters: Int, kernel: Int, stride: Int

    public init(height: Int, width: Int, channels: Int, filters: Int, kernel: Int, stride: Int = 1) {
        precondition(height >= kernel && width >= kernel && kernel >= 1 && stride >= 1 && channels >= 1 && filters >= 1,
                     "a \(kernel)×\(kernel) convolution does not fit a \(height)×\(width)×\(channels) input")
        self.height = height; self.width = width; self.channels = channels
        self.filters = filters; self.kernel = kernel; self.stride = stride
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

    /// Copies the patches of `batch` samples into `patches` (`batch · positions × patchSize`).
    @inline(__always)
    func im2col(_ input: UnsafePointer<Float>, batch: Int, _ patches: UnsafeMutablePointer<Float>) {
        let H = height, W = width, C = channels, k = kernel, s = stride, oh = outHeight, ow = outWidth, ps = patchSize
        for b in 0..<batch {
            let x = input + b * H * W * C
            for oy in 0..<oh {
                for ox in 0..<ow {
                    var dst = patches + ((b * oh + oy) * ow + ox) * ps
                    for ky in 0..<k {
                        // one kernel row: k·C contiguous input values
                        let src = x + ((oy * s + ky) * W + ox * s) * C
                        dst.update(from: src, count: k * C)
                        dst += k * C
                    }
                }
            }
        }
    }
}

/// What a network looks like, from the spec's `network` hyperparameter.
public enum NetworkKind: String, Sendable, CaseIterable {
    /// Dense layers over the flattened observation.
    case mlp
    /// MinAtar's network (Young & Tian 2019): conv 16 filters 3×3 stride 1 → ReLU → the dense
    /// `hidden` layers → heads. Needs a `[H, W, C]` observation.
    case minatar_cnn
    /// Dense layers, each hidden one followed by LayerNorm before its activation: seed 003's
    /// network (Linear → LayerNorm → Linear → LayerNorm → Linear, with `"activation": "identity"`).
    case layernorm_mlp
}

/// The function approximator every algorithm uses: an optional convolution in front of an `MLP`,
/// over one flat parameter vector (conv weights and biases first, then the MLP's layout). With no
/// convolution it is exactly the MLP (same parameters, same bits).
///
/// `sizes`, `weightOffsets`, `biasOffsets` and `layerCount` describe the dense part, with offsets
/// into the whole parameter vector (algorithms scale the output layer's columns through them).
public struct Network: Sendable, Equatable {
    public let conv: Conv2D?
    public let mlp: MLP
    public let parameterCount: Int

    /// A plain MLP (with LayerNorm after each hidden layer when `layerNorm`).
    public init(sizes: [Int], activation: Activation, layerNorm: Bool = false) {
        conv = nil; mlp = MLP(sizes: sizes, activation: activation, layerNorm: layerNorm); parameterCount = mlp.parameterCount
    }

    /// A convolution over `[H, W, C]` inputs, ReLU, then dense `hidden` layers with `activation`
    /// and `outputs` linear outputs.
    public init(conv: Conv2D, hidden: [Int], activation: Activation, outputs: Int) {
        self.conv = conv
        mlp = MLP(sizes: [conv.outputSize] + hidden + [outputs], activation: activation)
        parameterCount = conv.parameterCount + mlp.parameterCount
    }

    /// The network of `kind` for observations of `shape` (the conv net needs 3 dimensions).
    public init(kind: NetworkKind, observationShape shape: [Int], hidden: [Int], activation: Activation, outputs: Int) {
        switch kind {
        case .mlp: self.init(sizes: [shape.reduce(1, *)] + hidden + [outputs], activation: activation)
        case .layernorm_mlp: self.init(sizes: [shape.reduce(1, *)] + hidden + [outputs], activation: activation, layerNorm: true)
        case .minatar_cnn:
            precondition(shape.count == 3, "minatar_cnn needs [H, W, C] observations, got shape \(shape)")
            self.init(conv: Conv2D(height: shape[0], width: shape[1], channels: shape[2], filters: 16, kernel: 3, stride: 1),
                      hidden: hidden, activation: activation, outputs: outputs)
        }
    }

    var mlpOffset: Int { conv?.parameterCount ?? 0 }
    public var sizes: [Int] { mlp.sizes }
    public var layerCount: Int { mlp.layerCount }
    public var weightOffsets: [Int] { mlp.weightOffsets.map { $0 + mlpOffset } }
    public var biasOffsets: [Int] { mlp.biasOffsets.map { $0 + mlpOffset } }
    public var inputSize: Int { conv?.inputSize ?? mlp.inputSize }
    public var outputSize: Int { mlp.outputSize }

    /// Orthogonal initialisation: the conv's `(k·k·C) × filters` matrix and the hidden dense layers
    /// with `hiddenGain`, the output layer with `outputGain`; biases zero.
    public func initialize(_ params: inout [Float], offset: Int, rng: inout RNG, hiddenGain: Double, outputGain: Double) {
        if let conv {
            let w = orthogonalMatrix(rows: conv.patchSize, cols: conv.filters, gain: hiddenGain, rng: &rng)
            for i in 0..<w.count { params[offset + i] = w[i] }
            for i in 0..<conv.filters { params[offset + w.count + i] = 0 }
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
        guard let conv else { return mlp.forward(p, input, rows: rows, ws.mlp) }
        precondition(rows.upperBound <= ws.capacity, "rows \(rows) exceed workspace capacity \(ws.capacity)")
        let r0 = rows.lowerBound, n = rows.count, P = conv.positions, F = conv.filters, ps = conv.patchSize
        ws.input = input
        let patches = ws.patches + r0 * P * ps, y = ws.convOut + r0 * conv.outputSize
        conv.im2col(input + r0 * conv.inputSize, batch: n, patches)
        let bias = p + conv.patchSize * F
        for r in 0..<(n * P) { (y + r * F).update(from: bias, count: F) }
        gemmAccumulate(n * P, F, ps, patches, p, y)
        for i in 0..<(n * conv.outputSize) { y[i] = max(y[i], 0) }
        // the dense part reads the conv output of all rows up to rows.upperBound
        mlp.forward(p + mlpOffset, ws.convOut, rows: rows, ws.mlp)
    }

    /// Backward pass for the batch last given to `forward` with `ws`: accumulates `∂L/∂params` into
    /// `grad` given `dOutput` (batch × outputSize). `dInput` (∂L/∂input) is supported for the plain
    /// MLP only (nothing here needs it through a convolution).
    public func backward(_ p: UnsafePointer<Float>, _ ws: NetworkWorkspace, dOutput: UnsafePointer<Float>,
                         grad: UnsafeMutablePointer<Float>, dInput: UnsafeMutablePointer<Float>? = nil,
                         input: UnsafePointer<Float>? = nil) {
        guard let conv else { return mlp.backward(p, ws.mlp, dOutput: dOutput, grad: grad, dInput: dInput, input: input) }
        precondition(dInput == nil, "∂L/∂input through a convolution is not implemented")
        let batch = ws.mlp.batch, P = conv.positions, F = conv.filters, ps = conv.patchSize
        let dConv = ws.dConvOut
        dConv.update(repeating: 0, count: batch * conv.outputSize)
        mlp.backward(p + mlpOffset, ws.mlp, dOutput: dOutput, grad: grad + mlpOffset, dInput: dConv, input: ws.convOut)
        let y = ws.convOut
        for i in 0..<(batch * conv.outputSize) where y[i] <= 0 { dConv[i] = 0 }   // ReLU
        let gb = grad + ps * F
        for r in 0..<(batch * P) {
            let row = dConv + r * F
            for j in 0..<F { gb[j] += row[j] }
        }
        gemmTransAAccumulate(batch * P, F, ps, ws.patches, dConv, grad)
    }
}

/// Scratch memory for one `Network` at up to `capacity` rows: the MLP's workspace and, with a
/// convolution, the patches and conv outputs (kept for `backward`) and their gradient.
public final class NetworkWorkspace {
    public let capacity: Int
    public let mlp: MLPWorkspace
    let patches: UnsafeMutablePointer<Float>
    let convOut: UnsafeMutablePointer<Float>
    let dConvOut: UnsafeMutablePointer<Float>
    var input: UnsafePointer<Float>?

    public init(_ net: Network, capacity: Int) {
        self.capacity = capacity
        mlp = MLPWorkspace(net.mlp, capacity: capacity)
        let np = net.conv.map { $0.positions * $0.patchSize * capacity } ?? 0
        let no = net.conv.map { $0.outputSize * capacity } ?? 0
        patches = .allocate(capacity: max(np, 1)); patches.initialize(repeating: 0, count: max(np, 1))
        convOut = .allocate(capacity: max(no, 1)); convOut.initialize(repeating: 0, count: max(no, 1))
        dConvOut = .allocate(capacity: max(no, 1)); dConvOut.initialize(repeating: 0, count: max(no, 1))
    }

    /// Output of the last layer for the last forward batch.
    public var output: UnsafeMutablePointer<Float> { mlp.output }
    public var batch: Int { mlp.batch }

    deinit { patches.deallocate(); convOut.deallocate(); dConvOut.deallocate() }
}
