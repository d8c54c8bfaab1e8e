/// The type-erased face of a MinAtar environment (`MinAtarEnvironment<Game>` for any game), so a
/// factory can return any of the five games: `var env = MinAtar.make("MinAtar/Breakout-v1", seed: 3)!`.
public protocol MinAtarEnvironmentProtocol: Sendable {
    /// MinAtar's game name ("asterix", …).
    var gameName: String { get }
    /// The game's channel names (C of them).
    var channelNames: [String] { get }
    var channelCount: Int { get }
    /// Grid shape (10, 10, C); the grid has `observationSize = 100·C` cells.
    var stateShape: (Int, Int, Int) { get }
    var observationSize: Int { get }
    /// MinAtar's `num_actions()`: always 6 (the full action set).
    var numActions: Int { get }
    var minimalActionSet: [Int] { get }
    /// The actions an agent chooses among: the minimal set (Gymnasium `-v1`) or all six (`-v0`).
    var actionSet: [Int] { get }
    var stickyActionProbability: Double { get }
    var difficultyRamping: Bool { get }
    /// The effective action of the last live `act` (after the sticky substitution); 0 at creation.
    var lastAction: Int { get }
    var isTerminal: Bool { get }

    /// Re-seeds the environment's generator (`env.seed(seed)`); call `reset` after it.
    mutating func seed(_ seed: UInt32)
    /// Starts a new episode (`env.reset()`). The remembered action is kept.
    mutating func reset()
    /// MinAtar's `act(a)` with `a` in the full action set 0...5.
    mutating func act(_ action: Int) -> (reward: Int, terminal: Bool)
    /// `act(actionSet[index])`: the Gymnasium wrapper's step.
    mutating func act(index: Int) -> (reward: Int, terminal: Bool)
    /// Writes the 10 × 10 × C grid, `[y][x][c]`, as 0/1.
    func render(into out: UnsafeMutablePointer<UInt8>)
    func render(into out: UnsafeMutablePointer<Float>)
    /// The grid as a new array (allocates).
    var state: [UInt8] { get }
    /// Complete state: sticky probability (reals), action memory, flags and the game (counters),
    /// the MT19937 words and index (rng).
    var checkpointState: EnvCheckpoint { get }
    mutating func restore(_ s: EnvCheckpoint)
}

/// A MinAtar environment with MinAtar's `Environment` semantics (sticky actions, one MT19937
/// shared by the sticky draw and the game, difficulty ramping).
///
/// ```swift
/// var env = MinAtarEnvironment<Breakout>(seed: 0)        // = Environment("breakout"); seed(0); reset()
/// let (reward, terminal) = env.act(3)                     // 3 = right
/// env.render(into: obsPointer)                             // 10 × 10 × 4, [y][x][c]
/// ```
///
/// `act(a)` first draws `u = rand()` — on every call, whatever the probability, even after the end;
/// if `u < stickyActionProbability` the previous effective action is used instead of `a`. The
/// remembered action starts at 0 and survives `reset`. Once the episode has ended `act` returns
/// `(0, true)` and changes nothing else (the draw still happens). Freeway's 2500-step limit is part
/// of the game (its episodes end, terminal, after 2501 steps); there is no other time limit.
///
/// Stepping is allocation-free: the game's entities live in fixed-size storage and the generator's
/// 624 words in one array allocated at creation.
public struct MinAtarEnvironment<Game: MinAtarGame>: MinAtarEnvironmentProtocol {
    public private(set) var game: Game
    public private(set) var rng: MT19937
    public let stickyActionProbability: Double
    public private(set) var lastAction = 0
    /// Choose among the minimal action set in `act(index:)` (Gymnasium `-v1`) rather than all six.
    public let usesMinimalActionSet: Bool

    /// `Environment(game, sticky_action_prob, difficulty_ramping)`, then `seed(seed)` and `reset()`:
    /// the state right after creation is the first observation of the seeded episode.
    public init(stickyActionProbability: Double = 0.1, difficultyRamping: Bool = true, seed: UInt32,
                minimalActionSet: Bool = false) {
        precondition(stickyActionProbability >= 0 && stickyActionProbability <= 1,
                     "sticky action probability must be in [0, 1], got \(stickyActionProbability)")
        self.stickyActionProbability = stickyActionProbability
        self.usesMinimalActionSet = minimalActionSet
        rng = MT19937(seed: seed)
        game = Game(difficultyRamping: difficultyRamping)
        game.reset(&rng)
    }

    public var gameName: String { Game.name }
    public var channelNames: [String] { Game.channelNames }
    public var channelCount: Int { Game.channelCount }
    public var stateShape: (Int, Int, Int) { (10, 10, Game.channelCount) }
    public var observationSize: Int { 100 * Game.channelCount }
    public var numActions: Int { 6 }
    public var minimalActionSet: [Int] { Game.minimalActionSet }
    public var actionSet: [Int] { usesMinimalActionSet ? Game.minimalActionSet : [0, 1, 2, 3, 4, 5] }
    public var difficultyRamping: Bool { game.difficultyRamping }
    public var isTerminal: Bool { game.isTerminal }

    public mutating func seed(_ seed: UInt32) { rng.seed(seed) }

    public mutating func reset() { game.reset(&rng) }

    @inline(__always)
    public mutating func act(_ action: Int) -> (reward: Int, terminal: Bool) {
        precondition(action >= 0 && action < 6, "MinAtar action must be in 0...5, got \(action)")
        let u = rng.rand()
        if game.isTerminal { return (0, true) }
        let a = u < stickyActionProbability ? lastAction : action
        lastAction = a
        let r = game.step(a, &rng)
        return (r, game.isTerminal)
    }

    @inline(__always)
    public mutating func act(index: Int) -> (reward: Int, terminal: Bool) {
        if usesMinimalActionSet {
            let set = Game.minimalActionSet
            precondition(index >= 0 && index < set.count, "action index must be in 0..<\(set.count), got \(index)")
            return act(set[index])
        }
        return act(index)
    }

    @inline(__always)
    public func render(into out: UnsafeMutablePointer<UInt8>) { game.render(into: out) }
    @inline(__always)
    public func render(into out: UnsafeMutablePointer<Float>) { game.render(into: out) }
    public var state: [UInt8] { game.grid }

    public var checkpointState: EnvCheckpoint {
        EnvCheckpoint(reals: [stickyActionProbability],
                      counters: [Int64(lastAction), usesMinimalActionSet ? 1 : 0, game.difficultyRamping ? 1 : 0] + game.counters,
                      rng: rng.stateArray)
    }

    /// Restores a checkpoint of an environment of the same game and configuration.
    public mutating func restore(_ s: EnvCheckpoint) {
        precondition(s.reals.count == 1 && s.reals[0].bitPattern == stickyActionProbability.bitPattern,
                     "checkpoint is for sticky action probability \(s.reals), this environment has \(stickyActionProbability)")
        precondition(s.counters.count >= 3 && (s.counters[1] != 0) == usesMinimalActionSet
                     && (s.counters[2] != 0) == game.difficultyRamping,
                     "checkpoint is for another action set or ramping setting")
        lastAction = Int(s.counters[0])
        game.restore(counters: Array(s.counters[3...]))
        rng = MT19937(stateArray: s.rng)
    }
}

/// The five MinAtar games, their Gymnasium ids and a factory.
///
/// Ids follow MinAtar's Gymnasium registration: `MinAtar/<Game>-v0` chooses among all six actions,
/// `MinAtar/<Game>-v1` among the game's minimal action set (both with sticky actions 0.1 and
/// difficulty ramping, MinAtar's defaults).
public enum MinAtar {
    public enum Game: String, CaseIterable, Sendable {
        case asterix, breakout, freeway, seaquest, spaceInvaders = "space_invaders"

        /// The name used in Gymnasium ids ("SpaceInvaders").
        public var idName: String {
            switch self {
            case .asterix: return "Asterix"
            case .breakout: return "Breakout"
            case .freeway: return "Freeway"
            case .seaquest: return "Seaquest"
            case .spaceInvaders: return "SpaceInvaders"
            }
        }

        public var channelNames: [String] {
            switch self {
            case .asterix: return Asterix.channelNames
            case .breakout: return Breakout.channelNames
            case .freeway: return Freeway.channelNames
            case .seaquest: return Seaquest.channelNames
            case .spaceInvaders: return SpaceInvaders.channelNames
            }
        }

        public var minimalActionSet: [Int] {
            switch self {
            case .asterix: return Asterix.minimalActionSet
            case .breakout: return Breakout.minimalActionSet
            case .freeway: return Freeway.minimalActionSet
            case .seaquest: return Seaquest.minimalActionSet
            case .spaceInvaders: return SpaceInvaders.minimalActionSet
            }
        }
    }

    /// Every id: for each game, `-v0` (full action set) then `-v1` (minimal action set).
    public static let ids: [String] = Game.allCases.flatMap { ["MinAtar/\($0.idName)-v0", "MinAtar/\($0.idName)-v1"] }

    /// The game and action-set choice of an id, or nil for an unknown id.
    public static func parse(_ id: String) -> (game: Game, minimalActionSet: Bool)? {
        for g in Game.allCases {
            if id == "MinAtar/\(g.idName)-v0" { return (g, false) }
            if id == "MinAtar/\(g.idName)-v1" { return (g, true) }
        }
        return nil
    }

    /// A fresh environment for `game`, seeded and reset.
    public static func make(_ game: Game, seed: UInt32, stickyActionProbability: Double = 0.1,
                            difficultyRamping: Bool = true, minimalActionSet: Bool = false) -> any MinAtarEnvironmentProtocol {
        switch game {
        case .asterix:
            return MinAtarEnvironment<Asterix>(stickyActionProbability: stickyActionProbability, difficultyRamping: difficultyRamping, seed: seed, minimalActionSet: minimalActionSet)
        case .breakout:
            return MinAtarEnvironment<Breakout>(stickyActionProbability: stickyActionProbability, difficultyRamping: difficultyRamping, seed: seed, minimalActionSet: minimalActionSet)
        case .freeway:
            return MinAtarEnvironment<Freeway>(stickyActionProbability: stickyActionProbability, difficultyRamping: difficultyRamping, seed: seed, minimalActionSet: minimalActionSet)
        case .seaquest:
            return MinAtarEnvironment<Seaquest>(stickyActionProbability: stickyActionProbability, difficultyRamping: difficultyRamping, seed: seed, minimalActionSet: minimalActionSet)
        case .spaceInvaders:
            return MinAtarEnvironment<SpaceInvaders>(stickyActionProbability: stickyActionProbability, difficultyRamping: difficultyRamping, seed: seed, minimalActionSet: minimalActionSet)
        }
    }

    /// A fresh environment for a Gymnasium id (`MinAtar/Breakout-v1`, …), seeded and reset, or nil
    /// for an unknown id.
    public static func make(_ id: String, seed: UInt32, stickyActionProbability: Double = 0.1,
                            difficultyRamping: Bool = true) -> (any MinAtarEnvironmentProtocol)? {
        guard let (game, minimal) = parse(id) else { return nil }
        return make(game, seed: seed, stickyActionProbability: stickyActionProbability,
                    difficultyRamping: difficultyRamping, minimalActionSet: minimal)
    }
}
