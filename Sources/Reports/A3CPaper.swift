import Agents
import Environments
import Experiments
import Foundation

// The A3C paper's comparisons (Mnih et al. 2016, "Asynchronous Methods for Deep Reinforcement
// Learning"), for sweeps of `"algo": "async"`: the methods' score table and learning curves against
// environment steps and wall time (Figure 1), the speedup with the number of actor-learners
// (Table 2), and robustness to the learning rate (Figure 2). Kept here, in one place for this paper.

/// The paper's Table 2 (Atari, average over seven games): speedup at 1, 2, 4, 8, 16 threads.
let paperSpeedups: [String: [Double]] = [
    "a3c": [1, 2.1, 3.7, 6.9, 12.5],
    "one_step_q": [1, 3.0, 6.3, 13.3, 24.1],
    "one_step_sarsa": [1, 2.8, 5.9, 13.1, 22.1],
    "n_step_q": [1, 2.7, 5.9, 10.7, 17.2],
]
let paperThreadCounts = [1, 2, 4, 8, 16]

/// The return that "reaching the reference score" means for the speedup table: a score every
/// method reaches on CartPole-v1 with enough data (the paper used a fixed score per game); 40% of
/// the solve threshold elsewhere.
func speedupReference(_ env: String) -> Double? {
    if env == "CartPole-v1" { return 200 }
    return Environments.solveThreshold(env).map { 0.4 * $0 }
}

/// First curve row with eval return ≥ `ref`: (env steps, wall seconds), or the run's budget and
/// total wall time when never (censored, as the report's steps to threshold).
func timeToReference(_ r: RunData, _ ref: Double) -> (steps: Double, wall: Double) {
    guard let ev = r.curve["eval_return"], let steps = r.curve["step"], let i = ev.firstIndex(where: { $0 >= ref }) else {
        return (Double(r.totalSteps), r.wallSeconds)
    }
    return (steps[i], r.curve["wall_s"]?[i] ?? r.wallSeconds)
}

/// The A3C paper's sections for a sweep of `"algo": "async"` (none otherwise): "Methods" when
/// several methods run at one thread count, "Speedup with actor-learners" when the thread count is
/// swept, "Learning-rate robustness" with five or more learning rates. `owned` are the factors
/// they cover, which get no generic sensitivity section.
func a3cPaperSections(_ configs: [ConfigSummary], curves: [String: AggregatedCurve]) -> (part: ReportPart, owned: Set<String>) {
    guard let r0 = configs.first?.runs.first, r0.algo == AsyncAgent.info.name else { return (ReportPart(), []) }
    var part = ReportPart()
    let hp = { (c: ConfigSummary, k: String) in value(c, k) }
    let methods = Array(Set(configs.map { hp($0, "method") })).sorted { a, b in
        (AsyncMethod.allCases.firstIndex { $0.rawValue == a } ?? 9) < (AsyncMethod.allCases.firstIndex { $0.rawValue == b } ?? 9)
    }
    let threshold = r0.solveThreshold.map { ($0, "solve threshold \(fmt($0, 0))") }

    // ---- Methods (score table, Figure 1) -----------------------------------------------------
    let learningRates = Set(configs.map { numeric($0, "lr") })
    let threadCounts = Set(configs.map { numeric($0, "threads") })
    if methods.count > 1 && learningRates.count <= methods.count && threadCounts.count == 1 {
        let rows = methods.flatMap { m in configs.filter { hp($0, "method") == m } }
        let title = "Methods", id = fileSlug(title)
        part.curvePlots.append(CurvePlot(table: id, title: title, configs: rows))
        let t = ReportTable(id: id, title: title, columns: [
            ReportColumn("method"), ReportColumn("configuration"), ReportColumn("seeds"),
            ReportColumn("final eval return", unit: "return"), ReportColumn("env steps to threshold", unit: "env steps"),
            ReportColumn("reached"), ReportColumn("wall s to threshold", unit: "s"), ReportColumn("env steps/s", unit: "env steps/s"),
        ], rows: rows.map { c in
            [.text(hp(c, "method")), .text(c.label), .integer(c.runs.count), .ci(c.finalEval), .ci(c.stepsToThreshold, digits: 0),
             reachedCell(c), .ci(c.wallToThreshold), .number(c.fps.mean, digits: 0)]
        })
        part.sections.append(ReportSection(title: title, blocks: [
            .prose("The A3C paper's four asynchronous methods on the same budget and evaluation (its score tables; Figure 1's curves below, against environment steps and against wall time). 95% bootstrap CIs over seeds; a seed that never reaches the threshold counts with its whole budget."),
            .table(t),
        ]))
        let series = rows.map { c -> CurveSeries in
            let a = curves[c.configID]!
            // mean wall time across seeds at each evaluation step
            let wall = a.steps.map { s in
                c.runs.map { r in row(r, atNominal: s).map { r.curve["wall_s"]?[$0] ?? .nan } ?? .nan }.reduce(0, +) / Double(c.runs.count)
            }
            return CurveSeries(label: c.label, x: wall, mean: a.eval.map(\.mean), lo: a.eval.map(\.lo), hi: a.eval.map(\.hi))
        }
        part.plots.append(ReportPlot(table: id, file: "plots/methods_wall_time.svg",
                                     svg: learningCurveSVG(series, title: "\(r0.env): methods against wall time (mean and 95% CI over seeds)",
                                                           xLabel: "wall time (s, mean over seeds)", yLabel: "eval return (greedy)", hLine: threshold)))
    }

    // ---- Speedup with the number of actor-learners (Table 2) ---------------------------------
    if threadCounts.count > 1, let ref = speedupReference(r0.env) {
        let title = "Speedup with actor-learners", id = fileSlug(title)
        let executions = Array(Set(configs.map { hp($0, "execution") })).sorted()
        var t = ReportTable(id: id, title: title, columns: [ReportColumn("method"), ReportColumn("measure")]
                            + paperThreadCounts.map { ReportColumn("\($0)", unit: "×") } + [ReportColumn("paper (1/2/4/8/16)", unit: "×")])
        var verdict: [String] = []
        for m in methods {
            for e in executions {
                let rows = configs.filter { hp($0, "method") == m && hp($0, "execution") == e }
                guard let one = rows.first(where: { numeric($0, "threads") == 1 }) else { continue }
                let dataEfficiency = e == AsyncExecution.deterministic.rawValue
                func cost(_ c: ConfigSummary) -> Double {
                    let v = c.runs.map { dataEfficiency ? timeToReference($0, ref).steps : timeToReference($0, ref).wall }
                    return v.reduce(0, +) / Double(v.count)
                }
                func reached(_ c: ConfigSummary) -> Int {
                    c.runs.filter { r in (r.curve["eval_return"] ?? []).contains { $0 >= ref } }.count
                }
                let base = cost(one)
                var cells: [ReportCell] = [], speedups: [Double] = []
                for k in paperThreadCounts {
                    if let c = rows.first(where: { numeric($0, "threads") == Double(k) }) {
                        guard reached(c) > 0 && reached(one) > 0 else {
                            cells.append(.text("not reached (\(reached(c))/\(c.runs.count))")); speedups.append(.nan); continue
                        }
                        // data efficiency: the speedup of k learners on k cores, k × (steps with 1 / steps with k)
                        let s = (dataEfficiency ? Double(k) : 1) * base / cost(c)
                        speedups.append(s)
                        cells.append(.compound(values: [s, Double(reached(c)), Double(c.runs.count)], text: "\(fmt(s, 1))× (\(reached(c))/\(c.runs.count))"))
                    } else { cells.append(.missing) }
                }
                let paper: ReportCell = paperSpeedups[m].map { .compound(values: $0, text: $0.map { fmt($0, 1) }.joined(separator: "/")) } ?? .missing
                t.rows.append([.text(m), .text(dataEfficiency ? "data efficiency (env steps)" : "wall time")] + cells + [paper])
                if dataEfficiency, m.hasPrefix("one_step"), let last = speedups.last(where: { !$0.isNaN }),
                   let ks = Array(zip(paperThreadCounts, speedups)).last(where: { !$0.1.isNaN }).map({ Double($0.0) }) {
                    verdict.append("\(m): \(fmt(last, 1))× at \(Int(ks)) learners (\(last > ks ? "super-linear: holds" : "not super-linear: does not hold here"))")
                }
            }
        }
        var blocks: [ReportBlock] = [
            .prose("The paper's Table 2: how many times faster than with one actor-learner a reference score is reached (here an eval return of \(fmt(ref, 0)); the mean over seeds of the first evaluation at or above it, a seed that never reaches it counted at its budget). *Data efficiency* is the speedup k learners would give on k cores, k × (environment steps to the reference with one learner) / (with k learners), from deterministic mode (the same interleaved learners, bit-reproducible): k× is linear, above k× is the paper's super-linear speedup (k learners need fewer environment steps in all than one); *wall time* divides measured seconds (threads mode, on this machine's \(ProcessInfo.processInfo.activeProcessorCount) cores: it cannot exceed about that many, whatever the paper's 16 cores gave). Paper: Atari, 16 CPU cores."),
            .table(t),
            .prose("(r/n: seeds of that configuration whose evaluation reached the reference score; the mean counts the others at their budget, so with r < n the speedup is a bound rather than an estimate. *Not reached*: no seed of it, or of the one-learner row, got there.)"),
        ]
        if !verdict.isEmpty {
            blocks.append(.prose("**The paper's claim** (super-linear data efficiency for the one-step methods, from the extra exploration and decorrelation of many learners): \(verdict.joined(separator: "; "))."))
        }
        part.sections.append(ReportSection(title: title, blocks: blocks))
        part.curvePlots.append(CurvePlot(table: id, title: title,
                                         configs: configs.filter { hp($0, "execution") == AsyncExecution.deterministic.rawValue && hp($0, "method") == methods[0] }
                                             .sorted { numeric($0, "threads") < numeric($1, "threads") }))
    }

    // ---- Robustness to the learning rate (Figure 2) -------------------------------------------
    if learningRates.count >= 5 {
        let title = "Learning-rate robustness", id = fileSlug(title)
        var t = ReportTable(id: id, title: title, columns: [
            ReportColumn("method"), ReportColumn("learning rates"), ReportColumn("final eval ≥ threshold"),
            ReportColumn("median final eval", unit: "return"), ReportColumn("best learning rate (final eval)"),
        ])
        var series: [CurveSeries] = []
        for m in methods {
            let cs = configs.filter { hp($0, "method") == m }.sorted { numeric($0, "lr") < numeric($1, "lr") }
            let finals = cs.map(\.finalEval.mean)
            let thr = r0.solveThreshold ?? .infinity
            let sorted = finals.sorted()
            let median = sorted.isEmpty ? .nan : (sorted[(sorted.count - 1) / 2] + sorted[sorted.count / 2]) / 2
            let best: ReportCell = cs.max { $0.finalEval.mean < $1.finalEval.mean }.map {
                .compound(values: [numeric($0, "lr"), $0.finalEval.mean], text: "\(formatNumber(numeric($0, "lr"))) (\(fmt($0.finalEval.mean)))")
            } ?? .missing
            t.rows.append([.text(m), .integer(cs.count), .integer(finals.filter { $0 >= thr }.count), .number(median, digits: 1), best])
            // isolated points: a NaN between every two breaks the line into dots
            var x: [Double] = [], y: [Double] = []
            for c in cs { x += [log10(numeric(c, "lr")), log10(numeric(c, "lr"))]; y += [c.finalEval.mean, .nan] }
            series.append(CurveSeries(label: m, x: x, mean: y))
        }
        part.sections.append(ReportSection(title: title, blocks: [
            .prose("The paper's Figure 2: final score against the learning rate, one point per run (learning rates drawn log-uniformly by the spec's random search). Per method: how many of its learning rates give a final evaluation at or above the threshold, and the median final score."),
            .table(t),
        ]))
        part.plots.append(ReportPlot(table: id, file: "plots/lr_robustness.svg",
                                     svg: learningCurveSVG(series, title: "\(r0.env): final score against learning rate (one point per run)",
                                                           xLabel: "log10(learning rate)", yLabel: "final eval return (greedy)", hLine: threshold)))
    }
    let owned: Set<String> = part.sections.isEmpty ? [] : ["method", "threads", "execution", "lr"]
    return (part, owned)
}
