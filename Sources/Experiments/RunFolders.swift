import Foundation

// One run addressable by its index or id (what a Slurm array task executes), and the state of a
// results folder derived from its run folders alone — so parallel tasks never write a shared file,
// and `rlexp status` works with or without Slurm.

/// The state of one run, from the files in its folder.
public enum RunState: String, Sendable, CaseIterable {
    /// `run.h5` complete and written by this configuration.
    case complete
    /// `failed.json` written by a run that threw (its error inside).
    case failed
    /// `run.h5.partial` present: started, not finished (running, or killed).
    case running
    /// Nothing yet.
    case pending
}

/// Where a run's failure is recorded (JSON: run id, error, time).
public let failureFileName = "failed.json"

public func runState(_ run: RunConfig, runsDir: URL) -> RunState {
    let dir = runsDir.appendingPathComponent(run.runID)
    if runIsComplete(run, dir: dir) { return .complete }
    let fm = FileManager.default
    if fm.fileExists(atPath: dir.appendingPathComponent(failureFileName).path) { return .failed }
    if fm.fileExists(atPath: dir.appendingPathComponent("run.h5.partial").path) { return .running }
    return .pending
}

/// The recorded error of a failed run, if any.
public func runFailure(_ run: RunConfig, runsDir: URL) -> String? {
    let url = runsDir.appendingPathComponent(run.runID).appendingPathComponent(failureFileName)
    guard let text = try? String(contentsOf: url, encoding: .utf8), case .string(let e)? = (try? JSONParser.parse(text))?["error"] else { return nil }
    return e
}

/// Writes `manifest.json` from the run folders (the status of each run as `runState` sees it).
/// Returns each run's state by run id.
@discardableResult
public func writeDerivedManifest(_ spec: Spec, outDir: URL, provenance: Provenance) throws -> [String: RunState] {
    let runsDir = outDir.appendingPathComponent("runs")
    var states: [String: RunState] = [:]
    for r in spec.expand() { states[r.runID] = runState(r, runsDir: runsDir) }
    try writeManifest(spec, outDir: outDir, provenance: provenance) { states[$0.runID]!.rawValue }
    return states
}

/// `manifest.json`: every run of the spec with its id, configuration, seed, swept values and status.
func writeManifest(_ spec: Spec, outDir: URL, provenance: Provenance, status: (RunConfig) -> String) throws {
    let items: [JSON] = spec.expand().map { r in
        .object([("run_id", .string(r.runID)), ("config_id", .string(r.configID)), ("config_label", .string(r.configLabel)),
                 ("seed", .int(r.seed)), ("swept", .object(r.swept.map { ($0.0, $0.1.json) })),
                 ("status", .string(status(r))), ("path", .string("runs/\(r.runID)/run.h5"))])
    }
    let m: JSON = .object([("spec_name", .string(spec.name)), ("spec_hash", .string(spec.specHash)),
                           ("rlexp_version", .string(provenance.version)), ("git_commit", .string(provenance.gitCommit)),
                           ("runs", .array(items))])
    try atomicWrite(m.pretty() + "\n", to: outDir.appendingPathComponent("manifest.json"))
}

/// Selects one run of the expanded sweep by its index (0-based, in expansion order) or its id.
public func selectRun(_ spec: Spec, index: Int?, runID: String?) throws -> RunConfig {
    let runs = spec.expand()
    if let index {
        guard runs.indices.contains(index) else {
            throw RunFailure("--index \(index): the sweep \(spec.name) has \(runs.count) run(s), indices 0…\(runs.count - 1)")
        }
        return runs[index]
    }
    guard let id = runID, let r = runs.first(where: { $0.runID == id }) else {
        let near = Spec.nearest(runID ?? "", in: runs.map(\.runID)).map { "; did you mean \($0)?" } ?? ""
        throw RunFailure("--run-id \(runID ?? ""): no such run in the sweep \(spec.name)\(near)")
    }
    return r
}

/// Executes exactly one run into `outDir/runs/<id>/`, touching nothing else of the folder: a
/// complete run is kept (unless `force`), a failure is recorded in `failed.json` and rethrown.
public func runOne(_ run: RunConfig, outDir: URL, force: Bool, provenance: Provenance,
                   progress: ((RunProgress) -> Void)? = nil) throws -> RunOutcome? {
    let dir = outDir.appendingPathComponent("runs").appendingPathComponent(run.runID)
    if !force && runIsComplete(run, dir: dir) { return nil }
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let failure = dir.appendingPathComponent(failureFileName)
    try? FileManager.default.removeItem(at: failure)
    do {
        if let seed = ProcessInfo.processInfo.environment["RLEXP_TEST_FAIL_SEED"], seed == String(run.seed) {
            // test-only: `make test-slurm` proves a failing run is reported while the others complete
            throw RunFailure("deliberate test failure (RLEXP_TEST_FAIL_SEED=\(seed))")
        }
        return try executeRun(run, dir: dir, provenance: provenance, progress: progress)
    } catch {
        let record: JSON = .object([("run_id", .string(run.runID)), ("error", .string("\(error)")),
                                    ("time", .string(ISO8601DateFormatter().string(from: Date())))])
        try? atomicWrite(record.pretty() + "\n", to: failure)
        throw error
    }
}

public struct RunFailure: Error, CustomStringConvertible {
    public let description: String
    public init(_ d: String) { description = d }
}
