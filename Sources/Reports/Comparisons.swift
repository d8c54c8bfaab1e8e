import Agents
import Environments
import Experiments
import Foundation

/// File-name form of a configuration label.
func configSlug(_ c: ConfigSummary) -> String {
    let s = c.label.replacingOccurrences(of: ", ", with: "_").replacingOccurrences(of: "[^A-Za-z0-9._=-]", with: "", options: .regularExpression)
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

/// The papers' comparisons, for whatever the sweep contains (one factor at a time against the
/// configuration labelled "base"):
/// - replay ratio: final return, env steps to threshold and wall time per `replay_ratio`, and whether
///   "more replay ⇒ fewer environment steps" holds here;
/// - ablations: the base against each boolean switch turned to its other value;
/// - sensitivity to `c` and `δ` (and any other swept number): one row per value, and a c × δ table
///   when both vary together.
func comparisonSections(_ configs: [ConfigSummary], skipping skip: Set<String> = []) -> (markdown: String, plots: [(heading: String, configs: [ConfigSummary])]) {
    guard let base = configs.first(where: { $0.label == "base" }) else { return ("", []) }
    var plots: [(heading: String, configs: [ConfigSummary])] = []
    var oneFactor: [String: [ConfigSummary]] = [:]
    for c in configs where c.configID != base.configID {
        let d = differences(c, from: base)
        if d.count == 1 && !skip.contains(d[0]) { oneFactor[d[0], default: []].append(c) }
    }
    var out = ""
    let header = "| %@ | seeds | final eval return | env steps to threshold | reached | wall s to threshold | wall time s | env steps/s |\n|---|---|---|---|---|---|---|---|\n"
    func row(_ name: String, _ c: ConfigSummary) -> String {
        "| \(name) | \(c.runs.count) | \(fmtCI(c.finalEval)) | \(fmtCI(c.stepsToThreshold, 0)) | \(c.reached)/\(c.runs.count) | \(fmtCI(c.wallToThreshold)) | \(fmtCI(c.wall)) | \(fmt(c.fps.mean, 0)) |\n"
    }

    if let rr = oneFactor["replay_ratio"] {
        let rows = (rr + [base]).sorted { numeric($0, "replay_ratio") < numeric($1, "replay_ratio") }
        plots.append(("Replay ratio", rows))
        out += "\n## Replay ratio\n\nThe ACER paper's claim: more replay per environment step reaches a given score in fewer environment steps, at about the same wall time (with an expensive simulator). Same budget, evaluation protocol and other hyperparameters in every row. All intervals are 95% bootstrap CIs over seeds; a seed that never reaches the threshold counts with its whole budget (steps and wall time).\n\n"
        out += header.replacingOccurrences(of: "%@", with: "replay_ratio")
        for c in rows { out += row(value(c, "replay_ratio"), c) }
        let means = rows.map(\.stepsToThreshold.mean)
        let monotone = zip(means, means.dropFirst()).allSatisfy { $0 >= $1 }
        let separated = zip(rows, rows.dropFirst()).allSatisfy { $0.stepsToThreshold.lo > $1.stepsToThreshold.hi }
        out += "\n**Sample efficiency:** "
        if monotone && separated {
            out += "reproduced here: each step up in replay ratio needs fewer environment steps, with non-overlapping 95% CIs.\n"
        } else if monotone {
            out += "the ordering of the means matches the paper (more replay, fewer environment steps), but neighbouring 95% CIs overlap: not separated at this number of seeds.\n"
        } else {
            out += "**not reproduced** on this task: the mean environment steps to threshold do not decrease monotonically with the replay ratio (\(means.map { fmt($0, 0) }.joined(separator: " → "))).\n"
        }
        let walls = rows.map(\.wallToThreshold.mean)
        out += "\n**Wall time to threshold:** \(walls.map { fmt($0) }.joined(separator: " → ")) s from the lowest to the highest replay ratio. "
        out += (walls.last ?? 0) > 1.5 * (walls.first ?? 0)
            ? "Not the paper's \"about the same\": our environments are nearly free, so compute is dominated by the updates, which grow with the replay ratio.\n"
            : "About the same, as in the paper.\n"
    }

    let switches = oneFactor.filter { k, v in v.allSatisfy { if case .bool? = $0.runs[0].hyperparameters[k] { return true }; return false } }
    if !switches.isEmpty {
        plots.append(("Ablations", [base] + switches.keys.sorted().flatMap { switches[$0]! }))
        out += "\n## Ablations\n\nThe base configuration against each switch flipped, one at a time (same budget and evaluation).\n\n"
        out += header.replacingOccurrences(of: "%@", with: "configuration")
        out += row("full (base)", base)
        for k in switches.keys.sorted() { for c in switches[k]! { out += row("\(k) = \(value(c, k))", c) } }
    }

    for k in oneFactor.keys.sorted() where k != "replay_ratio" && switches[k] == nil {
        let rows = (oneFactor[k]! + [base]).sorted { numeric($0, k) < numeric($1, k) || (numeric($0, k).isNaN && value($0, k) < value($1, k)) }
        plots.append(("Sensitivity to \(k)", rows))
        out += "\n## Sensitivity to \(k)\n\nOther hyperparameters at their base values.\n\n"
        out += header.replacingOccurrences(of: "%@", with: k)
        for c in rows { out += row(value(c, k) + (c.configID == base.configID ? " (base)" : ""), c) }
    }

    // c × δ, over every configuration that differs from the base in c and/or delta only
    let cd = configs.filter { c in Set(differences(c, from: base)).isSubset(of: ["c", "delta"]) }
    let cs = Array(Set(cd.map { numeric($0, "c") })).filter { !$0.isNaN }.sorted()
    let ds = Array(Set(cd.map { numeric($0, "delta") })).filter { !$0.isNaN }.sorted()
    if cs.count > 1 && ds.count > 1 {
        out += "\n## c × delta\n\nFinal eval return / env steps to threshold (means over seeds), other hyperparameters at base.\n\n"
        out += "| c \\ δ | " + ds.map { formatNumber($0) }.joined(separator: " | ") + " |\n|---|" + ds.map { _ in "---|" }.joined() + "\n"
        for cv in cs {
            out += "| \(formatNumber(cv)) |"
            for dv in ds {
                if let c = cd.first(where: { numeric($0, "c") == cv && numeric($0, "delta") == dv }) {
                    out += " \(fmt(c.finalEval.mean)) / \(fmt(c.stepsToThreshold.mean, 0)) |"
                } else { out += " – |" }
            }
            out += "\n"
        }
    }
    return (out, plots)
}

/// Final evaluation returns normalized by the environment's reference values (random policy → 0,
/// solve threshold → 1), aggregated over seeds as rliable does: mean, median, IQM and optimality
/// gap, each with a stratified-bootstrap 95% CI (2000 resamples, fixed seed).
func aggregatesSection(_ configs: [ConfigSummary]) -> String {
    guard let r0 = configs.first?.runs.first, let solved = r0.solveThreshold,
          let random = Environments.randomPolicyReturn(r0.env) else { return "" }
    var out = "\n## Normalized scores\n\nFinal evaluation return normalized as (return − random) / (threshold − random), with random = \(fmt(random, 2)) (uniform random policy, 2000 episodes, fixed seed) and threshold = \(fmt(solved, 0)); aggregated over seeds as rliable defines it (mean and median are across tasks of the per-task mean over seeds, so with one task they coincide; IQM: scipy trim_mean with 25% cut from each end, i.e. the middle half of all runs (⌊n/4⌋ removed per side); optimality gap: mean shortfall below 1), with stratified-bootstrap 95% CIs (2000 resamples, fixed seed).\n\n"
    out += "| configuration | seeds | mean | median | IQM | optimality gap |\n|---|---|---|---|---|---|\n"
    for c in configs {
        let scores = [c.runs.map { normalize($0.curve["eval_return"]?.last ?? .nan, random: random, reference: solved) }]
        let est = intervalEstimates(scores, aggregates: [.mean, .median, .iqm, .optimalityGap])
        func cell(_ a: Aggregate) -> String {
            let e = est[a]!
            return "\(fmt(e.point, 3)) [\(fmt(e.lo, 3)), \(fmt(e.hi, 3))]"
        }
        out += "| \(c.label) | \(c.runs.count) | \(cell(.mean)) | \(cell(.median)) | \(cell(.iqm)) | \(cell(.optimalityGap)) |\n"
    }
    return out
}
