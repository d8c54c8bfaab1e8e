import ArgumentParser
import Environments
import Experiments
import Foundation
import NN

extension RLExp {
    /// `rlexp env list|bench|check`: what environments are built in, how fast they step, and whether
    /// they match the Python originals bit for bit.
    struct Env: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List, benchmark and verify the built-in environments.",
            discussion: """
            Examples:
              rlexp env list
              rlexp env bench --steps 2000000 --python python3
              rlexp env check --reference ../shared/reference/reference.h5
            """,
            subcommands: [List.self, EnvBench.self, BridgeBench.self, EnvCheckCommand.self])

        struct List: ParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "list",
                abstract: "The built-in environments: ids, spaces, time limits, solve thresholds, options.",
                discussion: "A spec sets an environment's options with \"env_kwargs\", e.g. {\"env\": \"MinAtar/Breakout-v1\", \"env_kwargs\": {\"sticky_action_prob\": 0.0}}.")

            func run() throws {
                let rows = Environments.registry.map { s in
                    [s.id, s.observation.description, s.action.description, String(s.maxEpisodeSteps),
                     s.solveThreshold.map { String(format: "%g", $0) } ?? "–",
                     s.options.isEmpty ? "–" : s.options.map { "\($0.name)=\($0.defaultValue)" }.joined(separator: " "), s.summary]
                }
                printTable(["id", "observation", "actions", "time limit", "solved at", "env_kwargs (defaults)", "what it is"], rows)
            }
        }

        struct EnvBench: ParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "bench",
                abstract: "Steps per second of every built-in environment, one env and a vector env.",
                discussion: """
                Uniformly random actions (drawn before the clock starts), reset on done, one core. "1 env" writes \
                observations in their native dtype (MinAtar's grids as uint8 bytes, as the Python package returns \
                them; classic control as float32); "obs as Float" is a uint8 environment writing them widened to \
                Float, as the networks read them. "vector" is the \
                batched environment the algorithms train on (--copies copies, auto-reset and episode bookkeeping). \
                With --python PY, the Python originals are measured in the same run by bench/python_env_rates.py \
                and the ratios of the single-env rates printed: every id through gym.make, and MinAtar (when the \
                minatar package is installed) also through its own Environment class, the fastest Python path. \
                Each id is measured in Python right before rlexp, so that both see the same load (pin the command with \
                taskset to keep both on one core). With --repeats N, N such rounds and the medians: of the rates, and \
                of the rounds' ratios.
                """)

            @Option(help: "Environment steps per measurement.")
            var steps = 5_000_000

            @Option(help: "Copies in the vector-environment measurement.")
            var copies = 16

            @Option(help: "Only these environment ids (repeatable; default: all).")
            var id: [String] = []

            @Option(help: "A python3 with gymnasium (and minatar) installed: measure the Python originals in the same run.")
            var python: String?

            @Option(help: "Steps per Python measurement.")
            var pythonSteps = 200_000

            @Option(help: "Path of the Python measurement script.")
            var pythonScript = "bench/python_env_rates.py"

            @Option(help: "Rounds of measurements (each: the Python side, then rlexp's); every figure printed is the median over the rounds.")
            var repeats = 1

            func validate() throws {
                for i in id where Environments.spec(i) == nil {
                    throw ValidationError("unknown environment \"\(i)\"; built in: \(Environments.ids.joined(separator: ", "))")
                }
                guard steps >= 1000, copies >= 1 else { throw ValidationError("--steps must be ≥ 1000 and --copies ≥ 1") }
                guard repeats >= 1 else { throw ValidationError("--repeats must be ≥ 1") }
            }

            func run() throws {
                let ids = id.isEmpty ? Environments.ids : id
                var peers: [String: [Double]] = [:], peerAPI: [String: [Double]] = [:], peerErrors: [String: String] = [:]
                var one: [String: [Double]] = [:], widened: [String: [Double]] = [:], vec: [String: [Double]] = [:]
                var ratio: [String: [Double]] = [:], ratioAPI: [String: [Double]] = [:]
                for round in 1...repeats {
                    let of = repeats > 1 ? " (round \(round) of \(repeats))" : ""
                    for i in ids {
                        // the Python original right before rlexp's, so that both see the same machine load
                        var p: Double?, a: Double?
                        if let python {
                            FileHandle.standardError.write(Data("measuring \(i) in Python (\(pythonSteps) steps)\(of) ...\n".utf8))
                            let (pr, ar, e) = try measurePython(python, ids: [i])
                            p = pr[i]; a = ar[i]
                            peerErrors.merge(e) { $1 }
                        }
                        FileHandle.standardError.write(Data("measuring \(i)\(of) ...\n".utf8))
                        let o = Experiments.Bench.envStepsPerSecond(i, steps: steps, nativeDType: true)
                        one[i, default: []].append(o)
                        if let p { peers[i, default: []].append(p); ratio[i, default: []].append(o / p) }
                        if let a { peerAPI[i, default: []].append(a); ratioAPI[i, default: []].append(o / a) }
                        if Environments.spec(i)!.observation.dtype != .float32 {
                            widened[i, default: []].append(Experiments.Bench.envStepsPerSecond(i, steps: steps, nativeDType: false))
                        }
                        vec[i, default: []].append(Experiments.Bench.vectorEnvStepsPerSecond(i, copies: copies, steps: steps))
                    }
                }
                var rows: [[String]] = []
                for i in ids {
                    var row = [i, String(format: "%.0f", median(one[i]!)), widened[i].map { String(format: "%.0f", median($0)) } ?? "(same)",
                               String(format: "%.0f", median(vec[i]!))]
                    if python != nil {
                        if let p = peers[i], let r = ratio[i] { row += [String(format: "%.0f", median(p)), String(format: "%.0f×", median(r))] }
                        else { row += ["–", peerErrors[i] ?? "not measured"] }
                        if let a = peerAPI[i], let r = ratioAPI[i] { row += [String(format: "%.0f", median(a)), String(format: "%.0f×", median(r))] }
                        else { row += ["–", "–"] }
                    }
                    rows.append(row)
                }
                var header = ["id", "1 env (steps/s)", "1 env, obs as Float", "vector of \(copies) (steps/s)"]
                if python != nil { header += ["Python gym.make (steps/s)", "ratio", "MinAtar Environment API (steps/s)", "ratio"] }
                printTable(header, rows)
                if repeats > 1 { print("medians of \(repeats) rounds; in each, every id is measured in Python and right after in rlexp, and a ratio is the median of the rounds' ratios") }
            }

            func measurePython(_ python: String, ids: [String]) throws -> ([String: Double], [String: Double], [String: String]) {
                let p = Process()
                p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
                p.arguments = [python, pythonScript, String(pythonSteps)] + ids
                let out = Pipe(); p.standardOutput = out
                do { try p.run() } catch { throw CLIError.failed("cannot start \(python) \(pythonScript): \(error)") }
                let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                p.waitUntilExit()
                guard p.terminationStatus == 0 else { throw CLIError.failed("\(python) \(pythonScript) exited with status \(p.terminationStatus)") }
                var rates: [String: Double] = [:], api: [String: Double] = [:], errors: [String: String] = [:]
                for line in text.split(separator: "\n") {
                    guard let j = try? JSONParser.parse(String(line)), case .string(let i)? = j["id"] else { continue }
                    if let r = j["steps_per_s"]?.asNumber { rates[i] = r }
                    if let r = j["api_steps_per_s"]?.asNumber { api[i] = r }
                    if case .string(let e)? = j["error"] { errors[i] = e }
                }
                return (rates, api, errors)
            }
        }

        struct BridgeBench: ParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "bridge-bench",
                abstract: "The Gymnasium bridge's cost: a bridged vector env against the same Gymnasium vector env in-process.",
                discussion: """
                Steps a bridged `gym:<id>` vector environment (one worker process, one pipe round trip per vector \
                step) and, in the bridge's own Python, the same gymnasium.vector.SyncVectorEnv in-process \
                (bench/gym_vector_rate.py), with random actions, alternately --repeats times, and prints the \
                medians: env steps/s of both, the bridge's overhead per vector step in microseconds and the \
                share it adds to Gymnasium's own step time (target: under 20% at 8 copies of CartPole-v1).
                """)

            @Option(help: "Gymnasium id (without gym:).")
            var id = "CartPole-v1"
            @Option(help: "Copies in the vector.")
            var copies = 8
            @Option(help: "Env steps per measurement (all copies).")
            var steps = 200_000
            @Option(help: "Measurements of each side; the medians are printed.")
            var repeats = 3
            @Option(help: "Path of the in-process measurement script.")
            var script = "bench/gym_vector_rate.py"

            func run() throws {
                let config = GymEnvConfig(id: id)
                do { try GymBridge.resolve(config) } catch { throw CLIError.badInput("\(error)") }
                guard case .discrete(let n)? = GymBridge.spec(config.rlexpID)?.action else { throw CLIError.badInput("\(id): bridge-bench takes a Discrete action space") }
                let python = try GymBridge.python()
                var bridged: [Double] = [], inProcess: [Double] = []
                for k in 0..<repeats {
                    FileHandle.standardError.write(Data("bridge-bench \(id) ×\(copies): measurement \(k + 1) of \(repeats) ...\n".utf8))
                    let v = try GymVectorEnv(config: config, seed: UInt64(k), copies: copies)
                    v.reset()
                    let rounds = max(1, steps / copies)
                    var rng = RNG(seed: 9)
                    let actions = (0..<(rounds * copies)).map { _ in Int32(rng.int(below: n)) }
                    let t0 = Date()
                    actions.withUnsafeBufferPointer { a in for r in 0..<rounds { v.step(a.baseAddress! + r * copies) } }
                    let dt = Date().timeIntervalSince(t0)
                    v.close()
                    bridged.append(Double(rounds * copies) / dt)
                    let p = Process()
                    p.executableURL = URL(fileURLWithPath: python)
                    p.arguments = [script, id, String(copies), String(steps)]
                    let out = Pipe(); p.standardOutput = out
                    do { try p.run() } catch { throw CLIError.failed("cannot start \(python) \(script): \(error)") }
                    let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                    p.waitUntilExit()
                    guard p.terminationStatus == 0, let j = try? JSONParser.parse(text.trimmingCharacters(in: .whitespacesAndNewlines)),
                          let r = j["steps_per_s"]?.asNumber else { throw CLIError.failed("\(script) failed (status \(p.terminationStatus))") }
                    inProcess.append(r)
                }
                let b = median(bridged), g = median(inProcess)
                let overheadMicros = (Double(copies) / b - Double(copies) / g) * 1e6
                printTable(["environment", "Gymnasium in-process (env steps/s)", "through the bridge (env steps/s)", "overhead per vector step", "added to Gymnasium's step"],
                           [[config.rlexpID + " ×\(copies)", String(format: "%.0f", g), String(format: "%.0f", b), String(format: "%.1f µs", overheadMicros),
                             String(format: "%+.1f%%", 100 * (g / b - 1))]])
                print("medians of \(repeats), \(steps) env steps each; in-process: \(script) in \(python)")
            }
        }

        struct EnvCheckCommand: ParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "check",
                abstract: "Replay a reference file's trajectories against the built-in environments, bit for bit.",
                discussion: """
                The file has the layout of ../shared/reference/reference.h5: /classic_control/<EnvId>/ trajectories \
                from explicit initial states and /minatar_exact/<game>/seed_<k>/ episodes, any subset of them. \
                bench/make_reference.py makes such a file from your own Gymnasium and MinAtar install (see README, \
                "Verifying the environments"). Prints, per environment, the steps that matched exactly and the first \
                mismatch (field, step, both values). Exit status 0 when every step matched, 1 otherwise, 2 when the \
                file cannot be read as a reference.
                """)

            @Option(help: "The reference HDF5 file.")
            var reference: String

            func run() throws {
                let results: [EnvCheck.Result]
                do { results = try EnvCheck.run(referencePath: reference) } catch let e as EnvCheck.CheckError {
                    throw CLIError.badInput(e.description)
                }
                var rows: [[String]] = []
                var mismatches: [String] = []
                for r in results {
                    let what = r.group == "classic_control" ? "trajectories" : "episodes"
                    let verdict = r.skipped.map { "skipped: \($0)" } ?? (r.exact ? "exact" : "MISMATCH")
                    rows.append(["\(r.group)/\(r.id)", "\(r.trajectories) \(what)", "\(r.exactSteps)/\(r.steps)", verdict])
                    if let m = r.firstMismatch { mismatches.append("\(r.group)/\(r.id): first mismatch at \(m)") }
                }
                printTable(["group/environment", "replayed", "steps exact", "result"], rows)
                for m in mismatches { print(m) }
                let compared = results.filter { $0.skipped == nil }
                let total = compared.reduce(0) { $0 + $1.steps }, exact = compared.reduce(0) { $0 + $1.exactSteps }
                let skipped = results.filter { $0.skipped != nil }
                if !skipped.isEmpty {
                    throw CLIError.failed("\(skipped.count) environment(s) of the file were not replayed: " + skipped.map { "\($0.group)/\($0.id)" }.joined(separator: ", "))
                }
                if compared.allSatisfy(\.exact) && !compared.isEmpty {
                    print("all \(total) steps of \(compared.count) environments exact")
                } else {
                    throw CLIError.failed("\(total - exact) of \(total) steps did not match (\(compared.filter { !$0.exact }.count) environments)")
                }
            }
        }
    }
}

/// A plain-text table with aligned columns.
func printTable(_ header: [String], _ rows: [[String]]) {
    var widths = header.map(\.count)
    for r in rows { for (k, c) in r.enumerated() where k < widths.count { widths[k] = max(widths[k], c.count) } }
    func line(_ cells: [String]) -> String {
        cells.enumerated().map { k, c in k == cells.count - 1 ? c : c.padding(toLength: widths[k], withPad: " ", startingAt: 0) }
            .joined(separator: "  ")
    }
    print(line(header))
    print(line(widths.map { String(repeating: "-", count: $0) }))
    for r in rows { print(line(r)) }
}

/// The median (the mean of the middle two for an even count) of a non-empty array.
func median(_ x: [Double]) -> Double {
    let s = x.sorted()
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}
