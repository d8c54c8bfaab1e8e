import Experiments
import Foundation

/// A report as data: sections of prose and ``ReportTable``s, and the plots attached to them, from
/// which `report.md`, `report.html` and `tables/*.csv` are rendered (none is derived from another).
public struct ReportDocument: Sendable {
    /// The `#` heading (the results folder's name).
    public var title: String
    /// The first section is the page's head (its heading is `title`, level 1); the others are `##`.
    public var sections: [ReportSection]
    public var plots: [ReportPlot]

    public init(title: String, sections: [ReportSection], plots: [ReportPlot] = []) {
        self.title = title; self.sections = sections; self.plots = plots
    }

    public var tables: [ReportTable] {
        sections.flatMap { s in s.blocks.compactMap { if case .table(let t) = $0 { return t } else { return nil } } }
    }

    /// The section a plot goes under: the one holding the table with id `table`, else the one
    /// whose own id is `table` (a section without a table, such as the learning curves).
    func sectionIndex(forPlot p: ReportPlot) -> Int? {
        sections.firstIndex { $0.blocks.contains { if case .table(let t) = $0 { return t.id == p.table } else { return false } } }
            ?? sections.firstIndex { $0.id == p.table }
    }

    func plotsBySection() -> (placed: [Int: [ReportPlot]], unplaced: [ReportPlot]) {
        var placed: [Int: [ReportPlot]] = [:], unplaced: [ReportPlot] = []
        for p in plots {
            if let i = sectionIndex(forPlot: p) { placed[i, default: []].append(p) } else { unplaced.append(p) }
        }
        return (placed, unplaced)
    }

    /// `report.md`: each section's heading, a link to each of its plots, then its blocks, separated
    /// by blank lines. A plot whose table is in no section is linked at the end under "Plots".
    public var markdown: String {
        let (placed, unplaced) = plotsBySection()
        var s = ""
        for (i, sec) in sections.enumerated() {
            s += i == 0 ? "# \(title)\n" : "\n## \(sec.title)\n"
            for p in placed[i] ?? [] { s += "\n![\(sec.title)](\(p.file))\n" }
            for b in sec.blocks { s += "\n" + b.markdown + "\n" }
        }
        if !unplaced.isEmpty {
            s += "\n## Plots\n"
            for p in unplaced { s += "\n![\(p.table)](\(p.file))\n" }
        }
        return s
    }

    /// `report.html`: one self-contained page (CSS and every plot's SVG inline, no scripts, no
    /// external resources). Tables are rendered from their cells, prose from its Markdown.
    public func html(pageTitle: String) -> String {
        let (placed, unplaced) = plotsBySection()
        var r = MarkdownHTMLRenderer(plots: [:])
        var body = ""
        for (i, sec) in sections.enumerated() {
            body += r.heading(level: i == 0 ? 1 : 2, text: i == 0 ? title : sec.title)
            for p in placed[i] ?? [] { body += HTMLReportSupport.inlineFigure(p) }
            for b in sec.blocks {
                switch b {
                case .prose(let md): body += r.render(md)
                case .table(let t): body += HTMLReportSupport.table(t)
                }
            }
        }
        if !unplaced.isEmpty {
            body += r.heading(level: 2, text: "Plots")
            for p in unplaced { body += HTMLReportSupport.inlineFigure(p) }
        }
        return HTMLReportSupport.page(title: pageTitle, h1: nil, body: body)
    }

    /// Every table as `dir/<table id>.csv` (a repeated id gets `_2`, `_3`, …).
    public func writeTablesCSV(to dir: URL) throws {
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        var count: [String: Int] = [:]
        for t in tables {
            count[t.id, default: 0] += 1
            let name = t.id + (count[t.id]! > 1 ? "_\(count[t.id]!)" : "")
            try atomicWrite(t.csv, to: dir.appendingPathComponent(name + ".csv"))
        }
    }
}

/// A section of a report: a heading and what follows it.
public struct ReportSection: Sendable {
    /// Identity for plots of a section without a table; `fileSlug(title)` by default.
    public var id: String
    public var title: String
    public var blocks: [ReportBlock]

    public init(id: String? = nil, title: String, blocks: [ReportBlock]) {
        self.id = id ?? fileSlug(title); self.title = title; self.blocks = blocks
    }
}

public enum ReportBlock: Sendable {
    /// Authored prose in Markdown (paragraphs, `-` lists; no headings or tables), without a trailing newline.
    case prose(String)
    case table(ReportTable)

    var markdown: String {
        switch self {
        case .prose(let s): return s
        case .table(let t): return t.markdown
        }
    }
}

/// A plot attached to a table (by the table's id) or to a table-less section (by the section's id):
/// shown under that section's heading, linked from report.md, inline in report.html.
public struct ReportPlot: Sendable {
    public var table: String
    /// Where the SVG is written, relative to the report folder (`plots/<name>.svg`).
    public var file: String
    /// The standalone SVG document.
    public var svg: String

    public init(table: String, file: String, svg: String) { self.table = table; self.file = file; self.svg = svg }
}
