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
        func git(_ args: [String]) -> String? { captureOutput(["git"] + args) }
        guard let head = git(["rev-parse", "HEAD"]) else { return Provenance(gitCommit: "unknown") }
        let dirty = (git(["status", "--porcelain", "--untracked-files=no"]) ?? "").isEmpty ? "" : "-dirty"
        return Provenance(gitCommit: head + dirty)
    }
}

/// Runs `argv` (looked up on PATH) with stdin and stderr on /dev/null and returns its standard
/// output, or nil when it cannot start or exits non-zero. posix_spawn and waitpid directly:
/// Foundation's `Process` notices a child's exit only on a ~50 ms poll, which cost every
/// `rlexp run` 0.1-0.2 s of idle wall time for its two git calls.
func captureOutput(_ argv: [String]) -> String? {
    var fds: [Int32] = [0, 0]
    guard pipe(&fds) == 0 else { return nil }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
    posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
    posix_spawn_file_actions_addclose(&actions, fds[0])
    posix_spawn_file_actions_addclose(&actions, fds[1])
    var cargs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
    defer { for a in cargs { free(a) } }
    var pid: pid_t = 0
    let rc = posix_spawnp(&pid, argv[0], &actions, nil, &cargs, environ)
    close(fds[1])
    guard rc == 0 else { close(fds[0]); return nil }
    var data = [UInt8]()
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
        let n = buffer.withUnsafeMutableBytes { read(fds[0], $0.baseAddress, 4096) }
        if n > 0 { data.append(contentsOf: buffer[0..<n]) } else if n < 0 && errno == EINTR { continue } else { break }
    }
    close(fds[0])
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    // exited normally (low 7 bits 0) with status 0
    guard status & 0x7f == 0, (status >> 8) & 0xff == 0 else { return nil }
    return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
}

/// What a finished run reports back to the sweep.
public struct RunOutcome: Sendable {
    public var runID: String
    public var wallSeconds: Double
    public var envSteps: Int64
    public var finalEvalReturn: Double
    public var skipped: Bool
    /// Periodic checkpoints this process wrote for the run, and the wall seconds spent writing them.
    public var checkpointsWritten = 0
    public var checkpointSeconds = 0.0
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

/// A run stopped by Ctrl-C (SIGINT/SIGTERM) after writing a checkpoint: `rlexp run` resumes it.
public struct RunInterrupted: Error, CustomStringConvertible {
    public let step: Int64
    public var description: String { "interrupted at step \(step) (checkpoint written; `rlexp run` again resumes it)" }
}

/// A run whose loss or parameters became NaN or infinite.
public struct RunDiverged: Error, CustomStringConvertible {
    public let step: Int64
    /// The metric that blew up (a loss, or `parameters`).
    public let metric: String
    public let value: Double
    /// The newest checkpoint written before the divergence (nil if none).
    public let lastGoodCheckpoint: String?
    public var description: String {
        "diverged at step \(step): \(metric) = \(value)" + (lastGoodCheckpoint.map { "; last good checkpoint \($0)" } ?? "; no checkpoint before it")
    }
}

/// How `executeRun` treats what is already in the run's folder.
public struct RunStart: Sendable {
    /// Continue from the newest valid checkpoint in the folder, if there is one.
    public var resume: Bool
    /// Messages for the user (a corrupt checkpoint skipped, where a run resumed).
    public var notice: (@Sendable (String) -> Void)?
    public init(resume: Bool = true, notice: (@Sendable (String) -> Void)? = nil) { self.resume = resume; self.notice = notice }
}

/// Runs one training run to completion and writes `dir/run.h5` (atomically: it is written as
/// `run.h5.partial` and renamed when complete, so a killed run never leaves a file that looks done).
///
/// Every `cfg.checkpointEvery` env steps it writes a full-state checkpoint (`ckpt-<step>.h5`, see
/// Checkpoint.swift). With `start.resume`, a run whose folder holds checkpoints continues from the
/// newest valid one (a corrupt one is reported and the previous one used): run.h5 is rebuilt from
/// the checkpoint's rows, and the finished file is bit-identical to an uninterrupted run's in every
/// dataset but the wall-clock ones. A loss or the parameters turning NaN/Inf throws `RunDiverged`;
/// a stop request (`StopSignal`) checkpoints and throws `RunInterrupted`.
public func executeRun(_ cfg: RunConfig, dir: URL, provenance: Provenance, start startMode: RunStart = RunStart(),
                       progress: ((RunProgress) -> Void)? = nil) throws -> RunOutcome {
    let fm = FileManager.default
    try createFolder(dir)
    let finalURL = dir.appendingPathComponent("run.h5")
    let partialURL = dir.appendingPathComponent("run.h5.partial")
    try? fm.removeItem(at: partialURL)
    for name in (try? fm.contentsOfDirectory(atPath: dir.path)) ?? [] where name.hasPrefix(".ckpt-") && name.hasSuffix(".tmp") {
        try? fm.removeItem(at: dir.appendingPathComponent(name))   // a checkpoint write that was killed
    }
    guard let algo = Algorithms.named(cfg.algo) else { throw AgentError("unknown algorithm \(cfg.algo)") }
    // recording (spec field `record`): the recorder wraps the agent's training vector while it is built
    let envSpec = Environments.spec(cfg.env)!
    let recorder = cfg.record.isEmpty ? nil : TrajectoryRecorder(settings: cfg.record, spec: envSpec, seed: cfg.seed)
    let wrapper = recorder.flatMap { r in cfg.record.recordsTraining ? VectorWrapper { r.wrap($0) } : nil }
    // a bridged environment's worker reports its failure here; the loop stops the run with it
    let bridgeHealth = GymBridgeHealth()
    let agent = try GymBridge.$health.withValue(bridgeHealth) {
        try Environments.$vectorWrapper.withValue(wrapper) {
            try algo.make(AgentContext(envID: cfg.env, envOptions: cfg.envOptions, seed: UInt64(cfg.seed), totalSteps: cfg.totalSteps,
                                       hyperparameters: cfg.hyperparameters))
        }
    }
    if let r = recorder, cfg.record.recordsTraining, r.wrapped == 0 {
        throw AgentError("\(cfg.algo) built no training vector environment; its training episodes cannot be recorded")
    }
    var evalEnv = GymBridge.$health.withValue(bridgeHealth) {
        Environments.make(cfg.env, options: cfg.envOptions, rng: Environments.evaluationStream(seed: cfg.seed))!
    }
    func checkBridge() throws { if let f = bridgeHealth.failure { throw GymBridgeError(f) } }

    var restored: RunCheckpoint?
    if startMode.resume {
        for url in checkpointFiles(in: dir) {
            do {
                let c = try RunCheckpoint.load(url)
                guard c.runID == cfg.runID else { throw CheckpointError("\(url.lastPathComponent) belongs to run \(c.runID)") }
                restored = c
                break
            } catch {
                startMode.notice?("\(cfg.runID): checkpoint skipped: \(error); trying the previous one")
            }
        }
    } else {
        for url in checkpointFiles(in: dir) { try? fm.removeItem(at: url) }
    }

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
    try root.setAttribute("checkpoint_every", Int64(cfg.checkpointEvery))
    if !cfg.record.isEmpty { try root.setAttribute("record", cfg.record.json.serialized(sortKeys: true)) }
    if let t = cfg.solveThreshold ?? Environments.solveThreshold(cfg.env) { try root.setAttribute("solve_threshold", t) }

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
    let tables = [("curve", curve), ("updates", updatesTable), ("episodes", episodes)]

    var loop = LoopState(evalEnv: evalEnv.checkpointState)
    var lastCheckpoint: String?
    let every = Int64(cfg.checkpointEvery)
    if let c = restored {
        try agent.restore(c.agent)
        guard agent.envSteps == c.step, agent.updates == c.update else {
            throw CheckpointError("checkpoint at step \(c.step) restored to step \(agent.envSteps)")
        }
        evalEnv.restore(c.loop.evalEnv)
        try recorder?.restore(c.tables)
        loop = c.loop
        for (name, table) in tables {
            guard let cols = c.tables[name] else { throw CheckpointError("checkpoint at step \(c.step) has no table \(name)") }
            try table.appendColumns(try table.columns.map { col in
                guard let v = cols[col.name] else { throw CheckpointError("checkpoint at step \(c.step) has no column \(name)/\(col.name)") }
                return v
            })
        }
        lastCheckpoint = checkpointFileName(step: c.step)
        startMode.notice?("\(cfg.runID): resumed from its checkpoint at step \(c.step) of \(cfg.totalSteps)")
    }
    let start = Date().addingTimeInterval(-loop.wallSeconds)

    func evaluate() throws {
        let params = agent.parameters
        if let k = params.firstIndex(where: { !$0.isFinite }) {
            throw RunDiverged(step: agent.envSteps, metric: "parameters", value: Double(params[k]), lastGoodCheckpoint: lastCheckpoint)
        }
        let episodes: [(episodeReturn: Double, length: Int)]
        if let r = recorder, cfg.record.eval {
            r.evalRound = Int64(curve.rows); r.evalStep = agent.envSteps
            var recording: any Environment = RecordingEnvironment(inner: evalEnv, recorder: r)
            episodes = evaluateGreedy(agent, in: &recording, episodes: cfg.eval.episodes, observer: r.evalBehaviour)
            evalEnv = (recording as! RecordingEnvironment).inner
        } else {
            episodes = evaluateGreedy(agent, in: &evalEnv, episodes: cfg.eval.episodes)
        }
        try checkBridge()
        let rets = episodes.map(\.episodeReturn), lens = episodes.map { Double($0.length) }
        let m = mean(rets)
        loop.lastEval = m
        loop.lastEvalStep = agent.envSteps
        let wall = Date().timeIntervalSince(start)
        try curve.append([Double(agent.envSteps), Double(agent.updates), Double(loop.episodeCount),
                          loop.recentReturns.isEmpty ? .nan : mean(loop.recentReturns), loop.recentLengths.isEmpty ? .nan : mean(loop.recentLengths),
                          m, std(rets), mean(lens), wall, wall > 0 ? Double(agent.envSteps) / wall : 0])
        progress?(RunProgress(step: agent.envSteps, total: cfg.totalSteps, evalReturn: m,
                              stepsPerSecond: wall > 0 ? Double(agent.envSteps) / wall : 0))
    }

    var checkpointsWritten = 0, checkpointSeconds = 0.0
    func saveCheckpoint() throws {
        let t0 = Date()
        defer { checkpointsWritten += 1; checkpointSeconds += Date().timeIntervalSince(t0) }
        loop.wallSeconds = Date().timeIntervalSince(start)
        loop.evalEnv = evalEnv.checkpointState
        var rows: [String: [String: [Double]]] = [:]
        for (name, table) in tables {
            rows[name] = Dictionary(uniqueKeysWithValues: zip(table.columns.map(\.name), try table.allColumns()))
        }
        for (name, cols) in recorder?.checkpointTables ?? [:] { rows[name] = cols }
        let c = RunCheckpoint(runID: cfg.runID, step: agent.envSteps, update: agent.updates, agent: agent.checkpoint, loop: loop, tables: rows)
        lastCheckpoint = try c.write(to: dir).url.lastPathComponent
    }

    if restored == nil {
        try evaluate()
        loop.nextEval = Int64(cfg.eval.interval)
        loop.nextCheckpoint = every
    }
    let lossColumns = agent.metricNames.enumerated().filter { $0.element.contains("loss") }.map(\.offset)
    var lastProgress = Date()
    while agent.envSteps < Int64(cfg.totalSteps) {
        if StopSignal.requested {
            TestHooks.slowStop()
            try saveCheckpoint()
            throw RunInterrupted(step: agent.envSteps)
        }
        let metrics = agent.update()
        try checkBridge()
        precondition(metrics.names == agent.metricNames, "\(cfg.algo) returned metrics \(metrics.names), declared \(agent.metricNames)")
        for e in agent.drainEpisodes() {
            loop.episodeCount += 1
            loop.recentReturns.append(e.episodeReturn); loop.recentLengths.append(Double(e.length))
            if loop.recentReturns.count > 100 { loop.recentReturns.removeFirst(); loop.recentLengths.removeFirst() }
            try episodes.append([Double(e.step), Double(e.envIndex), e.episodeReturn, Double(e.length), e.terminated ? 1 : 0])
        }
        try updatesTable.append([Double(agent.updates), Double(agent.envSteps)] + metrics.values
                                + [mean(loop.recentReturns), mean(loop.recentLengths), Double(agent.envSteps) / max(Date().timeIntervalSince(start), 1e-9)])
        if let k = lossColumns.first(where: { !metrics.values[$0].isFinite }) {
            try? updatesTable.flush()
            throw RunDiverged(step: agent.envSteps, metric: metrics.names[k], value: metrics.values[k], lastGoodCheckpoint: lastCheckpoint)
        }
        if agent.envSteps >= loop.nextEval {
            try evaluate()
            while loop.nextEval <= agent.envSteps { loop.nextEval += Int64(cfg.eval.interval) }
        } else if let progress, Date().timeIntervalSince(lastProgress) > 0.25 {
            lastProgress = Date()
            let wall = Date().timeIntervalSince(start)
            progress(RunProgress(step: agent.envSteps, total: cfg.totalSteps, evalReturn: loop.lastEval.isFinite ? loop.lastEval : nil,
                                 stepsPerSecond: Double(agent.envSteps) / wall))
        }
        if every > 0 && agent.envSteps >= loop.nextCheckpoint {
            while loop.nextCheckpoint <= agent.envSteps { loop.nextCheckpoint += every }
            if agent.envSteps < Int64(cfg.totalSteps) {
                let params = agent.parameters
                if let k = params.firstIndex(where: { !$0.isFinite }) {
                    throw RunDiverged(step: agent.envSteps, metric: "parameters", value: Double(params[k]), lastGoodCheckpoint: lastCheckpoint)
                }
                try saveCheckpoint()
            }
        }
    }
    // the final row is always an evaluation of the final policy
    if loop.lastEvalStep != agent.envSteps { try evaluate() }
    try updatesTable.flush(); try episodes.flush(); try curve.flush()
    try recorder?.write(into: root, behaviour: agent.behaviourDescription)

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
    try fsyncPath(partialURL.path)
    TestHooks.maybeKill("final-rename")
    try? fm.removeItem(at: finalURL)
    try fm.moveItem(at: partialURL, to: finalURL)
    try fsyncPath(dir.path)
    // run.h5 now holds the final state: the periodic checkpoints are no longer needed
    for url in checkpointFiles(in: dir) { try? fm.removeItem(at: url) }
    return RunOutcome(runID: cfg.runID, wallSeconds: wall, envSteps: agent.envSteps, finalEvalReturn: loop.lastEval, skipped: false,
                      checkpointsWritten: checkpointsWritten, checkpointSeconds: checkpointSeconds)
}

func mean(_ x: [Double]) -> Double { x.isEmpty ? .nan : x.reduce(0, +) / Double(x.count) }
func std(_ x: [Double]) -> Double {
    guard x.count > 1 else { return 0 }
    let m = mean(x)
    return (x.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(x.count)).squareRoot()
}
