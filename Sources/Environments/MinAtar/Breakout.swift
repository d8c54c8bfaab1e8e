/// MinAtar Breakout: a paddle in row 9, a ball moving diagonally and three rows of bricks
/// (rows 1–3). Breaking a brick gives +1; missing the ball ends the episode. No ramping.
///
/// Reset: ball at y 3, `randint(2)` picks x 0 moving down-right or x 9 moving down-left; paddle at
/// x 4; bricks fill rows 1–3. Each step: move the paddle; the ball's new position is the old one
/// plus its direction (x clamped with a horizontal flip); then exactly one of: off the top (y = 0,
/// vertical flip); a brick (if none was broken on the previous step: +1, brick removed, ball keeps
/// its y and flips vertically; otherwise it enters the brick's cell); the bottom row (refill the
/// bricks when none remain; bounce off the paddle under the old x with a vertical flip or under the
/// new x reversing both directions, keeping the old y; otherwise terminal).
///
/// Channels: paddle, ball, trail (the ball's previous cell), brick.
public struct Breakout: MinAtarGame {
    public static let name = "breakout"
    public static let channelNames = ["paddle", "ball", "trail", "brick"]
    public static var channelCount: Int { 4 }
    public static let minimalActionSet = [0, 1, 3]

    /// Bit (y − 1)·10 + x for the brick at row y ∈ 1...3, column x.
    static let fullBricks: UInt32 = (1 << 30) - 1
    /// Directions 0 up-left, 1 up-right, 2 down-right, 3 down-left.
    @inline(__always) static func dx(_ d: Int) -> Int { d == 1 || d == 2 ? 1 : -1 }
    @inline(__always) static func dy(_ d: Int) -> Int { d < 2 ? -1 : 1 }

    public let difficultyRamping: Bool
    public private(set) var isTerminal = false
    public private(set) var ballX = 0, ballY = 3, ballDir = 2
    public private(set) var lastX = 0, lastY = 3
    public private(set) var paddleX = 4
    public private(set) var bricks: UInt32 = Breakout.fullBricks
    /// A brick was broken on the previous step.
    public private(set) var strike = false

    public init(difficultyRamping: Bool = true) { self.difficultyRamping = difficultyRamping }

    public mutating func reset(_ rng: inout MT19937) {
        ballY = 3
        if rng.randint(2) == 0 { ballX = 0; ballDir = 2 } else { ballX = 9; ballDir = 3 }
        lastX = ballX; lastY = ballY
        paddleX = 4
        bricks = Breakout.fullBricks
        strike = false
        isTerminal = false
    }

    @inline(__always) func brick(_ y: Int, _ x: Int) -> Bool {
        y >= 1 && y <= 3 && bricks & (1 << UInt32((y - 1) * 10 + x)) != 0
    }

    public mutating func step(_ action: Int, _ rng: inout MT19937) -> Int {
        if isTerminal { return 0 }
        var r = 0
        // left (1) / right (3), clamped to the board, branch-free
        paddleX = MinAtarMove.clamp(paddleX &+ MinAtarMove(action).dx, 0, 9)
        lastX = ballX; lastY = ballY
        var nx = ballX + Breakout.dx(ballDir), ny = ballY + Breakout.dy(ballDir)
        if nx < 0 || nx > 9 {
            nx = nx < 0 ? 0 : 9
            ballDir ^= 1          // horizontal flip: 0↔1, 2↔3
        }
        var struck = false
        if ny < 0 {
            ny = 0
            ballDir = 3 - ballDir  // vertical flip: 0↔3, 1↔2
        } else if brick(ny, nx) {
            if !strike {
                r += 1
                struck = true
                bricks &= ~(1 << UInt32((ny - 1) * 10 + nx))
                ny = lastY
                ballDir = 3 - ballDir  // vertical flip: 0↔3, 1↔2
            }
        } else if ny == 9 {
            if bricks == 0 { bricks = Breakout.fullBricks }
            if ballX == paddleX {
                ballDir = 3 - ballDir  // vertical flip: 0↔3, 1↔2
                ny = lastY
            } else if nx == paddleX {
                ballDir ^= 2           // both: 0↔2, 1↔3
                ny = lastY
            } else {
                isTerminal = true
            }
        }
        strike = struck
        ballX = nx; ballY = ny
        return r
    }

    /// The byte grid written whole (no clear-then-set): a cell's 4 channels are one 32-bit word, so
    /// bricks fill words 10..<40 (row y = 1...3) with their bit in the brick byte, the rest are 0.
    public func render(into out: UnsafeMutablePointer<UInt8>) {
        let w = UnsafeMutableRawPointer(out)
        for i in 0..<10 { w.storeBytes(of: 0 as UInt32, toByteOffset: 4 &* i, as: UInt32.self) }
        for i in 0..<30 { w.storeBytes(of: ((bricks >> UInt32(i)) & 1) << 24, toByteOffset: 40 &+ 4 &* i, as: UInt32.self) }
        for i in 40..<100 { w.storeBytes(of: 0 as UInt32, toByteOffset: 4 &* i, as: UInt32.self) }
        out[(90 &+ paddleX) &* 4] = 1
        out[(ballY &* 10 &+ ballX) &* 4 &+ 1] = 1
        out[(lastY &* 10 &+ lastX) &* 4 &+ 2] = 1
    }

    @inline(__always)
    public func draw(into g: MinAtarGrid) {
        g.set(9, paddleX, 0)
        g.set(ballY, ballX, 1)
        g.set(lastY, lastX, 2)
        // brick bit i is the cell (i / 10 + 1, i % 10), i.e. cell index 10 + i: store all 30 branch-free
        if g.isFloat {
            let f = g.base.assumingMemoryBound(to: Float.self)
            for i in 0..<30 { f[(10 + i) * 4 + 3] = Float((bricks >> UInt32(i)) & 1) }
        } else {
            let u = g.base.assumingMemoryBound(to: UInt8.self)
            for i in 0..<30 { u[(10 + i) * 4 + 3] = UInt8((bricks >> UInt32(i)) & 1) }
        }
    }

    public var counters: [Int64] {
        [isTerminal ? 1 : 0, Int64(ballX), Int64(ballY), Int64(ballDir), Int64(lastX), Int64(lastY), Int64(paddleX),
         Int64(bricks), strike ? 1 : 0]
    }

    public mutating func restore(counters a: [Int64]) {
        precondition(a.count == 9, "Breakout checkpoint has 9 counters, got \(a.count)")
        isTerminal = a[0] != 0; ballX = Int(a[1]); ballY = Int(a[2]); ballDir = Int(a[3])
        lastX = Int(a[4]); lastY = Int(a[5]); paddleX = Int(a[6]); bricks = UInt32(a[7]); strike = a[8] != 0
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
