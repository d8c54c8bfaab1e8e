import Agents
import Environments
import Experiments
import Foundation

/// File-name form of a configuration label.
func configSlug(_ c: ConfigSummary) -> String {
    var s = ""
    for u in c.label.replacingOccurrences(of: ", ", with: "_").unicodeScalars
    where ("A"..."Z").contains(u) || ("a"..."z").contains(u) || ("0"..."9").contains(u) || "._=-".unicodeScalars.contains(u) {
        s.unicodeScalars.append(u)
    }
    return s.isEmpty ? c.configID : s
}

/// The hyperparameters in which configuration `c` differs from `base`.
func differences(_ c: ConfigSummary, from base: ConfigSummary) -> [String] {
    let a = c.runs[0].hyperparameters, b = base.runs[0].hyperparameters
    return Set(a.keys).union(b.keys).filter { a[$0] != b[$0] }.sorted()
}

func value(_ c: ConfigSummary, _ k: String) -> String {
    switch c.runs[0].hyperparameters[k] {
    case .string(let s)?: return s
    case .number(let d)?: return formatNumber(d)
    case let v?: return v.serialized()
    case nil: return "–"
    }
}

func numeric(_ c: ConfigSummary, _ k: String) -> Double {
    switch c.runs[0].hyperparameters[k] {
    case .int(let i)?: return Double(i)
    case .number(let d)?: return d
    default: return .nan
    }
}

/// What a comparison adds to the report: its sections, the learning-curve plots of the
/// configurations it compares, and any other plot it draws itself.
struct ReportPart {
    var sections: [ReportSection] = []
    var curvePlots: [CurvePlot] = []
    var plots: [ReportPlot] = []

    static func + (a: ReportPart, b: ReportPart) -> ReportPart {
        ReportPart(sections: a.sections + b.sections, curvePlots: a.curvePlots + b.curvePlots, plots: a.plots + b.plots)
    }
}

/// Greedy evaluation return against environment steps (mean and 95% CI over seeds) of `configs`,
/// one curve each, shown under the table (or table-less section) `table` as `plots/<table>.svg`;
/// `title` (the section's) names it.
struct CurvePlot {
    var table: String
    var title: String
    var configs: [ConfigSummary]
}

/// The columns of a one-factor comparison: the configuration (named by `first`), then seeds, final
/// evaluation return, environment steps and wall time to the threshold, wall time and speed.
func comparisonTable(id: String, title: String, first: ReportColumn, rows: [(name: ReportCell, config: ConfigSummary)]) -> ReportTable {
    ReportTable(id: id, title: title, columns: [
        first, ReportColumn("seeds"), ReportColumn("final eval return", unit: "return"),
        ReportColumn("env steps to threshold", unit: "env steps"), ReportColumn("reached"),
        ReportColumn("wall s to threshold", unit: "s"), ReportColumn("wall time s", unit: "s"),
        ReportColumn("env steps/s", unit: "env steps/s"),
    ], rows: rows.map { name, c in
        [name, .integer(c.runs.count), .ci(c.finalEval), .ci(c.stepsToThreshold, digits: 0), reachedCell(c),
         .ci(c.wallToThreshold), .ci(c.wall), .number(c.fps.mean, digits: 0)]
    })
}

/// `r/n`: how many of the configuration's seeds reached the solve threshold.
func reachedCell(_ c: ConfigSummary) -> ReportCell {
    .compound(values: [Double(c.reached), Double(c.runs.count)], text: "\(c.reached)/\(c.runs.count)")
}

/// A configuration's value of hyperparameter `k` as the report writes it (``value(_:_:)``) with
/// `suffix` (e.g. " (base)") appended, keeping the number when it is one.
func valueCell(_ c: ConfigSummary, _ k: String, suffix: String = "") -> ReportCell {
    let v = numeric(c, k)
    return v.isNaN ? .text(value(c, k) + suffix) : .compound(values: [v], text: value(c, k) + suffix)
}

/// The comparisons for whatever the sweep contains, one factor at a time against the
/// configuration labelled "base", in this order: the ACER paper's replay ratio and ablations
/// (`ACERPaper.swift`), the sensitivity to each other swept hyperparameter (one row per value),
/// and the ACER paper's c × δ table. Factors in `skip` (those another paper's sections own) get no
/// sensitivity section.
func comparisonSections(_ configs: [ConfigSummary], skipping skip: Set<String> = []) -> ReportPart {
    guard let base = configs.first(where: { $0.label == "base" }) else { return ReportPart() }
    var oneFactor: [String: [ConfigSummary]] = [:]
    for c in configs where c.configID != base.configID {
        let d = differences(c, from: base)
        if d.count == 1 && !skip.contains(d[0]) { oneFactor[d[0], default: []].append(c) }
    }
    let acer = acerPaperSections(configs, base: base, oneFactor: oneFactor)
    var part = acer.leading
    for k in oneFactor.keys.sorted() where !acer.owned.contains(k) {
        let rows = (oneFactor[k]! + [base]).sorted { numeric($0, k) < numeric($1, k) || (numeric($0, k).isNaN && value($0, k) < value($1, k)) }
        let title = "Sensitivity to \(k)", id = fileSlug(title)
        part.curvePlots.append(CurvePlot(table: id, title: title, configs: rows))
        part.sections.append(ReportSection(title: title, blocks: [
            .prose("Other hyperparameters at their base values."),
            .table(comparisonTable(id: id, title: title, first: ReportColumn(k),
                                   rows: rows.map { (valueCell($0, k, suffix: $0.configID == base.configID ? " (base)" : ""), $0) })),
        ]))
    }
    return part + acer.trailing
}

/// Final evaluation returns normalized by the environment's reference values (random policy → 0,
/// solve threshold → 1), aggregated over seeds as rliable does: mean, median, IQM and optimality
/// gap, each with a stratified-bootstrap 95% CI (2000 resamples, fixed seed).
func aggregatesSection(_ configs: [ConfigSummary]) -> ReportSection? {
    guard let r0 = configs.first?.runs.first, let solved = r0.solveThreshold,
          let random = Environments.randomPolicyReturn(r0.env) else { return nil }
    let title = "Normalized scores"
    var t = ReportTable(id: fileSlug(title), title: title, columns: [
        ReportColumn("configuration"), ReportColumn("seeds"),
        ReportColumn("mean", unit: "normalized"), ReportColumn("median", unit: "normalized"),
        ReportColumn("IQM", unit: "normalized"), ReportColumn("optimality gap", unit: "normalized"),
    ])
    for c in configs {
        let scores = [c.runs.map { normalize($0.curve["eval_return"]?.last ?? .nan, random: random, reference: solved) }]
        let est = intervalEstimates(scores, aggregates: [.mean, .median, .iqm, .optimalityGap])
        func cell(_ a: Aggregate) -> ReportCell {
            let e = est[a]!
            return .interval(mean: e.point, lo: e.lo, hi: e.hi, digits: 3)
        }
        t.rows.append([.text(c.label), .integer(c.runs.count), cell(.mean), cell(.median), cell(.iqm), cell(.optimalityGap)])
    }
    return ReportSection(title: title, blocks: [
        .prose("Final evaluation return normalized as (return − random) / (threshold − random), with random = \(fmt(random, 2)) (uniform random policy, 2000 episodes, fixed seed) and threshold = \(fmt(solved, 0)); aggregated over seeds as rliable defines it (mean and median are across tasks of the per-task mean over seeds, so with one task they coincide; IQM: scipy trim_mean with 25% cut from each end, i.e. the middle half of all runs (⌊n/4⌋ removed per side); optimality gap: mean shortfall below 1), with stratified-bootstrap 95% CIs (2000 resamples, fixed seed)."),
        .table(t),
    ])
}
