import Agents
import Environments
import NN
import XCTest

/// The asynchronous methods' pure pieces against hand-computed values, and their drivers.
final class AsyncMathTests: XCTestCase {
    func testNStepTargetsByHand() {
        // R ← 2 (bootstrap); i = 2: 1 + 0.5·2 = 2; i = 1: 0 + 0.5·2 = 1; i = 0: 3 + 0.5·1 = 3.5
        XCTAssertEqual(nStepTargets(r_i: [3, 0, 1], bootstrap: 2, gamma: 0.5), [3.5, 1, 2])
        XCTAssertEqual(nStepTargets(r_i: [1, 1], bootstrap: 0, gamma: 1), [2, 1], "a terminal segment bootstraps from 0")
    }

    func testOneStepTargetsByHand() {
        XCTAssertEqual(oneStepTargets(r_i: [1, 2, 3], terminal_i: [false, false, true], next_i: [10, 20, 30], gamma: 0.9), [10, 20, 3])
        // Sarsa and Q differ only in `next_i`: Q's is the max over actions, Sarsa's the action taken
        let q: [[Double]] = [[1, 5], [4, 2]], taken = [0, 0]
        XCTAssertEqual(oneStepTargets(r_i: [0, 0], terminal_i: [false, false], next_i: q.map { $0.max()! }, gamma: 1), [5, 4])
        XCTAssertEqual(oneStepTargets(r_i: [0, 0], terminal_i: [false, false], next_i: zip(q, taken).map { $0[$1] }, gamma: 1), [1, 4])
    }

    func testEpsilonScheduleAndFinalEpsilonDraw() {
        XCTAssertEqual(epsilon(t: 0, final: 0.1, annealSteps: 1000), 1)
        XCTAssertEqual(epsilon(t: 500, final: 0.1, annealSteps: 1000), 0.55, accuracy: 1e-15)
        XCTAssertEqual(epsilon(t: 1000, final: 0.1, annealSteps: 1000), 0.1, accuracy: 1e-15)
        XCTAssertEqual(epsilon(t: 5000, final: 0.01, annealSteps: 1000), 0.01, accuracy: 1e-15)
        XCTAssertEqual(epsilon(t: 3, final: 0.5, annealSteps: 0), 0.5)
        XCTAssertEqual(sampleFinalEpsilon(u: 0), 0.1)
        XCTAssertEqual(sampleFinalEpsilon(u: 0.399), 0.1)
        XCTAssertEqual(sampleFinalEpsilon(u: 0.4), 0.01)
        XCTAssertEqual(sampleFinalEpsilon(u: 0.699), 0.01)
        XCTAssertEqual(sampleFinalEpsilon(u: 0.7), 0.5)
        // the frequencies over many draws are the paper's {0.4, 0.3, 0.3} (4σ bounds)
        var rng = RNG(seed: 9)
        var counts: [Double: Int] = [:]
        let n = 100_000
        for _ in 0..<n { counts[sampleFinalEpsilon(u: rng.uniform()), default: 0] += 1 }
        for (e, p) in [(0.1, 0.4), (0.01, 0.3), (0.5, 0.3)] {
            XCTAssertEqual(Double(counts[e]!) / Double(n), p, accuracy: 4 * (p * (1 - p) / Double(n)).squareRoot())
        }
    }

    func testEpsilonGreedy() {
        let q: [Float] = [0.1, 0.9, 0.3]
        var rng = RNG(seed: 1)
        for _ in 0..<100 { XCTAssertEqual(epsilonGreedy(q, 3, epsilon: 0, rng: &rng), 1) }
        var seen = Set<Int>()
        for _ in 0..<200 { seen.insert(epsilonGreedy(q, 3, epsilon: 1, rng: &rng)) }
        XCTAssertEqual(seen, [0, 1, 2])
        // the stream advances by the same amount whatever ε is
        var a = RNG(seed: 2), b = RNG(seed: 2)
        _ = epsilonGreedy(q, 3, epsilon: 0, rng: &a); _ = epsilonGreedy(q, 3, epsilon: 1, rng: &b)
        XCTAssertEqual(a, b)
    }

    /// qLossGradient against central finite differences of Σ (y − Q(s_i, a_i))² in Double.
    func testQLossGradientMatchesFiniteDifferences() {
        let nA = 3
        var q: [Float] = [0.5, -1, 2, 0.25, 0.75, -0.5]
        let actions: [Int32] = [2, 0], y = [1.5, -0.25]
        var dq = [Float](repeating: 9, count: q.count)
        let loss = qLossGradient(q: q, nA: nA, actions: actions, targets: y, dq: &dq)
        func f(_ q: [Float]) -> Double { (0..<2).map { let e = Double(q[$0 * nA + Int(actions[$0])]) - y[$0]; return e * e }.reduce(0, +) }
        XCTAssertEqual(loss, f(q), accuracy: 1e-12)
        for k in q.indices {
            let h: Float = 1e-2
            let x = q[k]
            q[k] = x + h; let up = f(q)
            q[k] = x - h; let down = f(q)
            q[k] = x
            XCTAssertEqual(Double(dq[k]), (up - down) / (2 * Double(h)), accuracy: 1e-4, "entry \(k)")
        }
    }
}

final class AsyncDriverTests: XCTestCase {
    func agent(_ method: String, threads: Int, execution: String, total: Int, extra: [String: ParamValue] = [:]) throws -> AsyncAgent {
        var hp = AsyncAgent.info.defaults
        hp["method"] = .string(method); hp["threads"] = .int(threads); hp["execution"] = .string(execution)
        hp["hidden"] = .ints([32]); hp["report_interval"] = .int(1000)
        for (k, v) in extra { hp[k] = v }
        return try AsyncAgent(AgentContext(envID: "CartPole-v1", seed: 3, totalSteps: total, hyperparameters: Hyperparameters(hp)))
    }

    /// 8 real threads on 2 cores, each method: T is exactly the sum of the learners' steps, every
    /// episode is accounted for, and no parameter became NaN or infinite.
    func testThreadsStress() throws {
        for method in AsyncMethod.allCases {
            for lock in [true, false] {
                let a = try agent(method.rawValue, threads: 8, execution: "threads", total: 20_000, extra: ["apply_lock": .bool(lock)])
                var episodeSteps: Int64 = 0
                while a.envSteps < 20_000 {
                    let m = a.update()
                    XCTAssertTrue(m.values.allSatisfy { !$0.isNaN }, "\(method) lock \(lock): NaN metric \(m)")
                    episodeSteps += a.drainEpisodes().reduce(0) { $0 + Int64($1.length) }
                }
                XCTAssertEqual(a.envSteps, a.learnerSteps.reduce(0, +), "\(method) lock \(lock): T ≠ Σ learner steps")
                XCTAssertTrue(a.learnerSteps.allSatisfy { $0 > 0 }, "\(method): a learner never ran")
                XCTAssertLessThanOrEqual(episodeSteps, a.envSteps)
                XCTAssertGreaterThan(episodeSteps, a.envSteps - 8 * 500, "\(method): episodes went missing")
                XCTAssertTrue(a.parameters.allSatisfy(\.isFinite), "\(method) lock \(lock): a parameter is NaN or infinite")
            }
        }
    }

    /// One learner: deterministic and threads mode are the same algorithm, step for step.
    func testOneLearnerThreadsEqualsDeterministic() throws {
        for method in AsyncMethod.allCases {
            let d = try agent(method.rawValue, threads: 1, execution: "deterministic", total: 3000)
            let t = try agent(method.rawValue, threads: 1, execution: "threads", total: 3000)
            while d.envSteps < 3000 { _ = d.update() }
            while t.envSteps < 3000 { _ = t.update() }
            XCTAssertEqual(d.envSteps, t.envSteps, "\(method)")
            XCTAssertEqual(d.parameters, t.parameters, "\(method): one thread differs from the deterministic driver")
        }
    }

    /// A3C learns CartPole (a short budget; the full check is experiments/a3c_methods.json).
    func testA3CLearns() throws {
        let a = try agent("a3c", threads: 2, execution: "deterministic", total: 60_000, extra: ["hidden": .ints([64, 64]), "lr_schedule": .string("constant")])
        var returns: [Double] = []
        while a.envSteps < 60_000 { _ = a.update(); returns += a.drainEpisodes().map(\.episodeReturn) }
        let last = returns.suffix(20)
        XCTAssertGreaterThan(last.reduce(0, +) / Double(last.count), 100, "A3C's last 20 training episodes average below 100")
    }
}
