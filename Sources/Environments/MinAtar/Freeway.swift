/// MinAtar Freeway: a chicken (column 4) crosses eight lanes of traffic from row 9 to row 0 (+1
/// each crossing); being hit sends it back to row 9. The episode lasts exactly 2501 steps (time
/// limit 2500, part of the game: terminal when it drops below 0). No ramping.
///
/// Reset: car speeds `randint(1, 6, size=8)`, directions `sign(rand(8) − 0.5)`; car i in row i + 1
/// at x 0 with timer |v|; chicken at row 9 with move timer 3. Each step: up/down moves the chicken
/// only when its move timer is 0 (then 3); reaching row 0 gives +1, redraws all speeds and
/// directions (positions stay, timers = |v|) and puts the chicken back at row 9; each car in order:
/// hit check, then if its timer is 0 it resets to |v| and moves one cell (wrapping) and the hit is
/// checked again, else the timer decreases; the move timer decreases if > 0; the time limit − 1.
///
/// Channels: chicken, car, speed1 … speed5 (the cell behind each car, wrapped, in the channel of
/// its |v|).
public struct Freeway: MinAtarGame {
    public static let name = "freeway"
    public static let channelNames = ["chicken", "car", "speed1", "speed2", "speed3", "speed4", "speed5"]
    public static var channelCount: Int { 7 }
    public static let minimalActionSet = [0, 2, 4]

    static let playerSpeed = 3
    static let timeLimit = 2500

    public let difficultyRamping: Bool
    public private(set) var isTerminal = false
    public private(set) var chickenY = 9
    public private(set) var moveTimer = Freeway.playerSpeed
    public private(set) var terminateTimer = Freeway.timeLimit
    /// Car i (row i + 1): column, signed velocity (±1…±5), move timer.
    fileprivate var carX = Bytes8(), carV = Bytes8(), carTimer = Bytes8()

    public init(difficultyRamping: Bool = true) { self.difficultyRamping = difficultyRamping }

    /// Draws the speeds (`randint(1, 6, size=8)`) and directions (`sign(rand(8) − 0.5)`).
    @inline(__always)
    mutating func randomizeCars(_ rng: inout MT19937, initialize: Bool) {
        var speed = Bytes8()
        for i in 0..<8 { speed[i] = Int8(rng.randint(1, 6)) }
        for i in 0..<8 {
            let u = rng.rand() - 0.5
            let s: Int8 = u > 0 ? 1 : (u < 0 ? -1 : 0)
            carV[i] = speed[i] * s
            carTimer[i] = speed[i]
            if initialize { carX[i] = 0 }
        }
    }

    public mutating func reset(_ rng: inout MT19937) {
        randomizeCars(&rng, initialize: true)
        chickenY = 9
        moveTimer = Freeway.playerSpeed
        terminateTimer = Freeway.timeLimit
        isTerminal = false
    }

    public mutating func step(_ action: Int, _ rng: inout MT19937) -> Int {
        if isTerminal { return 0 }
        var r = 0
        if action == 2 && moveTimer == 0 {
            moveTimer = Freeway.playerSpeed
            chickenY = max(0, chickenY - 1)
        } else if action == 4 && moveTimer == 0 {
            moveTimer = Freeway.playerSpeed
            chickenY = min(9, chickenY + 1)
        }
        if chickenY == 0 {
            r += 1
            randomizeCars(&rng, initialize: false)
            chickenY = 9
        }
        for i in 0..<8 {
            if Int(carX[i]) == 4 && i + 1 == chickenY { chickenY = 9 }
            if carTimer[i] == 0 {
                let v = carV[i]
                carTimer[i] = v < 0 ? -v : v
                var x = carX[i] + v.signum()
                if x < 0 { x = 9 } else if x > 9 { x = 0 }
                carX[i] = x
                if x == 4 && i + 1 == chickenY { chickenY = 9 }
            } else {
                carTimer[i] -= 1
            }
        }
        if moveTimer > 0 { moveTimer -= 1 }
        terminateTimer -= 1
        if terminateTimer < 0 { isTerminal = true }
        return r
    }

    @inline(__always)
    public func draw(into g: MinAtarGrid) {
        g.set(chickenY, 4, 0)
        for i in 0..<8 {
            let x = Int(carX[i]), v = Int(carV[i]), y = i + 1
            g.set(y, x, 1)
            var back = v > 0 ? x - 1 : x + 1
            if back < 0 { back = 9 } else if back > 9 { back = 0 }
            let speed = abs(v)
            if speed >= 1 && speed <= 5 { g.set(y, back, 1 + speed) }
        }
    }

    public var counters: [Int64] {
        var a: [Int64] = [isTerminal ? 1 : 0, Int64(chickenY), Int64(moveTimer), Int64(terminateTimer)]
        for i in 0..<8 { a += [Int64(carX[i]), Int64(carV[i]), Int64(carTimer[i])] }
        return a
    }

    public mutating func restore(counters a: [Int64]) {
        precondition(a.count == 28, "Freeway checkpoint has 28 counters, got \(a.count)")
        isTerminal = a[0] != 0; chickenY = Int(a[1]); moveTimer = Int(a[2]); terminateTimer = Int(a[3])
        for i in 0..<8 { carX[i] = Int8(a[4 + 3 * i]); carV[i] = Int8(a[5 + 3 * i]); carTimer[i] = Int8(a[6 + 3 * i]) }
    }
}

extension MinAtarGrid {
    /// `on(y, x, c)`, file-private so that it inlines in file-by-file (debug) builds too.
    @inline(__always)
    fileprivate func set(_ y: Int, _ x: Int, _ c: Int) {
        let i = (y &* 10 &+ x) &* channels &+ c
        if isFloat { base.storeBytes(of: 1 as Float, toByteOffset: 4 &* i, as: Float.self) } else { base.storeBytes(of: 1 as UInt8, toByteOffset: i, as: UInt8.self) }
    }
}

/// Eight `Int8`s packed in one `UInt64` (lane i in bits 8i..<8i+8): fixed storage for the eight
/// lanes that stays in a register.
fileprivate struct Bytes8: Sendable, Equatable {
    var bits: UInt64 = 0

    @inline(__always)
    subscript(i: Int) -> Int8 {
        get { Int8(truncatingIfNeeded: bits >> UInt64(8 * i)) }
        set {
            let shift = UInt64(8 * i)
            bits = (bits & ~(0xFF << shift)) | (UInt64(UInt8(bitPattern: newValue)) << shift)
        }
    }
}
