import Agents
import Foundation

// The ACER paper's comparisons (Wang et al. 2017, "Sample Efficient Actor-Critic with Experience
// Replay"): the replay ratio (its Figure 3's claim), the ablations of its components (Figure 4:
// Retrace, truncation with bias correction, trust region), and the sensitivity to the truncation
// c and the trust-region δ together. Kept here, in one place for this paper; `comparisonSections`
// (Comparisons.swift) places them around the generic one-factor sections.

/// The ACER paper's sections for a sweep compared one factor at a time against `base`
/// (`oneFactor`: the configurations that differ from it in exactly that hyperparameter):
/// - `leading`: "Replay ratio" when `replay_ratio` is swept, then "Ablations" when any boolean
///   switch is (whatever the algorithm: a switch flipped against the base is an ablation);
/// - `trailing`: "c × delta" when both c and δ take more than one value among the configurations
///   that differ from the base in c and/or δ only;
/// - `owned`: the factors these sections cover, which get no generic sensitivity section.
func acerPaperSections(_ configs: [ConfigSummary], base: ConfigSummary, oneFactor: [String: [ConfigSummary]])
    -> (leading: ReportPart, trailing: ReportPart, owned: Set<String>) {
    var leading = ReportPart(), trailing = ReportPart()
    var owned: Set<String> = []

    if let rr = oneFactor["replay_ratio"] {
        owned.insert("replay_ratio")
        let rows = (rr + [base]).sorted { numeric($0, "replay_ratio") < numeric($1, "replay_ratio") }
        let title = "Replay ratio", id = fileSlug(title)
        leading.curvePlots.append(CurvePlot(table: id, title: title, configs: rows))
        let means = rows.map(\.stepsToThreshold.mean)
        let monotone = zip(means, means.dropFirst()).allSatisfy { $0 >= $1 }
        let separated = zip(rows, rows.dropFirst()).allSatisfy { $0.stepsToThreshold.lo > $1.stepsToThreshold.hi }
        var efficiency = "**Sample efficiency:** "
        if monotone && separated {
            efficiency += "reproduced here: each step up in replay ratio needs fewer environment steps, with non-overlapping 95% CIs."
        } else if monotone {
            efficiency += "the ordering of the means matches the paper (more replay, fewer environment steps), but neighbouring 95% CIs overlap: not separated at this number of seeds."
        } else {
            efficiency += "**not reproduced** on this task: the mean environment steps to threshold do not decrease monotonically with the replay ratio (\(means.map { fmt($0, 0) }.joined(separator: " → ")))."
        }
        let walls = rows.map(\.wallToThreshold.mean)
        var wall = "**Wall time to threshold:** \(walls.map { fmt($0) }.joined(separator: " → ")) s from the lowest to the highest replay ratio. "
        wall += (walls.last ?? 0) > 1.5 * (walls.first ?? 0)
            ? "Not the paper's \"about the same\": our environments are nearly free, so compute is dominated by the updates, which grow with the replay ratio."
            : "About the same, as in the paper."
        leading.sections.append(ReportSection(title: title, blocks: [
            .prose("The ACER paper's claim: more replay per environment step reaches a given score in fewer environment steps, at about the same wall time (with an expensive simulator). Same budget, evaluation protocol and other hyperparameters in every row. All intervals are 95% bootstrap CIs over seeds; a seed that never reaches the threshold counts with its whole budget (steps and wall time)."),
            .table(comparisonTable(id: id, title: title, first: ReportColumn("replay_ratio"),
                                   rows: rows.map { (valueCell($0, "replay_ratio"), $0) })),
            .prose(efficiency),
            .prose(wall),
        ]))
    }

    let switches = oneFactor.filter { k, v in v.allSatisfy { if case .bool? = $0.runs[0].hyperparameters[k] { return true }; return false } }
    owned.formUnion(switches.keys)
    if !switches.isEmpty {
        let title = "Ablations", id = fileSlug(title)
        leading.curvePlots.append(CurvePlot(table: id, title: title, configs: [base] + switches.keys.sorted().flatMap { switches[$0]! }))
        var rows: [(name: ReportCell, config: ConfigSummary)] = [(.text("full (base)"), base)]
        for k in switches.keys.sorted() { for c in switches[k]! { rows.append((.text("\(k) = \(value(c, k))"), c)) } }
        leading.sections.append(ReportSection(title: title, blocks: [
            .prose("The base configuration against each switch flipped, one at a time (same budget and evaluation)."),
            .table(comparisonTable(id: id, title: title, first: ReportColumn("configuration"), rows: rows)),
        ]))
    }

    // c × δ, over every configuration that differs from the base in c and/or delta only
    let cd = configs.filter { c in Set(differences(c, from: base)).isSubset(of: ["c", "delta"]) }
    let cs = Array(Set(cd.map { numeric($0, "c") })).filter { !$0.isNaN }.sorted()
    let ds = Array(Set(cd.map { numeric($0, "delta") })).filter { !$0.isNaN }.sorted()
    if cs.count > 1 && ds.count > 1 {
        let title = "c × delta"
        var t = ReportTable(id: fileSlug(title), title: title,
                            columns: [ReportColumn("c \\ δ")] + ds.map { ReportColumn(formatNumber($0)) })
        for cv in cs {
            t.rows.append([ReportCell.number(cv, digits: nil)] + ds.map { dv -> ReportCell in
                guard let c = cd.first(where: { numeric($0, "c") == cv && numeric($0, "delta") == dv }) else { return .missing }
                return .compound(values: [c.finalEval.mean, c.stepsToThreshold.mean],
                                 text: "\(fmt(c.finalEval.mean)) / \(fmt(c.stepsToThreshold.mean, 0))")
            })
        }
        trailing.sections.append(ReportSection(title: title, blocks: [
            .prose("Final eval return / env steps to threshold (means over seeds), other hyperparameters at base."),
            .table(t),
        ]))
    }
    return (leading, trailing, owned)
}
