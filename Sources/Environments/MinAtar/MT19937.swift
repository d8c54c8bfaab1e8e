/// The 32-bit Mersenne Twister, bit-compatible with numpy's legacy `np.random.RandomState(seed)`
/// for the calls MinAtar makes (`rand()`, `rand(n)`, `randint(high)`, `randint(low, high)`,
/// `randint(low, high, size=n)`).
///
/// ```swift
/// var mt = MT19937(seed: 7)          // = np.random.RandomState(7)
/// let u = mt.rand()                  // = rs.rand()
/// let k = mt.randint(1, 9)           // = rs.randint(1, 9)
/// ```
///
/// - Seeding is MT19937's `init_genrand(seed)`, which is what `RandomState(seed)` does for an
///   integer seed (the state then has index 624, so the first draw regenerates it).
/// - `rand()` is numpy's 53-bit double `((a >> 5) · 2^26 + (b >> 6)) / 2^53` of two outputs.
/// - `randint(low, high)` draws 32-bit outputs masked to the smallest all-ones mask covering
///   `high − 1 − low` and rejects values above it; a range of one value draws nothing.
///
/// The state (624 words and the index) is exported by `stateWords`/`index` and restored exactly.
/// Storage is one array (the state and its tempered outputs) allocated at creation; drawing never allocates.
public struct MT19937: Sendable, Equatable {
    public static let stateSize = 624

    /// The 624 state words, then their 624 tempered outputs (valid while `index < 624`: computed
    /// when the state is regenerated or restored), so that a draw is one load.
    private var storage: ContiguousArray<UInt32>
    /// The position of the next word to temper, 0...624 (624: the state must be regenerated).
    public private(set) var index: Int

    /// The 624 state words.
    public var words: ContiguousArray<UInt32> { ContiguousArray(storage[0..<MT19937.stateSize]) }

    /// The generator `init_genrand(seed)`, i.e. `np.random.RandomState(seed)`.
    public init(seed: UInt32) {
        storage = ContiguousArray<UInt32>(repeating: 0, count: 2 * MT19937.stateSize)
        index = MT19937.stateSize
        self.seed(seed)
    }

    /// A generator with an explicit state (as saved by `stateWords` and `index`).
    public init(words: [UInt32], index: Int) {
        precondition(words.count == MT19937.stateSize, "MT19937 state has 624 words, got \(words.count)")
        precondition((0...MT19937.stateSize).contains(index), "MT19937 index must be in 0...624, got \(index)")
        storage = ContiguousArray(words) + ContiguousArray(repeating: 0, count: MT19937.stateSize)
        self.index = index
        temperAll()
    }

    /// Same state words and index (the tempered outputs follow from them).
    public static func == (a: MT19937, b: MT19937) -> Bool {
        a.index == b.index && a.storage[0..<MT19937.stateSize] == b.storage[0..<MT19937.stateSize]
    }

    /// Re-seeds in place (no allocation when the storage is not shared).
    public mutating func seed(_ seed: UInt32) {
        storage.withUnsafeMutableBufferPointer { w in
            var s = seed
            for i in 0..<MT19937.stateSize {
                w[i] = s
                s = 1_812_433_253 &* (s ^ (s >> 30)) &+ UInt32(i + 1)
            }
        }
        index = MT19937.stateSize
    }

    /// The state as 625 `UInt64`s (the 624 words, then the index), for checkpoints.
    public var stateArray: [UInt64] {
        var a = storage[0..<MT19937.stateSize].map { UInt64($0) }
        a.append(UInt64(index))
        return a
    }

    /// Restores a state saved by `stateArray`.
    public init(stateArray a: [UInt64]) {
        precondition(a.count == MT19937.stateSize + 1, "MT19937 checkpoint has 625 words, got \(a.count)")
        self.init(words: a[0..<MT19937.stateSize].map { UInt32(truncatingIfNeeded: $0) }, index: Int(a[MT19937.stateSize]))
    }

    /// MT19937's output tempering of one state word.
    @inline(__always)
    static func temper(_ x: UInt32) -> UInt32 {
        var y = x
        y ^= y >> 11
        y ^= (y << 7) & 0x9D2C_5680
        y ^= (y << 15) & 0xEFC6_0000
        y ^= y >> 18
        return y
    }

    private mutating func temperAll() {
        storage.withUnsafeMutableBufferPointer { bp in
            let mt = bp.baseAddress!, n = MT19937.stateSize
            for i in 0..<n { mt[n + i] = MT19937.temper(mt[i]) }
        }
    }

    @inline(never)
    private mutating func twist() {
        storage.withUnsafeMutableBufferPointer { bp in
            let mt = bp.baseAddress!
            let n = 624, m = 397
            @inline(__always) func mix(_ i: Int, _ j: Int, _ k: Int) {
                let y = (mt[i] & 0x8000_0000) | (mt[j] & 0x7FFF_FFFF)
                mt[i] = mt[k] ^ (y >> 1) ^ ((y & 1) &* 0x9908_B0DF)
            }
            for i in 0..<(n - m) { mix(i, i + 1, i + m) }
            for i in (n - m)..<(n - 1) { mix(i, i + 1, i + m - n) }
            mix(n - 1, 0, m - 1)
        }
        temperAll()
        index = 0
    }

    /// The next 32-bit output (`genrand_int32`).
    @inline(__always)
    public mutating func next32() -> UInt32 {
        if index >= MT19937.stateSize { twist() }
        let y = storage.withUnsafeBufferPointer { $0[MT19937.stateSize &+ index] }
        index += 1
        return y
    }

    /// A uniform double in [0, 1) with 53 random bits (`RandomState.rand()`, `random_sample()`).
    @inline(__always)
    public mutating func rand() -> Double {
        let a = next32() >> 5, b = next32() >> 6
        return (Double(a) * 67_108_864.0 + Double(b)) / 9_007_199_254_740_992.0
    }

    /// `rand(n)`: n doubles drawn one after the other, written to `out[0..<n]`.
    @inline(__always)
    public mutating func rand(_ n: Int, into out: UnsafeMutablePointer<Double>) {
        for i in 0..<n { out[i] = rand() }
    }

    /// A uniform integer in `0...range` by numpy's masked rejection (no draw when `range == 0`).
    @inline(__always)
    public mutating func bounded(_ range: UInt32) -> UInt32 {
        if range == 0 { return 0 }
        var mask = range
        mask |= mask >> 1; mask |= mask >> 2; mask |= mask >> 4; mask |= mask >> 8; mask |= mask >> 16
        while true {
            let v = next32() & mask
            if v <= range { return v }
        }
    }

    /// `randint(low, high)`: a uniform integer in `low..<high` (requires `high > low`, range < 2^32).
    @inline(__always)
    public mutating func randint(_ low: Int, _ high: Int) -> Int {
        precondition(high > low && high - low <= 1 << 32, "randint needs low < high (got \(low), \(high))")
        return low + Int(bounded(UInt32(truncatingIfNeeded: high - 1 - low)))
    }

    /// `randint(high)`: a uniform integer in `0..<high`.
    @inline(__always)
    public mutating func randint(_ high: Int) -> Int { randint(0, high) }

    /// `randint(low, high, size=n)`: n integers drawn one after the other, written to `out[0..<n]`.
    @inline(__always)
    public mutating func randint(_ low: Int, _ high: Int, size n: Int, into out: UnsafeMutablePointer<Int>) {
        for i in 0..<n { out[i] = randint(low, high) }
    }

    /// `randint(low, high, size=n)` as an array (allocates; for tests and set-up code).
    public mutating func randint(_ low: Int, _ high: Int, size n: Int) -> [Int] {
        (0..<n).map { _ in randint(low, high) }
    }

    /// `rand(n)` as an array (allocates; for tests and set-up code).
    public mutating func rand(_ n: Int) -> [Double] {
        (0..<n).map { _ in rand() }
    }
}
