import Agents
import Environments
import Foundation
import NN

/// A problem with a spec: where (file and JSON path, e.g. `$.hyperparameters.lr`), what was found
/// and what was expected. All problems of one spec are collected before anything runs.
public struct SpecError: Error, CustomStringConvertible {
    public let file: String
    public let problems: [String]
    public init(file: String, problems: [String]) { self.file = file; self.problems = problems }
    /// Problems listed by `description` (a hostile spec can have thousands; the rest are counted).
    public static let shownProblems = 50
    public var description: String {
        "invalid spec \(file):\n" + problems.prefix(SpecError.shownProblems).map { "  " + $0 }.joined(separator: "\n")
            + (problems.count > SpecError.shownProblems ? "\n  … and \(problems.count - SpecError.shownProblems) more problem(s)" : "")
    }
}

/// Evaluation protocol: every `interval` environment steps (and at the start and the end), the
/// greedy policy (argmax of π) plays `episodes` episodes in a separate environment copy with its own
/// random stream; `eval_return` is their mean return.
public struct EvalSettings: Sendable, Hashable {
    public var interval: Int
    public var episodes: Int
}

/// A decoded, validated sweep spec.
///
/// ```json
/// { "name": "a2c_cartpole", "env": "CartPole-v1", "algo": "a2c", "total_steps": 300000,
///   "seeds": 5, "eval": {"interval": 10000, "episodes": 10},
///   "hyperparameters": {"ent_coef": 0.0}, "sweep": {"lr": [0.0007, 0.001]} }
/// ```
///
/// `sweep` lists values for any hyperparameter; the runs are the grid over all of them × seeds,
/// expanded in the order the keys appear in the file. `sweep` may also be a list of such objects:
/// the runs are then the union of their grids (a configuration in several grids runs once), e.g.
/// a main grid plus one-switch-off ablations.
public struct Spec: Sendable {
    public var name: String
    public var description: String
    public var env: String
    /// `env_kwargs`: the environment options the spec sets to other values than their defaults.
    public var envOptions: [String: EnvOptionValue] = [:]
    /// `wrappers`: the Gymnasium wrappers of a bridged environment (`gym:<id>`), in order.
    public var wrappers: [GymWrapperConfig] = []
    public var algo: String
    public var totalSteps: Int
    public var seeds: [Int]
    public var eval: EvalSettings
    /// Env steps between full-state checkpoints of a run (`checkpoint_every`; 0: none). Not part of
    /// a run's identity: checkpoints change no result.
    public var checkpointEvery = Spec.defaultCheckpointEvery
    /// `threshold`: the reference return of "env steps to threshold" (default: the environment's
    /// solve threshold, where it has one). Not part of a run's identity: it changes no result.
    public var threshold: Double?
    /// `record`: the episodes each run records into run.h5's `/trajectories` (default: none).
    public var record = RecordSettings()
    /// Base hyperparameters: the algorithm's defaults overridden by the spec's `hyperparameters`.
    public var base: [String: ParamValue]
    /// The grids: swept hyperparameters in file order, each with its values (one grid for an object).
    public var grids: [[(name: String, values: [ParamValue])]]
    /// FNV-1a-64 of the canonical (key-sorted) JSON of the spec.
    public var specHash: String
    public var source: JSON

    public static let topLevelKeys = ["name", "description", "env", "env_kwargs", "algo", "total_steps", "seeds", "eval", "hyperparameters", "sweep", "search_seed", "checkpoint_every", "threshold", "record", "wrappers", "parts"]
    /// The keys a part of a multi-part spec may set (each overrides the top-level value), and its label.
    public static let partKeys = ["label", "env", "env_kwargs", "algo", "total_steps", "eval", "hyperparameters", "sweep", "search_seed", "threshold", "record", "wrappers"]
    /// The most parts one spec may have.
    public static let maxParts = 64
    /// A multi-part spec's parts (`"parts": [...]`), each a whole spec of its own (one environment
    /// and algorithm, its grids) sharing the seeds, the results folder and the report; empty for a
    /// single-part spec. The top-level fields (`env`, `algo`, … of the first part) then describe
    /// `parts[0]`.
    public var parts: [Spec] = []
    /// A part's label: the prefix of its runs' configuration labels (`"ppo"`, `"acer: delta=0"`).
    public var label = ""
    /// The most runs one spec may expand to.
    public static let maxRuns = 100_000
    /// `checkpoint_every` when a spec does not give it.
    public static let defaultCheckpointEvery = 100_000
    /// The forms of a random search over one hyperparameter (`{"log_uniform": [lo, hi], "samples": n}`).
    public static let searchKinds = ["log_uniform", "uniform", "choice"]
    public static let evalKeys = ["interval", "episodes"]
    static let namePattern = "^[A-Za-z0-9][A-Za-z0-9_.-]*$"
    /// The longest `name` (a folder name: file systems allow 255 bytes).
    public static let maxNameLength = 200

    /// Reads and validates a spec file. Throws `SpecError` naming every problem.
    public static func load(path: String) throws -> Spec {
        guard FileManager.default.fileExists(atPath: path) else {
            throw SpecError(file: path, problems: ["no such file (give the path to a JSON sweep spec, e.g. experiments/a2c_cartpole.json)"])
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SpecError(file: path, problems: ["cannot read the file"])
        }
        return try load(data: data, file: path, fallbackName: URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent)
    }

    /// Decodes and validates a spec from the bytes of a file (what `load(path:)` reads): invalid
    /// UTF-8, invalid JSON and invalid specs all throw `SpecError`, naming the file and where (a
    /// line and column, or JSON paths). The entry point of the fuzz tests.
    public static func load(data: Data, file: String, fallbackName: String) throws -> Spec {
        let json: JSON
        do { json = try JSONParser.parse(bytes: [UInt8](data)) } catch let e as JSONSyntaxError {
            throw SpecError(file: file, problems: ["not valid JSON: \(e)"])
        }
        return try decode(json, file: file, fallbackName: fallbackName)
    }

    /// Validates a parsed spec.
    public static func decode(_ json: JSON, file: String, fallbackName: String) throws -> Spec {
        if case .object(let top) = json, let parts = json["parts"] {
            return try decodeParts(top: top, parts: parts, whole: json, file: file, fallbackName: fallbackName)
        }
        return try decodeSingle(json, file: file, fallbackName: fallbackName)
    }

    /// A multi-part spec: every part is the top-level object with the part's keys put over it,
    /// decoded as a spec of its own; problems name the part's JSON path (`$.parts[1].algo`).
    static func decodeParts(top: [(key: String, value: JSON)], parts: JSON, whole: JSON, file: String, fallbackName: String) throws -> Spec {
        guard case .array(let items) = parts, !items.isEmpty, items.count <= maxParts else {
            throw SpecError(file: file, problems: ["$.parts: expected a list of 1…\(maxParts) objects (each with keys among \(partKeys.joined(separator: ", "))), got \(shown(parts)) (\(parts.kindName))"])
        }
        var problems: [String] = [], decoded: [Spec] = [], labels: [String] = []
        for (i, item) in items.enumerated() {
            guard case .object(let o) = item else {
                problems.append("$.parts[\(i)]: expected an object with keys among \(partKeys.joined(separator: ", ")), got \(shown(item)) (\(item.kindName))"); continue
            }
            checkKeys(o.map(\.key), allowed: partKeys, at: "$.parts[\(i)]", into: &problems)
            var merged = top.filter { $0.key != "parts" }
            for (k, v) in o where k != "label" && partKeys.contains(k) {
                if let j = merged.firstIndex(where: { $0.key == k }) { merged[j].value = v } else { merged.append((k, v)) }
            }
            var label = ""
            if let v = item["label"] {
                if case .string(let l) = v, l.utf8.count <= 60, l.range(of: namePattern, options: .regularExpression) != nil { label = l }
                else { problems.append("$.parts[\(i)].label: expected a label of letters, digits, '_', '.', '-', at most 60 long, got \(shown(v)) (\(v.kindName))") }
            } else if case .string(let a)? = JSON.object(merged)["algo"] { label = a }
            if !label.isEmpty {
                if labels.contains(label) { problems.append("$.parts[\(i)].label: \"\(label)\" labels an earlier part too; give each part a distinct \"label\"") }
                labels.append(label)
            }
            do {
                var part = try decodeSingle(.object(merged), file: file, fallbackName: fallbackName)
                part.label = label
                decoded.append(part)
            } catch let e as SpecError {
                // a problem with a key the part sets is the part's: name its path
                for p in e.problems {
                    var q = p
                    for k in o.map(\.key) where p.hasPrefix("$.\(k)") { q = "$.parts[\(i)]." + p.dropFirst(2); break }
                    problems.append(q)
                }
            }
        }
        let total = decoded.reduce(0) { $0 + $1.expand().count }
        if total > maxRuns { problems.append("$.parts: the parts expand to \(total) runs; at most \(maxRuns) per spec") }
        var seen = Set<String>()
        problems = problems.filter { seen.insert($0).inserted }
        if !problems.isEmpty { throw SpecError(file: file, problems: problems) }
        let hash = stableHash(whole.serialized(sortKeys: true))
        for k in decoded.indices { decoded[k].specHash = hash }
        var spec = decoded[0]
        spec.parts = decoded
        spec.specHash = hash
        spec.source = whole
        spec.label = ""
        return spec
    }

    static func decodeSingle(_ json: JSON, file: String, fallbackName: String) throws -> Spec {
        var problems: [String] = []
        func bad(_ path: String, _ expected: String, _ got: JSON?) {
            if let got {
                problems.append("\(path): expected \(expected), got \(shown(got)) (\(got.kindName))")
            } else {
                problems.append("\(path): missing; expected \(expected)")
            }
        }
        guard case .object(let top) = json else {
            throw SpecError(file: file, problems: ["$: expected an object with keys \(topLevelKeys.joined(separator: ", ")), got \(json.kindName)"])
        }
        checkKeys(top.map(\.key), allowed: topLevelKeys, at: "$", into: &problems)

        var name = fallbackName
        if let v = json["name"] {
            if case .string(let s) = v, s.utf8.count <= maxNameLength, s.range(of: namePattern, options: .regularExpression) != nil { name = s }
            else { bad("$.name", "a name of letters, digits, '_', '.', '-', at most \(maxNameLength) long (it names the results folder)", v) }
        }
        var description = ""
        if let v = json["description"] { if case .string(let s) = v { description = s } else { bad("$.description", "a string", v) } }

        var env = ""
        let envExpected = "one of " + Environments.ids.map { "\"\($0)\"" }.joined(separator: ", ") + ", or \"gym:<Gymnasium id>\" (the Gymnasium bridge)"
        if case .string(let s)? = json["env"], Environments.ids.contains(s) || (GymBridge.isBridged(s) && s.count > GymBridge.prefix.count && s.utf8.count <= 200) { env = s }
        else { bad("$.env", envExpected, json["env"]) }

        var envOptions: [String: EnvOptionValue] = [:]
        var wrappers: [GymWrapperConfig] = []
        if GymBridge.isBridged(env) {
            // a bridged environment: env_kwargs go to gym.make as they are, wrappers come from gymnasium.wrappers
            if let v = json["env_kwargs"] {
                if let o = gymKwargs(v, at: "$.env_kwargs", bad: bad) { envOptions = o }
            }
            if let v = json["wrappers"] {
                if case .array(let items) = v, items.count <= 16 {
                    for (k, item) in items.enumerated() {
                        let at = "$.wrappers[\(k)]"
                        switch item {
                        case .string(let n) where isIdentifier(n): wrappers.append(GymWrapperConfig(name: n))
                        case .object(let o):
                            checkKeys(o.map(\.key), allowed: ["name", "kwargs"], at: at, into: &problems)
                            guard case .string(let n)? = item["name"], isIdentifier(n) else { bad(at + ".name", "the name of a wrapper in gymnasium.wrappers, e.g. \"AtariPreprocessing\"", item["name"]); continue }
                            var kw: [String: EnvOptionValue] = [:]
                            if let x = item["kwargs"], let o = gymKwargs(x, at: at + ".kwargs", bad: bad) { kw = o }
                            wrappers.append(GymWrapperConfig(name: n, kwargs: kw))
                        default: bad(at, "a wrapper: its name in gymnasium.wrappers, or {\"name\": …, \"kwargs\": {…}}", item)
                        }
                    }
                } else { bad("$.wrappers", "a list of at most 16 Gymnasium wrappers, e.g. [{\"name\": \"AtariPreprocessing\", \"kwargs\": {\"frame_skip\": 4}}, {\"name\": \"FrameStackObservation\", \"kwargs\": {\"stack_size\": 4}}]", v) }
            }
            if problems.isEmpty {
                do { try GymBridge.resolve(GymEnvConfig(id: String(env.dropFirst(GymBridge.prefix.count)), kwargs: envOptions, wrappers: wrappers)) }
                catch { problems.append("$.env: \(clipped("\(error)", 2000))") }
            }
        } else if json["wrappers"] != nil {
            problems.append("$.wrappers: only a bridged environment (\"env\": \"gym:<id>\") takes Gymnasium wrappers")
        }
        if let v = json["env_kwargs"], !GymBridge.isBridged(env) {
            let spec = Environments.spec(env)
            let options = spec?.options ?? []
            if case .object(let o) = v {
                if spec != nil && options.isEmpty && !o.isEmpty {
                    problems.append("$.env_kwargs: \(env) takes no options (got \(o.prefix(20).map { JSON.quote(clipped($0.key, 80)) }.joined(separator: ", ")))")
                } else if spec != nil {
                    checkKeys(o.map(\.key), allowed: options.map(\.name), at: "$.env_kwargs", into: &problems, what: "option of \(env)")
                }
                for (k, x) in o {
                    guard let opt = options.first(where: { $0.name == k }) else { continue }
                    let value: EnvOptionValue?
                    switch x {
                    case .bool(let b): value = .bool(b)
                    case .int(let i): value = .number(Double(i))
                    case .number(let d): value = .number(d)
                    default: value = nil
                    }
                    // a value equal to the default is left out, so that it does not change the run ids
                    if let value, opt.accepts(value) { if value != opt.defaultValue { envOptions[k] = value } }
                    else { bad("$.env_kwargs.\(k)", opt.expectation, x) }
                }
            } else if spec != nil {
                bad("$.env_kwargs", options.isEmpty ? "nothing: \(env) takes no options" : "an object with keys among " + options.map(\.name).joined(separator: ", "), v)
            }
        }

        var algoInfo: AlgorithmInfo?
        if case .string(let s)? = json["algo"], let a = Algorithms.named(s) { algoInfo = a }
        else { bad("$.algo", "one of " + Algorithms.all.map { "\"\($0.name)\"" }.joined(separator: ", "), json["algo"]) }
        if let a = algoInfo, let e = Environments.spec(env), !a.actionKinds.contains(e.action.kind) {
            let kinds = ActionSpace.Kind.allCases.filter { a.actionKinds.contains($0) }.map(\.rawValue).joined(separator: " or ")
            problems.append("$.env: \"\(env)\" has \(e.action.kind.rawValue) actions (\(e.action)); algo \"\(a.name)\" acts in \(kinds) action spaces only")
        }

        var totalSteps = 0
        if case .int(let n)? = json["total_steps"], n >= 1, n <= maxSteps { totalSteps = n }
        else if case .int(let n)? = json["total_steps"], n > maxSteps { problems.append("$.total_steps: expected at most \(maxSteps) environment steps per run (10^12), got \(n)") }
        else { bad("$.total_steps", "an integer ≥ 1 (environment steps per run)", json["total_steps"]) }

        var seeds = [0]
        switch json["seeds"] {
        case nil: break
        case .int(let n)? where n >= 1 && n <= 10_000: seeds = Array(0..<n)
        case .array(let a)? where !a.isEmpty:
            var s: [Int] = []
            for (k, v) in a.enumerated() {
                if case .int(let x) = v, x >= 0 { s.append(x) } else { bad("$.seeds[\(k)]", "an integer ≥ 0", v) }
            }
            if Set(s).count != s.count { problems.append("$.seeds: seeds must be distinct, got \(shown(.array(a)))") }
            seeds = s
        case let v?: bad("$.seeds", "a seed count (an integer in 1...10000) or a non-empty list of seeds (integers ≥ 0)", v)
        }

        var eval = EvalSettings(interval: 10_000, episodes: 10)
        if let v = json["eval"] {
            if case .object(let o) = v {
                checkKeys(o.map(\.key), allowed: evalKeys, at: "$.eval", into: &problems)
                if let x = v["interval"] { if case .int(let n) = x, n >= 1, n <= maxSteps { eval.interval = n } else { bad("$.eval.interval", "an integer in 1...\(maxSteps) (environment steps between evaluations)", x) } }
                if let x = v["episodes"] { if case .int(let n) = x, n >= 1 && n <= 10_000 { eval.episodes = n } else { bad("$.eval.episodes", "an integer in 1...10000 (episodes per evaluation)", x) } }
            } else { bad("$.eval", "an object with keys interval, episodes", v) }
        }

        var checkpointEvery = Spec.defaultCheckpointEvery
        if let v = json["checkpoint_every"] {
            if case .int(let n) = v, n >= 0, n <= maxSteps { checkpointEvery = n } else { bad("$.checkpoint_every", "an integer in 0...\(maxSteps) (environment steps between full-state checkpoints; 0 = none)", v) }
        }

        var record = RecordSettings()
        if let v = json["record"] {
            if case .object(let o) = v {
                checkKeys(o.map(\.key), allowed: RecordSettings.keys, at: "$.record", into: &problems)
                if let x = v["eval"] { if case .bool(let b) = x { record.eval = b } else { bad("$.record.eval", "true or false (record every greedy evaluation episode)", x) } }
                if let x = v["train_every"] {
                    if case .int(let n) = x, n >= 0, n <= maxSteps { record.trainEvery = n } else { bad("$.record.train_every", "an integer in 0...\(maxSteps) (record training episodes k, 2k, 3k, …; 0 = none)", x) }
                }
                if let x = v["train_last"] {
                    if case .int(let n) = x, n >= 0, n <= 100_000 { record.trainLast = n } else { bad("$.record.train_last", "an integer in 0...100000 (record the last n training episodes; 0 = none)", x) }
                }
            } else { bad("$.record", "an object with keys among \(RecordSettings.keys.joined(separator: ", ")), e.g. {\"eval\": true, \"train_every\": 10, \"train_last\": 5}", v) }
        }

        var threshold: Double?
        if let v = json["threshold"] {
            if let x = v.asNumber, x.isFinite, abs(x) <= 1e15 { threshold = x } else { bad("$.threshold", "a number (the reference return for env steps to threshold)", v) }
        }

        var searchSeed: UInt64 = 0
        if let v = json["search_seed"] {
            if case .int(let n) = v, n >= 0 { searchSeed = UInt64(n) } else { bad("$.search_seed", "an integer ≥ 0 (seeds the random search)", v) }
        }

        var base: [String: ParamValue] = [:]
        var grids: [[(name: String, values: [ParamValue])]] = []
        var gridPaths: [String] = []
        if let algo = algoInfo {
            base = algo.defaults
            let names = algo.params.map(\.name)
            if let v = json["hyperparameters"] {
                if case .object(let o) = v {
                    checkKeys(o.map(\.key), allowed: names, at: "$.hyperparameters", into: &problems, what: "hyperparameter of \(algo.name)")
                    for (k, x) in o {
                        guard let def = algo.params.first(where: { $0.name == k }) else { continue }
                        switch paramValue(x, def) {
                        case .success(let pv): base[k] = pv
                        case .failure(let msg): bad("$.hyperparameters.\(k)", msg.message, x)
                        }
                    }
                } else { bad("$.hyperparameters", "an object of \(algo.name) hyperparameters", v) }
            }
            func grid(_ v: JSON, at path: String) -> [(name: String, values: [ParamValue])] {
                guard case .object(let o) = v else {
                    bad(path, "an object mapping hyperparameter names to lists of values", v); return []
                }
                var g: [(name: String, values: [ParamValue])] = []
                checkKeys(o.map(\.key), allowed: names + ["seed"], at: path, into: &problems, what: "hyperparameter of \(algo.name) (or \"seed\")")
                for (k, x) in o {
                    if k == "seed" {
                        problems.append("\(path).seed: list seeds in $.seeds instead (e.g. \"seeds\": [0, 1, 2])")
                        continue
                    }
                    guard let def = algo.params.first(where: { $0.name == k }) else { continue }
                    if case .object = x {
                        if let vals = randomSearch(x, def, at: "\(path).\(k)", seed: searchSeed, into: &problems) { g.append((k, vals)) }
                        continue
                    }
                    guard case .array(let a) = x, !a.isEmpty else {
                        bad("\(path).\(k)", "a non-empty list of values, each \(def.kind.expectation), or a random search such as {\"log_uniform\": [1e-4, 1e-2], \"samples\": 50}", x)
                        continue
                    }
                    var vals: [ParamValue] = []
                    for (j, e) in a.enumerated() {
                        switch paramValue(e, def) {
                        case .success(let pv): vals.append(pv)
                        case .failure(let msg): bad("\(path).\(k)[\(j)]", msg.message, e)
                        }
                    }
                    if Set(vals).count != vals.count { problems.append("\(path).\(k): values must be distinct, got \(shown(x))") }
                    g.append((k, vals))
                }
                return g
            }
            switch json["sweep"] {
            case nil: grids = [[]]; gridPaths = ["$.sweep"]
            case .array(let a)? where !a.isEmpty:
                grids = a.enumerated().map { grid($1, at: "$.sweep[\($0)]") }
                gridPaths = a.indices.map { "$.sweep[\($0)]" }
            case let v?: grids = [grid(v, at: "$.sweep")]; gridPaths = ["$.sweep"]
            }
        }
        if totalSteps > 0 && eval.interval > totalSteps && json["eval"]?["interval"] != nil {
            problems.append("$.eval.interval, $.total_steps: eval interval \(eval.interval) > total_steps \(totalSteps): only the evaluations at step 0 and at the end would run")
        }
        // a sweep is expanded into memory: refuse one that could never run, before enumerating it
        let gridSizes = grids.map { g in g.reduce(1.0) { $0 * Double(max($1.values.count, 1)) } }
        let runCount = gridSizes.reduce(0, +) * Double(seeds.count)
        if runCount > Double(Spec.maxRuns) {
            problems.append("$.sweep, $.seeds: the sweep expands to \(formatNumber(runCount)) runs (grid sizes \(gridSizes.map { formatNumber($0) }.joined(separator: " + ")) × \(seeds.count) seed(s)); at most \(Spec.maxRuns) per spec")
        }
        if problems.isEmpty, let algo = algoInfo {
            // rules over several fields, on every configuration the sweep expands to
            let resourceRules = Environments.spec(env).map { Spec.resourceRules(algo, env: $0) } ?? []
            var given = Set<String>()
            if case .object(let o)? = json["hyperparameters"] { given = Set(o.map(\.key)) }
            for (g, sweep) in grids.enumerated() {
                for point in gridPoints(sweep) {
                    var hp = base
                    for (k, v) in point { hp[k] = v }
                    for rule in algo.constraints + resourceRules {
                        guard let what = rule.violation(hp, totalSteps) else { continue }
                        let paths = rule.fields.map { f -> String in
                            if f == "total_steps" { return "$.total_steps" }
                            if point.contains(where: { $0.0 == f }) { return "\(gridPaths[g]).\(f)" }
                            return given.contains(f) ? "$.hyperparameters.\(f)" : "$.hyperparameters.\(f) (default)"
                        }
                        let label = point.filter { base[$0.0] != $0.1 }.map { "\($0.0)=\($0.1)" }.joined(separator: ", ")
                        let msg = paths.joined(separator: ", ") + ": " + what + (label.isEmpty ? "" : " (configuration \(label))")
                        if !problems.contains(msg) { problems.append(msg) }
                    }
                    // the configuration must act in the environment's action space (e.g. async Q methods: discrete only)
                    if let e = Environments.spec(env), let kinds = algo.actionKindsFor?(hp), !kinds.contains(e.action.kind) {
                        let names = ActionSpace.Kind.allCases.filter { kinds.contains($0) }.map(\.rawValue).joined(separator: " or ")
                        let label = point.filter { base[$0.0] != $0.1 }.map { "\($0.0)=\($0.1)" }.joined(separator: ", ")
                        let msg = "$.env: \"\(env)\" has \(e.action.kind.rawValue) actions (\(e.action)); this configuration of algo \"\(algo.name)\" acts in \(names) action spaces only"
                            + (label.isEmpty ? "" : " (configuration \(label))")
                        if !problems.contains(msg) { problems.append(msg) }
                    }
                    // the network must fit the environment's observations
                    if let e = Environments.spec(env), let kind = hp["network"]?.asString.flatMap(NetworkKind.init(rawValue:)),
                       let needs = kind.observationRequirement, kind.imageDimensions(e.observation.shape) == nil {
                        let path = point.contains(where: { $0.0 == "network" }) ? "\(gridPaths[g]).network" : "$.hyperparameters.network"
                        let msg = "\(path): network \"\(kind.rawValue)\" needs \(needs); \(env)'s are \(e.observation)"
                        if !problems.contains(msg) { problems.append(msg) }
                    }
                }
            }
        }
        if !problems.isEmpty { throw SpecError(file: file, problems: problems) }
        var spec = Spec(name: name, description: description, env: env, algo: algoInfo!.name, totalSteps: totalSteps,
                    seeds: seeds, eval: eval, base: base, grids: grids,
                    specHash: stableHash(json.serialized(sortKeys: true)), source: json)
        spec.envOptions = envOptions
        spec.wrappers = wrappers
        spec.checkpointEvery = checkpointEvery
        spec.threshold = threshold
        spec.record = record
        return spec
    }

    /// A seeded random search over one hyperparameter: `{"log_uniform": [lo, hi], "samples": n}`
    /// (log-uniform, the A3C paper's learning-rate search), `{"uniform": [lo, hi], "samples": n}`, or
    /// `{"choice": [v, …], "samples": n}`. The n values are drawn from the stream of `search_seed` and
    /// the value's JSON path, so the same spec always expands to the same runs; integers are rounded
    /// down. The range must lie inside what the hyperparameter accepts, and every drawn value is
    /// validated like a grid value.
    static func randomSearch(_ x: JSON, _ def: ParamDef, at path: String, seed: UInt64, into problems: inout [String]) -> [ParamValue]? {
        guard case .object(let o) = x else { return nil }
        let keys = o.map(\.key)
        let kinds = keys.filter { searchKinds.contains($0) }
        checkKeys(keys, allowed: searchKinds + ["samples"], at: path, into: &problems, what: "random-search key")
        guard kinds.count == 1, let kind = kinds.first else {
            problems.append("\(path): a random search needs exactly one of \(searchKinds.map { "\"\($0)\"" }.joined(separator: ", ")) and \"samples\", got \(shown(x))")
            return nil
        }
        guard case .int(let n)? = x["samples"], n >= 1, n <= 10_000 else {
            problems.append("\(path).samples: expected an integer in 1...10000 (values to draw), got \(x["samples"].map(shown) ?? "nothing")")
            return nil
        }
        var rng = RNG(seed: seed, stream: RNG.label("search"), RNG.label(path))
        var values: [ParamValue] = []
        if kind == "choice" {
            guard case .array(let options)? = x["choice"], !options.isEmpty else {
                problems.append("\(path).choice: expected a non-empty list of values, each \(def.kind.expectation)"); return nil
            }
            var valid: [ParamValue] = []
            for (j, e) in options.enumerated() {
                switch paramValue(e, def) {
                case .success(let pv): valid.append(pv)
                case .failure(let m): problems.append("\(path).choice[\(j)]: expected \(m.message), got \(shown(e))")
                }
            }
            guard valid.count == options.count else { return nil }
            values = (0..<n).map { _ in valid[rng.int(below: valid.count)] }
        } else {
            let isInt: Bool
            switch def.kind { case .int: isInt = true; case .number: isInt = false
            default:
                problems.append("\(path).\(kind): a \(kind) search needs a numeric hyperparameter; \(def.name) takes \(def.kind.expectation)"); return nil
            }
            guard case .array(let r)? = x[kind], r.count == 2, let lo = r[0].asNumber, let hi = r[1].asNumber, lo < hi else {
                problems.append("\(path).\(kind): expected [low, high] with low < high, got \(x[kind].map(shown) ?? "nothing")"); return nil
            }
            if kind == "log_uniform" && lo <= 0 { problems.append("\(path).log_uniform: the range must be positive, got [\(formatNumber(lo)), \(formatNumber(hi))]"); return nil }
            for (end, v) in [("low", lo), ("high", hi)] {
                // an end beyond Int's range is refused before it is converted (the conversion would trap)
                let msg: String?
                if isInt, !(v > -Double(maxInteger) && v < Double(maxInteger) + 1) { msg = "\(def.kind.expectation), at most \(maxInteger)" }
                else { msg = checkValue(isInt ? .int(Int(v.rounded(.down))) : .number(v), def) }
                if let msg {
                    problems.append("\(path).\(kind): the range's \(end) end \(formatNumber(v)) is outside what \(def.name) accepts (\(msg))"); return nil
                }
            }
            for _ in 0..<n {
                let u = rng.uniform()
                var v = kind == "log_uniform" ? DetMath.exp(DetMath.log(lo) + u * (DetMath.log(hi) - DetMath.log(lo))) : lo + u * (hi - lo)
                // rounding may step a draw just past an end of the range: keep it inside
                v = v.isNaN ? lo : min(max(v, lo), hi)
                values.append(isInt ? .int(Int(v.rounded(.down))) : .number(v))
            }
        }
        // a log-uniform or uniform draw repeats a value only for integers or choices: keep the first of each
        var seen = Set<ParamValue>()
        return values.filter { seen.insert($0).inserted }
    }

    static func paramValue(_ x: JSON, _ def: ParamDef) -> Result<ParamValue, ParamProblem> {
        let pv: ParamValue?
        switch (def.kind, x) {
        case (.int, .int(let i)): pv = .int(i)
        case (.number, .int(let i)): pv = .number(Double(i))
        case (.number, .number(let d)): pv = .number(d)
        case (.bool, .bool(let b)): pv = .bool(b)
        case (.choice, .string(let s)): pv = .string(s)
        case (.intList, .array(let a)):
            var xs: [Int] = []
            for e in a { if case .int(let i) = e { xs.append(i) } else { return .failure(ParamProblem(def.kind.expectation)) } }
            pv = .ints(xs)
        default: pv = nil
        }
        guard let pv else { return .failure(ParamProblem(def.kind.expectation)) }
        if let msg = checkValue(pv, def) { return .failure(ParamProblem(msg)) }
        return .success(pv)
    }

    /// nil when `def` accepts `pv`, else what it accepts. An integer hyperparameter whose range has
    /// no upper bound still stops at `maxInteger` (so that no step counter plus it overflows).
    static func checkValue(_ pv: ParamValue, _ def: ParamDef) -> String? {
        if let msg = def.kind.validate(pv) { return msg }
        if case .int(let i) = pv, i > maxInteger { return "\(def.kind.expectation), at most \(maxInteger)" }
        return nil
    }

    /// A value as a message quotes it: its JSON, cut after 120 characters.
    static func shown(_ v: JSON) -> String { clipped(v.serialized()) }

    /// `s`, cut after `n` characters (saying how long it was).
    static func clipped(_ s: String, _ n: Int = 120) -> String {
        s.count <= n ? s : s.prefix(n) + "… (\(s.utf8.count) bytes)"
    }

    /// Flags keys that are not allowed, suggesting the nearest allowed one.
    static func checkKeys(_ keys: [String], allowed: [String], at path: String, into problems: inout [String], what: String = "key") {
        let unknown = keys.filter { !allowed.contains($0) }
        // a hostile file may have thousands: the first ones are listed, the rest counted
        if unknown.count > maxUnknownKeysListed {
            problems.append("\(path): \(unknown.count - maxUnknownKeysListed) more unknown \(what)(s) besides the \(maxUnknownKeysListed) below (allowed: \(allowed.joined(separator: ", ")))")
        }
        for k in unknown.prefix(maxUnknownKeysListed) {
            var msg = "\(path): unknown \(what) \(JSON.quote(clipped(k, 80)))"
            if let near = nearest(k, in: allowed) { msg += "; did you mean \"\(near)\"?" }
            msg += " (allowed: \(allowed.joined(separator: ", ")))"
            problems.append(msg)
        }
    }

    /// Unknown keys of one object listed one by one.
    static let maxUnknownKeysListed = 20

    /// The allowed word closest to `word` by edit distance, if it is reasonably close.
    public static func nearest(_ word: String, in words: [String]) -> String? {
        // a word far longer than every candidate is close to none (and its distances are costly)
        guard word.count <= 2 * (words.map(\.count).max() ?? 0) + 2 else { return nil }
        let scored = words.map { ($0, editDistance(word.lowercased(), $0.lowercased())) }
        guard let best = scored.min(by: { $0.1 < $1.1 }) else { return nil }
        return best.1 <= max(2, word.count / 3) ? best.0 : nil
    }

    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty || b.isEmpty { return max(a.count, b.count) }
        var prev = Array(0...b.count)
        for i in 1...a.count {
            var cur = [i] + [Int](repeating: 0, count: b.count)
            for j in 1...b.count {
                cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            prev = cur
        }
        return prev[b.count]
    }

    /// Every combination of a grid's values, in file order with the last name varying fastest.
    static func gridPoints(_ sweep: [(name: String, values: [ParamValue])]) -> [[(String, ParamValue)]] {
        var points: [[(String, ParamValue)]] = [[]]
        for (name, values) in sweep {
            points = points.flatMap { prefix in values.map { prefix + [(name, $0)] } }
        }
        return points
    }

    /// The runs of this spec: for each grid, every combination of its swept hyperparameters (in file
    /// order, the last varying fastest) × seeds (fastest of all); a configuration already produced by
    /// an earlier grid is not repeated.
    public func expand() -> [RunConfig] {
        if !parts.isEmpty {
            // the parts' runs in order, each configuration labelled with its part
            return parts.flatMap { p in
                p.expand().map { r in
                    var r = r
                    r.configLabel = p.label + (r.configLabel == "base" ? "" : ": " + r.configLabel)
                    return r
                }
            }
        }
        var runs: [RunConfig] = []
        var seen = Set<String>()
        for sweep in grids {
            for point in Spec.gridPoints(sweep) {
                var hp = base
                for (k, v) in point { hp[k] = v }
                // the label names what differs from the base configuration
                let differing = point.filter { base[$0.0] != $0.1 }
                let label = differing.isEmpty ? "base" : differing.map { "\($0.0)=\($0.1)" }.joined(separator: ", ")
                for seed in seeds {
                    var r = RunConfig(specName: name, specHash: specHash, env: env, algo: algo, totalSteps: totalSteps,
                                      seed: seed, eval: eval, hyperparameters: Hyperparameters(hp),
                                      swept: point.map { ($0.0, $0.1) }, configLabel: label)
                    r.envOptions = envOptions
                    r.wrappers = wrappers
                    r.checkpointEvery = checkpointEvery
                    r.record = record
                    r.solveThreshold = threshold ?? Environments.solveThreshold(env)
                    if seen.insert(r.configID + "/\(seed)").inserted { runs.append(r) }
                }
            }
        }
        return runs
    }
}

public struct ParamProblem: Error { public let message: String; init(_ m: String) { message = m } }

/// FNV-1a 64-bit of a string's UTF-8, as 16 hex digits: stable across runs, machines and versions.
public func stableHash(_ s: String) -> String {
    var h: UInt64 = 0xCBF2_9CE4_8422_2325
    for b in s.utf8 { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
    let hex = String(h, radix: 16)
    return String(repeating: "0", count: 16 - hex.count) + hex
}

/// A bridged environment's keyword arguments: an object of numbers, booleans and strings, passed to
/// Python as they are.
func gymKwargs(_ v: JSON, at path: String, bad: (String, String, JSON?) -> Void) -> [String: EnvOptionValue]? {
    guard case .object(let o) = v, o.count <= 64 else {
        bad(path, "an object of Gymnasium keyword arguments (numbers, booleans, strings), e.g. {\"frameskip\": 1}", v); return nil
    }
    var out: [String: EnvOptionValue] = [:]
    for (k, x) in o {
        guard isIdentifier(k) else { bad(path, "Python keyword names (letters, digits, _)", .string(k)); continue }
        switch x {
        case .bool(let b): out[k] = .bool(b)
        case .int(let i): out[k] = .number(Double(i))
        case .number(let d) where d.isFinite: out[k] = .number(d)
        case .string(let s) where s.utf8.count <= 1000: out[k] = .string(s)
        default: bad("\(path).\(k)", "a number, a boolean or a string", x)
        }
    }
    return out
}

/// Whether `s` is a Python identifier of at most 100 ASCII characters.
func isIdentifier(_ s: String) -> Bool {
    guard let f = s.utf8.first, s.utf8.count <= 100, f == UInt8(ascii: "_") || (f | 0x20 >= UInt8(ascii: "a") && f | 0x20 <= UInt8(ascii: "z")) else { return false }
    return s.utf8.allSatisfy { $0 == UInt8(ascii: "_") || ($0 | 0x20 >= UInt8(ascii: "a") && $0 | 0x20 <= UInt8(ascii: "z")) || ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9")) }
}
