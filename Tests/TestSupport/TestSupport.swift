import NN
import XCTest

// Helpers shared by the NN and Agents test targets.

/// Random test data. Uses `RNG` only as a source of arbitrary numbers; every expected value in the
/// tests is computed independently of the code under test.
extension RNG {
    public mutating func floats(_ n: Int, scale: Double = 1) -> [Float] {
        (0..<n).map { _ in Float(normal() * scale) }
    }
}

/// `|got − expected| ≤ tol` for every element, with the index in the failure message.
public func assertClose(_ got: [Float], _ expected: [Double], tol: Double, _ what: String,
                        file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(got.count, expected.count, "\(what): count", file: file, line: line)
    for i in 0..<min(got.count, expected.count) where !(abs(Double(got[i]) - expected[i]) <= tol) {
        XCTFail("\(what)[\(i)]: got \(got[i]), expected \(expected[i]) (tol \(tol))", file: file, line: line)
        return
    }
}
