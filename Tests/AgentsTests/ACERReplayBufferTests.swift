import Agents
import Foundation
import NN
import XCTest

/// ACER's replay memory: a ring of `capacity` segments per environment stream; `sample` draws one
/// stored segment per stream.
final class ACERReplayBufferTests: XCTestCase {
    let nenvs = 3, nsteps = 4, obsSize = 2, nA = 3

    /// A batch whose every value encodes (batch id, stream, position), so a sampled segment tells
    /// where it came from and any mixing of fields, streams or steps shows.
    func makeBatch(id: Int) -> SegmentBatch {
        var b = SegmentBatch(nenvs: nenvs, nsteps: nsteps, obsSize: obsSize, nA: nA)
        let base = Float(id * 10_000)
        for i in b.obs.indices { b.obs[i] = base + Float(i) + 0.25 }
        for i in b.finalObs.indices { b.finalObs[i] = -(base + Float(i) + 0.5) }
        for i in b.mu.indices { b.mu[i] = Float(id) + Float(i) / 1000 }
        for s in 0..<(nenvs * nsteps) {
            b.rewards[s] = base / 10 + Float(s) - 0.125
            b.actions[s] = Float((s + id) % nA)
            // every flag combination appears, in a pattern that differs between batches
            let k = (s + id) % 4
            b.terminated[s] = k & 1 != 0
            b.truncated[s] = k & 2 != 0
        }
        return b
    }

    /// Stream `e`'s segment of `b`, all fields, as comparable arrays.
    struct Segment: Equatable {
        var obs: [Float], finalObs: [Float], mu: [Float], rewards: [Float], actions: [Float], terminated: [Bool], truncated: [Bool]
    }

    func segment(_ b: SegmentBatch, _ e: Int) -> Segment {
        let T = nsteps, d = obsSize
        return Segment(obs: Array(b.obs[(e * (T + 1) * d)..<((e + 1) * (T + 1) * d)]),
                       finalObs: Array(b.finalObs[(e * T * d)..<((e + 1) * T * d)]),
                       mu: Array(b.mu[(e * T * nA)..<((e + 1) * T * nA)]),
                       rewards: Array(b.rewards[(e * T)..<((e + 1) * T)]),
                       actions: Array(b.actions[(e * T)..<((e + 1) * T)]),
                       terminated: Array(b.terminated[(e * T)..<((e + 1) * T)]),
                       truncated: Array(b.truncated[(e * T)..<((e + 1) * T)]))
    }

    func testRingOverwritesOldestAndSamplesStoredSegments() {
        let buffer = ReplayBuffer(bufferSize: 2 * nenvs * nsteps, nenvs: nenvs, nsteps: nsteps, obsSize: obsSize, nA: nA)
        XCTAssertEqual(buffer.capacity, 2)
        XCTAssertEqual(buffer.count, 0); XCTAssertEqual(buffer.next, 0); XCTAssertEqual(buffer.storedSteps, 0)
        let batches = (1...3).map { makeBatch(id: $0) }
        var out = SegmentBatch(nenvs: nenvs, nsteps: nsteps, obsSize: obsSize, nA: nA)
        var rng = RNG(seed: 5, stream: RNG.label("acer-replay"))

        buffer.put(batches[0])
        XCTAssertEqual(buffer.count, 1); XCTAssertEqual(buffer.next, 1); XCTAssertEqual(buffer.storedSteps, nenvs * nsteps)
        for _ in 0..<10 {
            buffer.sample(into: &out, rng: &rng)
            for e in 0..<nenvs { XCTAssertEqual(segment(out, e), segment(batches[0], e), "one stored segment, stream \(e)") }
        }

        buffer.put(batches[1])
        XCTAssertEqual(buffer.count, 2); XCTAssertEqual(buffer.next, 0); XCTAssertEqual(buffer.storedSteps, 2 * nenvs * nsteps)
        buffer.put(batches[2])   // overwrites slot 0 (batch 1, the oldest)
        XCTAssertEqual(buffer.count, 2); XCTAssertEqual(buffer.next, 1); XCTAssertEqual(buffer.storedSteps, 2 * nenvs * nsteps)

        // every sample: per stream exactly batch 2's or batch 3's segment of that stream, never batch 1's;
        // both appear for every stream, and streams are drawn independently (mixed batches occur)
        var seen = [Set<Int>](repeating: [], count: nenvs)
        var mixed = false
        for _ in 0..<200 {
            buffer.sample(into: &out, rng: &rng)
            var ids = [Int]()
            for e in 0..<nenvs {
                let s = segment(out, e)
                let id = [2, 3].first { s == segment(batches[$0 - 1], e) }
                XCTAssertNotNil(id, "stream \(e): sampled segment is not one stored for that stream")
                XCTAssertNotEqual(s, segment(batches[0], e), "stream \(e): overwritten segment sampled")
                if let id { seen[e].insert(id); ids.append(id) }
            }
            if Set(ids).count > 1 { mixed = true }
        }
        for e in 0..<nenvs { XCTAssertEqual(seen[e], [2, 3], "stream \(e) draws both stored segments") }
        XCTAssert(mixed, "streams sample independently")
    }

    func testSamplingIsDeterministicForAnRNGState() {
        let buffer = ReplayBuffer(bufferSize: 2 * nenvs * nsteps, nenvs: nenvs, nsteps: nsteps, obsSize: obsSize, nA: nA)
        for id in 1...3 { buffer.put(makeBatch(id: id)) }
        var a = SegmentBatch(nenvs: nenvs, nsteps: nsteps, obsSize: obsSize, nA: nA), b = a
        var rng1 = RNG(seed: 6, stream: RNG.label("acer-replay-det")), rng2 = rng1
        for _ in 0..<20 {
            buffer.sample(into: &a, rng: &rng1)
            buffer.sample(into: &b, rng: &rng2)
            for e in 0..<nenvs { XCTAssertEqual(segment(a, e), segment(b, e)) }
            XCTAssertEqual(rng1, rng2)
        }
        // sampling does not change the buffer
        XCTAssertEqual(buffer.count, 2); XCTAssertEqual(buffer.next, 1)
    }

    /// Continuous actions: μ's Gaussian statistics (2k Floats a step) and k-Float actions round-trip
    /// through put/sample and through checkpoint/restore; the discrete layout is unchanged.
    func testContinuousActionsAndStatistics() throws {
        let S = 4, A = 2
        func batch(_ id: Int) -> SegmentBatch {
            var b = SegmentBatch(nenvs: nenvs, nsteps: nsteps, obsSize: obsSize, statisticsCount: S, actionDimension: A)
            for i in b.obs.indices { b.obs[i] = Float(id * 1000 + i) }
            for i in b.mu.indices { b.mu[i] = Float(id) + Float(i) / 64 }
            for i in b.actions.indices { b.actions[i] = -Float(id) - Float(i) / 32 + 0.3 }
            for s in 0..<(nenvs * nsteps) { b.rewards[s] = Float(s * id); b.truncated[s] = (s + id) % 3 == 0; b.terminated[s] = (s + id) % 5 == 0 }
            return b
        }
        let buffer = ReplayBuffer(bufferSize: nenvs * nsteps, nenvs: nenvs, nsteps: nsteps, obsSize: obsSize,
                                  statisticsCount: S, actionDimension: A, discreteActions: false)
        XCTAssertEqual(buffer.capacity, 1)
        let b1 = batch(7)
        buffer.put(b1)
        var out = SegmentBatch(nenvs: nenvs, nsteps: nsteps, obsSize: obsSize, statisticsCount: S, actionDimension: A)
        var rng = RNG(seed: 1, stream: RNG.label("acer-replay-cont"))
        buffer.sample(into: &out, rng: &rng)
        XCTAssertEqual(out.obs, b1.obs); XCTAssertEqual(out.mu, b1.mu); XCTAssertEqual(out.actions, b1.actions)
        XCTAssertEqual(out.rewards, b1.rewards); XCTAssertEqual(out.terminated, b1.terminated); XCTAssertEqual(out.truncated, b1.truncated)
        // checkpoint → restore into a fresh buffer of the same shape
        let c = buffer.checkpoint
        XCTAssertEqual(c.floats["replay_actions"]!, b1.actions)
        let fresh = ReplayBuffer(bufferSize: nenvs * nsteps, nenvs: nenvs, nsteps: nsteps, obsSize: obsSize,
                                 statisticsCount: S, actionDimension: A, discreteActions: false)
        try fresh.restore(c)
        XCTAssertEqual(fresh.checkpoint, c)
        var out2 = out
        fresh.sample(into: &out2, rng: &rng)
        XCTAssertEqual(out2.actions, b1.actions); XCTAssertEqual(out2.truncated, b1.truncated)
        // the discrete buffer keeps its checkpoint layout (action byte | flags << 8), no float actions
        let d = ReplayBuffer(bufferSize: nenvs * nsteps, nenvs: nenvs, nsteps: nsteps, obsSize: obsSize, nA: nA)
        d.put(makeBatch(id: 2))
        let dc = d.checkpoint
        XCTAssertNil(dc.floats["replay_actions"])
        let b2 = makeBatch(id: 2)
        XCTAssertEqual(dc.ints["replay_actions_flags"]!, (0..<(nenvs * nsteps)).map { s in
            Int64(b2.actions[s]) | (Int64((b2.terminated[s] ? 1 : 0) | (b2.truncated[s] ? 2 : 0)) << 8) })
        // per segment of T steps: floats (T+1)·d obs + T·d final obs + T·S μ + T rewards (+ T·A actions if continuous), bytes T actions + T flags
        let T = nsteps
        XCTAssertEqual(d.bytesPerStep, (Double(((T + 1) + T) * obsSize + T * nA + T) * 4 + Double(2 * T)) / Double(T))
        XCTAssertEqual(buffer.bytesPerStep, (Double(((T + 1) + T) * obsSize + T * S + T + T * A) * 4 + Double(T)) / Double(T))
    }

    /// Capacity is buffer_size / (nenvs·nsteps) segments per stream, at least 1.
    func testCapacity() {
        XCTAssertEqual(ReplayBuffer(bufferSize: 50_000, nenvs: 8, nsteps: 20, obsSize: 4, nA: 2).capacity, 312)
        XCTAssertEqual(ReplayBuffer(bufferSize: 5, nenvs: 8, nsteps: 20, obsSize: 4, nA: 2).capacity, 1)
    }
}
