import Agents
import Foundation

/// One table of a report, built once from the results and rendered as Markdown, HTML and CSV.
///
/// ```swift
/// var t = ReportTable(id: "summary", title: "Summary", columns: [
///     ReportColumn("configuration"),
///     ReportColumn("final eval return", header: "final eval return (mean [95% CI])", unit: "return"),
/// ])
/// t.rows.append([.text("base"), .interval(mean: 482.1, lo: 460, hi: 500, digits: 1)])
/// t.markdown   // "| configuration | final eval return (mean [95% CI]) |\n|---|---|\n| base | 482.1 [460.0, 500.0] |"
/// t.csv        // "configuration,final eval return,final eval return ci_lo,final eval return ci_hi\nbase,482.1,460,500\n"
/// ```
///
/// Numbers stay numbers until a renderer formats them: Markdown and HTML show the digits the table
/// asks for, CSV the shortest decimal that reads back as the same Double. `id` names the table's CSV
/// file (`tables/<id>.csv`) and is what plots attach to (``ReportPlot/table``).
public struct ReportTable: Sendable, Equatable {
    /// File-name-safe identity: `[a-z0-9_]`, unique within a report.
    public var id: String
    /// What the table shows, in words (the heading of its section).
    public var title: String
    public var columns: [ReportColumn]
    /// Body rows; each has one cell per column.
    public var rows: [[ReportCell]]

    public init(id: String, title: String, columns: [ReportColumn], rows: [[ReportCell]] = []) {
        self.id = id; self.title = title; self.columns = columns; self.rows = rows
    }

    /// A GitHub pipe table, no trailing newline: the header row, `|---|` separators, one line per
    /// row. A `|` inside a cell is written `\|`.
    public var markdown: String {
        var lines = ["| " + columns.map { Self.pipeEscaped($0.header) }.joined(separator: " | ") + " |",
                     "|" + String(repeating: "---|", count: columns.count)]
        for r in rows { lines.append("| " + r.map { Self.pipeEscaped($0.display) }.joined(separator: " | ") + " |") }
        return lines.joined(separator: "\n")
    }

    /// RFC 4180 CSV with a header row, newline-terminated. A column whose present cells are all
    /// finite intervals becomes three columns, `name`, `name ci_lo`, `name ci_hi` (an absent cell
    /// gives three empty fields); numbers are written in full precision (shortest round-trip
    /// decimal); a number with words (``ReportCell/compound(values:text:)``) and text are written as
    /// shown; an absent value as `–`.
    public var csv: String {
        var header: [String] = []
        var split: [Bool] = []
        for (j, c) in columns.enumerated() {
            let cells = rows.map { j < $0.count ? $0[j] : .missing }
            let s = cells.allSatisfy { $0.isFiniteInterval || $0 == .missing } && cells.contains { $0.isFiniteInterval }
            split.append(s)
            header += s ? [c.name, c.name + " ci_lo", c.name + " ci_hi"] : [c.header]
        }
        var out = header.map(csvField).joined(separator: ",") + "\n"
        for r in rows {
            var fields: [String] = []
            for (j, isSplit) in split.enumerated() {
                let cell = j < r.count ? r[j] : .missing
                if isSplit {
                    if case .interval(let m, let lo, let hi, _) = cell { fields += [m, lo, hi].map(formatNumber) } else { fields += ["", "", ""] }
                } else {
                    fields.append(cell.csvValue)
                }
            }
            out += fields.map(csvField).joined(separator: ",") + "\n"
        }
        return out
    }

    /// Horizontal alignment per column for HTML: the first column left; a column right-aligned when
    /// every cell is a number (or absent) and at least one is present.
    var alignments: [ReportAlignment] {
        columns.indices.map { j in
            guard j > 0 else { return .left }
            let kinds = rows.map { j < $0.count ? $0[j].kind : .absent }
            return kinds.contains(.numeric) && kinds.allSatisfy({ $0 != .text }) ? .right : .left
        }
    }

    static func pipeEscaped(_ s: String) -> String { s.contains("|") ? s.replacingOccurrences(of: "|", with: "\\|") : s }
}

/// A column of a ``ReportTable``.
public struct ReportColumn: Sendable, Equatable {
    /// The column's name in CSV; for an interval column, the stem of its three CSV columns.
    public var name: String
    /// The header in Markdown and HTML (inline Markdown); `name` unless it says more, e.g.
    /// "final eval return (mean [95% CI])".
    public var header: String
    /// The unit of the column's numbers ("env steps", "s", "env steps/s", "return"; "normalized"
    /// for scores scaled to random = 0 and threshold = 1); nil for text, counts and hyperparameter values.
    public var unit: String?

    public init(_ name: String, header: String? = nil, unit: String? = nil) {
        self.name = name; self.header = header ?? name; self.unit = unit
    }
}

/// One cell of a ``ReportTable``.
public enum ReportCell: Sendable, Equatable {
    /// Words (inline Markdown), shown and written as they are.
    case text(String)
    /// A number shown with `digits` decimals (`nil`: the shortest decimal that round-trips, as for
    /// hyperparameter values); NaN is shown as `–`.
    case number(Double, digits: Int?)
    case integer(Int)
    /// A mean and its confidence interval, shown `mean [lo, hi]` with `digits` decimals.
    case interval(mean: Double, lo: Double, hi: Double, digits: Int)
    /// Numbers that only make sense with the words around them: `1/2 (≥ 475)` reached,
    /// `2.1× (3/3)` a speedup with its seed count, `480.0 / 95000` two means. `values` keeps the
    /// numbers (the first one leads `text`); CSV writes `text`.
    case compound(values: [Double], text: String)
    /// No value (`–`): an environment without a threshold, a configuration not in the sweep.
    case missing

    /// `mean [lo, hi]` of a bootstrap CI, absent when it was computed from no values.
    public static func ci(_ c: MeanCI, digits: Int = 1) -> ReportCell {
        c.n == 0 ? .missing : .interval(mean: c.mean, lo: c.lo, hi: c.hi, digits: digits)
    }

    /// The cell as Markdown and HTML show it (inline Markdown).
    public var display: String {
        switch self {
        case .text(let s): return s
        case .number(let v, let digits?): return fmt(v, digits)
        case .number(let v, nil): return v.isNaN ? "–" : formatNumber(v)
        case .integer(let i): return String(i)
        case .interval(let m, let lo, let hi, let d): return "\(fmt(m, d)) [\(fmt(lo, d)), \(fmt(hi, d))]"
        case .compound(_, let text): return text
        case .missing: return "–"
        }
    }

    /// The cell in a CSV column of its own (not split into a CI's three columns).
    var csvValue: String {
        switch self {
        case .number(let v, _): return v.isFinite ? formatNumber(v) : display
        default: return display
        }
    }

    var isFiniteInterval: Bool {
        if case .interval(let m, let lo, let hi, _) = self { return m.isFinite && lo.isFinite && hi.isFinite }
        return false
    }

    /// For alignment: a shown number, an absent value, or words.
    var kind: ReportCellKind {
        switch self {
        case .text: return .text
        case .number(let v, _): return v.isFinite ? .numeric : .absent
        case .integer: return .numeric
        // a non-finite mean shows as "– [–, –]" or "inf [...]": words, not a number
        case .interval(let m, _, _, _): return m.isFinite ? .numeric : .text
        case .compound(let values, _): return values.first?.isFinite == true ? .numeric : .text
        case .missing: return .absent
        }
    }
}

enum ReportCellKind { case numeric, absent, text }
enum ReportAlignment { case left, right }

/// The file-name form of a title: lowercased, every run of characters other than `a-z0-9` one `_`
/// ("Published results on MinAtar/Breakout-v1" → "published_results_on_minatar_breakout_v1").
func fileSlug(_ title: String) -> String {
    var out = "", gap = false
    for u in title.lowercased().unicodeScalars {
        if ("a"..."z").contains(u) || ("0"..."9").contains(u) { out.unicodeScalars.append(u); gap = false }
        else if !gap { out += "_"; gap = true }
    }
    return out
}
