import Reports
import XCTest

final class StatisticsTests: XCTestCase {
    func testQuantileMatchesNumpyLinear() {
        // numpy.quantile([1, 2, 4, 8], [0, 0.25, 0.5, 0.9, 1]) = [1, 1.75, 3, 6.8, 8]
        let s: [Double] = [1, 2, 4, 8]
        let want: [Double] = [1, 1.75, 3, 6.8, 8]
        for (q, w) in zip([0, 0.25, 0.5, 0.9, 1], want) { XCTAssertEqual(quantile(sorted: s, q), w, accuracy: 1e-12) }
    }

    func testBootstrapCIIsDeterministicAndBracketsTheMean() {
        let x: [Double] = [420, 500, 480, 310, 500]
        let a = bootstrapMeanCI(x), b = bootstrapMeanCI(x)
        XCTAssertEqual(a, b, "a fixed bootstrap seed gives the same interval to every reader")
        XCTAssertEqual(a.mean, 442, accuracy: 1e-12)
        XCTAssertLessThan(a.lo, a.mean); XCTAssertGreaterThan(a.hi, a.mean)
        XCTAssertGreaterThanOrEqual(a.lo, 310); XCTAssertLessThanOrEqual(a.hi, 500)
        // the percentile bootstrap of the mean of 5 values: the interval is roughly mean ± 1.96·sd/√n
        let sd = (x.map { ($0 - 442) * ($0 - 442) }.reduce(0, +) / 5).squareRoot()
        XCTAssertEqual(a.hi - a.lo, 2 * 1.96 * sd / 5.0.squareRoot(), accuracy: 0.25 * (a.hi - a.lo))
    }

    /// 20 zeros and 20 ones: a resample's mean is Binomial(40, ½)/40, whose CDF (0.0192 at 13,
    /// 0.0403 at 14, 0.0769 at 15) puts the 2.5% quantile at 14/40 and, by symmetry, the 97.5%
    /// quantile at 26/40; 10,000 resamples are far from the CDF's steps, so the interval is exact.
    func testBootstrapCIIsThePercentileIntervalOfTheBinomial() {
        let x = [Double](repeating: 0, count: 20) + [Double](repeating: 1, count: 20)
        let ci = bootstrapMeanCI(x)
        XCTAssertEqual(ci.mean, 0.5)
        XCTAssertEqual(ci.lo, 14.0 / 40, "2.5% quantile (the 5% quantile would be 15/40)")
        XCTAssertEqual(ci.hi, 26.0 / 40, "97.5% quantile (the 95% quantile would be 25/40)")
        let ci90 = bootstrapMeanCI(x, level: 0.9)
        XCTAssertEqual(ci90.lo, 15.0 / 40)
        XCTAssertEqual(ci90.hi, 25.0 / 40)
    }

    func testDegenerateInputs() {
        XCTAssertEqual(bootstrapMeanCI([7]), MeanCI(mean: 7, lo: 7, hi: 7, n: 1))
        XCTAssertEqual(bootstrapMeanCI([.nan, 3, 3]).n, 2)
        XCTAssertEqual(bootstrapMeanCI([3, 3, 3]).lo, 3)
        XCTAssertTrue(bootstrapMeanCI([]).mean.isNaN)
    }
}
