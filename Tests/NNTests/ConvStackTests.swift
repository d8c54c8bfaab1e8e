import Foundation
import NN
import TestSupport
import XCTest

/// Stacks of conv layers (the Atari networks `atari_cnn` and `nature_cnn`, channels-first input,
/// the ÷255 input scaling): forward against an independent Double direct convolution that indexes
/// `[C][H][W]` or `[H][W][C]` explicitly (no im2col), backward against finite differences, chunked
/// forwards against whole-batch ones, and the parameter layout of the papers' networks.
final class ConvStackTests: XCTestCase {
    /// Small stacks covering both input layouts, strides 1–3 (2 above the first layer too), non-square images (a swapped H and W
    /// would not go unnoticed) and several channels.
    static let stacks: [[Conv2D]] = [
        [Conv2D(height: 9, width: 8, channels: 3, filters: 4, kernel: 3, stride: 2, inputLayout: .channelsFirst),
         Conv2D(height: 4, width: 3, channels: 4, filters: 5, kernel: 2, stride: 1)],
        [Conv2D(height: 7, width: 10, channels: 2, filters: 3, kernel: 4, stride: 3, inputLayout: .channelsLast),
         Conv2D(height: 2, width: 3, channels: 3, filters: 4, kernel: 2, stride: 1)],
        [Conv2D(height: 13, width: 11, channels: 2, filters: 3, kernel: 3, stride: 2, inputLayout: .channelsFirst),
         Conv2D(height: 6, width: 5, channels: 3, filters: 4, kernel: 2, stride: 2),
         Conv2D(height: 3, width: 2, channels: 4, filters: 3, kernel: 2, stride: 1)],
    ]

    static func randomParams(_ net: Network, _ rng: inout RNG) -> [Float] {
        var p = [Float](repeating: 0, count: net.parameterCount)
        for (c, at) in zip(net.convs, net.convOffsets) {
            for i in 0..<(c.patchSize * c.filters) { p[at + i] = Float(rng.normal() / Double(c.patchSize).squareRoot()) }
            for j in 0..<c.filters { p[at + c.patchSize * c.filters + j] = Float(0.3 * rng.normal()) }
        }
        for l in 0..<net.layerCount {
            let nIn = net.sizes[l], nOut = net.sizes[l + 1]
            for i in 0..<(nIn * nOut) { p[net.weightOffsets[l] + i] = Float(rng.normal() / Double(nIn).squareRoot()) }
            for j in 0..<nOut { p[net.biasOffsets[l] + j] = Float(0.3 * rng.normal()) }
        }
        return p
    }

    /// Pixel-like inputs: integers 0…255 when the network divides by 255, else standard normal.
    static func randomInput(_ net: Network, batch: Int, _ rng: inout RNG) -> [Float] {
        (0..<(batch * net.inputSize)).map { _ in net.inputDivisor == nil ? Float(rng.normal()) : Float(rng.int(below: 256)) }
    }

    /// The network in Double, directly from the definitions: `x ← x / divisor`, then per conv layer
    /// `y[oy][ox][f] = ReLU(b[f] + Σ_{ky,kx,c} X(c, oy·s + ky, ox·s + kx) · W[row(ky, kx, c)][f])` with
    /// `X(c, y, x)` = `x[(c·H + y)·W + x]` (channels first) or `x[(y·W + x)·C + c]` (channels last) and
    /// `row` = `(c·k + ky)·k + kx` or `(ky·k + kx)·C + c`; then the dense layers. Also returns the
    /// sign of every pre-activation that goes through a ReLU (to skip finite differences across a kink).
    static func reference(_ net: Network, _ p: [Float], _ input: [Float], batch: Int) -> (output: [Double], pattern: [Bool]) {
        var out: [Double] = [], pattern: [Bool] = []
        for b in 0..<batch {
            var x = (0..<net.inputSize).map { Double(input[b * net.inputSize + $0]) / Double(net.inputDivisor ?? 1) }
            for (c, at) in zip(net.convs, net.convOffsets) {
                var y = [Double](repeating: 0, count: c.outputSize)
                for oy in 0..<c.outHeight { for ox in 0..<c.outWidth { for f in 0..<c.filters {
                    var s = Double(p[at + c.patchSize * c.filters + f])
                    for ky in 0..<c.kernel { for kx in 0..<c.kernel { for ch in 0..<c.channels {
                        let iy = oy * c.stride + ky, ix = ox * c.stride + kx
                        let xi = c.inputLayout == .channelsFirst ? (ch * c.height + iy) * c.width + ix : (iy * c.width + ix) * c.channels + ch
                        let row = c.inputLayout == .channelsFirst ? (ch * c.kernel + ky) * c.kernel + kx : (ky * c.kernel + kx) * c.channels + ch
                        s += x[xi] * Double(p[at + row * c.filters + f])
                    } } }
                    pattern.append(s > 0)
                    y[(oy * c.outWidth + ox) * c.filters + f] = max(s, 0)
                } } }
                x = y
            }
            for l in 0..<net.layerCount {
                let nIn = net.sizes[l], nOut = net.sizes[l + 1]
                var y = [Double](repeating: 0, count: nOut)
                for j in 0..<nOut {
                    var s = Double(p[net.biasOffsets[l] + j])
                    for i in 0..<nIn { s += x[i] * Double(p[net.weightOffsets[l] + i * nOut + j]) }
                    if l < net.layerCount - 1 {
                        switch net.mlp.activation {
                        case .tanh: s = tanh(s)
                        case .relu: pattern.append(s > 0); s = max(s, 0)
                        case .identity: break
                        }
                    }
                    y[j] = s
                }
                x = y
            }
            out += x
        }
        return (out, pattern)
    }

    /// The networks the tests run: the small stacks (with and without the ÷255 input) and the two
    /// papers' kinds on small images.
    static func networks(hidden: [Int], activation: Activation) -> [Network] {
        stacks.flatMap { s in [Network(convs: s, hidden: hidden, activation: activation, outputs: 3),
                               Network(convs: s, inputDivisor: 255, hidden: hidden, activation: activation, outputs: 3)] }
            + [Network(kind: .atari_cnn, observationShape: [2, 20, 23], hidden: hidden, activation: activation, outputs: 3),
               Network(kind: .nature_cnn, observationShape: [1, 36, 37], hidden: hidden, activation: activation, outputs: 3)]
    }

    func testLayoutOfTheAtariNetworks() {
        let a3c = Network(kind: .atari_cnn, observationShape: [4, 84, 84], hidden: [256], activation: .relu, outputs: 7)
        XCTAssertEqual(a3c.convs.map { [$0.channels, $0.height, $0.width, $0.filters, $0.kernel, $0.stride] },
                       [[4, 84, 84, 16, 8, 4], [16, 20, 20, 32, 4, 2]])
        XCTAssertEqual(a3c.convs.map(\.inputLayout), [.channelsFirst, .channelsLast])
        XCTAssertEqual(a3c.inputDivisor, 255)
        XCTAssertEqual(a3c.sizes, [9 * 9 * 32, 256, 7])
        XCTAssertEqual(a3c.convOffsets, [0, 256 * 16 + 16])
        XCTAssertEqual(a3c.parameterCount, (256 * 16 + 16) + (256 * 32 + 32) + (2592 * 256 + 256) + (256 * 7 + 7))
        XCTAssertEqual(a3c.weightOffsets[0], (256 * 16 + 16) + (256 * 32 + 32))
        let nature = Network(kind: .nature_cnn, observationShape: [4, 84, 84], hidden: [512], activation: .relu, outputs: 7)
        XCTAssertEqual(nature.convs.map { [$0.channels, $0.height, $0.width, $0.filters, $0.kernel, $0.stride] },
                       [[4, 84, 84, 32, 8, 4], [32, 20, 20, 64, 4, 2], [64, 9, 9, 64, 3, 1]])
        XCTAssertEqual(nature.sizes, [7 * 7 * 64, 512, 7])
        XCTAssertEqual(nature.parameterCount, (256 * 32 + 32) + (512 * 64 + 64) + (576 * 64 + 64) + (3136 * 512 + 512) + (512 * 7 + 7))
        // the smallest images each kind takes, and what it refuses
        XCTAssertEqual(NetworkKind.atari_cnn.minimumImageSide, 20)
        XCTAssertEqual(NetworkKind.nature_cnn.minimumImageSide, 36)
        XCTAssertEqual(NetworkKind.minatar_cnn.minimumImageSide, 3)
        XCTAssertNotNil(NetworkKind.atari_cnn.imageDimensions([4, 20, 20]))
        XCTAssertNil(NetworkKind.atari_cnn.imageDimensions([4, 19, 20]))
        XCTAssertNil(NetworkKind.atari_cnn.imageDimensions([10, 10, 4]), "MinAtar's grids are not [C, H, W] images")
        XCTAssertNil(NetworkKind.nature_cnn.imageDimensions([4, 35, 84]))
        XCTAssertNil(NetworkKind.nature_cnn.imageDimensions([4 * 84 * 84]))
        XCTAssertNotNil(NetworkKind.minatar_cnn.imageDimensions([10, 10, 4]))
        XCTAssertNil(NetworkKind.mlp.imageDimensions([10, 10, 4]))
        XCTAssertEqual(NetworkKind.atari_cnn.observationRequirement, "image observations [C, H, W] with H, W ≥ 20")
        // the MinAtar network is unchanged: one channels-last conv, no input scaling
        let minatar = Network(kind: .minatar_cnn, observationShape: [10, 10, 4], hidden: [128], activation: .relu, outputs: 7)
        XCTAssertEqual(minatar.convs, [Conv2D(height: 10, width: 10, channels: 4, filters: 16, kernel: 3, stride: 1)])
        XCTAssertNil(minatar.inputDivisor)
    }

    /// Full-size Atari frame stacks `[4, 84, 84]`: output shape and values against the Double reference.
    func testFullSizeForwardMatchesReference() {
        var rng = RNG(seed: 21)
        for (kind, hidden) in [(NetworkKind.atari_cnn, 256), (.nature_cnn, 512)] {
            let net = Network(kind: kind, observationShape: [4, 84, 84], hidden: [hidden], activation: .relu, outputs: 19)
            XCTAssertEqual(net.inputSize, 4 * 84 * 84)
            XCTAssertEqual(net.outputSize, 19)
            let batch = 2
            let p = Self.randomParams(net, &rng), x = Self.randomInput(net, batch: batch, &rng)
            let ws = NetworkWorkspace(net, capacity: batch)
            let y = p.withUnsafeBufferPointer { pb in x.withUnsafeBufferPointer { net.forward(pb.baseAddress!, $0.baseAddress!, batch: batch, ws) } }
            let ref = Self.reference(net, p, x, batch: 1).output   // the first sample (the reference is slow)
            for i in 0..<net.outputSize { XCTAssertEqual(Double(y[i]), ref[i], accuracy: 1e-3 * max(1, abs(ref[i])), "\(kind) output \(i)") }
            XCTAssertNotEqual(y[0], y[net.outputSize], "two different frame stacks give different outputs")
        }
    }

    func testForwardMatchesDirectConvolution() {
        var rng = RNG(seed: 22)
        for act in Activation.allCases {
            for net in Self.networks(hidden: [9, 5], activation: act) {
                let batch = 3
                let p = Self.randomParams(net, &rng), x = Self.randomInput(net, batch: batch, &rng)
                let ws = NetworkWorkspace(net, capacity: batch)
                let y = p.withUnsafeBufferPointer { pb in x.withUnsafeBufferPointer { net.forward(pb.baseAddress!, $0.baseAddress!, batch: batch, ws) } }
                let ref = Self.reference(net, p, x, batch: batch).output
                for i in 0..<(batch * net.outputSize) {
                    XCTAssertEqual(Double(y[i]), ref[i], accuracy: 1e-4 * max(1, abs(ref[i])), "\(net.convs) ÷\(net.inputDivisor ?? 1) \(act) output \(i)")
                }
            }
        }
    }

    /// The ÷255 is a fixed first operation: the network with `inputDivisor` 255 on `x` gives the same
    /// bits as the one without on `x / 255` (a division, as PyTorch's `obs.float() / 255`).
    func testInputDivisorIsADivisionBeforeTheFirstLayer() {
        var rng = RNG(seed: 23)
        let scaled = Network(kind: .atari_cnn, observationShape: [2, 20, 20], hidden: [8], activation: .relu, outputs: 3)
        let plain = Network(convs: scaled.convs, hidden: [8], activation: .relu, outputs: 3)
        XCTAssertEqual(scaled.parameterCount, plain.parameterCount)
        let batch = 4
        let p = Self.randomParams(scaled, &rng), x = Self.randomInput(scaled, batch: batch, &rng)
        let x255 = x.map { $0 / 255 }
        XCTAssertTrue(zip(x, x255).contains { $0.0 / 255 != $0.0 * (1 / Float(255)) }, "these inputs tell a division from a multiplication")
        let ws1 = NetworkWorkspace(scaled, capacity: batch), ws2 = NetworkWorkspace(plain, capacity: batch)
        p.withUnsafeBufferPointer { pb in
            x.withUnsafeBufferPointer { scaled.forward(pb.baseAddress!, $0.baseAddress!, batch: batch, ws1) }
            x255.withUnsafeBufferPointer { plain.forward(pb.baseAddress!, $0.baseAddress!, batch: batch, ws2) }
        }
        for i in 0..<(batch * 3) { XCTAssertEqual(ws1.output[i].bitPattern, ws2.output[i].bitPattern, "output \(i)") }
    }

    func testBackwardMatchesFiniteDifferences() {
        var rng = RNG(seed: 24)
        var tally = FiniteDifferenceTally()
        // every parameter of the small stacks (both batch sizes, both dense activations); of the
        // papers' kinds (thousands of parameters, a slow reference) a random sample
        var cases: [(net: Network, batch: Int, sample: Int?)] = []
        for act in [Activation.relu, .tanh] {
            for net in Self.networks(hidden: [6], activation: act).prefix(2 * Self.stacks.count) { cases += [(net, 1, nil), (net, 2, nil)] }
        }
        let kinds = Self.networks(hidden: [6], activation: .relu).suffix(2)
        cases += [(kinds.first!, 2, 150), (kinds.last!, 1, 50)]
        for (net, batch, sample) in cases {
            let p = Buffer(Self.randomParams(net, &rng))
            let x = Buffer(Self.randomInput(net, batch: batch, &rng))
            let c = Buffer(rng.floats(batch * net.outputSize))
            let ks = sample.map { n in (0..<n).map { _ in rng.int(below: net.parameterCount) } } ?? Array(0..<net.parameterCount)
            checkFiniteDifferences(net, p: p, x: x, c: c, batch: batch, parameters: ks, tolerance: 2e-3,
                                   pattern: { Self.reference(net, p.array, x.array, batch: batch).pattern },
                                   label: "\(net.convs) ÷\(net.inputDivisor ?? 1) \(net.mlp.activation) batch \(batch)", into: &tally)
        }
        print("Conv stack FD: worst \(tally.worst) over \(tally.checked) parameters, \(tally.skipped) at ReLU kinks skipped")
        XCTAssertLessThan(Double(tally.skipped), 0.1 * Double(tally.checked))
        XCTAssertGreaterThan(tally.checked, 3000)
    }

    func testChunkedForwardEqualsWholeBatchBitExact() {
        var rng = RNG(seed: 25)
        let net = Network(kind: .atari_cnn, observationShape: [3, 24, 21], hidden: [16], activation: .relu, outputs: 4)
        let p = Self.randomParams(net, &rng)
        let x = Self.randomInput(net, batch: 6, &rng)
        let g = assertChunkedForwardEqualsWhole(net, params: p, input: x, rng: &rng)
        XCTAssertTrue(g[0..<net.convs[0].parameterCount].contains { $0 != 0 }, "the first conv layer gets a gradient")
    }
}
