import Foundation
import NN
#if canImport(Glibc)
import Glibc
#endif

// The Gymnasium bridge: any Gymnasium environment (`"env": "gym:<id>"`) as an rlexp environment.
//
// Each rlexp vector environment of a bridged id is one Python worker process
// (`python/rlexp_gym_worker.py`) owning a `gymnasium.vector.SyncVectorEnv` of all the vector's copies
// (reset in the same step when an episode ends, as rlexp's own vectors do); an evaluation
// environment is one worker with one plain environment. rlexp talks to the worker over its stdin and
// stdout with the binary protocol the worker's doc comment defines: one round trip per vector step,
// observations and actions as raw little-endian arrays (uint8 images stay uint8 on the wire).
//
// Reproducibility. Copy i of a run with seed s is reset once with the seed
// `GymBridge.copySeed(s, i)` and then follows Gymnasium's own generator; evaluation episode k is
// reset with `GymBridge.evaluationSeed(s, k)`. The same spec and seed therefore give the same
// episodes, as far as the Python environment itself is deterministic.
//
// Failures. Every read from the worker has a timeout (`RLEXP_GYM_TIMEOUT` seconds, default 120; a
// worker's start, with its imports, gets 5 times that); the worker exits when rlexp dies. A worker
// that fails (a Python exception, an exit, a hang) is closed and the failure is reported once, with
// the environment's id and the Python error, to the `GymBridge.health` monitor of the run that
// built it; from then on its steps end every episode at once (zero reward), so that no loop waits on
// it, and the run's loop stops the run with that message at its next update.
//
// Checkpoints. Gymnasium environments cannot be serialised, so a checkpoint holds no environment
// state for a bridged run: a resume restores the agent (parameters, optimizer, replay, counters) and
// the run's tables exactly, and starts every training copy on a new episode, seeded from the run's
// seed, the copy and the step of the checkpoint (so one checkpoint always resumes the same way); the
// episodes running at the checkpoint are not finished and not counted. A resumed bridged run is
// therefore reproducible but not bit-identical to the uninterrupted run. Evaluation environments
// resume exactly (every evaluation episode has its own seed).

/// How to make one bridged environment: Gymnasium id, `gym.make` keyword arguments and wrappers.
public struct GymEnvConfig: Sendable, Hashable {
    /// The Gymnasium id, without rlexp's `gym:` prefix (e.g. `ALE/Pong-v5`).
    public var id: String
    /// Keyword arguments of `gym.make` (a spec's `env_kwargs`).
    public var kwargs: [String: EnvOptionValue]
    /// Wrappers from `gymnasium.wrappers`, applied in order, each with its keyword arguments.
    public var wrappers: [GymWrapperConfig]
    public init(id: String, kwargs: [String: EnvOptionValue] = [:], wrappers: [GymWrapperConfig] = []) {
        self.id = id; self.kwargs = kwargs; self.wrappers = wrappers
    }
    /// rlexp's id for it: `gym:<id>`.
    public var rlexpID: String { GymBridge.prefix + id }
}

/// One wrapper of `gymnasium.wrappers` (e.g. `AtariPreprocessing`) and its keyword arguments.
public struct GymWrapperConfig: Sendable, Hashable {
    public var name: String
    public var kwargs: [String: EnvOptionValue]
    public init(name: String, kwargs: [String: EnvOptionValue] = [:]) { self.name = name; self.kwargs = kwargs }
}

/// A bridged environment's failure, as the user sees it.
public struct GymBridgeError: Error, CustomStringConvertible {
    public let description: String
    public init(_ d: String) { description = d }
}

/// Collects the failure of any bridged environment a run built (set with `GymBridge.$health` while
/// the run builds its agent and evaluation environment); the run's loop checks it after every update.
public final class GymBridgeHealth: @unchecked Sendable {
    private let lock = NSLock()
    private var first: String?
    public init() {}
    public var failure: String? { lock.lock(); defer { lock.unlock() }; return first }
    func report(_ message: String) {
        lock.lock(); defer { lock.unlock() }
        if first == nil { first = message }
    }
}

public enum GymBridge {
    public static let prefix = "gym:"
    public static func isBridged(_ id: String) -> Bool { id.hasPrefix(prefix) }

    /// The run's failure monitor (see `GymBridgeHealth`); environments built without one report to
    /// standard error only.
    @TaskLocal public static var health: GymBridgeHealth?

    // MARK: - Where Python and the worker are

    /// The repository this binary was built from (the worker script and the Makefile live there).
    static let repositoryRoot: URL = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// The worker script: `$RLEXP_GYM_WORKER`, else the repository's `python/rlexp_gym_worker.py`.
    public static var workerScript: String {
        ProcessInfo.processInfo.environment["RLEXP_GYM_WORKER"]
            ?? repositoryRoot.appendingPathComponent("python/rlexp_gym_worker.py").path
    }

    /// The project's venv for the bridge (`make gym-venv` creates it).
    public static var venvPython: String { repositoryRoot.appendingPathComponent(".build/gym-venv/bin/python").path }

    private static let setupLock = NSLock()

    /// The Python that runs the worker: `$RLEXP_GYM_PYTHON`, else the project's venv, which is
    /// created (`make gym-venv`: gymnasium, ale-py, mujoco, minatar) the first time the bridge is used.
    public static func python() throws -> String {
        if let p = ProcessInfo.processInfo.environment["RLEXP_GYM_PYTHON"] { return p }
        setupLock.lock(); defer { setupLock.unlock() }
        let fm = FileManager.default
        if fm.isExecutableFile(atPath: venvPython) { return venvPython }
        let makefile = repositoryRoot.appendingPathComponent("Makefile").path
        guard fm.fileExists(atPath: makefile) else {
            throw GymBridgeError("the Gymnasium bridge needs a Python with gymnasium: set RLEXP_GYM_PYTHON (no venv at \(venvPython))")
        }
        FileHandle.standardError.write("rlexp: setting up the Gymnasium bridge's venv (first use; `make gym-venv`) ...\n".data(using: .utf8)!)
        let make = Process()
        make.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        make.arguments = ["make", "--no-print-directory", "-C", repositoryRoot.path, "gym-venv"]
        make.standardOutput = FileHandle.standardError
        do { try make.run() } catch { throw GymBridgeError("could not run make to set up the bridge's venv: \(error)") }
        make.waitUntilExit()
        guard make.terminationStatus == 0, fm.isExecutableFile(atPath: venvPython) else {
            throw GymBridgeError("`make -C \(repositoryRoot.path) gym-venv` failed (exit \(make.terminationStatus)); see its output above, or set RLEXP_GYM_PYTHON")
        }
        return venvPython
    }

    /// Seconds to wait for any answer of a worker.
    static var timeout: Double {
        ProcessInfo.processInfo.environment["RLEXP_GYM_TIMEOUT"].flatMap(Double.init).flatMap { $0 > 0 ? $0 : nil } ?? 120
    }

    // MARK: - Seeds

    /// The seed training copy `copy` of the run with `seed` is first reset with (seeds are 32-bit:
    /// legacy NumPy generators, e.g. MinAtar's, take no more).
    public static func copySeed(_ seed: UInt64, copy: Int) -> UInt64 {
        var r = RNG(seed: seed, stream: RNG.label("gym-env"), UInt64(copy)); return r.next() >> 32
    }
    /// The seed of a run's `episode`-th evaluation episode.
    public static func evaluationSeed(_ seed: UInt64, episode: Int64) -> UInt64 {
        var r = RNG(seed: seed, stream: RNG.label("gym-eval"), UInt64(bitPattern: episode)); return r.next() >> 32
    }
    /// The seed copy `copy` restarts with when a run resumes from its checkpoint at `step`.
    static func resumeSeed(_ seed: UInt64, copy: Int, step: Int64) -> UInt64 {
        var r = RNG(seed: seed ^ UInt64(bitPattern: step), stream: RNG.label("gym-resume"), UInt64(copy)); return r.next() >> 32
    }

    // MARK: - The registry of bridged environments

    private static let registryLock = NSLock()
    nonisolated(unsafe) private static var registered: [String: (config: GymEnvConfig, spec: EnvSpec)] = [:]

    /// The spec of a bridged id, once `resolve` has described it.
    public static func spec(_ rlexpID: String) -> EnvSpec? {
        registryLock.lock(); defer { registryLock.unlock() }
        return registered[rlexpID]?.spec
    }
    static func config(_ rlexpID: String) -> GymEnvConfig? {
        registryLock.lock(); defer { registryLock.unlock() }
        return registered[rlexpID]?.config
    }

    /// Starts a worker for `config`, asks it for the spaces, and registers the environment under
    /// `gym:<id>`, so that every other part of rlexp sees it as it sees a built-in one. One process
    /// knows one configuration per id: a second, different one is refused.
    @discardableResult
    public static func resolve(_ config: GymEnvConfig) throws -> EnvSpec {
        registryLock.lock()
        if let r = registered[config.rlexpID] {
            registryLock.unlock()
            guard r.config == config else {
                throw GymBridgeError("\(config.rlexpID) is already used with other env_kwargs or wrappers; one spec can use one configuration per Gymnasium id")
            }
            return r.spec
        }
        registryLock.unlock()
        let worker = try GymWorker(config, count: 1, vector: false)
        worker.close()
        let spec = worker.spec
        registryLock.lock(); defer { registryLock.unlock() }
        registered[config.rlexpID] = (config, spec)
        return spec
    }
}

// MARK: - The worker process

/// One worker process and its pipes.
final class GymWorker {
    let config: GymEnvConfig
    let count: Int
    let spec: EnvSpec
    private let process: Process
    private let writeFD: Int32
    private let readFD: Int32
    private let stderrURL: URL
    private var closed = false
    /// The observation's wire element size (1 for uint8, 4 for float32).
    let obsElementSize: Int

    init(_ config: GymEnvConfig, count: Int, vector: Bool) throws {
        self.config = config; self.count = count
        signal(SIGPIPE, SIG_IGN)   // a dead worker is an EPIPE from write, not the end of rlexp
        let python = try GymBridge.python()
        let script = GymBridge.workerScript
        guard FileManager.default.fileExists(atPath: script) else { throw GymBridgeError("\(config.rlexpID): the bridge's worker script \(script) is missing") }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: python)
        p.arguments = [script]
        var env = ProcessInfo.processInfo.environment
        env["PYTHONUNBUFFERED"] = "1"
        p.environment = env
        let toWorker = Pipe(), fromWorker = Pipe()
        p.standardInput = toWorker
        p.standardOutput = fromWorker
        stderrURL = FileManager.default.temporaryDirectory.appendingPathComponent("rlexp-gym-\(getpid())-\(UUID().uuidString.prefix(8)).log")
        FileManager.default.createFile(atPath: stderrURL.path, contents: nil)
        let errHandle = try FileHandle(forWritingTo: stderrURL)
        p.standardError = errHandle
        do { try p.run() } catch {
            throw GymBridgeError("\(config.rlexpID): could not start the bridge worker (\(python) \(script)): \(error)")
        }
        try? errHandle.close()
        process = p
        writeFD = dup(toWorker.fileHandleForWriting.fileDescriptor)
        readFD = dup(fromWorker.fileHandleForReading.fileDescriptor)
        try? toWorker.fileHandleForWriting.close(); try? fromWorker.fileHandleForReading.close()
        try? toWorker.fileHandleForReading.close(); try? fromWorker.fileHandleForWriting.close()

        var hello: [String: Any] = ["id": config.id, "kwargs": GymWorker.jsonObject(config.kwargs), "count": count, "vector": vector]
        hello["wrappers"] = config.wrappers.map { ["name": $0.name, "kwargs": GymWorker.jsonObject($0.kwargs)] as [String: Any] }
        let body = try JSONSerialization.data(withJSONObject: hello, options: [.sortedKeys])
        let answer: [UInt8]
        do {
            answer = try GymWorker.exchange(op: "H", payload: Array(body), writeFD: writeFD, readFD: readFD, timeout: 5 * GymBridge.timeout,
                                           what: config.rlexpID, process: p, stderrURL: stderrURL)
        } catch {
            GymWorker.kill(p); Glibc.close(writeFD); Glibc.close(readFD)
            throw error
        }
        do {
            spec = try GymWorker.parseSpec(answer, config: config)
        } catch {
            GymWorker.kill(p); Glibc.close(writeFD); Glibc.close(readFD)
            throw error
        }
        obsElementSize = spec.observation.dtype == .uint8 ? 1 : 4
    }

    deinit { close() }

    /// One request and its answer.
    func request(_ op: Character, _ payload: [UInt8] = []) throws -> [UInt8] {
        guard !closed else { throw GymBridgeError("\(config.rlexpID): the bridge worker is closed") }
        do {
            return try GymWorker.exchange(op: op, payload: payload, writeFD: writeFD, readFD: readFD, timeout: GymBridge.timeout,
                                          what: config.rlexpID, process: process, stderrURL: stderrURL)
        } catch {
            close()
            throw error
        }
    }

    /// Asks the worker to quit (and kills it if it does not within a second).
    func close() {
        guard !closed else { return }
        closed = true
        _ = try? GymWorker.exchange(op: "Q", payload: [], writeFD: writeFD, readFD: readFD, timeout: 1, what: config.rlexpID,
                                    process: process, stderrURL: stderrURL)
        Glibc.close(writeFD); Glibc.close(readFD)
        let deadline = Date().addingTimeInterval(1)
        while process.isRunning && Date() < deadline { usleep(2000) }
        GymWorker.kill(process)
        try? FileManager.default.removeItem(at: stderrURL)
    }

    static func kill(_ p: Process) {
        if p.isRunning { Glibc.kill(p.processIdentifier, SIGKILL); p.waitUntilExit() }
    }

    // MARK: wire

    static func exchange(op: Character, payload: [UInt8], writeFD: Int32, readFD: Int32, timeout: Double, what: String,
                         process: Process, stderrURL: URL) throws -> [UInt8] {
        var frame = [UInt8](repeating: 0, count: 5 + payload.count)
        frame[0] = op.asciiValue!
        withUnsafeBytes(of: UInt32(payload.count).littleEndian) { for k in 0..<4 { frame[1 + k] = $0[k] } }
        frame.replaceSubrange(5..., with: payload)
        func died(_ how: String) -> GymBridgeError {
            if how == "timeout" { kill(process) }
            let deadline = Date().addingTimeInterval(2)
            while process.isRunning && Date() < deadline { usleep(2000) }
            let status = process.isRunning ? "still running" : "exit status \(process.terminationStatus)"
            let tail = stderrTail(stderrURL)
            let msg: String
            if how == "timeout" { msg = "\(what): the bridge worker did not answer within \(formatSeconds(timeout)) s and was killed (set RLEXP_GYM_TIMEOUT to wait longer)" }
            else { msg = "\(what): the bridge worker died (\(status))" }
            return GymBridgeError(tail.isEmpty ? msg : msg + "; its last output:\n" + tail)
        }
        var sent = 0
        while sent < frame.count {
            let n = frame.withUnsafeBytes { Glibc.write(writeFD, $0.baseAddress! + sent, frame.count - sent) }
            if n < 0 { if errno == EINTR { continue }; throw died("write") }
            sent += n
        }
        let deadline = Date().addingTimeInterval(timeout)
        func readExact(_ n: Int) throws -> [UInt8] {
            var buf = [UInt8](repeating: 0, count: n)
            var got = 0
            while got < n {
                let left = deadline.timeIntervalSinceNow
                if left <= 0 { throw died("timeout") }
                var pfd = pollfd(fd: readFD, events: Int16(POLLIN), revents: 0)
                // spin (yielding the core to anyone runnable) before sleeping: waking from a sleep
                // of a few hundred µs costs this machine ~110 µs, as much as a vector step itself
                var r: Int32 = 0
                let spinUntil = DispatchTime.now().uptimeNanoseconds + spinNanoseconds
                while true {
                    r = poll(&pfd, 1, 0)
                    if r != 0 || DispatchTime.now().uptimeNanoseconds >= spinUntil { break }
                    sched_yield()
                }
                if r == 0 { r = poll(&pfd, 1, Int32(min(left * 1000 + 1, 3_600_000))) }
                if r < 0 { if errno == EINTR { continue }; throw died("poll") }
                if r == 0 { continue }
                let k = buf.withUnsafeMutableBytes { Glibc.read(readFD, $0.baseAddress! + got, n - got) }
                if k < 0 { if errno == EINTR || errno == EAGAIN { continue }; throw died("read") }
                if k == 0 { throw died("eof") }
                got += k
            }
            return buf
        }
        let head = try readExact(5)
        let length = Int(UInt32(head[1]) | UInt32(head[2]) << 8 | UInt32(head[3]) << 16 | UInt32(head[4]) << 24)
        let body = length > 0 ? try readExact(length) : []
        switch head[0] {
        case UInt8(ascii: "K"): return body
        case UInt8(ascii: "E"): throw GymBridgeError("\(what): \(String(decoding: body, as: UTF8.self))")
        default: throw GymBridgeError("\(what): the bridge worker broke the protocol (status byte \(head[0]))")
        }
    }

    /// How long a read spins before it sleeps (`RLEXP_GYM_SPIN_US`, default 2000 µs; 0: never spin).
    static let spinNanoseconds: UInt64 = {
        let us = ProcessInfo.processInfo.environment["RLEXP_GYM_SPIN_US"].flatMap(UInt64.init) ?? 2000
        return min(us, 1_000_000) * 1000
    }()

    static func stderrTail(_ url: URL, lines: Int = 12) -> String {
        guard let d = try? Data(contentsOf: url) else { return "" }
        let text = String(decoding: d.suffix(8192), as: UTF8.self)
        return text.split(separator: "\n", omittingEmptySubsequences: true).suffix(lines).joined(separator: "\n")
    }

    static func formatSeconds(_ s: Double) -> String { s == s.rounded() ? String(Int(s)) : String(s) }

    static func jsonObject(_ kwargs: [String: EnvOptionValue]) -> [String: Any] {
        var o: [String: Any] = [:]
        for (k, v) in kwargs {
            switch v {
            case .number(let x): o[k] = x == x.rounded() && abs(x) < 1e15 ? Int(x) as Any : x as Any
            case .bool(let b): o[k] = b
            case .string(let s): o[k] = s
            }
        }
        return o
    }

    /// The worker's description of the spaces, as an `EnvSpec` with id `gym:<id>`.
    static func parseSpec(_ answer: [UInt8], config: GymEnvConfig) throws -> EnvSpec {
        let id = config.rlexpID
        guard let d = try? JSONSerialization.jsonObject(with: Data(answer)) as? [String: Any],
              let obs = d["observation"] as? [String: Any], let act = d["action"] as? [String: Any],
              let shape = obs["shape"] as? [Int], !shape.isEmpty, shape.allSatisfy({ $0 > 0 }),
              let dtypeName = obs["dtype"] as? String, let dtype = DType(rawValue: dtypeName) else {
            throw GymBridgeError("\(id): the bridge worker's description of the spaces is malformed")
        }
        let size = shape.reduce(1, *)
        func bound(_ x: Any?, _ n: Int) -> [Float]? {
            func value(_ v: Any) -> Float? {
                if let s = v as? String { return s == "inf" ? .infinity : s == "-inf" ? -.infinity : nil }
                return (v as? NSNumber).map { Float($0.doubleValue) }
            }
            var out: [Float]
            if let a = x as? [Any] { out = a.compactMap(value); guard out.count == n else { return nil } }
            else if let x, let v = value(x) { out = [Float](repeating: v, count: n) } else { return nil }
            return out.allSatisfy(\.isInfinite) ? nil : out
        }
        let space = ObservationSpace(shape: shape, dtype: dtype, low: bound(obs["low"], size), high: bound(obs["high"], size))
        let action: ActionSpace
        switch act["kind"] as? String {
        case "discrete":
            guard let n = act["n"] as? Int, n >= 1 else { throw GymBridgeError("\(id): malformed Discrete space") }
            action = .discrete(n)
        case "box":
            guard let lo = act["low"] as? [Any], let hi = act["high"] as? [Any], lo.count == hi.count, !lo.isEmpty,
                  let low = bound(lo, lo.count), let high = bound(hi, hi.count), zip(low, high).allSatisfy({ $0.isFinite && $1.isFinite }) else {
                throw GymBridgeError("\(id): rlexp needs finite bounds on a Box action space")
            }
            action = .box(low: low, high: high)
        default: throw GymBridgeError("\(id): malformed action space")
        }
        let steps = d["max_episode_steps"] as? Int ?? 0
        let threshold = (d["reward_threshold"] as? NSNumber)?.doubleValue
        let version = d["gymnasium"] as? String ?? "?"
        let summary = "Gymnasium \(config.id) through the bridge (gymnasium \(version))"
        return EnvSpec(id: id, family: "gym", observation: space, action: action, maxEpisodeSteps: steps, solveThreshold: threshold,
                       summary: summary, options: [], make: { rng, _ in GymEnvironment(config: config, spec: nil, rng: rng) })
    }
}

/// Widens wire observations (uint8 or float32) into Floats.
@inline(__always)
private func widen(_ bytes: UnsafeRawPointer, elementSize: Int, count: Int, into out: UnsafeMutablePointer<Float>) {
    if elementSize == 1 {
        let b = bytes.assumingMemoryBound(to: UInt8.self)
        for k in 0..<count { out[k] = Float(b[k]) }
    } else {
        (UnsafeMutableRawPointer(out)).copyMemory(from: bytes, byteCount: count * 4)
    }
}

// MARK: - The vector environment

/// `count` copies of a Gymnasium environment in one worker, behind rlexp's vector interface.
public final class GymVectorEnv: VectorEnvironment {
    public let spec: EnvSpec
    public let count: Int
    public private(set) var observations: [Float]
    public private(set) var finalObservations: [Float]
    public private(set) var rewards: [Double]
    public private(set) var terminated: [Bool]
    public private(set) var truncated: [Bool]
    public private(set) var totalSteps: Int64 = 0
    public private(set) var episodeReturns: [Double]
    public private(set) var episodeLengths: [Int32]
    private var finished: [EpisodeRecord] = []
    private let worker: GymWorker
    private let seed: UInt64
    private let firstCopy: Int
    private let health: GymBridgeHealth?
    private var seeded = false
    private var failed = false
    private var actionBytes: [UInt8]

    public init(config: GymEnvConfig, seed: UInt64, copies: Int, firstCopy: Int = 0) throws {
        worker = try GymWorker(config, count: copies, vector: true)
        spec = GymBridge.spec(config.rlexpID) ?? worker.spec
        guard spec.observation == worker.spec.observation, spec.action == worker.spec.action else {
            worker.close()
            throw GymBridgeError("\(config.rlexpID): the worker's spaces changed since the spec was checked")
        }
        count = copies; self.seed = seed; self.firstCopy = firstCopy; health = GymBridge.health
        observations = [Float](repeating: 0, count: copies * spec.observation.size)
        finalObservations = observations
        rewards = [Double](repeating: 0, count: copies)
        terminated = [Bool](repeating: false, count: copies); truncated = terminated
        episodeReturns = rewards; episodeLengths = [Int32](repeating: 0, count: copies)
        actionBytes = [UInt8](repeating: 0, count: copies * spec.action.dimension * 4)
    }

    /// The worker's Python-side physics state of every copy (`env.unwrapped.state`), for tests.
    public func physicsStates() throws -> [[Double]] {
        let b = try worker.request("P")
        var out: [[Double]] = [], k = 0
        while k + 4 <= b.count {
            let n = Int(UInt32(b[k]) | UInt32(b[k + 1]) << 8 | UInt32(b[k + 2]) << 16 | UInt32(b[k + 3]) << 24)
            k += 4
            out.append((0..<n).map { j in b.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: k + 8 * j, as: Double.self) } })
            k += 8 * n
        }
        return out
    }

    private func fail(_ error: Error) {
        guard !failed else { return }
        failed = true
        let msg = "\(error)"
        if let health { health.report(msg) } else { FileHandle.standardError.write("rlexp: \(msg)\n".data(using: .utf8)!) }
    }

    private func reset(seeds: [UInt64]?) {
        guard !failed else { return }
        var payload: [UInt8] = []
        if let seeds { for s in seeds { withUnsafeBytes(of: s.littleEndian) { payload.append(contentsOf: $0) } } }
        do {
            let b = try worker.request("R", payload)
            let n = count * spec.observation.size
            guard b.count == n * worker.obsElementSize else { throw GymBridgeError("\(spec.id): reset answered \(b.count) bytes for \(n) observation values") }
            b.withUnsafeBytes { src in observations.withUnsafeMutableBufferPointer { widen(src.baseAddress!, elementSize: worker.obsElementSize, count: n, into: $0.baseAddress!) } }
        } catch { fail(error) }
        for i in 0..<count { episodeReturns[i] = 0; episodeLengths[i] = 0 }
    }

    public func reset() {
        // the first reset seeds every copy; later ones continue Gymnasium's generators
        reset(seeds: seeded ? nil : (0..<count).map { GymBridge.copySeed(seed, copy: firstCopy + $0) })
        seeded = true
    }

    public func step(_ actions: UnsafePointer<Int32>) {
        actionBytes.withUnsafeMutableBytes { $0.baseAddress!.copyMemory(from: actions, byteCount: count * 4) }
        exchangeStep(byteCount: count * 4)
    }

    public func step(continuous actions: UnsafePointer<Float>) {
        let n = count * spec.action.dimension
        actionBytes.withUnsafeMutableBytes { $0.baseAddress!.copyMemory(from: actions, byteCount: n * 4) }
        exchangeStep(byteCount: n * 4)
    }

    private func exchangeStep(byteCount: Int) {
        let d = spec.observation.size, es = worker.obsElementSize, n = count
        let stepBase = totalSteps + Int64(n)
        totalSteps += Int64(n)
        guard !failed else {
            // a failed worker: every episode ends at once, so that no loop waits for it
            for i in 0..<n {
                rewards[i] = 0; terminated[i] = true; truncated[i] = false
                finished.append(EpisodeRecord(step: stepBase, envIndex: Int32(i), episodeReturn: episodeReturns[i], length: episodeLengths[i] + 1, terminated: true))
                episodeReturns[i] = 0; episodeLengths[i] = 0
            }
            return
        }
        do {
            let b = try worker.request("S", Array(actionBytes[0..<byteCount]))
            let head = n * d * es + n * 9
            guard b.count >= head else { throw GymBridgeError("\(spec.id): step answered \(b.count) bytes, fewer than the \(head) of \(n) copies") }
            try b.withUnsafeBytes { src in
                let base = src.baseAddress!
                observations.withUnsafeMutableBufferPointer { widen(base, elementSize: es, count: n * d, into: $0.baseAddress!) }
                var finalOffset = head
                for i in 0..<n {
                    rewards[i] = src.loadUnaligned(fromByteOffset: n * d * es + 8 * i, as: Double.self)
                    let flags = src[n * d * es + 8 * n + i]
                    terminated[i] = flags & 1 != 0; truncated[i] = flags & 2 != 0
                    episodeReturns[i] += rewards[i]; episodeLengths[i] += 1
                    if terminated[i] || truncated[i] {
                        guard finalOffset + d * es <= src.count else { throw GymBridgeError("\(spec.id): step answered without the final observation of copy \(i)") }
                        finalObservations.withUnsafeMutableBufferPointer { widen(base + finalOffset, elementSize: es, count: d, into: $0.baseAddress! + i * d) }
                        finalOffset += d * es
                        finished.append(EpisodeRecord(step: stepBase, envIndex: Int32(i), episodeReturn: episodeReturns[i], length: episodeLengths[i], terminated: terminated[i]))
                        episodeReturns[i] = 0; episodeLengths[i] = 0
                    }
                }
            }
        } catch { fail(error) }
    }

    public func drainFinished() -> [EpisodeRecord] {
        defer { finished.removeAll(keepingCapacity: true) }
        return finished
    }

    /// Nil: a Gymnasium environment cannot be serialised.
    public var environmentStates: [EnvCheckpoint]? { nil }

    /// Gymnasium environments cannot be put back into a checkpointed state: every copy starts a new
    /// episode instead, seeded from the run's seed, the copy and `totalSteps` (see the file's comment).
    public func restore(states: [EnvCheckpoint]?, observations: [Float], episodeReturns: [Double], episodeLengths: [Int32], totalSteps: Int64) throws {
        reset(seeds: (0..<count).map { GymBridge.resumeSeed(seed, copy: firstCopy + $0, step: totalSteps) })
        seeded = true
        self.totalSteps = totalSteps
        finished.removeAll()
        if failed, let f = health?.failure { throw GymBridgeError(f) }
    }

    /// Closes the worker.
    public func close() { worker.close() }
}

// MARK: - A single environment (evaluation)

/// One Gymnasium environment behind rlexp's single-environment interface (a run's evaluation
/// environment). Its worker starts at the first reset; evaluation episode k is reset with
/// `GymBridge.evaluationSeed(seed, k)`, so the episode counter is its whole checkpoint.
public final class GymEnvironment: Environment {
    public let spec: EnvSpec
    private let config: GymEnvConfig
    private var worker: GymWorker?
    private let baseSeed: UInt64
    private var episodes: Int64 = 0
    private let health: GymBridgeHealth?
    private var failed = false
    private var actionBytes: [UInt8]

    init(config: GymEnvConfig, spec: EnvSpec?, rng: RNG) {
        self.config = config
        self.spec = spec ?? GymBridge.spec(config.rlexpID)!
        var r = rng; baseSeed = r.next()
        health = GymBridge.health
        actionBytes = [UInt8](repeating: 0, count: self.spec.action.dimension * 4)
    }

    deinit { worker?.close() }

    private func fail(_ error: Error) {
        guard !failed else { return }
        failed = true; worker?.close(); worker = nil
        let msg = "\(error)"
        if let health { health.report(msg) } else { FileHandle.standardError.write("rlexp: \(msg)\n".data(using: .utf8)!) }
    }

    private func readObservation(_ b: [UInt8], into obs: UnsafeMutablePointer<Float>, es: Int) throws {
        let d = spec.observation.size
        guard b.count >= d * es else { throw GymBridgeError("\(spec.id): answered \(b.count) bytes for \(d) observation values") }
        b.withUnsafeBytes { widen($0.baseAddress!, elementSize: es, count: d, into: obs) }
    }

    public func reset(into obs: UnsafeMutablePointer<Float>) {
        guard !failed else { obs.update(repeating: 0, count: spec.observation.size); return }
        do {
            if worker == nil { worker = try GymWorker(config, count: 1, vector: false) }
            let s = GymBridge.evaluationSeed(baseSeed, episode: episodes)
            episodes += 1
            var payload: [UInt8] = []
            withUnsafeBytes(of: s.littleEndian) { payload.append(contentsOf: $0) }
            try readObservation(try worker!.request("R", payload), into: obs, es: worker!.obsElementSize)
        } catch { fail(error); obs.update(repeating: 0, count: spec.observation.size) }
    }

    private func exchangeStep(into obs: UnsafeMutablePointer<Float>) -> StepResult {
        guard !failed, let w = worker else { return StepResult(reward: 0, terminated: true, truncated: false) }
        do {
            let b = try w.request("S", actionBytes)
            let d = spec.observation.size * w.obsElementSize
            guard b.count >= d + 9 else { throw GymBridgeError("\(spec.id): step answered \(b.count) bytes") }
            try readObservation(b, into: obs, es: w.obsElementSize)
            let reward = b.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: d, as: Double.self) }
            return StepResult(reward: reward, terminated: b[d + 8] & 1 != 0, truncated: b[d + 8] & 2 != 0)
        } catch {
            fail(error)
            return StepResult(reward: 0, terminated: true, truncated: false)
        }
    }

    public func step(_ action: Int, into obs: UnsafeMutablePointer<Float>) -> StepResult {
        withUnsafeBytes(of: Int32(action).littleEndian) { b in for k in 0..<4 { actionBytes[k] = b[k] } }
        return exchangeStep(into: obs)
    }

    public func step(continuous action: UnsafePointer<Float>, into obs: UnsafeMutablePointer<Float>) -> StepResult {
        actionBytes.withUnsafeMutableBytes { $0.baseAddress!.copyMemory(from: action, byteCount: spec.action.dimension * 4) }
        return exchangeStep(into: obs)
    }

    /// The episode counter (each evaluation episode has its own seed, so nothing else is needed).
    public var checkpointState: EnvCheckpoint { EnvCheckpoint(reals: [], counters: [episodes], rng: [baseSeed]) }
    public func restore(_ s: EnvCheckpoint) {
        if let e = s.counters.first { episodes = e }
    }
}
