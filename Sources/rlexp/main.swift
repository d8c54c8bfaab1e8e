import ArgumentParser
import Experiments
import Foundation
import Reports
import Agents
import NN

#if canImport(Glibc)
import Glibc
#endif

/// `rlexp`: run declarative sweeps of deep-RL experiments and report on them.
struct RLExp: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rlexp",
        abstract: "Reproduce deep-RL experiments (A2C, A3C family, ACER) from declarative sweep specs.",
        discussion: """
        A spec is a JSON file naming an environment, an algorithm, a step budget, hyperparameters and a \
        `sweep` grid (see experiments/schema.json and README.md). `rlexp SPEC` is short for `rlexp run SPEC`.

        Examples:
          rlexp experiments/a2c_cartpole.json            run the sweep on all cores, then write its report
          rlexp run experiments/a2c_cartpole.json --jobs 1 --out /tmp/a2c
          rlexp report results/a2c_cartpole              rebuild the report from the run.h5 files
          rlexp check results/a2c_cartpole_smoke         regression check against results/golden
          rlexp export results/a2c_cartpole              long-form CSVs of every run for pandas
          rlexp validate experiments/*.json              check specs without running anything
          rlexp bench                                    environment and training speed
          rlexp env check --reference ../shared/reference/reference.h5   built-in environments vs Python, bit for bit
          rlexp submit experiments/a3c_methods.json --slurm --time 00:30:00   one Slurm array task per run
          rlexp status results/a3c_methods               complete / failed / running / pending runs

        Exit status: 0 done (no regression); 1 a regression, failed runs or an I/O error; 2 bad input \
        (invalid spec, wrong option, not a results folder, a spec that differs from the folder's), with \
        nothing written; 3 the results folder or run is in use by another rlexp process; 130 stopped by \
        Ctrl-C (running runs checkpointed: the same command resumes).
        """,
        subcommands: [Run.self, Report.self, Check.self, Golden.self, Export.self, Validate.self, Schema.self, Bench.self, Env.self, Submit.self, Status.self],
        defaultSubcommand: Run.self
    )
}


/// One line on stderr when the training code was built without the optimiser (it is `-O` in every
/// configuration unless RLEXP_ONONE is set or rlexp is a version-pinned dependency; see Package.swift).
func warnIfUnoptimised() {
    guard !Experiments.Bench.trainingCodeIsOptimized else { return }
    FileHandle.standardError.write(Data("note: rlexp's training code was built without optimisation and trains tens of times slower; for full speed run `swift run -c release rlexp ...`\n".utf8))
}

/// rlexp's exit statuses (README, "Exit status"). Commands never call `exit()`: they throw, and
/// `runCLI` maps what they throw to one of these in one place.
enum ExitStatus: Int32 {
    /// Everything asked for was done; `check` found no regression.
    case ok = 0
    /// The input was fine but the outcome is not: a regression (`check`), runs that failed (`run`),
    /// or an I/O error while working.
    case failed = 1
    /// Bad input: an invalid spec, a folder that is not a results folder, a missing golden file, a
    /// wrong command-line option, a spec that differs from the one the folder was made with.
    /// Nothing was written.
    case badInput = 2
    /// The results folder (or the run) is locked by another rlexp process.
    case busy = 3
    /// Stopped by Ctrl-C / SIGTERM; the runs that were going wrote checkpoints.
    case interrupted = 130
}

/// An error a command reports to the user: one message (printed as `error: …` on stderr, unless
/// empty because the command printed its own account) and the exit status it means.
struct CLIError: Error {
    var status: ExitStatus
    var message: String
    static func badInput(_ m: String) -> CLIError { CLIError(status: .badInput, message: m) }
    static func failed(_ m: String) -> CLIError { CLIError(status: .failed, message: m) }
}

func printError(_ message: String) {
    FileHandle.standardError.write(Data(((message.hasPrefix("Error:") ? "" : "error: ") + message + "\n").utf8))
}

/// Parses `arguments`, runs the command, and maps every outcome to an exit status: the one place
/// where errors become exit codes.
func runCLI(_ arguments: [String]) -> ExitStatus.RawValue {
    do {
        var command = try RLExp.parseAsRoot(arguments)
        try command.run()
        return ExitStatus.ok.rawValue
    } catch let e as CLIError {
        if !e.message.isEmpty { printError(e.message) }
        return e.status.rawValue
    } catch let e as SpecError {
        printError(e.description)
        return ExitStatus.badInput.rawValue
    } catch let e as SweepFailure {
        printError(e.description)
        return ExitStatus.failed.rawValue
    } catch let e as IOFailure {
        printError(e.description)
        return ExitStatus.failed.rawValue
    } catch let e as SpecChanged {
        printError(e.description)
        return ExitStatus.badInput.rawValue
    } catch let e as DirectoryLock.Busy {
        printError(e.description)
        return ExitStatus.busy.rawValue
    } catch let e as SweepInterrupted {
        printError(e.description)
        return ExitStatus.interrupted.rawValue
    } catch let e as RunInterrupted {
        printError(e.description)
        return ExitStatus.interrupted.rawValue
    } catch {
        // swift-argument-parser's own outcomes: help and version requests, usage errors
        let code = RLExp.exitCode(for: error)
        let message = RLExp.fullMessage(for: error)
        if code == .success {
            if !message.isEmpty { print(message) }
            return ExitStatus.ok.rawValue
        }
        if code == .validationFailure {
            printError(message)
            return ExitStatus.badInput.rawValue
        }
        printError(message.isEmpty ? "\(error)" : message)
        return ExitStatus.failed.rawValue
    }
}

extension RLExp {
    struct Run: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run every run of a sweep spec, then write its report.",
            discussion: """
            Runs execute in parallel (each on one core); results do not depend on --jobs. Each run writes \
            OUT/runs/<run id>/run.h5 (config, learning curve, per-update metrics, episodes, final checkpoint) \
            and, every checkpoint_every env steps (spec field, default 100000), a full-state checkpoint \
            OUT/runs/<run id>/ckpt-<step>.h5 (the newest two are kept; removed when the run completes).

            Resume: running the same command again on the same folder skips complete runs, continues \
            interrupted ones from their newest valid checkpoint (bit-identical to an uninterrupted run) and \
            starts the others. Ctrl-C checkpoints every running run and stops (exit 130); a second Ctrl-C \
            stops at once. A spec that differs from the folder's spec.json is refused (exit 2) unless \
            --restart; a folder in use by another rlexp is refused (exit 3). A run whose loss or parameters \
            become NaN/Inf is marked failed (runs/<id>/failed.json: step, metric, last good checkpoint) and \
            the others go on (exit 1). An invalid spec is reported with the JSON path of every problem \
            (exit status 2) and nothing is written.
            """)

        @Argument(help: "Path to the sweep spec (JSON).")
        var spec: String

        @Option(name: .shortAndLong, help: "Runs to execute at once (default: the number of cores).")
        var jobs: Int = ProcessInfo.processInfo.activeProcessorCount

        @Option(name: .shortAndLong, help: "Results folder (default: results/<spec name>).")
        var out: String?

        @Flag(help: "Re-run runs that are already complete, and start interrupted ones over instead of resuming them.")
        var force = false

        @Flag(help: "Delete every run in the results folder and start the sweep over (also when the spec changed).")
        var restart = false

        @Flag(help: "Skip writing the report after the runs.")
        var noReport = false

        @Option(help: "Run only the run with this index of the expanded sweep (0-based, expansion order), writing only its run folder (one Slurm array task).")
        var index: Int?

        @Option(help: "Run only the run with this id, writing only its run folder.")
        var runId: String?

        func validate() throws {
            guard jobs >= 1 else { throw ValidationError("--jobs must be at least 1, got \(jobs)") }
            guard index == nil || runId == nil else { throw ValidationError("give --index or --run-id, not both") }
        }

        func run() throws {
            let s = try Spec.load(path: spec)
            let outDir = URL(fileURLWithPath: out ?? "results/\(s.name)")
            warnIfUnoptimised()
            StopSignal.install()
            if index != nil || runId != nil {
                if restart { throw CLIError.badInput("--restart applies to a whole sweep; with --index/--run-id use --force to start that run over") }
                let changes = specChanges(s, outDir: outDir)
                if !changes.isEmpty { throw SpecChanged(outDir: outDir.path, changes: changes) }
                let r: RunConfig
                do { r = try selectRun(s, index: index, runID: runId) } catch { throw CLIError.badInput("\(error)") }
                do {
                    if let o = try runOne(r, outDir: outDir, force: force, provenance: Provenance.detect(),
                                          notice: { FileHandle.standardError.write(Data("note: \($0)\n".utf8)) }) {
                        print("\(r.runID): complete, final eval \(formatNumber(o.finalEvalReturn)), \(String(format: "%.1f", o.wallSeconds)) s")
                    } else {
                        print("\(r.runID): already complete (--force re-runs it)")
                    }
                } catch let e as RunInterrupted { throw e
                } catch let e as DirectoryLock.Busy { throw e
                } catch { throw CLIError.failed("run \(r.runID) failed: \(error) (recorded in \(outDir.path)/runs/\(r.runID)/\(failureFileName))") }
                return
            }
            let observer = TerminalProgress(isTTY: isatty(2) != 0)
            do {
                try runSweep(s, options: SweepOptions(jobs: jobs, outDir: outDir, force: force, restart: restart),
                             provenance: Provenance.detect(), observer: observer)
            } catch {
                observer.finish()
                throw error
            }
            observer.finish()
            if !noReport {
                let r = try writeReport(resultsDir: outDir)
                print("report: \(r.markdownPath)")
                print(r.summaryTable)
            }
        }
    }

    struct Report: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "(Re)generate the report of a results folder from its run.h5 files alone.",
            discussion: "Writes RESULTS_DIR/report/{report.md, summary.json, curves.csv} and runs/<id>/curve.csv, and rebuilds manifest.json from the run folders (runs that failed are listed in the report).")

        @Argument(help: "A results folder, e.g. results/a2c_cartpole.")
        var resultsDir: String

        func run() throws {
            guard FileManager.default.fileExists(atPath: resultsDir + "/runs") else {
                throw CLIError.badInput("\(resultsDir) has no runs/ folder: give a folder written by `rlexp run`")
            }
            // the manifest follows the run folders (runs written by separate processes, e.g. Slurm tasks)
            let specPath = resultsDir + "/spec.json"
            if FileManager.default.fileExists(atPath: specPath) {
                try writeDerivedManifest(try Spec.load(path: specPath), outDir: URL(fileURLWithPath: resultsDir), provenance: Provenance.detect())
            }
            let r: ReportResult
            do { r = try writeReport(resultsDir: URL(fileURLWithPath: resultsDir)) } catch {
                throw CLIError.failed("\(error); the report was not written")
            }
            print("report: \(r.markdownPath)")
            print(r.summaryTable)
            if !r.unreadable.isEmpty {
                throw CLIError.failed("\(r.unreadable.count) run.h5 file(s) could not be read and are listed as failed in the report:\n"
                                      + r.unreadable.map { "  " + $0.error }.joined(separator: "\n"))
            }
        }
    }

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Compare a results folder with its golden results; exit 1 on a regression.",
            discussion: """
            Exact tier: every reproducible dataset of every run.h5 must match the golden digest (the first \
            differing dataset and the rows/env steps where it differs are named). Statistical tier: each \
            configuration's mean final eval return must lie inside the golden 95% band (widened by its \
            tolerance). Runs are matched by configuration label and seed.
            """)

        @OptionGroup var options: GoldenOptions

        func run() throws {
            let (dir, goldenPath) = try options.resolved()
            guard FileManager.default.fileExists(atPath: goldenPath) else {
                throw CLIError.badInput("no golden file at \(goldenPath); create it deliberately with `rlexp golden update \(options.resultsDir)`")
            }
            let result: CheckResult
            do { result = try checkAgainstGolden(resultsDir: dir, golden: try GoldenFile.load(goldenPath)) } catch { throw CLIError.badInput("\(error)") }
            print("check \(options.resultsDir) against \(goldenPath)\n")
            print(result.table)
            if result.regressions > 0 { throw CLIError.failed("") }
        }
    }

    struct Golden: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Manage golden results.",
            subcommands: [Update.self])

        struct Update: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Rewrite the golden file from a results folder, printing what changed.")

            @OptionGroup var options: GoldenOptions

            @Flag(help: "Write the golden file even if the runs were not produced by one clean commit (uncommitted changes, unknown commit, or several commits).")
            var allowDirty = false

            func run() throws {
                let (dir, path) = try options.resolved()
                let fresh: GoldenFile
                do { fresh = try GoldenFile.from(resultsDir: dir) } catch { throw CLIError.badInput("\(error)") }
                if !fresh.isFromCleanCommit && !allowDirty {
                    throw CLIError.badInput("""
                        the runs in \(options.resultsDir) were not produced by one clean commit (recorded: \(fresh.runCommits.joined(separator: ", "))); \
                        commit, re-run the sweep with --force and update again, or pass --allow-dirty to record it anyway
                        """)
                }
                if FileManager.default.fileExists(atPath: path), let old = try? GoldenFile.load(path) {
                    let r = try checkAgainstGolden(resultsDir: dir, golden: old)
                    let changed = r.rows.filter(\.regression)
                    print(changed.isEmpty ? "no change against \(path)" : "changes against \(path):")
                    for c in changed {
                        print("  \(c.metric): \(c.delta) (golden \(c.golden), now \(c.now))")
                        for line in c.detail.split(separator: "\n") { print("    " + line) }
                    }
                    let oldKeys = Set(old.runs.map { "\($0.configLabel) seed \($0.seed)" })
                    for r in fresh.runs where !oldKeys.contains("\(r.configLabel) seed \(r.seed)") { print("  new run: \(r.configLabel) seed \(r.seed)") }
                } else {
                    print("new golden file \(path)")
                }
                try FileManager.default.createDirectory(at: URL(fileURLWithPath: path).deletingLastPathComponent(), withIntermediateDirectories: true)
                try atomicWrite(fresh.json.pretty() + "\n", to: URL(fileURLWithPath: path))
                print("wrote \(path): \(fresh.runs.count) runs, \(fresh.runs.reduce(0) { $0 + $1.datasets.count }) dataset digests, commit \(fresh.gitCommit)")
                for c in fresh.configs {
                    print(String(format: "  %@: band [%.1f, %.1f], random policy %.1f", c.label, c.finalEval.lo - c.tolerance, c.finalEval.hi + c.tolerance, fresh.randomPolicyReturn))
                }
            }
        }
    }

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Export every run of a results folder: long-form CSV tables, TensorBoard event files, or a Minari dataset.",
            discussion: """
            --format csv (default) writes RESULTS_DIR/export/{curve,updates,episodes}.csv: one row per run × row, \
            with run id, configuration and every hyperparameter as columns (pandas.read_csv reads them).
            --format tensorboard writes RESULTS_DIR/tensorboard/<run id>/events.out.tfevents.*: the learning \
            curve (curve/*), every per-update metric (updates/*) and the training episodes (episodes/*) \
            against env steps, and the hyperparameters for the HParams dashboard; then \
            `tensorboard --logdir RESULTS_DIR/tensorboard` shows the sweep.
            --format minari writes the recorded trajectories (spec field `record`) as Minari datasets, one per \
            environment: RESULTS_DIR/minari/<dataset id>/data/{main_data.hdf5,metadata.json}; then \
            MINARI_DATASETS_PATH=RESULTS_DIR/minari and `minari.load_dataset(ID)` loads them.
            """)

        enum Format: String, ExpressibleByArgument, CaseIterable { case csv, tensorboard, minari }

        @Argument(help: "A results folder written by `rlexp run`.")
        var resultsDir: String

        @Option(help: "Output format: csv, tensorboard or minari.")
        var format: Format = .csv

        @Option(help: "Minari dataset id (default rlexp/<folder name>/<env>-v0; with several environments, the prefix of one id per environment).")
        var datasetId: String?

        @Option(help: "Output folder (default: RESULTS_DIR/export for csv, RESULTS_DIR/tensorboard for tensorboard, RESULTS_DIR/minari for minari).")
        var out: String?

        func validate() throws {
            if datasetId != nil && format != .minari {
                throw ValidationError("--dataset-id \(datasetId!) names a Minari dataset: use it with --format minari (not --format \(format.rawValue))")
            }
        }

        func run() throws {
            let dir = URL(fileURLWithPath: resultsDir), outURL = out.map { URL(fileURLWithPath: $0) }
            guard FileManager.default.fileExists(atPath: dir.appendingPathComponent("runs").path) else {
                throw CLIError.badInput("\(resultsDir) has no runs/ folder: give a folder written by `rlexp run`")
            }
            do {
                switch format {
                case .csv: for p in try exportCSV(resultsDir: dir, outDir: outURL) { print(p) }
                case .tensorboard:
                    let dirs = try exportTensorBoard(resultsDir: dir, outDir: outURL)
                    for p in dirs { print(p) }
                    print("view with: tensorboard --logdir \(outURL?.path ?? dir.appendingPathComponent("tensorboard").path)")
                case .minari:
                    let root = outURL ?? dir.appendingPathComponent("minari")
                    for id in try exportMinari(resultsDir: dir, outDir: outURL, datasetID: datasetId) { print(root.appendingPathComponent(id).path) }
                    print("load with: MINARI_DATASETS_PATH=\(root.path) python3 -c 'import minari; minari.load_dataset(\"<id>\")'")
                }
            } catch let e as IOFailure { throw CLIError.failed(e.description)
            } catch { throw CLIError.badInput("\(error)") }
        }
    }

    struct Validate: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Check sweep specs without running anything.")

        @Argument(help: "Spec files.")
        var specs: [String]

        func run() throws {
            var bad = 0
            for path in specs {
                do {
                    let s = try Spec.load(path: path)
                    print("\(path): ok (\(s.expand().count) runs)")
                } catch let e as SpecError {
                    printError(e.description); bad += 1
                }
            }
            if bad > 0 { throw CLIError.badInput("\(bad) of \(specs.count) spec(s) invalid") }
        }
    }

    struct Schema: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the JSON Schema of sweep specs (experiments/schema.json is this output).")
        func run() throws { print(specJSONSchema().pretty()) }
    }

    struct Bench: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Measure environment and training speed on one core and compare with the Python peers.",
            discussion: """
            Prints CartPole-v1 raw steps/s (one env, random actions); training env-steps/s of A2C \
            (a2c_cartpole.json settings) and ACER (acer_sweep.json, replay ratio 0 and 4), learner only; A3C on \
            1 and 2 real threads, with the lock around apply and Hogwild; ACER's replay memory per step and its \
            wall time to solve. With --peer-python PY (a Python with gymnasium) it measures Gymnasium's CartPole \
            in the same run, with --pfrl-a3c FILE it puts PFRL's A3C beside ours, and with --debug-binary it \
            measures a debug build's training speed right after this one's. `make bench` does all three. No peer \
            figure is built in: bench/peers.py measures SB3, PFRL and a vmapped JAX A2C side by side with this \
            binary's --figure lines and prints the ratios.
            """)

        @Option(help: "Environment steps for the raw environment measurement.")
        var envSteps = 20_000_000

        @Option(help: "Environment steps for the A2C training measurement.")
        var trainSteps = 1_000_000

        @Option(help: "A python3 with gymnasium installed, to measure Gymnasium's CartPole in the same run.")
        var peerPython: String?

        @Option(help: "Path of the Gymnasium measurement script.")
        var peerScript = "bench/gym_cartpole_speed.py"

        @Flag(help: "Print only the training measurements, one 'name<TAB>steps/s' line each (read by --debug-binary).")
        var trainingOnly = false

        @Option(help: "With --training-only: only this measurement ('A2C', 'ACER replay_ratio 0', 'ACER replay_ratio 4'; bench/instructions.py counts each alone).")
        var only: String?

        @Flag(help: "Print only the networks' forward+backward throughput (A2C's MLPs at batch 40; MinAtar's and the Atari conv nets at batch 32).")
        var networkOnly = false

        @Flag(help: "Print only the checkpoint figures: one ACER checkpoint with a full 50 000-step buffer, and the slowdown of runs with the default checkpoint_every.")
        var checkpointOnly = false

        @Flag(name: .customLong("recording-only"), help: "Print only the cost of recording: an ACER CartPole run (acer_sweep.json's settings, 100k steps) recording every training episode against the same run not recording, median of 3.")
        var recordingOnly = false
        @Flag(name: .customLong("ppo-only"), help: "Only PPO against SB3's PPO (needs --sb3-ppo: make bench-peers writes .build/sb3-ppo.json).")
        var ppoOnly = false

        @Option(name: .customLong("pfrl-a3c"), help: "A JSON line of PFRL's A3C written by bench/peers.py (.build/peers/pfrl_a3c.json, measured just before): PFRL's A3C beside ours.")
        var pfrlA3C: String?

        @Option(name: .customLong("sb3-ppo"), help: "JSON lines from bench/sb3_ppo_zoo.py (make bench-peers, measured just before): SB3's PPO beside ours.")
        var sb3PPO: String?

        @Option(help: "An rlexp built in another configuration (e.g. .build/debug/rlexp): its training speed is measured right after this one's and printed beside it.")
        var debugBinary: String?

        @Option(help: ArgumentHelp("Measure only this figure and print it as one JSON line (read by bench/peers.py): \(Figure.allCases.map(\.rawValue).joined(separator: ", ")).", valueName: "name"))
        var figure: Figure?

        @Option(help: "With --figure a2c_solve: the seed.")
        var seed = 0

        /// The figures bench/peers.py puts beside the Python peers', one measurement per call.
        enum Figure: String, CaseIterable, ExpressibleByArgument {
            /// CartPole-v1 raw steps/s, one env, random actions (--env-steps steps).
            case cartpole_step
            /// A2C training env steps/s, a2c_cartpole.json settings (--train-steps steps).
            case a2c
            /// Wall time and env steps until the mean of the last 20 training episodes ≥ 475 (A2C, --seed).
            case a2c_solve
            /// The same with `"optimizer": "rmsprop_torch"`, the optimiser of SB3's A2C.
            case a2c_solve_rmsprop_torch
            /// ACER training env steps/s, acer_sweep.json base at replay ratio 4 (a fifth of --train-steps).
            case acer_rr4
            /// A3C training env steps/s on 2 real threads, a3c_methods.json base, t_max 5, lock around apply.
            case a3c_threads2
        }

        func printFigure(_ f: Figure) throws {
            var out: [(key: String, value: JSON)] = [("figure", .string(f.rawValue)), ("kernels", .string(KernelISA.name))]
            switch f {
            case .cartpole_step:
                out.append(("steps_per_s", .number(Experiments.Bench.envStepsPerSecond("CartPole-v1", steps: envSteps))))
            case .a2c:
                out.append(("steps_per_s", .number(try Experiments.Bench.trainingStepsPerSecond(
                    algo: "a2c", env: "CartPole-v1", hyperparameters: try Spec.load(path: "experiments/a2c_cartpole.json").base, steps: trainSteps))))
            case .a2c_solve, .a2c_solve_rmsprop_torch:
                var hp = try Spec.load(path: "experiments/a2c_cartpole.json").base
                if f == .a2c_solve_rmsprop_torch { hp["optimizer"] = .string("rmsprop_torch") }
                let s = try Experiments.Bench.timeToSolveTraining(algo: "a2c", env: "CartPole-v1", hyperparameters: hp, seed: seed, maxSteps: 1_000_000)
                out.append(("seed", .int(seed)))
                out.append(("solved_wall_s", s.map { .number($0.seconds) } ?? .null))
                out.append(("solved_steps", s.map { .int(Int($0.steps)) } ?? .null))
            case .acer_rr4:
                var hp = try Spec.load(path: "experiments/acer_sweep.json").base
                hp["replay_ratio"] = .number(4)
                out.append(("steps_per_s", .number(try Experiments.Bench.trainingStepsPerSecond(algo: "acer", env: "CartPole-v1", hyperparameters: hp, steps: trainSteps / 5))))
            case .a3c_threads2:
                var hp = try Spec.load(path: "experiments/a3c_methods.json").base
                hp["method"] = .string("a3c"); hp["execution"] = .string("threads"); hp["threads"] = .int(2)
                hp["apply_lock"] = .bool(true); hp["t_max"] = .int(5)
                out.append(("steps_per_s", .number(try Experiments.Bench.trainingStepsPerSecond(algo: "async", env: "CartPole-v1", hyperparameters: hp, steps: trainSteps))))
            }
            print(JSON.object(out).serialized())
        }

        /// One ACER checkpoint with a full 50 000-step replay buffer (acer_sweep.json's settings), and the
        /// share of a whole run's wall time spent writing checkpoints at the default checkpoint_every.
        func printCheckpointCost() throws {
            let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("rlexp-bench-ckpt-\(getpid())")
            defer { try? FileManager.default.removeItem(at: tmp) }
            var acer = try Spec.load(path: "experiments/acer_sweep.json").expand()[0]
            acer.hyperparameters = Hyperparameters(acer.hyperparameters.values.merging(["buffer_size": .int(50_000), "replay_ratio": .number(4)]) { $1 })
            let cost = try Experiments.Bench.checkpointCost(acer, trainSteps: 60_000, dir: tmp)
            print(String(format: "ACER checkpoint, full 50 000-step buffer (CartPole): %.1f ms to write (fsync included), %.1f ms to load and verify, %.2f MB",
                         cost.write * 1000, cost.load * 1000, Double(cost.bytes) / 1e6))
            let every = Spec.defaultCheckpointEvery
            for (name, path, steps) in [("A2C", "experiments/a2c_cartpole.json", 1_000_000), ("ACER", "experiments/acer_sweep.json", 300_000)] {
                var cfg = try Spec.load(path: path).expand()[0]
                cfg.totalSteps = steps
                if name == "ACER" { cfg.hyperparameters = acer.hyperparameters }
                let t = try Experiments.Bench.checkpointOverhead(cfg, checkpointEvery: every, repeats: 3, dir: tmp)
                let rest = t.wall - t.seconds
                print(String(format: "%@ run of %d steps, checkpoint_every %d: %d checkpoints, %.1f ms each, %.2f s of %.2f s: %.1f%% slower than without (median of 3)",
                             name, steps, every, t.checkpoints, t.seconds / Double(max(t.checkpoints, 1)) * 1000, t.seconds, t.wall, t.seconds / rest * 100))
            }
        }

        /// PPO with the zoo's CartPole settings (experiments/ppo_cartpole.json) against SB3's PPO with
        /// the same settings, measured by bench/sb3_ppo_zoo.py in the same `make bench` run: wall
        /// time and env steps until the mean of the last 20 training episodes reaches 475, seeds
        /// 0–2, medians, and training steps/s.
        func printPPOAgainstSB3(_ file: String) throws {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { throw CLIError.failed("cannot read SB3's PPO figures from \(file)") }
            let peers = text.split(separator: "\n").compactMap { try? JSONParser.parse(String($0)) }
            guard !peers.isEmpty else { throw CLIError.failed("\(file) holds no SB3 PPO figures (run make bench-peers)") }
            let ppo = try Spec.load(path: "experiments/ppo_cartpole.json")
            var ours: [(steps: Int64, seconds: Double)] = []
            for seed in 0..<3 {
                if let s = try Experiments.Bench.timeToSolveTraining(algo: "ppo", env: "CartPole-v1", hyperparameters: ppo.base, seed: seed, maxSteps: 100_000) {
                    ours.append(s)
                    print(String(format: "PPO (zoo settings), seed %d: mean of the last 20 training episodes >= 475 after %.2f s, %lld env steps", seed, s.seconds, s.steps))
                } else { print("PPO (zoo settings), seed \(seed): not solved within 100k steps") }
            }
            let sps = try Experiments.Bench.trainingStepsPerSecond(algo: "ppo", env: "CartPole-v1", hyperparameters: ppo.base, steps: 100_000)
            func median(_ x: [Double]) -> Double? { x.isEmpty ? nil : x.sorted()[x.count / 2] }
            let peerWall = peers.compactMap { $0["solved_wall_s"]?.asNumber }, peerSteps = peers.compactMap { $0["solved_steps"]?.asNumber }
            let peerSPS = peers.compactMap { $0["steps_per_s"]?.asNumber }
            for p in peers {
                print("SB3 PPO (zoo settings, measured in this run), seed \(p["seed"]?.serialized() ?? "?"): "
                      + (p["solved_wall_s"]?.asNumber.map { String(format: "solved after %.2f s, %@ env steps", $0, p["solved_steps"]?.serialized() ?? "?") }
                         ?? "not solved in \(p["steps"]?.serialized() ?? "?") steps (best mean of 20: \(p["best_mean20"]?.serialized() ?? "?"))")
                      + String(format: ", %.0f steps/s", p["steps_per_s"]?.asNumber ?? .nan))
            }
            if let ow = median(ours.map(\.seconds)), let pw = median(peerWall), let os = median(ours.map { Double($0.steps) }), let ps = median(peerSteps) {
                print(String(format: "PPO vs SB3 PPO, CartPole-v1 to solve (medians of 3 seeds): %.2f s vs %.2f s wall (%.0fx less), %.0f vs %.0f env steps",
                             ow, pw, pw / ow, os, ps))
            }
            if let pr = median(peerSPS) {
                print(String(format: "PPO vs SB3 PPO, CartPole-v1 training (1 core): %.0f vs %.0f env steps/s (%.0fx)", sps, pr, sps / pr))
            }
        }

        func run() throws {
            if let figure { return try printFigure(figure) }
            let spec = try Spec.load(path: "experiments/a2c_cartpole.json")
            let acerSpec = try Spec.load(path: "experiments/acer_sweep.json")
            if trainingOnly {
                for m in try Experiments.Bench.trainingSuite(a2c: spec.base, acer: acerSpec.base, steps: trainSteps, only: only) {
                    print("\(m.name)\t\(m.stepsPerSecond)")
                }
                return
            }
            warnIfUnoptimised()
            if networkOnly { return printNetworkThroughput() }
            if checkpointOnly { return try printCheckpointCost() }
            if recordingOnly {
                let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("rlexp-bench-rec-\(getpid())")
                defer { try? FileManager.default.removeItem(at: tmp) }
                var acer = try Spec.load(path: "experiments/acer_sweep.json").expand()[0]
                acer.totalSteps = 100_000
                let t = try Experiments.Bench.recordingOverhead(acer, repeats: 3, dir: tmp)
                print(String(format: "ACER run of %d steps (CartPole-v1), recording every training episode (train_every 1, statistics included): %.2f s vs %.2f s CPU not recording (medians of 3): %.2fx, %+.1f%%",
                             acer.totalSteps, t.recording, t.plain, t.recording / t.plain, (t.recording / t.plain - 1) * 100))
                return
            }
            if ppoOnly {
                guard let sb3PPO else { throw CLIError.failed("--ppo-only needs --sb3-ppo FILE (make bench-peers writes .build/sb3-ppo.json)") }
                return try printPPOAgainstSB3(sb3PPO)
            }
            let cartpole = Experiments.Bench.envStepsPerSecond("CartPole-v1", steps: envSteps)
            // No peer figure is typed in here: Gymnasium is measured now (--peer-python), the training
            // peers (SB3, PFRL, JAX) side by side with rlexp by bench/peers.py in the same `make bench`.
            if let py = peerPython, let gym = measureGymnasium(python: py) {
                print(String(format: "CartPole-v1 raw step (1 env, random actions): %12.0f steps/s   %6.0fx Gymnasium (%.0f steps/s, measured now)", cartpole, cartpole / gym, gym))
            } else {
                print(String(format: "CartPole-v1 raw step (1 env, random actions): %12.0f steps/s   (Gymnasium not measured: --peer-python PY)", cartpole))
            }
            let training = try Experiments.Bench.trainingSuite(a2c: spec.base, acer: acerSpec.base, steps: trainSteps)
            for m in training {
                print(String(format: "%@ %12.0f steps/s   (against SB3 and PFRL: bench/peers.py)",
                             "\(m.name), CartPole-v1 training (1 core):".padding(toLength: 47, withPad: " ", startingAt: 0), m.stepsPerSecond))
            }
            // A3C on real threads: 1 and 2 actor-learners, with the lock around sync/apply and Hogwild
            let a3cSpec = try Spec.load(path: "experiments/a3c_methods.json")
            var a3c: [String: Double] = [:]
            for (tMax, lock) in [(5, true), (5, false), (20, true), (20, false)] {
                for k in [1, 2] {
                    var hp = a3cSpec.base
                    hp["method"] = .string("a3c"); hp["execution"] = .string("threads"); hp["threads"] = .int(k)
                    hp["apply_lock"] = .bool(lock); hp["t_max"] = .int(tMax)
                    a3c["\(k) \(lock) \(tMax)"] = try Experiments.Bench.trainingStepsPerSecond(algo: "async", env: "CartPole-v1", hyperparameters: hp, steps: trainSteps)
                }
                let one = a3c["1 \(lock) \(tMax)"]!, two = a3c["2 \(lock) \(tMax)"]!
                print(String(format: "%@ %12.0f steps/s   1 thread %.0f steps/s, %.2fx with 2",
                             "A3C, 2 threads, t_max \(tMax), \(lock ? "lock" : "Hogwild"):".padding(toLength: 47, withPad: " ", startingAt: 0), two, one, two / one))
            }
            if let pfrlA3C {
                // PFRL's A3C (2 processes) measured by bench/peers.py in the same `make bench`
                guard let text = try? String(contentsOfFile: pfrlA3C, encoding: .utf8), let line = text.split(separator: "\n").last,
                      let peer = try? JSONParser.parse(String(line)), let sps = peer["steps_per_s"]?.asNumber else {
                    throw CLIError.failed("cannot read PFRL's A3C figures from \(pfrlA3C)")
                }
                var hp = a3cSpec.base
                hp["method"] = .string("a3c"); hp["execution"] = .string("threads"); hp["threads"] = .int(2)
                let ours = a3c["2 true 5"]!
                print(String(format: "%@ %12.0f steps/s   %6.0fx PFRL A3C, 2 processes (%.0f steps/s, measured in this run)",
                             "A3C vs PFRL A3C (2 threads / 2 processes):".padding(toLength: 47, withPad: " ", startingAt: 0), ours, ours / sps, sps))
                let peerSolve = peer["solved_wall_s"]?.asNumber.map { String(format: "%.1f s", $0) }
                    ?? "not solved in \(peer["steps"]?.serialized() ?? "?") steps (best mean of 20: \(peer["best_mean20"]?.serialized() ?? "?"))"
                for seed in 0..<3 {
                    let solve = try Experiments.Bench.timeToSolveTraining(algo: "async", env: "CartPole-v1", hyperparameters: hp, seed: seed, maxSteps: 500_000)
                    let greedy = try Experiments.Bench.timeToSolve(algo: "async", env: "CartPole-v1", hyperparameters: hp, seed: seed,
                                                                   maxSteps: 500_000, interval: 5000, episodes: 10)
                    print("A3C (2 threads), seed \(seed), solves CartPole-v1: mean of the last 20 training episodes >= 475 "
                          + (solve.map { String(format: "after %.2f s, %lld env steps", $0.seconds, $0.steps) } ?? "not within 500k steps")
                          + "; greedy eval >= 475 " + (greedy.map { String(format: "after %.2f s, %lld env steps", $0.seconds, $0.steps) } ?? "not within 500k steps"))
                }
                print("PFRL A3C (2 processes, same run, mean of the last 20 training episodes): \(peerSolve)")
            }
            if let sb3PPO { try printPPOAgainstSB3(sb3PPO) }
            if let debugBinary {
                let other = try measureOtherBuild(debugBinary)
                print("\nTraining env-steps/s by build configuration (same run, one after the other, 1 core):")
                print("| what | release (this binary) | \(debugBinary) | ratio |")
                print("|---|---|---|---|")
                for m in training {
                    guard let d = other[m.name] else { continue }
                    print(String(format: "| %@ on CartPole-v1 | %.0f | %.0f | %.2f |", m.name, m.stepsPerSecond, d, d / m.stepsPerSecond))
                }
            }
            printNetworkThroughput()
            try printCheckpointCost()
            let probe = ReplayBuffer(bufferSize: 50_000, nenvs: 8, nsteps: 20, obsSize: 4, nA: 2)
            print(String(format: "ACER replay buffer memory per stored step:     %12.1f bytes (CartPole, nsteps 20)", probe.bytesPerStep))
            for seed in 0..<3 {
                if let s = try Experiments.Bench.timeToSolve(algo: "acer", env: "CartPole-v1", hyperparameters: acerSpec.base, seed: seed,
                                                             maxSteps: 300_000, interval: 5000, episodes: 10) {
                    print(String(format: "ACER (replay_ratio 4) solves CartPole-v1, seed %d: %7.1f s wall, %lld env steps (greedy eval >= 475)", seed, s.seconds, s.steps))
                } else {
                    print("ACER (replay_ratio 4) did not solve CartPole-v1 within 300k steps, seed \(seed)")
                }
            }
        }

        /// Forward + backward of MinAtar's network (10×10×4 grid → conv 16 3×3 → 128 → 7 outputs) and
        /// of the two Atari networks (4×84×84 frame stacks → the A3C paper's atari_cnn → 256, and the
        /// Nature network → 512; 18 actions + a value), batch 32.
        func printNetworkThroughput() {
            let nets: [(String, Network)] = [
                ("MinAtar conv net", Network(kind: .minatar_cnn, observationShape: [10, 10, 4], hidden: [128], activation: .relu, outputs: 7)),
                ("atari_cnn (A3C)", Network(kind: .atari_cnn, observationShape: [4, 84, 84], hidden: [256], activation: .relu, outputs: 19)),
                ("nature_cnn", Network(kind: .nature_cnn, observationShape: [4, 84, 84], hidden: [512], activation: .relu, outputs: 19)),
            ]
            func line(_ name: String, _ batch: Int, _ tp: Experiments.Bench.NetworkThroughput) {
                let peak = Experiments.Bench.corePeakGFLOPS
                print(String(format: "%@ forward+backward, batch %d:  %12.0f samples/s   %.1f GFLOP/s = %.0f%% of a %.0f GFLOP/s fp32 core (%.3f MFLOP a sample)",
                             name.padding(toLength: 16, withPad: " ", startingAt: 0), batch, tp.samplesPerSecond, tp.gflops,
                             100 * tp.gflops / peak, peak, tp.flopsPerSample / 1e6))
            }
            print("kernels: \(KernelISA.name) (cpuid; RLEXP_ISA=portable or RLEXP_ISA=avx2 caps the level, same bits)")
            // A2C's networks (a2c_cartpole.json: separate 64×64 tanh policy and value nets) on one update's batch, 8 envs × 5 steps
            let policy = Network(kind: .mlp, observationShape: [4], hidden: [64, 64], activation: .tanh, outputs: 2)
            let value = Network(kind: .mlp, observationShape: [4], hidden: [64, 64], activation: .tanh, outputs: 1)
            line("A2C policy+value", 40, Experiments.Bench.networkThroughput([policy, value], batch: 40))
            for (name, net) in nets { line(name, 32, Experiments.Bench.networkThroughput(net, batch: 32)) }
        }

        /// Runs `binary bench --training-only` with the same step counts and reads its lines.
        func measureOtherBuild(_ binary: String) throws -> [String: Double] {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: binary)
            p.arguments = ["bench", "--training-only", "--train-steps", String(trainSteps)]
            let out = Pipe(); p.standardOutput = out
            try p.run()
            let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            p.waitUntilExit()
            guard p.terminationStatus == 0 else { throw CLIError.failed("\(binary) bench --training-only exited with status \(p.terminationStatus)") }
            var result: [String: Double] = [:]
            for line in text.split(separator: "\n") {
                let f = line.split(separator: "\t")
                if f.count == 2, let v = Double(f[1]) { result[String(f[0])] = v }
            }
            return result
        }

        func measureGymnasium(python: String) -> Double? {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            p.arguments = [python, peerScript, "200000"]
            let out = Pipe(); p.standardOutput = out; p.standardError = FileHandle.nullDevice
            guard (try? p.run()) != nil else { return nil }
            let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            p.waitUntilExit()
            // "single gym.make env (with wrappers): N steps in Xs = 80,123 steps/s"
            guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("single gym.make env") }),
                  let eq = line.range(of: "= ", options: .backwards) else { return nil }
            return Double(line[eq.upperBound...].split(separator: " ")[0].replacingOccurrences(of: ",", with: ""))
        }
    }
}

extension RLExp {
    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show which runs of a results folder are complete, failed, running or pending.",
            discussion: "Read from the run folders alone (run.h5, run.h5.partial, failed.json), so it works for local sweeps and for Slurm jobs, with or without Slurm accounting.")

        @Argument(help: "A results folder written by `rlexp run` or `rlexp submit`.")
        var resultsDir: String

        func run() throws {
            let specPath = resultsDir + "/spec.json"
            guard FileManager.default.fileExists(atPath: specPath) else {
                throw CLIError.badInput("\(resultsDir) has no spec.json: give a folder written by `rlexp run` or `rlexp submit`")
            }
            let spec = try Spec.load(path: specPath)
            let runsDir = URL(fileURLWithPath: resultsDir).appendingPathComponent("runs")
            let runs = spec.expand()
            let states = runs.map { runState($0, runsDir: runsDir) }
            print("\(spec.name): \(runs.count) runs: " + RunState.allCases.map { st in "\(states.filter { $0 == st }.count) \(st.rawValue)" }.joined(separator: ", "))
            for (r, st) in zip(runs, states) where st != .complete {
                print("  \(st.rawValue.padding(toLength: 11, withPad: " ", startingAt: 0)) \(r.runID)" + (st == .failed ? ": " + (runFailure(r, runsDir: runsDir) ?? "") : ""))
            }
            if states.contains(.failed) { throw CLIError.failed("") }
        }
    }

    struct Submit: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run a sweep on a Slurm cluster: one array task per run that is not complete, then a report job.",
            discussion: """
            Writes OUT/spec.json and OUT/slurm/{runs.txt, array.sbatch, report.sbatch}, submits the array with sbatch and \
            the report job with --dependency=afterany:<array>, and prints both job ids. Each task runs `rlexp run SPEC \
            --run-id ID` and writes only its run folder; the report job rebuilds the manifest from the run folders and \
            lists failed runs. The rlexp binary and OUT must be on a filesystem the nodes share. Submitting again submits \
            only the runs that are not complete. sbatch reads SLURM_CONF and the user's defaults as usual.
            """)

        @Argument(help: "Path to the sweep spec (JSON).")
        var spec: String

        @Flag(help: "Submit to Slurm (the only scheduler so far).")
        var slurm = false

        @Option(name: .shortAndLong, help: "Results folder (default: results/<spec name>).")
        var out: String?

        @Option(help: "sbatch --partition.") var partition: String?
        @Option(help: "sbatch --time of each task, e.g. 00:30:00.") var time: String?
        @Option(help: "sbatch --cpus-per-task (default: the most cores any run keeps busy; threads for the async methods on real threads).") var cpusPerTask: Int?
        @Option(help: "sbatch --mem of each task, e.g. 2G.") var mem: String?
        @Option(help: "sbatch --account.") var account: String?
        @Option(help: "At most this many array tasks at once (sbatch --array=…%K).") var arrayLimit: Int?

        @Flag(help: "Re-run complete runs too.")
        var force = false

        @Flag(help: "Print the scripts instead of submitting them.")
        var dryRun = false

        func validate() throws {
            guard slurm else { throw ValidationError("say which scheduler: --slurm") }
            if let c = cpusPerTask, c < 1 { throw ValidationError("--cpus-per-task must be at least 1, got \(c)") }
            if let k = arrayLimit, k < 1 { throw ValidationError("--array-limit must be at least 1, got \(k)") }
        }

        func run() throws {
            let s = try Spec.load(path: spec)
            let outDir = URL(fileURLWithPath: out ?? "results/\(s.name)").standardizedFileURL
            let rlexp = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL.resolvingSymlinksInPath().path
            let specCopy = outDir.appendingPathComponent("spec.json")
            let plan = SlurmPlan(spec: s, specPath: specCopy.path, outDir: outDir, rlexp: rlexp,
                                 options: .init(partition: partition, time: time, cpusPerTask: cpusPerTask, mem: mem,
                                                account: account, arrayLimit: arrayLimit), force: force)
            if dryRun {
                print("# \(plan.runIDs.count) run(s) to submit\n# ---- \(outDir.path)/slurm/array.sbatch\n\(plan.arrayScript)# ---- \(outDir.path)/slurm/report.sbatch\n\(plan.reportScript)", terminator: "")
                return
            }
            guard !plan.runIDs.isEmpty else { print("\(s.name): every run is complete; nothing to submit (--force re-runs them)"); return }
            let slurmDir = outDir.appendingPathComponent("slurm")
            try FileManager.default.createDirectory(at: slurmDir.appendingPathComponent("logs"), withIntermediateDirectories: true)
            try FileManager.default.createDirectory(at: outDir.appendingPathComponent("runs"), withIntermediateDirectories: true)
            // the spec as given, with its name, so that the tasks' runs carry the same spec name
            var source = s.source
            if case .object(var o) = source, !o.contains(where: { $0.key == "name" }) { o.insert(("name", .string(s.name)), at: 0); source = .object(o) }
            try atomicWrite(source.pretty() + "\n", to: specCopy)
            try atomicWrite(plan.runIDs.joined(separator: "\n") + "\n", to: slurmDir.appendingPathComponent("runs.txt"))
            try atomicWrite(plan.arrayScript, to: slurmDir.appendingPathComponent("array.sbatch"))
            try atomicWrite(plan.reportScript, to: slurmDir.appendingPathComponent("report.sbatch"))
            try writeDerivedManifest(try Spec.load(path: specCopy.path), outDir: outDir, provenance: Provenance.detect())
            let array = try sbatch([slurmDir.appendingPathComponent("array.sbatch").path])
            let report = try sbatch(["--dependency=afterany:\(array)", slurmDir.appendingPathComponent("report.sbatch").path])
            print("submitted \(plan.runIDs.count) run(s) of \(s.name): array job \(array), report job \(report) (after the array)")
            print("watch:  squeue -j \(array),\(report)    or    rlexp status \(outDir.path)")
        }

        /// Runs sbatch --parsable and returns the job id.
        func sbatch(_ args: [String]) throws -> String {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            p.arguments = ["sbatch", "--parsable"] + args
            let out = Pipe(), err = Pipe()
            p.standardOutput = out; p.standardError = err
            do { try p.run() } catch { throw CLIError.failed("cannot start sbatch: \(error)") }
            let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            let errText = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            p.waitUntilExit()
            guard p.terminationStatus == 0, let id = text.split(separator: "\n").first?.split(separator: ";").first else {
                throw CLIError.failed("sbatch \(args.joined(separator: " ")) failed (status \(p.terminationStatus)): \(errText.trimmingCharacters(in: .whitespacesAndNewlines))")
            }
            return String(id)
        }
    }
}

/// The results folder and golden file that `check` and `golden update` work on.
struct GoldenOptions: ParsableArguments {
    @Argument(help: "A results folder written by `rlexp run`.")
    var resultsDir: String

    @Option(help: "Golden file (default: results/golden/<spec name>.json).")
    var golden: String?

    /// The folder and the golden path (the default comes from the folder's manifest); bad input when
    /// the folder is not a results folder.
    func resolved() throws -> (URL, String) {
        let dir = URL(fileURLWithPath: resultsDir)
        if let golden { return (dir, golden) }
        guard let text = try? String(contentsOf: dir.appendingPathComponent("manifest.json"), encoding: .utf8),
              case .string(let name)? = (try? JSONParser.parse(text))?["spec_name"] else {
            throw CLIError.badInput("\(resultsDir) has no manifest.json: give a folder written by `rlexp run`")
        }
        return (dir, "results/golden/\(name).json")
    }
}

let status = runCLI(Array(CommandLine.arguments.dropFirst()))
fflush(stdout); fflush(stderr)
// _exit, not exit: libhdf5's exit handler (H5_term_library) crashes closing the objects of a file
// whose close failed (seen with a full disk). Every file rlexp writes is closed, or abandoned after
// an error, by the time a command returns, so there is nothing left for the handler to do.
_exit(status)
