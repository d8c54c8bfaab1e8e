import Experiments
import Foundation
import HDF5

/// Long-form CSV export of every run of a results folder: `export/curve.csv`, `export/updates.csv`
/// and `export/episodes.csv`, one row per run × row of that table, with the run's identity and every
/// resolved hyperparameter as leading columns (`pandas.read_csv` reads them directly).
/// Returns the paths written.
@discardableResult
public func exportCSV(resultsDir: URL, outDir: URL? = nil) throws -> [String] {
    let fm = FileManager.default
    let runsDir = resultsDir.appendingPathComponent("runs")
    let ids = try fm.contentsOfDirectory(atPath: runsDir.path).sorted()
        .filter { fm.fileExists(atPath: runsDir.appendingPathComponent("\($0)/run.h5").path) }
    guard !ids.isEmpty else { throw GoldenError("\(resultsDir.path) has no complete runs to export") }
    let out = outDir ?? resultsDir.appendingPathComponent("export")
    try fm.createDirectory(at: out, withIntermediateDirectories: true)
    var written: [String] = []
    // the union of hyperparameter names over all runs, sorted
    var runs: [(id: String, data: RunData)] = []
    for id in ids { runs.append((id, try RunData.load(runsDir.appendingPathComponent("\(id)/run.h5").path))) }
    let hpNames = Array(Set(runs.flatMap { $0.data.hyperparameters.keys })).sorted()
    for table in ["curve", "updates", "episodes"] {
        var text = ""
        var header: [String]? = nil
        for (id, data) in runs {
            let f = try H5File.open(runsDir.appendingPathComponent("\(id)/run.h5").path)
            defer { f.close() }
            guard f.root.exists(table) else { continue }
            let g = try f.root.openGroup(table)
            let cols = try g.memberNames()
            let values = try cols.map { try g.read($0, as: Double.self) }
            if header == nil {
                header = cols
                text += (["run_id", "config_label", "seed", "env", "algo"] + hpNames + cols).map(csvField).joined(separator: ",") + "\n"
            } else if header! != cols {
                throw GoldenError("run \(id) has /\(table) columns \(cols), others \(header!): mixed algorithms cannot share one long table")
            }
            let lead = [id, data.configLabel, String(data.seed), data.env, data.algo] + hpNames.map { k in
                switch data.hyperparameters[k] {
                case .string(let s)?: return s
                case let v?: return v.serialized()
                case nil: return ""
                }
            }
            let leadText = lead.map(csvField).joined(separator: ",")
            for i in 0..<(values.first?.count ?? 0) {
                text += leadText + "," + values.map { csvNumber($0[i]) }.joined(separator: ",") + "\n"
            }
        }
        guard header != nil else { continue }
        let url = out.appendingPathComponent("\(table).csv")
        try atomicWrite(text, to: url)
        written.append(url.path)
    }
    return written
}
