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
    /// Being run now by some rlexp process (it holds the run folder's lock).
    case running
    /// Started and stopped before the end (killed, or stopped by Ctrl-C): `rlexp run` resumes it
    /// from its newest checkpoint (from the start when it has none).
    case interrupted
    /// Nothing yet.
    case pending
}

/// Where a run's failure is recorded (JSON: run id, error, time; for a divergence also the step,
/// the metric and the last good checkpoint).
public let failureFileName = "failed.json"

/// The lock file a run folder's writer holds.
public let runLockFileName = ".lock"

public func runState(_ run: RunConfig, runsDir: URL) -> RunState {
    let dir = runsDir.appendingPathComponent(run.runID)
    if runIsComplete(run, dir: dir) { return .complete }
    let fm = FileManager.default
    if DirectoryLock.isHeld(dir.appendingPathComponent(runLockFileName).path) { return .running }
    if fm.fileExists(atPath: dir.appendingPathComponent(failureFileName).path) { return .failed }
    if fm.fileExists(atPath: dir.appendingPathComponent("run.h5.partial").path) || !checkpointFiles(in: dir).isEmpty { return .interrupted }
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
    let manifest = Manifest(spec, runs: spec.expand(), provenance: provenance)
    var states: [String: RunState] = [:]
    for (r, id) in zip(manifest.runs, manifest.runIDs) { states[id] = runState(r, runsDir: runsDir) }
    try manifest.write(outDir: outDir) { states[$0]!.rawValue }
    return states
}

/// `manifest.json`: every run of the spec with its id, configuration, seed, swept values and status.
/// The fixed part of each run's record (its id hashes the resolved configuration) is computed once,
/// when the manifest is made; `write` only adds the statuses, so a sweep that rewrites the manifest
/// after every run costs O(runs) per write, not O(runs) hashes of every configuration.
struct Manifest: Sendable {
    let runs: [RunConfig]
    /// `runs[i].runID`, computed once.
    let runIDs: [String]
    let header: [(key: String, value: JSON)]
    let records: [[(key: String, value: JSON)]]

    init(_ spec: Spec, runs: [RunConfig], provenance: Provenance) {
        self.runs = runs
        runIDs = runs.map(\.runID)
        header = [("spec_name", .string(spec.name)), ("spec_hash", .string(spec.specHash)),
                  ("rlexp_version", .string(provenance.version)), ("git_commit", .string(provenance.gitCommit))]
        records = zip(runs, runIDs).map { r, id in
            [("run_id", .string(id)), ("config_id", .string(r.configID)), ("config_label", .string(r.configLabel)),
             ("seed", .int(r.seed)), ("swept", .object(r.swept.map { ($0.0, $0.1.json) }))]
        }
    }

    /// Writes `outDir/manifest.json` (atomically) with each run's status, `status(runID)`.
    func write(outDir: URL, status: (String) -> String) throws {
        let runsDir = outDir.appendingPathComponent("runs")
        let items: [JSON] = zip(records, runIDs).map { record, id in
            let st = status(id)
            var fields = record + [("status", .string(st)), ("path", .string("runs/\(id)/run.h5"))]
            // a failed run's record (error; for a divergence the step, metric and last good checkpoint)
            let failure = runsDir.appendingPathComponent(id).appendingPathComponent(failureFileName)
            if st == RunState.failed.rawValue, let text = try? String(contentsOf: failure, encoding: .utf8),
               case .object(let o)? = try? JSONParser.parse(text) {
                fields.append(("failure", .object(o.filter { $0.key != "run_id" })))
            }
            return .object(fields)
        }
        try atomicWrite(JSON.object(header + [("runs", .array(items))]).pretty() + "\n", to: outDir.appendingPathComponent("manifest.json"))
    }
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
/// complete run is kept (unless `force`), an interrupted one resumes from its newest valid
/// checkpoint (unless `force`), a failure is recorded in `failed.json` and rethrown. The run folder
/// is locked while it runs, so two processes never write one run.
public func runOne(_ run: RunConfig, outDir: URL, force: Bool, provenance: Provenance,
                   notice: (@Sendable (String) -> Void)? = nil,
                   progress: ((RunProgress) -> Void)? = nil) throws -> RunOutcome? {
    let dir = outDir.appendingPathComponent("runs").appendingPathComponent(run.runID)
    if !force && runIsComplete(run, dir: dir) { removeLeftoverCheckpoints(dir); return nil }
    try createFolder(dir)
    let lock = try DirectoryLock(path: dir.appendingPathComponent(runLockFileName).path)
    defer { withExtendedLifetime(lock) {} }
    if !force && runIsComplete(run, dir: dir) { return nil }   // finished while we waited for nothing: re-check under the lock
    let failure = dir.appendingPathComponent(failureFileName)
    try? FileManager.default.removeItem(at: failure)
    do {
        if let seed = ProcessInfo.processInfo.environment["RLEXP_TEST_FAIL_SEED"], seed == String(run.seed) {
            // test-only: `make test-slurm` proves a failing run is reported while the others complete
            throw RunFailure("deliberate test failure (RLEXP_TEST_FAIL_SEED=\(seed))")
        }
        return try executeRun(run, dir: dir, provenance: provenance, start: RunStart(resume: !force, notice: notice), progress: progress)
    } catch let e as RunInterrupted {
        throw e   // not a failure: the run resumes from its checkpoint
    } catch {
        var fields: [(key: String, value: JSON)] = [("run_id", .string(run.runID)), ("error", .string("\(error)")),
                                                    ("time", .string(ISO8601DateFormatter().string(from: Date())))]
        if let d = error as? RunDiverged {
            fields += [("kind", .string("diverged")), ("step", .int(Int(d.step))), ("metric", .string(d.metric)),
                       ("value", .string("\(d.value)")), ("last_good_checkpoint", d.lastGoodCheckpoint.map { .string($0) } ?? .null)]
        }
        try? atomicWrite(JSON.object(fields).pretty() + "\n", to: failure)
        throw error
    }
}

/// Removes the periodic checkpoints of a complete run (left when a process died between the final
/// rename of run.h5 and their removal): run.h5 holds the final state.
public func removeLeftoverCheckpoints(_ dir: URL) {
    for url in checkpointFiles(in: dir) { try? FileManager.default.removeItem(at: url) }
}

public struct RunFailure: Error, CustomStringConvertible {
    public let description: String
    public init(_ d: String) { description = d }
}
