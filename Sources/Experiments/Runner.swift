import Agents
import Environments
import Foundation
import HDF5
import NN

public let rlexpVersion = "0.1.0"

/// Where the code that produced a result came from (written into every run.h5).
public struct Provenance: Sendable {
    public var version = rlexpVersion
    public var gitCommit: String
    public init(gitCommit: String) { self.gitCommit = gitCommit }

    /// The git commit of the working directory, if it is a checkout ("unknown" otherwise), with
    /// "-dirty" when it has uncommitted changes.
    public static func detect() -> Provenance {
        func git(_ args: [String]) -> String? {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            p.arguments = ["git"] + args
            let out = Pipe()
            p.standardOutput = out
            p.standardError = FileHandle.nullDevice
            do { try p.run() } catch { return nil }
            let data = out.fileHandleForReading.readDataToEndOfFile()
            p.waitUntilExit()
            guard p.terminationStatus == 0 else { return nil }
            return String(data: data, encoding: .utf8)?.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        guard let head = git(["rev-parse", "HEAD"]) else { return Provenance(gitCommit: "unknown") }
        let dirty = (git(["status", "--porcelain", "--untracked-files=no"]) ?? "").isEmpty ? "" : "-dirty"
        return Provenance(gitCommit: head + dirty)
    }
}

/// What a finished run reports back to the sweep.
public struct RunOutcome: Sendable {
    public var runID: String
    public var wallSeconds: Double
    public var envSteps: Int64
    public var finalEvalReturn: Double
    public var skipped: Bool
}

/// Live progress of one run, for the terminal.
public struct RunProgress: Sendable {
    public var step: Int64
    public var total: Int
    public var evalReturn: Double?
    public var stepsPerSecond: Double
}

/// Names of the datasets in `/curve` (one row per evaluation point).
public let curveColumns: [ColumnTable.Column] = [
    .init("step", .i64, "environment steps taken (all copies) when the row was written", units: "env steps"),
    .init("updates", .i64, "updates done", units: "updates"),
    .init("episodes", .i64, "training episodes finished", units: "episodes"),
    .init("return_mean", .f64, "mean return of the last 100 finished training episodes (NaN before the first)", units: "return"),
    .init("length_mean", .f64, "mean length of the last 100 finished training episodes", units: "env steps"),
    .init("eval_return", .f64, "mean return of the greedy evaluation episodes at this step", units: "return"),
    .init("eval_return_std", .f64, "standard deviation of the evaluation returns", units: "return"),
    .init("eval_length_mean", .f64, "mean length of the evaluation episodes", units: "env steps"),
    .init("wall_s", .f64, "wall-clock seconds since the run started (not reproducible)", units: "s", wallClock: true),
    .init("fps", .f64, "training environment steps per wall-clock second so far (not reproducible)", units: "env steps/s", wallClock: true),
]

let episodeColumns: [ColumnTable.Column] = [
    .init("step", .i64, "environment step counter (all copies) after the vector step in which the episode ended", units: "env steps"),
    .init("env_index", .i32, "which environment copy ran the episode"),
    .init("return", .f64, "undiscounted episode return", units: "return"),
    .init("length", .i32, "episode length", units: "env steps"),
    .init("terminated", .i8, "1 if the episode reached a terminal state, 0 if it was truncated by the time limit"),
]

/// Runs one training run to completion and writes `dir/run.h5` (atomically: it is written as
/// `run.h5.partial` and renamed when complete, so a killed run never leaves a file that looks done).
public func executeRun(_ cfg: RunConfig, dir: URL, provenance: Provenance,
                       progress: ((RunProgress) -> Void)? = nil) throws -> RunOutcome {
    let fm = FileManager.default
    try fm.createDirectory(at: dir, withIntermediateDirectories: true)
    let finalURL = dir.appendingPathComponent("run.h5")
    let partialURL = dir.appendingPathComponent("run.h5.partial")
    try? fm.removeItem(at: partialURL)
    guard let algo = Algorithms.named(cfg.algo) else { throw AgentError("unknown algorithm \(cfg.algo)") }
    let agent = try algo.make(AgentContext(envID: cfg.env, envOptions: cfg.envOptions, seed: UInt64(cfg.seed), totalSteps: cfg.totalSteps,
                                           hyperparameters: cfg.hyperparameters))
    var evalEnv = Environments.make(cfg.env, options: cfg.envOptions, rng: Environments.evaluationStream(seed: cfg.seed))!

    let file = try H5File.create(partialURL.path)
    let root = file.root
    try root.setAttribute("format", "rlexp-run/1")
    try root.setAttribute("rlexp_version", provenance.version)
    try root.setAttribute("git_commit", provenance.gitCommit)
    try root.setAttribute("spec_name", cfg.specName)
    try root.setAttribute("spec_hash", cfg.specHash)
    try root.setAttribute("run_id", cfg.runID)
    try root.setAttribute("config_id", cfg.configID)
    try root.setAttribute("config_label", cfg.configLabel)
    try root.setAttribute("config", cfg.resolved().serialized(sortKeys: true))
    try root.setAttribute("swept", JSON.object(cfg.swept.map { ($0.0, $0.1.json) }).serialized())
    try root.setAttribute("env", cfg.env)
    try root.setAttribute("algo", cfg.algo)
    try root.setAttribute("seed", Int64(cfg.seed))
    try root.setAttribute("total_steps", Int64(cfg.totalSteps))
    try root.setAttribute("eval_mode", "greedy")
    try root.setAttribute("eval_episodes", Int64(cfg.eval.episodes))
    try root.setAttribute("eval_interval", Int64(cfg.eval.interval))
    if let t = Environments.solveThreshold(cfg.env) { try root.setAttribute("solve_threshold", t) }

    let curveGroup = try root.createGroup("curve")
    try curveGroup.setAttribute("description", "learning curve: one row per evaluation point (at step 0, every eval_interval env steps, and at the end)")
    let curve = try ColumnTable(group: curveGroup, columns: curveColumns, flushEvery: 1)
    let updatesGroup = try root.createGroup("updates")
    try updatesGroup.setAttribute("description", "per-update training metrics, named as in ALGORITHMS.md")
    let updateColumns: [ColumnTable.Column] = [
        .init("update", .i64, "update index (1-based)", units: "updates"),
        .init("step", .i64, "environment steps taken (all copies) after this update", units: "env steps"),
    ] + agent.metricNames.map { ColumnTable.Column($0, .f64, "\(cfg.algo) metric \($0) (see ALGORITHMS.md)") } + [
        .init("eprewmean", .f64, "mean return of the last 100 finished training episodes (baselines' eprewmean; NaN before the first)", units: "return"),
        .init("eplenmean", .f64, "mean length of the last 100 finished training episodes (baselines' eplenmean)", units: "env steps"),
        .init("fps", .f64, "training environment steps per wall-clock second so far (not reproducible)", units: "env steps/s", wallClock: true),
    ]
    let updatesTable = try ColumnTable(group: updatesGroup, columns: updateColumns)
    let episodesGroup = try root.createGroup("episodes")
    try episodesGroup.setAttribute("description", "every finished training episode")
    let episodes = try ColumnTable(group: episodesGroup, columns: episodeColumns)

    var recent: [Double] = [], recentLen: [Double] = []
    var episodeCount: Int64 = 0
    let start = Date()
    var lastEval = -Double.infinity
    var lastEvalStep: Int64 = -1
    var nextEval: Int64 = 0

    func evaluate() throws {
        let episodes = evaluateGreedy(agent, in: &evalEnv, episodes: cfg.eval.episodes)
        let rets = episodes.map(\.episodeReturn), lens = episodes.map { Double($0.length) }
        let m = mean(rets)
        lastEval = m
        lastEvalStep = agent.envSteps
        let wall = Date().timeIntervalSince(start)
        try curve.append([Double(agent.envSteps), Double(agent.updates), Double(episodeCount),
                          recent.isEmpty ? .nan : mean(recent), recentLen.isEmpty ? .nan : mean(recentLen),
                          m, std(rets), mean(lens), wall, wall > 0 ? Double(agent.envSteps) / wall : 0])
        progress?(RunProgress(step: agent.envSteps, total: cfg.totalSteps, evalReturn: m,
                              stepsPerSecond: wall > 0 ? Double(agent.envSteps) / wall : 0))
    }

    try evaluate()
    nextEval = Int64(cfg.eval.interval)
    var lastProgress = Date()
    while agent.envSteps < Int64(cfg.totalSteps) {
        let metrics = agent.update()
        precondition(metrics.names == agent.metricNames, "\(cfg.algo) returned metrics \(metrics.names), declared \(agent.metricNames)")
        for e in agent.drainEpisodes() {
            episodeCount += 1
            recent.append(e.episodeReturn); recentLen.append(Double(e.length))
            if recent.count > 100 { recent.removeFirst(); recentLen.removeFirst() }
            try episodes.append([Double(e.step), Double(e.envIndex), e.episodeReturn, Double(e.length), e.terminated ? 1 : 0])
        }
        try updatesTable.append([Double(agent.updates), Double(agent.envSteps)] + metrics.values
                                + [mean(recent), mean(recentLen), Double(agent.envSteps) / max(Date().timeIntervalSince(start), 1e-9)])
        if agent.envSteps >= nextEval {
            try evaluate()
            while nextEval <= agent.envSteps { nextEval += Int64(cfg.eval.interval) }
        } else if let progress, Date().timeIntervalSince(lastProgress) > 0.25 {
            lastProgress = Date()
            let wall = Date().timeIntervalSince(start)
            progress(RunProgress(step: agent.envSteps, total: cfg.totalSteps, evalReturn: lastEval.isFinite ? lastEval : nil,
                                 stepsPerSecond: Double(agent.envSteps) / wall))
        }
    }
    // the final row is always an evaluation of the final policy
    if lastEvalStep != agent.envSteps { try evaluate() }
    try updatesTable.flush(); try episodes.flush(); try curve.flush()

    // final checkpoint: parameters, optimizer state, RNG and environment states, counters
    let ck = try root.createGroup("checkpoint")
    try ck.setAttribute("description", "final training state (parameters, optimizer state, RNG and environment states)")
    try ck.setAttribute("step", agent.envSteps)
    try ck.setAttribute("update", agent.updates)
    let state = agent.checkpoint
    for k in state.floats.keys.sorted() { try ck.write(k, state.floats[k]!, compression: 4) }
    for k in state.doubles.keys.sorted() { try ck.write(k, state.doubles[k]!) }
    for k in state.ints.keys.sorted() { try ck.write(k, state.ints[k]!) }
    for k in state.words.keys.sorted() { try ck.write(k, state.words[k]!) }

    let wall = Date().timeIntervalSince(start)
    try root.setAttribute("wall_seconds", wall)
    try root.setAttribute("fps", Double(agent.envSteps) / max(wall, 1e-9))
    try root.setAttribute("status", "complete")
    try file.flush()
    file.close()
    try? fm.removeItem(at: finalURL)
    try fm.moveItem(at: partialURL, to: finalURL)
    return RunOutcome(runID: cfg.runID, wallSeconds: wall, envSteps: agent.envSteps, finalEvalReturn: lastEval, skipped: false)
}

func mean(_ x: [Double]) -> Double { x.isEmpty ? .nan : x.reduce(0, +) / Double(x.count) }
func std(_ x: [Double]) -> Double {
    guard x.count > 1 else { return 0 }
    let m = mean(x)
    return (x.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(x.count)).squareRoot()
}
