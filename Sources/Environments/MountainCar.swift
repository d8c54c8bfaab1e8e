import Foundation
import NN

/// MountainCar-v0 as Gymnasium 1.4.0 defines it (`gym.make`, so with its 200-step TimeLimit),
/// bit for bit: `v ← clip(v + ((a − 1)·0.001 + cos(3p)·(−0.0025)), ±0.07)` (Python's `+=` adds the
/// whole right-hand side at once), `p ← clip(p + v, −1.2, 0.6)`, and `v ← 0` when the car hits the
/// left wall moving left. Terminated when `p ≥ 0.5 and v ≥ 0`; reward −1 every step. Reset draws
/// `p ~ U(−0.6, −0.4)` from this environment's RNG and sets `v = 0`. Observations are `(p, v)` as
/// float32. Actions: 0 push left, 1 no push, 2 push right. Solved at −110.
public struct MountainCar: Environment {
    public static let id = "MountainCar-v0"
    static let timeLimit = 200
    public static let spec = EnvSpec(
        id: id, family: "classic_control",
        observation: ObservationSpace(shape: [2], low: [-1.2, -0.07], high: [0.6, 0.07]),
        action: .discrete(3), maxEpisodeSteps: timeLimit, solveThreshold: -110,
        summary: "under-powered car in a valley; push left/none/right; -1 per step until the flag", make: { MountainCar(rng: $0) })
    public var spec: EnvSpec { MountainCar.spec }

    static let minPosition = -1.2, maxPosition = 0.6, maxSpeed = 0.07
    static let goalPosition = 0.5, goalVelocity = 0.0
    static let force = 0.001, gravity = 0.0025

    public var state: (position: Double, velocity: Double) = (0, 0)
    public var elapsedSteps = 0
    public var rng: RNG

    public init(rng: RNG) { self.rng = rng }


    func writeObservation(_ obs: UnsafeMutablePointer<Float>) {
        obs[0] = Float(state.position); obs[1] = Float(state.velocity)
    }

    public mutating func reset(into obs: UnsafeMutablePointer<Float>) {
        state = (rng.uniform(-0.6, -0.4), 0)
        elapsedSteps = 0
        writeObservation(obs)
    }

    /// Starts an episode from an explicit state (the reference trajectories' `init_state`).
    public mutating func setState(_ s: (Double, Double), into obs: UnsafeMutablePointer<Float>) {
        state = (s.0, s.1); elapsedSteps = 0
        writeObservation(obs)
    }

    public mutating func step(_ action: Int, into obs: UnsafeMutablePointer<Float>) -> StepResult {
        var (p, v) = state
        v = v + (Double(action - 1) * MountainCar.force + DetMath.cos(3 * p) * -MountainCar.gravity)
        v = min(max(v, -MountainCar.maxSpeed), MountainCar.maxSpeed)
        p = p + v
        p = min(max(p, MountainCar.minPosition), MountainCar.maxPosition)
        if p == MountainCar.minPosition && v < 0 { v = 0 }
        state = (p, v)
        let terminated = p >= MountainCar.goalPosition && v >= MountainCar.goalVelocity
        elapsedSteps += 1
        writeObservation(obs)
        return StepResult(reward: -1, terminated: terminated, truncated: elapsedSteps >= MountainCar.timeLimit)
    }

    public var checkpointState: EnvCheckpoint {
        EnvCheckpoint(reals: [state.position, state.velocity], counters: [Int64(elapsedSteps)], rng: rng.stateArray)
    }

    public mutating func restore(_ s: EnvCheckpoint) {
        state = (s.reals[0], s.reals[1]); elapsedSteps = Int(s.counters[0]); rng = RNG(stateArray: s.rng)
    }
}
