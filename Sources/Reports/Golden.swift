import Agents
import Environments
import Experiments
import Foundation
import HDF5

/// Golden results: committed reference results of small, fast sweeps (`results/golden/<spec>.json`)
/// and the regression check against them (`rlexp check`).
///
/// Two tiers:
/// - **exact**, for deterministic runs: every reproducible dataset of every run.h5 must have the
///   golden digest; any changed bit is a regression, reported with the first differing dataset and
///   the rows (and environment steps) where it first differs;
/// - **statistical**, per configuration: the mean final evaluation return over seeds must lie inside
///   the golden 95% bootstrap confidence band widened by `tolerance` (for modes that are not
///   bit-reproducible, e.g. real asynchronous threads, this is the only tier).
///
/// Runs are matched by (configuration label, seed), so a change of a hyperparameter through the spec
/// is caught as a regression too (its configuration differs), not silently skipped.
public struct GoldenRun: Sendable {
    public var runID: String
    public var configLabel: String
    public var seed: Int
    public var config: String
    public var exact: Bool
    public var finalEvalReturn: Double
    public var datasets: [String: DatasetDigest]
}

public struct GoldenConfig: Sendable {
    public var label: String
    /// For exact-tier configurations the bootstrap 95% CI of the golden mean (widened by
    /// `tolerance`); for statistical-tier ones (`statistical`) the 99% prediction interval of a new
    /// sweep's mean (`meanPredictionInterval`, tolerance 0).
    public var finalEval: MeanCI
    public var tolerance: Double
    public var statistical: Bool = false
}

/// Where the mean of `n` fresh, independent runs of the same configuration falls with probability
/// `1 − α` (α = 1%), given `n` golden runs `x` (mean m, sample standard deviation s): the prediction
/// interval `m ± t_{1−α/2, n−1} · s · √(2/n)` for normally distributed run returns (Student's t with
/// n − 1 degrees of freedom; the √2 because both means are noisy). So a rerun with unchanged code
/// is flagged with probability about α — the statistical tier's false-alarm rate — while a learner
/// that got worse by more than the band's half-width is flagged almost surely. Needs n ≥ 2.
public func meanPredictionInterval(_ x: [Double]) -> MeanCI {
    let n = x.count
    guard n >= 2 else { let m = x.first ?? .nan; return MeanCI(mean: m, lo: m, hi: m, n: n) }
    let m = x.reduce(0, +) / Double(n)
    let s = (x.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(n - 1)).squareRoot()
    let half = studentT995(degreesOfFreedom: n - 1) * s * (2 / Double(n)).squareRoot()
    return MeanCI(mean: m, lo: m - half, hi: m + half, n: n)
}

/// The 99.5% quantile of Student's t distribution (two-sided 99%), from the standard table for 1…30
/// degrees of freedom and the normal quantile 2.576 beyond (within 0.05 of the exact value there).
public func studentT995(degreesOfFreedom df: Int) -> Double {
    let table: [Double] = [63.657, 9.925, 5.841, 4.604, 4.032, 3.707, 3.499, 3.355, 3.250, 3.169,
                           3.106, 3.055, 3.012, 2.977, 2.947, 2.921, 2.898, 2.878, 2.861, 2.845,
                           2.831, 2.819, 2.807, 2.797, 2.787, 2.779, 2.771, 2.763, 2.756, 2.750]
    precondition(df >= 1, "degrees of freedom must be ≥ 1")
    return df <= table.count ? table[df - 1] : 2.576
}

public struct GoldenFile: Sendable {
    public var specName: String
    public var specHash: String
    /// The commit that produced the runs (from their run.h5; "-dirty" if the tree had changes).
    public var gitCommit: String
    /// Every distinct commit recorded by the runs (one for a folder written by one build).
    public var runCommits: [String]
    /// The environment of the runs and the mean return of a uniformly random policy on it (2000
    /// episodes, fixed seed), stated so that a reader sees how far above chance the golden band sits.
    public var env: String
    public var randomPolicyReturn: Double
    public var runs: [GoldenRun]
    public var configs: [GoldenConfig]

    /// Whether the runs were produced by one clean commit (no uncommitted changes, known commit).
    public var isFromCleanCommit: Bool {
        runCommits.count == 1 && !gitCommit.hasSuffix("-dirty") && gitCommit != "unknown" && !gitCommit.isEmpty
    }

    /// The golden content of a results folder (every complete run.h5 in it).
    public static func from(resultsDir: URL) throws -> GoldenFile {
        let manifestURL = resultsDir.appendingPathComponent("manifest.json")
        guard let text = try? String(contentsOf: manifestURL, encoding: .utf8) else {
            throw GoldenError("\(resultsDir.path) has no manifest.json: give a folder written by `rlexp run`")
        }
        let manifest = try JSONParser.parse(text)
        guard case .string(let name)? = manifest["spec_name"], case .string(let hash)? = manifest["spec_hash"],
              case .array(let items)? = manifest["runs"] else { throw GoldenError("\(manifestURL.path) is not an rlexp manifest") }
        var runs: [GoldenRun] = []
        var byLabel: [String: [Double]] = [:]
        var commits: [String] = []
        var env = ""
        var statisticalLabels = Set<String>()
        for item in items {
            guard case .string(let id)? = item["run_id"] else { continue }
            let path = resultsDir.appendingPathComponent("runs/\(id)/run.h5").path
            guard FileManager.default.fileExists(atPath: path) else { throw GoldenError("run \(id) has no run.h5 (incomplete sweep?)") }
            let data = try RunData.load(path)
            if !commits.contains(data.gitCommit) { commits.append(data.gitCommit) }
            env = data.env
            let final = data.curve["eval_return"]?.last ?? .nan
            // runs on real threads are not bit-reproducible: only the statistical tier applies
            let exact = data.hyperparameters["execution"] != .string("threads")
            runs.append(GoldenRun(runID: id, configLabel: data.configLabel, seed: data.seed, config: data.configJSON,
                                  exact: exact, finalEvalReturn: final, datasets: exact ? try datasetDigestsDetailed(path) : [:]))
            byLabel[data.configLabel, default: []].append(final)
            if !exact { statisticalLabels.insert(data.configLabel) }
        }
        let configs = byLabel.keys.sorted().map { label -> GoldenConfig in
            if statisticalLabels.contains(label) {
                // not reproducible: the band is where a fresh sweep's mean lands with probability 99%
                let p = meanPredictionInterval(byLabel[label]!)
                return GoldenConfig(label: label, finalEval: p, tolerance: 0, statistical: true)
            }
            let ci = bootstrapMeanCI(byLabel[label]!)
            // a band no narrower than 5% of the return scale, so that a legitimate re-run of a
            // non-deterministic mode does not flake on a tight interval
            return GoldenConfig(label: label, finalEval: ci, tolerance: max(0.05 * abs(ci.mean), 1), statistical: false)
        }
        return GoldenFile(specName: name, specHash: hash, gitCommit: commits.last ?? "unknown", runCommits: commits, env: env,
                          randomPolicyReturn: Environments.randomPolicyReturn(env) ?? .nan, runs: runs, configs: configs)
    }

    public var json: JSON {
        func ci(_ c: MeanCI) -> JSON { .object([("mean", .number(c.mean)), ("lo", .number(c.lo)), ("hi", .number(c.hi)), ("n", .int(c.n))]) }
        return .object([
            ("format", .string("rlexp-golden/1")),
            ("spec_name", .string(specName)), ("spec_hash", .string(specHash)), ("git_commit", .string(gitCommit)),
            ("env", .string(env)),
            ("random_policy_return", .object([("mean", .number(randomPolicyReturn)), ("episodes", .int(2000)),
                                              ("description", .string("mean return of a uniformly random policy on env (2000 episodes, seed 0)"))])),
            ("digest_chunk_rows", .int(digestChunkRows)),
            ("configs", .array(configs.map { c in
                .object([("config_label", .string(c.label)), ("tier", .string(c.statistical ? "statistical" : "exact")),
                         ("band_kind", .string(c.statistical ? "99% prediction interval of a new sweep's mean (false-alarm rate 1%)" : "95% bootstrap CI of the mean, widened by tolerance")),
                         ("final_eval_return", ci(c.finalEval)), ("tolerance", .number(c.tolerance)),
                         ("band", .object([("lo", .number(c.finalEval.lo - c.tolerance)), ("hi", .number(c.finalEval.hi + c.tolerance))])),
                         ("band_lo_above_random", .number(c.finalEval.lo - c.tolerance - randomPolicyReturn))])
            })),
            ("runs", .array(runs.sorted { ($0.configLabel, $0.seed) < ($1.configLabel, $1.seed) }.map { r in
                .object([("run_id", .string(r.runID)), ("config_label", .string(r.configLabel)), ("seed", .int(r.seed)),
                         ("tier", .string(r.exact ? "exact" : "statistical")), ("config", .string(r.config)),
                         ("final_eval_return", .number(r.finalEvalReturn)),
                         ("datasets", .object(r.datasets.keys.sorted().map { k in
                             let d = r.datasets[k]!
                             return (k, .object([("count", .int(d.count)), ("digest", .string(d.digest)), ("chunks", .array(d.chunks.map { .string($0) }))]))
                         }))])
            })),
        ])
    }

    public static func load(_ path: String) throws -> GoldenFile {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw GoldenError("cannot read golden file \(path)") }
        let j = try JSONParser.parse(text)
        guard case .string("rlexp-golden/1")? = j["format"], case .array(let rs)? = j["runs"], case .array(let cs)? = j["configs"] else {
            throw GoldenError("\(path) is not an rlexp golden file")
        }
        func num(_ v: JSON?) -> Double { switch v { case .int(let i)?: return Double(i); case .number(let d)?: return d; default: return .nan } }
        func str(_ v: JSON?) -> String { if case .string(let s)? = v { return s }; return "" }
        let runs: [GoldenRun] = rs.map { r in
            var ds: [String: DatasetDigest] = [:]
            if case .object(let o)? = r["datasets"] {
                for (k, v) in o {
                    var chunks: [String] = []
                    if case .array(let a)? = v["chunks"] { chunks = a.map { str($0) } }
                    ds[k] = DatasetDigest(count: Int(num(v["count"])), digest: str(v["digest"]), chunks: chunks)
                }
            }
            return GoldenRun(runID: str(r["run_id"]), configLabel: str(r["config_label"]), seed: Int(num(r["seed"])),
                             config: str(r["config"]), exact: str(r["tier"]) == "exact", finalEvalReturn: num(r["final_eval_return"]), datasets: ds)
        }
        let configs: [GoldenConfig] = cs.map { c in
            let f = c["final_eval_return"]
            return GoldenConfig(label: str(c["config_label"]),
                                finalEval: MeanCI(mean: num(f?["mean"]), lo: num(f?["lo"]), hi: num(f?["hi"]), n: Int(num(f?["n"]))),
                                tolerance: num(c["tolerance"]), statistical: str(c["tier"]) == "statistical")
        }
        return GoldenFile(specName: str(j["spec_name"]), specHash: str(j["spec_hash"]), gitCommit: str(j["git_commit"]),
                          runCommits: [str(j["git_commit"])], env: str(j["env"]), randomPolicyReturn: num(j["random_policy_return"]?["mean"]),
                          runs: runs, configs: configs)
    }
}

public struct GoldenError: Error, CustomStringConvertible {
    public let description: String
    public init(_ d: String) { description = d }
}

/// One line of the check's table.
public struct CheckRow: Sendable {
    public var metric: String, golden: String, now: String, delta: String
    public var regression: Bool
    public var detail: String
}

public struct CheckResult: Sendable {
    public var rows: [CheckRow]
    public var regressions: Int { rows.filter(\.regression).count }

    public var table: String {
        var s = "| metric | golden | now | Δ | verdict |\n|---|---|---|---|---|\n"
        for r in rows { s += "| \(r.metric) | \(r.golden) | \(r.now) | \(r.delta) | \(r.regression ? "REGRESSION" : "ok") |\n" }
        for r in rows where r.regression && !r.detail.isEmpty { s += "\n" + r.detail }
        return s + "\n\(regressions == 0 ? "PASS" : "FAIL"): \(regressions) regression(s) in \(rows.count) checks\n"
    }
}

/// Compares a results folder with a golden file.
public func checkAgainstGolden(resultsDir: URL, golden: GoldenFile) throws -> CheckResult {
    let now = try GoldenFile.from(resultsDir: resultsDir)
    var rows: [CheckRow] = []
    let nowByKey = Dictionary(now.runs.map { ("\($0.configLabel)#\($0.seed)", $0) }, uniquingKeysWith: { a, _ in a })
    for g in golden.runs.sorted(by: { ($0.configLabel, $0.seed) < ($1.configLabel, $1.seed) }) {
        let name = "\(g.configLabel) seed \(g.seed)"
        guard let n = nowByKey["\(g.configLabel)#\(g.seed)"] else {
            rows.append(CheckRow(metric: "\(name): run", golden: g.runID, now: "missing", delta: "–", regression: true,
                                 detail: "No run for configuration \"\(g.configLabel)\", seed \(g.seed) in \(resultsDir.path).\n"))
            continue
        }
        var detail = ""
        if !sameConfig(g.config, n.config) { detail += "Configuration differs: \(configDiff(g.config, n.config)).\n" }
        if g.exact {
            // in training order: per-update metrics first, then episodes, the curve, and the final checkpoint
            func rank(_ k: String) -> (Int, Int, String) {
                let group = ["/updates/": 0, "/episodes/": 1, "/curve/": 2].first { k.hasPrefix($0.key) }?.value ?? 3
                let chunk = g.datasets[k].flatMap { gd in n.datasets[k].flatMap { nd in
                    gd.chunks.indices.first { $0 >= nd.chunks.count || gd.chunks[$0] != nd.chunks[$0] } } } ?? Int.max
                return (group, chunk, k)
            }
            let differing = g.datasets.keys.filter { n.datasets[$0] != g.datasets[$0] }.sorted { rank($0) < rank($1) }
            if let first = differing.first {
                detail += "First differing dataset: \(first) " + whereDiffers(g.datasets[first], n.datasets[first], resultsDir: resultsDir, runID: n.runID, dataset: first) + ".\n"
                if differing.count > 1 { detail += "Also differ: \(differing.dropFirst().prefix(8).joined(separator: ", "))\(differing.count > 9 ? ", …" : "").\n" }
            }
            rows.append(CheckRow(metric: "\(name): datasets (exact)", golden: "\(g.datasets.count) digests", now: "\(n.datasets.count) digests",
                                 delta: "\(differing.count) differ", regression: !differing.isEmpty || !sameConfig(g.config, n.config),
                                 detail: detail.isEmpty ? "" : "**\(name)** (\(n.runID)): " + detail))
        }
        rows.append(CheckRow(metric: "\(name): final eval_return", golden: fmt(g.finalEvalReturn), now: fmt(n.finalEvalReturn),
                             delta: fmt(n.finalEvalReturn - g.finalEvalReturn), regression: false, detail: ""))
    }
    let nowConfigs = Dictionary(now.configs.map { ($0.label, $0) }, uniquingKeysWith: { a, _ in a })
    for g in golden.configs {
        guard let n = nowConfigs[g.label] else { continue }
        let lo = g.finalEval.lo - g.tolerance, hi = g.finalEval.hi + g.tolerance
        let inside = n.finalEval.mean >= lo && n.finalEval.mean <= hi
        rows.append(CheckRow(metric: "\(g.label): mean final eval_return (statistical)",
                             golden: "\(fmt(g.finalEval.mean)) band [\(fmt(lo)), \(fmt(hi))]", now: fmt(n.finalEval.mean),
                             delta: fmt(n.finalEval.mean - g.finalEval.mean), regression: !inside,
                             detail: inside ? "" : "**\(g.label)**: mean final eval return \(fmt(n.finalEval.mean)) outside the golden band [\(fmt(lo)), \(fmt(hi))].\n"))
    }
    return CheckResult(rows: rows)
}

/// "rows a–b (env steps x–y)" for the first chunk where two digests differ.
func whereDiffers(_ g: DatasetDigest?, _ n: DatasetDigest?, resultsDir: URL, runID: String, dataset: String) -> String {
    guard let g, let n else { return g == nil ? "(new in this run)" : "(missing in this run)" }
    if g.count != n.count { return "(\(g.count) values in golden, \(n.count) now)" }
    guard let k = g.chunks.indices.first(where: { $0 < n.chunks.count && g.chunks[$0] != n.chunks[$0] }) else { return "" }
    let a = k * digestChunkRows, b = min(a + digestChunkRows, n.count) - 1
    var s = "in rows \(a)–\(b)"
    // the step column of the same group tells where that is in training
    let group = dataset.split(separator: "/").dropLast().joined(separator: "/")
    if let f = try? readSteps(resultsDir.appendingPathComponent("runs/\(runID)/run.h5").path, group: group), a < f.count {
        s += " (env steps \(Int64(f[a]))–\(Int64(f[min(b, f.count - 1)])))"
    }
    return s
}

/// Whether a golden run's configuration and a new run's are the same. A hyperparameter added after
/// the golden file was recorded (`ParamDef.neutralDefault`) at its default counts as absent, as it
/// does in run ids: its default reproduces the old behaviour.
func sameConfig(_ golden: String, _ now: String) -> Bool {
    if golden == now { return true }
    guard let g = try? JSONParser.parse(golden), let n = try? JSONParser.parse(now) else { return false }
    func withoutNeutralDefaults(_ j: JSON) -> String {
        guard case .object(let top) = j, case .string(let algo)? = j["algo"], let defs = Algorithms.named(algo)?.params else { return j.serialized(sortKeys: true) }
        let neutral = Dictionary(defs.filter(\.neutralDefault).map { ($0.name, $0.defaultValue.json) }, uniquingKeysWith: { a, _ in a })
        let stripped: [(key: String, value: JSON)] = top.map { kv in
            guard kv.key == "hyperparameters", case .object(let hp) = kv.value else { return kv }
            return (kv.key, .object(hp.filter { neutral[$0.key] == nil || neutral[$0.key]! != $0.value }))
        }
        return JSON.object(stripped).serialized(sortKeys: true)
    }
    return withoutNeutralDefaults(g) == withoutNeutralDefaults(n)
}

func configDiff(_ a: String, _ b: String) -> String {
    guard case .object(let ha)? = (try? JSONParser.parse(a))?["hyperparameters"], case .object(let hb)? = (try? JSONParser.parse(b))?["hyperparameters"] else {
        return "golden \(a) vs now \(b)"
    }
    let da = Dictionary(ha.map { ($0.key, $0.value) }, uniquingKeysWith: { x, _ in x })
    let db = Dictionary(hb.map { ($0.key, $0.value) }, uniquingKeysWith: { x, _ in x })
    let keys = Set(da.keys).union(db.keys).filter { da[$0] != db[$0] }.sorted()
    // (a neutral-default hyperparameter new since the golden file does not count: see sameConfig)
    return keys.isEmpty ? "outside hyperparameters" : keys.map { "\($0) \(da[$0]?.serialized() ?? "–") → \(db[$0]?.serialized() ?? "–")" }.joined(separator: ", ")
}

/// The `step` column of a group of a run.h5.
func readSteps(_ path: String, group: String) throws -> [Double] {
    let f = try H5File.open(path)
    defer { f.close() }
    return try f.root.read((group.isEmpty ? "" : group + "/") + "step", as: Double.self)
}
