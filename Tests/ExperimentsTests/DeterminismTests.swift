import Agents
import Environments
import Experiments
import Foundation
import HDF5
import XCTest

/// Same spec + seed ⇒ the same bits in every reproducible dataset of every run.h5, whether the
/// sweep runs twice or with --jobs 1 or 2.
final class DeterminismTests: XCTestCase {
    func runSweep(_ spec: Spec, jobs: Int) throws -> URL {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("rlexp-det-\(UUID().uuidString)")
        try Experiments.runSweep(spec, options: SweepOptions(jobs: jobs, outDir: out), provenance: Provenance(gitCommit: "test"), observer: nil)
        return out
    }

    func digests(_ dir: URL, _ spec: Spec) throws -> [String: [String: String]] {
        var all: [String: [String: String]] = [:]
        for r in spec.expand() { all[r.runID] = try datasetDigests(dir.appendingPathComponent("runs/\(r.runID)/run.h5").path) }
        return all
    }

    func testBitIdenticalAcrossRepeatsAndJobCounts() throws {
        let spec = try Spec.decode(try JSONParser.parse("""
            {"name": "det", "env": "CartPole-v1", "algo": "a2c", "total_steps": 8000, "seeds": [0, 1],
             "eval": {"interval": 2000, "episodes": 3}, "sweep": {"nsteps": [5, 8]}}
            """), file: "det.json", fallbackName: "det")
        let a = try runSweep(spec, jobs: 1), b = try runSweep(spec, jobs: 2), c = try runSweep(spec, jobs: 1)
        defer { for d in [a, b, c] { try? FileManager.default.removeItem(at: d) } }
        let da = try digests(a, spec), db = try digests(b, spec), dc = try digests(c, spec)
        XCTAssertEqual(da.count, 4)
        for (run, d) in da {
            XCTAssertEqual(d, db[run], "run \(run): --jobs 1 and --jobs 2 differ")
            XCTAssertEqual(d, dc[run], "run \(run): two identical sweeps differ")
            for must in ["/updates/value_loss", "/updates/policy_entropy", "/episodes/return", "/curve/eval_return", "/checkpoint/params", "/checkpoint/optimizer_ms", "/checkpoint/rng_action"] {
                XCTAssertNotNil(d[must], "\(run) lacks \(must)")
            }
            XCTAssertNil(d["/curve/wall_s"], "wall-clock datasets must be left out of the comparison")
        }
        // a control: different seeds must not look alike (else this test could not fail)
        let bySeed = Dictionary(grouping: spec.expand(), by: \.seed)
        XCTAssertNotEqual(da[bySeed[0]![0].runID]!["/checkpoint/params"], da[bySeed[1]![0].runID]!["/checkpoint/params"])
    }

    /// ACER with the replay buffer in play (replay starts after the first segment, Poisson(4) replays).
    func testACERBitIdenticalWithReplay() throws {
        let spec = try Spec.decode(try JSONParser.parse("""
            {"name": "det_acer", "env": "CartPole-v1", "algo": "acer", "total_steps": 4800, "seeds": [0, 1],
             "eval": {"interval": 1600, "episodes": 2},
             "hyperparameters": {"nenvs": 4, "nsteps": 20, "replay_ratio": 4, "replay_start": 80, "buffer_size": 2000, "hidden": [32, 32]},
             "sweep": [{"trust_region": [true, false]}]}
            """), file: "det_acer.json", fallbackName: "det_acer")
        let a = try runSweep(spec, jobs: 1), b = try runSweep(spec, jobs: 2)
        defer { for d in [a, b] { try? FileManager.default.removeItem(at: d) } }
        let da = try digests(a, spec), db = try digests(b, spec)
        XCTAssertEqual(da.count, 4)
        for (run, d) in da {
            XCTAssertEqual(d, db[run], "run \(run): --jobs 1 and --jobs 2 differ")
            for must in ["/updates/avg_norm_adj", "/updates/loss_bc", "/checkpoint/replay_obs", "/checkpoint/avg_params", "/checkpoint/rng_replay"] {
                XCTAssertNotNil(d[must], "\(run) lacks \(must)")
            }
        }
        let f = try H5File.open(a.appendingPathComponent("runs/\(spec.expand()[0].runID)/run.h5").path)
        defer { f.close() }
        let replays = try f.root.read("updates/replay_updates", as: Double.self)
        XCTAssertGreaterThan(replays.reduce(0, +), 10, "the replay buffer was not used")
    }

    /// The conv net on MinAtar grids, for each algorithm: A2C, ACER (replaying image segments) and
    /// deterministic A3C, two job counts, the same bits.
    func testConvNetOnMinAtarBitIdenticalForEveryAlgorithm() throws {
        let spec = try Spec.decode(try JSONParser.parse("""
            {"name": "det_minatar", "env": "MinAtar/Breakout-v1", "algo": "a2c", "total_steps": 1600, "seeds": [0, 1],
             "eval": {"interval": 800, "episodes": 2},
             "hyperparameters": {"network": "minatar_cnn", "hidden": [16], "activation": "relu", "nenvs": 4, "nsteps": 5}}
            """), file: "det_minatar.json", fallbackName: "det_minatar")
        let acer = try Spec.decode(try JSONParser.parse("""
            {"name": "det_minatar_acer", "env": "MinAtar/SpaceInvaders-v1", "algo": "acer", "total_steps": 960, "seeds": [0],
             "eval": {"interval": 480, "episodes": 2},
             "hyperparameters": {"network": "minatar_cnn", "hidden": [16], "activation": "relu", "nenvs": 4, "nsteps": 8,
                                 "replay_ratio": 2, "replay_start": 64, "buffer_size": 500}}
            """), file: "det_minatar_acer.json", fallbackName: "det_minatar_acer")
        let a3c = try Spec.decode(try JSONParser.parse("""
            {"name": "det_minatar_a3c", "env": "MinAtar/Asterix-v1", "algo": "async", "total_steps": 1200, "seeds": [0],
             "eval": {"interval": 600, "episodes": 2},
             "hyperparameters": {"network": "minatar_cnn", "hidden": [16], "activation": "relu", "threads": 3}}
            """), file: "det_minatar_a3c.json", fallbackName: "det_minatar_a3c")
        for s in [spec, acer, a3c] {
            let a = try runSweep(s, jobs: 1), b = try runSweep(s, jobs: 2)
            defer { for d in [a, b] { try? FileManager.default.removeItem(at: d) } }
            let da = try digests(a, s), db = try digests(b, s)
            XCTAssertEqual(da.count, s.expand().count)
            for (run, d) in da {
                XCTAssertEqual(d, db[run], "\(s.name) run \(run): --jobs 1 and --jobs 2 differ")
                XCTAssertNotNil(d["/checkpoint/params"], "\(s.name) \(run) lacks its parameters")
            }
        }
    }

    /// The four asynchronous methods in deterministic mode (3 actor-learners, so the interleaving
    /// matters): two sweeps and --jobs 1 vs 2 give the same bits.
    func testAsyncMethodsBitIdenticalInDeterministicMode() throws {
        let spec = try Spec.decode(try JSONParser.parse("""
            {"name": "det_async", "env": "CartPole-v1", "algo": "async", "total_steps": 6000, "seeds": [0, 1],
             "eval": {"interval": 2000, "episodes": 2},
             "hyperparameters": {"threads": 3, "target_update": 500, "epsilon_anneal_steps": 1000, "hidden": [32]},
             "sweep": {"method": ["a3c", "n_step_q", "one_step_q", "one_step_sarsa"]}}
            """), file: "det_async.json", fallbackName: "det_async")
        let a = try runSweep(spec, jobs: 1), b = try runSweep(spec, jobs: 2), c = try runSweep(spec, jobs: 2)
        defer { for d in [a, b, c] { try? FileManager.default.removeItem(at: d) } }
        let da = try digests(a, spec), db = try digests(b, spec), dc = try digests(c, spec)
        XCTAssertEqual(da.count, 8)
        for (run, d) in da {
            XCTAssertEqual(d, db[run], "run \(run): --jobs 1 and --jobs 2 differ")
            XCTAssertEqual(d, dc[run], "run \(run): two identical sweeps differ")
            for must in ["/updates/loss", "/updates/segment_length", "/episodes/return", "/curve/eval_return", "/checkpoint/params",
                         "/checkpoint/optimizer_ms", "/checkpoint/learner_rng", "/checkpoint/learner_steps"] {
                XCTAssertNotNil(d[must], "\(run) lacks \(must)")
            }
            if !run.hasPrefix("s") { XCTAssertNotNil(d["/checkpoint/target_params"], "\(run): a Q method without θ⁻") }
        }
        let runs = spec.expand()
        XCTAssertNotEqual(da[runs[0].runID]!["/checkpoint/params"], da[runs[1].runID]!["/checkpoint/params"], "seeds 0 and 1 look alike")
    }

    /// Every registered algorithm, in every action space it acts in (CartPole-v1 for discrete,
    /// Pendulum-v1 for continuous actions), two seeds, --jobs 1 and 2: the same bits. An algorithm
    /// without a small configuration here fails the test, so a new one cannot be left out.
    func testEveryAlgorithmInEveryActionSpaceIsBitIdentical() throws {
        let small: [String: String] = [
            "a2c": #"{"nenvs": 4, "nsteps": 5, "hidden": [16]}"#,
            "acer": #"{"nenvs": 4, "nsteps": 10, "replay_ratio": 2, "replay_start": 80, "buffer_size": 800, "hidden": [16]}"#,
            "async": #"{"threads": 3, "hidden": [16]}"#,
            "ppo": #"{"nenvs": 2, "nsteps": 64, "batch_size": 48, "n_epochs": 2, "hidden": [16], "clip_range_vf": 0.5}"#,
        ]
        var covered: [String] = []
        for algo in Algorithms.all {
            guard let hp = small[algo.name] else { XCTFail("no small configuration for algorithm \(algo.name)"); continue }
            for kind in ActionSpace.Kind.allCases where algo.actionKinds.contains(kind) {
                let env = kind == .discrete ? "CartPole-v1" : "Pendulum-v1"
                let spec = try Spec.decode(try JSONParser.parse("""
                    {"name": "det_\(algo.name)_\(kind.rawValue)", "env": "\(env)", "algo": "\(algo.name)", "total_steps": 1600, "seeds": [0, 1],
                     "eval": {"interval": 800, "episodes": 2}, "hyperparameters": \(hp)}
                    """), file: "det.json", fallbackName: "det")
                let a = try runSweep(spec, jobs: 1), b = try runSweep(spec, jobs: 2)
                defer { for d in [a, b] { try? FileManager.default.removeItem(at: d) } }
                let da = try digests(a, spec), db = try digests(b, spec)
                XCTAssertEqual(da.count, 2)
                for (run, d) in da {
                    XCTAssertEqual(d, db[run], "\(algo.name) on \(env), run \(run): --jobs 1 and --jobs 2 differ")
                    XCTAssertNotNil(d["/checkpoint/params"], "\(algo.name) \(run) lacks its parameters")
                    XCTAssertNotNil(d["/updates/lr"], "\(algo.name) \(run) lacks its metrics")
                }
                let runs = spec.expand()
                XCTAssertNotEqual(da[runs[0].runID]!["/checkpoint/params"], da[runs[1].runID]!["/checkpoint/params"], "\(algo.name): seeds look alike")
                covered.append("\(algo.name)/\(kind.rawValue)")
            }
        }
        for must in ["a2c/discrete", "acer/discrete", "async/discrete", "async/continuous", "ppo/discrete", "ppo/continuous"] {
            XCTAssert(covered.contains(must), "\(must) not covered")
        }
    }

    func testCompleteRunsAreSkippedAndPartialFilesNeverLookComplete() throws {
        let spec = try Spec.decode(try JSONParser.parse("""
            {"name": "skip", "env": "CartPole-v1", "algo": "a2c", "total_steps": 2000, "seeds": 1, "eval": {"interval": 1000, "episodes": 1}}
            """), file: "skip.json", fallbackName: "skip")
        let out = try runSweep(spec, jobs: 1)
        defer { try? FileManager.default.removeItem(at: out) }
        let run = spec.expand()[0]
        let h5 = out.appendingPathComponent("runs/\(run.runID)/run.h5")
        XCTAssertTrue(runIsComplete(run, dir: h5.deletingLastPathComponent()))
        let before = try FileManager.default.attributesOfItem(atPath: h5.path)[.modificationDate] as! Date
        try Experiments.runSweep(spec, options: SweepOptions(jobs: 1, outDir: out), provenance: Provenance(gitCommit: "test"), observer: nil)
        let after = try FileManager.default.attributesOfItem(atPath: h5.path)[.modificationDate] as! Date
        XCTAssertEqual(before, after, "a complete run was re-run")
        // a truncated/corrupt run.h5 is not complete
        try Data("not hdf5".utf8).write(to: h5)
        XCTAssertFalse(runIsComplete(run, dir: h5.deletingLastPathComponent()))
        let manifest = try String(contentsOf: out.appendingPathComponent("manifest.json"), encoding: .utf8)
        XCTAssertTrue(manifest.contains("\"status\": \"complete\""))
    }
}
