/// MinAtar Space Invaders: a cannon in row 9 shoots at a block of aliens (+1 each) that marches
/// sideways, drops a row at each edge and fires back. An alien bullet or an alien reaching the
/// cannon ends the episode. No randomness. With difficulty ramping each cleared wave makes the
/// aliens move faster (interval − 1, down to 6).
///
/// Reset: cannon at x 5; aliens fill rows 0–3 × columns 2–7, moving left; move interval 12, alien
/// shot interval 10. Each step: fire (cooldown 5) puts a bullet at (9, x), or left/right moves the
/// cannon; friendly bullets move up, enemy bullets down (onto the cannon → terminal); an alien on
/// the cannon → terminal; the aliens move when their timer is 0 (timer = min(#aliens, interval);
/// at the edge: reverse, terminal if any alien is in row 9, shift down; else shift sideways; check
/// the cannon again); every 10 steps the lowest alien of the column nearest the cannon (ties to the
/// left) drops a bullet on its own cell; an alien and a friendly bullet in one cell both vanish (+1);
/// timers; a cleared wave is replaced.
///
/// Channels: cannon, alien, alien_left, alien_right (the alien block's direction), friendly_bullet,
/// enemy_bullet.
public struct SpaceInvaders: MinAtarGame {
    public static let name = "space_invaders"
    public static let channelNames = ["cannon", "alien", "alien_left", "alien_right", "friendly_bullet", "enemy_bullet"]
    public static var channelCount: Int { 6 }
    public static let minimalActionSet = [0, 1, 3, 5]

    static let shotCoolDown = 5
    static let enemyMoveInterval = 12
    static let enemyShotInterval = 10
    /// Columns 2–7 of a row.
    static let waveRow: UInt16 = 0b00_1111_1100

    /// A 10 × 10 boolean map: lane y is row y, bit x is column x (lanes 10–15 stay 0).
    typealias Rows = SIMD16<UInt16>

    public let difficultyRamping: Bool
    public private(set) var isTerminal = false
    public private(set) var cannonX = 5
    var aliens = Rows(), fBullets = Rows(), eBullets = Rows()
    /// −1 moving left, +1 moving right.
    public private(set) var alienDir = -1
    public private(set) var enemyMoveInterval = SpaceInvaders.enemyMoveInterval
    public private(set) var alienMoveTimer = SpaceInvaders.enemyMoveInterval
    public private(set) var alienShotTimer = SpaceInvaders.enemyShotInterval
    public private(set) var shotTimer = 0
    public private(set) var rampIndex = 0

    public init(difficultyRamping: Bool = true) { self.difficultyRamping = difficultyRamping }

    static var freshWave: Rows {
        var r = Rows()
        for y in 0..<4 { r[y] = waveRow }
        return r
    }

    @inline(__always) static func count(_ m: Rows) -> Int {
        var n = 0
        for y in 0..<10 { n += m[y].nonzeroBitCount }
        return n
    }

    @inline(__always) static func isEmpty(_ m: Rows) -> Bool { m == Rows() }

    /// Every row moved down one (row 9 leaves the grid, row 0 empties).
    @inline(__always) static func shiftedDown(_ m: Rows) -> Rows {
        var r = Rows()
        for y in 1..<10 { r[y] = m[y - 1] }
        return r
    }

    /// Every row moved up one (row 0 leaves the grid, row 9 empties).
    @inline(__always) static func shiftedUp(_ m: Rows) -> Rows {
        var r = Rows()
        for y in 0..<9 { r[y] = m[y + 1] }
        return r
    }

    public mutating func reset(_ rng: inout MT19937) {
        cannonX = 5
        aliens = SpaceInvaders.freshWave
        fBullets = Rows(); eBullets = Rows()
        alienDir = -1
        enemyMoveInterval = SpaceInvaders.enemyMoveInterval
        alienMoveTimer = min(SpaceInvaders.count(aliens), enemyMoveInterval)
        alienShotTimer = SpaceInvaders.enemyShotInterval
        shotTimer = 0
        rampIndex = 0
        isTerminal = false
    }

    /// The column with aliens nearest the cannon (ties to the left), or −1 when there are none.
    @inline(__always) func nearestAlienColumn() -> Int {
        var cols: UInt16 = 0
        for y in 0..<10 { cols |= aliens[y] }
        if cols == 0 { return -1 }
        for d in 0..<10 {
            if cannonX - d >= 0 && cols & (1 << UInt16(cannonX - d)) != 0 { return cannonX - d }
            if cannonX + d <= 9 && cols & (1 << UInt16(cannonX + d)) != 0 { return cannonX + d }
        }
        return -1
    }

    public mutating func step(_ action: Int, _ rng: inout MT19937) -> Int {
        if isTerminal { return 0 }
        var r = 0
        if action == 5 {
            if shotTimer == 0 {
                fBullets[9] |= 1 << UInt16(cannonX)
                shotTimer = SpaceInvaders.shotCoolDown
            }
        } else if action == 1 {
            cannonX = max(0, cannonX - 1)
        } else if action == 3 {
            cannonX = min(9, cannonX + 1)
        }
        let cb = UInt16(1) << UInt16(cannonX)
        fBullets = SpaceInvaders.shiftedUp(fBullets)
        eBullets = SpaceInvaders.shiftedDown(eBullets)
        if eBullets[9] & cb != 0 { isTerminal = true }
        if aliens[9] & cb != 0 { isTerminal = true }
        if alienMoveTimer == 0 {
            alienMoveTimer = min(SpaceInvaders.count(aliens), enemyMoveInterval)
            var cols: UInt16 = 0
            for y in 0..<10 { cols |= aliens[y] }
            if (cols & 1 != 0 && alienDir < 0) || (cols & (1 << 9) != 0 && alienDir > 0) {
                alienDir = -alienDir
                if aliens[9] != 0 { isTerminal = true }
                aliens = SpaceInvaders.shiftedDown(aliens)
            } else if alienDir < 0 {
                aliens &>>= 1
            } else {
                aliens &<<= 1
            }
            if aliens[9] & cb != 0 { isTerminal = true }
        }
        if alienShotTimer == 0 {
            alienShotTimer = SpaceInvaders.enemyShotInterval
            let col = nearestAlienColumn()
            if col >= 0 {
                let bit = UInt16(1) << UInt16(col)
                var y = 9
                while aliens[y] & bit == 0 { y -= 1 }
                eBullets[y] |= bit
            }
        }
        let kill = fBullets & aliens
        let hits = SpaceInvaders.count(kill)
        if hits > 0 {
            r += hits
            fBullets &= ~kill
            aliens &= ~kill
        }
        alienMoveTimer -= 1
        alienShotTimer -= 1
        if shotTimer > 0 { shotTimer -= 1 }
        if SpaceInvaders.isEmpty(aliens) {
            if difficultyRamping && enemyMoveInterval > 6 {
                enemyMoveInterval -= 1
                rampIndex += 1
            }
            aliens = SpaceInvaders.freshWave
        }
        return r
    }

    @inline(__always)
    public func draw(into g: MinAtarGrid) {
        g.set(9, cannonX, 0)
        let dirChannel = alienDir < 0 ? 2 : 3
        for y in 0..<10 {
            var a = aliens[y]
            while a != 0 {
                let x = a.trailingZeroBitCount
                a &= a - 1
                g.set(y, x, 1); g.set(y, x, dirChannel)
            }
            var f = fBullets[y]
            while f != 0 { let x = f.trailingZeroBitCount; f &= f - 1; g.set(y, x, 4) }
            var e = eBullets[y]
            while e != 0 { let x = e.trailingZeroBitCount; e &= e - 1; g.set(y, x, 5) }
        }
    }

    public var counters: [Int64] {
        var a: [Int64] = [isTerminal ? 1 : 0, Int64(cannonX), Int64(alienDir), Int64(enemyMoveInterval), Int64(alienMoveTimer),
                          Int64(alienShotTimer), Int64(shotTimer), Int64(rampIndex)]
        for y in 0..<10 { a += [Int64(aliens[y]), Int64(fBullets[y]), Int64(eBullets[y])] }
        return a
    }

    public mutating func restore(counters a: [Int64]) {
        precondition(a.count == 38, "SpaceInvaders checkpoint has 38 counters, got \(a.count)")
        isTerminal = a[0] != 0; cannonX = Int(a[1]); alienDir = Int(a[2]); enemyMoveInterval = Int(a[3])
        alienMoveTimer = Int(a[4]); alienShotTimer = Int(a[5]); shotTimer = Int(a[6]); rampIndex = Int(a[7])
        aliens = Rows(); fBullets = Rows(); eBullets = Rows()
        for y in 0..<10 {
            aliens[y] = UInt16(a[8 + 3 * y]); fBullets[y] = UInt16(a[9 + 3 * y]); eBullets[y] = UInt16(a[10 + 3 * y])
        }
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
