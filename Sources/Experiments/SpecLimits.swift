import Agents
import Foundation
import Environments
import NN

/// Bounds on what a spec may ask for, so that a typo (an extra zero, a pasted 2^63) is refused by
/// `rlexp validate` with the path of the setting, instead of overflowing a counter or asking the
/// allocator for terabytes once the run has started. They are far above anything the papers use:
/// no committed spec comes near them.
extension Spec {
    /// The largest `total_steps`, `eval.interval` and `checkpoint_every`: 10^12 environment steps,
    /// days of a run at the fastest environment's 13M steps/s.
    public static let maxSteps = 1_000_000_000_000
    /// The largest value of any integer hyperparameter whose own range has no upper bound (e.g.
    /// `replay_start`, `target_update`, `report_interval`): 10^15, so that a step counter (Int64,
    /// at most `maxSteps`) plus any of them cannot overflow.
    public static let maxInteger = 1_000_000_000_000_000
    /// The most memory one part of a run (the network with its gradients and optimizer state, one
    /// update's rollout, the replay buffer) may need: 8 GiB. Estimated from the sizes of its arrays
    /// (Float32), before anything is allocated.
    public static let maxPartBytes = 8.0 * 1_073_741_824

    /// The rules `decode` checks on every expanded configuration besides the algorithm's own: what
    /// the network, one update and the replay buffer of `algo` in `env` would allocate.
    static func resourceRules(_ algo: AlgorithmInfo, env: EnvSpec) -> [ParamConstraint] {
        let names = Set(algo.params.map(\.name))
        let obs = Double(env.observation.size)
        let actions = Double(env.action.discreteCount ?? 1)
        let limit = "at most \(formatGiB(maxPartBytes)) per part of a run"
        var rules: [ParamConstraint] = []
        if names.contains("hidden") {
            let fields = ["hidden"] + (names.contains("network") ? ["network"] : [])
            rules.append(ParamConstraint(fields) { hp, _ in
                let p = parameterCount(hp, env: env, outputs: 2 * actions + 1)
                // parameters, gradients, optimizer moments, average or target network, learners' copies
                let copies = 8.0 + 2 * Double(hp["threads"]?.asInt ?? 0)
                let bytes = p * copies * 4
                guard bytes > maxPartBytes else { return nil }
                return "the network has \(formatCount(p)) parameters, about \(formatGiB(bytes)) with gradients and optimizer state; \(limit)"
            })
        }
        let rollout: (String, String)? = names.contains("nenvs") && names.contains("nsteps") ? ("nenvs", "nsteps")
            : names.contains("threads") && names.contains("t_max") ? ("threads", "t_max") : nil
        if let (a, b) = rollout {
            rules.append(ParamConstraint([a, b] + (names.contains("hidden") ? ["hidden"] : [])) { hp, _ in
                guard let x = hp[a]?.asInt, let y = hp[b]?.asInt else { return nil }
                let rows = Double(x) * Double(y + 1)
                let width = Double((hp["hidden"]?.asInts ?? []).reduce(0, +))
                // observations and final observations, policy and values, and each hidden unit's
                // activation, pre-activation and gradient
                let bytes = rows * (2 * obs + 2 * actions + 4 + 3 * width) * 4
                guard bytes > maxPartBytes else { return nil }
                return "one update of \(a)·\(b) = \(x)·\(y) env steps needs about \(formatGiB(bytes)) (observations \(Int(obs)) floats per step, hidden units \(Int(width))); \(limit)"
            })
        }
        if names.contains("buffer_size") {
            rules.append(ParamConstraint(["buffer_size"]) { hp, _ in
                guard let n = hp["buffer_size"]?.asInt else { return nil }
                // each stored step: its observation and the next, μ(·|x), reward, action, flags
                let bytes = Double(n) * (2 * obs + actions + 3) * 4
                guard bytes > maxPartBytes else { return nil }
                return "a replay buffer of \(n) env steps of \(env.id) (observations \(Int(obs)) floats) needs about \(formatGiB(bytes)); \(limit)"
            })
        }
        return rules
    }

    /// The parameters of the network a configuration builds (a Double, so that no size overflows).
    static func parameterCount(_ hp: [String: ParamValue], env: EnvSpec, outputs: Double) -> Double {
        let shape = env.observation.shape
        var input = Double(env.observation.size), p = 0.0
        if let kind = hp["network"]?.asString.flatMap(NetworkKind.init(rawValue:)), let convs = kind.convStack(observationShape: shape) {
            p += Double(convs.reduce(0) { $0 + $1.parameterCount })
            input = Double(convs[convs.count - 1].outputSize)
        }
        for h in (hp["hidden"]?.asInts ?? []).map(Double.init) + [outputs] {
            p += (input + 1) * h
            input = h
        }
        return p
    }
}

/// Bytes as GiB (or MiB below one GiB), for messages.
func formatGiB(_ bytes: Double) -> String {
    let g = bytes / 1_073_741_824
    if g >= 1e6 { return "\(formatCount(g)) GiB" }
    return g >= 1 ? String(format: "%.1f GiB", g) : String(format: "%.0f MiB", bytes / 1_048_576)
}

/// A large count as its digits (below 10^15) or in scientific notation.
func formatCount(_ x: Double) -> String {
    x < 1e15 ? String(Int64(x.rounded())) : String(format: "%.2e", x)
}
