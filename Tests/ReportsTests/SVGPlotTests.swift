import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Reports
import XCTest

final class SVGPlotTests: XCTestCase {
    // MARK: helpers

    /// Parses `svg` as XML (failing the test if it is not well-formed) and returns every element.
    func elements(_ svg: String, file: StaticString = #filePath, line: UInt = #line) throws -> [XMLElement] {
        let doc = try XMLDocument(xmlString: svg, options: [])
        guard let root = doc.rootElement() else { XCTFail("no root element", file: file, line: line); return [] }
        var all: [XMLElement] = []
        func walk(_ e: XMLElement) {
            all.append(e)
            for c in e.children ?? [] { if let ce = c as? XMLElement { walk(ce) } }
        }
        walk(root)
        return all
    }

    func withClass(_ els: [XMLElement], _ cls: String) -> [XMLElement] {
        els.filter { attr($0, "class") == cls }
    }

    /// An attribute's value ("" when absent). (`attribute(forName:)` misses attributes of elements in a
    /// default namespace in swift-corelibs-foundation, so look them up by name.)
    func attr(_ e: XMLElement, _ name: String) -> String {
        e.attributes?.first { $0.name == name }?.stringValue ?? ""
    }

    /// Child elements named `name` (local name; `elements(forName:)` has the same namespace problem).
    func children(_ e: XMLElement, _ name: String) -> [XMLElement] {
        (e.children ?? []).compactMap { $0 as? XMLElement }.filter { $0.localName == name || $0.name == name }
    }

    /// The (x, y) points of a path's `d` ("M1,2L3,4…Z" form), one array per subpath.
    func subpaths(_ d: String) -> [[(Double, Double)]] {
        var out: [[(Double, Double)]] = []
        for part in d.split(separator: "M") {
            let pts = part.replacingOccurrences(of: "Z", with: "").split(separator: "L").map { p -> (Double, Double) in
                let xy = p.split(separator: ",").map { Double($0)! }
                return (xy[0], xy[1])
            }
            out.append(pts)
        }
        return out
    }

    /// Four realistic learning curves: x 0…200000 step 5000, returns rising to ~500 with a CI band.
    func curves(_ n: Int = 4) -> [CurveSeries] {
        let xs = stride(from: 0.0, through: 200_000, by: 5000).map { $0 }
        return (0..<n).map { k in
            let rate = 1.5e-5 * Double(k + 1)
            let mean = xs.map { 20 + 470 * (1 - exp(-rate * $0)) }
            return CurveSeries(label: "replay_ratio=\(k)", x: xs, mean: mean,
                               lo: mean.map { max(0, $0 - 40) }, hi: mean.map { min(500, $0 + 30) })
        }
    }

    // MARK: tests

    func testWellFormedSVG11Document() throws {
        let svg = learningCurveSVG(curves(), title: "CartPole-v1", xLabel: "environment steps", yLabel: "eval return",
                                   hLine: (475, "solve threshold 475"))
        XCTAssertTrue(svg.hasPrefix("<?xml version=\"1.0\" encoding=\"UTF-8\""))
        let doc = try XMLDocument(xmlString: svg, options: [])
        let root = try XCTUnwrap(doc.rootElement())
        XCTAssertEqual(root.localName, "svg")
        XCTAssertEqual(root.uri, "http://www.w3.org/2000/svg")
        XCTAssertEqual(attr(root, "version"), "1.1")
        XCTAssertEqual(attr(root, "width"), "720")
        XCTAssertEqual(attr(root, "height"), "420")
        XCTAssertEqual(attr(root, "viewBox"), "0 0 720 420")
        let els = try elements(svg)
        XCTAssertEqual(withClass(els, "title").map(\.stringValue), ["CartPole-v1"])
        XCTAssertEqual(withClass(els, "xlabel").map(\.stringValue), ["environment steps"])
        XCTAssertEqual(withClass(els, "ylabel").map(\.stringValue), ["eval return"])
    }

    func testOneLineAndOneBandPerSeriesWithDistinctColours() throws {
        let s = curves(4)
        let els = try elements(learningCurveSVG(s, title: "t", xLabel: "x", yLabel: "y"))
        let means = withClass(els, "mean"), bands = withClass(els, "band")
        XCTAssertEqual(means.count, 4)
        XCTAssertEqual(bands.count, 4)
        XCTAssertTrue((means + bands).allSatisfy { $0.name == "path" })
        XCTAssertEqual(Set(means.map { attr($0, "stroke") }).count, 4, "one colour per series")
        XCTAssertEqual(means.map { attr($0, "stroke") }, bands.map { attr($0, "fill") }, "band in its line's colour")
        for b in bands {
            XCTAssertLessThan(Double(attr(b, "fill-opacity"))!, 0.5, "bands are translucent")
            let sp = subpaths(attr(b, "d"))
            XCTAssertEqual(sp.count, 1)
            XCTAssertEqual(sp[0].count, 2 * 41, "lo forward then hi backward")
            XCTAssertTrue(attr(b, "d").hasSuffix("Z"))
            // lo forward: x increasing, then hi backward: x decreasing
            XCTAssertLessThan(sp[0][0].0, sp[0][40].0)
            XCTAssertEqual(sp[0][40].0, sp[0][41].0)
            XCTAssertEqual(sp[0][0].0, sp[0][81].0)
        }
        for m in means {
            let sp = subpaths(attr(m, "d"))
            XCTAssertEqual(sp.count, 1)
            XCTAssertEqual(sp[0].count, 41)
        }
        // every band comes before every line (lines are drawn on top)
        let order = els.compactMap { e -> String? in
            let c = attr(e, "class"); return c == "mean" || c == "band" ? c : nil
        }
        XCTAssertEqual(order, Array(repeating: "band", count: 4) + Array(repeating: "mean", count: 4))
        // legend: one entry per series, in order
        let legend = try XCTUnwrap(withClass(els, "legend").first)
        XCTAssertEqual(children(legend, "text").map { $0.stringValue ?? "" }, s.map(\.label))
    }

    func testNiceTicks() {
        func check(_ lo: Double, _ hi: Double, _ maxCount: Int, line: UInt = #line) {
            let t = niceTicks(from: lo, to: hi, maxCount: maxCount)
            XCTAssertGreaterThanOrEqual(t.count, 2, line: line)
            XCTAssertLessThanOrEqual(t.count, max(maxCount, 3), line: line)
            XCTAssertLessThanOrEqual(t.first!, lo, line: line)
            XCTAssertGreaterThanOrEqual(t.last!, hi, line: line)
            let step = t[1] - t[0]
            let e = floor(log10(step))
            let mantissa = (step / pow(10, e) * 1000).rounded() / 1000
            XCTAssertTrue([1, 2, 5, 10].contains(mantissa), "step \(step) for [\(lo), \(hi)]", line: line)
            for v in t {
                let k = v / step
                XCTAssertEqual(k, k.rounded(), accuracy: 1e-9, "tick \(v) is a multiple of the step \(step)", line: line)
            }
            for (a, b) in zip(t, t.dropFirst()) { XCTAssertEqual(b - a, step, accuracy: step * 1e-9, line: line) }
        }
        XCTAssertEqual(niceTicks(from: 0, to: 500, maxCount: 6), [0, 100, 200, 300, 400, 500])
        XCTAssertEqual(niceTicks(from: 0, to: 200_000, maxCount: 7), [0, 50_000, 100_000, 150_000, 200_000])
        XCTAssertEqual(niceTicks(from: 0.03, to: 0.87, maxCount: 6), [0, 0.2, 0.4, 0.6, 0.8, 1.0])
        XCTAssertEqual(niceTicks(from: -3, to: 7, maxCount: 6), [-5, 0, 5, 10])
        XCTAssertEqual(niceTicks(from: 0.3, to: 0.7, maxCount: 5), [0.3, 0.4, 0.5, 0.6, 0.7])
        XCTAssertEqual(niceTicks(from: .nan, to: 1, maxCount: 5), [0, 1])
        for (lo, hi) in [(0.0, 1.0), (0, 475), (-123.4, 987.6), (1e-4, 3e-4), (0, 1.2e6), (12, 12), (-500, -20), (0, 3e9)] {
            for m in [2, 3, 5, 6, 8, 11] { check(lo, hi, m) }
        }
    }

    func testTickLabelsAreNiceAndCompact() throws {
        let els = try elements(learningCurveSVG(curves(), title: "t", xLabel: "env steps", yLabel: "return"))
        XCTAssertEqual(withClass(els, "xtick").map(\.stringValue), ["0", "50k", "100k", "150k", "200k"])
        XCTAssertEqual(withClass(els, "ytick").map(\.stringValue), ["0", "100", "200", "300", "400", "500"])

        let big = CurveSeries(label: "a", x: [0, 600_000, 1_200_000], mean: [0, 0.5, 0.75])
        let els2 = try elements(learningCurveSVG([big], title: "t", xLabel: "x", yLabel: "y"))
        let xl = withClass(els2, "xtick").map { $0.stringValue ?? "" }
        XCTAssertEqual(xl.first, "0")
        XCTAssertTrue(xl.contains("1.2M") || xl.contains("1M"), "\(xl)")
        XCTAssertTrue(xl.allSatisfy { $0 == "0" || $0.hasSuffix("k") || $0.hasSuffix("M") }, "\(xl)")
        XCTAssertEqual(withClass(els2, "ytick").map(\.stringValue), ["0", "0.2", "0.4", "0.6", "0.8"])

        let neg = CurveSeries(label: "a", x: [0, 10, 20], mean: [-200, -150, -120])
        let yl = withClass(try elements(learningCurveSVG([neg], title: "t", xLabel: "x", yLabel: "y")), "ytick").map(\.stringValue)
        XCTAssertTrue(yl.contains("\u{2212}200") && yl.contains("\u{2212}120"), "\(yl)")
    }

    func testNaNBreaksTheLineAndTheBand() throws {
        let x: [Double] = [0, 1, 2, 3, 4, 5, 6, 7]
        let m: [Double] = [1, 2, .nan, 4, 5, 6, .nan, 8]
        let s = CurveSeries(label: "gappy", x: x, mean: m, lo: m.map { $0 - 1 }, hi: m.map { $0 + 1 })
        let svg = learningCurveSVG([s], title: "t", xLabel: "x", yLabel: "y")
        XCTAssertFalse(svg.lowercased().contains("nan"))
        XCTAssertFalse(svg.lowercased().contains("inf"))
        let els = try elements(svg)
        let mean = try XCTUnwrap(withClass(els, "mean").first)
        let segs = subpaths(attr(mean, "d"))
        XCTAssertEqual(segs.map(\.count), [2, 3], "NaN at 2 and 6: segments 0–1, 3–5; the lone point 7 is a dot")
        XCTAssertEqual(withClass(els, "point").count, 1)
        let band = try XCTUnwrap(withClass(els, "band").first)
        XCTAssertEqual(subpaths(attr(band, "d")).map(\.count), [4, 6])
        XCTAssertEqual(attr(band, "d").filter { $0 == "Z" }.count, 2)

        // a NaN x breaks it too; all-NaN and empty series render as empty paths
        let s2 = CurveSeries(label: "b", x: [0, .nan, 2, 3], mean: [1, 2, 3, 4], lo: [], hi: [])
        let s3 = CurveSeries(label: "c", x: [0, 1], mean: [.nan, .nan], lo: [.nan, .nan], hi: [.nan, .nan])
        let els2 = try elements(learningCurveSVG([s2, s3, CurveSeries(label: "d", x: [], mean: [])], title: "t", xLabel: "x", yLabel: "y"))
        let means = withClass(els2, "mean")
        XCTAssertEqual(means.count, 3)
        XCTAssertEqual(withClass(els2, "band").count, 3)
        XCTAssertEqual(subpaths(attr(means[0], "d")).map(\.count), [2])
        XCTAssertEqual(attr(means[1], "d"), "")
        XCTAssertEqual(attr(means[2], "d"), "")
    }

    func testTextIsEscaped() throws {
        let nasty = "a<b & \"c\" 'd' </text>]]>"
        let s = CurveSeries(label: nasty, x: [0, 1], mean: [0, 1], lo: [0, 0.5], hi: [0.5, 1])
        let svg = learningCurveSVG([s], title: "T & <T>", xLabel: "x <units>", yLabel: "y & \"q\"\u{1}", hLine: (0.5, "thr < 1 & more"))
        XCTAssertTrue(svg.contains("a&lt;b &amp; &quot;c&quot; &#39;d&#39; &lt;/text&gt;]]&gt;"))
        XCTAssertFalse(svg.contains("<T>"))
        let els = try elements(svg)
        XCTAssertEqual(withClass(els, "title").first?.stringValue, "T & <T>")
        XCTAssertEqual(withClass(els, "xlabel").first?.stringValue, "x <units>")
        XCTAssertEqual(withClass(els, "ylabel").first?.stringValue, "y & \"q\"", "control characters are dropped")
        XCTAssertEqual(withClass(els, "legend").first.flatMap { children($0, "text").first?.stringValue }, nasty)
        XCTAssertTrue(withClass(els, "hline-label").first?.stringValue?.contains("thr < 1 & more") ?? false)
    }

    func testReferenceLine() throws {
        let els = try elements(learningCurveSVG(curves(), title: "t", xLabel: "x", yLabel: "y", hLine: (475, "solve threshold 475")))
        let h = try XCTUnwrap(withClass(els, "hline").first)
        XCTAssertFalse(attr(h, "stroke-dasharray").isEmpty, "dashed")
        XCTAssertEqual(attr(h, "y1"), attr(h, "y2"))
        // 475 lies between the 400 and 500 tick positions, 3/4 of the way up
        let ticks = withClass(els, "ytick")
        let y400 = Double(attr(ticks.first { $0.stringValue == "400" }!, "y"))! - 4
        let y500 = Double(attr(ticks.first { $0.stringValue == "500" }!, "y"))! - 4
        XCTAssertEqual(Double(attr(h, "y1"))!, y400 + 0.75 * (y500 - y400), accuracy: 0.11)
        XCTAssertEqual(withClass(els, "hline-label").first.flatMap { children($0, "text").last?.stringValue }, "solve threshold 475")
        // absent when not asked for
        XCTAssertTrue(withClass(try elements(learningCurveSVG(curves(), title: "t", xLabel: "x", yLabel: "y")), "hline").isEmpty)
    }

    func testLegendDoesNotCoverTheData() throws {
        func extent(_ els: [XMLElement]) -> (maxX: Double, maxY: Double) {
            let pts = (withClass(els, "mean") + withClass(els, "band")).flatMap { subpaths(attr($0, "d")).flatMap { $0 } }
            return (pts.map(\.0).max()!, pts.map(\.1).max()!)
        }
        func legendBox(_ els: [XMLElement]) -> (minX: Double, minY: Double) {
            let legend = withClass(els, "legend").first!
            let items = (legend.children ?? []).compactMap { $0 as? XMLElement }
            let xs = items.compactMap { Double(attr($0, "x")) ?? Double(attr($0, "x1")) }
            let ys = items.compactMap { Double(attr($0, "y")) ?? Double(attr($0, "y1")) }
            return (xs.min()!, ys.min()!)
        }
        // short labels: to the right of the plot area
        let short = try elements(learningCurveSVG(curves(), title: "t", xLabel: "x", yLabel: "y"))
        XCTAssertGreaterThan(legendBox(short).minX, extent(short).maxX + 5)
        // long labels: below it, under the x-axis label
        var long = curves()
        for i in long.indices { long[i].label = "a rather long configuration label number \(i) with many words" }
        let els = try elements(learningCurveSVG(long, title: "t", xLabel: "x", yLabel: "y"))
        let xl = Double(attr(withClass(els, "xlabel")[0], "y"))!
        XCTAssertGreaterThan(legendBox(els).minY, max(extent(els).maxY, xl))
        // and inside the canvas
        for t in children(withClass(els, "legend")[0], "text") { XCTAssertLessThan(Double(attr(t, "y"))!, 420) }
    }

    func testDeterministicAndCompact() throws {
        let a = learningCurveSVG(curves(), title: "t", xLabel: "x", yLabel: "y", hLine: (475, "thr"))
        let b = learningCurveSVG(curves(), title: "t", xLabel: "x", yLabel: "y", hLine: (475, "thr"))
        XCTAssertEqual(a, b)
        XCTAssertEqual(Data(a.utf8), Data(b.utf8))
        // coordinates are rounded to 0.1 px
        let re = try NSRegularExpression(pattern: " (d|x|y|x1|y1|x2|y2|cx|cy)=\"[^\"]*[0-9]\\.[0-9]{2,}")
        XCTAssertEqual(re.numberOfMatches(in: a, range: NSRange(a.startIndex..., in: a)), 0)
        XCTAssertLessThan(a.utf8.count, 30_000)
        // a different size is honoured
        let c = learningCurveSVG(curves(), title: "t", xLabel: "x", yLabel: "y", width: 500, height: 300)
        XCTAssertTrue(c.contains("viewBox=\"0 0 500 300\""))
        XCTAssertNoThrow(try elements(c))
    }

    func testManySeriesCycleColoursWithDashes() throws {
        let many = (0..<9).map { k in CurveSeries(label: "s\(k)", x: [0, 1], mean: [Double(k), Double(k) + 1]) }
        let els = try elements(learningCurveSVG(many, title: "t", xLabel: "x", yLabel: "y"))
        let means = withClass(els, "mean")
        XCTAssertEqual(means.count, 9)
        let styles = Set(means.map { attr($0, "stroke") + "|" + attr($0, "stroke-dasharray") })
        XCTAssertEqual(styles.count, 9, "every series distinguishable")
    }
}
