import Foundation

/// One curve of a learning-curve plot: the mean across seeds at each `x` and its confidence band.
/// `x`, `mean`, `lo` and `hi` are read index by index (up to the shortest of `x` and `mean` for the
/// line, of `x`, `lo` and `hi` for the band). A NaN (or infinite) value breaks the line or band there.
/// Pass empty `lo`/`hi` for a line without a band.
public struct CurveSeries: Sendable, Equatable {
    public var label: String
    public var x: [Double]
    public var mean: [Double]
    public var lo: [Double]
    public var hi: [Double]

    public init(label: String, x: [Double], mean: [Double], lo: [Double] = [], hi: [Double] = []) {
        self.label = label; self.x = x; self.mean = mean; self.lo = lo; self.hi = hi
    }
}

/// A standalone SVG 1.1 document plotting each series' mean as a line over its confidence band.
///
/// - Axes span "nice" tick values (steps of 1, 2 or 5 × 10ⁿ) covering every finite value and the
///   reference line; tick labels of 1000 and more are compact (`150k`, `1.2M`).
/// - One colour per series from the Okabe–Ito colour-blind-safe palette (after seven series the
///   colours repeat with a dashed line). Each series has exactly one band `<path class="band">`
///   (one closed subpath per NaN-free stretch: lo forward, hi backward) and one line
///   `<path class="mean">` (a NaN starts a new subpath; an isolated point becomes a small circle),
///   in input order; every band is drawn below every line.
/// - The legend sits right of the plot area, or below it when the labels are too long or too many.
/// - `hLine` draws a dashed horizontal reference line (e.g. the solve threshold) with its label.
/// - Deterministic: the same input gives the same bytes (coordinates rounded to 0.1 px).
public func learningCurveSVG(_ series: [CurveSeries], title: String, xLabel: String, yLabel: String,
                             width: Int = 720, height: Int = 420,
                             hLine: (value: Double, label: String)? = nil) -> String {
    SVGPlotter(series: series, title: title, xLabel: xLabel, yLabel: yLabel,
               width: Double(max(width, 160)), height: Double(max(height, 120)), hLine: hLine).render()
}

/// Tick values for an axis covering `lo...hi`: consecutive multiples of a step 1, 2 or 5 × 10ⁿ, at most
/// `max(maxCount, 3)` of them, the first ≤ `lo` and the last ≥ `hi` (the largest number of ticks
/// allowed, i.e. the smallest such step). Non-finite bounds give `[0, 1]`.
public func niceTicks(from lo: Double, to hi: Double, maxCount: Int = 6) -> [Double] {
    SVGPlotSupport.ticks(lo, hi, maxCount: maxCount).values
}

// MARK: - Implementation

enum SVGPlotSupport {
    /// Okabe & Ito (2008), ordered so that the first colours are the most distinct on white
    /// (the yellow, hard to see as a thin line, comes last).
    static let palette = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#B8A300"]
    static let dashes = ["", "6,3", "2,2", "8,3,2,3"]
    static let fontFamily = "DejaVu Sans, Helvetica, Arial, sans-serif"

    struct Ticks { var values: [Double]; var stepExponent: Int }

    static func pow10(_ e: Int) -> Double {
        var p = 1.0
        for _ in 0..<abs(e) { p *= 10 }
        return e >= 0 ? p : 1 / p
    }

    static func ticks(_ a: Double, _ b: Double, maxCount: Int) -> Ticks {
        guard a.isFinite, b.isFinite else { return Ticks(values: [0, 1], stepExponent: 0) }
        var lo = min(a, b), hi = max(a, b)
        if hi - lo <= 1e-12 * max(abs(lo), abs(hi)) || hi == lo {
            let d = lo == 0 ? 1 : abs(lo) * 0.1
            lo -= d; hi += d
        }
        // 3 ticks always suffice (a range straddling 0 needs them), so fewer are not offered
        let intervals = Double(max(maxCount, 3) - 1)
        let raw = (hi - lo) / intervals
        var e = Int(floor(log10(raw)))
        for _ in 0..<8 {
            for m in [1, 2, 5] {
                let step = Double(m) * pow10(e)
                if step < raw * (1 - 1e-9) { continue }
                let k0 = floor(lo / step + 1e-9), k1 = ceil(hi / step - 1e-9)
                guard k1 - k0 <= intervals else { continue }
                // k·m·10^e, computed so that decimal steps give the nearest double (3·0.1 → 0.3)
                let values = stride(from: k0, through: k1, by: 1).map { k -> Double in
                    e >= 0 ? k * Double(m) * pow10(e) : k * Double(m) / pow10(-e)
                }
                return Ticks(values: values, stepExponent: e)
            }
            e += 1
        }
        return Ticks(values: [lo, hi], stepExponent: e)  // not reached
    }

    /// `v` with `decimals` digits after the point (half away from zero), trailing zeros trimmed.
    static func fixed(_ v: Double, _ decimals: Int, minus: String = "-") -> String {
        guard v.isFinite else { return "0" }
        let d = max(0, min(decimals, 12))
        let t = (v * pow10(d)).rounded()
        guard abs(t) < 9e15 else { return (v < 0 ? minus : "") + String(format: "%.0f", abs(v)) }
        let n = Int64(t)
        if n == 0 { return "0" }
        var digits = String(n.magnitude)
        var s: String
        if d == 0 {
            s = digits
        } else {
            if digits.count <= d { digits = String(repeating: "0", count: d - digits.count + 1) + digits }
            let cut = digits.index(digits.endIndex, offsetBy: -d)
            var frac = String(digits[cut...])
            while frac.hasSuffix("0") { frac.removeLast() }
            s = String(digits[..<cut]) + (frac.isEmpty ? "" : "." + frac)
        }
        return (n < 0 ? minus : "") + s
    }

    /// Coordinates: 0.1 px.
    static func c(_ v: Double) -> String { fixed(v, 1) }

    /// Tick label: compact above 1000 (k, M, G, T), as many decimals as the tick step needs.
    static func tickLabel(_ v: Double, stepExponent e: Int) -> String {
        let a = abs(v)
        let (u, suffix): (Int, String) = a >= 1e12 ? (12, "T") : a >= 1e9 ? (9, "G") : a >= 1e6 ? (6, "M") : a >= 1e3 ? (3, "k") : (0, "")
        let s = fixed(v / pow10(u), max(0, u - e), minus: "\u{2212}")
        return s == "0" ? "0" : s + suffix
    }

    /// The maximal runs of consecutive indices in `0..<n` where `ok` holds (NaNs break lines and bands).
    static func finiteRuns(_ n: Int, _ ok: (Int) -> Bool) -> [ClosedRange<Int>] {
        var runs: [ClosedRange<Int>] = []
        var i = 0
        while i < n {
            guard ok(i) else { i += 1; continue }
            var j = i
            while j + 1 < n && ok(j + 1) { j += 1 }
            runs.append(i...j)
            i = j + 1
        }
        return runs
    }

    /// Text for XML character data or attribute values: markup characters escaped, characters that
    /// XML 1.0 forbids (most C0 controls, U+FFFE, U+FFFF) dropped, line breaks turned into spaces.
    static func esc(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for u in s.unicodeScalars {
            switch u {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            case "\n", "\r", "\t": out += " "
            default:
                if u.value < 0x20 || u.value == 0xFFFE || u.value == 0xFFFF { continue }
                out.unicodeScalars.append(u)
            }
        }
        return out
    }

    /// Rough width of `s` in px at `size` (DejaVu Sans-like metrics, erring wide).
    static func textWidth(_ s: String, _ size: Double) -> Double {
        var w = 0.0
        for ch in s {
            if ch == " " || ch == "." || ch == "," || ch == ":" || ch == ";" || ch == "i" || ch == "l" || ch == "j" || ch == "|" || ch == "'" || ch == "!" {
                w += 0.34
            } else if ch.isUppercase || "mw%=+<>~#&@".contains(ch) {
                w += 0.78
            } else if ch.isNumber {
                w += 0.64
            } else {
                w += 0.61
            }
        }
        return w * size
    }
}

private struct SVGPlotter {
    let series: [CurveSeries]
    let title: String, xLabel: String, yLabel: String
    let width: Double, height: Double
    let hLine: (value: Double, label: String)?

    typealias S = SVGPlotSupport

    // type sizes
    let titleSize = 15.0, labelSize = 12.0, tickSize = 11.0, legendSize = 12.0
    let legendRow = 20.0, swatch = 22.0

    func render() -> String {
        let n = series.count
        let legendLabels = series.map { $0.label.isEmpty ? " " : $0.label }

        // ---- data ranges
        var xs: [Double] = [], ys: [Double] = []
        for s in series {
            for i in 0..<min(s.x.count, s.mean.count) where s.x[i].isFinite && s.mean[i].isFinite {
                xs.append(s.x[i]); ys.append(s.mean[i])
            }
            for i in 0..<min(s.x.count, s.lo.count, s.hi.count) where s.x[i].isFinite && s.lo[i].isFinite && s.hi[i].isFinite {
                xs.append(s.x[i]); ys.append(s.lo[i]); ys.append(s.hi[i])
            }
        }
        if let h = hLine, h.value.isFinite { ys.append(h.value) }
        let xMin = xs.min() ?? 0, xMax = xs.max() ?? 1
        let yMin = ys.min() ?? 0, yMax = ys.max() ?? 1

        // ---- layout: legend placement first (it decides the right or bottom margin)
        let top = title.isEmpty ? 14.0 : 40.0
        let entryW = swatch + 8 + (legendLabels.map { S.textWidth($0, legendSize) }.max() ?? 0)
        let rightLegendW = entryW + 20 + 10
        let plotHGuess = height - top - 52
        let legendRight = n > 0 && rightLegendW <= 0.32 * width && Double(n) * legendRow <= plotHGuess
        var legendCols = 1, legendRows = 0
        let bottom = xLabel.isEmpty ? 34.0 : 52.0

        // y ticks depend only on the plot height; the left margin depends on their labels
        var yTicks = S.ticks(yMin, yMax, maxCount: 6)
        var left = 0.0, right = 0.0, plotH = 0.0, plotW = 0.0, xTicks = S.ticks(xMin, xMax, maxCount: 6)
        for _ in 0..<3 {  // settle the mutual dependencies (a couple of passes suffice)
            if !legendRight && n > 0 {
                let avail = width - 20
                let maxCols = max(1, min(n, Int((avail + 16) / (entryW + 16))))
                legendRows = (n + maxCols - 1) / maxCols
                legendCols = (n + legendRows - 1) / legendRows  // balanced: 4 entries in 2 × 2, not 3 + 1
            }
            let legendBelowH = legendRight || n == 0 ? 0 : Double(legendRows) * legendRow + 6
            plotH = max(40, height - top - bottom - legendBelowH)
            yTicks = S.ticks(yMin, yMax, maxCount: max(3, min(11, Int(plotH / 48) + 1)))
            let yLabelW = yTicks.values.map { S.textWidth(S.tickLabel($0, stepExponent: yTicks.stepExponent), tickSize) }.max() ?? 0
            left = (yLabel.isEmpty ? 10 : 30) + yLabelW + 8
            let xLast = xTicks.values.last.map { S.textWidth(S.tickLabel($0, stepExponent: xTicks.stepExponent), tickSize) } ?? 0
            right = legendRight ? rightLegendW : max(16, xLast / 2 + 6)
            plotW = max(40, width - left - right)
            xTicks = S.ticks(xMin, xMax, maxCount: max(3, min(11, Int(plotW / 90) + 1)))
        }
        let x0 = left, x1 = left + plotW, y0 = top, y1 = top + plotH
        let xLo = xTicks.values.first!, xHi = xTicks.values.last!
        let yLo = yTicks.values.first!, yHi = yTicks.values.last!
        func px(_ v: Double) -> Double { x0 + (v - xLo) / (xHi - xLo) * plotW }
        func py(_ v: Double) -> Double { y1 - (v - yLo) / (yHi - yLo) * plotH }

        var o = ""
        o += "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n"
        o += "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"\(S.c(width))\" height=\"\(S.c(height))\" viewBox=\"0 0 \(S.c(width)) \(S.c(height))\">\n"
        o += "<title>\(S.esc(title))</title>\n"
        o += "<desc>\(S.esc(yLabel)) against \(S.esc(xLabel)): \(n) series, mean with confidence band</desc>\n"
        o += "<rect x=\"0\" y=\"0\" width=\"\(S.c(width))\" height=\"\(S.c(height))\" fill=\"#ffffff\"/>\n"
        o += "<g font-family=\"\(S.fontFamily)\" fill=\"#222222\">\n"

        // ---- grid
        o += "<g class=\"grid\" stroke=\"#e3e3e3\" stroke-width=\"1\">\n"
        for t in yTicks.values { let y = py(t); o += "<line x1=\"\(S.c(x0))\" y1=\"\(S.c(y))\" x2=\"\(S.c(x1))\" y2=\"\(S.c(y))\"/>\n" }
        for t in xTicks.values { let x = px(t); o += "<line x1=\"\(S.c(x))\" y1=\"\(S.c(y0))\" x2=\"\(S.c(x))\" y2=\"\(S.c(y1))\"/>\n" }
        o += "</g>\n"

        // ---- bands (all below every line)
        o += "<g class=\"bands\">\n"
        var lines = "<g class=\"means\">\n"
        for (k, s) in series.enumerated() {
            let colour = S.palette[k % S.palette.count]
            let dash = S.dashes[(k / S.palette.count) % S.dashes.count]
            var band = ""
            for run in S.finiteRuns(min(s.x.count, s.lo.count, s.hi.count), { s.x[$0].isFinite && s.lo[$0].isFinite && s.hi[$0].isFinite })
            where run.count > 1 {
                band += "M" + run.map { "\(S.c(px(s.x[$0]))),\(S.c(py(s.lo[$0])))" }.joined(separator: "L")
                band += "L" + run.reversed().map { "\(S.c(px(s.x[$0]))),\(S.c(py(s.hi[$0])))" }.joined(separator: "L") + "Z"
            }
            var line = "", dots = ""
            for run in S.finiteRuns(min(s.x.count, s.mean.count), { s.x[$0].isFinite && s.mean[$0].isFinite }) {
                if run.count > 1 {
                    line += "M" + run.map { "\(S.c(px(s.x[$0]))),\(S.c(py(s.mean[$0])))" }.joined(separator: "L")
                } else {
                    let i = run.lowerBound
                    dots += "<circle class=\"point\" cx=\"\(S.c(px(s.x[i])))\" cy=\"\(S.c(py(s.mean[i])))\" r=\"2.5\" fill=\"\(colour)\"/>\n"
                }
            }
            let tip = "<title>\(S.esc(s.label))</title>"
            o += "<path class=\"band\" d=\"\(band)\" fill=\"\(colour)\" fill-opacity=\"0.18\" stroke=\"none\">\(tip)</path>\n"
            lines += "<path class=\"mean\" d=\"\(line)\" fill=\"none\" stroke=\"\(colour)\" stroke-width=\"2\" stroke-linejoin=\"round\" stroke-linecap=\"round\"\(dash.isEmpty ? "" : " stroke-dasharray=\"\(dash)\"")>\(tip)</path>\n"
            lines += dots
        }

        o += "</g>\n"
        lines += "</g>\n"

        // ---- axes, ticks, tick labels
        o += "<g class=\"axes\" stroke=\"#555555\" stroke-width=\"1\">\n"
        o += "<line x1=\"\(S.c(x0))\" y1=\"\(S.c(y1))\" x2=\"\(S.c(x1))\" y2=\"\(S.c(y1))\"/>\n"
        o += "<line x1=\"\(S.c(x0))\" y1=\"\(S.c(y0))\" x2=\"\(S.c(x0))\" y2=\"\(S.c(y1))\"/>\n"
        for t in xTicks.values { let x = px(t); o += "<line x1=\"\(S.c(x))\" y1=\"\(S.c(y1))\" x2=\"\(S.c(x))\" y2=\"\(S.c(y1 + 4))\"/>\n" }
        for t in yTicks.values { let y = py(t); o += "<line x1=\"\(S.c(x0 - 4))\" y1=\"\(S.c(y))\" x2=\"\(S.c(x0))\" y2=\"\(S.c(y))\"/>\n" }
        o += "</g>\n"
        o += "<g class=\"tick-labels\" font-size=\"\(S.c(tickSize))\" fill=\"#444444\">\n"
        for t in xTicks.values {
            o += "<text class=\"xtick\" x=\"\(S.c(px(t)))\" y=\"\(S.c(y1 + 17))\" text-anchor=\"middle\">\(S.tickLabel(t, stepExponent: xTicks.stepExponent))</text>\n"
        }
        for t in yTicks.values {
            o += "<text class=\"ytick\" x=\"\(S.c(x0 - 7))\" y=\"\(S.c(py(t) + 4))\" text-anchor=\"end\">\(S.tickLabel(t, stepExponent: yTicks.stepExponent))</text>\n"
        }
        o += "</g>\n"

        // ---- reference line under the means, its label above them
        var refLabel = ""
        if let h = hLine, h.value.isFinite {
            let y = py(h.value)
            o += "<line class=\"hline\" x1=\"\(S.c(x0))\" y1=\"\(S.c(y))\" x2=\"\(S.c(x1))\" y2=\"\(S.c(y))\" stroke=\"#333333\" stroke-width=\"1.2\" stroke-dasharray=\"6,4\"/>\n"
            if !h.label.isEmpty {
                // above the line at the left (learning curves start low), below it if too close to the top
                let ty = y - y0 >= 16 ? y - 5 : y + 14
                let attrs = "x=\"\(S.c(x0 + 6))\" y=\"\(S.c(ty))\" font-size=\"\(S.c(tickSize))\""
                refLabel += "<g class=\"hline-label\">\n"
                refLabel += "<text \(attrs) fill=\"#ffffff\" stroke=\"#ffffff\" stroke-width=\"3\" stroke-linejoin=\"round\">\(S.esc(h.label))</text>\n"
                refLabel += "<text \(attrs) fill=\"#333333\">\(S.esc(h.label))</text>\n"
                refLabel += "</g>\n"
            }
        }
        o += lines + refLabel

        // ---- axis labels and title
        if !xLabel.isEmpty {
            o += "<text class=\"xlabel\" x=\"\(S.c(x0 + plotW / 2))\" y=\"\(S.c(y1 + 38))\" font-size=\"\(S.c(labelSize))\" text-anchor=\"middle\">\(S.esc(xLabel))</text>\n"
        }
        if !yLabel.isEmpty {
            o += "<text class=\"ylabel\" transform=\"translate(\(S.c(16)),\(S.c(y0 + plotH / 2))) rotate(-90)\" font-size=\"\(S.c(labelSize))\" text-anchor=\"middle\">\(S.esc(yLabel))</text>\n"
        }
        if !title.isEmpty {
            var size = titleSize
            let w = S.textWidth(title, size) * 1.05  // bold
            if w > width - 16 { size = max(9, size * (width - 16) / w) }
            let tw = S.textWidth(title, size) * 1.05
            let cx = x0 + plotW / 2 - tw / 2 >= 8 && x0 + plotW / 2 + tw / 2 <= width - 8 ? x0 + plotW / 2 : width / 2
            o += "<text class=\"title\" x=\"\(S.c(cx))\" y=\"\(S.c(25))\" font-size=\"\(S.c(size))\" font-weight=\"bold\" text-anchor=\"middle\">\(S.esc(title))</text>\n"
        }

        // ---- legend
        if n > 0 {
            o += "<g class=\"legend\" font-size=\"\(S.c(legendSize))\">\n"
            let colW = entryW + 16
            let startX = legendRight ? x1 + 20 : max(8, x0 + plotW / 2 - (Double(legendCols) * colW - 16) / 2)
            let startY = legendRight ? y0 + 4 : y1 + (xLabel.isEmpty ? 30 : 50)
            for (k, label) in legendLabels.enumerated() {
                let colour = S.palette[k % S.palette.count]
                let dash = S.dashes[(k / S.palette.count) % S.dashes.count]
                let (col, row) = legendRight ? (0, k) : (k % legendCols, k / legendCols)
                let ex = startX + Double(col) * colW, ey = startY + Double(row) * legendRow
                o += "<rect x=\"\(S.c(ex))\" y=\"\(S.c(ey + 2))\" width=\"\(S.c(swatch))\" height=\"12\" fill=\"\(colour)\" fill-opacity=\"0.18\"/>\n"
                o += "<line x1=\"\(S.c(ex))\" y1=\"\(S.c(ey + 8))\" x2=\"\(S.c(ex + swatch))\" y2=\"\(S.c(ey + 8))\" stroke=\"\(colour)\" stroke-width=\"2\"\(dash.isEmpty ? "" : " stroke-dasharray=\"\(dash)\"")/>\n"
                o += "<text x=\"\(S.c(ex + swatch + 8))\" y=\"\(S.c(ey + 12))\">\(S.esc(label))</text>\n"
            }
            o += "</g>\n"
        }
        o += "</g>\n</svg>\n"
        return o
    }
}
