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

    /// expf and log were written out for speed on 2026-12-06 (a rounding by 1.5·2⁵² instead of
    /// `rint`, the Taylor and atanh series unrolled with folded constants, the exponent and
    /// significand from the bits). The code they replaced, kept here as the reference, must give
    /// the same bits: every Float input of expf's range at a stride, powers of two and their
    /// neighbours, subnormals, and random doubles for log and exp.
    func testWrittenOutFunctionsKeepTheBitsOfTheLoops() {
        let inverseFactorials: [Double] = [1.0, 1.0, 0.5, 1.0 / 6.0, 1.0 / 24.0, 1.0 / 120.0, 1.0 / 720.0, 1.0 / 5040.0,
                                           1.0 / 40320.0, 1.0 / 362880.0, 1.0 / 3628800.0, 1.0 / 39916800.0,
                                           1.0 / 479001600.0, 1.0 / 6227020800.0]
        let ln2Hi = 6.93147180369123816490e-01, ln2Lo = 1.90821492927058770002e-10, log2e = 1.44269504088896338700e+00
        func reduce(_ x: Double) -> (Double, Double) {
            let n = (x * log2e).rounded(.toNearestOrEven)
            return (n, (x - n * ln2Hi) - n * ln2Lo)
        }
        func taylor(_ r: Double, _ degree: Int) -> Double {
            var p = inverseFactorials[degree]
            for k in stride(from: degree - 1, through: 0, by: -1) { p = p * r + inverseFactorials[k] }
            return p
        }
        func expf(_ xf: Float) -> Float {
            let x = Double(xf)
            if x.isNaN { return xf }
            if x > 88.8 { return .infinity }
            if x < -104 { return 0 }
            let (n, r) = reduce(x)
            return Float(Double(sign: .plus, exponent: Int(n), significand: taylor(r, 9)))
        }
        func exp(_ x: Double) -> Double {
            if x.isNaN { return x }
            if x > 709.782712893384 { return .infinity }
            if x < -745.1332191019412 { return 0 }
            let (n, r) = reduce(x)
            return Double(sign: .plus, exponent: Int(n), significand: taylor(r, 13))
        }
        func log(_ x0: Double) -> Double {
            if x0.isNaN || x0 < 0 { return .nan }
            if x0 == 0 { return -.infinity }
            if x0 == .infinity { return x0 }
            var x = x0, e = 0
            if x < Double.leastNormalMagnitude { x *= 0x1p54; e = -54 }
            e += Int(x.exponent)
            var m = x.significand
            if m > 1.4142135623730951 { m *= 0.5; e += 1 }
            let s = (m - 1) / (m + 1), s2 = s * s
            var p = 1.0 / 23.0
            for k in stride(from: 21, through: 1, by: -2) { p = p * s2 + 1.0 / Double(k) }
            let d = Double(e)
            return d * ln2Hi + (d * ln2Lo + 2 * s * p)
        }
        var floats: [Float] = [0, -0, 1, -1, 88.8, 88.79, 88.81, -104, -103.99, -104.01, .infinity, -.infinity,
                               Float.leastNonzeroMagnitude, -Float.leastNonzeroMagnitude, 0.5, -0.5, 1.5, -1.5, 2.5, -2.5]
        var x = Float(-104.5)
        while x < 89 { floats.append(x); x = x.nextUp.nextUp.nextUp + 1e-4 }   // ~2M values over the range
        var differ: [String] = []
        for v in floats {
            if DetMath.expf(v).bitPattern != expf(v).bitPattern { differ.append("expf(\(v))") }
            if v > 0 && DetMath.logf(v).bitPattern != Float(log(Double(v))).bitPattern { differ.append("logf(\(v))") }
        }
        var rng = RNG(seed: 17)
        var doubles: [Double] = [5e-324, 1e-310, Double.leastNormalMagnitude, Double.leastNormalMagnitude.nextDown,
                                 Double.greatestFiniteMagnitude, 1, 1.0.nextUp, 1.0.nextDown, 2, 0.5, 1.4142135623730951,
                                 1.4142135623730951.nextUp, 709.782712893384, -745.1332191019412, 0.34657359027997264]
        for k in -1074...1023 { doubles.append(Double(sign: .plus, exponent: k, significand: 1)) }
        for _ in 0..<300_000 { doubles.append(Foundation.exp(rng.uniform(-744, 709))) }
        for _ in 0..<100_000 { doubles.append(rng.uniform(-746, 710)) }
        for v in doubles {
            if DetMath.log(v).bitPattern != log(v).bitPattern { differ.append("log(\(v))") }
            if DetMath.exp(v).bitPattern != exp(v).bitPattern { differ.append("exp(\(v))") }
            if DetMath.exp(-v).bitPattern != exp(-v).bitPattern { differ.append("exp(\(-v))") }
        }
        XCTAssertGreaterThan(floats.count, 1_000_000)
        XCTAssertEqual(differ.count, 0, "\(differ.count) inputs differ, e.g. \(differ.prefix(5))")
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
