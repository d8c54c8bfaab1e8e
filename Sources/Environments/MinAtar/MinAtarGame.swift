/// MinAtar's six actions (the full action set, in MinAtar's order).
public enum MinAtarAction: Int, CaseIterable, Sendable {
    case noop = 0, left = 1, up = 2, right = 3, down = 4, fire = 5
}

/// One MinAtar game: its state, rules and rendering, driven by a caller-owned `MT19937`.
///
/// The sticky-action draw and the action bookkeeping live in `MinAtarEnvironment`; a game only
/// sees the effective action. Every game keeps its entities in fixed-size storage (bit boards,
/// eight packed lanes, or Seaquest's 64-slot lists allocated once at creation), so neither `step`
/// nor `render` allocates. Rendering writes the whole 10 × 10 × C grid in MinAtar's
/// `[row y][column x][channel]` layout (y = 0 is the top row), 1 where a channel is set, else 0.
public protocol MinAtarGame: Sendable {
    /// MinAtar's game name ("asterix", "breakout", "freeway", "seaquest", "space_invaders").
    static var name: String { get }
    /// The channel names, in channel order.
    static var channelNames: [String] { get }
    /// The number of channels C (= `channelNames.count`).
    static var channelCount: Int { get }
    /// The minimal action set (indices into `MinAtarAction`).
    static var minimalActionSet: [Int] { get }

    /// A game in its reset-time configuration; `reset` must be called before `step`.
    init(difficultyRamping: Bool)
    var difficultyRamping: Bool { get }
    /// True once the episode has ended (then `step` returns 0 and changes nothing).
    var isTerminal: Bool { get }

    /// Starts a new episode, making the reset-time random draws (if any) from `rng`.
    mutating func reset(_ rng: inout MT19937)
    /// Applies an effective action (0...5) and returns the reward.
    mutating func step(_ action: Int, _ rng: inout MT19937) -> Int
    /// Sets to 1 every cell of the (already zeroed) grid that is on.
    func draw(into grid: MinAtarGrid)
    /// Writes the whole byte grid (`[y][x][c]`, 0/1) to `out[0..<100·C]`; the default clears it and
    /// `draw`s, a game may write it in one pass instead (same bytes).
    func render(into out: UnsafeMutablePointer<UInt8>)

    /// The complete game state as integers (for checkpoints), and its inverse.
    var counters: [Int64] { get }
    mutating func restore(counters: [Int64])
}

/// A zeroed 10 × 10 × C grid (`[y][x][c]`) of bytes or floats that a game's `draw` sets cells of.
/// Not generic on purpose: rendering stays fast across module boundaries and through existentials.
/// (Each game file has its own file-private copy of `on`, named `set`, so that the debug
/// configuration — optimised, but compiled file by file, which cannot inline across files —
/// inlines it too.)
public struct MinAtarGrid {
    @usableFromInline let base: UnsafeMutableRawPointer
    @usableFromInline let isFloat: Bool
    @usableFromInline let channels: Int

    @inlinable init(bytes: UnsafeMutablePointer<UInt8>, channels: Int) { base = UnsafeMutableRawPointer(bytes); isFloat = false; self.channels = channels }
    @inlinable init(floats: UnsafeMutablePointer<Float>, channels: Int) { base = UnsafeMutableRawPointer(floats); isFloat = true; self.channels = channels }

    /// Sets cell (row y, column x, channel c) to 1.
    @inlinable @inline(__always)
    public func on(_ y: Int, _ x: Int, _ c: Int) {
        let i = (y &* 10 &+ x) &* channels &+ c
        if isFloat { base.storeBytes(of: 1 as Float, toByteOffset: 4 &* i, as: Float.self) } else { base.storeBytes(of: 1 as UInt8, toByteOffset: i, as: UInt8.self) }
    }
}

extension MinAtarGame {
    /// Writes the 10 × 10 × C grid (`[y][x][c]`, 0/1) to `out[0..<100·C]`.
    @inline(__always)
    public func render(into out: UnsafeMutablePointer<UInt8>) {
        let c = Self.channelCount
        out.update(repeating: 0, count: 100 * c)
        draw(into: MinAtarGrid(bytes: out, channels: c))
    }

    /// Writes the grid as Float 0/1 (for networks) to `out[0..<100·C]`.
    @inline(__always)
    public func render(into out: UnsafeMutablePointer<Float>) {
        let c = Self.channelCount
        out.update(repeating: 0, count: 100 * c)
        draw(into: MinAtarGrid(floats: out, channels: c))
    }

    /// The grid as a new array (allocates; for tests and inspection).
    public var grid: [UInt8] {
        var g = [UInt8](repeating: 0, count: 100 * Self.channelCount)
        g.withUnsafeMutableBufferPointer { render(into: $0.baseAddress!) }
        return g
    }
}

/// The moves of a MinAtar action (0...5), branch-free: a uniformly random action defeats a branch
/// predictor (and comparisons of one value with constants are compiled to a jump table), so each
/// flag is bit `action` of a mask.
@usableFromInline
struct MinAtarMove {
    /// 1 for left (1) / right (3) / up (2) / down (4) / fire (5), else 0.
    let left: Int, right: Int, up: Int, down: Int, fire: Int
    @inline(__always) init(_ action: Int) {
        left = (0b000010 &>> action) & 1; right = (0b001000 &>> action) & 1
        up = (0b000100 &>> action) & 1; down = (0b010000 &>> action) & 1
        fire = (0b100000 &>> action) & 1
    }
    /// −1, 0 or +1 along x and y (y grows downwards).
    @inline(__always) var dx: Int { right &- left }
    @inline(__always) var dy: Int { down &- up }

    /// `min(hi, max(lo, t))` for t in lo − 1...hi + 1 (a coordinate after one move), with arithmetic
    /// shifts instead of branches.
    @inline(__always) static func clamp(_ t: Int, _ lo: Int, _ hi: Int) -> Int {
        let u = t &- ((t &- lo) >> 63)   // lo − 1 → lo
        return u &+ ((hi &- u) >> 63)    // hi + 1 → hi
    }
}
