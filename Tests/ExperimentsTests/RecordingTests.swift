import Agents
import Environments
import Experiments
import Foundation
import HDF5
import NN
import XCTest

/// Recorded trajectories (`record`): recording changes no training bit, records the same bytes
/// twice, survives a stop and resume without losing or duplicating an episode, and `record` is
/// validated with JSON paths and kept out of the run id unless set.
final class RecordingTests: XCTestCase {
    func tempDir() -> URL { FileManager.default.temporaryDirectory.appendingPathComponent("rlexp-rec-\(UUID().uuidString)") }

    func config(_ record: String?, algo: String = "a2c", env: String = "CartPole-v1", every: Int = 1000, hp: String = "", total: Int = 4000) throws -> RunConfig {
        try Spec.decode(try JSONParser.parse("""
            {"name": "rec", "env": "\(env)", "algo": "\(algo)", "total_steps": \(total), "seeds": 1, "checkpoint_every": \(every),
             "eval": {"interval": 1000, "episodes": 2}, "hyperparameters": {\(hp)}\(record.map { ", \"record\": \($0)" } ?? "")}
            """), file: "rec.json", fallbackName: "rec").expand()[0]
    }

    /// Every dataset under `group` (recursively), as Doubles, except the wall-clock columns.
    func datasets(_ path: URL, under group: String) throws -> [String: [Double]] {
        let f = try H5File.open(path.path)
        defer { f.close() }
        var out: [String: [Double]] = [:]
        func walk(_ g: H5Group, _ prefix: String) throws {
            for name in try g.memberNames() {
                if g.isGroup(name) { try walk(try g.openGroup(name), prefix + name + "/"); continue }
                let d = try g.openDataset(name)
                if (try? d.attribute("wall_clock", as: Int8.self)) == 1 { continue }
                out[prefix + name] = try d.read(as: Double.self)
            }
        }
        try walk(try f.root.openGroup(group), group + "/")
        return out
    }

    /// The same datasets with the same bits (NaN equal to NaN), naming the first that differs.
    func assertBitIdentical(_ a: [String: [Double]], _ b: [String: [Double]], _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.keys.sorted(), b.keys.sorted(), what, file: file, line: line)
        for k in a.keys.sorted() where a[k]!.map(\.bitPattern) != (b[k] ?? []).map(\.bitPattern) {
            XCTFail("\(what): \(k) differs", file: file, line: line); return
        }
    }

    /// Runs `plain` into `dirs[0]` and `rec` into each further folder; checks that recording changed
    /// no training dataset; returns the run.h5 paths.
    func runPlainAndRecorded(_ plain: RunConfig, _ rec: RunConfig, dirs: [URL], _ what: String, file: StaticString = #filePath, line: UInt = #line) throws -> [URL] {
        _ = try executeRun(plain, dir: dirs[0], provenance: Provenance(gitCommit: "test"))
        for d in dirs.dropFirst() { _ = try executeRun(rec, dir: d, provenance: Provenance(gitCommit: "test")) }
        let h5 = dirs.map { $0.appendingPathComponent("run.h5") }
        for g in ["curve", "updates", "episodes", "checkpoint"] {
            assertBitIdentical(try datasets(h5[0], under: g), try datasets(h5[1], under: g), "\(what): recording changed /\(g)", file: file, line: line)
        }
        return h5
    }

    func testRecordingIsBitNeutralAndReproducible() throws {
        let plain = try config(nil), rec = try config(#"{"eval": true, "train_every": 4, "train_last": 3}"#)
        let dirs = [tempDir(), tempDir(), tempDir()]
        defer { for d in dirs { try? FileManager.default.removeItem(at: d) } }
        let h5 = try runPlainAndRecorded(plain, rec, dirs: dirs, "a2c")
        let t1 = try datasets(h5[1], under: "trajectories"), t2 = try datasets(h5[2], under: "trajectories")
        XCTAssertFalse(t1.isEmpty)
        assertBitIdentical(t1, t2, "the same spec and seed recorded different trajectories")
        // every recorded training episode is its row of /episodes; eval: 2 episodes per /curve row
        let ep = try datasets(h5[1], under: "episodes"), curve = try datasets(h5[1], under: "curve")
        let idx = t1["trajectories/train/episode_index"]!.map(Int.init), ret = t1["trajectories/train/return"]!
        let n = ep["episodes/return"]!.count
        XCTAssertEqual(idx, Array(Set(Array(stride(from: 3, to: n, by: 4)) + Array((n - 3)..<n))).sorted())
        for (k, i) in idx.enumerated() { XCTAssertEqual(ret[k], ep["episodes/return"]![i], accuracy: 1e-9) }
        XCTAssertEqual(t1["trajectories/eval/return"]!.count, 2 * curve["curve/step"]!.count)
        let ao = t1["trajectories/train/action_offsets"]!, oo = t1["trajectories/train/observation_offsets"]!
        XCTAssertEqual(zip(ao, oo).map { $1 - $0 }, (0..<ao.count).map(Double.init), "one more observation than actions per episode")
        XCTAssertEqual(t1["trajectories/train/observations"]!.count, Int(oo.last!) * 4)
    }

    /// Every algorithm (and each async method): recording changes no training bit, and the statistics
    /// and value estimate of every recorded step are those of that step's observation.
    ///
    /// The learning rate is 1e-10, so θ moves by less than 1e-9 over the run: the behaviour policy of
    /// every training step is then, within 1e-5, the initial network's, which a freshly built agent
    /// of the same seed gives through `greedyAction(_:into:observer:)` at the recorded observation. A
    /// row recorded one step off, or for the wrong copy, is another observation's and differs.
    func testBehaviourStatisticsOfEveryAlgorithm() throws {
        let cases: [(algo: String, env: String, hp: String)] = [
            ("a2c", "CartPole-v1", #""nenvs": 4"#), ("a2c", "CartPole-v1", #""nenvs": 2, "shared_trunk": false"#),
            ("acer", "CartPole-v1", #""nenvs": 4, "nsteps": 10, "replay_start": 200, "buffer_size": 2000"#),
            ("acer", "Pendulum-v1", #""nenvs": 2, "nsteps": 10, "replay_start": 200, "buffer_size": 2000"#),
            ("ppo", "CartPole-v1", #""nenvs": 2, "nsteps": 128, "batch_size": 64, "n_epochs": 2"#),
            ("ppo", "Pendulum-v1", #""nenvs": 2, "nsteps": 200, "batch_size": 100, "n_epochs": 2"#),
            ("async", "CartPole-v1", #""method": "a3c", "threads": 2"#), ("async", "Pendulum-v1", #""method": "a3c", "threads": 2"#),
            ("async", "CartPole-v1", #""method": "n_step_q", "threads": 2, "epsilon_anneal_steps": 1000"#),
            ("async", "CartPole-v1", #""method": "one_step_q", "threads": 2, "epsilon_anneal_steps": 1000"#),
            ("async", "CartPole-v1", #""method": "one_step_sarsa", "threads": 2, "epsilon_anneal_steps": 1000"#),
        ]
        for c in cases {
            let what = "\(c.algo) \(c.env) \(c.hp)"
            let hp = c.hp + #", "lr": 1e-10"#, total = c.env == "Pendulum-v1" ? 2000 : 3000
            let plain = try config(nil, algo: c.algo, env: c.env, hp: hp, total: total)
            let rec = try config(#"{"eval": true, "train_every": 1}"#, algo: c.algo, env: c.env, hp: hp, total: total)
            let dirs = [tempDir(), tempDir()]
            defer { for d in dirs { try? FileManager.default.removeItem(at: d) } }
            let h5 = try runPlainAndRecorded(plain, rec, dirs: dirs, what)
            let t = try datasets(h5[1], under: "trajectories"), ep = try datasets(h5[1], under: "episodes")
            XCTAssertEqual(t["trajectories/train/return"]!, ep["episodes/return"]!, "\(what): train_every 1 records every training episode, in /episodes order")
            let agent = try Algorithms.named(c.algo)!.make(AgentContext(envID: c.env, envOptions: rec.envOptions, seed: UInt64(rec.seed), totalSteps: total,
                                                                        hyperparameters: rec.hyperparameters))
            let spec = Environments.spec(c.env)!, d = spec.observation.size
            let continuous = spec.action.discreteCount == nil, isQ = c.hp.contains("_q") || c.hp.contains("sarsa")
            for kind in ["train", "eval"] {
                let obs = t["trajectories/\(kind)/observations"]!, ao = t["trajectories/\(kind)/action_offsets"]!.map(Int.init)
                let value = t["trajectories/\(kind)/value"]!, actions = t["trajectories/\(kind)/actions"]!
                let stats: [Double], w: Int
                if continuous {
                    let m = t["trajectories/\(kind)/policy_mean"]!, l = t["trajectories/\(kind)/policy_log_std"]!, k = m.count / value.count
                    w = 2 * k
                    var rows: [Double] = []
                    for r in 0..<value.count {
                        let range = (r * k)..<((r + 1) * k)
                        rows += m[range]
                        rows += l[range]
                    }
                    stats = rows
                } else {
                    stats = t["trajectories/\(kind)/policy_probs"]!; w = spec.action.discreteCount!
                }
                XCTAssertEqual(stats.count, value.count * w, "\(what) \(kind): one row of statistics per step")
                XCTAssertFalse(stats.contains { $0.isNaN } || value.contains { $0.isNaN }, "\(what) \(kind): a step without statistics")
                XCTAssertGreaterThan(value.count, 0, "\(what) \(kind)")
                let capture = Capture(width: w)
                var worst = 0.0
                for e in 0..<(ao.count - 1) {
                    for r in ao[e]..<ao[e + 1] {
                        let o = (r + e) * d   // observation row of step r: episode e has e final observations before it
                        var x = obs[o..<(o + d)].map { Float($0) }, a = [Float](repeating: 0, count: spec.action.dimension)
                        x.withUnsafeMutableBufferPointer { xb in a.withUnsafeMutableBufferPointer { agent.greedyAction(xb.baseAddress!, into: $0.baseAddress!, observer: capture) } }
                        worst = max(worst, abs(Double(capture.value) - value[r]))
                        let row = Array(stats[(r * w)..<((r + 1) * w)])
                        if isQ && kind == "train" {   // ε-greedy on the same Q: the first argmax gets the most, the others ε/n each
                            let best = capture.row.firstIndex(of: capture.row.max()!)!
                            XCTAssertEqual(row.firstIndex(of: row.max()!), best, "\(what) step \(r): ε-greedy mass not on argmax Q")
                            XCTAssertEqual(row.reduce(0, +), 1, accuracy: 1e-5, "\(what) step \(r)")
                            XCTAssertEqual(Set(row.enumerated().filter { $0.offset != best }.map(\.element)).count, 1, "\(what) step \(r): non-greedy actions differ")
                        } else {
                            for j in 0..<w { worst = max(worst, abs(Double(capture.row[j]) - row[j])) }
                        }
                        if kind == "eval" && !continuous { XCTAssertEqual(Int(actions[r]), row.firstIndex(of: row.max()!), "\(what): greedy action is not argmax of its probabilities") }
                    }
                }
                XCTAssertLessThan(worst, 1e-5, "\(what) \(kind): recorded statistics or values are not those of the step's observation")
            }
        }
    }

    /// Threads mode: every training episode is recorded, each with statistics on every step (the order
    /// is the threads' and not reproducible, so the returns are compared as multisets).
    func testAsyncThreadsRecordTraining() throws {
        let cfg = try config(#"{"train_every": 1}"#, algo: "async", hp: #""method": "a3c", "threads": 2, "execution": "threads", "report_interval": 500"#)
        let d = tempDir()
        defer { try? FileManager.default.removeItem(at: d) }
        _ = try executeRun(cfg, dir: d, provenance: Provenance(gitCommit: "test"))
        let t = try datasets(d.appendingPathComponent("run.h5"), under: "trajectories"), ep = try datasets(d.appendingPathComponent("run.h5"), under: "episodes")
        XCTAssertEqual(t["trajectories/train/return"]!.sorted(), ep["episodes/return"]!.sorted())
        XCTAssertEqual(Set(t["trajectories/train/env_index"]!), [0, 1])
        let p = t["trajectories/train/policy_probs"]!
        XCTAssertEqual(p.count, 2 * t["trajectories/train/rewards"]!.count)
        XCTAssertFalse(p.contains { $0.isNaN } || t["trajectories/train/value"]!.contains { $0.isNaN })
    }

    func testStopAndResumeRecordsTheSameEpisodes() throws {
        try stopAndResume(try config(#"{"eval": true, "train_every": 3, "train_last": 5}"#, every: 500))
        // one-step Sarsa hands over the statistics of a segment's first action in the segment before (kept in the checkpoint)
        try stopAndResume(try config(#"{"eval": true, "train_every": 1}"#, algo: "async", every: 500,
                                     hp: #""method": "one_step_sarsa", "threads": 2, "epsilon_anneal_steps": 1000"#))
    }

    func stopAndResume(_ cfg: RunConfig) throws {
        let whole = tempDir(), cut = tempDir()
        defer { for d in [whole, cut] { try? FileManager.default.removeItem(at: d) }; StopSignal.reset() }
        _ = try executeRun(cfg, dir: whole, provenance: Provenance(gitCommit: "test"))
        StopSignal.reset()
        XCTAssertThrowsError(try executeRun(cfg, dir: cut, provenance: Provenance(gitCommit: "test")) { p in
            if p.step >= 2000 { StopSignal.request() }
        }) { e in XCTAssertTrue(e is RunInterrupted, "\(e)") }
        StopSignal.reset()
        XCTAssertFalse(checkpointFiles(in: cut).isEmpty)
        _ = try executeRun(cfg, dir: cut, provenance: Provenance(gitCommit: "test"), start: RunStart(resume: true))
        assertBitIdentical(try datasets(whole.appendingPathComponent("run.h5"), under: "trajectories"),
                           try datasets(cut.appendingPathComponent("run.h5"), under: "trajectories"), "stop and resume changed the trajectories")
    }

    func testContinuousTrainingRecording() throws {
        let cfg = try config(#"{"train_every": 1}"#, algo: "ppo", env: "Pendulum-v1", hp: #""nenvs": 2, "nsteps": 200"#)
        let d = tempDir()
        defer { try? FileManager.default.removeItem(at: d) }
        _ = try executeRun(cfg, dir: d, provenance: Provenance(gitCommit: "test"))
        let t = try datasets(d.appendingPathComponent("run.h5"), under: "trajectories"), ep = try datasets(d.appendingPathComponent("run.h5"), under: "episodes")
        XCTAssertNil(t["trajectories/eval/return"], "eval not asked for")
        XCTAssertEqual(t["trajectories/train/return"]!, ep["episodes/return"]!, "train_every 1 records every training episode")
        XCTAssertEqual(t["trajectories/train/actions"]!.count, t["trajectories/train/rewards"]!.count)
    }

    func testRecordValidationAndRunID() throws {
        XCTAssertEqual(try config(nil).runID, try config(nil).runID)
        XCTAssertNotEqual(try config(nil).runID, try config(#"{"eval": true}"#).runID, "a recording run must not share the unrecorded one's folder")
        XCTAssertEqual(try config(nil).runID, try config("{}").runID, "an empty record is no record")
        func problems(_ record: String, algo: String = "a2c") -> [String] {
            do { _ = try config(record, algo: algo); return [] } catch let e as SpecError { return e.problems } catch { return ["\(error)"] }
        }
        XCTAssertTrue(problems(#"{"eval": 1}"#).contains { $0.hasPrefix("$.record.eval: expected true or false") }, "\(problems(#"{"eval": 1}"#))")
        XCTAssertTrue(problems(#"{"train_every": -1}"#).contains { $0.hasPrefix("$.record.train_every: expected an integer") })
        XCTAssertTrue(problems(#"{"train_lats": 3}"#).contains { $0.hasPrefix("$.record") && $0.contains("train_lats") })
        XCTAssertTrue(problems(#"[1]"#).contains { $0.hasPrefix("$.record: expected an object") })
        XCTAssertTrue(problems(#"{"train_every": 2}"#, algo: "async").isEmpty, "async records training episodes too")
        XCTAssertTrue(problems(#"{"eval": true}"#, algo: "async").isEmpty)
    }
}

/// Keeps the last row an agent handed over, as probabilities (categorical) or (μ, log σ).
final class Capture: BehaviourObserver {
    let width: Int
    var row: [Float] = [], value: Float = .nan
    init(width: Int) { self.width = width }
    func observe(copy: Int, _ form: BehaviourStatistics, _ r: UnsafePointer<Float>, value: Float) {
        self.value = value
        row = (0..<width).map { form == .logProbabilities ? DetMath.expf(r[$0]) : r[$0] }
    }
}
