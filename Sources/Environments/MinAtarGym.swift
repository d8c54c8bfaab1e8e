import NN

/// MinAtar's five games as environments of the registry, named as MinAtar registers them with
/// Gymnasium: `MinAtar/<Game>-v0` chooses among all six actions, `MinAtar/<Game>-v1` among the
/// game's minimal action set. Sticky actions 0.1 and difficulty ramping on (MinAtar's defaults).
///
/// Observations are the 10 × 10 × C grid, `[y][x][channel]` (dtype uint8, written as 0/1 Floats for
/// the networks). Rewards are MinAtar's integers; `terminated` is MinAtar's terminal. rlexp adds a
/// time limit of `timeLimit` steps (truncation), so that a greedy policy that neither scores nor
/// loses cannot run an evaluation forever; MinAtar's own episodes (Freeway's 2501 steps included)
/// end well before it.
///
/// Randomness: the environment's MT19937 is seeded once, at creation, with a 32-bit word drawn from
/// the copy's own rlexp stream, and every episode continues that generator — as a MinAtar
/// `Environment` seeded once and reset for each episode.
public struct MinAtarGymEnvironment<Game: MinAtarGame>: Environment {
    public static var timeLimit: Int { 10_000 }
    public let spec: EnvSpec
    public private(set) var env: MinAtarEnvironment<Game>
    public private(set) var elapsedSteps = 0

    public init(spec: EnvSpec, rng: RNG, minimalActionSet: Bool, stickyActionProbability: Double = 0.1, difficultyRamping: Bool = true) {
        var r = rng
        self.spec = spec
        env = MinAtarEnvironment<Game>(stickyActionProbability: stickyActionProbability, difficultyRamping: difficultyRamping,
                                       seed: UInt32(truncatingIfNeeded: r.next()), minimalActionSet: minimalActionSet)
    }

    @_specialize(where Game == Asterix) @_specialize(where Game == Breakout) @_specialize(where Game == Freeway)
    @_specialize(where Game == Seaquest) @_specialize(where Game == SpaceInvaders)
    public mutating func reset(into obs: UnsafeMutablePointer<Float>) { restart(); env.render(into: obs) }

    @_specialize(where Game == Asterix) @_specialize(where Game == Breakout) @_specialize(where Game == Freeway)
    @_specialize(where Game == Seaquest) @_specialize(where Game == SpaceInvaders)
    public mutating func step(_ action: Int, into obs: UnsafeMutablePointer<Float>) -> StepResult {
        let r = advance(action); env.render(into: obs); return r
    }

    @_specialize(where Game == Asterix) @_specialize(where Game == Breakout) @_specialize(where Game == Freeway)
    @_specialize(where Game == Seaquest) @_specialize(where Game == SpaceInvaders)
    public mutating func reset(intoBytes obs: UnsafeMutablePointer<UInt8>) { restart(); env.render(into: obs) }

    @_specialize(where Game == Asterix) @_specialize(where Game == Breakout) @_specialize(where Game == Freeway)
    @_specialize(where Game == Seaquest) @_specialize(where Game == SpaceInvaders)
    public mutating func step(_ action: Int, intoBytes obs: UnsafeMutablePointer<UInt8>) -> StepResult {
        let r = advance(action); env.render(into: obs); return r
    }

    @inline(__always)
    mutating func restart() { env.reset(); elapsedSteps = 0 }

    /// One step of the game without rendering.
    @inline(__always)
    mutating func advance(_ action: Int) -> StepResult {
        let (reward, terminal) = env.act(index: action)
        elapsedSteps += 1
        return StepResult(reward: Double(reward), terminated: terminal, truncated: elapsedSteps >= Self.timeLimit)
    }

    public var checkpointState: EnvCheckpoint {
        var s = env.checkpointState
        s.counters.append(Int64(elapsedSteps))
        return s
    }

    public mutating func restore(_ s: EnvCheckpoint) {
        var inner = s
        elapsedSteps = Int(inner.counters.removeLast())
        env.restore(inner)
    }
}

extension MinAtar {
    /// MinAtar's `Environment` keyword arguments, as a spec's `env_kwargs`.
    public static let options = [
        EnvOption("sticky_action_prob", .number(0.1), range: 0...1, "probability that the previous action is repeated instead of the chosen one"),
        EnvOption("difficulty_ramping", .bool(true), "the game speeds up over an episode"),
    ]

    /// Registry entries for every game, `-v0` then `-v1`.
    public static let specs: [EnvSpec] = Game.allCases.flatMap { g in [false, true].map { spec(g, minimal: $0) } }

    static func spec(_ game: Game, minimal: Bool) -> EnvSpec {
        let id = "MinAtar/\(game.idName)-v\(minimal ? 1 : 0)"
        let shape = [10, 10, game.channelNames.count]
        let n = minimal ? game.minimalActionSet.count : 6
        let obs = ObservationSpace(shape: shape, dtype: .uint8, low: [Float](repeating: 0, count: shape.reduce(1, *)),
                                   high: [Float](repeating: 1, count: shape.reduce(1, *)))
        let what: String
        switch game {
        case .asterix: what = "collect gold, dodge enemies in 8 lanes"
        case .breakout: what = "paddle and ball against 3 rows of bricks"
        case .freeway: what = "a chicken crossing 8 lanes of traffic, 2500 steps"
        case .seaquest: what = "submarine: shoot, rescue divers, surface for oxygen"
        case .spaceInvaders: what = "cannon against a descending block of aliens"
        }
        let summary = "MinAtar \(game.rawValue): \(what); channels \(game.channelNames.joined(separator: ", "))"
            + (minimal ? "; minimal action set \(game.minimalActionSet)" : "; all 6 actions")
        var published: [PublishedReturn] = []
        if game == .breakout {
            published.append(PublishedReturn(source: "Young & Tian 2019 (MinAtar)", method: "AC(λ)", frames: 5_000_000, value: 17,
                                             note: "approximate (≈ 17), the average training return at the end of its learning curve"))
        }
        func make<G: MinAtarGame>(_: G.Type) -> @Sendable (RNG, [String: EnvOptionValue]) -> any Environment {
            { rng, o in MinAtarGymEnvironment<G>(spec: spec(game, minimal: minimal), rng: rng, minimalActionSet: minimal,
                                                 stickyActionProbability: o["sticky_action_prob"]!.asDouble!,
                                                 difficultyRamping: o["difficulty_ramping"]!.asBool!) }
        }
        let factory: @Sendable (RNG, [String: EnvOptionValue]) -> any Environment
        switch game {
        case .asterix: factory = make(Asterix.self)
        case .breakout: factory = make(Breakout.self)
        case .freeway: factory = make(Freeway.self)
        case .seaquest: factory = make(Seaquest.self)
        case .spaceInvaders: factory = make(SpaceInvaders.self)
        }
        return EnvSpec(id: id, family: "minatar", observation: obs, action: .discrete(n),
                       maxEpisodeSteps: MinAtarGymEnvironment<Breakout>.timeLimit, publishedReturns: published,
                       summary: summary, options: options, make: factory)
    }
}
