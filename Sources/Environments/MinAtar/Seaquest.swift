/// MinAtar Seaquest: a submarine shoots enemy fish and subs (+1 each), rescues divers and must
/// surface before its oxygen runs out. Surfacing with six divers gives oxygen·10 // 200; surfacing
/// with none, running out of oxygen, touching an enemy or an enemy bullet ends the episode. With
/// difficulty ramping, every surfacing makes enemies spawn more often and move faster.
///
/// Each step, in order (MINATAR_RULES.md): enemy spawn (`lr`, `is_sub = rand() < 1/3`,
/// `y = randint(1, 9)`), diver spawn (`lr`, `y`), the player, friendly bullets (newest first),
/// divers (newest first), enemy subs (newest first, with their shots), enemy bullets, fish (newest
/// first), timers, then oxygen and surfacing.
///
/// Channels: sub_front, sub_back, friendly_bullet, trail, enemy_bullet, enemy_fish, enemy_sub,
/// oxygen (gauge in row 9), diver_gauge (row 9), diver.
public struct Seaquest: MinAtarGame {
    public static let name = "seaquest"
    public static let channelNames = ["sub_front", "sub_back", "friendly_bullet", "trail", "enemy_bullet",
                                      "enemy_fish", "enemy_sub", "oxygen", "diver_gauge", "diver"]
    public static var channelCount: Int { 10 }
    public static let minimalActionSet = [0, 1, 2, 3, 4, 5]

    static let maxOxygen = 200
    static let initSpawnSpeed = 20
    static let diverSpawnSpeed = 30
    static let initMoveInterval = 5
    static let diverMoveInterval = 5
    static let shotCoolDown = 5
    static let enemyShotInterval = 10
    static let maxDivers = 6

    public let difficultyRamping: Bool
    public private(set) var isTerminal = false
    public private(set) var subX = 5, subY = 0
    /// Facing right (MinAtar's `sub_or`).
    public private(set) var facingRight = false
    public private(set) var oxygen = Seaquest.maxOxygen
    public private(set) var diverCount = 0
    public private(set) var enemySpawnSpeed = Seaquest.initSpawnSpeed
    public private(set) var enemySpawnTimer = Seaquest.initSpawnSpeed
    public private(set) var diverSpawnTimer = Seaquest.diverSpawnSpeed
    public private(set) var moveSpeed = Seaquest.initMoveInterval
    public private(set) var shotTimer = 0
    public private(set) var rampIndex = 0
    /// At the surface since the last surfacing (or the start).
    public private(set) var surface = true
    var fBullets = MinAtarEntityList(), eBullets = MinAtarEntityList()
    var fish = MinAtarEntityList(), subs = MinAtarEntityList(), divers = MinAtarEntityList()

    public init(difficultyRamping: Bool = true) { self.difficultyRamping = difficultyRamping }

    public mutating func reset(_ rng: inout MT19937) {
        subX = 5; subY = 0; facingRight = false
        oxygen = Seaquest.maxOxygen; diverCount = 0
        enemySpawnSpeed = Seaquest.initSpawnSpeed; enemySpawnTimer = enemySpawnSpeed
        diverSpawnTimer = Seaquest.diverSpawnSpeed
        moveSpeed = Seaquest.initMoveInterval
        shotTimer = 0; rampIndex = 0; surface = true
        fBullets.removeAll(); eBullets.removeAll(); fish.removeAll(); subs.removeAll(); divers.removeAll()
        isTerminal = false
    }

    @inline(__always)
    mutating func spawnEnemy(_ rng: inout MT19937) {
        let lr = rng.rand() < 1.0 / 2.0
        let isSub = rng.rand() < 1.0 / 3.0
        let y = rng.randint(1, 9)
        let x = lr ? 0 : 9
        let r: Int8 = lr ? 1 : 0
        for i in 0..<fish.count { let e = fish[i]; if Int(e.y) == y && e.right != r { return } }
        for i in 0..<subs.count { let e = subs[i]; if Int(e.y) == y && e.right != r { return } }
        if isSub {
            subs.append(x: x, y: y, right: lr, moveTimer: moveSpeed, shotTimer: Seaquest.enemyShotInterval)
        } else {
            fish.append(x: x, y: y, right: lr, moveTimer: moveSpeed)
        }
    }

    @inline(__always)
    mutating func spawnDiver(_ rng: inout MT19937) {
        let lr = rng.rand() < 1.0 / 2.0
        let y = rng.randint(1, 9)
        divers.append(x: lr ? 0 : 9, y: y, right: lr, moveTimer: Seaquest.diverMoveInterval)
    }

    public mutating func step(_ action: Int, _ rng: inout MT19937) -> Int {
        if isTerminal { return 0 }
        var r = 0
        // 1–2. spawning
        if enemySpawnTimer == 0 {
            spawnEnemy(&rng)
            enemySpawnTimer = enemySpawnSpeed
        }
        if diverSpawnTimer == 0 {
            spawnDiver(&rng)
            diverSpawnTimer = Seaquest.diverSpawnSpeed
        }
        // 3. the player
        // branch-free moves: the sub stays in columns 0...9 and rows 0...8
        let m = MinAtarMove(action)
        subX = MinAtarMove.clamp(subX &+ m.dx, 0, 9)
        facingRight = (m.right | ((facingRight ? 1 : 0) & (m.left ^ 1))) != 0
        subY = MinAtarMove.clamp(subY &+ m.dy, 0, 8)
        if action == 5 && shotTimer == 0 {
            fBullets.append(x: subX, y: subY, right: facingRight)
            shotTimer = Seaquest.shotCoolDown
        }
        // 4. friendly bullets, newest first: move, leave the grid, or hit a fish (first) or a sub
        var i = fBullets.count - 1
        while i >= 0 {
            var b = fBullets[i]
            b.x += Int8(b.dx)
            fBullets[i] = b
            let bx = Int(b.x), by = Int(b.y)
            if bx < 0 || bx > 9 {
                fBullets.remove(at: i)
            } else {
                let f = fish.firstIndex(x: bx, y: by)
                if f >= 0 {
                    fish.remove(at: f); fBullets.remove(at: i); r += 1
                } else {
                    let s = subs.firstIndex(x: bx, y: by)
                    if s >= 0 { subs.remove(at: s); fBullets.remove(at: i); r += 1 }
                }
            }
            i -= 1
        }
        // 5. divers, newest first: collected on the player (fewer than 6 held), else move on their timer
        i = divers.count - 1
        while i >= 0 {
            var d = divers[i]
            if Int(d.x) == subX && Int(d.y) == subY && diverCount < Seaquest.maxDivers {
                divers.remove(at: i)
                diverCount += 1
            } else if d.moveTimer == 0 {
                d.moveTimer = Int8(Seaquest.diverMoveInterval)
                d.x += Int8(d.dx)
                let nx = Int(d.x)
                if nx < 0 || nx > 9 {
                    divers.remove(at: i)
                } else if nx == subX && Int(d.y) == subY && diverCount < Seaquest.maxDivers {
                    divers.remove(at: i)
                    diverCount += 1
                } else {
                    divers[i] = d
                }
            } else {
                d.moveTimer -= 1
                divers[i] = d
            }
            i -= 1
        }
        // 6. enemy subs, newest first, and their shots
        i = subs.count - 1
        while i >= 0 {
            var e = subs[i]
            let sy = Int(e.y)
            if Int(e.x) == subX && sy == subY { isTerminal = true }
            var removed = false
            if e.moveTimer == 0 {
                e.moveTimer = Int8(moveSpeed)
                e.x += Int8(e.dx)
                let sx = Int(e.x)
                if sx < 0 || sx > 9 {
                    removed = true
                } else if sx == subX && sy == subY {
                    isTerminal = true
                } else {
                    let b = fBullets.firstIndex(x: sx, y: sy)
                    if b >= 0 { fBullets.remove(at: b); removed = true; r += 1 }
                }
            } else {
                e.moveTimer -= 1
            }
            // a sub shoots on its timer even when removed above, from its last cell
            if e.shotTimer == 0 {
                e.shotTimer = Int8(Seaquest.enemyShotInterval)
                eBullets.append(x: Int(e.x), y: sy, right: e.right != 0)
            } else {
                e.shotTimer -= 1
            }
            if removed { subs.remove(at: i) } else { subs[i] = e }
            i -= 1
        }
        // 7. enemy bullets, newest first: on the player before or after moving → terminal
        i = eBullets.count - 1
        while i >= 0 {
            var b = eBullets[i]
            let by = Int(b.y)
            if Int(b.x) == subX && by == subY { isTerminal = true }
            b.x += Int8(b.dx)
            let bx = Int(b.x)
            if bx < 0 || bx > 9 {
                eBullets.remove(at: i)
            } else {
                eBullets[i] = b
                if bx == subX && by == subY { isTerminal = true }
            }
            i -= 1
        }
        // 8. fish, newest first: as subs, without shooting
        i = fish.count - 1
        while i >= 0 {
            var e = fish[i]
            let fy = Int(e.y)
            if Int(e.x) == subX && fy == subY { isTerminal = true }
            if e.moveTimer == 0 {
                e.moveTimer = Int8(moveSpeed)
                e.x += Int8(e.dx)
                let fx = Int(e.x)
                if fx < 0 || fx > 9 {
                    fish.remove(at: i)
                } else if fx == subX && fy == subY {
                    fish[i] = e
                    isTerminal = true
                } else {
                    let b = fBullets.firstIndex(x: fx, y: fy)
                    if b >= 0 { fBullets.remove(at: b); fish.remove(at: i); r += 1 } else { fish[i] = e }
                }
            } else {
                e.moveTimer -= 1
                fish[i] = e
            }
            i -= 1
        }
        // 9. timers
        enemySpawnTimer &-= enemySpawnTimer > 0 ? 1 : 0
        diverSpawnTimer &-= diverSpawnTimer > 0 ? 1 : 0
        shotTimer &-= shotTimer > 0 ? 1 : 0
        // 10. oxygen and surfacing
        if oxygen <= 0 {
            isTerminal = true
        } else if subY > 0 {
            oxygen -= 1
            surface = false
        } else if !surface {
            if diverCount == 0 {
                isTerminal = true
            } else {
                r += surfaceSub()
            }
        }
        return r
    }

    /// Surfacing with at least one diver: the six-diver bonus, fresh oxygen, one diver fewer, ramping.
    @inline(__always)
    mutating func surfaceSub() -> Int {
        var r = 0
        surface = true
        if diverCount == Seaquest.maxDivers {
            diverCount = 0
            r = oxygen * 10 / Seaquest.maxOxygen
        }
        oxygen = Seaquest.maxOxygen
        diverCount -= 1
        if difficultyRamping && (enemySpawnSpeed > 1 || moveSpeed > 2) {
            if moveSpeed > 2 && rampIndex % 2 == 1 { moveSpeed -= 1 }
            if enemySpawnSpeed > 1 { enemySpawnSpeed -= 1 }
            rampIndex += 1
        }
        return r
    }

    @inline(__always)
    public func draw(into g: MinAtarGrid) {
        g.set(subY, subX, 0)
        // the back cell and the trails may lie off the grid: set them with `setIfInside`, no branch
        g.setIfInside(subY, facingRight ? subX &- 1 : subX &+ 1, 1)
        for i in 0..<fBullets.count { let b = fBullets[i]; g.set(Int(b.y), Int(b.x), 2) }
        for i in 0..<eBullets.count { let b = eBullets[i]; g.set(Int(b.y), Int(b.x), 4) }
        @inline(__always) func withTrail(_ e: MinAtarEntity, _ c: Int) {
            let x = Int(e.x), y = Int(e.y)
            g.set(y, x, c)
            g.setIfInside(y, x &- e.dx, 3)
        }
        for i in 0..<fish.count { withTrail(fish[i], 5) }
        for i in 0..<subs.count { withTrail(subs[i], 6) }
        for i in 0..<divers.count { withTrail(divers[i], 9) }
        // the gauges as fixed loops of 0/1 writes (the grid is zeroed): cells x < oxygen·10 // 200 of
        // the oxygen gauge, cells 9 − divers ≤ x < 9 of the diver gauge (none for diverCount ≤ 0,
        // which surfacing with six divers leaves at −1)
        let o = oxygen * 10 / Seaquest.maxOxygen, lo = 9 &- diverCount
        for x in 0..<10 { g.put(9, x, 7, x < o) }
        for x in 0..<9 { g.put(9, x, 8, x >= lo) }
    }

    public var counters: [Int64] {
        var a: [Int64] = [isTerminal ? 1 : 0, Int64(subX), Int64(subY), facingRight ? 1 : 0, Int64(oxygen), Int64(diverCount),
                          Int64(enemySpawnSpeed), Int64(enemySpawnTimer), Int64(diverSpawnTimer), Int64(moveSpeed),
                          Int64(shotTimer), Int64(rampIndex), surface ? 1 : 0]
        fBullets.encode(into: &a); eBullets.encode(into: &a)
        fish.encode(into: &a); subs.encode(into: &a); divers.encode(into: &a)
        return a
    }

    public mutating func restore(counters a: [Int64]) {
        precondition(a.count >= 18, "Seaquest checkpoint too short (\(a.count) counters)")
        isTerminal = a[0] != 0; subX = Int(a[1]); subY = Int(a[2]); facingRight = a[3] != 0
        oxygen = Int(a[4]); diverCount = Int(a[5]); enemySpawnSpeed = Int(a[6]); enemySpawnTimer = Int(a[7])
        diverSpawnTimer = Int(a[8]); moveSpeed = Int(a[9]); shotTimer = Int(a[10]); rampIndex = Int(a[11])
        surface = a[12] != 0
        var p = 13
        fBullets.decode(a, &p); eBullets.decode(a, &p)
        fish.decode(a, &p); subs.decode(a, &p); divers.decode(a, &p)
        precondition(p == a.count, "Seaquest checkpoint has \(a.count) counters, expected \(p)")
    }
}

/// One moving thing of a MinAtar game: its cell, direction and two timers.
struct MinAtarEntity: Sendable, Equatable {
    var x: Int8, y: Int8
    /// 1 when moving right (MinAtar's `lr`), else 0.
    var right: Int8
    var moveTimer: Int8, shotTimer: Int8

    @inline(__always) var dx: Int { right != 0 ? 1 : -1 }
}

/// Fixed-capacity ordered list of entities: 64 slots allocated once when the list is created,
/// with copy-on-write value semantics (a copy shares the slots until either side writes).
/// Appending, removing (which keeps the order) and reading never allocate; reads go straight to
/// the slots, writes first check that they are not shared.
struct MinAtarEntityList: @unchecked Sendable, Equatable {
    static let capacity = 64
    typealias E = MinAtarEntity

    final class Slots {
        let base: UnsafeMutablePointer<E>
        init() {
            base = .allocate(capacity: MinAtarEntityList.capacity)
            base.initialize(repeating: MinAtarEntity(x: 0, y: 0, right: 0, moveTimer: 0, shotTimer: 0), count: MinAtarEntityList.capacity)
        }
        func copy(_ n: Int) -> Slots {
            let s = Slots()
            s.base.update(from: base, count: n)
            return s
        }
        deinit { base.deallocate() }
    }

    private(set) var count = 0
    private var slots = Slots()

    init() {}

    @inline(__always)
    private mutating func unique() {
        if !isKnownUniquelyReferenced(&slots) { slots = slots.copy(count) }
    }

    @inline(__always)
    subscript(i: Int) -> MinAtarEntity {
        get { slots.base[i] }
        set { unique(); slots.base[i] = newValue }
    }

    @inline(__always)
    mutating func append(x: Int, y: Int, right: Bool, moveTimer: Int = 0, shotTimer: Int = 0) {
        precondition(count < MinAtarEntityList.capacity, "MinAtar entity list full (capacity \(MinAtarEntityList.capacity))")
        unique()
        slots.base[count] = MinAtarEntity(x: Int8(x), y: Int8(y), right: right ? 1 : 0, moveTimer: Int8(moveTimer), shotTimer: Int8(shotTimer))
        count += 1
    }

    @inline(__always)
    mutating func remove(at i: Int) {
        unique()
        let b = slots.base
        var j = i
        while j + 1 < count { b[j] = b[j + 1]; j += 1 }
        count -= 1
    }

    @inline(__always) mutating func removeAll() { count = 0 }

    /// Index of the first (oldest) entity at (x, y), or -1.
    @inline(__always)
    func firstIndex(x px: Int, y py: Int) -> Int {
        let b = slots.base
        var i = 0
        while i < count {
            if Int(b[i].x) == px && Int(b[i].y) == py { return i }
            i += 1
        }
        return -1
    }

    /// count, then per entity x, y, right, moveTimer, shotTimer.
    func encode(into a: inout [Int64]) {
        a.append(Int64(count))
        for i in 0..<count {
            let e = self[i]
            a += [Int64(e.x), Int64(e.y), Int64(e.right), Int64(e.moveTimer), Int64(e.shotTimer)]
        }
    }

    mutating func decode(_ a: [Int64], _ p: inout Int) {
        removeAll()
        let n = Int(a[p]); p += 1
        for _ in 0..<n {
            append(x: Int(a[p]), y: Int(a[p + 1]), right: a[p + 2] != 0, moveTimer: Int(a[p + 3]), shotTimer: Int(a[p + 4]))
            p += 5
        }
    }

    static func == (a: MinAtarEntityList, b: MinAtarEntityList) -> Bool {
        guard a.count == b.count else { return false }
        for i in 0..<a.count where a[i] != b[i] { return false }
        return true
    }
}

extension MinAtarGrid {
    /// `on(y, x, c)`, file-private so that it inlines in file-by-file (debug) builds too.
    @inline(__always)
    fileprivate func set(_ y: Int, _ x: Int, _ c: Int) {
        let i = (y &* 10 &+ x) &* channels &+ c
        if isFloat { base.storeBytes(of: 1 as Float, toByteOffset: 4 &* i, as: Float.self) } else { base.storeBytes(of: 1 as UInt8, toByteOffset: i, as: UInt8.self) }
    }

    /// Writes cell (y, x, c) as `on ? 1 : 0`.
    @inline(__always)
    fileprivate func put(_ y: Int, _ x: Int, _ c: Int, _ on: Bool) {
        let i = (y &* 10 &+ x) &* channels &+ c
        if isFloat { base.storeBytes(of: on ? 1 : 0 as Float, toByteOffset: 4 &* i, as: Float.self) } else { base.storeBytes(of: on ? 1 : 0 as UInt8, toByteOffset: i, as: UInt8.self) }
    }

    /// Sets cell (y, x, c) to 1 when 0 ≤ x ≤ 9, branch-free: column x clamped to the grid gets
    /// its own value back when x is off it.
    @inline(__always)
    fileprivate func setIfInside(_ y: Int, _ x: Int, _ c: Int) {
        let inside = UInt8(truncatingIfNeeded: x) < 10
        let i = (y &* 10 &+ MinAtarMove.clamp(x, 0, 9)) &* channels &+ c
        if isFloat {
            let old = base.load(fromByteOffset: 4 &* i, as: Float.self)
            base.storeBytes(of: inside ? 1 : old, toByteOffset: 4 &* i, as: Float.self)
        } else {
            let old = base.load(fromByteOffset: i, as: UInt8.self)
            base.storeBytes(of: old | (inside ? 1 : 0), toByteOffset: i, as: UInt8.self)
        }
    }
}
