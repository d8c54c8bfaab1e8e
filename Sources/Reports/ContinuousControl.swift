import Environments
import Foundation

// The papers' continuous-control comparison (the A3C paper's MuJoCo section, the ACER paper's
// continuous-control figures): several algorithms on one continuous-action task, compared on final
// return and on environment steps and wall time to a reference return, with learning curves against
// both. Kept here, in one place; `reportDocument` adds it when the sweep has it.

/// "Continuous control": when the runs act in a Box action space and the sweep holds more than one
/// configuration (a multi-part spec over algorithms, e.g. experiments/continuous_control.json), a
/// table of every configuration (final eval return, env steps and wall seconds to the threshold,
/// with 95% CIs) and its curves against environment steps and against wall-clock seconds. The wall
/// time of an evaluation point is the mean over seeds of the run's `/curve/wall_s` there.
func continuousControlPart(_ configs: [ConfigSummary], curves: [String: AggregatedCurve]) -> ReportPart {
    guard configs.count > 1, let r0 = configs.first?.runs.first, Environments.spec(r0.env)?.action.kind == .continuous else { return ReportPart() }
    let title = "Continuous control", id = fileSlug(title)
    let rows = configs.sorted { $0.label < $1.label }
    let threshold = r0.solveThreshold
    var part = ReportPart()
    part.curvePlots.append(CurvePlot(table: id, title: title, configs: rows))
    let algos = Set(configs.flatMap { $0.runs.map(\.algo) }).sorted()
    part.sections.append(ReportSection(title: title, blocks: [
        .prose("The papers' continuous-control comparison on \(r0.env): \(algos.joined(separator: ", ")) (each configuration with its own budget; a part of the spec per algorithm). "
               + "*Env steps* and *wall s to threshold* are the first evaluation at or above \(threshold.map { fmt($0, 0) } ?? "the threshold"); a seed that never reaches it counts with its whole budget. "
               + "Wall time is the run's own, on one core, evaluations included."),
        .table(comparisonTable(id: id, title: title, first: ReportColumn("configuration"), rows: rows.map { (.text($0.label), $0) })),
    ]))
    let series = rows.compactMap { c -> CurveSeries? in
        guard let a = curves[c.configID] else { return nil }
        let n = a.steps.count
        let walls = (0..<n).map { i -> Double in
            let w = c.runs.compactMap { r -> Double? in
                guard let col = r.curve["wall_s"], i < col.count else { return nil }
                return col[i]
            }
            return w.isEmpty ? .nan : w.reduce(0, +) / Double(w.count)
        }
        guard !walls.contains(where: \.isNaN) else { return nil }
        return CurveSeries(label: c.label, x: walls, mean: a.eval.map(\.mean), lo: a.eval.map(\.lo), hi: a.eval.map(\.hi))
    }
    if series.count == rows.count {
        let episodes = r0.evalEpisodes
        let svg = learningCurveSVG(series, title: "\(r0.env): \(title.lowercased()) against wall time (mean and 95% CI over seeds)",
                                   xLabel: "wall-clock seconds (one core)", yLabel: "eval return (greedy, \(episodes) episodes)",
                                   hLine: threshold.map { ($0, "reference \(fmt($0, 0))") })
        part.plots.append(ReportPlot(table: id, file: "plots/\(id)_wall.svg", svg: svg))
    }
    return part
}
