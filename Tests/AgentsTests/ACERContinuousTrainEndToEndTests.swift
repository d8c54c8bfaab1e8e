import Agents
import Environments
import Foundation
import NN
import XCTest

/// Real `ACERContinuous.update()` calls on Pendulum-v1, each against a recomputation in this test
/// from ALGORITHMS.md §5, using only the public API: the checkpoint before the update gives θ, θ_a,
/// RMSProp's `ms` and the random streams; the one after gives the segment the update stored (the
/// buffer's newest slot) and θ', θ_a', ms'. The test replays the update: the on-policy step on that
/// segment, then the K ~ Poisson(replay_ratio) off-policy steps on segments drawn with the
/// checkpointed replay stream (through `ReplayBuffer.sample` on a buffer restored from the "after"
/// checkpoint, which the update does not change after storing the segment). Each step is rebuilt from
/// the pure functions: forward passes at θ and θ_a, a'_i then u_{i,1..n} drawn from the `sdn`
/// stream with `DiagGaussian.sample`, SDN estimates, c_i, Q^ret/Q^opc, g, k, the projection,
/// the critic's gradients, back-propagation, global-norm clipping, RMSProp and Polyak averaging.
/// Compared: the on-policy step's metrics, the number of replay steps, θ', ms' and θ_a'.
///
/// Off-policy steps make ρ_i ≠ 1, c_i < 1 (so Q^ret ≠ Q^opc) and the bias correction act (c = 1.05);
/// δ = 0.02 makes the trust region bind for some samples; a time limit (Pendulum's 200 steps) is
/// crossed inside segments, so the truncation bootstrap V(final observation) is exercised.
final class ACERContinuousTrainEndToEndTests: XCTestCase {
    let nenvs = 2, nsteps = 25, hidden = [8], d = 3, k = 1

    func hyperparameters(_ overrides: [String: ParamValue]) -> Hyperparameters {
        var values = ACER.info.defaults
        for (key, v) in overrides { precondition(values[key] != nil, key); values[key] = v }
        return Hyperparameters(values)
    }

    struct State { var params: [Float]; var avg: [Float]; var ms: [Float]; var sdn: RNG }
    struct StepStats { var metrics: [String: Double] = [:]; var active = 0, bcActive = 0, truncations = 0, cBelowOne = 0 }

    /// One continuous ACER step on `b` from `s`, recomputed.
    func step(_ s: inout State, _ b: SegmentBatch, hp: Hyperparameters, lr: Float) -> StepStats {
        let N = nenvs, T = nsteps, rows = N * (T + 1), B = N * T, S = 2 * k
        let n = hp.int("sdn_samples"), R = n + 2
        let gamma = hp.double("gamma"), c = hp.double("c"), entCoef = hp.double("ent_coef"), qCoef = hp.double("q_coef")
        let delta = hp.double("delta"), alpha = hp.float("alpha"), tr = hp.bool("trust_region"), bc = hp.bool("bias_correction")
        let policy = MLP(sizes: [d] + hidden + [k], activation: .tanh), vNet = MLP(sizes: [d] + hidden + [1], activation: .tanh)
        let aNet = MLP(sizes: [d + k] + hidden + [1], activation: .tanh)
        let ls = policy.parameterCount, vo = ls + k, ao = vo + vNet.parameterCount
        func fwd(_ net: MLP, _ p: ArraySlice<Float>, _ x: [Float], _ m: Int, _ ws: MLPWorkspace) -> [Float] {
            let pa = Array(p)
            let o = pa.withUnsafeBufferPointer { pb in x.withUnsafeBufferPointer { net.forward(pb.baseAddress!, $0.baseAddress!, batch: m, ws) } }
            return Array(UnsafeBufferPointer(start: o, count: m * net.outputSize))
        }
        let pWS = MLPWorkspace(policy, capacity: rows), vWS = MLPWorkspace(vNet, capacity: rows), aWS = MLPWorkspace(aNet, capacity: B * R)
        let mean = fwd(policy, s.params[0..<ls], b.obs, rows, pWS), avgMean = fwd(policy, s.avg[0..<ls], b.obs, rows, MLPWorkspace(policy, capacity: rows))
        let V = fwd(vNet, s.params[vo..<ao], b.obs, rows, vWS).map(Double.init)
        var phiF = [[Float]](), phi = [[Double]](), phiA = [[Double]](), mu = [[Double]](), act = [[Double]](), actP = [[Double]]()
        var aIn = [Float]()
        for e in 0..<N {
            for t in 0..<T {
                let sIdx = e * T + t, r = e * (T + 1) + t
                let pf = Array(mean[(r * k)..<((r + 1) * k)]) + Array(s.params[ls..<vo])
                phiF.append(pf); phi.append(pf.map(Double.init))
                phiA.append((Array(avgMean[(r * k)..<((r + 1) * k)]) + Array(s.avg[ls..<vo])).map(Double.init))
                mu.append((0..<S).map { Double(b.mu[sIdx * S + $0]) })
                act.append((0..<k).map { Double(b.actions[sIdx * k + $0]) })
                let x = Array(b.obs[(r * d)..<((r + 1) * d)])
                aIn += x + Array(b.actions[(sIdx * k)..<((sIdx + 1) * k)])
                for q in 1..<R {
                    var u = [Float](repeating: 0, count: k)
                    DiagGaussian.sample(pf, k, rng: &s.sdn, into: &u)
                    if q == 1 { actP.append(u.map(Double.init)) }
                    aIn += x + u
                }
            }
        }
        let A = fwd(aNet, s.params[ao...], aIn, B * R, aWS).map(Double.init)
        var qt = [Double](), qtP = [Double](), c_i = [Double](), st = StepStats()
        for i in 0..<B {
            let u = Array(A[(i * R + 2)..<(i * R + R)]), vi = V[(i / T) * (T + 1) + i % T]
            qt.append(vi + A[i * R] - u.reduce(0, +) / Double(n))
            qtP.append(vi + A[i * R + 1] - u.reduce(0, +) / Double(n))
            // c_i = min(1, ρ_i^{1/d}), written out here
            let rho = exp(gaussianLogProb(phi: phi[i], action: act[i]) - gaussianLogProb(phi: mu[i], action: act[i]))
            c_i.append(min(1, pow(rho, 1 / Double(k))))
            if c_i[i] < 1 { st.cBelowOne += 1 }
        }
        var qret = [Double](repeating: 0, count: B), qopc = qret
        for e in 0..<N {
            var ret = V[e * (T + 1) + T], opc = ret
            for t in stride(from: T - 1, through: 0, by: -1) {
                let i = e * T + t
                var bi = 0.0
                if b.truncated[i] && !b.terminated[i] {
                    bi = Double(fwd(vNet, s.params[vo..<ao], Array(b.finalObs[(i * d)..<((i + 1) * d)]), 1, MLPWorkspace(vNet, capacity: 1))[0])
                    st.truncations += 1
                }
                let done = b.terminated[i] || b.truncated[i]
                ret = Double(b.rewards[i]) + gamma * (done ? bi : ret)
                opc = Double(b.rewards[i]) + gamma * (done ? bi : opc)
                qret[i] = ret; qopc[i] = opc
                ret = c_i[i] * (ret - qt[i]) + V[e * (T + 1) + t]
                opc = opc - qt[i] + V[e * (T + 1) + t]
            }
        }
        var dMean = [Float](repeating: 0, count: rows * k), dLogStd = [Double](repeating: 0, count: k)
        var dV = [Float](repeating: 0, count: rows), dA = [Float](repeating: 0, count: B * R)
        var sums = [String: Double]()
        func add(_ key: String, _ x: Double) { sums[key, default: 0] += x / Double(B) }
        for i in 0..<B {
            let r = (i / T) * (T + 1) + i % T
            let t = acerGaussianPolicyTerms(phi: phi[i], mu: mu[i], action: act[i], actionPrime: actP[i], qopc: qopc[i], v: V[r],
                                            qTildePrime: qtP[i], c: c, entCoef: entCoef, biasCorrection: bc)
            if t.bcTerm != 0 { st.bcActive += 1 }
            let kv = gaussianKLGradientWrtSecond(phiAvg: phiA[i], phi: phi[i])
            var z = t.g, adj = 0.0
            if tr { (z, adj) = trustRegionProject(g: t.g, k: kv, delta: delta) }
            if adj > 0 { st.active += 1 }
            for j in 0..<k { dMean[r * k + j] = Float(-z[j] / Double(B)); dLogStd[j] -= z[k + j] / Double(B) }
            let err = qret[i] - qt[i], w = min(1, t.rho), sc = qCoef / Double(B)
            dV[r] = Float(-sc * err * (1 + w)); dA[i * R] = Float(-sc * err)
            for q in 0..<n { dA[i * R + 2 + q] = Float(sc * err / Double(n)) }
            let nrm = { (x: [Double]) in x.reduce(0) { $0 + $1 * $1 }.squareRoot() }
            add("loss_f", -t.fTerm); add("loss_bc", -t.bcTerm); add("entropy", t.entropy)
            add("loss_q", 0.5 * err * err); add("loss_v", 0.5 * w * w * err * err)
            add("avg_norm_g", nrm(t.g)); add("avg_norm_k", nrm(kv)); add("avg_norm_k_dot_g", abs(zip(kv, t.g).reduce(0) { $0 + $1.0 * $1.1 }))
            add("avg_norm_adj", adj); add("avg_norm_grads_f", nrm(z)); add("avg_rho", t.rho); add("avg_kl", gaussianKL(phiA[i], phi[i]))
        }
        var g = [Float](repeating: 0, count: s.params.count)
        func back(_ net: MLP, _ off: Int, _ count: Int, _ ws: MLPWorkspace, _ x: [Float], _ dOut: [Float]) {
            let p = Array(s.params[off..<(off + count)])
            var gg = [Float](repeating: 0, count: count)
            p.withUnsafeBufferPointer { pb in x.withUnsafeBufferPointer { xb in gg.withUnsafeMutableBufferPointer { gb in
                dOut.withUnsafeBufferPointer { net.backward(pb.baseAddress!, ws, dOutput: $0.baseAddress!, grad: gb.baseAddress!, input: xb.baseAddress!) }
            } } }
            for j in 0..<count { g[off + j] += gg[j] }
        }
        back(policy, 0, ls, pWS, b.obs, dMean)
        for j in 0..<k { g[ls + j] += Float(dLogStd[j]) }
        back(vNet, vo, vNet.parameterCount, vWS, b.obs, dV)
        back(aNet, ao, aNet.parameterCount, aWS, aIn, dA)
        let l2 = { (x: ArraySlice<Float>) in x.reduce(0) { $0 + Double($1) * Double($1) }.squareRoot() }
        let norm = l2(g[...]), maxNorm = hp.double("max_grad_norm")
        let normP = l2(g[0..<vo]), normQ = l2(g[vo...])
        if norm > maxNorm { g = g.map { Float(Double($0) * maxNorm / norm) } }
        let ra = hp.float("rprop_alpha"), eps = hp.float("rprop_epsilon")
        s.ms = zip(s.ms, g).map { ra * $0 + (1 - ra) * $1 * $1 }
        s.params = (0..<s.params.count).map { s.params[$0] - lr * g[$0] / (s.ms[$0] + eps).squareRoot() }
        s.avg = (0..<s.avg.count).map { alpha * s.avg[$0] + (1 - alpha) * s.params[$0] }
        let ev: Double = {
            let res = zip(qret, qt).map { $0 - $1 }, mr = res.reduce(0, +) / Double(B), my = qret.reduce(0, +) / Double(B)
            return 1 - res.reduce(0) { $0 + ($1 - mr) * ($1 - mr) } / qret.reduce(0) { $0 + ($1 - my) * ($1 - my) }
        }()
        st.metrics = sums.merging(["lr": Double(lr), "loss_policy": sums["loss_f"]! + sums["loss_bc"]!,
                                   "loss": sums["loss_f"]! + sums["loss_bc"]! + qCoef * (sums["loss_q"]! + sums["loss_v"]!) - entCoef * sums["entropy"]!,
                                   "explained_variance": ev, "norm_grads": norm, "norm_grads_policy": normP, "norm_grads_q": normQ,
                                   "std": exp(Double(s.params[ls]))]) { $1 }
        return st
    }

    func run(_ overrides: [String: ParamValue], updates: Int) throws -> StepStats {
        let lr: Float = 0.01
        let hp = hyperparameters(["nenvs": .int(nenvs), "nsteps": .int(nsteps), "hidden": .ints(hidden), "replay_ratio": .number(2),
                                  "replay_start": .int(2 * nenvs * nsteps), "buffer_size": .int(6 * nenvs * nsteps), "lr": .number(Double(lr)),
                                  "lr_schedule": .string("constant"), "c": .number(1.05), "delta": .number(0.02), "sdn_samples": .int(2),
                                  "ent_coef": .number(0.01), "log_std_init": .number(-0.5)].merging(overrides) { $1 })
        let agent = try ACER.info.make(AgentContext(envID: "Pendulum-v1", seed: 7, totalSteps: 100_000, hyperparameters: hp))
        var total = StepStats(), replaySteps = 0
        for u in 0..<updates {
            let c0 = agent.checkpoint
            let m = agent.update()
            let c1 = agent.checkpoint
            var s = State(params: c0.floats["params"]!, avg: c0.floats["avg_params"]!, ms: c0.floats["optimizer_ms"]!,
                          sdn: RNG(stateArray: c0.words["rng_sdn"]!))
            // the segment stored by this update: the buffer's slot `next` before it
            let buffer = ReplayBuffer(bufferSize: hp.int("buffer_size"), nenvs: nenvs, nsteps: nsteps, obsSize: d,
                                      statisticsCount: 2 * k, actionDimension: k, discreteActions: false)
            try buffer.restore(c1)
            var batch = SegmentBatch(nenvs: nenvs, nsteps: nsteps, obsSize: d, statisticsCount: 2 * k, actionDimension: k)
            let slot = Int(c0.ints["replay_counters"]![1]), seg = nenvs * nsteps
            for e in 0..<nenvs {
                let g = slot * nenvs + e
                for j in 0..<((nsteps + 1) * d) { batch.obs[e * (nsteps + 1) * d + j] = c1.floats["replay_obs"]![g * (nsteps + 1) * d + j] }
                for j in 0..<(nsteps * d) { batch.finalObs[e * nsteps * d + j] = c1.floats["replay_final_obs"]![g * nsteps * d + j] }
                for j in 0..<(nsteps * 2 * k) { batch.mu[e * nsteps * 2 * k + j] = c1.floats["replay_mu"]![g * nsteps * 2 * k + j] }
                for j in 0..<(nsteps * k) { batch.actions[e * nsteps * k + j] = c1.floats["replay_actions"]![g * nsteps * k + j] }
                for t in 0..<nsteps {
                    batch.rewards[e * nsteps + t] = c1.floats["replay_rewards"]![g * nsteps + t]
                    let f = c1.ints["replay_actions_flags"]![g * nsteps + t] >> 8
                    batch.terminated[e * nsteps + t] = f & 1 != 0; batch.truncated[e * nsteps + t] = f & 2 != 0
                }
            }
            let onPolicy = step(&s, batch, hp: hp, lr: lr)
            XCTAssertEqual(m.names, ACERContinuous.metrics)
            for (name, value) in onPolicy.metrics {
                XCTAssertEqual(m[name]!, value, accuracy: 1e-5 * max(abs(value), 1e-2), "update \(u): \(name)")
            }
            total.truncations += onPolicy.truncations
            var replay = RNG(stateArray: c0.words["rng_replay"]!), kDraws = 0
            if buffer.storedSteps >= hp.int("replay_start") {
                kDraws = poisson(hp.double("replay_ratio"), uniform: &replay)
                for _ in 0..<kDraws {
                    buffer.sample(into: &batch, rng: &replay)
                    let r = step(&s, batch, hp: hp, lr: lr)
                    total.active += r.active; total.bcActive += r.bcActive; total.cBelowOne += r.cBelowOne; total.truncations += r.truncations
                }
            }
            replaySteps += kDraws
            XCTAssertEqual(m["replay_updates"], Double(kDraws), "update \(u)")
            XCTAssertEqual(m["buffer_steps"], Double(min(u + 1, 6) * seg))
            let p1 = c1.floats["params"]!, ms1 = c1.floats["optimizer_ms"]!, a1 = c1.floats["avg_params"]!, p0 = c0.floats["params"]!
            for i in p1.indices where abs(p1[i] - s.params[i]) > 2.5e-7 + 1e-4 * abs(p1[i] - p0[i]) {
                XCTFail("update \(u): θ'[\(i)] = \(p1[i]), recomputed \(s.params[i]) (θ \(p0[i]))"); break
            }
            for i in ms1.indices where abs(ms1[i] - s.ms[i]) > 1e-6 * ms1[i] + 1e-9 { XCTFail("update \(u): ms'[\(i)]"); break }
            for i in a1.indices where abs(a1[i] - s.avg[i]) > 2.5e-7 { XCTFail("update \(u): θ_a'[\(i)]"); break }
            XCTAssertEqual(RNG(stateArray: c1.words["rng_sdn"]!), s.sdn, "update \(u): the sdn stream drew what the recomputation drew")
            XCTAssertEqual(RNG(stateArray: c1.words["rng_replay"]!), replay)
        }
        XCTAssertGreaterThan(replaySteps, 0, "off-policy steps happened")
        return total
    }

    func testUpdatesMatchRecomputation() throws {
        let t = try run([:], updates: 10)
        XCTAssertGreaterThan(t.active, 0, "the trust region binds for some samples")
        XCTAssertGreaterThan(t.bcActive, 0, "the bias correction acts")
        XCTAssertGreaterThan(t.cBelowOne, 0, "c_i < 1 off-policy")
        XCTAssertGreaterThan(t.truncations, 0, "a time limit inside a segment")
        print("recomputation coverage: trust region active \(t.active), bias correction \(t.bcActive), c_i < 1 \(t.cBelowOne), truncations \(t.truncations)")
    }

    func testUpdatesMatchRecomputationClippedWithoutTrustRegion() throws {
        let t = try run(["trust_region": .bool(false), "max_grad_norm": .number(0.05)], updates: 6)
        XCTAssertEqual(t.active, 0)
    }
}
