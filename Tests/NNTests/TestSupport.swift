import NN
import XCTest

/// Random test data. Uses `RNG` only as a source of arbitrary numbers; every expected value in the
/// tests is computed independently of the code under test.
extension RNG {
    mutating func floats(_ n: Int, scale: Double = 1) -> [Float] {
        (0..<n).map { _ in Float(normal() * scale) }
    }
}

/// `|got − expected| ≤ tol` for every element, with the index in the failure message.
func assertClose(_ got: [Float], _ expected: [Double], tol: Double, _ what: String,
                 file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(got.count, expected.count, "\(what): count", file: file, line: line)
    for i in 0..<min(got.count, expected.count) where !(abs(Double(got[i]) - expected[i]) <= tol) {
        XCTFail("\(what)[\(i)]: got \(got[i]), expected \(expected[i]) (tol \(tol))", file: file, line: line)
        return
    }
}

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
