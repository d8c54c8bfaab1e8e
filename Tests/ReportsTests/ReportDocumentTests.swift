import Experiments
import Foundation
import Reports
import XCTest

/// The typed report: one table rendered three ways, plots attached by table id, the CSV's numbers
/// equal to the tables' Doubles, and report.html self-contained.
final class ReportDocumentTests: XCTestCase {
    let table = ReportTable(id: "demo", title: "Demo", columns: [
        ReportColumn("configuration"),
        ReportColumn("final eval return", header: "final eval return (mean [95% CI])", unit: "return"),
        ReportColumn("env steps to threshold", unit: "env steps"),
        ReportColumn("wall time s", unit: "s"),
        ReportColumn("reached"),
        ReportColumn("note"),
    ], rows: [
        [.text("base"), .interval(mean: 1.0 / 3, lo: 0.1, hi: 2.0 / 3, digits: 1), .ci(MeanCI(mean: .nan, lo: .nan, hi: .nan, n: 0), digits: 0),
         .number(0.1 + 0.2, digits: 1), .compound(values: [1, 2], text: "1/2 (≥ 475)"), .text("a | b")],
        [.text("lr=0.001"), .interval(mean: 480, lo: 475.25, hi: 500, digits: 1), .interval(mean: 1e5, lo: 9e4, hi: 1.1e5, digits: 0),
         .number(.nan, digits: 1), .compound(values: [2, 2], text: "2/2 (≥ 475)"), .missing],
    ])

    func testMarkdownShowsTheDigitsAsked() {
        XCTAssertEqual(table.markdown, """
        | configuration | final eval return (mean [95% CI]) | env steps to threshold | wall time s | reached | note |
        |---|---|---|---|---|---|
        | base | 0.3 [0.1, 0.7] | – | 0.3 | 1/2 (≥ 475) | a \\| b |
        | lr=0.001 | 480.0 [475.2, 500.0] | 100000 [90000, 110000] | – | 2/2 (≥ 475) | – |
        """)
    }

    func testCSVKeepsFullPrecisionAndSplitsIntervals() throws {
        let lines = table.csv.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        XCTAssertEqual(lines, [
            "configuration,final eval return,final eval return ci_lo,final eval return ci_hi,env steps to threshold,env steps to threshold ci_lo,env steps to threshold ci_hi,wall time s,reached,note",
            "base,0.3333333333333333,0.1,0.6666666666666666,,,,0.30000000000000004,1/2 (≥ 475),a | b",
            "lr=0.001,480,475.25,500,100000,90000,110000,–,2/2 (≥ 475),–",
            "",
        ])
        // every number reads back as the same Double
        let fields = lines[1].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        XCTAssertEqual(Double(fields[1]), 1.0 / 3)
        XCTAssertEqual(Double(fields[3]), 2.0 / 3)
        XCTAssertEqual(Double(fields[7]), 0.1 + 0.2)
        // a column of absent intervals only stays one column, shown as absent
        let empty = ReportTable(id: "e", title: "E", columns: [ReportColumn("a"), ReportColumn("steps", header: "steps (mean [95% CI])")],
                                rows: [[.text("x"), .missing]])
        XCTAssertEqual(empty.csv, "a,steps (mean [95% CI])\nx,–\n")
    }

    func testHTMLAlignsByCellType() {
        let doc = ReportDocument(title: "t", sections: [ReportSection(title: "t", blocks: [.table(table)])])
        let html = doc.html(pageTitle: "p")
        let header = html.components(separatedBy: "<thead>")[1].components(separatedBy: "</thead>")[0]
        // first column left; intervals, numbers (absent allowed) and compound numbers right; text left
        XCTAssertEqual(header, "\n<tr><th scope=\"col\">configuration</th><th class=\"r\" scope=\"col\">final eval return (mean [95% CI])</th><th class=\"r\" scope=\"col\">env steps to threshold</th><th class=\"r\" scope=\"col\">wall time s</th><th class=\"r\" scope=\"col\">reached</th><th scope=\"col\">note</th></tr>\n")
        XCTAssertTrue(html.contains("<td>a | b</td>"), "the pipe is text in HTML")
        XCTAssertTrue(html.contains("<td class=\"r\">–</td><td class=\"r\">0.3</td>"))
        // a column of absent values only is not a number column
        let absent = ReportTable(id: "a", title: "A", columns: [ReportColumn("a"), ReportColumn("b")], rows: [[.text("x"), .missing]])
        XCTAssertTrue(ReportDocument(title: "t", sections: [ReportSection(title: "t", blocks: [.table(absent)])]).html(pageTitle: "p")
            .contains("<th scope=\"col\">b</th>"))
    }

    func testPlotsAttachByTableIDNotHeading() {
        let svg = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\"><title>p</title></svg>\n"
        let doc = ReportDocument(title: "results", sections: [
            ReportSection(title: "results", blocks: [.prose("head")]),
            ReportSection(title: "Learning curves", blocks: [.prose("curves")]),
            ReportSection(title: "A heading unlike the id", blocks: [.prose("before"), .table(table), .prose("after")]),
        ], plots: [
            ReportPlot(table: "demo", file: "plots/demo.svg", svg: svg),
            ReportPlot(table: "learning_curves", file: "plots/learning_curves.svg", svg: svg),
            ReportPlot(table: "demo", file: "plots/demo_wall.svg", svg: svg),
            ReportPlot(table: "no_such_table", file: "plots/orphan.svg", svg: svg),
        ])
        let md = doc.markdown
        XCTAssertTrue(md.contains("\n## A heading unlike the id\n\n![A heading unlike the id](plots/demo.svg)\n\n![A heading unlike the id](plots/demo_wall.svg)\n\nbefore\n"), md)
        XCTAssertTrue(md.contains("\n## Learning curves\n\n![Learning curves](plots/learning_curves.svg)\n\ncurves\n"), md)
        XCTAssertTrue(md.hasSuffix("\n## Plots\n\n![no_such_table](plots/orphan.svg)\n"), md)

        let html = doc.html(pageTitle: "rlexp report: results")
        XCTAssertTrue(html.contains("<h2 id=\"a-heading-unlike-the-id\">A heading unlike the id</h2>\n<figure data-file=\"plots/demo.svg\">\n<svg xmlns=\"http://www.w3.org/2000/svg\"><title>p</title></svg>\n</figure>\n<figure data-file=\"plots/demo_wall.svg\">"), html)
        XCTAssertFalse(html.contains("<?xml"), "the XML declaration is not valid inside HTML")
        XCTAssertLessThan(html.range(of: ">Plots</h2>")!.lowerBound, html.range(of: "plots/orphan.svg")!.lowerBound)
        XCTAssertEqual(html.components(separatedBy: "<svg").count - 1, 4)
    }

    /// A multi-part spec over two environments: a learning-curve plot per environment, and the
    /// published figures of an environment compared only with that environment's configurations.
    func testSeveralEnvironmentsGetTheirOwnCurvesAndPublishedRows() throws {
        let dir = try writeFixtureResults([
            FixtureRun(runID: "b_s0-aaaaaaaa", label: "a2c_breakout", seed: 0, evalReturns: [0, 2, 5]),
            FixtureRun(runID: "si_s0-bbbbbbbb", label: "a2c_space_invaders", seed: 0, evalReturns: [1, 20, 40], env: "MinAtar/SpaceInvaders-v1"),
        ], env: "MinAtar/Breakout-v1", threshold: nil)
        let doc = try writeReport(resultsDir: dir).document
        XCTAssertEqual(Set(doc.plots.map(\.file)).intersection(["plots/learning_curves_on_minatar_breakout_v1.svg", "plots/learning_curves_on_minatar_spaceinvaders_v1.svg"]).count, 2)
        XCTAssertFalse(doc.plots.contains { $0.file == "plots/learning_curves.svg" })
        guard let t = doc.tables.first(where: { $0.id == "published_results_on_minatar_breakout_v1" }) else { return XCTFail("\(doc.tables.map(\.id))") }
        XCTAssertFalse(t.rows.isEmpty)
        let labelColumn = t.columns.firstIndex { $0.name == "configuration (ours)" }!
        XCTAssertEqual(t.rows.map { $0[labelColumn] }, [.text("a2c_breakout")], "SpaceInvaders must not be compared with Breakout's figure")
    }

    /// A continuous-action sweep over several algorithms gets the continuous-control comparison:
    /// one row per configuration with env steps and wall seconds to the reference return, and its
    /// curves against steps and against wall time. Worked by hand: the threshold −200 is first
    /// reached at the second evaluation (step 1000), whose wall_s is 10/2 = 5 s resp. 4/2 = 2 s.
    func testContinuousControlSection() throws {
        let dir = try writeFixtureResults([
            FixtureRun(runID: "ppo_s0-aaaaaaaa", label: "ppo", seed: 0, evalReturns: [-1200, -150, -160], wallSeconds: 10, algo: "ppo"),
            FixtureRun(runID: "ppo_s1-bbbbbbbb", label: "ppo", seed: 1, evalReturns: [-1300, -190, -170], wallSeconds: 10, algo: "ppo"),
            FixtureRun(runID: "a3c_s0-cccccccc", label: "a3c", seed: 0, evalReturns: [-1250, -900, -180], wallSeconds: 4, algo: "async"),
            FixtureRun(runID: "a3c_s1-dddddddd", label: "a3c", seed: 1, evalReturns: [-1100, -199, -700], wallSeconds: 4, algo: "async"),
        ], env: "Pendulum-v1", threshold: -200)
        let r = try writeReport(resultsDir: dir)
        guard let t = r.document.tables.first(where: { $0.id == "continuous_control" }) else { return XCTFail("no continuous-control table: \(r.document.tables.map(\.id))") }
        XCTAssertEqual(t.rows.count, 2)
        XCTAssertEqual(t.rows.map { $0[0] }, [.text("a3c"), .text("ppo")])
        let wallColumn = t.columns.firstIndex { $0.name == "wall s to threshold" }!
        guard case .interval(let ppoWall, _, _, _) = t.rows[1][wallColumn], case .interval(let a3cWall, _, _, _) = t.rows[0][wallColumn] else { return XCTFail("\(t.rows)") }
        XCTAssertEqual(ppoWall, 5, accuracy: 1e-12)
        XCTAssertEqual(a3cWall, (4 + 2) / 2, accuracy: 1e-12, "seed 0 reaches −200 at step 2000 (wall 4 s), seed 1 at step 1000 (2 s)")
        XCTAssertEqual(Set(r.document.plots.filter { $0.table == "continuous_control" }.map(\.file)),
                       ["plots/continuous_control.svg", "plots/continuous_control_wall.svg"])
        let md = try String(contentsOf: dir.appendingPathComponent("report/report.md"), encoding: .utf8)
        XCTAssertTrue(md.contains("ppo on Pendulum-v1") && md.contains("async on Pendulum-v1"), "the head names each part's algorithm")
        // one algorithm on a discrete task: no such section
        let discrete = try writeFixtureResults([FixtureRun(runID: "s0-eeeeeeee", label: "base", seed: 0, evalReturns: [10, 480, 500])])
        XCTAssertNil(try writeReport(resultsDir: discrete).document.tables.first { $0.id == "continuous_control" })
    }

    /// The whole report of a fixture folder: report.md's tables are the document's, every CSV number
    /// equals the Double in the document, report.html holds every plot inline and nothing external.
    func testReportRendersEveryTableFromTheDocument() throws {
        let dir = try writeFixtureResults([
            FixtureRun(runID: "s0-aaaaaaaa", label: "base", seed: 0, evalReturns: [10, 480, 100], wallSeconds: 10.1),
            FixtureRun(runID: "s1-bbbbbbbb", label: "base", seed: 1, evalReturns: [10, 200, 300.7], wallSeconds: 20.3),
            FixtureRun(runID: "s0-cccccccc", label: "lr=0.001", seed: 0, evalReturns: [20, 490, 500], wallSeconds: 10),
            FixtureRun(runID: "s1-dddddddd", label: "lr=0.001", seed: 1, evalReturns: [20, 476, 300], wallSeconds: 3),
        ])
        let r = try writeReport(resultsDir: dir)
        let report = dir.appendingPathComponent("report")
        let tables = r.document.tables
        XCTAssertEqual(tables.map(\.id), ["summary", "sensitivity_to_lr", "normalized_scores"])
        XCTAssertEqual(r.summaryTable, tables[0].markdown)
        XCTAssertEqual(tables[0].columns.map(\.unit), [nil, nil, "return", "env steps", nil, "s", "env steps/s"])

        let md = try String(contentsOf: report.appendingPathComponent("report.md"), encoding: .utf8)
        XCTAssertEqual(md, r.document.markdown)
        for t in tables { XCTAssertTrue(md.contains(t.markdown + "\n"), t.id) }
        XCTAssertTrue(md.contains("## Sensitivity to lr\n\n![Sensitivity to lr](plots/sensitivity_to_lr.svg)\n"))

        let csvFiles = try FileManager.default.contentsOfDirectory(atPath: report.appendingPathComponent("tables").path).sorted()
        XCTAssertEqual(csvFiles, ["normalized_scores.csv", "sensitivity_to_lr.csv", "summary.csv"])
        for t in tables {
            let text = try String(contentsOf: report.appendingPathComponent("tables/\(t.id).csv"), encoding: .utf8)
            XCTAssertEqual(text, t.csv)
            let rows = parseCSV(text)
            XCTAssertEqual(rows.count, t.rows.count + 1, t.id)
            for (cells, fields) in zip(t.rows, rows.dropFirst()) {
                var k = 0
                for (j, cell) in cells.enumerated() {
                    guard k < fields.count else { XCTFail("\(t.id): too few fields \(fields)"); break }
                    let splitColumn = rows[0][k] == t.columns[j].name && k + 2 < min(rows[0].count, fields.count)
                        && rows[0][k + 1] == t.columns[j].name + " ci_lo"
                    switch cell {
                    case .interval(let m, let lo, let hi, _):
                        XCTAssertTrue(splitColumn, "\(t.id): \(t.columns[j].name)")
                        XCTAssertEqual([m, lo, hi], fields[k..<(k + 3)].map { Double($0)! }, "\(t.id) \(t.columns[j].name): full precision")
                    case .number(let v, _):
                        if v.isNaN { XCTAssertEqual(fields[k], "–") } else { XCTAssertEqual(Double(fields[k]), v, "\(t.id) \(t.columns[j].name)") }
                    case .integer(let i):
                        XCTAssertEqual(Int(fields[k]), i)
                    case .text(let s), .compound(_, let s):
                        XCTAssertEqual(fields[k], s)
                    case .missing:
                        XCTAssertEqual(fields[k], splitColumn ? "" : "–")
                    }
                    k += splitColumn ? 3 : 1
                }
                XCTAssertEqual(k, fields.count)
            }
        }
        // the base's mean speed (2000 / 10.1 + 2000 / 20.3) / 2 env steps/s is not rounded to 148 in the CSV
        let summaryCSV = try String(contentsOf: report.appendingPathComponent("tables/summary.csv"), encoding: .utf8)
        XCTAssertTrue(summaryCSV.contains(",\((2000 / 10.1 + 2000 / 20.3) / 2)\n"), summaryCSV)
        XCTAssertTrue(md.contains("| 15.2 | 148 |"), "report.md shows the digits asked")

        let html = try String(contentsOf: report.appendingPathComponent("report.html"), encoding: .utf8)
        XCTAssertEqual(html, r.document.html(pageTitle: "rlexp report: \(dir.lastPathComponent)"))
        let plots = try FileManager.default.contentsOfDirectory(atPath: report.appendingPathComponent("plots").path).sorted()
        XCTAssertEqual(plots, ["learning_curves.svg", "sensitivity_to_lr.svg"])
        for p in plots {
            let svg = try String(contentsOf: report.appendingPathComponent("plots/\(p)"), encoding: .utf8)
            let body = svg.split(separator: "\n", maxSplits: 1)[1].trimmingCharacters(in: .newlines)
            XCTAssertTrue(html.contains("<figure data-file=\"plots/\(p)\">\n\(body)\n</figure>"), "\(p) inline")
        }
        XCTAssertEqual(html.components(separatedBy: "<table>").count - 1, tables.count)
        for external in ["<img", "src=", "<link", "<script", "url(", "@import", "href=\"http"] {
            XCTAssertFalse(html.contains(external), "self-contained: \(external)")
        }
    }

    /// Sources/Reports renders from data: no regular expression over text anywhere in it.
    func testNoRegularExpressionsInReports() throws {
        let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Sources/Reports").standardized
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".swift") }
        XCTAssertTrue(files.contains("ReportTable.swift"))
        for f in files {
            let text = try String(contentsOf: dir.appendingPathComponent(f), encoding: .utf8)
            for needle in ["NSRegularExpression", ".regularExpression", "Regex", "#/"] {
                XCTAssertFalse(text.contains(needle), "\(f) uses \(needle)")
            }
        }
    }

    /// RFC 4180 fields (quotes, doubled quotes, commas inside quotes).
    func parseCSV(_ text: String) -> [[String]] {
        var rows: [[String]] = [], row: [String] = [], field = "", quoted = false
        var it = Array(text), i = 0
        while i < it.count {
            let c = it[i]
            if quoted {
                if c == "\"" { if i + 1 < it.count && it[i + 1] == "\"" { field.append("\""); i += 1 } else { quoted = false } } else { field.append(c) }
            } else if c == "\"" { quoted = true }
            else if c == "," { row.append(field); field = "" }
            else if c == "\n" { row.append(field); rows.append(row); row = []; field = "" }
            else { field.append(c) }
            i += 1
        }
        it = []
        return rows
    }
}
