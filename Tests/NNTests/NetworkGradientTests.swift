import Foundation
import NN
import TestSupport
import XCTest

/// The convolutional network (conv → ReLU → dense layers): forward against an independent Double
/// direct convolution (no im2col, explicit `[y][x][c]` indexing), backward against finite
/// differences, and row-chunked forwards against a whole-batch one.
final class NetworkGradientTests: XCTestCase {
    static let convs: [Conv2D] = [
        Conv2D(height: 5, width: 4, channels: 2, filters: 3, kernel: 3, stride: 1),
        Conv2D(height: 7, width: 6, channels: 3, filters: 4, kernel: 3, stride: 2),
        Conv2D(height: 10, width: 10, channels: 4, filters: 16, kernel: 3, stride: 1),   // MinAtar's shape
    ]

    static func randomParams(_ net: Network, _ rng: inout RNG) -> [Float] {
        var p = [Float](repeating: 0, count: net.parameterCount)
        let c = net.convs[0]
        for i in 0..<(c.patchSize * c.filters) { p[i] = Float(rng.normal() / Double(c.patchSize).squareRoot()) }
        for j in 0..<c.filters { p[c.patchSize * c.filters + j] = Float(0.3 * rng.normal()) }
        for l in 0..<net.layerCount {
            let nIn = net.sizes[l], nOut = net.sizes[l + 1]
            for i in 0..<(nIn * nOut) { p[net.weightOffsets[l] + i] = Float(rng.normal() / Double(nIn).squareRoot()) }
            for j in 0..<nOut { p[net.biasOffsets[l] + j] = Float(0.3 * rng.normal()) }
        }
        return p
    }

    /// Direct convolution in Double: `y[oy][ox][f] = b[f] + Σ_{ky,kx,c} x[oy·s+ky][ox·s+kx][c] · W[(ky·k+kx)·C + c][f]`.
    static func referenceForward(_ net: Network, _ p: [Float], _ input: [Float], batch: Int) -> [Double] {
        let c = net.convs[0]
        var convOut = [Double](repeating: 0, count: batch * c.outputSize)
        for b in 0..<batch {
            for oy in 0..<c.outHeight {
                for ox in 0..<c.outWidth {
                    for f in 0..<c.filters {
                        var s = Double(p[c.patchSize * c.filters + f])
                        for ky in 0..<c.kernel {
                            for kx in 0..<c.kernel {
                                for ch in 0..<c.channels {
                                    let xv = input[b * c.inputSize + ((oy * c.stride + ky) * c.width + (ox * c.stride + kx)) * c.channels + ch]
                                    s += Double(xv) * Double(p[((ky * c.kernel + kx) * c.channels + ch) * c.filters + f])
                                }
                            }
                        }
                        convOut[b * c.outputSize + (oy * c.outWidth + ox) * c.filters + f] = max(s, 0)
                    }
                }
            }
        }
        var x = convOut
        for l in 0..<net.layerCount {
            let nIn = net.sizes[l], nOut = net.sizes[l + 1]
            var y = [Double](repeating: 0, count: batch * nOut)
            for r in 0..<batch {
                for j in 0..<nOut {
                    var s = Double(p[net.biasOffsets[l] + j])
                    for i in 0..<nIn { s += x[r * nIn + i] * Double(p[net.weightOffsets[l] + i * nOut + j]) }
                    if l < net.layerCount - 1 { switch net.mlp.activation { case .tanh: s = tanh(s); case .relu: s = max(s, 0); case .identity: break } }
                    y[r * nOut + j] = s
                }
            }
            x = y
        }
        return x
    }

    func testLayoutOfTheMinAtarNetwork() {
        let net = Network(kind: .minatar_cnn, observationShape: [10, 10, 4], hidden: [128], activation: .relu, outputs: 7)
        XCTAssertEqual(net.convs.first?.outHeight, 8)
        XCTAssertEqual(net.sizes, [8 * 8 * 16, 128, 7])
        XCTAssertEqual(net.parameterCount, (36 * 16 + 16) + (1024 * 128 + 128) + (128 * 7 + 7))
        XCTAssertEqual(net.weightOffsets[0], 36 * 16 + 16)
        let plain = Network(kind: .mlp, observationShape: [10, 10, 4], hidden: [64], activation: .tanh, outputs: 3)
        XCTAssertTrue(plain.convs.isEmpty)
        XCTAssertEqual(plain.sizes, [400, 64, 3])
    }

    func testForwardMatchesDirectConvolution() {
        var rng = RNG(seed: 11)
        for conv in Self.convs {
            for act in Activation.allCases {
                let net = Network(conv: conv, hidden: [9, 5], activation: act, outputs: 3)
                let batch = 3
                let p = Self.randomParams(net, &rng)
                let x = rng.floats(batch * net.inputSize)
                let ws = NetworkWorkspace(net, capacity: batch)
                let y = p.withUnsafeBufferPointer { pb in x.withUnsafeBufferPointer { net.forward(pb.baseAddress!, $0.baseAddress!, batch: batch, ws) } }
                let ref = Self.referenceForward(net, p, x, batch: batch)
                for i in 0..<(batch * net.outputSize) {
                    XCTAssertEqual(Double(y[i]), ref[i], accuracy: 1e-4 * max(1, abs(ref[i])), "\(conv) \(act) output \(i)")
                }
            }
        }
    }

    func testBackwardMatchesFiniteDifferences() {
        var rng = RNG(seed: 12)
        var tally = FiniteDifferenceTally()
        for conv in Self.convs.prefix(2) {
            for act in Activation.allCases {
                for batch in [1, 3] {
                    let net = Network(conv: conv, hidden: [6], activation: act, outputs: 3)
                    let p = Buffer(Self.randomParams(net, &rng))
                    let x = Buffer(rng.floats(batch * net.inputSize))
                    let c = Buffer(rng.floats(batch * net.outputSize))
                    // ReLU on/off pattern of every unit (conv and dense): a step across a kink is skipped
                    checkFiniteDifferences(net, p: p, x: x, c: c, batch: batch, parameters: Array(0..<net.parameterCount), tolerance: 1e-3,
                                           pattern: { Self.referencePattern(net, p.array, x.array, batch: batch) },
                                           label: "\(conv) \(act) batch \(batch)", into: &tally)
                }
            }
        }
        print("Network FD: worst \(tally.worst) over \(tally.checked) parameters, \(tally.skipped) at ReLU kinks skipped")
        XCTAssertLessThan(Double(tally.skipped), 0.1 * Double(tally.checked))
        XCTAssertGreaterThan(tally.checked, 1000)
    }

    /// Signs of every pre-activation that goes through a ReLU (conv units always; dense hidden
    /// units when the activation is ReLU), from the Double reference.
    static func referencePattern(_ net: Network, _ p: [Float], _ input: [Float], batch: Int) -> [Bool] {
        let c = net.convs[0]
        var out: [Bool] = []
        var convOut = [Double](repeating: 0, count: batch * c.outputSize)
        for b in 0..<batch {
            for oy in 0..<c.outHeight { for ox in 0..<c.outWidth { for f in 0..<c.filters {
                var s = Double(p[c.patchSize * c.filters + f])
                for ky in 0..<c.kernel { for kx in 0..<c.kernel { for ch in 0..<c.channels {
                    s += Double(input[b * c.inputSize + ((oy * c.stride + ky) * c.width + (ox * c.stride + kx)) * c.channels + ch])
                        * Double(p[((ky * c.kernel + kx) * c.channels + ch) * c.filters + f])
                } } }
                out.append(s > 0)
                convOut[b * c.outputSize + (oy * c.outWidth + ox) * c.filters + f] = max(s, 0)
            } } }
        }
        guard net.mlp.activation == .relu else { return out }
        var x = convOut
        for l in 0..<(net.layerCount - 1) {
            let nIn = net.sizes[l], nOut = net.sizes[l + 1]
            var y = [Double](repeating: 0, count: batch * nOut)
            for r in 0..<batch { for j in 0..<nOut {
                var s = Double(p[net.biasOffsets[l] + j])
                for i in 0..<nIn { s += x[r * nIn + i] * Double(p[net.weightOffsets[l] + i * nOut + j]) }
                out.append(s > 0); y[r * nOut + j] = max(s, 0)
            } }
            x = y
        }
        return out
    }

    func testChunkedForwardEqualsWholeBatchBitExact() {
        var rng = RNG(seed: 13)
        let net = Network(conv: Self.convs[2], hidden: [32], activation: .relu, outputs: 4)
        let p = Self.randomParams(net, &rng)
        let x = rng.floats(6 * net.inputSize)
        let g = assertChunkedForwardEqualsWhole(net, params: p, input: x, rng: &rng)
        XCTAssertTrue(g.contains { $0 != 0 })
    }

    /// MinAtar's network is the same computation as before conv stacks existed (golden results
    /// depend on its bits): one channels-last im2col, `Y = ReLU(P·W + b)` with the fixed-order
    /// kernels, the MLP on `Y`; backward the MLP's ∂input, the ReLU mask, `∂b` row by row, `∂W += Pᵀ·∂Y`.
    /// Written out here with the public kernels, compared bit for bit.
    func testMinAtarNetworkIsTheSingleConvComputationBitForBit() {
        var rng = RNG(seed: 14)
        let net = Network(kind: .minatar_cnn, observationShape: [10, 10, 4], hidden: [128], activation: .relu, outputs: 7)
        let c = net.convs[0], batch = 5, P = c.positions, F = c.filters, ps = c.patchSize
        var p = [Float](repeating: 0, count: net.parameterCount)
        net.initialize(&p, offset: 0, rng: &rng, hiddenGain: 2.0.squareRoot(), outputGain: 1)
        for i in 0..<F { p[ps * F + i] = Float(0.1 * rng.normal()) }
        let x = (0..<(batch * net.inputSize)).map { _ in Float(rng.int(below: 2)) }
        let dOut = rng.floats(batch * net.outputSize)
        // by hand
        var patches = [Float](repeating: 0, count: batch * P * ps)
        for b in 0..<batch { for oy in 0..<c.outHeight { for ox in 0..<c.outWidth { for ky in 0..<3 { for j in 0..<(3 * 4) {
            patches[((b * c.outHeight + oy) * c.outWidth + ox) * ps + ky * 12 + j] = x[b * 400 + ((oy + ky) * 10 + ox) * 4 + j]
        } } } } }
        var y = [Float](repeating: 0, count: batch * c.outputSize)
        for r in 0..<(batch * P) { for f in 0..<F { y[r * F + f] = p[ps * F + f] } }
        gemmAccumulate(batch * P, F, ps, patches, p, &y)
        y = y.map { max($0, 0) }
        let mlpAt = c.parameterCount, ws = MLPWorkspace(net.mlp, capacity: batch)
        var gradHand = [Float](repeating: 0, count: net.parameterCount), dY = [Float](repeating: 0, count: batch * c.outputSize)
        let yBuf = Buffer(y)
        p.withUnsafeBufferPointer { pb in
            net.mlp.forward(pb.baseAddress! + mlpAt, yBuf.p, batch: batch, ws)
            gradHand.withUnsafeMutableBufferPointer { g in
                net.mlp.backward(pb.baseAddress! + mlpAt, ws, dOutput: dOut, grad: g.baseAddress! + mlpAt, dInput: &dY, input: yBuf.p)
            }
        }
        let outHand = Array(UnsafeBufferPointer(start: ws.output, count: batch * net.outputSize))
        for i in dY.indices where y[i] <= 0 { dY[i] = 0 }
        for r in 0..<(batch * P) { for f in 0..<F { gradHand[ps * F + f] += dY[r * F + f] } }
        gemmTransAAccumulate(batch * P, F, ps, patches, dY, &gradHand)
        // through Network
        let nws = NetworkWorkspace(net, capacity: batch), xb = Buffer(x)
        var grad = [Float](repeating: 0, count: net.parameterCount)
        p.withUnsafeBufferPointer { pb in
            net.forward(pb.baseAddress!, xb.p, batch: batch, nws)
            grad.withUnsafeMutableBufferPointer { net.backward(pb.baseAddress!, nws, dOutput: dOut, grad: $0.baseAddress!) }
        }
        XCTAssertEqual(Array(UnsafeBufferPointer(start: nws.output, count: batch * net.outputSize)).map(\.bitPattern), outHand.map(\.bitPattern))
        XCTAssertEqual(grad.map(\.bitPattern), gradHand.map(\.bitPattern))
        XCTAssertTrue(grad[0..<(ps * F)].contains { $0 != 0 })
    }
}
