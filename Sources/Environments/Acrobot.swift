import Foundation
import NN
#if canImport(Glibc)
import Glibc
#endif

/// libm's `powf`, looked up at run time: NumPy's `x**2` of a float32 scalar calls it, and a direct
/// `powf(x, 2)` in Swift is rewritten to `x*x` by LLVM. (glibc's FMA and non-FMA `powf` agree on
/// every float32, checked exhaustively, so it may stay libm's.)
let libmPowf: @convention(c) (Float, Float) -> Float = {
    guard let handle = dlopen(nil, RTLD_NOW), let sym = dlsym(handle, "powf") else { return powf }
    return unsafeBitCast(sym, to: (@convention(c) (Float, Float) -> Float).self)
}()

/// Acrobot-v1 as Gymnasium 1.4.0 defines it (`gym.make`, 500-step TimeLimit), bit for bit: two links
/// (m = 1, l1 = 1, lc = 0.5, I = 1, g = 9.8), torque −1/0/+1 on the second joint, the "book" dynamics
/// integrated by one classical RK4 step of 0.2 s with the torque held, angles wrapped into [−π, π] by
/// repeated ±2π, velocities clipped to ±4π and ±9π. Terminated when `−cos θ1 − cos(θ1 + θ2) > 1`;
/// reward −1, 0 on the terminal step. Observation `(cos θ1, sin θ1, cos θ2, sin θ2, θ̇1, θ̇2)` as float32.
///
/// Where Gymnasium squares with numpy's `x**2` (libm `pow(x, 2)`, which differs from `x*x` in the last
/// bit now and then) this uses `DetMath.libmSquare`, and for sin/cos `DetMath.sin`/`cos`: glibc's
/// FMA-variant bits, the same on every CPU (DetTrig.swift, DetPow.swift). Reset draws each component
/// from U(−0.1, 0.1) and rounds it to float32, as Gymnasium's `astype(np.float32)`; the observation
/// right after a reset takes cos/sin in float32 with NumPy's own float32 kernels, as Gymnasium does
/// (`DetMath.numpyCosf`/`numpySinf`); from the first step on the state is float64. Solved at −100.
public struct Acrobot: Environment {
    public static let id = "Acrobot-v1"
    static let timeLimit = 500
    public static let spec = EnvSpec(
        id: id, family: "classic_control",
        observation: ObservationSpace(shape: [6], low: [-1, -1, -1, -1, Float(-4 * Double.pi), Float(-9 * Double.pi)],
                                      high: [1, 1, 1, 1, Float(4 * Double.pi), Float(9 * Double.pi)]),
        action: .discrete(3), maxEpisodeSteps: timeLimit, solveThreshold: -100,
        summary: "two-link pendulum; torque -1/0/+1 on the joint; -1 per step until the tip is high", make: { Acrobot(rng: $0) })
    public var spec: EnvSpec { Acrobot.spec }

    static let dt = 0.2
    static let m1 = 1.0, m2 = 1.0, l1 = 1.0, lc1 = 0.5, lc2 = 0.5, I1 = 1.0, I2 = 1.0, g = 9.8
    static let maxVel1 = 4 * Double.pi, maxVel2 = 9 * Double.pi

    public var state: [Double] = [0, 0, 0, 0]
    public var elapsedSteps = 0
    public var rng: RNG

    public init(rng: RNG) { self.rng = rng }


    func writeObservation(_ obs: UnsafeMutablePointer<Float>) {
        obs[0] = Float(DetMath.cos(state[0])); obs[1] = Float(DetMath.sin(state[0]))
        obs[2] = Float(DetMath.cos(state[1])); obs[3] = Float(DetMath.sin(state[1]))
        obs[4] = Float(state[2]); obs[5] = Float(state[3])
    }

    /// Gymnasium's `reset` returns `_get_ob()` of the float32 state array, so there cos/sin are
    /// NumPy's float32 kernels (`DetMath.numpyCosf`/`numpySinf`).
    public mutating func reset(into obs: UnsafeMutablePointer<Float>) {
        state = (0..<4).map { _ in Double(Float(rng.uniform(-0.1, 0.1))) }
        elapsedSteps = 0
        let t1 = Float(state[0]), t2 = Float(state[1])
        obs[0] = DetMath.numpyCosf(t1); obs[1] = DetMath.numpySinf(t1)
        obs[2] = DetMath.numpyCosf(t2); obs[3] = DetMath.numpySinf(t2)
        obs[4] = Float(state[2]); obs[5] = Float(state[3])
    }

    /// Starts an episode from an explicit float64 state (the reference trajectories' `init_state`).
    public mutating func setState(_ s: [Double], into obs: UnsafeMutablePointer<Float>) {
        precondition(s.count == 4)
        state = s; elapsedSteps = 0
        writeObservation(obs)
    }

    /// `lc1²`, `l1²`, `lc2²` by libm's `pow` as Gymnasium computes them (exact: 0.25, 1, 0.25),
    /// once instead of on every derivative.
    static let lc1Squared = DetMath.libmSquare(lc1), l1Squared = DetMath.libmSquare(l1), lc2Squared = DetMath.libmSquare(lc2)

    /// The time derivative of `(θ1, θ2, θ̇1, θ̇2)` under torque `a` (Gymnasium's `_dsdt`, book variant).
    @inline(__always)
    static func derivatives(_ s: SIMD4<Double>, _ a: Double) -> SIMD4<Double> {
        let theta1 = s[0], theta2 = s[1], dtheta1 = s[2], dtheta2 = s[3]
        let cos2 = DetMath.cos(theta2), sin2 = DetMath.sin(theta2)
        let d1 = m1 * lc1Squared + m2 * (l1Squared + lc2Squared + 2 * l1 * lc2 * cos2) + I1 + I2
        let d2 = m2 * (lc2Squared + l1 * lc2 * cos2) + I2
        let phi2 = m2 * lc2 * g * DetMath.cos(theta1 + theta2 - Double.pi / 2.0)
        let phi1 = -m2 * l1 * lc2 * DetMath.libmSquare(dtheta2) * sin2 - 2 * m2 * l1 * lc2 * dtheta2 * dtheta1 * sin2
            + (m1 * lc1 + m2 * l1) * g * DetMath.cos(theta1 - Double.pi / 2) + phi2
        let ddtheta2 = (a + d2 / d1 * phi1 - m2 * l1 * lc2 * DetMath.libmSquare(dtheta1) * sin2 - phi2)
            / (m2 * lc2Squared + I2 - DetMath.libmSquare(d2) / d1)
        let ddtheta1 = -(d2 * ddtheta2 + phi1) / d1
        return SIMD4(dtheta1, dtheta2, ddtheta1, ddtheta2)
    }

    /// One classical RK4 step of `dt` (Gymnasium's `rk4` over `t = [0, dt]`, element by element:
    /// the lane-wise SIMD operations are the same IEEE operations in the same order).
    @inline(__always)
    static func rk4(_ y0: SIMD4<Double>, torque a: Double) -> SIMD4<Double> {
        let dt = Acrobot.dt - 0.0, dt2 = dt / 2.0
        let k1 = derivatives(y0, a)
        let k2 = derivatives(y0 + dt2 * k1, a)
        let k3 = derivatives(y0 + dt2 * k2, a)
        let k4 = derivatives(y0 + dt * k3, a)
        return y0 + dt / 6.0 * (k1 + 2 * k2 + 2 * k3 + k4)
    }

    static func wrap(_ x0: Double, _ m: Double, _ M: Double) -> Double {
        let diff = M - m
        var x = x0
        while x > M { x = x - diff }
        while x < m { x = x + diff }
        return x
    }

    public mutating func step(_ action: Int, into obs: UnsafeMutablePointer<Float>) -> StepResult {
        var ns = Acrobot.rk4(SIMD4(state[0], state[1], state[2], state[3]), torque: Double(action - 1))
        ns[0] = Acrobot.wrap(ns[0], -Double.pi, Double.pi)
        ns[1] = Acrobot.wrap(ns[1], -Double.pi, Double.pi)
        ns[2] = min(max(ns[2], -Acrobot.maxVel1), Acrobot.maxVel1)
        ns[3] = min(max(ns[3], -Acrobot.maxVel2), Acrobot.maxVel2)
        state[0] = ns[0]; state[1] = ns[1]; state[2] = ns[2]; state[3] = ns[3]
        let terminated = -DetMath.cos(ns[0]) - DetMath.cos(ns[1] + ns[0]) > 1.0
        elapsedSteps += 1
        writeObservation(obs)
        return StepResult(reward: terminated ? 0 : -1, terminated: terminated, truncated: elapsedSteps >= Acrobot.timeLimit)
    }

    public var checkpointState: EnvCheckpoint {
        EnvCheckpoint(reals: state, counters: [Int64(elapsedSteps)], rng: rng.stateArray)
    }

    public mutating func restore(_ s: EnvCheckpoint) {
        state = s.reals; elapsedSteps = Int(s.counters[0]); rng = RNG(stateArray: s.rng)
    }
}
