import Foundation

/// A self-contained HTML5 page (embedded CSS, no scripts) from the Markdown of a report.
///
/// Markdown understood: ATX headings (`#` … `######`), paragraphs (consecutive lines), `**bold**`,
/// `*italic*`, inline `` `code` ``, `[text](url)` links, backslash escapes, `-`/`*` bullet lists,
/// fenced code blocks (```` ``` ````) and GitHub pipe tables (header row, `|---|` separator row, body
/// rows; `:---`, `---:`, `:---:` alignments are honoured, otherwise the first column is left-aligned
/// and a column whose cells all start with a number is right-aligned). All text is HTML-escaped:
/// raw HTML in the Markdown shows as text.
///
/// - `title` goes in `<title>`; the page's `<h1>` is the Markdown's `#` heading (or `title` when the
///   Markdown has none).
/// - `plotsAfterHeading`: for a key equal to a heading's text (as written, or with its inline markup
///   removed), one `<figure><img …></figure>` per listed relative path is put right after the first such
///   heading, in the listed order. Plots whose key matches no heading are not dropped: they go at the
///   end of the page under a "Plots" heading (keys in sorted order).
public func renderHTMLReport(markdown: String, title: String, plotsAfterHeading: [String: [String]]) -> String {
    var r = MarkdownHTMLRenderer(plots: plotsAfterHeading)
    var body = r.render(markdown)
    let unplaced = plotsAfterHeading.keys.filter { !r.placed.contains($0) && !(plotsAfterHeading[$0] ?? []).isEmpty }.sorted()
    if !unplaced.isEmpty {
        body += "<h2 id=\"\(r.uniqueID("plots"))\">Plots</h2>\n"
        for k in unplaced { body += HTMLReportSupport.figures(plotsAfterHeading[k]!, caption: k) }
    }
    return HTMLReportSupport.page(title: title, h1: r.sawH1 ? nil : title, body: body)
}

enum HTMLReportSupport {
    /// The page around `body`: doctype, `<head>` with `title` and the CSS, and `<h1>h1</h1>` first
    /// when given (and not empty).
    static func page(title: String, h1: String?, body: String) -> String {
        var o = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        o += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        o += "<title>\(escape(title))</title>\n<style>\n\(css)</style>\n</head>\n<body>\n<main>\n"
        if let h = h1, !h.isEmpty { o += "<h1>\(escape(h))</h1>\n" }
        o += body
        o += "</main>\n</body>\n</html>\n"
        return o
    }

    static let css = """
    :root { color-scheme: light; }
    body { margin: 0; background: #fff; color: #1f2328; font: 16px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
    main { max-width: 980px; margin: 0 auto; padding: 24px 28px 48px; }
    h1, h2, h3, h4, h5, h6 { line-height: 1.25; margin: 1.6em 0 0.6em; }
    h1 { font-size: 1.9em; margin-top: 0.4em; padding-bottom: 0.25em; border-bottom: 1px solid #d8dee4; }
    h2 { font-size: 1.4em; padding-bottom: 0.2em; border-bottom: 1px solid #eaeef2; }
    h3 { font-size: 1.15em; }
    p, ul, ol, pre { margin: 0 0 1em; }
    p, li { max-width: 46em; }
    code { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 0.88em; background: #f3f4f6; padding: 0.1em 0.35em; border-radius: 4px; }
    pre { background: #f6f8fa; padding: 12px 14px; border-radius: 6px; overflow-x: auto; }
    pre code { background: none; padding: 0; font-size: 0.85em; }
    a { color: #0969da; }
    .table-wrap { overflow-x: auto; margin: 0 0 1.2em; }
    table { border-collapse: collapse; font-size: 14px; font-variant-numeric: tabular-nums; }
    th, td { padding: 6px 10px; border-bottom: 1px solid #e5e7eb; vertical-align: top; text-align: left; }
    th { border-bottom: 2px solid #9ca3af; font-weight: 600; background: #fff; vertical-align: bottom; }
    tbody tr:nth-child(even) { background: #f5f7fa; }
    th.r, td.r { text-align: right; }
    th.c, td.c { text-align: center; }
    td.r { white-space: nowrap; }
    figure { margin: 0.5em 0 1.6em; }
    figure img, figure svg { display: block; max-width: 100%; height: auto; border: 1px solid #eaeef2; border-radius: 4px; }
    figcaption { font-size: 13px; color: #57606a; margin-top: 4px; }

    """

    static func escape(_ s: String, attribute: Bool = false) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for u in s.unicodeScalars {
            switch u {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"" where attribute: out += "&quot;"
            case "'" where attribute: out += "&#39;"
            case "\u{0}": out += "\u{FFFD}"
            default: out.unicodeScalars.append(u)
            }
        }
        return out
    }

    /// One figure per path; alt text from the file name ("plots/replay_ratio.svg" → "Plot: replay ratio").
    static func figures(_ paths: [String], caption: String?) -> String {
        var o = ""
        for p in paths {
            let file = p.split(separator: "/").last.map(String.init) ?? p
            let stem = file.split(separator: ".", omittingEmptySubsequences: false).dropLast().joined(separator: ".")
            let name = (stem.isEmpty ? file : stem).replacingOccurrences(of: "_", with: " ").replacingOccurrences(of: "-", with: " ")
            o += "<figure><img src=\"\(escape(p, attribute: true))\" alt=\"\(escape("Plot: " + name, attribute: true))\" loading=\"lazy\">"
            if let c = caption { o += "<figcaption>\(escape(c))</figcaption>" }
            o += "</figure>\n"
        }
        return o
    }

    /// A plot's SVG inline (without its XML declaration) in a `<figure>` that names its file.
    static func inlineFigure(_ p: ReportPlot) -> String {
        var svg = Substring(p.svg)
        if svg.hasPrefix("<?xml"), let end = svg.firstIndex(of: "\n") { svg = svg[svg.index(after: end)...] }
        while svg.hasSuffix("\n") { svg = svg.dropLast() }
        return "<figure data-file=\"\(escape(p.file, attribute: true))\">\n\(svg)\n</figure>\n"
    }

    /// A ``ReportTable`` as an HTML table: header and cells are the Markdown's inline text
    /// rendered; right-aligned columns (`class="r"`) are those of ``ReportTable/alignments``.
    static func table(_ t: ReportTable) -> String {
        let classes = t.alignments.map { $0 == .right ? "r" : "" }
        return tableHTML(header: t.columns.map(\.header), classes: classes,
                         rows: t.rows.map { r in t.columns.indices.map { $0 < r.count ? r[$0].display : "" } })
    }

    static func tableHTML(header: [String], classes: [String], rows: [[String]]) -> String {
        typealias M = MarkdownHTMLRenderer
        func attr(_ j: Int) -> String { classes[j].isEmpty ? "" : " class=\"\(classes[j])\"" }
        var o = "<div class=\"table-wrap\"><table>\n<thead>\n<tr>"
        for (j, h) in header.enumerated() { o += "<th\(attr(j)) scope=\"col\">\(M.inline(h))</th>" }
        o += "</tr>\n</thead>\n<tbody>\n"
        for r in rows {
            o += "<tr>"
            for (j, c) in r.enumerated() { o += "<td\(attr(j))>\(M.inline(c))</td>" }
            o += "</tr>\n"
        }
        o += "</tbody>\n</table></div>\n"
        return o
    }
}

struct MarkdownHTMLRenderer {
    let plots: [String: [String]]
    var placed: Set<String> = []
    var sawH1 = false
    var usedIDs: Set<String> = []

    typealias H = HTMLReportSupport

    init(plots: [String: [String]]) { self.plots = plots }

    mutating func uniqueID(_ base: String) -> String {
        let b = base.isEmpty ? "section" : base
        var id = b, k = 2
        while usedIDs.contains(id) { id = "\(b)-\(k)"; k += 1 }
        usedIDs.insert(id)
        return id
    }

    static func slug(_ s: String) -> String {
        var out = "", dash = false
        for ch in s.lowercased() {
            if ch.isLetter || ch.isNumber { out.append(ch); dash = false } else if !dash && !out.isEmpty { out.append("-"); dash = true }
        }
        while out.hasSuffix("-") { out.removeLast() }
        return out
    }

    static func isSeparatorRow(_ line: String) -> Bool {
        let cells = splitRow(line)
        guard !cells.isEmpty, line.contains("-") else { return false }
        return cells.allSatisfy { c in
            let t = c.trimmingCharacters(in: .whitespaces)
            guard !t.isEmpty else { return false }
            var core = Substring(t)
            if core.hasPrefix(":") { core = core.dropFirst() }
            if core.hasSuffix(":") { core = core.dropLast() }
            return !core.isEmpty && core.allSatisfy { $0 == "-" }
        }
    }

    /// Cells of a pipe-table row: outer pipes optional, `\|` is a literal pipe.
    static func splitRow(_ line: String) -> [String] {
        var s = Substring(line.trimmingCharacters(in: .whitespaces))
        if s.hasPrefix("|") { s = s.dropFirst() }
        var cells: [String] = [], cur = ""
        var i = s.startIndex
        while i < s.endIndex {
            let ch = s[i]
            if ch == "\\", s.index(after: i) < s.endIndex, s[s.index(after: i)] == "|" {
                cur.append("\\|"); i = s.index(i, offsetBy: 2); continue
            }
            if ch == "|" { cells.append(cur); cur = "" } else { cur.append(ch) }
            i = s.index(after: i)
        }
        if !cur.trimmingCharacters(in: .whitespaces).isEmpty || !line.trimmingCharacters(in: .whitespaces).hasSuffix("|") { cells.append(cur) }
        return cells.map { $0.trimmingCharacters(in: .whitespaces) }
    }

    static func headingLevel(_ line: String) -> (Int, String)? {
        var level = 0
        var i = line.startIndex
        while i < line.endIndex && line[i] == "#" && level < 7 { level += 1; i = line.index(after: i) }
        guard (1...6).contains(level) else { return nil }
        guard i == line.endIndex || line[i] == " " || line[i] == "\t" else { return nil }
        var text = line[i...].trimmingCharacters(in: .whitespaces)
        // optional closing sequence of #s
        if text.allSatisfy({ $0 == "#" }) { text = "" } else if text.hasSuffix("#") {
            let body = text.reversed().drop { $0 == "#" }
            if let last = body.first, last == " " || last == "\t" { text = String(body.drop { $0 == " " || $0 == "\t" }.reversed()) }
        }
        return (level, text)
    }

    static func listItem(_ line: String) -> String? {
        let t = line.drop { $0 == " " }
        guard t.count >= 2, t.first == "-" || t.first == "*" || t.first == "+" else { return nil }
        let rest = t.dropFirst()
        guard rest.first == " " || rest.first == "\t" else { return nil }
        return rest.trimmingCharacters(in: .whitespaces)
    }

    /// `<hN id="…">text</hN>`, the id unique on the page.
    mutating func heading(level: Int, text: String) -> String {
        if level == 1 { sawH1 = true }
        let id = uniqueID(Self.slug(Self.plainText(text)))
        return "<h\(level) id=\"\(H.escape(id, attribute: true))\">\(Self.inline(text))</h\(level)>\n"
    }

    mutating func render(_ markdown: String) -> String {
        let lines = markdown.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
            .split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var o = ""
        var para: [String] = []
        func flush(_ o: inout String, _ para: inout [String]) {
            if !para.isEmpty { o += "<p>" + Self.inline(para.joined(separator: "\n")) + "</p>\n"; para = [] }
        }
        var i = 0
        while i < lines.count {
            let line = lines[i]
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { flush(&o, &para); i += 1; continue }

            if trimmed.hasPrefix("```") || trimmed.hasPrefix("~~~") {
                flush(&o, &para)
                let fence = String(trimmed.prefix(3))
                var code: [String] = []
                i += 1
                while i < lines.count && !lines[i].trimmingCharacters(in: .whitespaces).hasPrefix(fence) { code.append(lines[i]); i += 1 }
                i += 1
                o += "<pre><code>" + H.escape(code.joined(separator: "\n")) + "</code></pre>\n"
                continue
            }

            if let (level, text) = Self.headingLevel(trimmed) {
                flush(&o, &para)
                o += heading(level: level, text: text)
                let plain = Self.plainText(text)
                let key = plots[text] != nil ? text : plots[plain] != nil ? plain : nil
                if let k = key, !placed.contains(k) {
                    placed.insert(k)
                    o += H.figures(plots[k]!, caption: nil)
                }
                i += 1
                continue
            }

            if trimmed.contains("|"), i + 1 < lines.count, Self.isSeparatorRow(lines[i + 1]) {
                let header = Self.splitRow(trimmed)
                let seps = Self.splitRow(lines[i + 1])
                if header.count == seps.count {
                    flush(&o, &para)
                    var rows: [[String]] = []
                    i += 2
                    while i < lines.count {
                        let t = lines[i].trimmingCharacters(in: .whitespaces)
                        guard !t.isEmpty, t.contains("|"), Self.headingLevel(t) == nil else { break }
                        var cells = Self.splitRow(t)
                        if cells.count < header.count { cells += Array(repeating: "", count: header.count - cells.count) }
                        rows.append(Array(cells.prefix(header.count)))
                        i += 1
                    }
                    o += Self.table(header: header, separators: seps, rows: rows)
                    continue
                }
            }

            if Self.listItem(line) != nil, para.isEmpty {
                o += "<ul>\n"
                while i < lines.count, let item = Self.listItem(lines[i]) {
                    var text = item
                    i += 1
                    // continuation lines (indented, not a new item)
                    while i < lines.count, lines[i].hasPrefix("  "), Self.listItem(lines[i]) == nil,
                          !lines[i].trimmingCharacters(in: .whitespaces).isEmpty {
                        text += "\n" + lines[i].trimmingCharacters(in: .whitespaces); i += 1
                    }
                    o += "<li>" + Self.inline(text) + "</li>\n"
                }
                o += "</ul>\n"
                continue
            }

            para.append(trimmed)
            i += 1
        }
        flush(&o, &para)
        return o
    }

    static func looksNumeric(_ cell: String) -> Bool {
        let t = plainText(cell).trimmingCharacters(in: .whitespaces)
        guard var c = t.unicodeScalars.first else { return false }
        var rest = t.unicodeScalars.dropFirst()
        if "+-\u{2212}".unicodeScalars.contains(c) || c == "~" || c == "≈" {
            guard let n = rest.first else { return false }
            c = n; rest = rest.dropFirst()
        }
        if c == "." { guard let n = rest.first else { return false }; c = n }
        return ("0"..."9").contains(c)
    }

    static func isPlaceholder(_ cell: String) -> Bool {
        ["", "–", "—", "-", "n/a", "N/A", "NaN", "nan", "inf", "−inf", "-inf", "∞"].contains(cell.trimmingCharacters(in: .whitespaces))
    }

    static func table(header: [String], separators: [String], rows: [[String]]) -> String {
        var classes: [String] = []
        for (j, sep) in separators.enumerated() {
            let left = sep.hasPrefix(":"), right = sep.hasSuffix(":")
            if left && right { classes.append("c") }
            else if right { classes.append("r") }
            else if left || j == 0 { classes.append("") }
            else {
                let cells = rows.map { $0[j] }
                let numeric = cells.contains { looksNumeric($0) } && cells.allSatisfy { looksNumeric($0) || isPlaceholder($0) }
                classes.append(numeric ? "r" : "")
            }
        }
        return H.tableHTML(header: header, classes: classes, rows: rows)
    }

    /// The text of inline Markdown with its markup removed (for ids, heading matching and alignment).
    static func plainText(_ s: String) -> String {
        let html = inline(s)
        var out = "", inTag = false
        for ch in html {
            if ch == "<" { inTag = true } else if ch == ">" { inTag = false } else if !inTag { out.append(ch) }
        }
        return out.replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&#39;", with: "'")
            .replacingOccurrences(of: "&amp;", with: "&")
    }

    // MARK: inline

    static let punctuation = Set("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")

    static func inline(_ s: String) -> String { inline(Array(s), 0, s.count) }

    /// Index of the backtick run closing the code span that opens with `n` backticks at `start`.
    static func codeSpanEnd(_ c: [Character], _ start: Int, _ n: Int, _ end: Int) -> Int? {
        var j = start + n
        while j < end {
            if c[j] == "`" {
                var k = j
                while k < end && c[k] == "`" { k += 1 }
                if k - j == n { return j }
                j = k
            } else { j += 1 }
        }
        return nil
    }

    static func run(_ c: [Character], _ i: Int, _ end: Int, _ ch: Character) -> Int {
        var k = i
        while k < end && c[k] == ch { k += 1 }
        return k - i
    }

    /// Closing delimiter (`**` when `strong`, else a lone `*`) for an emphasis opened before `from`,
    /// skipping code spans and escapes; it must follow a non-space character.
    static func closer(_ c: [Character], from: Int, _ end: Int, strong: Bool) -> Int? {
        var j = from
        while j < end {
            let ch = c[j]
            if ch == "\\" { j += 2; continue }
            if ch == "`" {
                let n = run(c, j, end, "`")
                if let e = codeSpanEnd(c, j, n, end) { j = e + n } else { j += n }
                continue
            }
            if ch == "*" {
                let n = run(c, j, end, "*")
                let prevOK = j > from && !c[j - 1].isWhitespace
                if strong {
                    if n >= 2 && prevOK { return j + n - 2 }  // "***" closing: the last two close the strong
                } else if n == 1 && prevOK {
                    return j
                }
                // a "**…**" inside an emphasis: skip to past its closer
                if !strong && n == 2, j + 2 < end, !c[j + 2].isWhitespace, let e = closer(c, from: j + 2, end, strong: true) {
                    j = e + 2; continue
                }
                j += n
                continue
            }
            j += 1
        }
        return nil
    }

    static func inline(_ c: [Character], _ start: Int, _ end: Int) -> String {
        var o = ""
        var i = start
        while i < end {
            let ch = c[i]
            if ch == "\\", i + 1 < end, punctuation.contains(c[i + 1]) {
                o += H.escape(String(c[i + 1])); i += 2; continue
            }
            if ch == "`" {
                let n = run(c, i, end, "`")
                if let e = codeSpanEnd(c, i, n, end) {
                    var code = String(c[(i + n)..<e]).replacingOccurrences(of: "\n", with: " ")
                    if code.count >= 2, code.hasPrefix(" "), code.hasSuffix(" "), code.contains(where: { $0 != " " }) {
                        code = String(code.dropFirst().dropLast())
                    }
                    o += "<code>" + H.escape(code) + "</code>"
                    i = e + n
                } else {
                    o += String(repeating: "`", count: n); i += n
                }
                continue
            }
            if ch == "*" {
                let n = run(c, i, end, "*")
                let next = i + n < end ? c[i + n] : " "
                if !next.isWhitespace {
                    if n >= 2, let e = closer(c, from: i + 2, end, strong: true), e > i + 2 {
                        o += "<strong>" + inline(c, i + 2, e) + "</strong>"; i = e + 2; continue
                    }
                    if n == 1, let e = closer(c, from: i + 1, end, strong: false), e > i + 1 {
                        o += "<em>" + inline(c, i + 1, e) + "</em>"; i = e + 1; continue
                    }
                }
                o += String(repeating: "*", count: n); i += n
                continue
            }
            if ch == "[", let link = link(c, i, end) {
                o += "<a href=\"\(H.escape(link.url, attribute: true))\">" + inline(c, i + 1, link.textEnd) + "</a>"
                i = link.end
                continue
            }
            o += H.escape(String(ch))
            i += 1
        }
        return o
    }

    /// `[text](url)` starting at `i`; javascript:/data: URLs are not made links.
    static func link(_ c: [Character], _ i: Int, _ end: Int) -> (textEnd: Int, url: String, end: Int)? {
        var depth = 0, j = i
        while j < end {
            if c[j] == "\\" { j += 2; continue }
            if c[j] == "`" { let n = run(c, j, end, "`"); j = (codeSpanEnd(c, j, n, end).map { $0 + n }) ?? (j + n); continue }
            if c[j] == "[" { depth += 1 } else if c[j] == "]" { depth -= 1; if depth == 0 { break } }
            j += 1
        }
        guard j < end, j + 1 < end, c[j + 1] == "(" else { return nil }
        guard let close = c[(j + 2)..<end].firstIndex(of: ")") else { return nil }
        let url = String(c[(j + 2)..<close]).trimmingCharacters(in: .whitespaces)
        let lower = url.lowercased()
        guard !url.isEmpty, !url.contains(" "), !lower.hasPrefix("javascript:"), !lower.hasPrefix("data:"), !lower.hasPrefix("vbscript:") else { return nil }
        return (j, url, close + 1)
    }
}
