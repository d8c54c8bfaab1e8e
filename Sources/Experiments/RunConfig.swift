import Agents
import Environments
import Foundation

/// One run of a sweep: a fully resolved configuration (every hyperparameter has a value) and a seed.
///
/// `runID` is derived from the resolved configuration alone (a hash of its canonical JSON, plus a
/// readable prefix of the swept values and the seed), so the same configuration always lands in the
/// same folder and a re-run of a sweep can skip what is already complete. `configID` is the same
/// hash without the seed: the runs that share it are the seeds of one configuration.
public struct RunConfig: Sendable {
    public var specName: String
    public var specHash: String
    public var env: String
    /// The environment options the spec sets (`env_kwargs`); the others are at their defaults.
    public var envOptions: [String: EnvOptionValue] = [:]
    /// The Gymnasium wrappers of a bridged environment (`wrappers`); in `resolved()` only when set.
    public var wrappers: [GymWrapperConfig] = []
    public var algo: String
    public var totalSteps: Int
    public var seed: Int
    public var eval: EvalSettings
    /// Env steps between full-state checkpoints (0: none); not in `resolved()`, so not in the run id.
    public var checkpointEvery = Spec.defaultCheckpointEvery
    /// The reference return of "env steps to threshold": the spec's `threshold`, else the
    /// environment's solve threshold (nil: none). Not in `resolved()`, so not in the run id.
    public var solveThreshold: Double?
    /// What the run records into run.h5's `/trajectories` (`record`; default nothing). In
    /// `resolved()` (so in the run id) only when set: a run that records writes a different run.h5
    /// than one that does not, so the two must not share a folder (a sweep re-run with `record`
    /// added would otherwise skip the complete unrecorded runs and record nothing), while the run
    /// ids of specs without `record` stay what they were.
    public var record = RecordSettings()
    public var hyperparameters: Hyperparameters
    /// The swept hyperparameters' values for this run (file order).
    public var swept: [(String, ParamValue)]
    /// Human label of the configuration: the swept values that differ from the spec's base
    /// configuration, e.g. "lr=0.001, nsteps=20" ("base" for the base configuration itself).
    public var configLabel: String

    public init(specName: String, specHash: String, env: String, algo: String, totalSteps: Int, seed: Int,
                eval: EvalSettings, hyperparameters: Hyperparameters, swept: [(String, ParamValue)], configLabel: String) {
        self.specName = specName; self.specHash = specHash; self.env = env; self.algo = algo
        self.totalSteps = totalSteps; self.seed = seed; self.eval = eval; self.hyperparameters = hyperparameters
        self.swept = swept; self.configLabel = configLabel
    }

    /// The resolved configuration as JSON (keys sorted when serialised canonically). `forID` leaves
    /// out the hyperparameters that are at a neutral default (`ParamDef.neutralDefault`).
    public func resolved(includeSeed: Bool = true, forID: Bool = false) -> JSON {
        var hp = hyperparameters.values
        if forID, let defs = Algorithms.named(algo)?.params {
            for d in defs where d.neutralDefault && hp[d.name] == d.defaultValue { hp[d.name] = nil }
        }
        var o: [(key: String, value: JSON)] = [
            ("algo", .string(algo)), ("env", .string(env)), ("total_steps", .int(totalSteps)),
            ("eval", .object([("interval", .int(eval.interval)), ("episodes", .int(eval.episodes)), ("mode", .string("greedy"))])),
            ("hyperparameters", .object(hp.keys.sorted().map { ($0, hp[$0]!.json) })),
        ]
        // only when set, so that the run ids of specs without env_kwargs stay what they were
        if !envOptions.isEmpty {
            o.append(("env_kwargs", envOptions.json))
        }
        if !wrappers.isEmpty {
            o.append(("wrappers", .array(wrappers.map { w in .object([("name", .string(w.name))] + (w.kwargs.isEmpty ? [] : [("kwargs", w.kwargs.json)])) })))
        }
        if !record.isEmpty { o.append(("record", record.json)) }
        if includeSeed { o.append(("seed", .int(seed))) }
        return .object(o)
    }

    public var configID: String { stableHash(resolved(includeSeed: false, forID: true).serialized(sortKeys: true)) }

    public var runID: String {
        let slug = configLabel == "base" ? "" : configLabel.replacingOccurrences(of: ", ", with: "_")
            .replacingOccurrences(of: "[^A-Za-z0-9._-]", with: "", options: .regularExpression)
        let h = String(stableHash(resolved(forID: true).serialized(sortKeys: true)).prefix(8))
        return (slug.isEmpty ? "" : String(slug.prefix(60)) + "_") + "s\(seed)-\(h)"
    }
}

extension ParamValue {
    public var json: JSON {
        switch self {
        case .int(let v): return .int(v)
        case .number(let v): return .number(v)
        case .bool(let v): return .bool(v)
        case .string(let v): return .string(v)
        case .ints(let v): return .array(v.map { .int($0) })
        }
    }
}

extension Dictionary where Key == String, Value == EnvOptionValue {
    /// The options as a JSON object, keys sorted.
    public var json: JSON {
        .object(keys.sorted().map { k in
            switch self[k]! { case .number(let x): return (k, .number(x)); case .bool(let b): return (k, .bool(b)); case .string(let s): return (k, .string(s)) }
        })
    }
}
