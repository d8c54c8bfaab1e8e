import Agents
import Experiments
import Foundation
import HDF5

/// One run as read back from its run.h5 (the report needs nothing else).
public struct RunData: Sendable {
    public var runID: String
    public var configID: String
    public var configLabel: String
    public var seed: Int
    public var env: String
    public var algo: String
    public var evalEpisodes: Int
    public var evalInterval: Int
    public var totalSteps: Int
    public var solveThreshold: Double?
    public var wallSeconds: Double
    public var fps: Double
    public var gitCommit: String
    /// `/curve` columns by name.
    public var curve: [String: [Double]]
    /// The resolved configuration as stored (the `config` attribute, canonical JSON).
    public var configJSON: String
    /// The resolved hyperparameters (from the `config` attribute).
    public var hyperparameters: [String: JSON]

    public static func load(_ path: String) throws -> RunData {
        let f = try H5File.open(path)
        defer { f.close() }
        let r = f.root
        let g = try r.openGroup("curve")
        var curve: [String: [Double]] = [:]
        for name in try g.memberNames() { curve[name] = try g.read(name, as: Double.self) }
        var hp: [String: JSON] = [:]
        let configJSON = try r.stringAttribute("config")
        if case .object(let o)? = try JSONParser.parse(configJSON)["hyperparameters"] {
            for (k, v) in o { hp[k] = v }
        }
        return RunData(
            runID: try r.stringAttribute("run_id"), configID: try r.stringAttribute("config_id"),
            configLabel: try r.stringAttribute("config_label"), seed: Int(try r.attribute("seed", as: Int64.self)),
            env: try r.stringAttribute("env"), algo: try r.stringAttribute("algo"),
            evalEpisodes: Int(try r.attribute("eval_episodes", as: Int64.self)),
            evalInterval: Int(try r.attribute("eval_interval", as: Int64.self)),
            totalSteps: Int(try r.attribute("total_steps", as: Int64.self)),
            solveThreshold: r.hasAttribute("solve_threshold") ? try r.attribute("solve_threshold", as: Double.self) : nil,
            wallSeconds: try r.attribute("wall_seconds", as: Double.self), fps: try r.attribute("fps", as: Double.self),
            gitCommit: try r.stringAttribute("git_commit"), curve: curve, configJSON: configJSON, hyperparameters: hp)
    }

    /// The first curve step at which the evaluation return reached the solve threshold.
    /// Steps to threshold with a run that never reached it counted as its whole budget (a
    /// conservative, censored measure that keeps every seed in the comparison).
    public var stepsToThresholdOrBudget: Double { stepsToThreshold ?? Double(totalSteps) }

    /// Wall-clock seconds until the first evaluation at or above the threshold (the whole run's
    /// wall time if never): the paper's "score vs wall time" view.
    public var wallToThresholdOrTotal: Double {
        guard let i = firstSolvedRow, let w = curve["wall_s"] else { return wallSeconds }
        return w[i]
    }

    public var stepsToThreshold: Double? { firstSolvedRow.map { curve["step"]![$0] } }

    /// The first curve row whose evaluation return reached the solve threshold.
    var firstSolvedRow: Int? {
        guard let t = solveThreshold, let ev = curve["eval_return"], curve["step"] != nil else { return nil }
        return ev.firstIndex { $0 >= t }
    }
}

/// Per-configuration summary across seeds.
public struct ConfigSummary: Sendable {
    public var configID: String
    public var label: String
    public var runs: [RunData]
    public var finalEval: MeanCI
    public var reached: Int
    public var stepsToThreshold: MeanCI
    public var wall: MeanCI
    public var fps: MeanCI
    public var wallToThreshold: MeanCI
}

public struct ReportResult {
    public var markdownPath: String
    public var summaryTable: String
    public var configs: [ConfigSummary]
    /// Runs whose run.h5 could not be read (truncated or corrupt): listed in the report's failed
    /// runs, left out of every table; `rlexp run` on the folder redoes them.
    public var unreadable: [(id: String, error: String)] = []
}

/// Reads every `runs/*/run.h5` under `resultsDir` and writes `report/report.md`,
/// `report/summary.json`, `report/curves.csv` (mean and 95% bootstrap CI across seeds at each step)
/// and `runs/<id>/curve.csv`. Incomplete runs (`run.h5.partial`) are ignored.
public func writeReport(resultsDir: URL) throws -> ReportResult {
    let fm = FileManager.default
    let runsDir = resultsDir.appendingPathComponent("runs")
    var runs: [RunData] = []
    var failed: [(id: String, error: String)] = []
    var unreadable: [(id: String, error: String)] = []
    for id in try fm.contentsOfDirectory(atPath: runsDir.path).sorted() {
        let p = runsDir.appendingPathComponent(id).appendingPathComponent("run.h5").path
        let failure = runsDir.appendingPathComponent(id).appendingPathComponent(failureFileName)
        if !fm.fileExists(atPath: p), let text = try? String(contentsOf: failure, encoding: .utf8) {
            var error = "unknown error"
            if case .string(let e)? = (try? JSONParser.parse(text))?["error"] { error = e }
            failed.append((id, error))
        }
        guard fm.fileExists(atPath: p) else { continue }
        let run: RunData
        do { run = try RunData.load(p) } catch {
            let why = "runs/\(id)/run.h5 cannot be read (truncated or corrupt: \(error)); `rlexp run` on this folder redoes the run"
            failed.append((id, why)); unreadable.append((id, why))
            continue
        }
        runs.append(run)
        try atomicWrite(curveCSV(run), to: runsDir.appendingPathComponent(id).appendingPathComponent("curve.csv"))
    }
    let reportDir = resultsDir.appendingPathComponent("report")
    // generated, never edited by hand: start clean so nothing stale survives a re-run
    for sub in ["tables", "plots", "curves"] { try? fm.removeItem(at: reportDir.appendingPathComponent(sub)) }
    try fm.createDirectory(at: reportDir, withIntermediateDirectories: true)

    // group by configuration, in order of first appearance of the label
    var order: [String] = []
    var byConfig: [String: [RunData]] = [:]
    for r in runs.sorted(by: { ($0.configLabel, $0.seed) < ($1.configLabel, $1.seed) }) {
        if byConfig[r.configID] == nil { order.append(r.configID) }
        byConfig[r.configID, default: []].append(r)
    }
    let configs: [ConfigSummary] = order.map { id in
        let rs = byConfig[id]!
        let finals = rs.map { $0.curve["eval_return"]?.last ?? .nan }
        let reached = rs.compactMap(\.stepsToThreshold).count
        return ConfigSummary(configID: id, label: rs[0].configLabel, runs: rs, finalEval: bootstrapMeanCI(finals),
                             reached: reached, stepsToThreshold: bootstrapMeanCI(rs.map(\.stepsToThresholdOrBudget)),
                             wall: bootstrapMeanCI(rs.map(\.wallSeconds)), fps: bootstrapMeanCI(rs.map(\.fps)),
                             wallToThreshold: bootstrapMeanCI(rs.map(\.wallToThresholdOrTotal)))
    }

    var curves: [String: AggregatedCurve] = [:]
    for c in configs { curves[c.configID] = aggregatedCurve(c) }
    try atomicWrite(aggregatedCurvesCSV(configs, curves: curves), to: reportDir.appendingPathComponent("curves.csv"))
    let curvesDir = reportDir.appendingPathComponent("curves")
    try fm.createDirectory(at: curvesDir, withIntermediateDirectories: true)
    for c in configs {
        try atomicWrite(aggregatedCurvesCSV([c], curves: curves), to: curvesDir.appendingPathComponent(configSlug(c) + ".csv"))
    }
    let table = summaryTable(configs)
    // the A3C paper's comparisons take the factors they own out of the generic one-factor sections
    let a3c = a3cPaperSections(configs, curves: curves)
    let comparisons = comparisonSections(configs, skipping: a3c.markdown.isEmpty ? [] : ["method", "threads", "execution", "lr"])
    var markdownText = markdown(resultsDir: resultsDir, configs: configs, table: table)
    if !failed.isEmpty {
        markdownText += "\n## Failed runs\n\n\(failed.count) run(s) failed and are left out of every table (their error, from `runs/<id>/\(failureFileName)`):\n\n"
        for f in failed { markdownText += "- `\(f.id)`: \(f.error)\n" }
    }
    var plotGroups = comparisons.plots + a3c.plots
    if configs.count <= 8 { plotGroups.insert((heading: "Learning curves", configs: configs), at: 0) }
    if configs.count <= 8 { markdownText += "\n## Learning curves\n\nGreedy evaluation return, mean and 95% CI over seeds, per configuration.\n" }
    markdownText += comparisons.markdown
    markdownText += a3c.markdown
    markdownText += publishedReturnsSection(configs)
    markdownText += aggregatesSection(configs)

    // one SVG per comparison, embedded in report.html and linked from report.md
    let plotsDir = reportDir.appendingPathComponent("plots")
    try fm.createDirectory(at: plotsDir, withIntermediateDirectories: true)
    var plotsAfterHeading: [String: [String]] = [:]
    let env = configs.first?.runs.first?.env ?? ""
    let episodes = configs.first?.runs.first?.evalEpisodes ?? 0
    for (heading, group) in plotGroups {
        let series = group.map { c -> CurveSeries in
            let a = curves[c.configID]!
            return CurveSeries(label: c.label, x: a.steps, mean: a.eval.map(\.mean), lo: a.eval.map(\.lo), hi: a.eval.map(\.hi))
        }
        let threshold = group.first?.runs.first?.solveThreshold
        let svg = learningCurveSVG(series, title: "\(env): \(heading.lowercased()) (mean and 95% CI over seeds)",
                                   xLabel: "environment steps", yLabel: "eval return (greedy, \(episodes) episodes)",
                                   hLine: threshold.map { ($0, "solve threshold \(fmt($0, 0))") })
        let file = "plots/" + heading.lowercased().replacingOccurrences(of: "[^a-z0-9]+", with: "_", options: .regularExpression) + ".svg"
        try atomicWrite(svg, to: reportDir.appendingPathComponent(file))
        plotsAfterHeading[heading, default: []].append(file)
    }
    for (heading, file, svg) in a3c.extraPlots {
        try atomicWrite(svg, to: reportDir.appendingPathComponent(file))
        plotsAfterHeading[heading, default: []].append(file)
    }
    try writeTablesCSV(markdownText, to: reportDir.appendingPathComponent("tables"))
    let html = renderHTMLReport(markdown: markdownText, title: "rlexp report: \(resultsDir.lastPathComponent)", plotsAfterHeading: plotsAfterHeading)
    try atomicWrite(html, to: reportDir.appendingPathComponent("report.html"))
    // report.md links the same plots under their headings
    var mdLines: [String] = []
    for line in markdownText.split(separator: "\n", omittingEmptySubsequences: false) {
        mdLines.append(String(line))
        if line.hasPrefix("## "), let files = plotsAfterHeading[String(line.dropFirst(3))] {
            for f in files { mdLines.append(""); mdLines.append("![\(line.dropFirst(3))](\(f))") }
        }
    }
    try atomicWrite(mdLines.joined(separator: "\n"), to: reportDir.appendingPathComponent("report.md"))
    try atomicWrite(summaryJSON(configs).pretty() + "\n", to: reportDir.appendingPathComponent("summary.json"))
    return ReportResult(markdownPath: reportDir.appendingPathComponent("report.md").path, summaryTable: table, configs: configs, unreadable: unreadable)
}

func fmt(_ x: Double, _ digits: Int = 1) -> String { x.isNaN ? "–" : String(format: "%.\(digits)f", x) }
func fmtCI(_ c: MeanCI, _ digits: Int = 1) -> String {
    c.n == 0 ? "–" : "\(fmt(c.mean, digits)) [\(fmt(c.lo, digits)), \(fmt(c.hi, digits))]"
}
func csvNumber(_ x: Double) -> String { x.isNaN ? "" : formatNumber(x) }
func csvField(_ s: String) -> String { s.contains(where: { ",\"\n".contains($0) }) ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s }

func curveCSV(_ r: RunData) -> String {
    let cols = curveColumns.map(\.name).filter { r.curve[$0] != nil }
    var out = cols.joined(separator: ",") + "\n"
    let n = r.curve["step"]?.count ?? 0
    for i in 0..<n { out += cols.map { csvNumber(r.curve[$0]![i]) }.joined(separator: ",") + "\n" }
    return out
}

/// Mean and 95% bootstrap CI across seeds of a `/curve` column at every evaluation step that all
/// seeds share (evaluation points are the same for every seed of a configuration).
public struct AggregatedCurve: Sendable {
    public var steps: [Double] = [], eval: [MeanCI] = [], returnMean: [MeanCI] = []
}

/// The nominal step of each evaluation row of a run: the multiple of `eval_interval` whose crossing
/// triggered it (the run evaluates after the first update that reaches it, which can be later by up
/// to one update or, for the asynchronous methods, one round of segments), and `total_steps` for the
/// final row. Seeds of one configuration share these, so curves average over them.
func nominalSteps(_ r: RunData) -> [Double] {
    let steps = r.curve["step"] ?? []
    let interval = Double(max(r.evalInterval, 1))
    return steps.indices.map { i in
        i == steps.count - 1 && steps.count > 1 ? Double(r.totalSteps) : (steps[i] / interval).rounded(.down) * interval
    }
}

/// The row of `r`'s curve at nominal step `s`, if any.
func row(_ r: RunData, atNominal s: Double) -> Int? { nominalSteps(r).firstIndex(of: s) }

func aggregatedCurve(_ c: ConfigSummary) -> AggregatedCurve {
    let stepSets = c.runs.map { Set(nominalSteps($0)) }
    let common = stepSets.dropFirst().reduce(stepSets.first ?? []) { $0.intersection($1) }.sorted()
    var out = AggregatedCurve()
    for s in common {
        func at(_ col: String) -> [Double] {
            c.runs.map { r in r.curve[col].flatMap { vals in row(r, atNominal: s).map { vals[$0] } } ?? .nan }
        }
        out.steps.append(s)
        out.eval.append(bootstrapMeanCI(at("eval_return"), resamples: 2000))
        out.returnMean.append(bootstrapMeanCI(at("return_mean"), resamples: 2000))
    }
    return out
}

func aggregatedCurvesCSV(_ configs: [ConfigSummary], curves: [String: AggregatedCurve]) -> String {
    var out = "config_id,config_label,step,n_seeds,eval_return_mean,eval_return_ci_lo,eval_return_ci_hi,return_mean_mean,return_mean_ci_lo,return_mean_ci_hi\n"
    for c in configs {
        let a = curves[c.configID]!
        for (i, s) in a.steps.enumerated() {
            let e = a.eval[i], m = a.returnMean[i]
            out += [csvField(c.configID), csvField(c.label), csvNumber(s), String(c.runs.count),
                    csvNumber(e.mean), csvNumber(e.lo), csvNumber(e.hi), csvNumber(m.mean), csvNumber(m.lo), csvNumber(m.hi)].joined(separator: ",") + "\n"
        }
    }
    return out
}

func summaryTable(_ configs: [ConfigSummary]) -> String {
    var lines = ["| configuration | seeds | final eval return (mean [95% CI]) | env steps to threshold (mean [95% CI]) | reached | wall time s | env steps/s |",
                 "|---|---|---|---|---|---|---|"]
    for c in configs {
        // an environment without a solve threshold (MinAtar, Pendulum) has no steps-to-threshold
        let toThreshold = c.runs[0].solveThreshold == nil ? "–" : fmtCI(c.stepsToThreshold, 0)
        let reached = c.runs[0].solveThreshold.map { "\(c.reached)/\(c.runs.count) (≥ \(fmt($0, 0)))" } ?? "– (no threshold)"
        lines.append("| \(c.label) | \(c.runs.count) | \(fmtCI(c.finalEval)) | \(toThreshold) | \(reached) | \(fmt(c.wall.mean)) | \(fmt(c.fps.mean, 0)) |")
    }
    return lines.joined(separator: "\n")
}

func markdown(resultsDir: URL, configs: [ConfigSummary], table: String) -> String {
    let first = configs.first?.runs.first
    let name = resultsDir.lastPathComponent
    var s = "# \(name)\n\n"
    if let r = first {
        s += "\(r.algo) on \(r.env), \(r.totalSteps) environment steps per run, \(configs.reduce(0) { $0 + $1.runs.count }) runs in \(configs.count) configuration(s).\n\n"
        s += "Evaluation protocol (the same for every row): every \(r.evalInterval) environment steps and at the end, the greedy policy (argmax π) plays \(r.evalEpisodes) episodes in a separate environment copy; *eval return* is their mean. *Final* is the evaluation at the end of training. Intervals are percentile-bootstrap 95% CIs of the mean over seeds (10 000 resamples, fixed bootstrap seed). *Env steps to threshold* is the first evaluation step with eval return ≥ the threshold; a seed that never reached it counts as its whole budget (the *reached* column says how many did).\n\n"
    }
    s += table + "\n\n"
    s += "Files: `report/curves.csv` and `report/curves/<configuration>.csv` (mean and 95% CI across seeds at each evaluation step), `report/summary.json`, `runs/<run id>/curve.csv` and `runs/<run id>/run.h5`.\n\n"
    let commits = Set(configs.flatMap { $0.runs.map(\.gitCommit) }).sorted()
    s += "Produced by rlexp \(rlexpVersion) at commit(s) \(commits.joined(separator: ", ")).\n"
    return s
}

func summaryJSON(_ configs: [ConfigSummary]) -> JSON {
    func ci(_ c: MeanCI) -> JSON {
        .object([("mean", .number(c.mean)), ("ci_lo", .number(c.lo)), ("ci_hi", .number(c.hi)), ("n", .int(c.n))])
    }
    return .object([("configs", .array(configs.map { c in
        .object([("config_id", .string(c.configID)), ("config_label", .string(c.label)),
                 ("runs", .array(c.runs.map { .string($0.runID) })),
                 ("final_eval_return", ci(c.finalEval)), ("steps_to_threshold", ci(c.stepsToThreshold)),
                 ("reached_threshold", .int(c.reached)), ("wall_seconds", ci(c.wall)), ("fps", ci(c.fps))])
    }))])
}

/// Every pipe table of the report's Markdown as `tables/<section>.csv` (the summary table is
/// `tables/summary.csv`; a second table in one section gets a `_2` suffix).
func writeTablesCSV(_ markdown: String, to dir: URL) throws {
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    var section = "summary", count: [String: Int] = [:]
    var rows: [[String]] = []
    func flush() throws {
        guard rows.count > 1 else { rows = []; return }
        count[section, default: 0] += 1
        let name = section + (count[section]! > 1 ? "_\(count[section]!)" : "")
        var table = rows.filter { !$0.allSatisfy { $0.allSatisfy { "-:".contains($0) } } }
        // "mean [lo, hi]" cells become three numeric columns
        let ci = try NSRegularExpression(pattern: "^(-?[0-9.]+) \\[(-?[0-9.]+), (-?[0-9.]+)\\]$")
        func parts(_ cell: String) -> [String]? {
            guard let m = ci.firstMatch(in: cell, range: NSRange(cell.startIndex..., in: cell)) else { return cell == "–" ? ["", "", ""] : nil }
            return (1...3).map { String(cell[Range(m.range(at: $0), in: cell)!]) }
        }
        for col in stride(from: (table.first?.count ?? 0) - 1, through: 0, by: -1) {
            let body = table.dropFirst().map { col < $0.count ? $0[col] : "" }
            guard !body.isEmpty, body.allSatisfy({ parts($0) != nil }), body.contains(where: { $0 != "–" }) else { continue }
            let name = table[0][col].replacingOccurrences(of: " (mean [95% CI])", with: "")
            table[0].replaceSubrange(col...col, with: [name, name + " ci_lo", name + " ci_hi"])
            for r in 1..<table.count where col < table[r].count { table[r].replaceSubrange(col...col, with: parts(table[r][col])!) }
        }
        let text = table.map { $0.map(csvField).joined(separator: ",") }.joined(separator: "\n") + "\n"
        try atomicWrite(text, to: dir.appendingPathComponent(name + ".csv"))
        rows = []
    }
    for line in markdown.split(separator: "\n", omittingEmptySubsequences: false) {
        if line.hasPrefix("|") {
            rows.append(line.split(separator: "|", omittingEmptySubsequences: false).dropFirst().dropLast()
                .map { $0.trimmingCharacters(in: .whitespaces) })
        } else {
            try flush()
            if line.hasPrefix("## ") {
                section = line.dropFirst(3).lowercased().replacingOccurrences(of: "[^a-z0-9]+", with: "_", options: .regularExpression)
            }
        }
    }
    try flush()
}
