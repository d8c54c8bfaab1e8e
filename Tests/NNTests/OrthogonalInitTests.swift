import NN
import XCTest

final class OrthogonalInitTests: XCTestCase {
    /// The smaller Gram matrix of a `rows × cols` row-major matrix (WᵀW if rows ≥ cols, else WWᵀ), in Double.
    static func smallGram(_ w: [Float], rows: Int, cols: Int) -> [[Double]] {
        let tall = rows >= cols, n = min(rows, cols), len = max(rows, cols)
        func at(_ vec: Int, _ i: Int) -> Double { Double(tall ? w[i * cols + vec] : w[vec * cols + i]) }
        return (0..<n).map { a in (0..<n).map { b in (0..<len).reduce(0.0) { $0 + at(a, $1) * at(b, $1) } } }
    }

    func testGramMatrixIsGainSquaredIdentity() {
        var rng = RNG(seed: 8)
        for (rows, cols) in [(4, 64), (64, 64), (64, 2), (1, 5), (5, 1)] {
            for gain in [1.0, 2.0.squareRoot(), 0.01] {
                let w = orthogonalMatrix(rows: rows, cols: cols, gain: gain, rng: &rng)
                XCTAssertEqual(w.count, rows * cols)
                let g = Self.smallGram(w, rows: rows, cols: cols)
                var worst = 0.0
                for a in 0..<g.count { for b in 0..<g.count { worst = max(worst, abs(g[a][b] - (a == b ? gain * gain : 0))) } }
                // Relative to gain² (Float storage gives ~1e-7); 1e-4 absolute for gain 1 and √2.
                XCTAssertLessThan(worst, 1e-4 * gain * gain, "\(rows)×\(cols) gain \(gain)")
            }
        }
    }

    /// Not a fixed or degenerate matrix: different RNG states give different matrices, and a
    /// square orthogonal matrix is not (±) the identity.
    func testRandomness() {
        var r1 = RNG(seed: 1), r2 = RNG(seed: 2)
        let a = orthogonalMatrix(rows: 8, cols: 8, gain: 1, rng: &r1)
        let b = orthogonalMatrix(rows: 8, cols: 8, gain: 1, rng: &r2)
        XCTAssertNotEqual(a, b)
        let offDiagonal = (0..<64).filter { $0 % 9 != 0 }.map { abs(a[$0]) }.max()!
        XCTAssertGreaterThan(offDiagonal, 0.1)
    }

    /// `MLP.initialize`: hidden layers orthogonal with `hiddenGain`, the last with `outputGain`,
    /// biases zero, only the [offset, offset + parameterCount) slice written.
    func testInitializeUsesGainsAndZeroBiases() {
        let net = MLP(sizes: [4, 64, 64, 2], activation: .tanh)
        let offset = 3
        var params = [Float](repeating: 7, count: net.parameterCount + offset + 2)
        var rng = RNG(seed: 9)
        net.initialize(&params, offset: offset, rng: &rng, hiddenGain: 2.0.squareRoot(), outputGain: 0.01)
        XCTAssertEqual(Array(params[0..<offset]), [7, 7, 7])
        XCTAssertEqual(Array(params[(offset + net.parameterCount)...]), [7, 7])
        for l in 0..<net.layerCount {
            let rows = net.sizes[l], cols = net.sizes[l + 1]
            let gain = l == net.layerCount - 1 ? 0.01 : 2.0.squareRoot()
            let w = Array(params[(offset + net.weightOffsets[l])..<(offset + net.weightOffsets[l] + rows * cols)])
            let g = Self.smallGram(w, rows: rows, cols: cols)
            for a in 0..<g.count { for b in 0..<g.count {
                XCTAssertEqual(g[a][b], a == b ? gain * gain : 0, accuracy: 1e-4 * gain * gain, "layer \(l) (\(a),\(b))")
            } }
            let bias = params[(offset + net.biasOffsets[l])..<(offset + net.biasOffsets[l] + cols)]
            XCTAssert(bias.allSatisfy { $0 == 0 }, "layer \(l) bias")
        }
    }
}
