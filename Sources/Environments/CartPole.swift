import Foundation
import NN

/// CartPole-v1, bit-exact with Gymnasium 1.x (`gymnasium/envs/classic_control/cartpole.py` behind
/// `gym.make`'s TimeLimit of 500 steps).
///
/// Physics in Double, explicit Euler with τ = 0.02; observations are the state cast to Float.
/// Terminated when |x| > 2.4 or |θ| > 12° (strict); reward +1 on every step including the terminal
/// one, and 0 on steps after termination (Gymnasium's "undefined behaviour" branch). Truncated once
/// 500 steps have elapsed. Reset draws each component from U(−0.05, 0.05) with this env's own RNG
/// (not numpy's, so initial states differ from Gymnasium's for the same seed; the dynamics do not).
public struct CartPole: Environment {
    public static let id = "CartPole-v1"
    static let timeLimit = 500
    public static let spec = EnvSpec(
        id: id, family: "classic_control",
        observation: ObservationSpace(shape: [4], low: [-4.8, -.greatestFiniteMagnitude, -0.41887903, -.greatestFiniteMagnitude],
                                      high: [4.8, .greatestFiniteMagnitude, 0.41887903, .greatestFiniteMagnitude]),
        action: .discrete(2), maxEpisodeSteps: timeLimit, solveThreshold: 475,
        summary: "pole on a cart; push left/right; +1 per step upright", make: { CartPole(rng: $0) })
    public var spec: EnvSpec { CartPole.spec }

    static let gravity = 9.8
    static let massCart = 1.0
    static let massPole = 0.1
    static let totalMass = massPole + massCart
    static let length = 0.5
    static let poleMassLength = massPole * length
    static let forceMag = 10.0
    static let tau = 0.02
    static let thetaThreshold = 12.0 * 2.0 * Double.pi / 360.0
    static let xThreshold = 2.4

    /// (x, ẋ, θ, θ̇)
    public var state: (Double, Double, Double, Double) = (0, 0, 0, 0)
    public var elapsedSteps = 0
    /// Steps taken since termination (-1 while the episode is running).
    public var stepsBeyondTerminated = -1
    public var rng: RNG

    public init(rng: RNG) { self.rng = rng }


    @inline(__always)
    func writeObservation(_ obs: UnsafeMutablePointer<Float>) {
        obs[0] = Float(state.0); obs[1] = Float(state.1); obs[2] = Float(state.2); obs[3] = Float(state.3)
    }

    public mutating func reset(into obs: UnsafeMutablePointer<Float>) {
        state = (rng.uniform(-0.05, 0.05), rng.uniform(-0.05, 0.05), rng.uniform(-0.05, 0.05), rng.uniform(-0.05, 0.05))
        elapsedSteps = 0
        stepsBeyondTerminated = -1
        writeObservation(obs)
    }

    /// Sets the physics state explicitly (as the reference trajectories do) and clears the counters.
    public mutating func setState(_ s: (Double, Double, Double, Double), into obs: UnsafeMutablePointer<Float>) {
        state = s; elapsedSteps = 0; stepsBeyondTerminated = -1
        writeObservation(obs)
    }

    @inline(__always)
    public mutating func step(_ action: Int, into obs: UnsafeMutablePointer<Float>) -> StepResult {
        var (x, xDot, theta, thetaDot) = state
        let force = action == 1 ? CartPole.forceMag : -CartPole.forceMag
        let cosTheta = DetMath.cos(theta)   // glibc's FMA-variant bits on every CPU (see DetTrig.swift)
        let sinTheta = DetMath.sin(theta)
        // Same operation order as Gymnasium (np.square(v) is v*v).
        let temp = (force + CartPole.poleMassLength * (thetaDot * thetaDot) * sinTheta) / CartPole.totalMass
        let thetaAcc = (CartPole.gravity * sinTheta - cosTheta * temp)
            / (CartPole.length * (4.0 / 3.0 - CartPole.massPole * (cosTheta * cosTheta) / CartPole.totalMass))
        let xAcc = temp - CartPole.poleMassLength * thetaAcc * cosTheta / CartPole.totalMass
        x = x + CartPole.tau * xDot
        xDot = xDot + CartPole.tau * xAcc
        theta = theta + CartPole.tau * thetaDot
        thetaDot = thetaDot + CartPole.tau * thetaAcc
        state = (x, xDot, theta, thetaDot)

        let terminated = x < -CartPole.xThreshold || x > CartPole.xThreshold
            || theta < -CartPole.thetaThreshold || theta > CartPole.thetaThreshold
        var reward = 1.0
        if terminated {
            if stepsBeyondTerminated < 0 { stepsBeyondTerminated = 0 } else { stepsBeyondTerminated += 1; reward = 0 }
        }
        elapsedSteps += 1
        writeObservation(obs)
        return StepResult(reward: reward, terminated: terminated, truncated: elapsedSteps >= CartPole.timeLimit)
    }

    public var checkpointState: EnvCheckpoint {
        EnvCheckpoint(reals: [state.0, state.1, state.2, state.3],
                      counters: [Int64(elapsedSteps), Int64(stepsBeyondTerminated)], rng: rng.stateArray)
    }

    public mutating func restore(_ s: EnvCheckpoint) {
        state = (s.reals[0], s.reals[1], s.reals[2], s.reals[3])
        elapsedSteps = Int(s.counters[0]); stepsBeyondTerminated = Int(s.counters[1])
        rng = RNG(stateArray: s.rng)
    }
}
