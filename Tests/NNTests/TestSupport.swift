import NN
import XCTest

/// A heap buffer with a stable address (MLPWorkspace keeps the input pointer between forward and
/// backward, so the tests must not hand it a pointer that escapes `withUnsafeBufferPointer`).
final class Buffer {
    let count: Int
    let p: UnsafeMutablePointer<Float>
    init(_ values: [Float]) {
        count = values.count
        p = .allocate(capacity: max(count, 1))
        p.initialize(from: values, count: count)
    }
    convenience init(repeating v: Float, count: Int) { self.init([Float](repeating: v, count: count)) }
    var array: [Float] { Array(UnsafeBufferPointer(start: p, count: count)) }
    deinit { p.deallocate() }
}

/// What a finite-difference check of a `Network`'s backward pass found.
struct FiniteDifferenceTally {
    var checked = 0, skipped = 0, worst = 0.0
}

/// Checks `net.backward` against central finite differences of `L = Σ c·y` (`y` the outputs of
/// `batch` rows of `x`) for the parameters `ks` (step `h` = 0.01), asserting a relative error
/// `|fd − g| / max(1, |g|)` below `tolerance`. A step whose ReLU on/off `pattern` differs from the
/// unperturbed one crossed a kink, where the derivative is not the slope: it is counted as skipped.
func checkFiniteDifferences(_ net: Network, p: Buffer, x: Buffer, c: Buffer, batch: Int, parameters ks: [Int], tolerance: Double,
                            pattern: () -> [Bool], label: String, into tally: inout FiniteDifferenceTally,
                            file: StaticString = #filePath, line: UInt = #line) {
    let ws = NetworkWorkspace(net, capacity: batch)
    let h: Float = 1e-2
    func loss() -> Double {
        let y = net.forward(p.p, x.p, batch: batch, ws)
        var s = 0.0
        for i in 0..<(batch * net.outputSize) { s += Double(c.p[i]) * Double(y[i]) }
        return s
    }
    let grad = Buffer(repeating: 0.25, count: net.parameterCount)
    _ = loss()
    let base = pattern()
    net.backward(p.p, ws, dOutput: c.p, grad: grad.p)
    let g = grad.array.map { Double($0) - 0.25 }
    for k in ks {
        let old = p.p[k]
        p.p[k] = old + h; let lp = loss(); let pp = pattern(); let up = p.p[k]
        p.p[k] = old - h; let lm = loss(); let pm = pattern(); let down = p.p[k]
        p.p[k] = old
        tally.checked += 1
        if pp != base || pm != base { tally.skipped += 1; continue }
        let numeric = (lp - lm) / Double(up - down)
        let err = abs(numeric - g[k]) / max(1, abs(g[k]))
        tally.worst = max(tally.worst, err)
        XCTAssertLessThan(err, tolerance, "\(label) parameter \(k): fd \(numeric) vs backward \(g[k])", file: file, line: line)
    }
}

/// Forwards `batch` rows of `x` whole and in the chunks 0..<2, 2..<3, 3..<6 (so `batch` is 6) and
/// asserts the same output bits, and the same gradient bits from `backward` with either workspace
/// for random `∂L/∂output`; returns that gradient.
func assertChunkedForwardEqualsWhole(_ net: Network, params p: [Float], input x: [Float], rng: inout RNG,
                                     file: StaticString = #filePath, line: UInt = #line) -> [Float] {
    let batch = 6
    let whole = NetworkWorkspace(net, capacity: batch), chunked = NetworkWorkspace(net, capacity: batch)
    p.withUnsafeBufferPointer { pb in
        x.withUnsafeBufferPointer { xb in
            net.forward(pb.baseAddress!, xb.baseAddress!, batch: batch, whole)
            for r in [0..<2, 2..<3, 3..<6] { net.forward(pb.baseAddress!, xb.baseAddress!, rows: r, chunked) }
        }
    }
    for i in 0..<(batch * net.outputSize) {
        XCTAssertEqual(whole.output[i].bitPattern, chunked.output[i].bitPattern, "output \(i)", file: file, line: line)
    }
    let c = rng.floats(batch * net.outputSize)
    var g1 = [Float](repeating: 0, count: net.parameterCount), g2 = g1
    p.withUnsafeBufferPointer { pb in c.withUnsafeBufferPointer { cb in
        g1.withUnsafeMutableBufferPointer { net.backward(pb.baseAddress!, whole, dOutput: cb.baseAddress!, grad: $0.baseAddress!) }
        g2.withUnsafeMutableBufferPointer { net.backward(pb.baseAddress!, chunked, dOutput: cb.baseAddress!, grad: $0.baseAddress!) }
    } }
    XCTAssertEqual(g1.map(\.bitPattern), g2.map(\.bitPattern), "gradients", file: file, line: line)
    return g1
}
