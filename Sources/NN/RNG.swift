/// The one source of randomness in rlexp: a seeded, splittable xoshiro256** generator.
///
/// Every stream is derived from a run seed and a path of labels, so that two streams with
/// different labels are independent and the same labels always give the same stream:
///
/// ```swift
/// var envRNG = RNG(seed: 7, stream: RNG.label("env"), 3)   // env #3 of the run with seed 7
/// let u = envRNG.uniform()                                 // Double in [0, 1)
/// ```
///
/// Never the system RNG, never time. The state is four `UInt64`s (`state`), which a checkpoint
/// stores and restores bit-exactly.
public struct RNG: Sendable, Equatable {
    public private(set) var state: (UInt64, UInt64, UInt64, UInt64)

    public static func == (a: RNG, b: RNG) -> Bool { a.stateArray == b.stateArray }

    /// SplitMix64's finaliser: a bijective 64-bit mixer.
    @inline(__always)
    public static func mix(_ z0: UInt64) -> UInt64 {
        var z = z0 &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A stable 64-bit label for a stream name (FNV-1a over UTF-8).
    public static func label(_ name: String) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for b in name.utf8 { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
        return h
    }

    /// The generator for `seed` and the stream path `stream` (labels or indices).
    public init(seed: UInt64, stream: UInt64...) {
        self.init(seed: seed, streamPath: stream)
    }

    public init(seed: UInt64, streamPath: [UInt64]) {
        var key = RNG.mix(seed)
        for s in streamPath { key = RNG.mix(key ^ RNG.mix(s &+ 0x632B_E59B_D9B4_E019)) }
        var z = key
        var s: [UInt64] = []
        for _ in 0..<4 { z = RNG.mix(z); s.append(z) }
        if s.allSatisfy({ $0 == 0 }) { s[0] = 1 }
        state = (s[0], s[1], s[2], s[3])
    }

    /// Restores a generator from `stateArray` (as stored in a checkpoint).
    public init(stateArray s: [UInt64]) {
        precondition(s.count == 4, "RNG state has 4 words, got \(s.count)")
        state = (s[0], s[1], s[2], s[3])
    }

    public var stateArray: [UInt64] { [state.0, state.1, state.2, state.3] }

    @inline(__always)
    private static func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// The next raw 64-bit output (xoshiro256**).
    @inline(__always)
    public mutating func next() -> UInt64 {
        let result = RNG.rotl(state.1 &* 5, 7) &* 9
        let t = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= t
        state.3 = RNG.rotl(state.3, 45)
        return result
    }

    /// A child generator drawn from this one (advances this generator by one output).
    public mutating func split() -> RNG { RNG(seed: next(), stream: 0x5EED) }

    /// Uniform Double in [0, 1) with 53 random bits.
    @inline(__always)
    public mutating func uniform() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    /// Uniform Float in [0, 1) with 24 random bits.
    @inline(__always)
    public mutating func uniformFloat() -> Float { Float(next() >> 40) * 0x1.0p-24 }

    /// Uniform Double in [low, high).
    @inline(__always)
    public mutating func uniform(_ low: Double, _ high: Double) -> Double { low + (high - low) * uniform() }

    /// Uniform integer in 0..<n, unbiased (Lemire's multiply-and-reject).
    public mutating func int(below n: Int) -> Int {
        precondition(n > 0, "int(below:) needs n > 0, got \(n)")
        let bound = UInt64(n)
        var m = next().multipliedFullWidth(by: bound)
        if m.low < bound {
            let threshold = (0 &- bound) % bound
            while m.low < threshold { m = next().multipliedFullWidth(by: bound) }
        }
        return Int(m.high)
    }

    /// Standard normal (Marsaglia's polar method: one value per call, the second is not cached so
    /// the state stays four words). Uses only `DetMath.log` and `sqrt`, so it is the same on every CPU.
    public mutating func normal() -> Double {
        while true {
            let u = 2 * uniform() - 1, v = 2 * uniform() - 1
            let s = u * u + v * v
            if s > 0 && s < 1 { return u * (-2 * DetMath.log(s) / s).squareRoot() }
        }
    }
}

