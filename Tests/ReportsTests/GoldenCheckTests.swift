import Experiments
import Foundation
import Reports
import NN
import XCTest

/// The golden comparison on hand-written results folders: what "inside the band" means, and that
/// the chunk digests name the first rows that differ.
final class GoldenCheckTests: XCTestCase {
    let runs = [
        FixtureRun(runID: "s0-aaaaaaaa", label: "base", seed: 0, evalReturns: [10, 480, 100]),
        FixtureRun(runID: "s1-bbbbbbbb", label: "base", seed: 1, evalReturns: [10, 200, 300]),
    ]

    func testAFolderMatchesItsOwnGoldenFile() throws {
        let dir = try writeFixtureResults(runs)
        let golden = try GoldenFile.from(resultsDir: dir)
        XCTAssertEqual(golden.runs.count, 2)
        XCTAssertEqual(golden.configs.map(\.label), ["base"])
        XCTAssertEqual(golden.configs[0].finalEval.mean, 200)
        XCTAssertEqual(golden.configs[0].tolerance, 10, "5% of the mean return")
        XCTAssertTrue(golden.isFromCleanCommit)
        let r = try checkAgainstGolden(resultsDir: dir, golden: golden)
        XCTAssertEqual(r.regressions, 0, r.table)
        XCTAssertEqual(r.rows.count, 2 * 2 + 1, "per run: datasets and final eval; per configuration: the band")
        // the file's JSON round-trips through load
        let path = dir.appendingPathComponent("golden.json").path
        try golden.json.pretty().write(toFile: path, atomically: true, encoding: .utf8)
        let loaded = try GoldenFile.load(path)
        XCTAssertEqual(try checkAgainstGolden(resultsDir: dir, golden: loaded).regressions, 0)
        XCTAssertEqual(loaded.randomPolicyReturn, golden.randomPolicyReturn)
        XCTAssertGreaterThan(golden.randomPolicyReturn, 15)
        XCTAssertLessThan(golden.randomPolicyReturn, 30, "CartPole's random policy returns about 22")
    }

    /// The band is [lo − tolerance, hi + tolerance], both ends included.
    func testBandIsInclusiveAndWidenedByTolerance() throws {
        let dir = try writeFixtureResults(runs)   // mean final eval 200
        var golden = try GoldenFile.from(resultsDir: dir)
        func verdict(lo: Double, hi: Double, tolerance: Double) throws -> Bool {
            golden.configs[0].finalEval = MeanCI(mean: (lo + hi) / 2, lo: lo, hi: hi, n: 2)
            golden.configs[0].tolerance = tolerance
            let row = try checkAgainstGolden(resultsDir: dir, golden: golden).rows.last!
            XCTAssertTrue(row.metric.hasSuffix("(statistical)"))
            return row.regression
        }
        XCTAssertFalse(try verdict(lo: 210, hi: 220, tolerance: 10), "200 = lo − tolerance is inside")
        XCTAssertTrue(try verdict(lo: 210, hi: 220, tolerance: 9.999), "just below the band")
        XCTAssertFalse(try verdict(lo: 180, hi: 190, tolerance: 10), "200 = hi + tolerance is inside")
        XCTAssertTrue(try verdict(lo: 180, hi: 190, tolerance: 9.999), "just above the band")
        XCTAssertFalse(try verdict(lo: 150, hi: 250, tolerance: 0))
        let r = try checkAgainstGolden(resultsDir: dir, golden: golden)
        golden.configs[0].finalEval = MeanCI(mean: 300, lo: 290, hi: 310, n: 2)
        let out = try checkAgainstGolden(resultsDir: dir, golden: golden)
        XCTAssertEqual(r.regressions, 0)
        XCTAssertEqual(out.regressions, 1)
        XCTAssertTrue(out.table.contains("mean final eval return 200.0 outside the golden band [290.0, 310.0]"), out.table)
        XCTAssertTrue(out.table.hasSuffix("FAIL: 1 regression(s) in 5 checks\n"), out.table)
    }

    /// One changed value in row 300 of /updates/loss: the exact tier names that dataset, the
    /// 256-row chunk holding it and its env steps, and nothing else differs.
    func testChunkDigestsLocateTheFirstDifference() throws {
        let golden = try GoldenFile.from(resultsDir: try writeFixtureResults(runs))
        var changed = runs
        changed[1].lossEdits = [300: 1e-12]
        let r = try checkAgainstGolden(resultsDir: try writeFixtureResults(changed), golden: golden)
        XCTAssertEqual(r.regressions, 1, r.table)
        let bad = r.rows.first { $0.regression }!
        XCTAssertEqual(bad.metric, "base seed 1: datasets (exact)")
        XCTAssertEqual(bad.delta, "1 differ")
        XCTAssertTrue(bad.detail.contains("First differing dataset: /updates/loss in rows 256–511 (env steps 10280–20480)."), bad.detail)
        XCTAssertFalse(bad.detail.contains("Also differ"), bad.detail)
        // a difference in the last, partial chunk
        changed[1].lossEdits = [599: 1]
        let later = try checkAgainstGolden(resultsDir: try writeFixtureResults(changed), golden: golden).rows.first { $0.regression }!
        XCTAssertTrue(later.detail.contains("in rows 512–599 (env steps 20520–24000)"), later.detail)
    }

    func testMissingRunAndChangedLengthAreRegressions() throws {
        let golden = try GoldenFile.from(resultsDir: try writeFixtureResults(runs))
        let missing = try checkAgainstGolden(resultsDir: try writeFixtureResults([runs[0]]), golden: golden)
        XCTAssertTrue(missing.rows.contains { $0.metric == "base seed 1: run" && $0.now == "missing" && $0.regression }, missing.table)
        var shorter = runs
        shorter[0].updates = 599
        let r = try checkAgainstGolden(resultsDir: try writeFixtureResults(shorter), golden: golden)
        XCTAssertTrue(r.table.contains("/updates/loss (600 values in golden, 599 now)") || r.table.contains("/updates/step (600 values in golden, 599 now)"), r.table)
    }

    func testDirtyOrMixedCommitsAreNotClean() throws {
        var g = try GoldenFile.from(resultsDir: try writeFixtureResults(runs))
        XCTAssertTrue(g.isFromCleanCommit)
        g.gitCommit += "-dirty"; g.runCommits = [g.gitCommit]
        XCTAssertFalse(g.isFromCleanCommit)
        g.gitCommit = "abc"; g.runCommits = ["abc", "def"]
        XCTAssertFalse(g.isFromCleanCommit)
        g.runCommits = ["unknown"]; g.gitCommit = "unknown"
        XCTAssertFalse(g.isFromCleanCommit)
    }

    /// The statistical tier's band: m ± t_{0.995, n−1} · s · √(2/n), worked by hand for [1, 2, 3, 4].
    func testPredictionIntervalByHand() {
        let p = meanPredictionInterval([1, 2, 3, 4])
        let half = 5.841 * (5.0 / 3).squareRoot() * 0.5.squareRoot()
        XCTAssertEqual(p.mean, 2.5)
        XCTAssertEqual(p.lo, 2.5 - half, accuracy: 1e-12)
        XCTAssertEqual(p.hi, 2.5 + half, accuracy: 1e-12)
        XCTAssertEqual(studentT995(degreesOfFreedom: 9), 3.250)
        XCTAssertEqual(studentT995(degreesOfFreedom: 200), 2.576)
    }

    /// Its false-alarm rate: two sweeps of 10 normal runs from one distribution; the second's mean
    /// leaves the first's band in about 1% of 4000 trials (binomial 4σ bounds).
    func testPredictionIntervalFalseAlarmRateIsOnePercent() {
        var rng = NN.RNG(seed: 11)
        var flagged = 0
        let trials = 4000
        for _ in 0..<trials {
            let golden = (0..<10).map { _ in 300 + 40 * rng.normal() }
            let fresh = (0..<10).map { _ in 300 + 40 * rng.normal() }
            let band = meanPredictionInterval(golden), m = fresh.reduce(0, +) / 10
            if m < band.lo || m > band.hi { flagged += 1 }
        }
        let rate = Double(flagged) / Double(trials)
        XCTAssertEqual(rate, 0.01, accuracy: 4 * (0.01 * 0.99 / Double(trials)).squareRoot(), "false-alarm rate \(rate)")
    }
}
