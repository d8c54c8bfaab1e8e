import Foundation
import NN
import XCTest

/// DetMath replaces libm where bits must not depend on the CPU; it must still be accurate.
final class DetMathTests: XCTestCase {
    func testExpMatchesLibmToAboutOneUlp() {
        var rng = RNG(seed: 5)
        var worst = 0.0
        for _ in 0..<200_000 {
            let x = rng.uniform(-700, 700)
            let want = Foundation.exp(x), got = DetMath.exp(x)
            worst = max(worst, abs(got - want) / want.ulp)
        }
        XCTAssertLessThanOrEqual(worst, 2, "max error \(worst) ulp")
        XCTAssertEqual(DetMath.exp(0), 1)
        XCTAssertEqual(DetMath.exp(1), M_E, accuracy: 2 * M_E.ulp)
        XCTAssertEqual(DetMath.exp(-1000), 0)
        XCTAssertEqual(DetMath.exp(1000), .infinity)
        XCTAssertTrue(DetMath.exp(.nan).isNaN)
        XCTAssertEqual(DetMath.exp(-740), Foundation.exp(-740), accuracy: Foundation.exp(-740) * 1e-3, "subnormal results")
    }

    /// exp's final scaling by 2ⁿ (a multiply by 2ⁿ's bits where 2ⁿ is normal) gives the bits of the
    /// stdlib's `Double(sign:exponent:significand:)` that it replaced, for every n exp reaches.
    func testScaleByPowerOfTwoMatchesTheStdlibInit() {
        var rng = RNG(seed: 7)
        let ps = [0.7, 0.70710678118654757, 1.0, 1.0.nextDown, 1.0.nextUp, 1.4142135623730951, 1.5] + (0..<200).map { _ in rng.uniform(0.7, 1.5) }
        for n in -1080...1030 {
            for p in ps {
                XCTAssertEqual(DetMath.scale(p, n).bitPattern, Double(sign: .plus, exponent: n, significand: p).bitPattern, "p \(p), n \(n)")
            }
        }
    }

    func testLogMatchesLibmToAboutOneUlp() {
        var rng = RNG(seed: 6)
        var worst = 0.0
        for _ in 0..<200_000 {
            let x = Foundation.exp(rng.uniform(-700, 700))
            let want = Foundation.log(x), got = DetMath.log(x)
            worst = max(worst, abs(got - want) / max(abs(want).ulp, Double.ulpOfOne.ulp))
        }
        XCTAssertLessThanOrEqual(worst, 2, "max error \(worst) ulp")
        XCTAssertEqual(DetMath.log(1), 0)
        XCTAssertEqual(DetMath.log(M_E), 1, accuracy: 2e-16)
        XCTAssertEqual(DetMath.log(0), -.infinity)
        XCTAssertTrue(DetMath.log(-1).isNaN)
        XCTAssertEqual(DetMath.log(5e-324), Foundation.log(5e-324), accuracy: 1e-12, "subnormal input")
        // near 1, where cancellation would show
        XCTAssertEqual(DetMath.log(1 + 1e-10), Foundation.log(1 + 1e-10), accuracy: 1e-25)
    }

    func testFloatVersionsAndPow() {
        for x in stride(from: Float(-80), through: 80, by: 0.37) {
            XCTAssertEqual(DetMath.expf(x), Foundation.expf(x), accuracy: max(Foundation.expf(x).ulp, .leastNonzeroMagnitude))
        }
        XCTAssertEqual(DetMath.logf(2), Foundation.logf(2))
        XCTAssertEqual(DetMath.pow(0.92, 0), 1)
        XCTAssertEqual(DetMath.pow(0.92, 3), 0.92 * 0.92 * 0.92, accuracy: 1e-16)
        XCTAssertEqual(DetMath.pow(0.999, 1000), Foundation.pow(0.999, 1000), accuracy: 1e-13)
    }
}
