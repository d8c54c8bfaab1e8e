import Agents
import Environments
import Foundation
import HDF5
#if canImport(Glibc)
import Glibc
#endif

// Periodic full-state checkpoints of one run: `runs/<id>/ckpt-<step>.h5`, each holding the agent's
// state (parameters, optimizer statistics, average network, replay buffer, every environment copy
// and RNG stream, counters), the training loop's state (evaluation environment, episode windows,
// evaluation schedule) and every row written to run.h5 so far — so that a resumed run rebuilds
// run.h5 from the checkpoint alone and never needs a file that was open for writing when the
// process died (HDF5 files are not crash-safe while open).
//
// A checkpoint is written to a hidden temporary file, fsynced, renamed into place, and the
// directory is fsynced; it carries a checksum over every stored array, verified on load. The
// newest two are kept.

/// The training loop's own state at a checkpoint (everything `executeRun` keeps besides the agent).
public struct LoopState: Equatable, Sendable {
    /// Training episodes finished so far.
    public var episodeCount: Int64 = 0
    /// Returns and lengths of the last (up to) 100 finished training episodes, oldest first.
    public var recentReturns: [Double] = []
    public var recentLengths: [Double] = []
    /// The last evaluation's mean return and the step it was made at.
    public var lastEval = -Double.infinity
    public var lastEvalStep: Int64 = -1
    /// The step at or after which the next evaluation is due.
    public var nextEval: Int64 = 0
    /// The next step at which a periodic checkpoint is due.
    public var nextCheckpoint: Int64 = 0
    /// Wall-clock seconds the run had trained before this checkpoint (not reproducible).
    public var wallSeconds: Double = 0
    /// The evaluation environment's state (it keeps its random stream across evaluations).
    public var evalEnv: EnvCheckpoint

    public init(episodeCount: Int64 = 0, recentReturns: [Double] = [], recentLengths: [Double] = [], lastEval: Double = -.infinity,
                lastEvalStep: Int64 = -1, nextEval: Int64 = 0, nextCheckpoint: Int64 = 0, wallSeconds: Double = 0, evalEnv: EnvCheckpoint) {
        self.episodeCount = episodeCount; self.recentReturns = recentReturns; self.recentLengths = recentLengths
        self.lastEval = lastEval; self.lastEvalStep = lastEvalStep; self.nextEval = nextEval; self.nextCheckpoint = nextCheckpoint
        self.wallSeconds = wallSeconds; self.evalEnv = evalEnv
    }
}

/// Everything a checkpoint file holds.
public struct RunCheckpoint: Sendable {
    public var runID: String
    public var step: Int64
    public var update: Int64
    public var agent: AgentCheckpoint
    public var loop: LoopState
    /// The rows of run.h5's tables so far, by table name (`curve`, `updates`, `episodes`), column by
    /// column; for a run that records trajectories also the recorder's state (`traj_eval`,
    /// `traj_train`, `traj_last`, `traj_open`, `traj_state`: see `TrajectoryRecorder.checkpointTables`).
    public var tables: [String: [String: [Double]]]

    public init(runID: String, step: Int64, update: Int64, agent: AgentCheckpoint, loop: LoopState, tables: [String: [String: [Double]]]) {
        self.runID = runID; self.step = step; self.update = update; self.agent = agent; self.loop = loop; self.tables = tables
    }
}

public struct CheckpointError: Error, CustomStringConvertible {
    public let description: String
    public init(_ d: String) { description = d }
}

/// The file name of the checkpoint at `step`.
public func checkpointFileName(step: Int64) -> String { String(format: "ckpt-%012lld.h5", step) }

/// The checkpoint files in `dir`, newest (highest step) first.
public func checkpointFiles(in dir: URL) -> [URL] {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
    return names.filter { $0.hasPrefix("ckpt-") && $0.hasSuffix(".h5") }.sorted(by: >).map { dir.appendingPathComponent($0) }
}

/// A 64-bit checksum over named arrays (names, counts and every element's bits, in name order
/// within each kind): what a checkpoint stores in its `checksum` attribute and verifies on load.
struct Checksum {
    var h: UInt64 = 0xCBF2_9CE4_8422_2325
    mutating func word(_ x: UInt64) { h = (h ^ x) &* 0x0000_0100_0000_01B3; h ^= h >> 29 }
    mutating func name(_ s: String) { for b in s.utf8 { word(UInt64(b)) } }
    mutating func floats(_ a: [Float]) { word(UInt64(a.count)); for x in a { word(UInt64(x.bitPattern)) } }
    mutating func doubles(_ a: [Double]) { word(UInt64(a.count)); for x in a { word(x.bitPattern) } }
    mutating func ints(_ a: [Int64]) { word(UInt64(a.count)); for x in a { word(UInt64(bitPattern: x)) } }
    mutating func words(_ a: [UInt64]) { word(UInt64(a.count)); for x in a { word(x) } }
    var hex: String { String(format: "%016llx", h) }
}

extension RunCheckpoint {
    /// The checksum of everything the file stores.
    var checksum: String {
        var c = Checksum()
        c.name(runID); c.ints([step, update])
        for k in agent.floats.keys.sorted() { c.name(k); c.floats(agent.floats[k]!) }
        for k in agent.doubles.keys.sorted() { c.name(k); c.doubles(agent.doubles[k]!) }
        for k in agent.ints.keys.sorted() { c.name(k); c.ints(agent.ints[k]!) }
        for k in agent.words.keys.sorted() { c.name(k); c.words(agent.words[k]!) }
        let l = loop
        c.ints([l.episodeCount, l.lastEvalStep, l.nextEval, l.nextCheckpoint])
        c.doubles([l.lastEval, l.wallSeconds]); c.doubles(l.recentReturns); c.doubles(l.recentLengths)
        c.doubles(l.evalEnv.reals); c.ints(l.evalEnv.counters); c.words(l.evalEnv.rng)
        for t in tables.keys.sorted() {
            for k in tables[t]!.keys.sorted() { c.name(t + "/" + k); c.doubles(tables[t]![k]!) }
        }
        return c.hex
    }

    /// Writes the agent's arrays into `group`, each dataset tagged with its kind (`f32`, `f64`,
    /// `i64`, `u64`) so that `readAgentState` puts it back in the right dictionary. Large arrays
    /// (a replay buffer) are compressed.
    static func writeAgentState(_ a: AgentCheckpoint, into g: H5Group) throws {
        func level(_ n: Int) -> Int? { n >= 65_536 ? 1 : nil }
        for k in a.floats.keys.sorted() { try g.write(k, a.floats[k]!, compression: level(a.floats[k]!.count)).setAttribute("kind", "f32") }
        for k in a.doubles.keys.sorted() { try g.write(k, a.doubles[k]!, compression: level(a.doubles[k]!.count)).setAttribute("kind", "f64") }
        for k in a.ints.keys.sorted() { try g.write(k, a.ints[k]!, compression: level(a.ints[k]!.count)).setAttribute("kind", "i64") }
        for k in a.words.keys.sorted() { try g.write(k, a.words[k]!).setAttribute("kind", "u64") }
    }

    static func readAgentState(_ g: H5Group) throws -> AgentCheckpoint {
        var a = AgentCheckpoint()
        for k in try g.memberNames() {
            let d = try g.openDataset(k)
            switch try d.stringAttribute("kind") {
            case "f32": a.floats[k] = try d.read(as: Float.self)
            case "f64": a.doubles[k] = try d.read(as: Double.self)
            case "i64": a.ints[k] = try d.read(as: Int64.self)
            case "u64": a.words[k] = try d.read(as: UInt64.self)
            case let other: throw CheckpointError("dataset \(d.path) has unknown kind \(other)")
            }
        }
        return a
    }

    /// Writes the checkpoint as `dir/ckpt-<step>.h5`: into a hidden temporary file, fsynced, renamed
    /// into place, then the directory fsynced. Removes all but the newest `keep` checkpoints.
    /// Returns the file and its size in bytes.
    @discardableResult
    public func write(to dir: URL, keep: Int = 2) throws -> (url: URL, bytes: Int) {
        let final = dir.appendingPathComponent(checkpointFileName(step: step))
        let tmp = dir.appendingPathComponent("." + final.lastPathComponent + ".tmp")
        try? FileManager.default.removeItem(at: tmp)
        do {
            let f = try H5File.create(tmp.path)
            let root = f.root
            try root.setAttribute("format", "rlexp-checkpoint/1")
            try root.setAttribute("description", "full training state of one run (rlexp resumes from it bit-identically)")
            try root.setAttribute("run_id", runID)
            try root.setAttribute("step", step)
            try root.setAttribute("update", update)
            try root.setAttribute("checksum", checksum)
            try RunCheckpoint.writeAgentState(agent, into: try root.createGroup("agent"))
            TestHooks.maybeKill("checkpoint-write")
            let l = try root.createGroup("loop")
            try l.write("counters", [loop.episodeCount, loop.lastEvalStep, loop.nextEval, loop.nextCheckpoint])
            try l.write("last_eval_wall", [loop.lastEval, loop.wallSeconds])
            try l.write("recent_returns", loop.recentReturns)
            try l.write("recent_lengths", loop.recentLengths)
            try l.write("eval_env_reals", loop.evalEnv.reals)
            try l.write("eval_env_counters", loop.evalEnv.counters)
            try l.write("eval_env_rng", loop.evalEnv.rng)
            let t = try root.createGroup("tables")
            for name in tables.keys.sorted() {
                let g = try t.createGroup(name)
                for (k, v) in tables[name]! { try g.write(k, v, compression: v.count >= 65_536 ? 1 : nil) }
            }
            try f.flush()
            f.close()
            try fsyncPath(tmp.path)
            TestHooks.maybeKill("checkpoint-rename")
            guard rename(tmp.path, final.path) == 0 else { throw CheckpointError("cannot rename \(tmp.path) to \(final.path): \(String(cString: strerror(errno)))") }
            try fsyncPath(dir.path)
        } catch {
            try? FileManager.default.removeItem(at: tmp)
            throw error
        }
        for old in checkpointFiles(in: dir).dropFirst(keep) { try? FileManager.default.removeItem(at: old) }
        let bytes = (try? FileManager.default.attributesOfItem(atPath: final.path)[.size] as? Int) ?? 0
        return (final, bytes ?? 0)
    }

    /// Reads and verifies a checkpoint file; throws `CheckpointError` saying what is wrong with it.
    public static func load(_ url: URL) throws -> RunCheckpoint {
        let f: H5File
        do { f = try H5File.open(url.path) } catch { throw CheckpointError("\(url.lastPathComponent) cannot be opened as HDF5 (truncated or corrupt)") }
        defer { f.close() }
        do {
            let root = f.root
            guard (try? root.stringAttribute("format")) == "rlexp-checkpoint/1" else { throw CheckpointError("\(url.lastPathComponent) is not an rlexp checkpoint") }
            let agent = try readAgentState(try root.openGroup("agent"))
            let l = try root.openGroup("loop")
            let counters = try l.read("counters", as: Int64.self), ew = try l.read("last_eval_wall", as: Double.self)
            guard counters.count == 4, ew.count == 2 else { throw CheckpointError("\(url.lastPathComponent): loop state has the wrong shape") }
            let loop = LoopState(episodeCount: counters[0], recentReturns: try l.read("recent_returns"), recentLengths: try l.read("recent_lengths"),
                                 lastEval: ew[0], lastEvalStep: counters[1], nextEval: counters[2], nextCheckpoint: counters[3], wallSeconds: ew[1],
                                 evalEnv: EnvCheckpoint(reals: try l.read("eval_env_reals"), counters: try l.read("eval_env_counters"),
                                                        rng: try l.read("eval_env_rng")))
            var tables: [String: [String: [Double]]] = [:]
            let t = try root.openGroup("tables")
            for name in try t.memberNames() {
                let g = try t.openGroup(name)
                var cols: [String: [Double]] = [:]
                for k in try g.memberNames() { cols[k] = try g.read(k, as: Double.self) }
                tables[name] = cols
            }
            let c = RunCheckpoint(runID: try root.stringAttribute("run_id"), step: try root.attribute("step", as: Int64.self),
                                  update: try root.attribute("update", as: Int64.self), agent: agent, loop: loop, tables: tables)
            let stored = try root.stringAttribute("checksum")
            guard stored == c.checksum else { throw CheckpointError("\(url.lastPathComponent): checksum mismatch (stored \(stored), contents give \(c.checksum)): the file is corrupt") }
            return c
        } catch let e as CheckpointError { throw e } catch {
            throw CheckpointError("\(url.lastPathComponent) is incomplete or corrupt (\(error))")
        }
    }
}

/// fsync(2) of a file or directory.
func fsyncPath(_ path: String) throws {
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else { throw CheckpointError("cannot open \(path) to fsync it: \(String(cString: strerror(errno)))") }
    defer { close(fd) }
    guard fsync(fd) == 0 else { throw CheckpointError("fsync \(path) failed: \(String(cString: strerror(errno)))") }
}

/// Test-only fault injection: `RLEXP_TEST_KILL=<point>:<n>` makes the process SIGKILL itself the
/// n-th time it reaches `point` (`checkpoint-write`: half-way through writing a checkpoint;
/// `checkpoint-rename`: after the fsync, before the rename; `final-rename`: before run.h5 is renamed
/// into place), so the kill-and-resume test hits the moments a random kill rarely does.
enum TestHooks {
    static let spec: (point: String, n: Int)? = {
        guard let v = ProcessInfo.processInfo.environment["RLEXP_TEST_KILL"] else { return nil }
        let parts = v.split(separator: ":")
        guard parts.count == 2, let n = Int(parts[1]) else { return nil }
        return (String(parts[0]), n)
    }()
    static let counter = NSLock()
    nonisolated(unsafe) static var seen: [String: Int] = [:]

    /// `RLEXP_TEST_SLOW_STOP=<seconds>`: a run waits that long after a stop request before it
    /// checkpoints, so a test can deliver the second Ctrl-C while the first is being handled.
    static func slowStop() {
        if let v = ProcessInfo.processInfo.environment["RLEXP_TEST_SLOW_STOP"], let s = Double(v) { Thread.sleep(forTimeInterval: s) }
    }

    static func maybeKill(_ point: String) {
        guard let spec, spec.point == point else { return }
        counter.lock()
        seen[point, default: 0] += 1
        let hit = seen[point] == spec.n
        counter.unlock()
        if hit { kill(getpid(), SIGKILL) }
    }
}
