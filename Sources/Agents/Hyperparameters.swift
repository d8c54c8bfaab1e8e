/// A hyperparameter value as it appears in a spec (JSON scalar or list of integers).
public enum ParamValue: Hashable, Sendable, CustomStringConvertible {
    case int(Int)
    case number(Double)
    case bool(Bool)
    case string(String)
    case ints([Int])

    public var description: String {
        switch self {
        case .int(let v): return String(v)
        case .number(let v): return formatNumber(v)
        case .bool(let v): return String(v)
        case .string(let v): return v
        case .ints(let v): return "[" + v.map(String.init).joined(separator: ",") + "]"
        }
    }

    public var asDouble: Double? {
        switch self { case .int(let v): return Double(v); case .number(let v): return v; default: return nil }
    }
    public var asInt: Int? { if case .int(let v) = self { return v }; return nil }
    public var asBool: Bool? { if case .bool(let v) = self { return v }; return nil }
    public var asString: String? { if case .string(let v) = self { return v }; return nil }
    public var asInts: [Int]? { if case .ints(let v) = self { return v }; return nil }
}

/// Shortest round-tripping decimal for a Double (integers without ".0").
public func formatNumber(_ v: Double) -> String {
    if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
    return "\(v)"
}

/// What values a hyperparameter accepts.
public enum ParamKind: Sendable, Equatable {
    /// An integer in `min...max`.
    case int(min: Int, max: Int)
    /// A number in `min...max`; `exclusiveMin` makes the lower bound strict.
    case number(min: Double, max: Double, exclusiveMin: Bool)
    case bool
    /// One of the listed strings.
    case choice([String])
    /// A list of `minCount...ParamKind.maxListCount` integers, each in `min...max`.
    case intList(minCount: Int, min: Int, max: Int)

    /// The longest list an `intList` accepts (e.g. 64 hidden layers).
    public static let maxListCount = 64

    /// Human wording of the accepted values, for error messages and the JSON Schema.
    public var expectation: String {
        switch self {
        case let .int(lo, hi): return hi == Int.max ? "an integer ≥ \(lo)" : "an integer in \(lo)...\(hi)"
        case let .number(lo, hi, ex):
            let l = ex ? "> \(formatNumber(lo))" : "≥ \(formatNumber(lo))"
            return hi == .infinity ? "a number \(l)" : "a number \(l) and ≤ \(formatNumber(hi))"
        case .bool: return "true or false"
        case .choice(let c): return "one of " + c.map { "\"\($0)\"" }.joined(separator: ", ")
        case let .intList(n, lo, hi): return "a list of at least \(n) integer(s) in \(lo)...\(hi), at most \(ParamKind.maxListCount) of them"
        }
    }

    /// Checks a value; returns nil when valid, else what was expected.
    public func validate(_ v: ParamValue) -> String? {
        switch (self, v) {
        case let (.int(lo, hi), .int(x)): return (lo...hi).contains(x) ? nil : expectation
        case let (.number(lo, hi, ex), _):
            guard let x = v.asDouble, x.isFinite else { return expectation }
            if ex ? !(x > lo) : !(x >= lo) { return expectation }
            return x <= hi ? nil : expectation
        case (.bool, .bool): return nil
        case let (.choice(c), .string(s)): return c.contains(s) ? nil : expectation
        case let (.intList(n, lo, hi), .ints(xs)): return xs.count >= n && xs.count <= ParamKind.maxListCount && xs.allSatisfy { (lo...hi).contains($0) } ? nil : expectation
        default: return expectation
        }
    }
}

/// One hyperparameter: name (as in ALGORITHMS.md), what it accepts, its default, and a doc line.
public struct ParamDef: Sendable {
    public let name: String
    public let kind: ParamKind
    public let defaultValue: ParamValue
    public let doc: String
    /// A hyperparameter added after results were made, whose default reproduces the old behaviour:
    /// at its default it is left out of the run id, so existing results folders keep their run ids
    /// (and are not re-run). It is still recorded in every run's configuration.
    public var neutralDefault = false
    public init(_ name: String, _ kind: ParamKind, _ defaultValue: ParamValue, _ doc: String, neutralDefault: Bool = false) {
        self.name = name; self.kind = kind; self.defaultValue = defaultValue; self.doc = doc
        self.neutralDefault = neutralDefault
    }
}

/// Resolved hyperparameters of one run: every defined name has a validated value.
public struct Hyperparameters: Sendable, Hashable {
    public let values: [String: ParamValue]
    public init(_ values: [String: ParamValue]) { self.values = values }

    public func int(_ k: String) -> Int { values[k]!.asInt! }
    public func double(_ k: String) -> Double { values[k]!.asDouble! }
    public func float(_ k: String) -> Float { Float(values[k]!.asDouble!) }
    public func bool(_ k: String) -> Bool { values[k]!.asBool! }
    public func string(_ k: String) -> String { values[k]!.asString! }
    public func ints(_ k: String) -> [Int] { values[k]!.asInts! }
}
