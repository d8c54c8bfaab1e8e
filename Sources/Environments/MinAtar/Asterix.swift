/// MinAtar Asterix: the player (starting at x 5, y 5) moves around rows 1–8 while enemies and
/// gold cross the eight lanes (lane i is row i + 1). Gold gives +1; touching an enemy ends the
/// episode. With difficulty ramping, spawning and movement speed up every ~100 steps.
///
/// Each step, in order (see MINATAR_RULES.md):
/// 1. spawn timer 0 → draw `lr = rand() < 1/2`, `gold = rand() < 1/3`, then, if a lane is free, the
///    `randint(#free)`-th free lane (upward); the entity enters at x 0 moving right (lr) or x 9
///    moving left; spawn timer = spawn speed;
/// 2. move the player; 3. resolve the player's cell (gold +1 and removed, enemy → terminal);
/// 4. move timer 0 → move timer = move speed, every entity moves one cell (leaving → removed,
///    landing on the player → gold +1 / enemy terminal);
/// 5. both timers − 1; 6. ramping.
///
/// Channels: player, enemy, trail (the cell behind each entity), gold.
public struct Asterix: MinAtarGame {
    public static let name = "asterix"
    public static let channelNames = ["player", "enemy", "trail", "gold"]
    public static var channelCount: Int { 4 }
    public static let minimalActionSet = [0, 1, 2, 3, 4]

    static let rampInterval = 100
    static let initSpawnSpeed = 10
    static let initMoveInterval = 5

    public let difficultyRamping: Bool
    public private(set) var isTerminal = false
    public private(set) var playerX = 5, playerY = 5
    /// Lane i (row i + 1): bit i of `occupied`, position `laneX[i]`, bit i of `movingRight`/`isGold`.
    var occupied: UInt8 = 0, movingRight: UInt8 = 0, isGold: UInt8 = 0
    fileprivate var laneX = Bytes8()
    public private(set) var spawnSpeed = Asterix.initSpawnSpeed, spawnTimer = Asterix.initSpawnSpeed
    public private(set) var moveSpeed = Asterix.initMoveInterval, moveTimer = Asterix.initMoveInterval
    public private(set) var rampTimer = Asterix.rampInterval, rampIndex = 0

    public init(difficultyRamping: Bool = true) { self.difficultyRamping = difficultyRamping }

    public mutating func reset(_ rng: inout MT19937) {
        playerX = 5; playerY = 5
        occupied = 0; movingRight = 0; isGold = 0; laneX = Bytes8()
        spawnSpeed = Asterix.initSpawnSpeed; spawnTimer = spawnSpeed
        moveSpeed = Asterix.initMoveInterval; moveTimer = moveSpeed
        rampTimer = Asterix.rampInterval; rampIndex = 0
        isTerminal = false
    }

    @inline(__always)
    mutating func spawnEntity(_ rng: inout MT19937) {
        let lr = rng.rand() < 1.0 / 2.0
        let gold = rng.rand() < 1.0 / 3.0
        let free = ~occupied
        let nFree = free.nonzeroBitCount
        guard nFree > 0 else { return }
        var k = rng.randint(nFree)
        var lane = 0
        while true {   // the k-th free lane, counting upward
            if free & (1 << lane) != 0 { if k == 0 { break }; k -= 1 }
            lane += 1
        }
        let bit = UInt8(1) << lane
        occupied |= bit
        laneX[lane] = lr ? 0 : 9
        if lr { movingRight |= bit } else { movingRight &= ~bit }
        if gold { isGold |= bit } else { isGold &= ~bit }
    }

    public mutating func step(_ action: Int, _ rng: inout MT19937) -> Int {
        if isTerminal { return 0 }
        var r = 0
        if spawnTimer == 0 {
            spawnEntity(&rng)
            spawnTimer = spawnSpeed
        }
        // branch-free moves: the player stays in columns 0...9 and rows 1...8
        let m = MinAtarMove(action)
        playerX = MinAtarMove.clamp(playerX &+ m.dx, 0, 9)
        playerY = MinAtarMove.clamp(playerY &+ m.dy, 1, 8)
        // the player's cell
        let pl = playerY - 1, pbit = UInt8(1) << pl
        if occupied & pbit != 0 && Int(laneX[pl]) == playerX {
            if isGold & pbit != 0 { occupied &= ~pbit; r += 1 } else { isTerminal = true }
        }
        if moveTimer == 0 {
            moveTimer = moveSpeed
            for lane in 0..<8 {
                let bit = UInt8(1) << lane
                guard occupied & bit != 0 else { continue }
                let nx = Int(laneX[lane]) + (movingRight & bit != 0 ? 1 : -1)
                if nx < 0 || nx > 9 { occupied &= ~bit; continue }
                laneX[lane] = Int8(nx)
                if nx == playerX && lane == pl {
                    if isGold & bit != 0 { occupied &= ~bit; r += 1 } else { isTerminal = true }
                }
            }
        }
        spawnTimer -= 1
        moveTimer -= 1
        if difficultyRamping && (spawnSpeed > 1 || moveSpeed > 1) {
            if rampTimer >= 0 {
                rampTimer -= 1
            } else {
                if moveSpeed > 1 && rampIndex % 2 == 1 { moveSpeed -= 1 }
                if spawnSpeed > 1 { spawnSpeed -= 1 }
                rampIndex += 1
                rampTimer = Asterix.rampInterval
            }
        }
        return r
    }

    @inline(__always)
    public func draw(into g: MinAtarGrid) {
        g.set(playerY, playerX, 0)
        var occ = occupied
        while occ != 0 {
            let lane = occ.trailingZeroBitCount
            occ &= occ - 1
            let bit = UInt8(1) << lane
            let x = Int(laneX[lane]), y = lane + 1
            g.set(y, x, isGold & bit != 0 ? 3 : 1)
            let back = movingRight & bit != 0 ? x - 1 : x + 1
            if back >= 0 && back <= 9 { g.set(y, back, 2) }
        }
    }

    public var counters: [Int64] {
        var a: [Int64] = [isTerminal ? 1 : 0, Int64(playerX), Int64(playerY), Int64(occupied), Int64(movingRight), Int64(isGold)]
        for i in 0..<8 { a.append(Int64(laneX[i])) }
        a += [Int64(spawnSpeed), Int64(spawnTimer), Int64(moveSpeed), Int64(moveTimer), Int64(rampTimer), Int64(rampIndex)]
        return a
    }

    public mutating func restore(counters a: [Int64]) {
        precondition(a.count == 20, "Asterix checkpoint has 20 counters, got \(a.count)")
        isTerminal = a[0] != 0; playerX = Int(a[1]); playerY = Int(a[2])
        occupied = UInt8(a[3]); movingRight = UInt8(a[4]); isGold = UInt8(a[5])
        for i in 0..<8 { laneX[i] = Int8(a[6 + i]) }
        spawnSpeed = Int(a[14]); spawnTimer = Int(a[15]); moveSpeed = Int(a[16]); moveTimer = Int(a[17])
        rampTimer = Int(a[18]); rampIndex = Int(a[19])
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
