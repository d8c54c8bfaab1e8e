import Environments
import Experiments
import Foundation
import XCTest

let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

func decode(_ text: String) throws -> Spec {
    try Spec.decode(try JSONParser.parse(text), file: "test.json", fallbackName: "test")
}

func problems(_ text: String) -> [String] {
    do { _ = try decode(text); return [] } catch let e as SpecError { return e.problems } catch { return ["\(error)"] }
}

final class SpecTests: XCTestCase {
    let minimal = #"{"env": "CartPole-v1", "algo": "a2c", "total_steps": 1000}"#

    /// A multi-part spec: each part is the top level with its keys put over it; runs are labelled
    /// by part, problems name the part's path, labels must be distinct, `threshold` reaches the runs.
    func testMultiPartSpecs() throws {
        let s = try decode(#"""
            {"env": "Pendulum-v1", "total_steps": 20000, "seeds": 2, "threshold": -200,
             "parts": [{"algo": "ppo", "sweep": {"n_epochs": [2, 3]}},
                       {"algo": "async", "label": "a3c", "total_steps": 5000, "hyperparameters": {"threads": 3}},
                       {"env": "CartPole-v1", "algo": "a2c", "threshold": 400}]}
            """#)
        let runs = s.expand()
        XCTAssertEqual(runs.count, 2 * 2 + 2 + 2)
        XCTAssertEqual(s.parts.map(\.label), ["ppo", "a3c", "a2c"])
        XCTAssertEqual(Set(runs.map(\.configLabel)), ["ppo: n_epochs=2", "ppo: n_epochs=3", "a3c", "a2c"])
        XCTAssertEqual(Set(runs.map(\.runID)).count, runs.count, "run ids collide across parts")
        XCTAssertEqual(runs.filter { $0.algo == "async" }.map(\.totalSteps), [5000, 5000])
        XCTAssertEqual(runs.filter { $0.algo == "async" }.map { $0.hyperparameters.int("threads") }, [3, 3])
        XCTAssertEqual(runs.filter { $0.env == "Pendulum-v1" }.compactMap(\.solveThreshold), [Double](repeating: -200, count: 6))
        XCTAssertEqual(runs.filter { $0.env == "CartPole-v1" }.compactMap(\.solveThreshold), [400, 400])
        XCTAssertEqual(Set(runs.map(\.specHash)).count, 1, "one spec hash for the whole spec")

        let p = problems(#"""
            {"env": "Pendulum-v1", "total_steps": 2000,
             "parts": [{"algo": "ppo", "hyperparameters": {"n_epochs": 0}}, {"algo": "async", "hyperparameters": {"method": "n_step_q"}},
                       {"algo": "ppo", "colour": 1}]}
            """#)
        XCTAssert(p.contains { $0.hasPrefix("$.parts[0].hyperparameters.n_epochs: expected an integer in 1...1000") }, "\(p)")
        XCTAssert(p.contains { $0.hasPrefix("$.env: \"Pendulum-v1\" has continuous actions") && $0.contains("async") }, "\(p)")
        XCTAssert(p.contains { $0.hasPrefix("$.parts[2]: unknown key \"colour\"") || $0.hasPrefix("$.parts[2].colour") }, "\(p)")
        XCTAssert(p.contains { $0.contains("\"ppo\" labels an earlier part too") }, "\(p)")
        XCTAssertFalse(problems(#"{"total_steps": 10, "parts": []}"#).isEmpty)
        XCTAssert(problems(#"{"env": "CartPole-v1", "algo": "a2c", "total_steps": 10, "threshold": "high"}"#).first?.hasPrefix("$.threshold: expected a number") ?? false)
    }

    /// A network kind is refused on observations it cannot take, with the JSON path (base or sweep)
    /// and what it needs; the Atari networks take no MinAtar grid, no vector, and MinAtar's takes no vector.
    func testNetworkKindsRefuseObservationsTheyCannotTake() throws {
        let minatar = #"MinAtar/Breakout-v1's are Box(0, 1, (10, 10, 4), uint8)"#
        XCTAssertEqual(problems(#"{"env": "MinAtar/Breakout-v1", "algo": "a2c", "total_steps": 1000, "hyperparameters": {"network": "atari_cnn"}}"#),
                       [#"$.hyperparameters.network: network "atari_cnn" needs image observations [C, H, W] with H, W ≥ 20; "# + minatar])
        XCTAssertEqual(problems(#"{"env": "MinAtar/Breakout-v1", "algo": "acer", "total_steps": 1000, "hyperparameters": {"replay_ratio": 0}, "sweep": {"network": ["minatar_cnn", "nature_cnn"]}}"#),
                       [#"$.sweep.network: network "nature_cnn" needs image observations [C, H, W] with H, W ≥ 36; "# + minatar])
        let p = problems(#"{"env": "CartPole-v1", "algo": "async", "total_steps": 1000, "hyperparameters": {"network": "minatar_cnn"}}"#)
        XCTAssertEqual(p.count, 1)
        XCTAssertTrue(p[0].hasPrefix(#"$.hyperparameters.network: network "minatar_cnn" needs image observations [H, W, C] with H, W ≥ 3; CartPole-v1's are Box("#), "\(p)")
        XCTAssertEqual(problems(#"{"env": "MinAtar/Breakout-v1", "algo": "ppo", "total_steps": 100000, "hyperparameters": {"network": "minatar_cnn"}}"#), [])
    }

    func testMinimalSpecGetsDefaults() throws {
        let s = try decode(minimal)
        XCTAssertEqual(s.name, "test")
        XCTAssertEqual(s.seeds, [0])
        XCTAssertEqual(s.base["nsteps"]?.asInt, 5)
        XCTAssertEqual(s.base["lr"]?.asDouble, 7e-4)
        XCTAssertEqual(s.expand().count, 1)
    }

    func testUnknownKeyNamesPathAndSuggestsNearest() {
        let p = problems(#"{"env": "CartPole-v1", "algo": "a2c", "total_steps": 1000, "hyperparameters": {"ent_coeff": 0.1}}"#)
        XCTAssertEqual(p.count, 1)
        XCTAssertTrue(p[0].hasPrefix("$.hyperparameters: unknown hyperparameter of a2c \"ent_coeff\"; did you mean \"ent_coef\"?"), p[0])
        let q = problems(#"{"env": "CartPole-v1", "algo": "a2c", "total_step": 1000}"#)
        XCTAssertTrue(q.contains { $0.hasPrefix("$: unknown key \"total_step\"; did you mean \"total_steps\"?") }, "\(q)")
        XCTAssertTrue(q.contains { $0.hasPrefix("$.total_steps: missing") }, "\(q)")
    }

    func testWrongTypesAndRangesNameThePlace() {
        let p = problems(#"{"env": "CartPole-v1", "algo": "a2c", "total_steps": "lots", "seeds": -3, "hyperparameters": {"lr": "fast", "nsteps": 0, "gamma": 1.5, "activation": "sigmoid", "hidden": [64, -1]}}"#)
        let want = ["$.total_steps: expected an integer ≥ 1", "$.seeds: expected a seed count", "$.hyperparameters.lr: expected a number > 0",
                    "$.hyperparameters.nsteps: expected an integer in 1...100000, got 0", "$.hyperparameters.gamma: expected a number ≥ 0 and ≤ 1, got 1.5",
                    "$.hyperparameters.activation: expected one of \"tanh\", \"relu\"", "$.hyperparameters.hidden: expected a list of at least 1 integer(s) in 1...65536"]
        for w in want { XCTAssertTrue(p.contains { $0.hasPrefix(w) }, "missing problem starting \(w) in \(p)") }
        XCTAssertEqual(p.count, want.count, "\(p)")
    }

    func testSweepValidatesEachValueAndExpandsGridInFileOrder() throws {
        XCTAssertTrue(problems(#"{"env": "CartPole-v1", "algo": "a2c", "total_steps": 1000, "sweep": {"lr": [0.1, -1]}}"#)
            .contains { $0.hasPrefix("$.sweep.lr[1]: expected a number > 0") })
        XCTAssertTrue(problems(#"{"env": "CartPole-v1", "algo": "a2c", "total_steps": 1000, "sweep": {"lr": 0.1}}"#)
            .contains { $0.hasPrefix("$.sweep.lr: expected a non-empty list") })
        let s = try decode(#"{"env": "CartPole-v1", "algo": "a2c", "total_steps": 1000, "seeds": [3, 7], "sweep": {"nsteps": [5, 20], "lr": [0.1, 0.2, 0.3]}}"#)
        let runs = s.expand()
        XCTAssertEqual(runs.count, 12)
        XCTAssertEqual(runs.map(\.seed), Array(repeating: [3, 7], count: 6).flatMap { $0 })
        XCTAssertEqual(runs[0].configLabel, "lr=0.1", "nsteps=5 is the base value, so the label leaves it out")
        XCTAssertEqual(runs[11].configLabel, "nsteps=20, lr=0.3")
        XCTAssertEqual(runs[2].hyperparameters.double("lr"), 0.2)
        XCTAssertEqual(Set(runs.map(\.runID)).count, 12)
        XCTAssertEqual(Set(runs.map(\.configID)).count, 6)
        XCTAssertEqual(runs[0].configID, runs[1].configID)
    }

    func testListOfGridsIsAUnionWithoutDuplicates() throws {
        let s = try decode(#"{"env": "CartPole-v1", "algo": "acer", "total_steps": 1000, "seeds": 2, "hyperparameters": {"replay_start": 500}, "sweep": [{"replay_ratio": [0, 4]}, {"trust_region": [false]}, {"replay_ratio": [4, 8]}]}"#)
        let runs = s.expand()
        XCTAssertEqual(Set(runs.map(\.configLabel)), ["replay_ratio=0", "base", "trust_region=false", "replay_ratio=8"])
        XCTAssertEqual(runs.count, 8, "the base configuration (replay_ratio 4) appears in two grids but runs once per seed")
        XCTAssertTrue(problems(#"{"env": "CartPole-v1", "algo": "acer", "total_steps": 1000, "sweep": [{"c": [1]}, {"delta": [-1]}]}"#)
            .contains { $0.hasPrefix("$.sweep[1].delta[0]: expected a number ≥ 0") })
    }

    func testRunIDIsStableAndDependsOnResolvedConfigOnly() throws {
        let a = try decode(#"{"name": "x", "env": "CartPole-v1", "algo": "a2c", "total_steps": 1000, "hyperparameters": {"nsteps": 5}}"#).expand()[0]
        let b = try decode(#"{"name": "y", "env": "CartPole-v1", "algo": "a2c", "total_steps": 1000}"#).expand()[0]
        XCTAssertEqual(a.runID, b.runID, "an explicit default and an implicit one resolve to the same run")
        let c = try decode(#"{"env": "CartPole-v1", "algo": "a2c", "total_steps": 1001}"#).expand()[0]
        XCTAssertNotEqual(a.runID, c.runID)
        // pinned as literals: a change in how configurations hash would orphan every existing results folder
        XCTAssertEqual(a.runID, "s0-d6bf8f2d")
        XCTAssertEqual(c.runID, "s0-d6c28b2d")
        XCTAssertEqual(stableHash(""), "cbf29ce484222325")
        XCTAssertEqual(stableHash("a"), "af63dc4c8601ec8c", "FNV-1a-64 of \"a\" (the published test vector)")
        XCTAssertEqual(stableHash("foobar"), "85944171f73967e8", "FNV-1a-64 of \"foobar\" (the published test vector)")
    }

    /// The run ids of the committed smoke sweeps, as literal strings (the golden files refer to them).
    func testCommittedSmokeSpecRunIDsArePinned() throws {
        let acer = try Spec.load(path: repoRoot.appendingPathComponent("experiments/smoke/acer_sweep_smoke.json").path).expand()
        XCTAssertEqual(acer.map(\.runID), ["replay_ratio0_s0-c9ffac05", "replay_ratio0_s1-56b82709", "s0-4f0e2012", "s1-13bbb862",
                                            "trust_regionfalse_s0-8348d8a0", "trust_regionfalse_s1-63a1d99b",
                                            "bias_correctionfalse_s0-4d35821e", "bias_correctionfalse_s1-89cc2e0d",
                                            "retracefalse_s0-a0314b56", "retracefalse_s1-0d604815"])
        let a2c = try Spec.load(path: repoRoot.appendingPathComponent("experiments/smoke/a2c_cartpole_smoke.json").path).expand()
        XCTAssertEqual(a2c.map(\.runID), ["s0-025cb918", "s1-8ba7674c"])
    }

    /// Rules over several fields run on every expanded configuration and name each field's JSON path.
    func testCrossFieldRulesNameEveryFieldInvolved() {
        let acer = #"{"env": "CartPole-v1", "algo": "acer", "total_steps": 20000, "hyperparameters": {"replay_start": 6000, "buffer_size": 5000}}"#
        XCTAssertEqual(problems(acer), ["$.hyperparameters.replay_start, $.hyperparameters.buffer_size, $.hyperparameters.nenvs (default), $.hyperparameters.nsteps (default), $.hyperparameters.replay_ratio (default): replay_start 6000 > 4960, the env steps the buffer can hold (buffer_size 5000 in whole segments of nenvs·nsteps = 160): replay would never start"])
        // whole segments: 4960 is held, 4961 is not
        XCTAssertEqual(problems(#"{"env": "CartPole-v1", "algo": "acer", "total_steps": 20000, "hyperparameters": {"replay_start": 4960, "buffer_size": 5000}}"#), [])
        XCTAssertEqual(problems(#"{"env": "CartPole-v1", "algo": "acer", "total_steps": 20000, "hyperparameters": {"replay_start": 4961, "buffer_size": 5000}}"#).count, 1)
        // on-policy ACER never replays, so the rule does not apply
        XCTAssertEqual(problems(#"{"env": "CartPole-v1", "algo": "acer", "total_steps": 20000, "hyperparameters": {"replay_ratio": 0, "replay_start": 6000, "buffer_size": 5000}}"#), [])
        // a swept value is named by its place in the sweep, and only the configurations that break the rule are reported
        let swept = problems(#"{"env": "CartPole-v1", "algo": "acer", "total_steps": 20000, "hyperparameters": {"replay_start": 3000, "buffer_size": 5000}, "sweep": [{"nsteps": [20, 40]}, {"buffer_size": [2000, 8000]}]}"#)
        guard swept.count == 1 else { return XCTFail("expected one problem, got \(swept)") }
        XCTAssertTrue(swept[0].hasPrefix("$.hyperparameters.replay_start, $.sweep[1].buffer_size, $.hyperparameters.nenvs (default), "), swept[0])
        XCTAssertTrue(swept[0].hasSuffix("(configuration buffer_size=2000)"), swept[0])
        XCTAssertEqual(problems(#"{"env": "CartPole-v1", "algo": "acer", "total_steps": 20000, "hyperparameters": {"buffer_size": 100, "replay_start": 0}}"#),
                       ["$.hyperparameters.nenvs (default), $.hyperparameters.nsteps (default), $.hyperparameters.buffer_size: buffer_size 100 < nenvs·nsteps = 8·20 = 160: the buffer cannot hold one segment of every stream"])
        XCTAssertEqual(problems(#"{"env": "CartPole-v1", "algo": "acer", "total_steps": 5000, "hyperparameters": {"replay_start": 5000}}"#),
                       ["$.hyperparameters.replay_start, $.total_steps, $.hyperparameters.replay_ratio (default): replay_start 5000 ≥ total_steps 5000: replay would never start within the budget (set replay_ratio 0 for on-policy ACER)"])
        XCTAssertEqual(problems(#"{"env": "CartPole-v1", "algo": "a2c", "total_steps": 30, "eval": {"interval": 10}}"#),
                       ["$.hyperparameters.nenvs (default), $.hyperparameters.nsteps (default), $.total_steps: total_steps 30 < nenvs·nsteps = 8·5 = 40: not one update fits in the budget"])
        XCTAssertEqual(problems(#"{"env": "CartPole-v1", "algo": "a2c", "total_steps": 1000, "eval": {"interval": 5000}}"#),
                       ["$.eval.interval, $.total_steps: eval interval 5000 > total_steps 1000: only the evaluations at step 0 and at the end would run"])
    }

    /// A seeded random search expands to the same values every time, inside its range, and differs
    /// with `search_seed`.
    func testRandomSearchIsSeededAndValidated() throws {
        let text = #"{"env": "CartPole-v1", "algo": "async", "total_steps": 1000, "search_seed": SEED, "sweep": {"method": ["a3c", "n_step_q"], "lr": {"log_uniform": [1e-4, 1e-2], "samples": 50}}}"#
        let a = try decode(text.replacingOccurrences(of: "SEED", with: "0")).expand()
        let b = try decode(text.replacingOccurrences(of: "SEED", with: "0")).expand()
        let c = try decode(text.replacingOccurrences(of: "SEED", with: "1")).expand()
        XCTAssertEqual(a.count, 100, "2 methods × 50 learning rates")
        XCTAssertEqual(a.map(\.runID), b.map(\.runID))
        XCTAssertNotEqual(a.map(\.runID), c.map(\.runID))
        let lrs = a.map { $0.hyperparameters.double("lr") }
        XCTAssertTrue(lrs.allSatisfy { $0 >= 1e-4 && $0 <= 1e-2 })
        XCTAssertEqual(Set(lrs).count, 50, "each method gets the same 50 learning rates")
        // log-uniform: about half of the draws below the geometric midpoint 1e-3 (50 draws: 4σ ≈ 14)
        XCTAssertEqual(Double(Set(lrs).filter { $0 < 1e-3 }.count), 25, accuracy: 14)
        XCTAssertEqual(problems(#"{"env": "CartPole-v1", "algo": "async", "total_steps": 1000, "sweep": {"lr": {"log_uniform": [1e-4, 20], "samples": 3}}}"#),
                       ["$.sweep.lr.log_uniform: the range's high end 20 is outside what lr accepts (a number > 0 and ≤ 10)"])
        XCTAssertEqual(problems(#"{"env": "CartPole-v1", "algo": "async", "total_steps": 1000, "sweep": {"threads": {"uniform": [1, 4], "samples": 8}}}"#), [])
        let ints = try decode(#"{"env": "CartPole-v1", "algo": "async", "total_steps": 1000, "sweep": {"threads": {"uniform": [1, 4], "samples": 8}}}"#).expand()
        XCTAssertTrue(ints.allSatisfy { (1...3).contains($0.hyperparameters.int("threads")) }, "integers are rounded down")
    }

    func testInvalidJSONAndMissingFile() {
        XCTAssertTrue(problems(#"{"env": "CartPole-v1",}"#).isEmpty == false)
        do { _ = try Spec.load(path: "/nonexistent/spec.json"); XCTFail() } catch let e as SpecError {
            XCTAssertTrue(e.problems[0].hasPrefix("no such file"))
        } catch { XCTFail("\(error)") }
        XCTAssertThrowsError(try JSONParser.parse("{\"a\": 1,\n \"a\": 2}")) { e in
            XCTAssertEqual((e as? JSONSyntaxError)?.line, 2)
        }
        XCTAssertThrowsError(try JSONParser.parse("[1, 2,]"))
        XCTAssertEqual(try JSONParser.parse("[1, 1.0, true, \"x\\n\"]"), .array([.int(1), .number(1), .bool(true), .string("x\n")]))
    }

    /// Every committed spec decodes, and the committed JSON Schema is exactly what the decoder's
    /// tables generate (so the two cannot drift; `make schema` regenerates it).
    func testCommittedSpecsDecodeAndSchemaIsInStep() throws {
        let dir = repoRoot.appendingPathComponent("experiments")
        let files = try FileManager.default.subpathsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".json") && $0 != "schema.json" }
        XCTAssertFalse(files.isEmpty)
        for f in files { XCTAssertNoThrow(try Spec.load(path: dir.appendingPathComponent(f).path), f) }
        let committed = try String(contentsOf: dir.appendingPathComponent("schema.json"), encoding: .utf8)
        XCTAssertEqual(committed, specJSONSchema().pretty() + "\n", "experiments/schema.json is stale: run `make schema`")
    }
}

/// `env_kwargs`: validated against the environment's options, defaults left out of the run id,
/// and passed to every environment copy of the run.
final class EnvKwargsTests: XCTestCase {
    func spec(_ kwargs: String) throws -> Spec {
        try Spec.decode(try JSONParser.parse("""
            {"name": "ek", "env": "MinAtar/Breakout-v1", \(kwargs) "algo": "a2c", "total_steps": 1000,
             "hyperparameters": {"network": "minatar_cnn", "hidden": [16], "activation": "relu"}}
            """), file: "ek.json", fallbackName: "ek")
    }

    func testDefaultsDoNotChangeRunIDsAndOtherValuesDo() throws {
        let plain = try spec("").expand()[0]
        let explicitDefaults = try spec(#""env_kwargs": {"sticky_action_prob": 0.1, "difficulty_ramping": true},"#).expand()[0]
        let noSticky = try spec(#""env_kwargs": {"sticky_action_prob": 0},"#).expand()[0]
        XCTAssertEqual(plain.runID, explicitDefaults.runID)
        XCTAssertTrue(explicitDefaults.envOptions.isEmpty)
        XCTAssertNotEqual(plain.runID, noSticky.runID)
        XCTAssertEqual(noSticky.envOptions, ["sticky_action_prob": .number(0)])
    }

    func testBadOptionsAreReportedWithTheirPath() {
        for (kwargs, expect) in [(#""env_kwargs": {"sticky": 0.1},"#, "$.env_kwargs: unknown option"),
                                 (#""env_kwargs": {"sticky_action_prob": 2},"#, "$.env_kwargs.sticky_action_prob: expected a number in [0, 1]"),
                                 (#""env_kwargs": {"difficulty_ramping": 1},"#, "$.env_kwargs.difficulty_ramping: expected true or false"),
                                 (#""env_kwargs": [1],"#, "$.env_kwargs: expected an object")] {
            XCTAssertThrowsError(try spec(kwargs), kwargs) { e in
                XCTAssertTrue("\(e)".contains(expect), "\(kwargs): \(e)")
            }
        }
    }

    func testStickyProbabilityReachesTheEnvironment() throws {
        // with p = 0 the effective action is always the chosen one; with p = 1 it never changes from 0
        for (p, expectSticky) in [(0.0, false), (1.0, true)] {
            let v = try Environments.makeVector("MinAtar/Breakout-v0", options: ["sticky_action_prob": .number(p)], seed: 1, copies: 1)
            let envs = (v as! VectorEnv).envs
            var env = envs[0] as! MinAtarGymEnvironment<Breakout>
            var o = [Float](repeating: 0, count: 400)
            o.withUnsafeMutableBufferPointer { env.reset(into: $0.baseAddress!) }
            var repeated = 0
            for t in 0..<50 {
                let a = [1, 3][t % 2]
                let r = o.withUnsafeMutableBufferPointer { env.step(a, into: $0.baseAddress!) }
                if env.env.lastAction != a { repeated += 1 }
                if r.done { o.withUnsafeMutableBufferPointer { env.reset(into: $0.baseAddress!) } }
            }
            XCTAssertEqual(repeated > 0, expectSticky, "p = \(p): \(repeated) of 50 actions replaced")
        }
    }
}
