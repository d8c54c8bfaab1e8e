import Environments
import Foundation

/// The comparison with published figures for the run's environment (`EnvSpec.publishedReturns`,
/// e.g. the MinAtar paper's Breakout return): one row per published figure, with our final
/// greedy evaluation return for every configuration and both budgets, so a shorter budget of ours
/// is plain to see. Nil when the environment has no published figure recorded.
func publishedReturnsSection(_ all: [ConfigSummary]) -> ReportSection? {
    publishedReturnsSections(all).first
}

/// One published-results section per environment of the sweep that has published figures (a
/// multi-part spec may span several), each comparing only that environment's configurations.
func publishedReturnsSections(_ all: [ConfigSummary]) -> [ReportSection] {
    var envs: [String] = []
    for c in all { if let e = c.runs.first?.env, !envs.contains(e) { envs.append(e) } }
    return envs.compactMap { env in publishedReturnsSection(all.filter { $0.runs.first?.env == env }, env: env) }
}

func publishedReturnsSection(_ configs: [ConfigSummary], env: String) -> ReportSection? {
    guard let r0 = configs.first?.runs.first, let spec = Environments.spec(r0.env), !spec.publishedReturns.isEmpty else { return nil }
    let title = "Published results on \(r0.env)"
    var t = ReportTable(id: fileSlug(title), title: title, columns: [
        ReportColumn("source"), ReportColumn("method"), ReportColumn("frames", unit: "env steps"),
        ReportColumn("published return", unit: "return"), ReportColumn("configuration (ours)"),
        ReportColumn("frames (ours)", unit: "env steps"), ReportColumn("final eval return (ours)", unit: "return"),
    ])
    for p in spec.publishedReturns {
        for c in configs {
            t.rows.append([.text(p.source), .text(p.method), .integer(p.frames),
                           .compound(values: [p.value], text: "\(fmt(p.value)) (\(p.note))"), .text(c.label),
                           .integer(c.runs[0].totalSteps), .ci(c.finalEval)])
        }
    }
    return ReportSection(title: title, blocks: [
        .prose("Ours: final greedy evaluation return (mean [95% CI] over seeds) after \(r0.totalSteps) environment steps (frames). "
               + "Published figures are the papers' own protocol (usually the average return of training episodes), so the comparison is indicative."),
        .table(t),
    ])
}
