import Environments
import Foundation

/// The comparison with published figures for the run's environment (`EnvSpec.publishedReturns`,
/// e.g. the MinAtar paper's Breakout return): one row per published figure, with our final
/// greedy evaluation return for every configuration and both budgets, so a shorter budget of ours
/// is plain to see. Empty when the environment has no published figure recorded.
func publishedReturnsSection(_ configs: [ConfigSummary]) -> String {
    guard let r0 = configs.first?.runs.first, let spec = Environments.spec(r0.env), !spec.publishedReturns.isEmpty else { return "" }
    var s = "\n## Published results on \(r0.env)\n\n"
    s += "Ours: final greedy evaluation return (mean [95% CI] over seeds) after \(r0.totalSteps) environment steps (frames). "
    s += "Published figures are the papers' own protocol (usually the average return of training episodes), so the comparison is indicative.\n\n"
    s += "| source | method | frames | published return | configuration (ours) | frames (ours) | final eval return (ours) |\n|---|---|---|---|---|---|---|\n"
    for p in spec.publishedReturns {
        for c in configs {
            s += "| \(p.source) | \(p.method) | \(p.frames) | \(fmt(p.value)) (\(p.note)) | \(c.label) | \(c.runs[0].totalSteps) | \(fmtCI(c.finalEval)) |\n"
        }
    }
    return s
}
