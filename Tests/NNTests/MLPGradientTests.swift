import Foundation
import NN
import TestSupport
import XCTest

final class MLPGradientTests: XCTestCase {
    // MARK: - Helpers

    /// Weights ~ N(0, 1/n_in) (pre-activations O(1), so tanh is in its curved range and ReLU units
    /// are split between on and off), biases ~ N(0, 0.3²), so that a bias mistake shows.
    static func randomParams(_ net: MLP, _ rng: inout RNG) -> [Float] {
        var p = [Float](repeating: 0, count: net.parameterCount)
        for l in 0..<net.layerCount {
            let nIn = net.sizes[l], nOut = net.sizes[l + 1]
            for i in 0..<(nIn * nOut) { p[net.weightOffsets[l] + i] = Float(rng.normal() / Double(nIn).squareRoot()) }
            for j in 0..<nOut { p[net.biasOffsets[l] + j] = Float(0.3 * rng.normal()) }
            if net.layerNorm && l < net.layerCount - 1 {   // γ around 1, β around 0, so a swapped pair shows
                for j in 0..<nOut { p[net.normOffsets[l] + j] = Float(1 + 0.3 * rng.normal()); p[net.normOffsets[l] + nOut + j] = Float(0.3 * rng.normal()) }
            }
        }
        return p
    }

    /// Independent Double forward (Foundation tanh), for `batch` rows; returns batch × outputSize.
    static func referenceForward(_ net: MLP, _ p: [Float], _ input: [Float], batch: Int) -> [Double] {
        var x = input.map(Double.init)
        for l in 0..<net.layerCount {
            let nIn = net.sizes[l], nOut = net.sizes[l + 1]
            var y = [Double](repeating: 0, count: batch * nOut)
            for r in 0..<batch {
                for j in 0..<nOut {
                    var s = Double(p[net.biasOffsets[l] + j])
                    for i in 0..<nIn { s += x[r * nIn + i] * Double(p[net.weightOffsets[l] + i * nOut + j]) }
                    y[r * nOut + j] = s
                }
                if l < net.layerCount - 1 {
                    if net.layerNorm {   // (y − mean)/sqrt(biased var + 1e-5)·γ + β, in Double
                        let row = Array(y[(r * nOut)..<((r + 1) * nOut)])
                        let mean = row.reduce(0, +) / Double(nOut)
                        let v = row.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(nOut)
                        for j in 0..<nOut {
                            y[r * nOut + j] = (row[j] - mean) / (v + 1e-5).squareRoot() * Double(p[net.normOffsets[l] + j]) + Double(p[net.normOffsets[l] + nOut + j])
                        }
                    }
                    for j in 0..<nOut {
                        let s = y[r * nOut + j]
                        switch net.activation { case .tanh: y[r * nOut + j] = tanh(s); case .relu: y[r * nOut + j] = max(s, 0); case .identity: break }
                    }
                }
            }
            x = y
        }
        return x
    }

    /// 1–3 hidden layers; the last net has layers wider than the 8- and 32-column kernel blocks.
    static let nets: [[Int]] = [[3, 5, 2], [4, 6, 5, 3], [3, 4, 5, 4, 2], [10, 9, 17, 3], [5, 40, 33, 3]]

    // MARK: - Layout and forward

    func testLayoutAndHandComputedForward() {
        let relu = MLP(sizes: [2, 2, 1], activation: .relu)
        XCTAssertEqual(relu.parameterCount, 9)
        XCTAssertEqual(relu.weightOffsets, [0, 6])
        XCTAssertEqual(relu.biasOffsets, [4, 8])
        XCTAssertEqual(MLP(sizes: [4, 64, 64, 2], activation: .tanh).parameterCount, 4 * 64 + 64 + 64 * 64 + 64 + 64 * 2 + 2)
        // W1 (2×2, row-major n_in × n_out) = [[1, -1], [2, 0.5]], b1 = [0.5, -3], W2 = [2, -1]ᵀ, b2 = 0.25.
        let p = Buffer([1, -1, 2, 0.5, 0.5, -3, 2, -1, 0.25])
        // x = [1, 2]: pre-activations [1 + 4 + 0.5, -1 + 1 - 3] = [5.5, -3]; second row x = [-1, 0]: [-0.5, -2].
        let x = Buffer([1, 2, -1, 0])
        let ws = MLPWorkspace(relu, capacity: 2)
        let y = relu.forward(p.p, x.p, batch: 2, ws)
        XCTAssertEqual(y[0], 11.25)  // relu: 2·5.5 − 0 + 0.25
        XCTAssertEqual(y[1], 0.25)   // relu: both units off
        XCTAssertEqual(Array(UnsafeBufferPointer(start: ws.outputs[0], count: 4)), [5.5, 0, 0, 0])
        let tanhNet = MLP(sizes: [2, 2, 1], activation: .tanh)
        let wsT = MLPWorkspace(tanhNet, capacity: 2)
        let yT = tanhNet.forward(p.p, x.p, batch: 2, wsT)
        XCTAssertEqual(Double(yT[0]), 2 * tanh(5.5) - tanh(-3.0) + 0.25, accuracy: 2e-6)
        XCTAssertEqual(Double(yT[1]), 2 * tanh(-0.5) - tanh(-2.0) + 0.25, accuracy: 2e-6)
    }

    func testForwardMatchesDoubleReference() {
        var rng = RNG(seed: 3)
        for sizes in Self.nets {
            for act in Activation.allCases {
                for (batch, ln) in [(1, false), (5, false), (1, true), (5, true)] {
                    let net = MLP(sizes: sizes, activation: act, layerNorm: ln)
                    let p = Buffer(Self.randomParams(net, &rng)), x = Buffer(rng.floats(batch * net.inputSize))
                    let ws = MLPWorkspace(net, capacity: batch)
                    let y = net.forward(p.p, x.p, batch: batch, ws)
                    let ref = Self.referenceForward(net, p.array, x.array, batch: batch)
                    // Float rounding (~1e-7 per operation) plus fastTanh's 3e-7 error, through ≤ 4 layers.
                    assertClose(Array(UnsafeBufferPointer(start: y, count: ref.count)), ref, tol: ln ? 3e-5 : 1e-5, "\(sizes) \(act) layerNorm \(ln) batch \(batch)")
                    XCTAssertEqual(ws.batch, batch)
                }
            }
        }
    }

    // MARK: - Backward vs finite differences

    /// For `L = Σ c · output` (c random, fixed), one backward with `dOutput = c` gives `∂L/∂θ` and
    /// `∂L/∂x`; each coordinate is compared with a central difference of the actual Float forward.
    ///
    /// Tolerance: L is accumulated in Double from Float outputs whose rounding error is ~1e-7·Σ|c·y|
    /// (≤ ~1e-6 here), so with a step h = 1e-2 the rounding noise of the difference quotient is
    /// ~1e-6 / 2h ≈ 5e-5. Truncation is h²/6·∂³L ≈ 2e-5·∂³L for tanh, and zero for ReLU as long as no
    /// unit changes side (L is then linear in any single parameter; coordinates where the on/off
    /// pattern changes between θ−h and θ+h are skipped). Both are ≲ 1e-4 for O(1) derivatives,
    /// so we require |fd − g| ≤ 1e-3·max(1, |g|), while any real mistake (a missing activation
    /// derivative, a transposed weight, a bias summed over one row) is O(|g|).
    func testBackwardMatchesFiniteDifferences() {
        var rng = RNG(seed: 4)
        var worst = 0.0, skipped = 0, checked = 0
        for sizes in Self.nets {
            for act in Activation.allCases {
                for (batch, ln) in [(1, false), (5, false), (1, true), (5, true)] {
                    let (w, s, c) = checkGradients(MLP(sizes: sizes, activation: act, layerNorm: ln), batch: batch, rng: &rng)
                    worst = max(worst, w); skipped += s; checked += c
                }
            }
        }
        print("MLP FD: worst |fd − g| / max(1, |g|) = \(worst) over \(checked) coordinates, \(skipped) ReLU kink coordinates skipped")
        XCTAssertLessThan(Double(skipped), 0.05 * Double(checked), "too many ReLU kinks skipped; the check would be weak")
    }

    private func checkGradients(_ net: MLP, batch: Int, rng: inout RNG) -> (worst: Double, skipped: Int, checked: Int) {
        let p = Buffer(Self.randomParams(net, &rng))
        let x = Buffer(rng.floats(batch * net.inputSize))
        let c = Buffer(rng.floats(batch * net.outputSize))
        let ws = MLPWorkspace(net, capacity: batch)
        let what = "\(net.sizes) \(net.activation)\(net.layerNorm ? " layerNorm" : "") batch \(batch)"
        let h: Float = net.layerNorm ? 3e-3 : 1e-2   // LayerNorm: a smaller step for its curvature (below)

        func loss() -> Double {
            let y = net.forward(p.p, x.p, batch: batch, ws)
            var s = 0.0
            for i in 0..<(batch * net.outputSize) { s += Double(c.p[i]) * Double(y[i]) }
            return s
        }
        func pattern() -> [Bool] {
            guard net.activation == .relu else { return [] }
            var out: [Bool] = []
            for l in 0..<(net.layerCount - 1) { out += (0..<(batch * net.sizes[l + 1])).map { ws.outputs[l][$0] > 0 } }
            return out
        }

        // Analytic: grad starts at 0.25 everywhere (backward must accumulate); dInput starts as garbage (overwritten).
        let grad = Buffer(repeating: 0.25, count: net.parameterCount)
        let dInput = Buffer(repeating: 1e3, count: batch * net.inputSize)
        _ = loss()
        let base = pattern()
        net.backward(p.p, ws, dOutput: c.p, grad: grad.p, dInput: dInput.p)
        let gParams = grad.array.map { Double($0) - 0.25 }, gInput = dInput.array.map(Double.init)

        var worst = 0.0, skipped = 0, checked = 0
        func fd(_ v: UnsafeMutablePointer<Float>, _ analytic: Double, _ label: String) {
            let old = v.pointee
            v.pointee = old + h; let lPlus = loss(); let pPlus = pattern(); let up = v.pointee
            v.pointee = old - h; let lMinus = loss(); let pMinus = pattern(); let down = v.pointee
            v.pointee = old
            checked += 1
            if pPlus != base || pMinus != base { skipped += 1; return }
            let numeric = (lPlus - lMinus) / Double(up - down)  // the step actually taken in Float
            let err = abs(numeric - analytic) / max(1, abs(analytic))
            worst = max(worst, err)
            // LayerNorm over a few units is strongly curved (the row's mean and σ move with every
            // input), so it gets a 3× smaller step and twice the tolerance (rounding noise ~2e-4 at h = 3e-3); any real mistake is O(|g|).
            XCTAssertLessThan(err, net.layerNorm ? 2e-3 : 1e-3, "\(what) \(label): fd \(numeric) vs backward \(analytic)")
        }
        for l in 0..<net.layerCount {
            let nIn = net.sizes[l], nOut = net.sizes[l + 1]
            // Every weight of the small nets; every 7th of the wide one (a spread sample: 7 is coprime to its
            // widths, so the sample walks across rows, columns and the 8/32-column blocks).
            let stride = net.parameterCount > 1000 ? 7 : 1
            for i in Swift.stride(from: 0, to: nIn * nOut, by: stride) { let k = net.weightOffsets[l] + i; fd(p.p + k, gParams[k], "W\(l)[\(i / nOut),\(i % nOut)]") }
            for j in 0..<nOut { let k = net.biasOffsets[l] + j; fd(p.p + k, gParams[k], "b\(l)[\(j)]") }
            if net.layerNorm && l < net.layerCount - 1 {
                for j in 0..<(2 * nOut) { let k = net.normOffsets[l] + j; fd(p.p + k, gParams[k], (j < nOut ? "γ" : "β") + "\(l)[\(j % nOut)]") }
            }
        }
        for i in 0..<(batch * net.inputSize) { fd(x.p + i, gInput[i], "dInput[\(i / net.inputSize),\(i % net.inputSize)]") }
        return (worst, skipped, checked)
    }

    /// A gradient that is not trivially small: guards against a test that passes because all
    /// gradients vanish (e.g. saturated units).
    func testGradientsAreNotDegenerate() {
        var rng = RNG(seed: 4)
        for act in Activation.allCases {
            let net = MLP(sizes: [3, 4, 5, 4, 2], activation: act)
            let p = Buffer(Self.randomParams(net, &rng)), x = Buffer(rng.floats(5 * 3)), c = Buffer(rng.floats(5 * 2))
            let ws = MLPWorkspace(net, capacity: 5)
            net.forward(p.p, x.p, batch: 5, ws)
            let grad = Buffer(repeating: 0, count: net.parameterCount)
            net.backward(p.p, ws, dOutput: c.p, grad: grad.p)
            let firstLayer = grad.array[0..<(3 * 4)]
            XCTAssertGreaterThan(firstLayer.map { abs($0) }.max()!, 0.05, "\(act)")
            XCTAssertGreaterThan(firstLayer.filter { $0 != 0 }.count, 3, "\(act)")
        }
    }

    // MARK: - Chunked forward

    /// Rows-range forwards, chunk by chunk, leave the same activations (bit-exact) as one full
    /// forward, and a backward after them equals a backward after the full forward (bit-exact).
    func testChunkedForwardEqualsFullForwardBitExact() {
        var rng = RNG(seed: 5)
        for act in Activation.allCases {
            let net = MLP(sizes: [10, 9, 17, 3], activation: act)
            let B = 7
            let p = Buffer(Self.randomParams(net, &rng)), x = Buffer(rng.floats(B * net.inputSize))
            let dOut = Buffer(rng.floats(B * net.outputSize))
            let full = MLPWorkspace(net, capacity: 10), chunked = MLPWorkspace(net, capacity: 10)
            net.forward(p.p, x.p, batch: B, full)
            for rows in [0..<3, 3..<4, 4..<4, 4..<7] { net.forward(p.p, x.p, rows: rows, chunked) }
            XCTAssertEqual(chunked.batch, B)
            for l in 0..<net.layerCount {
                let n = B * net.sizes[l + 1]
                XCTAssertEqual(Array(UnsafeBufferPointer(start: chunked.outputs[l], count: n)),
                               Array(UnsafeBufferPointer(start: full.outputs[l], count: n)), "\(act) layer \(l)")
            }
            let g1 = Buffer(repeating: 0, count: net.parameterCount), g2 = Buffer(repeating: 0, count: net.parameterCount)
            let d1 = Buffer(repeating: 0, count: B * net.inputSize), d2 = Buffer(repeating: 0, count: B * net.inputSize)
            net.backward(p.p, full, dOutput: dOut.p, grad: g1.p, dInput: d1.p)
            net.backward(p.p, chunked, dOutput: dOut.p, grad: g2.p, dInput: d2.p)
            XCTAssertEqual(g1.array, g2.array, "\(act) parameter gradients")
            XCTAssertEqual(d1.array, d2.array, "\(act) input gradients")
            XCTAssert(g1.array.contains { $0 != 0 })
        }
    }

    /// A workspace is reused every update: a second forward/backward on the same workspace (new
    /// input, new parameters) gives bit-for-bit what a fresh workspace gives (no stale scratch is
    /// accumulated into).
    func testWorkspaceReuseGivesSameGradients() {
        var rng = RNG(seed: 7)
        for act in Activation.allCases {
            let net = MLP(sizes: [5, 40, 33, 3], activation: act)
            let B = 4
            let reused = MLPWorkspace(net, capacity: B)
            var results: [[Float]] = []
            for round in 0..<2 {
                let p = Buffer(Self.randomParams(net, &rng)), x = Buffer(rng.floats(B * net.inputSize))
                let dOut = Buffer(rng.floats(B * net.outputSize))
                func gradients(_ ws: MLPWorkspace) -> [Float] {
                    net.forward(p.p, x.p, batch: B, ws)
                    let g = Buffer(repeating: 0, count: net.parameterCount), d = Buffer(repeating: 0, count: B * net.inputSize)
                    net.backward(p.p, ws, dOutput: dOut.p, grad: g.p, dInput: d.p)
                    return g.array + d.array
                }
                let fresh = gradients(MLPWorkspace(net, capacity: B))
                XCTAssertEqual(gradients(reused), fresh, "\(act) round \(round)")
                results.append(fresh)
            }
            XCTAssertNotEqual(results[0], results[1])
        }
    }

    /// A rows-range forward leaves the other rows of the workspace untouched.
    func testRowsForwardLeavesOtherRowsAlone() {
        var rng = RNG(seed: 6)
        let net = MLP(sizes: [3, 4, 2], activation: .tanh)
        let p = Buffer(Self.randomParams(net, &rng)), x = Buffer(rng.floats(6 * 3))
        let ws = MLPWorkspace(net, capacity: 6)
        net.forward(p.p, x.p, rows: 2..<4, ws)
        XCTAssertEqual(ws.batch, 4)
        let out = Array(UnsafeBufferPointer(start: ws.output, count: 6 * 2))
        XCTAssertEqual(Array(out[0..<4]), [0, 0, 0, 0])
        XCTAssertEqual(Array(out[8..<12]), [0, 0, 0, 0])
        let ref = Self.referenceForward(net, p.array, Array(x.array[6..<12]), batch: 2)
        assertClose(Array(out[4..<8]), ref, tol: 1e-5, "rows 2..<4")
    }
}
