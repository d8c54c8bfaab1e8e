import Agents
import Foundation
import HDF5
#if canImport(Glibc)
import Glibc
#endif

/// How a sweep is run.
public struct SweepOptions: Sendable {
    /// Runs at once (each run is single-threaded; results do not depend on this).
    public var jobs: Int
    /// Results folder, e.g. `results/a2c_cartpole`.
    public var outDir: URL
    /// Re-run runs whose run.h5 is already complete (and start interrupted ones over).
    public var force: Bool
    /// Delete every run of the folder first and start the sweep over (also when the spec changed).
    public var restart: Bool
    public init(jobs: Int, outDir: URL, force: Bool = false, restart: Bool = false) {
        self.jobs = jobs; self.outDir = outDir; self.force = force; self.restart = restart
    }
}

/// Receives sweep events (from worker threads: implementations must be thread-safe).
public protocol SweepObserver: AnyObject, Sendable {
    func sweepStarted(runs: [RunConfig], toRun: Int)
    func runStarted(_ run: RunConfig)
    func runProgress(_ run: RunConfig, _ p: RunProgress)
    func runFinished(_ run: RunConfig, _ outcome: Result<RunOutcome, Error>)
    /// Something the user should know that is not a run's progress (a resumed run, a skipped corrupt
    /// checkpoint, a stale lock taken over).
    func notice(_ message: String)
}

extension SweepObserver {
    public func notice(_ message: String) {}
}

public struct SweepFailure: Error, CustomStringConvertible {
    public let failed: [(String, String)]
    /// Runs of the sweep in all.
    public var total = 0
    public var description: String {
        "\(failed.count) of \(total) run(s) failed (the others completed; each error is in runs/<id>/\(failureFileName)):\n"
            + failed.map { "  \($0.0): \($0.1)" }.joined(separator: "\n")
    }
}

/// A sweep stopped by Ctrl-C: the runs that were going wrote checkpoints; `rlexp run` again resumes.
public struct SweepInterrupted: Error, CustomStringConvertible {
    public let interrupted: Int, complete: Int, total: Int
    public var description: String {
        "stopped: \(complete) of \(total) run(s) complete, \(interrupted) checkpointed mid-run; run the same command again to resume"
    }
}

/// The spec given differs from the one the results folder was made with (`OUT/spec.json`).
public struct SpecChanged: Error, CustomStringConvertible {
    public let outDir: String
    public let changes: [String]
    public init(outDir: String, changes: [String]) { self.outDir = outDir; self.changes = changes }
    public var description: String {
        "the spec differs from the one \(outDir) was made with (\(outDir)/spec.json):\n"
            + changes.prefix(20).map { "  " + $0 }.joined(separator: "\n")
            + (changes.count > 20 ? "\n  … and \(changes.count - 20) more" : "")
            + "\nresults of the two would be mixed: use another --out folder, or --restart to delete the runs in \(outDir) and start over"
    }
}

/// Where `new` differs from `old`, as JSON paths with both values ("$.sweep.lr: [0.001] → [0.001, 0.002]").
public func jsonDifferences(_ old: JSON, _ new: JSON, at path: String = "$") -> [String] {
    switch (old, new) {
    case (.object(let a), .object(let b)):
        var out: [String] = []
        let keysA = a.map(\.key), keysB = b.map(\.key)
        for k in keysA where !keysB.contains(k) { out.append("\(path).\(k): removed (was \(old[k]!.serialized()))") }
        for k in keysB {
            guard let va = old[k] else { out.append("\(path).\(k): added (\(new[k]!.serialized()))"); continue }
            out += jsonDifferences(va, new[k]!, at: "\(path).\(k)")
        }
        return out
    case (.array(let a), .array(let b)) where a.count == b.count:
        return zip(a, b).enumerated().flatMap { jsonDifferences($1.0, $1.1, at: "\(path)[\($0)]") }
    default:
        return old == new ? [] : ["\(path): \(old.serialized()) → \(new.serialized())"]
    }
}

/// The differences between `spec` and the spec recorded in `outDir/spec.json` (none when there is
/// no recorded spec yet).
public func specChanges(_ spec: Spec, outDir: URL) -> [String] {
    let url = outDir.appendingPathComponent("spec.json")
    guard FileManager.default.fileExists(atPath: url.path) else { return [] }
    guard let text = try? String(contentsOf: url, encoding: .utf8), let old = try? JSONParser.parse(text) else {
        return ["\(url.path): unreadable (not the JSON rlexp wrote)"]
    }
    return jsonDifferences(old, spec.source)
}

/// Deletes what `rlexp run` wrote into `outDir` (runs, manifest, report, spec), for `--restart`.
public func clearResults(_ outDir: URL) throws {
    let fm = FileManager.default
    for name in ["runs", "report", "manifest.json", "spec.json"] {
        let u = outDir.appendingPathComponent(name)
        if fm.fileExists(atPath: u.path) { try fm.removeItem(at: u) }
    }
}

/// The lock file of a results folder (one `rlexp run` sweep at a time).
public let sweepLockFileName = ".rlexp.lock"

/// True when `dir/run.h5` exists and was written to the end by the same configuration.
public func runIsComplete(_ run: RunConfig, dir: URL) -> Bool {
    let path = dir.appendingPathComponent("run.h5").path
    guard FileManager.default.fileExists(atPath: path), let f = try? H5File.open(path) else { return false }
    defer { f.close() }
    return (try? f.root.stringAttribute("status")) == "complete" && (try? f.root.stringAttribute("run_id")) == run.runID
}

/// Runs every run of `spec` (up to `options.jobs` at once), skipping complete ones, and writes
/// `spec.json` (the spec as given) and `manifest.json` (runs, ids, status) into the results folder.
/// Throws `SweepFailure` if any run failed (the others still finish).
@discardableResult
public func runSweep(_ spec: Spec, options: SweepOptions, provenance: Provenance, observer: SweepObserver?) throws -> [RunOutcome] {
    let runs = spec.expand()
    var seen = Set<String>()
    for r in runs where !seen.insert(r.runID).inserted {
        // expand() already merges identical configurations, so only a hash collision gets here
        throw SpecError(file: spec.name, problems: ["two different configurations got the same run id \(r.runID) (hash collision)"])
    }
    try createFolder(options.outDir)
    let lock = try DirectoryLock(path: options.outDir.appendingPathComponent(sweepLockFileName).path) { pid in
        observer?.notice("took over the lock of \(options.outDir.path) left by PID \(pid), which is no longer running")
    }
    defer { withExtendedLifetime(lock) {} }
    if options.restart {
        try clearResults(options.outDir)
    } else {
        let changes = specChanges(spec, outDir: options.outDir)
        if !changes.isEmpty { throw SpecChanged(outDir: options.outDir.path, changes: changes) }
    }
    let runsDir = options.outDir.appendingPathComponent("runs")
    try createFolder(runsDir)
    try atomicWrite(spec.source.pretty() + "\n", to: options.outDir.appendingPathComponent("spec.json"))

    let todo = runs.filter { options.force || !runIsComplete($0, dir: runsDir.appendingPathComponent($0.runID)) }
    let todoIDs = Set(todo.map(\.runID))
    for r in runs where !todoIDs.contains(r.runID) { removeLeftoverCheckpoints(runsDir.appendingPathComponent(r.runID)) }
    observer?.sweepStarted(runs: runs, toRun: todo.count)

    let state = SweepState(runs: runs, pending: todoIDs)
    for r in todo where runState(r, runsDir: runsDir) == .interrupted && !options.force { state.status[r.runID] = RunState.interrupted.rawValue }
    let manifest = Manifest(spec, runs: runs, provenance: provenance)
    @Sendable func writeManifest() throws {
        try manifest.write(outDir: options.outDir) { state.status[$0]! }
    }
    try writeManifest()

    let workers = max(1, min(options.jobs, todo.count))
    let group = DispatchGroup()
    // cores in use: a run takes min(its cores, --jobs) before it starts and gives them back after,
    // so runs on several threads never oversubscribe the machine
    let cores = CoreBudget(options.jobs)
    for _ in 0..<workers {
        group.enter()
        let t = Thread {
            defer { group.leave() }
            while let run = state.withLock({ () -> RunConfig? in
                guard state.next < todo.count, !StopSignal.requested else { return nil }
                let r = todo[state.next]; state.next += 1
                return r
            }) {
                let need = min(options.jobs, Algorithms.named(run.algo)?.cores(run.hyperparameters) ?? 1)
                cores.acquire(need)
                defer { cores.release(need) }
                state.withLock { state.status[run.runID] = "running" }
                observer?.runStarted(run)
                let result = Result {
                    try runOne(run, outDir: options.outDir, force: options.force, provenance: provenance,
                               notice: { observer?.notice($0) }) { p in
                        observer?.runProgress(run, p)
                    } ?? RunOutcome(runID: run.runID, wallSeconds: 0, envSteps: 0, finalEvalReturn: .nan, skipped: true)
                }
                state.withLock {
                    switch result {
                    case .success(let o): state.status[run.runID] = "complete"; state.outcomes[run.runID] = o
                    case .failure(let e as RunInterrupted):
                        state.status[run.runID] = RunState.interrupted.rawValue; state.interrupted += 1
                        _ = e
                    case .failure(let e): state.status[run.runID] = "failed"; state.failures.append((run.runID, "\(e)"))
                    }
                    try? writeManifest()
                }
                observer?.runFinished(run, result)
            }
        }
        t.stackSize = 8 << 20
        t.start()
    }
    group.wait()
    try writeManifest()
    if StopSignal.requested {
        let complete = state.status.values.filter { $0 == "complete" }.count
        throw SweepInterrupted(interrupted: state.interrupted, complete: complete, total: runs.count)
    }
    if !state.failures.isEmpty { throw SweepFailure(failed: state.failures, total: runs.count) }
    return runs.compactMap { state.outcomes[$0.runID] }
}

/// The cores a sweep may keep busy (`--jobs`), handed out to runs as they start.
final class CoreBudget: @unchecked Sendable {
    let condition = NSCondition()
    var free: Int
    init(_ total: Int) { free = total }

    func acquire(_ n: Int) {
        condition.lock(); defer { condition.unlock() }
        while free < n { condition.wait() }
        free -= n
    }

    func release(_ n: Int) {
        condition.lock(); defer { condition.unlock() }
        free += n
        condition.broadcast()
    }
}

/// The scheduler's shared bookkeeping; every access goes through `withLock`.
final class SweepState: @unchecked Sendable {
    let lock = NSLock()
    var next = 0
    var status: [String: String] = [:]
    var outcomes: [String: RunOutcome] = [:]
    var failures: [(String, String)] = []
    var interrupted = 0

    init(runs: [RunConfig], pending: Set<String>) {
        for r in runs { status[r.runID] = pending.contains(r.runID) ? "pending" : "complete" }
    }

    func withLock<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock(); defer { lock.unlock() }
        return try body()
    }
}

/// Writes `text` to a temporary file beside `url`, then renames it over `url`.
public func atomicWrite(_ text: String, to url: URL) throws {
    let tmp = url.deletingLastPathComponent().appendingPathComponent("." + url.lastPathComponent + ".tmp")
    do { try Data(text.utf8).write(to: tmp) } catch {
        try? FileManager.default.removeItem(at: tmp)
        throw IOFailure("cannot write \(url.path)", error)
    }
    guard rename(tmp.path, url.path) == 0 else {
        let reason = String(cString: strerror(errno))
        try? FileManager.default.removeItem(at: tmp)
        throw IOFailure("cannot write \(url.path): \(reason)")
    }
}

/// A file-system error in words a user can act on: what could not be done, the operating system's
/// reason, and what to do for the common ones (a full disk, a read-only or missing location).
public struct IOFailure: Error, CustomStringConvertible {
    public let description: String
    public init(_ what: String) { description = what }
    public init(_ what: String, _ error: Error) {
        var reason = "\(error)"
        let ns = error as NSError
        if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? Error, (underlying as NSError).domain == NSPOSIXErrorDomain {
            reason = String(cString: strerror(Int32((underlying as NSError).code)))
        } else if ns.domain == NSPOSIXErrorDomain {
            reason = String(cString: strerror(Int32(ns.code)))
        }
        var hint = ""
        if reason.contains("No space left") { hint = "; the disk is full: free some space (or use another --out) and run again" }
        else if reason.contains("Read-only") || reason.contains("Permission denied") { hint = "; choose a writable folder with --out" }
        else if reason.contains("Not a directory") { hint = "; a file is in the way: choose another --out" }
        description = "\(what): \(reason)\(hint)"
    }
}

/// `FileManager.createDirectory` with an `IOFailure` naming the folder.
public func createFolder(_ url: URL) throws {
    do { try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) } catch {
        throw IOFailure("cannot create the folder \(url.path)", error)
    }
}
