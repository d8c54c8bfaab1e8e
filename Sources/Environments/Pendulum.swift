import Foundation
import NN

/// Pendulum-v1 as Gymnasium 1.4.0 defines it (`gym.make`, 200-step TimeLimit), bit for bit: a
/// frictionless pendulum (g = 10, m = 1, l = 1, dt = 0.05) with a continuous torque in [−2, 2].
///
/// With `u = clip(a, ±2)` in float32:
/// `cost = norm(θ)² + 0.1·θ̇² + 0.001·u²`, `norm(θ) = ((θ + π) mod 2π) − π` (floor mod, as NumPy's `%`),
/// `θ̇' = clip(θ̇ + (15·sin θ + 3·u)·0.05, ±8)`, `θ' = θ + θ̇'·0.05` (θ is never wrapped in the state),
/// reward `−cost` of the state before the step. Never terminates. Observation `(cos θ, sin θ, θ̇)`
/// as float32.
///
/// Bit-exactness notes (NumPy 2 promotion rules): `x**2` of a float64 is libm `pow(x, 2)`
/// (`DetMath.libmSquare`, glibc's FMA-variant bits on every CPU; sin/cos likewise `DetMath`); `u` stays a float32 scalar, so `0.001·u²` (u² by libm `powf`, `libmPowf`) and `3·u` are computed in float32 (a Python
/// float times a float32 scalar is float32 under NEP 50) and only then widened.
/// Reset draws θ ~ U(−π, π) and θ̇ ~ U(−1, 1) from this environment's RNG.
public struct Pendulum: Environment {
    public static let id = "Pendulum-v1"
    static let timeLimit = 200
    static let maxSpeed = 8.0, maxTorque: Float = 2.0, dt = 0.05, g = 10.0, m = 1.0, l = 1.0
    public static let spec = EnvSpec(
        id: id, family: "classic_control",
        observation: ObservationSpace(shape: [3], low: [-1, -1, -8], high: [1, 1, 8]),
        action: .box(low: [-maxTorque], high: [maxTorque]), maxEpisodeSteps: timeLimit,
        summary: "swing a pendulum up and hold it; torque in [-2, 2]; reward -(angle² + 0.1·speed² + 0.001·torque²)",
        make: { Pendulum(rng: $0) })
    public var spec: EnvSpec { Pendulum.spec }

    /// (θ, θ̇)
    public var state: (theta: Double, thetaDot: Double) = (0, 0)
    public var elapsedSteps = 0
    public var rng: RNG

    public init(rng: RNG) { self.rng = rng }

    func writeObservation(_ obs: UnsafeMutablePointer<Float>) {
        obs[0] = Float(DetMath.cos(state.theta)); obs[1] = Float(DetMath.sin(state.theta)); obs[2] = Float(state.thetaDot)
    }

    public mutating func reset(into obs: UnsafeMutablePointer<Float>) {
        state = (rng.uniform(-Double.pi, Double.pi), rng.uniform(-1, 1))
        elapsedSteps = 0
        writeObservation(obs)
    }

    /// Starts an episode from an explicit state (the reference trajectories' `init_state`).
    public mutating func setState(_ s: (Double, Double), into obs: UnsafeMutablePointer<Float>) {
        state = (s.0, s.1); elapsedSteps = 0
        writeObservation(obs)
    }

    /// `((x + π) mod 2π) − π` with NumPy's floor modulo (fmod, then moved into the divisor's sign).
    @inline(__always)
    static func angleNormalize(_ x: Double) -> Double {
        let b = 2 * Double.pi
        var r = fmod(x + Double.pi, b)
        if r != 0 { if (r < 0) != (b < 0) { r += b } } else { r = 0 }
        return r - Double.pi
    }

    public mutating func step(continuous action: UnsafePointer<Float>, into obs: UnsafeMutablePointer<Float>) -> StepResult {
        let (th, thdot) = state
        let u = min(max(action[0], -Pendulum.maxTorque), Pendulum.maxTorque)
        let uCost = Float(0.001) * libmPowf(u, 2)
        let cost = DetMath.libmSquare(Pendulum.angleNormalize(th)) + 0.1 * DetMath.libmSquare(thdot) + Double(uCost)
        var newThdot = thdot + (3 * Pendulum.g / (2 * Pendulum.l) * DetMath.sin(th) + Double(Float(3.0) * u)) * Pendulum.dt
        newThdot = min(max(newThdot, -Pendulum.maxSpeed), Pendulum.maxSpeed)
        let newTh = th + newThdot * Pendulum.dt
        state = (newTh, newThdot)
        elapsedSteps += 1
        writeObservation(obs)
        return StepResult(reward: -cost, terminated: false, truncated: elapsedSteps >= Pendulum.timeLimit)
    }

    public var checkpointState: EnvCheckpoint {
        EnvCheckpoint(reals: [state.theta, state.thetaDot], counters: [Int64(elapsedSteps)], rng: rng.stateArray)
    }

    public mutating func restore(_ s: EnvCheckpoint) {
        state = (s.reals[0], s.reals[1]); elapsedSteps = Int(s.counters[0]); rng = RNG(stateArray: s.rng)
    }
}
