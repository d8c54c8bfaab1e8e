import Environments
import Experiments
import Foundation
import HDF5

/// Minari export of the trajectories a results folder recorded (`record` in the spec; run.h5's
/// `/trajectories`): one dataset per environment, in Minari's on-disk format (read from
/// Farama-Foundation/Minari `minari/dataset/minari_storage.py` and
/// `_storages/hdf5_storage.py`):
///
///     OUT/<dataset id>/data/metadata.json     total_episodes, total_steps, data_format "hdf5",
///                                             observation_space/action_space (Minari's serialised
///                                             Gymnasium spaces), env_spec (Gymnasium EnvSpec JSON,
///                                             for recover_environment()), dataset_id, minari_version
///     OUT/<dataset id>/data/main_data.hdf5    episode_<id> groups (ids 0, 1, … in run-id order, each
///                                             run's training episodes then its evaluation ones):
///                                             observations [T+1, …] f32, actions [T] i64 or [T, k] f32,
///                                             rewards [T] f64, terminations/truncations [T] (0/1, int8);
///                                             infos/ (EpisodeData.infos): the behaviour policy's
///                                             statistics and value estimate of each step, [T] rows
///                                             aligned with the actions (row t: the policy that chose
///                                             action t at observation t) — policy_probs [T, n], or
///                                             policy_mean and policy_log_std [T, k], and value [T], f32;
///                                             attributes id, total_steps and rlexp_* provenance
///
/// so `MINARI_DATASETS_PATH=OUT python -c "import minari; minari.load_dataset(ID)"` loads it.
/// Terminations and truncations are int8 0/1 (rlexp's HDF5 layer writes no HDF5 enum type, which is
/// what h5py writes for numpy bool). Returns the dataset ids written.
@discardableResult
public func exportMinari(resultsDir: URL, outDir: URL? = nil, datasetID: String? = nil) throws -> [String] {
    let fm = FileManager.default
    let runsDir = resultsDir.appendingPathComponent("runs")
    let ids = try fm.contentsOfDirectory(atPath: runsDir.path).sorted()
        .filter { fm.fileExists(atPath: runsDir.appendingPathComponent("\($0)/run.h5").path) }
    // the runs with recorded trajectories, grouped by environment (and its options)
    var groups: [(key: String, env: String, kwargs: JSON, runs: [String])] = []
    for id in ids {
        let f = try H5File.open(runsDir.appendingPathComponent("\(id)/run.h5").path)
        defer { f.close() }
        guard f.root.exists("trajectories") else { continue }
        let env = try f.root.stringAttribute("env")
        let config = try JSONParser.parse(try f.root.stringAttribute("config"))
        let kwargs = config["env_kwargs"] ?? .object([])
        let key = env + kwargs.serialized(sortKeys: true)
        if let k = groups.firstIndex(where: { $0.key == key }) { groups[k].runs.append(id) } else { groups.append((key, env, kwargs, [id])) }
    }
    guard !groups.isEmpty else {
        throw GoldenError("\(resultsDir.path) has no runs with recorded trajectories (set \"record\" in the spec, e.g. \"record\": {\"eval\": true})")
    }
    let out = outDir ?? resultsDir.appendingPathComponent("minari")
    let specName = resultsDir.standardizedFileURL.lastPathComponent
    var written: [String] = []
    for (n, g) in groups.enumerated() {
        let slug = envSlug(g.env) + (groups.filter { $0.env == g.env }.count > 1 ? "_\(n)" : "")
        let id: String
        if let datasetID { id = groups.count == 1 ? datasetID : "\(datasetID)/\(slug)-v0" } else { id = "rlexp/\(specName)/\(slug)-v0" }
        guard isMinariDatasetID(id) else {
            throw GoldenError("dataset id \"\(id)\" is not of Minari's form (namespace/)name-v<version>, e.g. rlexp/cartpole-v0")
        }
        guard let spec = Environments.spec(g.env) else { throw GoldenError("run.h5 names unknown environment \(g.env)") }
        let dataDir = out.appendingPathComponent(id).appendingPathComponent("data")
        try? fm.removeItem(at: dataDir)
        try fm.createDirectory(at: dataDir, withIntermediateDirectories: true)
        let file = try H5File.create(dataDir.appendingPathComponent("main_data.hdf5").path)
        var episodes = 0, steps = 0
        for run in g.runs {
            let f = try H5File.open(runsDir.appendingPathComponent("\(run)/run.h5").path)
            defer { f.close() }
            let t = try f.root.openGroup("trajectories")
            for kind in ["train", "eval"] where t.exists(kind) {
                let k = try t.openGroup(kind)
                let obs = try k.read("observations", as: Float.self), rew = try k.read("rewards", as: Double.self)
                let term = try k.read("terminations", as: Int8.self), trunc = try k.read("truncations", as: Int8.self)
                let ao = try k.read("action_offsets", as: Int64.self).map(Int.init), oo = try k.read("observation_offsets", as: Int64.self).map(Int.init)
                let index = try k.read("episode_index", as: Int64.self), start = try k.read("start_step", as: Int64.self)
                let envIndex = try k.read("env_index", as: Int64.self), seeds = try k.read("seed", as: Int64.self)
                let d = spec.observation.size
                // the behaviour statistics, each as (name, flat values, its row shape: [] for value, [n] or [k] for the policy's)
                var stats: [(String, [Float], [Int])] = []
                for name in ["policy_probs", "policy_mean", "policy_log_std", "value"] where k.exists(name) {
                    let row = name == "value" ? [] : [name == "policy_probs" ? spec.action.discreteCount! : spec.action.dimension]
                    stats.append((name, try k.read(name, as: Float.self), row))
                }
                for e in 0..<(ao.count - 1) {
                    let eg = try file.root.createGroup("episode_\(episodes)")
                    let len = ao[e + 1] - ao[e]
                    try eg.setAttribute("id", Int64(episodes))
                    try eg.setAttribute("total_steps", Int64(len))
                    try eg.setAttribute("rlexp_run_id", run)
                    try eg.setAttribute("rlexp_kind", kind)
                    try eg.setAttribute("rlexp_episode_index", index[e])
                    try eg.setAttribute("rlexp_start_step", start[e])
                    try eg.setAttribute("rlexp_env_index", envIndex[e])
                    try eg.setAttribute("rlexp_seed", seeds[e])
                    try eg.write("observations", Array(obs[(oo[e] * d)..<(oo[e + 1] * d)]), shape: [len + 1] + spec.observation.shape)
                    switch spec.action {
                    case .discrete:
                        let a = try k.read("actions", as: Int64.self)
                        try eg.write("actions", Array(a[ao[e]..<ao[e + 1]]))
                    case .box(let low, _):
                        let a = try k.read("actions", as: Float.self)
                        try eg.write("actions", Array(a[(ao[e] * low.count)..<(ao[e + 1] * low.count)]), shape: [len, low.count])
                    }
                    try eg.write("rewards", Array(rew[ao[e]..<ao[e + 1]]))
                    try eg.write("terminations", Array(term[ao[e]..<ao[e + 1]]))
                    try eg.write("truncations", Array(trunc[ao[e]..<ao[e + 1]]))
                    if !stats.isEmpty {
                        let infos = try eg.createGroup("infos")
                        for (name, v, row) in stats {
                            let m = row.first ?? 1
                            try infos.write(name, Array(v[(ao[e] * m)..<(ao[e + 1] * m)]), shape: [len] + row)
                        }
                    }
                    episodes += 1; steps += len
                }
            }
        }
        try file.flush()
        file.close()
        let meta: JSON = .object([
            ("total_episodes", .int(episodes)), ("total_steps", .int(steps)), ("data_format", .string("hdf5")), ("jpeg_encoding", .bool(false)),
            ("observation_space", .string(minariSpace(spec.observation))), ("action_space", .string(minariSpace(spec.action))),
            ("env_spec", gymEnvSpec(spec, kwargs: g.kwargs).map { .string($0) } ?? .null),
            ("dataset_id", .string(id)), ("minari_version", .string("0.5.4")),
            ("algorithm_name", .string("rlexp")),
            ("description", .string("trajectories recorded by rlexp (\(g.runs.count) run(s) of \(specName)); episode attributes rlexp_* name the run, kind (train/eval) and start step; infos hold the behaviour policy's statistics (policy_probs, or policy_mean and policy_log_std) and value estimate of each step, one row per action")),
        ])
        try atomicWrite(meta.serialized(), to: dataDir.appendingPathComponent("metadata.json"))
        written.append(id)
    }
    return written
}

/// An environment id as a dataset name: lower case, each run of other characters than letters and
/// digits one `_` ("CartPole-v1" → "cartpole_v1").
func envSlug(_ env: String) -> String {
    var out = ""
    for c in env.lowercased() {
        if c.isASCII && (c.isLetter || c.isNumber) { out.append(c) } else if !out.hasSuffix("_") { out.append("_") }
    }
    return out
}

/// Minari's dataset id form: `(namespace/)*name-v<version>`, each part of letters, digits, `_`, `.`, `-`.
func isMinariDatasetID(_ id: String) -> Bool {
    let parts = id.split(separator: "/", omittingEmptySubsequences: false)
    guard parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "_.-".contains($0)) } }),
          let last = parts.last, let v = last.range(of: "-v", options: .backwards) else { return false }
    let version = last[v.upperBound...]
    return v.lowerBound != last.startIndex && !version.isEmpty && version.allSatisfy(\.isNumber)
}

/// A float as Python's `repr` of the same double (Gymnasium stores float32 bounds; json.dumps
/// writes their double value), with ±Infinity as json.dumps writes them.
private func pyFloat(_ x: Float) -> String {
    if x == .infinity { return "Infinity" }
    if x == -.infinity { return "-Infinity" }
    let d = Double(x)
    return d == d.rounded() && abs(d) < 1e16 ? String(format: "%.1f", d) : "\(d)"
}

/// Minari's serialisation of a Box observation space (`minari.serialization.serialize_space`).
func minariSpace(_ o: ObservationSpace) -> String {
    let n = o.size
    let low = o.low ?? [Float](repeating: -.infinity, count: n), high = o.high ?? [Float](repeating: .infinity, count: n)
    let dtype = o.dtype == .uint8 ? "uint8" : "float32"
    // Minari writes per-element bounds flattened to the space's shape; one row-major list is what it reads back for a 1-D space
    return "{\"type\": \"Box\", \"dtype\": \"\(dtype)\", \"shape\": [\(o.shape.map(String.init).joined(separator: ", "))], \"low\": [\(low.map(pyFloat).joined(separator: ", "))], \"high\": [\(high.map(pyFloat).joined(separator: ", "))]}"
}

func minariSpace(_ a: ActionSpace) -> String {
    switch a {
    case .discrete(let n): return "{\"type\": \"Discrete\", \"dtype\": \"int64\", \"start\": 0, \"n\": \(n)}"
    case .box(let low, let high):
        return "{\"type\": \"Box\", \"dtype\": \"float32\", \"shape\": [\(low.count)], \"low\": [\(low.map(pyFloat).joined(separator: ", "))], \"high\": [\(high.map(pyFloat).joined(separator: ", "))]}"
    }
}

/// Gymnasium's EnvSpec JSON (`EnvSpec.to_json()`) for the classic-control ids, so that
/// `recover_environment()` makes the same environment; nil for the MinAtar ones (not Gymnasium ids).
func gymEnvSpec(_ s: EnvSpec, kwargs: JSON) -> String? {
    let entry: [String: String] = ["CartPole-v1": "cartpole:CartPoleEnv", "Acrobot-v1": "acrobot:AcrobotEnv",
                                   "MountainCar-v0": "mountain_car:MountainCarEnv", "Pendulum-v1": "pendulum:PendulumEnv"]
    guard let e = entry[s.id] else { return nil }
    let threshold: JSON = s.solveThreshold.map { .number($0) } ?? .null
    return JSON.object([
        ("id", .string(s.id)), ("entry_point", .string("gymnasium.envs.classic_control." + e)), ("reward_threshold", threshold),
        ("nondeterministic", .bool(false)), ("max_episode_steps", .int(s.maxEpisodeSteps)), ("order_enforce", .bool(true)),
        ("disable_env_checker", .bool(false)), ("kwargs", kwargs), ("additional_wrappers", .array([])), ("vector_entry_point", .null),
    ]).serialized()
}
