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
        let c = net.conv!
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
        let c = net.conv!
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
        XCTAssertEqual(net.conv?.outHeight, 8)
        XCTAssertEqual(net.sizes, [8 * 8 * 16, 128, 7])
        XCTAssertEqual(net.parameterCount, (36 * 16 + 16) + (1024 * 128 + 128) + (128 * 7 + 7))
        XCTAssertEqual(net.weightOffsets[0], 36 * 16 + 16)
        let plain = Network(kind: .mlp, observationShape: [10, 10, 4], hidden: [64], activation: .tanh, outputs: 3)
        XCTAssertNil(plain.conv)
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
        var checked = 0, skipped = 0, worst = 0.0
        for conv in Self.convs.prefix(2) {
            for act in Activation.allCases {
                for batch in [1, 3] {
                    let net = Network(conv: conv, hidden: [6], activation: act, outputs: 3)
                    let p = Buffer(Self.randomParams(net, &rng))
                    let x = Buffer(rng.floats(batch * net.inputSize))
                    let c = Buffer(rng.floats(batch * net.outputSize))
                    let ws = NetworkWorkspace(net, capacity: batch)
                    let h: Float = 1e-2
                    func loss() -> Double {
                        let y = net.forward(p.p, x.p, batch: batch, ws)
                        var s = 0.0
                        for i in 0..<(batch * net.outputSize) { s += Double(c.p[i]) * Double(y[i]) }
                        return s
                    }
                    // ReLU on/off pattern of every unit (conv and dense): a step across a kink is skipped
                    func pattern() -> [Bool] {
                        let ref = Self.referencePattern(net, p.array, x.array, batch: batch)
                        return ref
                    }
                    let grad = Buffer(repeating: 0.25, count: net.parameterCount)
                    _ = loss()
                    let base = pattern()
                    net.backward(p.p, ws, dOutput: c.p, grad: grad.p)
                    let g = grad.array.map { Double($0) - 0.25 }
                    for k in 0..<net.parameterCount {
                        let old = p.p[k]
                        p.p[k] = old + h; let lp = loss(); let pp = pattern(); let up = p.p[k]
                        p.p[k] = old - h; let lm = loss(); let pm = pattern(); let down = p.p[k]
                        p.p[k] = old
                        checked += 1
                        if pp != base || pm != base { skipped += 1; continue }
                        let numeric = (lp - lm) / Double(up - down)
                        let err = abs(numeric - g[k]) / max(1, abs(g[k]))
                        worst = max(worst, err)
                        XCTAssertLessThan(err, 1e-3, "\(conv) \(act) batch \(batch) parameter \(k): fd \(numeric) vs backward \(g[k])")
                    }
                }
            }
        }
        print("Network FD: worst \(worst) over \(checked) parameters, \(skipped) at ReLU kinks skipped")
        XCTAssertLessThan(Double(skipped), 0.1 * Double(checked))
        XCTAssertGreaterThan(checked, 1000)
    }

    /// Signs of every pre-activation that goes through a ReLU (conv units always; dense hidden
    /// units when the activation is ReLU), from the Double reference.
    static func referencePattern(_ net: Network, _ p: [Float], _ input: [Float], batch: Int) -> [Bool] {
        let c = net.conv!
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
        let batch = 6
        let x = rng.floats(batch * net.inputSize)
        let whole = NetworkWorkspace(net, capacity: batch), chunked = NetworkWorkspace(net, capacity: batch)
        p.withUnsafeBufferPointer { pb in
            x.withUnsafeBufferPointer { xb in
                net.forward(pb.baseAddress!, xb.baseAddress!, batch: batch, whole)
                for r in [0..<2, 2..<3, 3..<6] { net.forward(pb.baseAddress!, xb.baseAddress!, rows: r, chunked) }
            }
        }
        for i in 0..<(batch * net.outputSize) { XCTAssertEqual(whole.output[i].bitPattern, chunked.output[i].bitPattern, "output \(i)") }
        // and the gradients from either workspace agree bit for bit
        let c = rng.floats(batch * net.outputSize)
        var g1 = [Float](repeating: 0, count: net.parameterCount), g2 = g1
        p.withUnsafeBufferPointer { pb in c.withUnsafeBufferPointer { cb in
            g1.withUnsafeMutableBufferPointer { net.backward(pb.baseAddress!, whole, dOutput: cb.baseAddress!, grad: $0.baseAddress!) }
            g2.withUnsafeMutableBufferPointer { net.backward(pb.baseAddress!, chunked, dOutput: cb.baseAddress!, grad: $0.baseAddress!) }
        } }
        XCTAssertEqual(g1.map(\.bitPattern), g2.map(\.bitPattern))
        XCTAssertTrue(g1.contains { $0 != 0 })
    }
}
