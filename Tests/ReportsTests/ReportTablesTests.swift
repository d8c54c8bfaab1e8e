import Experiments
import Foundation
import Reports
import XCTest

/// The report's numbers from a hand-written results folder, against values worked out by hand.
final class ReportTablesTests: XCTestCase {
    // eval at steps 0, 1000, 2000; threshold 475
    let runs = [
        FixtureRun(runID: "s0-aaaaaaaa", label: "base", seed: 0, evalReturns: [10, 480, 100], wallSeconds: 10),   // reaches at 1000
        FixtureRun(runID: "s1-bbbbbbbb", label: "base", seed: 1, evalReturns: [10, 200, 300], wallSeconds: 20),   // never: counts 2000
        FixtureRun(runID: "s0-cccccccc", label: "lr=0.001", seed: 0, evalReturns: [20, 490, 500], wallSeconds: 10),
        FixtureRun(runID: "s1-dddddddd", label: "lr=0.001", seed: 1, evalReturns: [20, 476, 300], wallSeconds: 10),
    ]

    func testSummaryNumbers() throws {
        let dir = try writeFixtureResults(runs)
        let r = try writeReport(resultsDir: dir)
        let byLabel = Dictionary(uniqueKeysWithValues: r.configs.map { ($0.label, $0) })
        let base = try XCTUnwrap(byLabel["base"]), lr = try XCTUnwrap(byLabel["lr=0.001"])
        XCTAssertEqual(base.finalEval.mean, 200)
        // two seeds: the bootstrap means are 100, 200 or 300, so the 95% interval is [100, 300]
        XCTAssertEqual(base.finalEval.lo, 100)
        XCTAssertEqual(base.finalEval.hi, 300)
        XCTAssertEqual(base.reached, 1)
        XCTAssertEqual(base.stepsToThreshold.mean, 1500, "1000 for the seed that reached, the 2000 budget for the one that did not")
        XCTAssertEqual(base.wall.mean, 15)
        XCTAssertEqual(lr.finalEval.mean, 400)
        XCTAssertEqual(lr.reached, 2)
        XCTAssertEqual(lr.stepsToThreshold.mean, 1000)
        XCTAssertEqual(lr.stepsToThreshold.lo, 1000)

        // the same numbers in the Markdown table and its CSV
        XCTAssertTrue(r.summaryTable.contains("| base | 2 | 200.0 [100.0, 300.0] | 1500 [1000, 2000] | 1/2 (≥ 475) | 15.0 |"), r.summaryTable)
        XCTAssertTrue(r.summaryTable.contains("| lr=0.001 | 2 | 400.0 [300.0, 500.0] | 1000 [1000, 1000] | 2/2 (≥ 475) | 10.0 |"), r.summaryTable)
        let csv = try String(contentsOf: dir.appendingPathComponent("report/tables/summary.csv"), encoding: .utf8)
        // full precision: the wall time 15 s and 2000 steps / 10 s or 20 s give 150 env steps/s on average
        XCTAssertTrue(csv.split(separator: "\n").contains { $0 == "base,2,200,100,300,1500,1000,2000,1/2 (≥ 475),15,150" }, csv)

        // aggregated curve: mean across seeds at every shared step
        let curves = try String(contentsOf: dir.appendingPathComponent("report/curves.csv"), encoding: .utf8)
        let lines = curves.split(separator: "\n").map(String.init)
        let header = lines[0].split(separator: ",").map(String.init)
        let iStep = try XCTUnwrap(header.firstIndex(of: "step")), iMean = try XCTUnwrap(header.firstIndex(of: "eval_return_mean"))
        let baseRows = lines.dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
            .filter { $0.contains("cfg-base") }
        XCTAssertEqual(baseRows.map { Double($0[iStep])! }, [0, 1000, 2000])
        XCTAssertEqual(baseRows.map { Double($0[iMean])! }, [10, 340, 200])

        let summary = try JSONParser.parse(try String(contentsOf: dir.appendingPathComponent("report/summary.json"), encoding: .utf8))
        guard case .array(let cs)? = summary["configs"] else { return XCTFail("summary.json has no configs") }
        XCTAssertEqual(cs.count, 2)
        XCTAssertEqual(cs.first { $0["config_label"] == .string("base") }?["reached_threshold"], .int(1))
    }

    /// Seeds whose evaluations landed after the interval's multiples by different amounts (as the
    /// asynchronous methods' rounds do) are averaged at the nominal steps 0, 1000, 2000.
    func testCurvesAlignSeedsAtNominalEvaluationSteps() throws {
        let dir = try writeFixtureResults([
            FixtureRun(runID: "s0-aaaaaaaa", label: "base", seed: 0, evalReturns: [10, 100, 300], steps: [0, 1030, 2010]),
            FixtureRun(runID: "s1-bbbbbbbb", label: "base", seed: 1, evalReturns: [20, 200, 500], steps: [0, 1075, 2040]),
        ])
        _ = try writeReport(resultsDir: dir)
        let lines = try String(contentsOf: dir.appendingPathComponent("report/curves.csv"), encoding: .utf8).split(separator: "\n").dropFirst()
        let rows = lines.map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        XCTAssertEqual(rows.map { Double($0[2])! }, [0, 1000, 2000])
        XCTAssertEqual(rows.map { Double($0[4])! }, [15, 150, 400])
    }
}
