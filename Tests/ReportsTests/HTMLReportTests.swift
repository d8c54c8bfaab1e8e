import Foundation
import Reports
import XCTest

final class HTMLReportTests: XCTestCase {
    // MARK: helpers

    func count(_ s: String, _ needle: String) -> Int { s.components(separatedBy: needle).count - 1 }

    func matches(_ s: String, _ pattern: String) -> [[String]] {
        let re = try! NSRegularExpression(pattern: pattern, options: [.dotMatchesLineSeparators])
        return re.matches(in: s, range: NSRange(s.startIndex..., in: s)).map { m in
            (0..<m.numberOfRanges).map { m.range(at: $0).location == NSNotFound ? "" : String(s[Range(m.range(at: $0), in: s)!]) }
        }
    }

    /// Every non-void element is closed, in order (the renderer's output is well nested).
    func assertBalanced(_ html: String, file: StaticString = #filePath, line: UInt = #line) {
        let void: Set<String> = ["meta", "img", "br", "hr", "link", "input"]
        var stack: [String] = []
        for m in matches(html, "<(/?)([a-zA-Z][a-zA-Z0-9]*)[^>]*>") {
            let name = m[2].lowercased()
            if void.contains(name) { continue }
            if m[1].isEmpty { stack.append(name) } else {
                XCTAssertEqual(stack.popLast(), name, "unbalanced </\(name)>", file: file, line: line)
            }
        }
        XCTAssertEqual(stack, [], "unclosed elements", file: file, line: line)
    }

    /// The report's Markdown as `writeReport` and `comparisonSections` produce it.
    let report = """
    # acer_cartpole

    ACER on CartPole-v1, 200000 environment steps per run, 10 runs in 2 configuration(s).

    Evaluation protocol (the same for every row): every 5000 environment steps and at the end, the greedy policy (argmax π) plays 10 episodes; *eval return* is their mean. *Final* is the evaluation at the end of training.

    | configuration | seeds | final eval return (mean [95% CI]) | env steps to threshold (mean [95% CI]) | reached | wall time s | env steps/s |
    |---|---|---|---|---|---|---|
    | base | 5 | 482.1 [460.0, 500.0] | 95000 [80000, 110000] | 5/5 (≥ 475) | 61.2 | 3270 |
    | replay_ratio=0 | 5 | 310.4 [250.2, 370.9] | 200000 [200000, 200000] | 0/5 (≥ 475) | 20.5 | 9756 |

    Files: `report/curves.csv` and `report/curves/<configuration>.csv`, `report/summary.json`.

    Produced by rlexp 0.1.0 at commit(s) abc1234.

    ## Replay ratio

    The ACER paper's claim: more replay per environment step reaches a given score in fewer environment steps.

    | replay_ratio | seeds | final eval return | env steps to threshold | reached | wall time s (95% CI) | env steps/s |
    |---|---|---|---|---|---|---|
    | 0 | 5 | 310.4 [250.2, 370.9] | 200000 [200000, 200000] | 0/5 | 20.5 [19.0, 22.1] | 9756 |
    | 4 | 5 | 482.1 [460.0, 500.0] | 95000 [80000, 110000] | 5/5 | 61.2 [60.0, 62.5] | 3270 |

    **Sample efficiency:** **not reproduced** on this task: the mean environment steps do not decrease (200000 → 95000).
    **Wall time:** 20.5 → 61.2 s from the lowest to the highest replay ratio.

    ## c × δ

    Final eval return / env steps to threshold (means over seeds), other hyperparameters at base.

    | c \\ δ | 0.1 | 1 |
    |---|---|---|
    | 1 | 450.0 / 120000 | – |
    | 10 | 482.1 / 95000 | 470.2 / 101000 |
    """

    // MARK: tests

    func testPageSkeletonTitleAndHeadings() {
        let html = renderHTMLReport(markdown: report, title: "ACER report <CartPole>", plotsAfterHeading: [:])
        XCTAssertTrue(html.hasPrefix("<!DOCTYPE html>\n<html lang=\"en\">"))
        XCTAssertTrue(html.contains("<meta charset=\"utf-8\">"))
        XCTAssertEqual(matches(html, "<title>(.*?)</title>").map { $0[1] }, ["ACER report &lt;CartPole&gt;"])
        XCTAssertEqual(count(html, "<style>"), 1, "embedded CSS")
        XCTAssertFalse(html.contains("<script"))
        XCTAssertFalse(html.contains("<link"), "self-contained")
        XCTAssertEqual(matches(html, "<h1[^>]*>(.*?)</h1>").map { $0[1] }, ["acer_cartpole"], "the # heading is the only h1")
        XCTAssertEqual(matches(html, "<h2[^>]*>(.*?)</h2>").map { $0[1] }, ["Replay ratio", "c × δ"])
        XCTAssertEqual(matches(html, "<h2 id=\"([^\"]*)\"").map { $0[1] }, ["replay-ratio", "c-δ"])
        assertBalanced(html)

        // without a # heading, the title becomes the h1
        let h = renderHTMLReport(markdown: "## only a section\n\ntext", title: "Report", plotsAfterHeading: [:])
        XCTAssertEqual(matches(h, "<h1[^>]*>(.*?)</h1>").map { $0[1] }, ["Report"])
        XCTAssertEqual(matches(h, "<h2[^>]*>(.*?)</h2>").map { $0[1] }, ["only a section"])
    }

    func testTablesConverted() {
        let html = renderHTMLReport(markdown: report, title: "r", plotsAfterHeading: [:])
        let tables = matches(html, "<table>(.*?)</table>").map { $0[1] }
        XCTAssertEqual(tables.count, 3)
        let shapes = tables.map { t -> (rows: Int, headerCells: Int, bodyCells: [Int]) in
            let rows = matches(t, "<tr>(.*?)</tr>").map { $0[1] }
            return (rows.count, count(rows[0], "<th"), rows.dropFirst().map { count($0, "<td") })
        }
        XCTAssertEqual(shapes.map(\.rows), [3, 3, 3], "header row + 2 body rows; the |---| row is not a row")
        XCTAssertEqual(shapes.map(\.headerCells), [7, 7, 3])
        XCTAssertEqual(shapes.map(\.bodyCells), [[7, 7], [7, 7], [3, 3]])
        XCTAssertFalse(html.contains("---|"))

        // alignment: first column left; numeric columns right; the text column left
        let first = tables[0]
        let headerClasses = matches(first, "<th( class=\"(\\w)\")? scope").map { $0[2] }
        XCTAssertEqual(headerClasses, ["", "r", "r", "r", "r", "r", "r"])
        let firstRowClasses = matches(matches(first, "<tbody>(.*?)</tbody>")[0][1], "<td( class=\"(\\w)\")?>").prefix(7).map { $0[2] }
        XCTAssertEqual(firstRowClasses, ["", "r", "r", "r", "r", "r", "r"])
        // the replay_ratio table's first column holds numbers but stays left-aligned
        XCTAssertTrue(tables[1].contains("<td>0</td>"))
        // cell content: escaping, the "\ " stays a backslash, placeholders right-aligned with their column
        XCTAssertTrue(tables[2].contains("<th scope=\"col\">c \\ δ</th>"))
        XCTAssertTrue(tables[2].contains("<td class=\"r\">–</td>"))
        XCTAssertTrue(tables[0].contains("<td class=\"r\">5/5 (≥ 475)</td>"))

        // a text column is left-aligned; explicit alignments are honoured; ragged rows are padded
        let md = "| name | kind | n | c |\n|---|---|:-:|:--|\n| a | x | 1 | 2 |\n| b | y |\n"
        let t = renderHTMLReport(markdown: md, title: "t", plotsAfterHeading: [:])
        XCTAssertEqual(matches(t, "<th( class=\"(\\w)\")? scope").map { $0[2] }, ["", "", "c", ""])
        XCTAssertEqual(matches(t, "<tr>(.*?)</tr>").map { count($0[1], "<td") }, [0, 4, 4])
        assertBalanced(t)
    }

    func testInlineMarkup() {
        let html = renderHTMLReport(markdown: report, title: "r", plotsAfterHeading: [:])
        XCTAssertTrue(html.contains("<em>eval return</em> is their mean"))
        XCTAssertTrue(html.contains("<p><strong>Sample efficiency:</strong> <strong>not reproduced</strong> on this task"))
        XCTAssertTrue(html.contains("<code>report/curves/&lt;configuration&gt;.csv</code>"))
        XCTAssertTrue(html.contains("<strong>Wall time:</strong> 20.5 → 61.2 s"), "consecutive lines stay one paragraph")

        let p = renderHTMLReport(markdown: "**bold *and italic* inside** and *it **b** x*, 2 * 3 * 4, `a*b*c`, \\*not\\*, **unclosed",
                                 title: "t", plotsAfterHeading: [:])
        XCTAssertTrue(p.contains("<p><strong>bold <em>and italic</em> inside</strong> and <em>it <strong>b</strong> x</em>, 2 * 3 * 4, <code>a*b*c</code>, *not*, **unclosed</p>"), p)
        let l = renderHTMLReport(markdown: "see [the csv](report/curves.csv) and [x](javascript:alert(1))\n\n- one\n- two *b*",
                                 title: "t", plotsAfterHeading: [:])
        XCTAssertTrue(l.contains("<a href=\"report/curves.csv\">the csv</a>"))
        XCTAssertFalse(l.contains("href=\"javascript"))
        XCTAssertTrue(l.contains("<ul>\n<li>one</li>\n<li>two <em>b</em></li>\n</ul>"))
    }

    func testHTMLInTextIsEscaped() {
        let md = """
        # Results <script>alert(1)</script>

        A & B <img src=x onerror=alert(1)> "quoted" `<b>code</b>`

        | a<b | "c" |
        |---|---|
        | <i>x</i> & y | 1 |
        """
        let html = renderHTMLReport(markdown: md, title: "T </title><script>", plotsAfterHeading: [:])
        XCTAssertFalse(html.contains("<script"))
        XCTAssertFalse(html.contains("<img src=x"))
        XCTAssertFalse(html.contains("<i>"))
        XCTAssertFalse(html.contains("<b>"))
        XCTAssertTrue(html.contains("<title>T &lt;/title&gt;&lt;script&gt;</title>"))
        XCTAssertTrue(html.contains("Results &lt;script&gt;alert(1)&lt;/script&gt;</h1>"))
        XCTAssertTrue(html.contains("A &amp; B &lt;img src=x onerror=alert(1)&gt; \"quoted\" <code>&lt;b&gt;code&lt;/b&gt;</code>"))
        XCTAssertTrue(html.contains("<th scope=\"col\">a&lt;b</th>"))
        XCTAssertTrue(html.contains("<td>&lt;i&gt;x&lt;/i&gt; &amp; y</td>"))
        assertBalanced(html)
    }

    func testPlotsInsertedAfterTheirHeading() {
        let plots = ["Replay ratio": ["plots/replay_ratio.svg", "plots/replay_ratio_wall.svg"],
                     "acer_cartpole": ["plots/all \"configs\".svg"],
                     "No such heading": ["plots/orphan.svg"]]
        let html = renderHTMLReport(markdown: report, title: "r", plotsAfterHeading: plots)
        XCTAssertEqual(count(html, "<img "), 4)
        func position(_ s: String) -> String.Index { html.range(of: s)!.lowerBound }
        // right after the heading, before its first paragraph and the next heading
        let rr = position("plots/replay_ratio.svg"), rrw = position("plots/replay_ratio_wall.svg")
        XCTAssertLessThan(position(">Replay ratio</h2>"), rr)
        XCTAssertLessThan(rr, rrw)
        XCTAssertLessThan(rrw, position("The ACER paper"))
        XCTAssertTrue(html.contains("Replay ratio</h2>\n<figure><img src=\"plots/replay_ratio.svg\" alt=\"Plot: replay ratio\""))
        XCTAssertTrue(html.contains("<img src=\"plots/replay_ratio_wall.svg\" alt=\"Plot: replay ratio wall\""))
        // the h1 key; the path's quotes escaped in the attribute
        let top = position("plots/all &quot;configs&quot;.svg")
        XCTAssertLessThan(position("</h1>"), top)
        XCTAssertLessThan(top, position("ACER on CartPole-v1"))
        // a key that matches no heading is not lost: it goes at the end under "Plots"
        XCTAssertLessThan(position(">Plots</h2>"), position("plots/orphan.svg"))
        XCTAssertLessThan(position("c × δ</h2>"), position(">Plots</h2>"))
        assertBalanced(html)

        // headings are matched by their text with the markup removed, too
        let h = renderHTMLReport(markdown: "## Sensitivity to `c`\n\ntext", title: "t", plotsAfterHeading: ["Sensitivity to c": ["plots/c.svg"]])
        XCTAssertTrue(h.contains("<h2 id=\"sensitivity-to-c\">Sensitivity to <code>c</code></h2>\n<figure><img src=\"plots/c.svg\""))
        XCTAssertFalse(h.contains(">Plots</h2>"))
    }

    func testDeterministic() {
        let plots = ["Replay ratio": ["plots/a.svg"], "c × δ": ["plots/b.svg"], "zzz": ["plots/c.svg"], "aaa": ["plots/d.svg"]]
        let a = renderHTMLReport(markdown: report, title: "r", plotsAfterHeading: plots)
        let b = renderHTMLReport(markdown: report, title: "r", plotsAfterHeading: plots)
        XCTAssertEqual(a, b)
        XCTAssertLessThan(a.range(of: "plots/d.svg")!.lowerBound, a.range(of: "plots/c.svg")!.lowerBound, "unplaced keys in sorted order")
    }
}
