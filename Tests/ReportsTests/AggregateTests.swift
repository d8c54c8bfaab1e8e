// Aggregate metrics of Agarwal et al. 2021 (rliable) in Sources/Reports/Aggregate.swift, checked
//  * against rliable itself: Tests/fixtures/rliable/make_fixture.py → fixture.json (point estimates
//    from rliable.metrics, 95% stratified-bootstrap percentile CIs from
//    rliable.library.get_interval_estimates with 50,000 resamples);
//  * on cases whose answer is known by construction (IQM of 4k values, stratification, degenerate input).
import Foundation
import Reports
import XCTest

struct RliableFixtureFile: Decodable {
    var reps: Int
    var level: Double
    var cases: [RliableCase]
}

struct RliableCase: Decodable {
    var name: String
    var note: String
    var gamma: Double
    var ragged: Bool
    var tasks: [[Double]]
    var point: [String: Double]
    var lo: [String: Double]
    var hi: [String: Double]
}

enum RliableFixture {
    /// Tests/fixtures/rliable/fixture.json, found from this source file's path.
    static let url = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()   // ReportsTests
        .deletingLastPathComponent()   // Tests
        .appendingPathComponent("fixtures/rliable/fixture.json")

    static func load() throws -> RliableFixtureFile {
        try JSONDecoder().decode(RliableFixtureFile.self, from: Data(contentsOf: url))
    }
}

final class AggregateTests: XCTestCase {
    // MARK: rliable fixture

    /// The fixture covers what the generator promises (guards against a regenerated, thinner file).
    func testFixtureCoverage() throws {
        let f = try RliableFixture.load()
        XCTAssertEqual(f.level, 0.95)
        XCTAssertGreaterThanOrEqual(f.reps, 50_000)
        let counts = f.cases.map { $0.tasks.reduce(0) { $0 + $1.count } }
        XCTAssertTrue(f.cases.contains { $0.ragged && $0.tasks.contains { $0.count == 1 } }, "a ragged case with a one-run task")
        XCTAssertTrue(counts.contains { $0 % 4 != 0 }, "a case with n not divisible by 4")
        XCTAssertTrue(f.cases.contains { c in let all = c.tasks.flatMap { $0 }; return Set(all).count < all.count }, "a case with ties")
        XCTAssertTrue(f.cases.contains { $0.gamma != 1 }, "a case with gamma ≠ 1")
        for c in f.cases { for a in Aggregate.allCases {
            XCTAssertNotNil(c.point[a.rawValue]); XCTAssertNotNil(c.lo[a.rawValue]); XCTAssertNotNil(c.hi[a.rawValue])
        } }
    }

    /// Point estimates are deterministic: equal to rliable's up to summation order.
    func testPointEstimatesMatchRliable() throws {
        for c in try RliableFixture.load().cases {
            for a in Aggregate.allCases {
                let want = c.point[a.rawValue]!, got = a(c.tasks, gamma: c.gamma)
                XCTAssertEqual(got, want, accuracy: 1e-12 * max(1, abs(want)), "\(c.name) \(a.rawValue)")
            }
        }
    }

    /// The interval endpoints are Monte-Carlo estimates from a different random stream than rliable's
    /// (numpy's global generator), so they agree only up to Monte-Carlo error. That error is measured
    /// here rather than assumed: our implementation runs with K seeds at R resamples each; the spread
    /// σ_R of an endpoint over the seeds estimates one run's MC standard deviation, and since an
    /// endpoint's MC standard deviation scales as 1/√reps (√(α(1−α)/reps)/density), rliable's at
    /// 50,000 is σ_R·√(R/50,000). Comparing the mean of our K endpoints with rliable's, the standard
    /// deviation of the difference is σ_R·√(1/K + R/50,000); we require |Δ| ≤ 4 times that (a 4σ
    /// normal band: the σ_R estimated from K = 8 values can be ~half the true value, which still
    /// leaves a 2σ band).
    ///
    /// Where the bootstrap distribution has atoms (few runs, ties: many endpoints sit exactly on a
    /// possible aggregate value), an endpoint is not a smooth function of the MC noise: it stays on
    /// one value and occasionally jumps to the next. There the value-scale band can be 0 (all K of
    /// ours on one value) while rliable's rare jump put it on a neighbour, so an endpoint passes too if
    /// it is consistent on the probability scale: our K·R pooled replicates put at most α + 4s of their
    /// mass strictly below rliable's endpoint and at least α − 4s at or below it, with
    /// s = √(α(1−α)(1/(K·R) + 1/50,000)) the binomial standard error of the two empirical CDFs.
    func testIntervalsMatchRliableWithinMonteCarloError() throws {
        let f = try RliableFixture.load()
        let K = 8, R = 2000, alpha = (1 - f.level) / 2
        let aggs = Aggregate.allCases
        // AGGREGATE_MC_TABLE=1 swift test ... prints every endpoint's |Δ| against its tolerance
        let table = ProcessInfo.processInfo.environment["AGGREGATE_MC_TABLE"] != nil
        for c in f.cases {
            // replicates[seed][aggregate], each sorted
            let replicates = (0..<K).map { s in
                stratifiedBootstrapReplicates(c.tasks, aggregates: aggs, gamma: c.gamma, reps: R, seed: UInt64(100 + s)).map { $0.sorted() }
            }
            for (i, a) in aggs.enumerated() {
                let pooled = replicates.flatMap { $0[i] }
                for (side, q, ref) in [("lo", alpha, c.lo[a.rawValue]!), ("hi", 1 - alpha, c.hi[a.rawValue]!)] {
                    let ends = replicates.map { quantile(sorted: $0[i], q) }
                    let m = ends.reduce(0, +) / Double(K)
                    let sdR = (ends.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(K - 1)).squareRoot()
                    let tol = 4 * sdR * (1 / Double(K) + Double(R) / Double(f.reps)).squareRoot()
                    let diff = abs(m - ref), scale = 1e-12 * max(1, abs(ref))
                    let what = "\(c.name) \(a.rawValue) \(side): ours \(m) (σ_R \(sdR)), rliable \(ref)"
                    let below = Double(pooled.filter { $0 < ref - scale }.count) / Double(pooled.count)
                    let atOrBelow = Double(pooled.filter { $0 <= ref + scale }.count) / Double(pooled.count)
                    let s = (q * (1 - q) * (1 / Double(pooled.count) + 1 / Double(f.reps))).squareRoot()
                    if table { print("MC \(what) |Δ| \(diff) tol \(tol) CDF [\(below), \(atOrBelow)] vs \(q) ± \(4 * s)") }
                    if diff <= tol + scale { continue }
                    XCTAssert(below <= q + 4 * s && atOrBelow >= q - 4 * s,
                              "\(what): |Δ| \(diff) > \(tol), and our CDF at rliable's endpoint [\(below), \(atOrBelow)] misses \(q) ± \(4 * s)")
                }
            }
        }
    }

    // MARK: definitions

    /// IQM of 4k scores is the mean of the middle 2k, whatever the order and the split into tasks.
    func testIQMOfFourKValuesIsTheMeanOfTheMiddleHalf() {
        let k = 25
        let low = (0..<k).map { -1000 - Double($0) * 7.5 }          // far below
        let middle = (1...(2 * k)).map { Double($0) }               // 1...50, mean 25.5
        let high = (0..<k).map { 1000 + Double($0 * $0) }           // far above
        let all = low + middle + high
        let shuffled = (0..<all.count).map { all[($0 * 37) % all.count] }   // 37 is coprime with 100
        let sizes = [30, 7, 1, 62]
        var tasks: [[Double]] = [], start = 0
        for n in sizes { tasks.append(Array(shuffled[start..<(start + n)])); start += n }
        XCTAssertEqual(aggregateIQM(tasks), 25.5, accuracy: 1e-12)
        XCTAssertEqual(Aggregate.iqm(tasks), 25.5, accuracy: 1e-12)
        XCTAssertEqual(trimmedMean(shuffled, proportionToCut: 0.25), 25.5, accuracy: 1e-12)
    }

    /// scipy.stats.trim_mean cuts ⌊p·n⌋ from each end and never interpolates.
    func testTrimmedMeanRoundsTheCutDownLikeScipy() {
        XCTAssertEqual(trimmedMean([1, 2, 3, 5], proportionToCut: 0.25), 2.5)          // scipy's doc example
        XCTAssertEqual(trimmedMean([1, 2, 3, 5], proportionToCut: 0.24999), 2.75)      // cut int(0.99996) = 0
        XCTAssertEqual(trimmedMean([100, 1, -100, 2, 3, 4], proportionToCut: 0.25), 2.5)  // n = 6 keeps 4
        XCTAssertEqual(trimmedMean([9, 1, 2], proportionToCut: 0.25), 4)               // n = 3: plain mean
        XCTAssertEqual(trimmedMean([5, 1, 2, 3, 4, 100, -100, 0, 6], proportionToCut: 0.25), 3)  // n = 9 keeps 5
        XCTAssertEqual(trimmedMean([3, 1, 2], proportionToCut: 0), 2)
        XCTAssertTrue(trimmedMean([], proportionToCut: 0.25).isNaN)
    }

    func testMeanMedianAndOptimalityGapDefinitions() {
        let tasks: [[Double]] = [[0, 1], [2], [3, 4, 5, 12]]   // task means 0.5, 2, 6
        XCTAssertEqual(aggregateMean(tasks), 8.5 / 3, accuracy: 1e-15, "tasks weigh equally, not runs")
        XCTAssertEqual(aggregateMedian(tasks), 2)
        XCTAssertEqual(aggregateMedian([[0, 1], [2], [3, 4, 5, 12], [10]]), 4, "even task count: mean of the middle two")
        // γ = 1: clipped task means 0.5, 1, 1
        XCTAssertEqual(aggregateOptimalityGap(tasks), 1 - 2.5 / 3, accuracy: 1e-15)
        XCTAssertEqual(aggregateOptimalityGap(tasks, gamma: 0), 0, "every run reached γ")
        XCTAssertEqual(aggregateOptimalityGap(tasks, gamma: 20), 20 - aggregateMean(tasks), accuracy: 1e-12, "no run reached γ")
    }

    func testNormalize() {
        XCTAssertEqual(normalize(20, random: 20, reference: 500), 0)
        XCTAssertEqual(normalize(500, random: 20, reference: 500), 1)
        XCTAssertEqual(normalize(260, random: 20, reference: 500), 0.5)
        XCTAssertEqual(normalize(-1, random: 0, reference: -2), 0.5, "lower-is-better keeps the orientation")
        XCTAssertEqual(normalize([[20, 500], [0]], random: [20, -10], reference: [500, 10]), [[0, 1], [0.5]])
    }

    // MARK: bootstrap

    func testSameSeedSameIntervalAndSharedResamples() throws {
        let tasks = try RliableFixture.load().cases.first { $0.name == "rect_5x4" }!.tasks
        for a in Aggregate.allCases {
            let x = intervalEstimate(tasks, aggregate: a), y = intervalEstimate(tasks, aggregate: a)
            XCTAssertEqual(x, y, "a fixed bootstrap seed gives the same interval to every reader")
            XCTAssertEqual(x, intervalEstimates(tasks)[a], "the same interval whatever is computed alongside")
            let z = intervalEstimate(tasks, aggregate: a, seed: 1)
            XCTAssertNotEqual(x, z, "another seed, another Monte-Carlo draw")
            XCTAssertEqual(x.point, z.point)
            // the interval is the percentile interval of the replicates
            let r = stratifiedBootstrapReplicates(tasks, aggregates: [a], reps: 2000)[0].sorted()
            let alpha = (1 - 0.95) / 2   // as computed inside (0.025000000000000022, not the literal 0.025)
            XCTAssertEqual(x.lo, quantile(sorted: r, alpha)); XCTAssertEqual(x.hi, quantile(sorted: r, 1 - alpha))
            // a lower level from the same resamples is nested inside
            let n = intervalEstimate(tasks, aggregate: a, level: 0.5)
            XCTAssertGreaterThanOrEqual(n.lo, x.lo); XCTAssertLessThanOrEqual(n.hi, x.hi)
            XCTAssertLessThan(n.lo, n.hi)
        }
    }

    /// Runs are resampled within their own task: a task's resampled values are its own runs, a
    /// one-run task always contributes its one value, and each task keeps its number of runs.
    func testStratificationResamplesWithinEachTask() {
        // pooled (unstratified) resampling would put 1000 in the second task's slots, or 0/1 in the first's
        let tasks: [[Double]] = [[1000], [0, 1]]
        let r = stratifiedBootstrapReplicates(tasks, aggregates: Aggregate.allCases, reps: 4000, seed: 7)
        // mean = median (2 tasks) = (1000 + m)/2, m = the second task's resampled mean ∈ {0, ½, 1}
        for i in 0..<2 { XCTAssertEqual(Set(r[i]), [500, 500.25, 500.5]) }
        XCTAssertEqual(Set(r[2]), [1000.0 / 3, 1001.0 / 3, 1002.0 / 3])     // IQM of 3 values = their mean
        XCTAssertEqual(Set(r[3]), [0.5, 0.25, 0])                         // 1 − (1 + mean(min(x, 1)))/2
        // m is the mean of two independent uniform draws from {0, 1}: P(½) = ½, P(0) = P(1) = ¼
        let half = Double(r[0].filter { $0 == 500.25 }.count) / 4000, zero = Double(r[0].filter { $0 == 500 }.count) / 4000
        XCTAssertEqual(half, 0.5, accuracy: 5 * (0.25 / 4000).squareRoot())
        XCTAssertEqual(zero, 0.25, accuracy: 5 * (0.1875 / 4000).squareRoot())

        // two tasks on disjoint ranges: every resampled task mean stays in its own task's range
        let apart: [[Double]] = [[0, 1, 2], [100, 101, 102, 103]]
        let m = stratifiedBootstrapReplicates(apart, aggregates: [.mean], reps: 2000, seed: 3)[0]
        XCTAssertGreaterThanOrEqual(m.min()!, 50); XCTAssertLessThanOrEqual(m.max()!, 52.5)

        // one run per task: nothing to resample, every interval is the point
        for e in intervalEstimates([[0.3], [0.9], [0.1]], reps: 200).values {
            XCTAssertEqual(e.lo, e.point); XCTAssertEqual(e.hi, e.point)
        }
    }

    func testDegenerateInputs() {
        for scores: [[Double]] in [[], [[1, 2], []], [[1, .nan], [2]]] {
            for a in Aggregate.allCases {
                XCTAssertTrue(a(scores).isNaN, "\(scores) \(a)")
                let e = intervalEstimate(scores, aggregate: a, reps: 10)
                XCTAssertTrue(e.point.isNaN && e.lo.isNaN && e.hi.isNaN, "\(scores) \(a)")
            }
        }
        let same = intervalEstimate([[0.4, 0.4, 0.4]], aggregate: .iqm, reps: 200)
        XCTAssertEqual(same.point, 0.4, accuracy: 1e-15)   // (0.4 + 0.4 + 0.4)/3 is 0.4000000000000001, as in numpy
        XCTAssertEqual(same.lo, same.point); XCTAssertEqual(same.hi, same.point)
    }
}
