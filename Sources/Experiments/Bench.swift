import Agents
import Environments
import Foundation
import NN

/// Speed measurements for `rlexp bench` (one thread, release build).
public enum Bench {
    /// Whether the training code was compiled with the optimiser. Package.swift builds the library
    /// targets with `-O` in the debug configuration too, so this is true for `swift run rlexp`; it is
    /// false only for an unoptimised build (RLEXP_ONONE=1, or rlexp as a version-pinned dependency,
    /// where SwiftPM forbids the unsafe flag), which trains tens of times slower.
    public static let trainingCodeIsOptimized: Bool = !_isDebugAssertConfiguration() && NN.buildIsOptimized

    /// The training measurements that `rlexp bench` compares between builds: A2C with the
    /// a2c_cartpole.json settings and ACER with the acer_sweep.json base at replay ratio 0 and 4.
    /// A2C (a2c_cartpole.json) and ACER (acer_sweep.json at replay ratio 0 and 4; a fifth of the
    /// steps) training on CartPole-v1; `only` keeps the measurements whose name it equals.
    public static func trainingSuite(a2c: [String: ParamValue], acer: [String: ParamValue], steps: Int, only: String? = nil) throws -> [(name: String, stepsPerSecond: Double)] {
        var out = [(name: String, stepsPerSecond: Double)]()
        if only == nil || only == "A2C" {
            out.append(("A2C", try trainingStepsPerSecond(algo: "a2c", env: "CartPole-v1", hyperparameters: a2c, steps: steps)))
        }
        for rr in [0.0, 4.0] where only == nil || only == "ACER replay_ratio \(Int(rr))" {
            var hp = acer
            hp["replay_ratio"] = .number(rr)
            out.append(("ACER replay_ratio \(Int(rr))", try trainingStepsPerSecond(algo: "acer", env: "CartPole-v1", hyperparameters: hp, steps: steps / 5)))
        }
        return out
    }

    /// Raw environment steps per second: one environment, uniformly random actions (drawn before
    /// the clock starts), reset on done. With `nativeDType`, a uint8 environment (MinAtar) writes its
    /// observations as bytes, as the Python originals return them, instead of widened to Float.
    public static func envStepsPerSecond(_ id: String, steps: Int, nativeDType: Bool = false) -> Double {
        stepsPerSecond(Environments.make(id, rng: RNG(seed: 1, stream: 1))!, steps: steps, nativeDType: nativeDType)
    }

    /// The loop of `envStepsPerSecond`, generic so that the existential is opened once, not per step.
    /// The action index wraps with a compare, not `%` (a 64-bit division would cost more than a
    /// MinAtar step).
    static func stepsPerSecond<E: Environment>(_ e: E, steps: Int, nativeDType: Bool) -> Double {
        var env = e
        let k = env.actionSpace.dimension, actions = randomActions(env.actionSpace, count: min(steps, 1 << 16))
        let bytes = nativeDType && env.spec.observation.dtype == .uint8
        var obs = [Float](repeating: 0, count: env.observationSize)
        var obsBytes = [UInt8](repeating: 0, count: env.observationSize)
        var checksum = 0.0
        let t0 = Date()
        obs.withUnsafeMutableBufferPointer { o in
            obsBytes.withUnsafeMutableBufferPointer { ob in
                actions.withUnsafeBufferPointer { a in
                    let m = a.count / k
                    var j = 0
                    if bytes {
                        env.reset(intoBytes: ob.baseAddress!)
                        for _ in 0..<steps {
                            let r = env.step(Int(a[j]), intoBytes: ob.baseAddress!)
                            j += 1; if j == m { j = 0 }
                            checksum += r.reward
                            if r.done { env.reset(intoBytes: ob.baseAddress!) }
                        }
                        return
                    }
                    env.reset(into: o.baseAddress!)
                    if case .discrete = env.actionSpace {
                        for _ in 0..<steps {
                            let r = env.step(Int(a[j]), into: o.baseAddress!)
                            j += 1; if j == m { j = 0 }
                            checksum += r.reward
                            if r.done { env.reset(into: o.baseAddress!) }
                        }
                    } else {
                        for _ in 0..<steps {
                            let r = env.step(continuous: a.baseAddress! + j * k, into: o.baseAddress!)
                            j += 1; if j == m { j = 0 }
                            checksum += r.reward
                            if r.done { env.reset(into: o.baseAddress!) }
                        }
                    }
                }
            }
        }
        let dt = Date().timeIntervalSince(t0)
        precondition(checksum.isFinite)
        return Double(steps) / dt
    }

    /// Environment steps per second (all copies together) of the vector environment the
    /// algorithms train on, `copies` copies with auto-reset and episode bookkeeping.
    public static func vectorEnvStepsPerSecond(_ id: String, copies: Int, steps: Int) -> Double {
        let env = try! Environments.makeVector(id, seed: 1, copies: copies)
        let k = env.actionSpace.dimension
        let rounds = max(1, steps / copies)
        let actions = randomActions(env.actionSpace, count: copies * min(rounds, 4096))
        let m = actions.count / (copies * k)
        env.reset()
        let t0 = Date()
        if case .discrete = env.actionSpace {
            let ia = actions.map { Int32($0) }
            ia.withUnsafeBufferPointer { a in
                for t in 0..<rounds { env.step(a.baseAddress! + (t % m) * copies); _ = env.drainFinished() }
            }
        } else {
            actions.withUnsafeBufferPointer { a in
                for t in 0..<rounds { env.step(continuous: a.baseAddress! + (t % m) * copies * k); _ = env.drainFinished() }
            }
        }
        let dt = Date().timeIntervalSince(t0)
        precondition(env.totalSteps == Int64(rounds * copies))
        return Double(rounds * copies) / dt
    }

    /// `count` uniformly random actions of a space, flattened (`count × dimension` floats; a
    /// discrete action as its index).
    static func randomActions(_ space: ActionSpace, count: Int) -> [Float] {
        var rng = RNG(seed: 2)
        switch space {
        case .discrete(let n): return (0..<count).map { _ in Float(rng.int(below: n)) }
        case .box(let low, let high):
            return (0..<count).flatMap { _ in low.indices.map { Float(rng.uniform(Double(low[$0]), Double(high[$0]))) } }
        }
    }

    /// Training environment steps per second of an algorithm for `steps` env steps (no evaluation,
    /// no file output: the learner alone).
    public static func trainingStepsPerSecond(algo: String, env: String, hyperparameters: [String: ParamValue], steps: Int) throws -> Double {
        guard let info = Algorithms.named(algo) else { throw AgentError("unknown algorithm \(algo)") }
        let hp = info.defaults.merging(hyperparameters) { $1 }
        let agent = try info.make(AgentContext(envID: env, seed: 0, totalSteps: steps, hyperparameters: Hyperparameters(hp)))
        let t0 = Date()
        while agent.envSteps < Int64(steps) { _ = agent.update(); _ = agent.drainEpisodes() }
        return Double(agent.envSteps) / Date().timeIntervalSince(t0)
    }
}

extension Bench {
    /// Wall time and env steps until the mean return of the last 20 finished *training* episodes
    /// first reaches `threshold` (the criterion of bench/sb3_run.py and bench/pfrl_run.py); nil if not
    /// within `maxSteps`.
    public static func timeToSolveTraining(algo: String, env: String, hyperparameters: [String: ParamValue], seed: Int,
                                           maxSteps: Int, threshold: Double = 475) throws -> (steps: Int64, seconds: Double)? {
        guard let info = Algorithms.named(algo) else { throw AgentError("unknown algorithm \(algo)") }
        let hp = info.defaults.merging(hyperparameters) { $1 }
        let agent = try info.make(AgentContext(envID: env, seed: UInt64(seed), totalSteps: maxSteps, hyperparameters: Hyperparameters(hp)))
        var last: [Double] = []
        let t0 = Date()
        while agent.envSteps < Int64(maxSteps) {
            _ = agent.update()
            for e in agent.drainEpisodes() {
                last.append(e.episodeReturn)
                if last.count > 20 { last.removeFirst() }
                if last.count == 20 && last.reduce(0, +) / 20 >= threshold { return (e.step, Date().timeIntervalSince(t0)) }
            }
        }
        return nil
    }

    /// Wall time (training plus evaluations) and env steps until the greedy evaluation (mean of
    /// `episodes` episodes every `interval` env steps) first reaches the environment's solve threshold;
    /// nil if it does not within `maxSteps`.
    public static func timeToSolve(algo: String, env: String, hyperparameters: [String: ParamValue], seed: Int,
                                   maxSteps: Int, interval: Int, episodes: Int) throws -> (steps: Int64, seconds: Double)? {
        guard let info = Algorithms.named(algo), let threshold = Environments.solveThreshold(env) else { return nil }
        let hp = info.defaults.merging(hyperparameters) { $1 }
        let agent = try info.make(AgentContext(envID: env, seed: UInt64(seed), totalSteps: maxSteps, hyperparameters: Hyperparameters(hp)))
        var evalEnv = Environments.make(env, rng: Environments.evaluationStream(seed: seed))!
        let t0 = Date()
        var next: Int64 = Int64(interval)
        while agent.envSteps < Int64(maxSteps) {
            _ = agent.update(); _ = agent.drainEpisodes()
            guard agent.envSteps >= next else { continue }
            while next <= agent.envSteps { next += Int64(interval) }
            let total = evaluateGreedy(agent, in: &evalEnv, episodes: episodes).reduce(0) { $0 + $1.episodeReturn }
            if total / Double(episodes) >= threshold { return (agent.envSteps, Date().timeIntervalSince(t0)) }
        }
        return nil
    }
}

extension Bench {
    /// Forward + backward throughput of a network on random inputs, one core: samples/s and the
    /// floating-point operations per second that implies (multiply and add counted separately;
    /// forward `2·Σ in·out` per layer, backward twice that for dense layers below the first, which
    /// also need ∂input, and once for the layer on the input).
    public struct NetworkThroughput: Sendable {
        public var samplesPerSecond: Double
        public var flopsPerSample: Double
        public var gflops: Double { samplesPerSecond * flopsPerSample / 1e9 }
    }

    /// Several networks on the same batch, one after the other (A2C's separate policy and value
    /// networks): samples/s of the whole and the flops of all of them per sample.
    public static func networkThroughput(_ nets: [Network], batch: Int, seconds: Double = 2) -> NetworkThroughput {
        let parts = nets.map { networkThroughput($0, batch: batch, seconds: seconds / Double(nets.count)) }
        let secondsPerSample = parts.reduce(0.0) { $0 + 1 / $1.samplesPerSecond }
        return NetworkThroughput(samplesPerSecond: 1 / secondsPerSample, flopsPerSample: parts.reduce(0.0) { $0 + $1.flopsPerSample })
    }

    public static func networkThroughput(_ net: Network, batch: Int, seconds: Double = 2) -> NetworkThroughput {
        var rng = RNG(seed: 3)
        var params = [Float](repeating: 0, count: net.parameterCount)
        net.initialize(&params, offset: 0, rng: &rng, hiddenGain: 2.0.squareRoot(), outputGain: 1)
        let x = (0..<(batch * net.inputSize)).map { _ in Float(rng.int(below: 2)) }   // 0/1 grids like MinAtar's
        let dOut = (0..<(batch * net.outputSize)).map { _ in Float(rng.normal()) }
        var grad = [Float](repeating: 0, count: net.parameterCount)
        let ws = NetworkWorkspace(net, capacity: batch)
        var flops = 0.0
        for (l, c) in net.convs.enumerated() {   // forward + ∂W, and ∂input for the layers above the first
            flops += 2 * Double(c.positions * c.patchSize * c.filters) * (l == 0 ? 2 : 3)
        }
        for l in 0..<net.layerCount {
            let f = 2 * Double(net.sizes[l] * net.sizes[l + 1])
            flops += f * (l == 0 && net.convs.isEmpty ? 2 : 3)
        }
        var n = 0
        let t0 = Date()
        params.withUnsafeBufferPointer { p in
            x.withUnsafeBufferPointer { xb in
                dOut.withUnsafeBufferPointer { d in
                    grad.withUnsafeMutableBufferPointer { g in
                        repeat {
                            for _ in 0..<10 {
                                net.forward(p.baseAddress!, xb.baseAddress!, batch: batch, ws)
                                net.backward(p.baseAddress!, ws, dOutput: d.baseAddress!, grad: g.baseAddress!)
                            }
                            n += 10
                        } while Date().timeIntervalSince(t0) < seconds
                    }
                }
            }
        }
        let dt = Date().timeIntervalSince(t0)
        precondition(grad.allSatisfy(\.isFinite))
        return NetworkThroughput(samplesPerSecond: Double(n * batch) / dt, flopsPerSample: flops)
    }
}

extension Bench {
    /// The single-core fp32 peak this machine's CPU is assumed to have: clock (from /proc/cpuinfo,
    /// "cpu MHz" of the first core) × the flops of two FMA pipes a cycle at the widest vectors the CPU
    /// has: 32 with AVX2 (two 8-lane pipes, as on current x86-64 server cores; AMD's Zen 4 runs AVX-512
    /// on the same 256-bit pipes and counts here too), 64 on a CPU whose kernels run at the AVX-512
    /// level (two 16-lane pipes, as on Intel's Xeon Scalable cores). Falls back to 100 GFLOP/s when the
    /// clock is unknown. The dense kernels' multiply-adds are fused (one rounding, the same bits at
    /// every level), so this is their limit too.
    public static let corePeakGFLOPS: Double = {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return 100 }
        let lines = text.split(separator: "\n")
        guard let mhzLine = lines.first(where: { $0.hasPrefix("cpu MHz") }),
              let mhz = Double(mhzLine.split(separator: ":").last!.trimmingCharacters(in: .whitespaces)) else { return 100 }
        return mhz / 1000 * (KernelISA.supported >= 2 ? 64 : 32)
    }()
}

extension Bench {
    /// The cost of one full-state checkpoint of `cfg`'s agent after `trainSteps` env steps (e.g. ACER
    /// with a full replay buffer): seconds to write it (tmp file, fsync, rename), seconds to load and
    /// verify it, and its size in bytes. The run's tables are left out (a few kB to MB in a real run).
    public static func checkpointCost(_ cfg: RunConfig, trainSteps: Int, dir: URL) throws -> (write: Double, load: Double, bytes: Int) {
        guard let algo = Algorithms.named(cfg.algo) else { throw AgentError("unknown algorithm \(cfg.algo)") }
        let agent = try algo.make(AgentContext(envID: cfg.env, envOptions: cfg.envOptions, seed: UInt64(cfg.seed), totalSteps: cfg.totalSteps,
                                               hyperparameters: cfg.hyperparameters))
        while agent.envSteps < Int64(trainSteps) { _ = agent.update(); _ = agent.drainEpisodes() }
        let evalEnv = Environments.make(cfg.env, options: cfg.envOptions, rng: Environments.evaluationStream(seed: cfg.seed))!
        let c = RunCheckpoint(runID: cfg.runID, step: agent.envSteps, update: agent.updates, agent: agent.checkpoint,
                              loop: LoopState(evalEnv: evalEnv.checkpointState), tables: [:])
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let t0 = Date()
        let (url, bytes) = try c.write(to: dir)
        let t1 = Date()
        _ = try RunCheckpoint.load(url)
        let t2 = Date()
        return (t1.timeIntervalSince(t0), t2.timeIntervalSince(t1), bytes)
    }

    /// A whole run of `cfg` (run.h5 written, evaluations included) with checkpoints every
    /// `checkpointEvery` steps: its wall seconds, the checkpoints written and the seconds spent
    /// writing them (timed inside the run, so the fraction does not depend on the machine's load
    /// the way a difference of two wall times does), median of `repeats` runs by that fraction.
    public static func checkpointOverhead(_ cfg: RunConfig, checkpointEvery: Int, repeats: Int, dir: URL) throws -> (wall: Double, checkpoints: Int, seconds: Double) {
        var results: [(wall: Double, checkpoints: Int, seconds: Double)] = []
        for r in 0..<repeats {
            var c = cfg
            c.checkpointEvery = checkpointEvery
            let d = dir.appendingPathComponent("r\(r)")
            try? FileManager.default.removeItem(at: d)
            let o = try executeRun(c, dir: d, provenance: Provenance(gitCommit: "bench"))
            results.append((o.wallSeconds, o.checkpointsWritten, o.checkpointSeconds))
            try? FileManager.default.removeItem(at: d)
        }
        return results.sorted { $0.seconds / $0.wall < $1.seconds / $1.wall }[repeats / 2]
    }
}

extension Bench {
    /// The cost of recording (spec field `record`): whole runs of `cfg` without recording and with
    /// every training episode recorded (`train_every` 1, behaviour statistics included), alternated
    /// so that a change of the machine's load hits both alike; the process's CPU seconds of each run
    /// (run.h5 written included; CPU rather than wall time, which on a shared machine varies by tens
    /// of percent from run to run), medians of `repeats`. For single-threaded algorithms.
    public static func recordingOverhead(_ cfg: RunConfig, repeats: Int, dir: URL) throws -> (plain: Double, recording: Double) {
        func cpuSeconds() -> Double {
            var t = timespec()
            clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
            return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
        }
        var plain: [Double] = [], recording: [Double] = []
        for r in 0..<repeats {
            for record in [RecordSettings(), RecordSettings(trainEvery: 1)] {
                var c = cfg
                c.record = record
                let d = dir.appendingPathComponent("rec\(r)-\(record.isEmpty ? "plain" : "all")")
                try? FileManager.default.removeItem(at: d)
                let t0 = cpuSeconds()
                _ = try executeRun(c, dir: d, provenance: Provenance(gitCommit: "bench"))
                let t = cpuSeconds() - t0
                if record.isEmpty { plain.append(t) } else { recording.append(t) }
                try? FileManager.default.removeItem(at: d)
            }
        }
        return (plain.sorted()[repeats / 2], recording.sorted()[repeats / 2])
    }
}
