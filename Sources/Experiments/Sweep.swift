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
    /// Re-run runs whose run.h5 is already complete.
    public var force: Bool
    public init(jobs: Int, outDir: URL, force: Bool = false) { self.jobs = jobs; self.outDir = outDir; self.force = force }
}

/// Receives sweep events (from worker threads: implementations must be thread-safe).
public protocol SweepObserver: AnyObject, Sendable {
    func sweepStarted(runs: [RunConfig], toRun: Int)
    func runStarted(_ run: RunConfig)
    func runProgress(_ run: RunConfig, _ p: RunProgress)
    func runFinished(_ run: RunConfig, _ outcome: Result<RunOutcome, Error>)
}

public struct SweepFailure: Error, CustomStringConvertible {
    public let failed: [(String, String)]
    public var description: String {
        "\(failed.count) run(s) failed:\n" + failed.map { "  \($0.0): \($0.1)" }.joined(separator: "\n")
    }
}

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
    let fm = FileManager.default
    let runsDir = options.outDir.appendingPathComponent("runs")
    try fm.createDirectory(at: runsDir, withIntermediateDirectories: true)
    try atomicWrite(spec.source.pretty() + "\n", to: options.outDir.appendingPathComponent("spec.json"))

    let todo = runs.filter { options.force || !runIsComplete($0, dir: runsDir.appendingPathComponent($0.runID)) }
    let todoIDs = Set(todo.map(\.runID))
    observer?.sweepStarted(runs: runs, toRun: todo.count)

    let state = SweepState(runs: runs, pending: todoIDs)
    @Sendable func writeManifest() throws {
        try Experiments.writeManifest(spec, outDir: options.outDir, provenance: provenance) { state.status[$0.runID]! }
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
                guard state.next < todo.count else { return nil }
                let r = todo[state.next]; state.next += 1
                return r
            }) {
                let need = min(options.jobs, Algorithms.named(run.algo)?.cores(run.hyperparameters) ?? 1)
                cores.acquire(need)
                defer { cores.release(need) }
                state.withLock { state.status[run.runID] = "running" }
                observer?.runStarted(run)
                let result = Result {
                    try runOne(run, outDir: options.outDir, force: true, provenance: provenance) { p in
                        observer?.runProgress(run, p)
                    }!
                }
                state.withLock {
                    switch result {
                    case .success(let o): state.status[run.runID] = "complete"; state.outcomes[run.runID] = o
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
    if !state.failures.isEmpty { throw SweepFailure(failed: state.failures) }
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
    try Data(text.utf8).write(to: tmp)
    guard rename(tmp.path, url.path) == 0 else {
        throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: url.path])
    }
}
