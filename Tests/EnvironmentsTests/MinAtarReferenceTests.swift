import Environments
import Foundation
import HDF5
import NN
import XCTest

/// MinAtar against ../shared/reference/reference.h5 (MinAtar 1.0.15, numpy 2.4.6):
///
/// - `/minatar_exact/<game>/seed_<k>/`: `Environment(game, sticky_action_prob=0.1,
///   difficulty_ramping=True); env.seed(k); env.reset()` (obs[0] is the state after that reset),
///   then `act(agent_action[t])` until terminal. Replayed bit for bit: effective action, reward,
///   terminal and the whole 10 × 10 × C grid after every step.
/// - `/minatar_stats/<game>/sticky{0.1,0.0}_{full,minimal}/`: returns and lengths of 1000
///   back-to-back episodes (one environment, `env.seed(12345)`, the sticky action carried over)
///   under a uniformly random policy over the action set drawn with `np.random.default_rng(12346)`.
///   Checked twice: replayed exactly (with numpy's PCG64 stream re-implemented below), and
///   compared statistically with 1000 episodes of our own seeds and policy stream.
final class MinAtarReferenceTests: XCTestCase {
    static let gameNames = ["asterix", "breakout", "freeway", "seaquest", "space_invaders"]
    static let configs = ["sticky0.1_full", "sticky0.1_minimal", "sticky0.0_full", "sticky0.0_minimal"]

    func openReference() throws -> H5File? {
        let path = CartPoleReferenceTests.referencePath
        guard FileManager.default.fileExists(atPath: path) else {
            XCTFail("reference trajectories not found at \(path) (shared/ must sit beside the repository)"); return nil
        }
        return try H5File.open(path)
    }

    static func game(_ name: String) -> MinAtar.Game { MinAtar.Game(rawValue: name)! }

    // MARK: - exact episodes

    func testExactEpisodesMatchMinAtarBitForBit() throws {
        guard let f = try openReference() else { return }
        defer { f.close() }
        var steps = 0, rewards = 0, expectedSteps = 0
        for name in Self.gameNames {
            for seed in 0..<20 {
                let g = try f.root.openGroup("minatar_exact/\(name)/seed_\(seed)")
                let agent = try g.read("agent_action", as: Int64.self), eff = try g.read("effective_action", as: Int64.self)
                let reward = try g.read("reward", as: Int64.self), terminal = try g.read("terminal", as: Int8.self)
                let obs = try g.read("obs", as: UInt8.self)
                let T = agent.count
                expectedSteps += T
                var env = MinAtar.make(Self.game(name), seed: UInt32(seed))
                let D = env.observationSize
                XCTAssertEqual(obs.count, (T + 1) * D, "\(name) seed \(seed): grid size")
                var o = [UInt8](repeating: 0, count: D)
                o.withUnsafeMutableBufferPointer { env.render(into: $0.baseAddress!) }
                guard o == Array(obs[0..<D]) else { XCTFail("\(name) seed \(seed): first grid (after seed + reset) differs"); continue }
                for t in 0..<T {
                    let (r, done) = env.act(Int(agent[t]))
                    o.withUnsafeMutableBufferPointer { env.render(into: $0.baseAddress!) }
                    let ok = env.lastAction == Int(eff[t]) && r == Int(reward[t]) && done == (terminal[t] != 0)
                        && o == Array(obs[((t + 1) * D)..<((t + 2) * D)])
                    if !ok {
                        XCTFail("\(name) seed \(seed) step \(t): effective \(env.lastAction) vs \(eff[t]), reward \(r) vs \(reward[t]), "
                                + "terminal \(done) vs \(terminal[t]), grid \(o == Array(obs[((t + 1) * D)..<((t + 2) * D)]) ? "equal" : "differs")")
                        break
                    }
                    steps += 1; rewards += r
                }
                XCTAssertTrue(env.isTerminal, "\(name) seed \(seed): the reference episode ended but ours did not")
            }
        }
        XCTAssertEqual(steps, expectedSteps, "every step of every episode compared")
        XCTAssertEqual(expectedSteps, 53_027)
        XCTAssertGreaterThan(rewards, 50)
    }

    // MARK: - exact replay of the statistics episodes

    /// The 20 000 random-policy episodes of `/minatar_stats` replayed exactly: same environment
    /// seed (12345), same numpy policy stream (`default_rng(12346).integers(0, |set|)`), episodes
    /// back to back. ~10.3 M steps (Freeway's 2501-step episodes are most of them).
    func testStatisticsEpisodesReplayExactly() throws {
        guard let f = try openReference() else { return }
        defer { f.close() }
        for name in Self.gameNames {
            for cfg in Self.configs {
                let g = try f.root.openGroup("minatar_stats/\(name)/\(cfg)")
                let returns = try g.read("returns", as: Int64.self), lengths = try g.read("lengths", as: Int64.self)
                let sticky = cfg.hasPrefix("sticky0.1") ? 0.1 : 0.0
                let game = Self.game(name)
                let set = cfg.hasSuffix("_full") ? [0, 1, 2, 3, 4, 5] : game.minimalActionSet
                var env = MinAtar.make(game, seed: 12345, stickyActionProbability: sticky)
                var policy = NumpyPCG64(seed: 12346)
                let n = UInt64(set.count)
                for ep in 0..<returns.count {
                    var G = 0, L = 0, done = false
                    while !done {
                        let (r, d) = env.act(set[policy.integer(below: n)])
                        G += r; L += 1; done = d
                        if L > 100_000 { break }
                    }
                    if G != Int(returns[ep]) || L != Int(lengths[ep]) {
                        XCTFail("\(name) \(cfg) episode \(ep): return \(G), length \(L); reference \(returns[ep]), \(lengths[ep])")
                        break
                    }
                    env.reset()
                }
            }
        }
    }

    // MARK: - statistical consistency with our own seeds

    /// Runs `episodes` back-to-back random-policy episodes with our own environment seed and policy
    /// stream (rlexp's RNG), like the reference but independent of its random numbers.
    static func randomPolicyEpisodes(_ game: MinAtar.Game, sticky: Double, minimal: Bool, episodes: Int,
                                     seed: UInt32) -> (returns: [Double], lengths: [Double]) {
        var env = MinAtar.make(game, seed: seed, stickyActionProbability: sticky, minimalActionSet: minimal)
        var rng = RNG(seed: UInt64(seed), stream: RNG.label("minatar-stats-policy"))
        let n = env.actionSet.count
        var rets = [Double](), lens = [Double]()
        for _ in 0..<episodes {
            var G = 0, L = 0, done = false
            while !done {
                let (r, d) = env.act(index: rng.int(below: n))
                G += r; L += 1; done = d
            }
            rets.append(Double(G)); lens.append(Double(L))
            env.reset()
        }
        return (rets, lens)
    }

    /// Significance level of every test below (two-sided).
    static let alpha = 0.001

    /// For each game and configuration, 1000 episodes with our own seeds against the reference's
    /// 1000: Welch's two-sample t-test on the mean return and on the mean length, and the two-sample
    /// Kolmogorov–Smirnov test on the length distribution, each at α = 0.001 (two-sided). With 20
    /// configurations and up to 60 tests, a correct implementation fails one with probability
    /// ≲ 6% for a given seed; the seeds are fixed, so the outcome is deterministic. Freeway's lengths
    /// have no variance (every episode lasts 2501 steps) and are compared exactly.
    func testRandomPolicyStatisticsAreConsistentWithReference() throws {
        guard let f = try openReference() else { return }
        defer { f.close() }
        var failures: [String] = []
        for name in Self.gameNames {
            for (k, cfg) in Self.configs.enumerated() {
                let g = try f.root.openGroup("minatar_stats/\(name)/\(cfg)")
                let refR = try g.read("returns", as: Int64.self).map(Double.init)
                let refL = try g.read("lengths", as: Int64.self).map(Double.init)
                let game = Self.game(name)
                let ours = Self.randomPolicyEpisodes(game, sticky: cfg.hasPrefix("sticky0.1") ? 0.1 : 0.0,
                                                     minimal: cfg.hasSuffix("_minimal"), episodes: refR.count,
                                                     seed: 2_000 + UInt32(Self.gameNames.firstIndex(of: name)! * 10 + k))
                failures += Self.consistencyFailures("\(name) \(cfg)", ours: ours, refReturns: refR, refLengths: refL)
            }
        }
        XCTAssertTrue(failures.isEmpty, "statistically inconsistent with the reference:\n" + failures.joined(separator: "\n"))
    }

    static func consistencyFailures(_ label: String, ours: (returns: [Double], lengths: [Double]),
                                    refReturns: [Double], refLengths: [Double]) -> [String] {
        var out: [String] = []
        let tr = welch(ours.returns, refReturns)
        if tr.p < alpha { out.append("\(label): mean return \(mean(ours.returns)) vs \(mean(refReturns)) (Welch t = \(tr.t), p = \(tr.p))") }
        if variance(refLengths) == 0 && variance(ours.lengths) == 0 {
            if ours.lengths.first != refLengths.first { out.append("\(label): constant length \(ours.lengths[0]) vs \(refLengths[0])") }
        } else {
            let tl = welch(ours.lengths, refLengths)
            if tl.p < alpha { out.append("\(label): mean length \(mean(ours.lengths)) vs \(mean(refLengths)) (Welch t = \(tl.t), p = \(tl.p))") }
            let ks = kolmogorovSmirnov(ours.lengths, refLengths)
            if ks.p < alpha { out.append("\(label): length distribution (KS D = \(ks.d), p = \(ks.p))") }
        }
        return out
    }

    /// The check has power: 1000 episodes over the full action set are told apart from the
    /// reference's minimal-action-set episodes for Space Invaders and Freeway (and the same
    /// configuration is not). Rule mutations checked by hand are listed in the MinAtar report.
    func testStatisticalCheckTellsConfigurationsApart() throws {
        guard let f = try openReference() else { return }
        defer { f.close() }
        for (game, name) in [(MinAtar.Game.spaceInvaders, "space_invaders"), (.freeway, "freeway")] {
            let g = try f.root.openGroup("minatar_stats/\(name)/sticky0.1_minimal")
            let r = try g.read("returns", as: Int64.self).map(Double.init), l = try g.read("lengths", as: Int64.self).map(Double.init)
            let full = Self.randomPolicyEpisodes(game, sticky: 0.1, minimal: false, episodes: 1000, seed: 77)
            XCTAssertFalse(Self.consistencyFailures(name, ours: full, refReturns: r, refLengths: l).isEmpty,
                           "\(name) with the full action set should be told apart from its minimal-set reference")
            let minimal = Self.randomPolicyEpisodes(game, sticky: 0.1, minimal: true, episodes: 1000, seed: 77)
            XCTAssertTrue(Self.consistencyFailures(name, ours: minimal, refReturns: r, refLengths: l).isEmpty)
        }
    }

    func testStatisticsHelpersAgainstKnownValues() {
        // scipy.stats.ttest_ind([1,2,3,4,5], [2,4,6,8,10,12], equal_var=False)
        //   → t = -2.3763541031440183, p = 0.04928433820673053, df = 6.972255729794934
        let w = Self.welch([1, 2, 3, 4, 5], [2, 4, 6, 8, 10, 12])
        XCTAssertEqual(w.t, -2.3763541031440183, accuracy: 1e-12)
        XCTAssertEqual(w.df, 6.972255729794934, accuracy: 1e-12)
        XCTAssertEqual(w.p, 0.04928433820673053, accuracy: 1e-10)
        // regularized incomplete beta: I_0.5(2, 3) = 11/16
        XCTAssertEqual(Self.incompleteBeta(0.5, 2, 3), 11.0 / 16.0, accuracy: 1e-12)
        // scipy.stats.kstwobign.sf(1.36) = 0.049485876755377876, .sf(1.9495) = 0.0009998019790258981
        XCTAssertEqual(Self.kolmogorovSurvival(1.36), 0.049485876755377876, accuracy: 1e-12)
        XCTAssertEqual(Self.kolmogorovSurvival(1.9495), 0.0009998019790258981, accuracy: 1e-12)
        XCTAssertEqual(Self.kolmogorovSmirnov([1, 2, 3], [4, 5, 6]).d, 1)
    }

    // MARK: - statistics

    static func mean(_ x: [Double]) -> Double { x.reduce(0, +) / Double(x.count) }
    static func variance(_ x: [Double]) -> Double {
        let m = mean(x)
        return x.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(x.count - 1)
    }

    /// Welch's unequal-variance t statistic, its Welch–Satterthwaite degrees of freedom, and the
    /// two-sided p-value from Student's t distribution.
    static func welch(_ a: [Double], _ b: [Double]) -> (t: Double, df: Double, p: Double) {
        let va = variance(a) / Double(a.count), vb = variance(b) / Double(b.count)
        let se2 = va + vb
        if se2 == 0 { return (0, .infinity, mean(a) == mean(b) ? 1 : 0) }
        let t = (mean(a) - mean(b)) / se2.squareRoot()
        let df = se2 * se2 / (va * va / Double(a.count - 1) + vb * vb / Double(b.count - 1))
        // two-sided p = I_{df/(df+t²)}(df/2, 1/2)
        let p = incompleteBeta(df / (df + t * t), df / 2, 0.5)
        return (t, df, p)
    }

    /// Two-sample Kolmogorov–Smirnov statistic and its asymptotic p-value (conservative for
    /// discrete data such as episode lengths).
    static func kolmogorovSmirnov(_ a: [Double], _ b: [Double]) -> (d: Double, p: Double) {
        let x = a.sorted(), y = b.sorted()
        var i = 0, j = 0, d = 0.0
        while i < x.count && j < y.count {
            let v = min(x[i], y[j])
            while i < x.count && x[i] == v { i += 1 }
            while j < y.count && y[j] == v { j += 1 }
            d = max(d, abs(Double(i) / Double(x.count) - Double(j) / Double(y.count)))
        }
        let ne = Double(x.count * y.count) / Double(x.count + y.count)
        let lambda = (ne.squareRoot() + 0.12 + 0.11 / ne.squareRoot()) * d
        return (d, kolmogorovSurvival(lambda))
    }

    /// P(K > λ) for the Kolmogorov distribution: 2 Σ_{k≥1} (−1)^{k−1} e^{−2k²λ²}.
    static func kolmogorovSurvival(_ lambda: Double) -> Double {
        if lambda < 0.2 { return 1 }
        var s = 0.0
        for k in 1...100 {
            let term = exp(-2 * Double(k * k) * lambda * lambda)
            s += (k % 2 == 1 ? 2 : -2) * term
            if term < 1e-16 { break }
        }
        return min(1, max(0, s))
    }

    /// The regularized incomplete beta function I_x(a, b) (Lentz's continued fraction).
    static func incompleteBeta(_ x: Double, _ a: Double, _ b: Double) -> Double {
        if x <= 0 { return 0 }
        if x >= 1 { return 1 }
        let lnBeta: Double = lgamma(a) + lgamma(b) - lgamma(a + b)
        let lnFront: Double = a * log(x) + b * log(1 - x) - lnBeta
        if x > (a + 1) / (a + b + 2) { return 1 - incompleteBeta(1 - x, b, a) }
        let tiny = 1e-300
        var f = 1.0, c = 1.0, d = 0.0
        for i in 0...400 {
            let m = Double(i / 2)
            let num: Double
            if i == 0 { num = 1 } else if i % 2 == 0 {
                num = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m))
            } else {
                num = -((a + m) * (a + b + m) * x) / ((a + 2 * m) * (a + 2 * m + 1))
            }
            d = 1 + num * d; if abs(d) < tiny { d = tiny }; d = 1 / d
            c = 1 + num / c; if abs(c) < tiny { c = tiny }
            let cd = c * d
            f *= cd
            if abs(1 - cd) < 1e-15 { break }
        }
        return exp(lnFront) * (f - 1) / a
    }
}

/// numpy's `np.random.default_rng(seed)` (SeedSequence → PCG64) and `Generator.integers(0, n)`
/// for 1 ≤ n ≤ 2^32 (Lemire's bounded method on buffered 32-bit halves of the 64-bit outputs),
/// enough to reproduce the reference's policy stream. numpy is BSD-licensed; this follows its
/// documented algorithms (SeedSequence's hash mixing, PCG64 XSL-RR 128/64).
struct NumpyPCG64 {
    var hi: UInt64, lo: UInt64
    let incHi: UInt64, incLo: UInt64
    var hasUInt32 = false
    var uinteger: UInt32 = 0
    static let multHi: UInt64 = 0x2360_ED05_1FC6_5DA4, multLo: UInt64 = 0x4385_DF64_9FCC_F645

    /// `SeedSequence(seed).generate_state(4, np.uint64)` for a seed below 2^32.
    static func seedState(_ seed: UInt32) -> [UInt64] {
        let initA: UInt32 = 0x43B0_D7E5, multA: UInt32 = 0x931E_8875, initB: UInt32 = 0x8B51_F9DD, multB: UInt32 = 0x58F3_8DED
        let mixL: UInt32 = 0xCA01_F9DD, mixR: UInt32 = 0x4973_F715
        var hashConst = initA
        func hashmix(_ v: UInt32) -> UInt32 {
            var value = v ^ hashConst
            hashConst = hashConst &* multA
            value = value &* hashConst
            return value ^ (value >> 16)
        }
        func mix(_ x: UInt32, _ y: UInt32) -> UInt32 {
            let r = mixL &* x &- mixR &* y
            return r ^ (r >> 16)
        }
        var pool = [UInt32](repeating: 0, count: 4)
        for i in 0..<4 { pool[i] = hashmix(i == 0 ? seed : 0) }
        for src in 0..<4 { for dst in 0..<4 where src != dst { pool[dst] = mix(pool[dst], hashmix(pool[src])) } }
        var h = initB
        var words = [UInt32](repeating: 0, count: 8)
        for i in 0..<8 {
            var d = pool[i % 4] ^ h
            h = h &* multB
            d = d &* h
            words[i] = d ^ (d >> 16)
        }
        return (0..<4).map { UInt64(words[2 * $0]) | UInt64(words[2 * $0 + 1]) << 32 }
    }

    init(seed: UInt32) {
        let v = NumpyPCG64.seedState(seed)
        incHi = (v[2] << 1) | (v[3] >> 63); incLo = (v[3] << 1) | 1
        hi = 0; lo = 0
        step()
        let (l, o) = lo.addingReportingOverflow(v[1])
        lo = l; hi = hi &+ v[0] &+ (o ? 1 : 0)
        step()
    }

    /// state = state · multiplier + increment (mod 2^128)
    mutating func step() {
        let p = lo.multipliedFullWidth(by: NumpyPCG64.multLo)
        var nhi = p.high &+ lo &* NumpyPCG64.multHi &+ hi &* NumpyPCG64.multLo
        let (nlo, o) = p.low.addingReportingOverflow(incLo)
        nhi = nhi &+ incHi &+ (o ? 1 : 0)
        hi = nhi; lo = nlo
    }

    mutating func next64() -> UInt64 {
        step()
        let x = hi ^ lo, rot = hi >> 58
        return (x >> rot) | (x << ((64 &- rot) & 63))
    }

    mutating func next32() -> UInt32 {
        if hasUInt32 { hasUInt32 = false; return uinteger }
        let n = next64()
        hasUInt32 = true
        uinteger = UInt32(truncatingIfNeeded: n >> 32)
        return UInt32(truncatingIfNeeded: n)
    }

    mutating func integer(below n: UInt64) -> Int {
        let rng = UInt32(truncatingIfNeeded: n - 1)
        if rng == 0 { return 0 }
        if rng == UInt32.max { return Int(next32()) }
        let rngExcl = UInt64(rng) + 1
        var m = UInt64(next32()) * rngExcl
        var leftover = UInt32(truncatingIfNeeded: m)
        if leftover < UInt32(rngExcl) {
            let threshold = UInt32((UInt64(UInt32.max) - UInt64(rng)) % rngExcl)
            while leftover < threshold {
                m = UInt64(next32()) * rngExcl
                leftover = UInt32(truncatingIfNeeded: m)
            }
        }
        return Int(m >> 32)
    }
}
