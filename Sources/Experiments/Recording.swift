import Agents
import Environments
import Foundation
import HDF5
import NN

// Recorded trajectories (a spec's `record` field): whole episodes, written to run.h5 under
// `/trajectories/eval` and `/trajectories/train`.
//
// Recording only observes: the evaluation environment is wrapped in `RecordingEnvironment` and the
// agent's training vectors (one, or one per asynchronous actor-learner) in `RecordingVectorEnv`,
// both of which forward every call unchanged and copy what the environment returns, so a recorded
// run's training is bit-identical to the same run unrecorded. What is recorded per step: the
// observation, the action the environment was stepped with (training: as the agent passed it;
// evaluation: clipped), reward, termination, truncation — and the behaviour policy's statistics
// and the agent's value estimate. Those come from the agent through the `BehaviourObserver` seam
// (Agents/Agent.swift): a `RecordingVectorEnv` is an observer, an agent that finds one behind its
// training vector hands it, before each step, the numbers it computed for that step anyway
// (categorical: log π or π; Gaussian: μ, log σ; the value of its critic, ACER's Σ π Q, or the Q
// methods' max_a Q with their ε-greedy probabilities) — no extra random draws, and nothing called
// when nothing records. Evaluation episodes get the same from `Agent.greedyAction(_:into:observer:)`,
// the forward pass the greedy action was read from. A step the agent gave no statistics for is
// recorded as NaN (none should be; the tests check).

/// What a run records (`"record": {"eval": true, "train_every": 10, "train_last": 5}`); the
/// default records nothing.
public struct RecordSettings: Sendable, Hashable {
    /// Every greedy evaluation episode.
    public var eval = false
    /// Training episodes k, 2k, 3k, … (1-based, in the order they finish); 0: none.
    public var trainEvery = 0
    /// The last n training episodes of the run; 0: none.
    public var trainLast = 0
    public init(eval: Bool = false, trainEvery: Int = 0, trainLast: Int = 0) {
        self.eval = eval; self.trainEvery = trainEvery; self.trainLast = trainLast
    }
    public var isEmpty: Bool { !eval && trainEvery == 0 && trainLast == 0 }
    public var recordsTraining: Bool { trainEvery > 0 || trainLast > 0 }
    public static let keys = ["eval", "train_every", "train_last"]
    /// The settings as JSON, as the spec gives them (only the set fields).
    public var json: JSON {
        var o: [(key: String, value: JSON)] = []
        if eval { o.append(("eval", .bool(true))) }
        if trainEvery > 0 { o.append(("train_every", .int(trainEvery))) }
        if trainLast > 0 { o.append(("train_last", .int(trainLast))) }
        return .object(o)
    }
}

/// One recorded episode: `length` actions and `length + 1` observations (the last one is the
/// observation the episode ended in).
struct RecordedEpisode: Equatable {
    /// Training: the episode's number among the run's finished training episodes (0-based); evaluation: its number among the recorded evaluation episodes.
    var index: Int64
    /// Training copy that ran it (its random stream is `trainingStream(seed:copy:)`); -1 for evaluation.
    var envIndex: Int64
    /// Training: the vector's env-step counter when the episode's first observation was made; evaluation: the training env steps at the evaluation.
    var startStep: Int64
    /// The evaluation round (0 at step 0); -1 for training.
    var evalRound: Int64
    var observations: [Float] = []
    var actions: [Float] = []
    var rewards: [Double] = []
    var terminations: [Int8] = []
    var truncations: [Int8] = []
    /// The behaviour policy's statistics of each step (`BehaviourRows.width` Floats: π, or μ then log σ).
    var statistics: [Float] = []
    /// The agent's value estimate of each step's state.
    var values: [Float] = []
    var length: Int { rewards.count }
}

/// The behaviour statistics an agent handed over for the next step of each environment copy,
/// kept until the step is recorded: categorical policies as probabilities (log π is exponentiated
/// with `DetMath.expf`, the same bits on every CPU), Gaussian ones as (μ, log σ).
final class BehaviourRows: BehaviourObserver {
    let width: Int
    var rows: [Float], values: [Float], fresh: [Bool]
    init(width: Int, copies: Int) {
        self.width = width
        rows = [Float](repeating: .nan, count: width * copies); values = [Float](repeating: .nan, count: copies)
        fresh = [Bool](repeating: false, count: copies)
    }
    func observe(copy i: Int, _ form: BehaviourStatistics, _ row: UnsafePointer<Float>, value: Float) {
        let base = i * width
        switch form {
        case .logProbabilities: for j in 0..<width { rows[base + j] = DetMath.expf(row[j]) }
        case .probabilities, .meanLogStd: for j in 0..<width { rows[base + j] = row[j] }
        }
        values[i] = value
        fresh[i] = true
    }
    /// Appends copy `i`'s row and value to `episode` (NaNs when the agent gave none) and marks them used.
    func take(_ i: Int, into episode: inout RecordedEpisode) {
        if fresh[i] {
            episode.statistics.append(contentsOf: rows[(i * width)..<((i + 1) * width)])
            episode.values.append(values[i])
        } else {
            episode.statistics.append(contentsOf: repeatElement(Float.nan, count: width))
            episode.values.append(.nan)
        }
        fresh[i] = false
    }
}

/// Collects episodes step by step (one open episode per environment copy).
final class EpisodeSink {
    let obsSize: Int, actionSize: Int
    var open: [RecordedEpisode]
    init(obsSize: Int, actionSize: Int, copies: Int) {
        self.obsSize = obsSize; self.actionSize = actionSize
        open = Array(repeating: RecordedEpisode(index: -1, envIndex: -1, startStep: 0, evalRound: -1), count: copies)
    }
    func begin(_ i: Int, obs: UnsafePointer<Float>, envIndex: Int64, startStep: Int64, evalRound: Int64) {
        open[i] = RecordedEpisode(index: -1, envIndex: envIndex, startStep: startStep, evalRound: evalRound)
        open[i].observations.append(contentsOf: UnsafeBufferPointer(start: obs, count: obsSize))
    }
    func step(_ i: Int, action: UnsafePointer<Float>, behaviour: BehaviourRows, _ b: Int, reward: Double, terminated: Bool, truncated: Bool, obs: UnsafePointer<Float>) {
        open[i].actions.append(contentsOf: UnsafeBufferPointer(start: action, count: actionSize))
        behaviour.take(b, into: &open[i])
        open[i].rewards.append(reward)
        open[i].terminations.append(terminated ? 1 : 0)
        open[i].truncations.append(truncated ? 1 : 0)
        open[i].observations.append(contentsOf: UnsafeBufferPointer(start: obs, count: obsSize))
    }
}

/// The evaluation environment with every episode copied into `recorder` (all calls forwarded).
struct RecordingEnvironment: Environment {
    var inner: any Environment
    let recorder: TrajectoryRecorder
    var spec: EnvSpec { inner.spec }
    var checkpointState: EnvCheckpoint { inner.checkpointState }
    mutating func restore(_ s: EnvCheckpoint) { inner.restore(s) }
    mutating func reset(into obs: UnsafeMutablePointer<Float>) {
        recorder.closeEval()
        inner.reset(into: obs)
        recorder.evalSink.begin(0, obs: obs, envIndex: -1, startStep: recorder.evalStep, evalRound: recorder.evalRound)
    }
    mutating func step(_ action: Int, into obs: UnsafeMutablePointer<Float>) -> StepResult {
        let r = inner.step(action, into: obs)
        var a = Float(action)
        recorder.evalSink.step(0, action: &a, behaviour: recorder.evalBehaviour, 0, reward: r.reward, terminated: r.terminated, truncated: r.truncated, obs: obs)
        if r.done { recorder.closeEval() }
        return r
    }
    mutating func step(continuous action: UnsafePointer<Float>, into obs: UnsafeMutablePointer<Float>) -> StepResult {
        let r = inner.step(continuous: action, into: obs)
        recorder.evalSink.step(0, action: action, behaviour: recorder.evalBehaviour, 0, reward: r.reward, terminated: r.terminated, truncated: r.truncated, obs: obs)
        if r.done { recorder.closeEval() }
        return r
    }
}

/// A training vector environment with every copy's episodes copied into `recorder`: all calls are
/// forwarded to the built-in one, so training is bit-identical with and without it. It is also the
/// agent's `BehaviourObserver`: the statistics handed over before a step are recorded with it.
///
/// Each wrapped vector has its own open episodes and statistics rows (the asynchronous methods'
/// actor-learners step theirs on their own threads); only finished episodes go to the shared
/// recorder, under its lock.
public final class RecordingVectorEnv: VectorEnvironment, BehaviourObserver {
    let inner: any VectorEnvironment
    let recorder: TrajectoryRecorder
    /// The run-wide number of this vector's first copy (`env_index`): the copies of vectors wrapped before it come first.
    let firstCopy: Int
    let sink: EpisodeSink
    let behaviour: BehaviourRows
    /// Discrete actions as Floats (one per copy), reused every step.
    var actionScratch: [Float]
    init(_ inner: any VectorEnvironment, recorder: TrajectoryRecorder, firstCopy: Int) {
        self.inner = inner; self.recorder = recorder; self.firstCopy = firstCopy
        actionScratch = [Float](repeating: 0, count: inner.count)
        sink = EpisodeSink(obsSize: inner.spec.observation.size, actionSize: inner.spec.action.dimension, copies: inner.count)
        behaviour = BehaviourRows(width: recorder.statisticsWidth, copies: inner.count)
    }
    public func observe(copy i: Int, _ form: BehaviourStatistics, _ row: UnsafePointer<Float>, value: Float) {
        behaviour.observe(copy: i, form, row, value: value)
    }
    public var spec: EnvSpec { inner.spec }
    public var count: Int { inner.count }
    public var observations: [Float] { inner.observations }
    public var finalObservations: [Float] { inner.finalObservations }
    public var rewards: [Double] { inner.rewards }
    public var terminated: [Bool] { inner.terminated }
    public var truncated: [Bool] { inner.truncated }
    public var totalSteps: Int64 { inner.totalSteps }
    public var episodeReturns: [Double] { inner.episodeReturns }
    public var episodeLengths: [Int32] { inner.episodeLengths }
    public var environmentStates: [EnvCheckpoint]? { inner.environmentStates }
    public func drainFinished() -> [EpisodeRecord] { inner.drainFinished() }
    public func restore(states: [EnvCheckpoint]?, observations: [Float], episodeReturns: [Double], episodeLengths: [Int32], totalSteps: Int64) throws {
        // the open episodes are put back by `TrajectoryRecorder.restore` (they are in the run's checkpoint)
        try inner.restore(states: states, observations: observations, episodeReturns: episodeReturns, episodeLengths: episodeLengths, totalSteps: totalSteps)
    }
    public func reset() {
        inner.reset()
        let d = inner.spec.observation.size, obs = inner.observations
        obs.withUnsafeBufferPointer { o in
            for i in 0..<inner.count { sink.begin(i, obs: o.baseAddress! + i * d, envIndex: Int64(firstCopy + i), startStep: inner.totalSteps, evalRound: -1) }
        }
    }
    public func step(_ actions: UnsafePointer<Int32>) {
        inner.step(actions)
        for i in 0..<actionScratch.count { actionScratch[i] = Float(actions[i]) }
        actionScratch.withUnsafeBufferPointer { record($0.baseAddress!) }
    }
    public func step(continuous actions: UnsafePointer<Float>) {
        inner.step(continuous: actions)
        record(actions)
    }
    func record(_ actions: UnsafePointer<Float>) {
        let d = inner.spec.observation.size, k = sink.actionSize
        let obs = inner.observations, fin = inner.finalObservations, rew = inner.rewards, term = inner.terminated, trunc = inner.truncated
        let now = inner.totalSteps
        obs.withUnsafeBufferPointer { o in
            fin.withUnsafeBufferPointer { f in
                for i in 0..<inner.count {
                    let done = term[i] || trunc[i]
                    sink.step(i, action: actions + i * k, behaviour: behaviour, i, reward: rew[i], terminated: term[i], truncated: trunc[i],
                              obs: (done ? f.baseAddress! : o.baseAddress!) + i * d)
                    if done {
                        recorder.finishTraining(sink.open[i])
                        sink.begin(i, obs: o.baseAddress! + i * d, envIndex: Int64(firstCopy + i), startStep: now, evalRound: -1)
                    }
                }
            }
        }
    }
}

/// Holds a run's recorded episodes until run.h5 is written, and their part of a checkpoint.
///
/// Everything is kept in memory and written once at the end of the run (a resumed run gets the
/// episodes recorded so far, the open ones and the last-n window back from its checkpoint), so a
/// killed and resumed run records exactly the episodes an uninterrupted one does.
public final class TrajectoryRecorder: @unchecked Sendable {
    let settings: RecordSettings
    let obsShape: [Int], actionSpace: ActionSpace, seed: Int
    /// Floats of behaviour statistics per step: n probabilities, or k means and k log-stds.
    let statisticsWidth: Int
    var evalSink: EpisodeSink
    let evalBehaviour: BehaviourRows
    /// The wrapped training vectors, in the order the agent built them.
    var trainVectors: [RecordingVectorEnv] = []
    /// Guards the finished-episode lists (actor-learner threads finish episodes concurrently).
    let lock = NSLock()
    /// Finished episodes kept: evaluation ones, training ones chosen by `train_every`, and the last `train_last` training ones.
    var eval: [RecordedEpisode] = [], train: [RecordedEpisode] = [], last: [RecordedEpisode] = []
    /// Training episodes finished so far (the next one's index).
    var trainFinished: Int64 = 0
    /// The evaluation being recorded: its round and the training env steps at it.
    var evalRound: Int64 = -1, evalStep: Int64 = 0
    /// Vector environments wrapped.
    var wrapped: Int { trainVectors.count }

    init(settings: RecordSettings, spec: EnvSpec, seed: Int) {
        self.settings = settings; obsShape = spec.observation.shape; actionSpace = spec.action; self.seed = seed
        switch spec.action {
        case .discrete(let n): statisticsWidth = n
        case .box(let low, _): statisticsWidth = 2 * low.count
        }
        evalSink = EpisodeSink(obsSize: spec.observation.size, actionSize: spec.action.dimension, copies: 1)
        evalBehaviour = BehaviourRows(width: statisticsWidth, copies: 1)
    }

    /// The hook for `Environments.$vectorWrapper`: wraps each training vector the agent builds
    /// (its copies numbered after those of the vectors before it).
    func wrap(_ v: any VectorEnvironment) -> any VectorEnvironment {
        let w = RecordingVectorEnv(v, recorder: self, firstCopy: trainVectors.reduce(0) { $0 + $1.count })
        trainVectors.append(w)
        return w
    }

    func closeEval() {
        guard !evalSink.open[0].rewards.isEmpty else { return }
        var e = evalSink.open[0]
        e.index = Int64(eval.count)
        eval.append(e)
        evalSink.open[0] = RecordedEpisode(index: -1, envIndex: -1, startStep: 0, evalRound: -1)
    }

    func finishTraining(_ episode: RecordedEpisode) {
        lock.lock(); defer { lock.unlock() }
        var e = episode
        e.index = trainFinished
        trainFinished += 1
        if settings.trainEvery > 0 && (e.index + 1) % Int64(settings.trainEvery) == 0 { train.append(e); return }
        if settings.trainLast > 0 {
            last.append(e)
            if last.count > settings.trainLast { last.removeFirst() }
        }
    }

    /// The training episodes to write: every k-th and the last n, in the order they finished.
    var trainEpisodes: [RecordedEpisode] {
        let cut = trainFinished - Int64(settings.trainLast)
        return (train + last.filter { $0.index >= cut }).sorted { $0.index < $1.index }
    }

    // MARK: run.h5

    /// Writes `/trajectories` into run.h5.
    ///
    /// Layout: per kind (`eval`, `train`) flat arrays over all episodes — `observations`
    /// [Σ(length+1), obs…], `actions` [Σ length(, action dim)], `rewards`, `terminations`,
    /// `truncations` [Σ length] — plus per-episode columns and the offsets of each episode's first
    /// row (`action_offsets`, `observation_offsets`, E+1 entries: episode e is rows
    /// offsets[e]..<offsets[e+1]). Flat arrays rather than one group per episode because thousands
    /// of short episodes (CartPole: 10–500 steps) would make thousands of tiny datasets, each with
    /// its own object header and chunk index (kilobytes of overhead per episode, and slow to open);
    /// flat, gzip-compressed chunked arrays compress well and read in one call
    /// (`f["trajectories/train/observations"][o[e]:o[e+1]]`). Per step also the behaviour policy's
    /// statistics (`policy_probs` [Σ length, n], or `policy_mean` and `policy_log_std`
    /// [Σ length, k]) and `value` [Σ length], described by `behaviour` (the agent's words).
    func write(into root: H5Group, behaviour: BehaviourDescription) throws {
        let g = try root.createGroup("trajectories")
        try g.setAttribute("description", "recorded episodes (spec field `record`): flat arrays over all episodes, episode e in rows offsets[e]..<offsets[e+1]; observations have one row more per episode than actions (the final observation)")
        try g.setAttribute("record", settings.json.serialized(sortKeys: true))
        try g.setAttribute("policy_statistics", behaviour.statistics)
        try g.setAttribute("value_estimate", behaviour.value)
        if settings.eval { try write(eval, kind: "eval", behaviour: behaviour, into: g) }
        if settings.recordsTraining { try write(trainEpisodes, kind: "train", behaviour: behaviour, into: g) }
    }

    func write(_ episodes: [RecordedEpisode], kind: String, behaviour: BehaviourDescription, into parent: H5Group) throws {
        let g = try parent.createGroup(kind)
        try g.setAttribute("description", kind == "eval"
            ? "every greedy evaluation episode, in the order they ran"
            : "training episodes chosen by record.train_every / record.train_last, in the order they finished")
        try g.setAttribute("episodes", Int64(episodes.count))
        let level = 4
        func described(_ d: H5Dataset, _ text: String, units: String = "") throws {
            try d.setAttribute("description", text)
            if !units.isEmpty { try d.setAttribute("units", units) }
        }
        let nAct = episodes.reduce(0) { $0 + $1.length }
        try described(try g.write("observations", episodes.flatMap(\.observations), shape: [nAct + episodes.count] + obsShape, compression: level),
                      "observations, episode by episode (length+1 rows each: the first after reset … the final one)")
        switch actionSpace {
        case .discrete:
            try described(try g.write("actions", episodes.flatMap { $0.actions.map { Int32($0) } }, shape: [nAct], compression: level),
                          "discrete action the environment was stepped with")
        case .box(let low, _):
            try described(try g.write("actions", episodes.flatMap(\.actions), shape: [nAct, low.count], compression: level),
                          kind == "eval" ? "action the environment was stepped with (the greedy mean clipped to the action bounds)"
                                         : "action the agent stepped the environment with (as the agent passed it; the environment clips it to its bounds)")
        }
        try described(try g.write("rewards", episodes.flatMap(\.rewards), compression: level), "reward of the step", units: "return")
        try described(try g.write("terminations", episodes.flatMap(\.terminations), compression: level), "1 if the step reached a terminal state")
        try described(try g.write("truncations", episodes.flatMap(\.truncations), compression: level), "1 if the step was cut by the time limit")
        let at = kind == "eval" ? "at the greedy step (the forward pass the greedy action was read from): " : "of the behaviour policy the action was drawn from: "
        let stats = episodes.flatMap(\.statistics), w = statisticsWidth
        switch actionSpace {
        case .discrete:
            try described(try g.write("policy_probs", stats, shape: [nAct, w], compression: level),
                          "action probabilities " + at + behaviour.statistics + "; one row of n per step", units: "probability")
        case .box:
            let k = w / 2
            let mean = (0..<nAct).flatMap { r in stats[(r * w)..<(r * w + k)] }, logStd = (0..<nAct).flatMap { r in stats[(r * w + k)..<((r + 1) * w)] }
            try described(try g.write("policy_mean", mean, shape: [nAct, k], compression: level), "Gaussian mean μ " + at + behaviour.statistics + " (unclipped)")
            try described(try g.write("policy_log_std", logStd, shape: [nAct, k], compression: level), "Gaussian log σ " + at + behaviour.statistics, units: "log")
        }
        try described(try g.write("value", episodes.flatMap(\.values), compression: level), "value estimate of the step's state (the observation before the action): " + behaviour.value, units: "return")
        var ao: [Int64] = [0], oo: [Int64] = [0]
        for e in episodes { ao.append(ao.last! + Int64(e.length)); oo.append(oo.last! + Int64(e.length + 1)) }
        try described(try g.write("action_offsets", ao), "first row of each episode in actions/rewards/terminations/truncations (E+1 entries)", units: "rows")
        try described(try g.write("observation_offsets", oo), "first row of each episode in observations (E+1 entries; = action_offsets + episode number)", units: "rows")
        try described(try g.write("episode_index", episodes.map(\.index)),
                      kind == "eval" ? "number of the evaluation episode among those recorded (0-based)" : "number of the training episode among all the run's finished ones (0-based, = its row in /episodes)")
        try described(try g.write("env_index", episodes.map(\.envIndex)), "training copy that ran the episode (random stream trainingStream(seed, copy)); -1 for evaluation")
        try described(try g.write("seed", [Int64](repeating: Int64(seed), count: episodes.count)), "the run's seed (evaluation episodes use its evaluation stream)")
        try described(try g.write("start_step", episodes.map(\.startStep)),
                      kind == "eval" ? "training env steps (all copies) at the evaluation" : "env step counter (all copies) when the episode's first observation was made",
                      units: "env steps")
        if kind == "eval" { try described(try g.write("eval_round", episodes.map(\.evalRound)), "evaluation round (row of /curve)") }
        try described(try g.write("return", episodes.map { $0.rewards.reduce(0, +) }), "undiscounted episode return", units: "return")
        try described(try g.write("length", episodes.map { Int32($0.length) }), "episode length", units: "env steps")
    }

    // MARK: checkpoints

    /// The recorder's state as checkpoint tables (`traj_eval`, `traj_train`, `traj_last`,
    /// `traj_open`, `traj_state`), all exact in Double.
    var checkpointTables: [String: [String: [Double]]] {
        func table(_ eps: [RecordedEpisode]) -> [String: [Double]] {
            ["index": eps.map { Double($0.index) }, "env_index": eps.map { Double($0.envIndex) },
             "start_step": eps.map { Double($0.startStep) }, "eval_round": eps.map { Double($0.evalRound) },
             "length": eps.map { Double($0.length) },
             "observations": eps.flatMap { $0.observations.map(Double.init) }, "actions": eps.flatMap { $0.actions.map(Double.init) },
             "rewards": eps.flatMap(\.rewards), "terminations": eps.flatMap { $0.terminations.map(Double.init) },
             "truncations": eps.flatMap { $0.truncations.map(Double.init) },
             "statistics": eps.flatMap { $0.statistics.map(Double.init) }, "values": eps.flatMap { $0.values.map(Double.init) }]
        }
        let rows = trainVectors.map(\.behaviour)
        return ["traj_eval": table(eval), "traj_train": table(train), "traj_last": table(last), "traj_open": table(trainVectors.flatMap(\.sink.open)),
                "traj_pending": ["rows": rows.flatMap { $0.rows.map(Double.init) }, "values": rows.flatMap { $0.values.map(Double.init) },
                                 "fresh": rows.flatMap { $0.fresh.map { $0 ? 1.0 : 0.0 } }],
                "traj_state": ["counters": [Double(trainFinished)]]]
    }

    /// Puts back the state `checkpointTables` saved (after the agent, whose restore leaves the open episodes alone).
    func restore(_ tables: [String: [String: [Double]]]) throws {
        func episodes(_ name: String) throws -> [RecordedEpisode] {
            guard let t = tables[name], let len = t["length"], let idx = t["index"], let env = t["env_index"], let st = t["start_step"],
                  let er = t["eval_round"], let obs = t["observations"], let act = t["actions"], let rew = t["rewards"],
                  let term = t["terminations"], let trunc = t["truncations"], let stats = t["statistics"], let vals = t["values"]
            else { throw CheckpointError("checkpoint has no recorded-trajectory table \(name)") }
            var out: [RecordedEpisode] = []
            var (o, a, r) = (0, 0, 0)
            let d = evalSink.obsSize, k = evalSink.actionSize, w = statisticsWidth
            for e in len.indices {
                let n = Int(len[e])
                var ep = RecordedEpisode(index: Int64(idx[e]), envIndex: Int64(env[e]), startStep: Int64(st[e]), evalRound: Int64(er[e]))
                guard o + (n + 1) * d <= obs.count, a + n * k <= act.count, r + n <= rew.count, (r + n) * w <= stats.count, r + n <= vals.count
                else { throw CheckpointError("checkpoint table \(name) is inconsistent") }
                ep.observations = obs[o..<(o + (n + 1) * d)].map { Float($0) }
                ep.actions = act[a..<(a + n * k)].map { Float($0) }
                ep.rewards = Array(rew[r..<(r + n)])
                ep.terminations = term[r..<(r + n)].map { Int8($0) }
                ep.truncations = trunc[r..<(r + n)].map { Int8($0) }
                ep.statistics = stats[(r * w)..<((r + n) * w)].map { Float($0) }
                ep.values = vals[r..<(r + n)].map { Float($0) }
                o += (n + 1) * d; a += n * k; r += n
                out.append(ep)
            }
            return out
        }
        eval = try episodes("traj_eval"); train = try episodes("traj_train"); last = try episodes("traj_last")
        let open = try episodes("traj_open")
        let copies = trainVectors.reduce(0) { $0 + $1.count }
        guard open.count == copies else { throw CheckpointError("checkpoint has \(open.count) open recorded episodes for \(copies) copies") }
        guard let pr = tables["traj_pending"]?["rows"], let pv = tables["traj_pending"]?["values"], let pf = tables["traj_pending"]?["fresh"],
              pr.count == copies * statisticsWidth, pv.count == copies, pf.count == copies
        else { throw CheckpointError("checkpoint has no pending behaviour statistics for \(copies) copies") }
        var c0 = 0
        for v in trainVectors {
            let n = v.count
            v.sink.open = Array(open[c0..<(c0 + n)])
            v.behaviour.rows = pr[(c0 * statisticsWidth)..<((c0 + n) * statisticsWidth)].map { Float($0) }
            v.behaviour.values = pv[c0..<(c0 + n)].map { Float($0) }
            v.behaviour.fresh = pf[c0..<(c0 + n)].map { $0 != 0 }
            c0 += n
        }
        guard let c = tables["traj_state"]?["counters"], c.count == 1 else { throw CheckpointError("checkpoint has no recorder counters") }
        trainFinished = Int64(c[0])
    }
}
