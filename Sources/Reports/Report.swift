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
    /// The report as data: every table with its numbers, as report.md, report.html and tables/*.csv show it.
    public var document: ReportDocument
}

/// Reads every `runs/*/run.h5` under `resultsDir` and writes `report/report.md`, `report/report.html`
/// (one self-contained page), `report/tables/<table id>.csv` (every table, full precision),
/// `report/plots/*.svg`, `report/summary.json`, `report/curves.csv` (mean and 95% bootstrap CI
/// across seeds at each step) and `runs/<id>/curve.csv`, all rendered from one
/// ``ReportDocument``. Incomplete runs (`run.h5.partial`) are ignored.
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
    let doc = reportDocument(resultsDir: resultsDir, configs: configs, curves: curves, failed: failed)
    // one SVG per plot, inline in report.html and linked from report.md
    let plotsDir = reportDir.appendingPathComponent("plots")
    try fm.createDirectory(at: plotsDir, withIntermediateDirectories: true)
    for p in doc.plots { try atomicWrite(p.svg, to: reportDir.appendingPathComponent(p.file)) }
    try doc.writeTablesCSV(to: reportDir.appendingPathComponent("tables"))
    try atomicWrite(doc.html(pageTitle: "rlexp report: \(resultsDir.lastPathComponent)"), to: reportDir.appendingPathComponent("report.html"))
    try atomicWrite(doc.markdown, to: reportDir.appendingPathComponent("report.md"))
    try atomicWrite(summaryJSON(configs).pretty() + "\n", to: reportDir.appendingPathComponent("summary.json"))
    return ReportResult(markdownPath: reportDir.appendingPathComponent("report.md").path, summaryTable: doc.tables.first { $0.id == "summary" }?.markdown ?? "",
                        configs: configs, unreadable: unreadable, document: doc)
}

/// The whole report as data, in reading order: the head (what ran, the evaluation protocol, the
/// summary table, the files), the failed runs, the learning curves (up to 8 configurations), the
/// continuous-control comparison (`continuousControlPart`), the one-factor comparisons and the
/// ACER paper's (`comparisonSections`), the A3C paper's
/// (`a3cPaperSections`), published results for the environment, and normalized scores.
func reportDocument(resultsDir: URL, configs: [ConfigSummary], curves: [String: AggregatedCurve],
                    failed: [(id: String, error: String)]) -> ReportDocument {
    var sections = [headSection(resultsDir: resultsDir, configs: configs)]
    if !failed.isEmpty {
        sections.append(ReportSection(title: "Failed runs", blocks: [
            .prose("\(failed.count) run(s) failed and are left out of every table (their error, from `runs/<id>/\(failureFileName)`):"),
            .prose(failed.map { "- `\($0.id)`: \($0.error)" }.joined(separator: "\n")),
        ]))
    }
    var curvePlots: [CurvePlot] = []
    var envs: [String] = []
    for c in configs { if let e = c.runs.first?.env, !envs.contains(e) { envs.append(e) } }
    if envs.count > 1 {
        // a multi-part spec over several environments: one plot per environment (their returns differ in scale)
        for e in envs {
            let these = configs.filter { $0.runs.first?.env == e }
            guard these.count <= 8 else { continue }
            let s = ReportSection(title: "Learning curves on \(e)", blocks: [.prose("Greedy evaluation return, mean and 95% CI over seeds, per configuration on \(e).")])
            sections.append(s)
            curvePlots.append(CurvePlot(table: s.id, title: "learning curves", configs: these))
        }
    } else if configs.count <= 8 {
        let s = ReportSection(title: "Learning curves", blocks: [.prose("Greedy evaluation return, mean and 95% CI over seeds, per configuration.")])
        sections.append(s)
        curvePlots.append(CurvePlot(table: s.id, title: s.title, configs: configs))
    }
    // the A3C paper's comparisons take the factors they own out of the generic one-factor sections
    let a3c = a3cPaperSections(configs, curves: curves)
    let parts = continuousControlPart(configs, curves: curves) + comparisonSections(configs, skipping: a3c.owned) + a3c.part
    sections += parts.sections
    sections += publishedReturnsSections(configs)
    if let s = aggregatesSection(configs) { sections.append(s) }
    curvePlots += parts.curvePlots

    let episodes = configs.first?.runs.first?.evalEpisodes ?? 0
    let plots = curvePlots.map { p -> ReportPlot in
        let env = p.configs.first?.runs.first?.env ?? ""
        let series = p.configs.map { c -> CurveSeries in
            let a = curves[c.configID]!
            return CurveSeries(label: c.label, x: a.steps, mean: a.eval.map(\.mean), lo: a.eval.map(\.lo), hi: a.eval.map(\.hi))
        }
        let threshold = p.configs.first?.runs.first?.solveThreshold
        let svg = learningCurveSVG(series, title: "\(env): \(p.title.lowercased()) (mean and 95% CI over seeds)",
                                   xLabel: "environment steps", yLabel: "eval return (greedy, \(episodes) episodes)",
                                   hLine: threshold.map { ($0, "solve threshold \(fmt($0, 0))") })
        return ReportPlot(table: p.table, file: "plots/\(p.table).svg", svg: svg)
    }
    return ReportDocument(title: resultsDir.lastPathComponent, sections: sections, plots: plots + parts.plots)
}

func fmt(_ x: Double, _ digits: Int = 1) -> String { x.isNaN ? "–" : String(format: "%.\(digits)f", x) }
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

/// One row per configuration: seeds, final evaluation return, environment steps to the solve
/// threshold and how many seeds reached it, wall time and speed.
func summaryTable(_ configs: [ConfigSummary]) -> ReportTable {
    var t = ReportTable(id: "summary", title: "Summary", columns: [
        ReportColumn("configuration"), ReportColumn("seeds"),
        ReportColumn("final eval return", header: "final eval return (mean [95% CI])", unit: "return"),
        ReportColumn("env steps to threshold", header: "env steps to threshold (mean [95% CI])", unit: "env steps"),
        ReportColumn("reached"), ReportColumn("wall time s", unit: "s"), ReportColumn("env steps/s", unit: "env steps/s"),
    ])
    for c in configs {
        // an environment without a solve threshold (MinAtar, Pendulum) has no steps-to-threshold
        let threshold = c.runs[0].solveThreshold
        let reached: ReportCell = threshold.map {
            .compound(values: [Double(c.reached), Double(c.runs.count), $0], text: "\(c.reached)/\(c.runs.count) (≥ \(fmt($0, 0)))")
        } ?? .text("– (no threshold)")
        t.rows.append([.text(c.label), .integer(c.runs.count), .ci(c.finalEval), threshold == nil ? .missing : .ci(c.stepsToThreshold, digits: 0),
                       reached, .number(c.wall.mean, digits: 1), .number(c.fps.mean, digits: 0)])
    }
    return t
}

/// The report's head: what ran, the evaluation protocol, the summary table, the files, the commits.
func headSection(resultsDir: URL, configs: [ConfigSummary]) -> ReportSection {
    var blocks: [ReportBlock] = []
    if let r = configs.first?.runs.first {
        let runs = configs.flatMap(\.runs), count = "\(runs.count) runs in \(configs.count) configuration(s)."
        if Set(runs.map { "\($0.algo) \($0.env) \($0.totalSteps)" }).count == 1 {
            blocks.append(.prose("\(r.algo) on \(r.env), \(r.totalSteps) environment steps per run, " + count))
        } else {   // a multi-part spec: each part's algorithm, environment and budget, in first-seen order
            var seen = Set<String>(), what: [String] = []
            for x in runs where seen.insert("\(x.algo) \(x.env) \(x.totalSteps)").inserted { what.append("\(x.algo) on \(x.env) (\(x.totalSteps) environment steps per run)") }
            blocks.append(.prose(what.joined(separator: "; ") + "; " + count))
        }
        blocks.append(.prose("Evaluation protocol (the same for every row): every \(r.evalInterval) environment steps and at the end, the greedy policy (argmax π) plays \(r.evalEpisodes) episodes in a separate environment copy; *eval return* is their mean. *Final* is the evaluation at the end of training. Intervals are percentile-bootstrap 95% CIs of the mean over seeds (10 000 resamples, fixed bootstrap seed). *Env steps to threshold* is the first evaluation step with eval return ≥ the threshold; a seed that never reached it counts as its whole budget (the *reached* column says how many did)."))
    }
    blocks.append(.table(summaryTable(configs)))
    blocks.append(.prose("Files: `report/curves.csv` and `report/curves/<configuration>.csv` (mean and 95% CI across seeds at each evaluation step), `report/summary.json`, `runs/<run id>/curve.csv` and `runs/<run id>/run.h5`."))
    let commits = Set(configs.flatMap { $0.runs.map(\.gitCommit) }).sorted()
    blocks.append(.prose("Produced by rlexp \(rlexpVersion) at commit(s) \(commits.joined(separator: ", "))."))
    return ReportSection(id: "summary", title: resultsDir.lastPathComponent, blocks: blocks)
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
