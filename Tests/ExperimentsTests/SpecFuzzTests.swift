import Agents
import Experiments
import Foundation
import XCTest

/// Hostile input for the spec decoder, in process: seeded mutations of every committed spec
/// (experiments/*.json and experiments/smoke/*.json) — truncations, huge and tiny numbers, NaN and
/// Infinity literals, deep nesting, duplicate keys, wrong types at every path, removed and added
/// keys, invalid UTF-8, control characters, a BOM, empty files, huge strings and grids — each
/// decoded through `Spec.load(data:file:fallbackName:)`, the entry point of `Spec.load(path:)`.
///
/// Every case must end in a `SpecError` whose every problem says where (a JSON path, or a line and
/// column of the file) and what, or in a valid spec whose expansion is bounded and whose runs hold
/// only values their hyperparameters accept. A crash (trap, precondition, overflow) fails the whole
/// test run; a hang is caught by the time limits. `Tests/fuzz/run_fuzz.sh` runs libFuzzer on the
/// same entry point; what it found is in `testRegressionCases`.
final class SpecFuzzTests: XCTestCase {
    static func committedSpecs() throws -> [(String, [UInt8])] {
        var out: [(String, [UInt8])] = []
        for sub in ["experiments", "experiments/smoke"] {
            let dir = repoRoot.appendingPathComponent(sub)
            for name in try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
            where name.hasSuffix(".json") && name != "schema.json" {
                out.append((sub + "/" + name, Array(try Data(contentsOf: dir.appendingPathComponent(name)))))
            }
        }
        return out
    }

    /// SplitMix64: the test's own seeded stream (the cases are the same on every run).
    struct Mixer: RandomNumberGenerator {
        var s: UInt64
        mutating func next() -> UInt64 {
            s &+= 0x9E37_79B9_7F4A_7C15
            var z = s
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func below(_ n: Int) -> Int { Int(next() % UInt64(max(n, 1))) }
        mutating func pick<T>(_ a: [T]) -> T { a[below(a.count)] }
    }

    // MARK: - Byte-level mutations

    static let numbers = ["1e400", "-1e400", "1e-400", "9223372036854775807", "9223372036854775808", "18446744073709551616",
                          "-9223372036854775808", "-9223372036854775809", "-0", "0", "-1", "1e308", "4.9e-324", "NaN", "Infinity",
                          "-Infinity", "0.5", "2147483648", "1e9", "100000000000", "1000000000000001", "-0.0", "1.0", "01", "1.",
                          ".5", "+1", "0x10", "1e", "1E+2", "-", "1" + String(repeating: "0", count: 400)]
    static let values = ["\"x\"", "true", "false", "null", "[]", "{}", "[[1]]", "{\"a\": 1}", "\"\"", "[1, \"a\", null]",
                         "\"CartPole-v1\"", "\"a2c\"", "[0.001, 0.001]", "{\"log_uniform\": [0, 1], \"samples\": 5}",
                         "{\"uniform\": [1, 1e300], \"samples\": 3}", "{\"uniform\": [0, 9223372036854775807], \"samples\": 2}",
                         "{\"choice\": [], \"samples\": 1000000}", "[" + (0..<200).map(String.init).joined(separator: ",") + "]",
                         "\"\\ud800\"", "\"\\udc00\\ud800\"", "\"\\u0000\"", "\"\\u001b[2J\"", "\"\\uD83D\\uDE00\""]
    static let keys = ["name", "env", "algo", "total_steps", "seeds", "eval", "hyperparameters", "sweep", "env_kwargs",
                       "checkpoint_every", "search_seed", "lr", "nenvs", "nsteps", "hidden", "buffer_size", "interval", "episodes", "threads"]

    /// The byte ranges of number tokens, and the offsets just after each ':' (where a value starts).
    static func tokenStarts(_ b: [UInt8]) -> (numbers: [Range<Int>], values: [Int]) {
        var nums: [Range<Int>] = [], vals: [Int] = []
        var i = 0, inString = false
        while i < b.count {
            let c = b[i]
            if inString {
                if c == UInt8(ascii: "\\") { i += 2; continue }
                if c == UInt8(ascii: "\"") { inString = false }
                i += 1; continue
            }
            if c == UInt8(ascii: "\"") { inString = true; i += 1; continue }
            if c == UInt8(ascii: ":") { vals.append(i + 1) }
            if c == UInt8(ascii: "-") || (48...57).contains(c) {
                let s = i
                while i < b.count, b[i] == UInt8(ascii: "-") || b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: ".")
                        || b[i] == UInt8(ascii: "e") || b[i] == UInt8(ascii: "E") || (48...57).contains(b[i]) { i += 1 }
                nums.append(s..<i)
                continue
            }
            i += 1
        }
        return (nums, vals)
    }

    /// The end of the JSON value starting at `start` (after whitespace), by bracket matching.
    static func valueEnd(_ b: [UInt8], from start: Int) -> Int {
        var i = start
        while i < b.count, b[i] == 32 || b[i] == 10 || b[i] == 9 || b[i] == 13 { i += 1 }
        var depth = 0, inString = false
        while i < b.count {
            let c = b[i]
            if inString {
                if c == UInt8(ascii: "\\") { i += 2; continue }
                if c == UInt8(ascii: "\"") { inString = false; if depth == 0 { return i + 1 } }
            } else if c == UInt8(ascii: "\"") { inString = true }
            else if c == UInt8(ascii: "[") || c == UInt8(ascii: "{") { depth += 1 }
            else if c == UInt8(ascii: "]") || c == UInt8(ascii: "}") { if depth == 0 { return i }; depth -= 1; if depth == 0 { return i + 1 } }
            else if depth == 0 && c == UInt8(ascii: ",") { return i }
            i += 1
        }
        return b.count
    }

    static func mutateBytes(_ src: [UInt8], _ r: inout Mixer) -> [UInt8] {
        var b = src
        let (nums, vals) = tokenStarts(b)
        switch r.below(14) {
        case 0: b = Array(b.prefix(r.below(b.count)))                                        // truncation
        case 1 where !nums.isEmpty:                                                          // odd numbers
            let t = r.pick(nums); b.replaceSubrange(t, with: Array(r.pick(numbers).utf8))
        case 2 where !vals.isEmpty:                                                          // wrong types
            let s = r.pick(vals); b.replaceSubrange(s..<valueEnd(b, from: s), with: Array((" " + r.pick(values)).utf8))
        case 3:                                                                              // duplicate or new keys
            if let k = b.firstIndex(of: UInt8(ascii: "{")) {
                let key = r.below(3) == 0 ? "zz_unknown" : r.pick(keys)
                b.insert(contentsOf: Array(" \"\(key)\": \(r.pick(values + numbers)),".utf8), at: k + 1)
            }
        case 4:                                                                              // deep nesting
            let n = r.pick([100, 255, 256, 257, 1000, 100_000])
            let open = r.below(2) == 0 ? "[" : "{\"a\":"
            let close = open == "[" ? "]" : "}"
            let nest = String(repeating: open, count: n) + "1" + String(repeating: close, count: r.below(4) == 0 ? n - 1 : n)
            if let s = vals.isEmpty ? nil : r.pick(vals) { b.replaceSubrange(s..<valueEnd(b, from: s), with: Array(nest.utf8)) } else { b = Array(nest.utf8) }
        case 5:                                                                              // invalid UTF-8
            let bad: [[UInt8]] = [[0xFF], [0xC0, 0x80], [0x80], [0xE2, 0x82], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xFE, 0xFF], [0xC3, 0xA9]]
            // inside a string (after an opening quote) or anywhere
            let at = r.below(2) == 0 ? (b.indices.filter { b[$0] == UInt8(ascii: "\"") }.map { $0 + 1 }.randomElement(using: &r) ?? 0) : r.below(b.count + 1)
            b.insert(contentsOf: r.pick(bad), at: min(at, b.count))
        case 6:                                                                              // control characters, NUL, BOM
            let junk: [[UInt8]] = [[0], [1], [9], [0x1B], [0x7F], [0xEF, 0xBB, 0xBF], Array("\\u0000".utf8), Array("\\ud800".utf8), Array("\\".utf8)]
            b.insert(contentsOf: r.pick(junk), at: r.below(3) == 0 ? 0 : r.below(b.count + 1))
        case 7:                                                                              // byte noise
            for _ in 0..<(1 + r.below(4)) where !b.isEmpty {
                let k = r.below(b.count)
                switch r.below(3) { case 0: b.remove(at: k); case 1: b[k] = UInt8(truncatingIfNeeded: r.next()); default: b.insert(b[k], at: k) }
            }
        case 8 where !vals.isEmpty:                                                          // a huge string
            let s = r.pick(vals), n = r.below(8) == 0 ? 1 << 20 : 1 << 14
            b.replaceSubrange(s..<valueEnd(b, from: s), with: Array((" \"" + String(repeating: "x", count: n) + "\"").utf8))
        case 9:                                                                              // a huge sweep
            let g = ["lr", "nsteps", "nenvs", "gamma", "hidden"].prefix(1 + r.below(5)).map { "\"\($0)\": [" + (0..<(5 + r.below(200))).map { "\(0.0001 * Double($0 + 1))" }.joined(separator: ",") + "]" }
            if let k = b.firstIndex(of: UInt8(ascii: "{")) {
                b.insert(contentsOf: Array(" \"sweep\": {\(g.joined(separator: ","))}, \"seeds\": \(r.pick(["10000", "1", "[0, 0]", "10001", "5"])),".utf8), at: k + 1)
            }
        case 10:                                                                             // empty and near-empty files
            b = Array(r.pick(["", " ", "\n\n", "{", "}", "[]", "null", "0", "\"spec\"", "{}", "{\"env\"}", "{\"env\": }", "{,}", "[{}]", "\u{FEFF}{}"]).utf8)
        case 11 where !vals.isEmpty:                                                         // a removed value
            let s = r.pick(vals); b.replaceSubrange(s..<valueEnd(b, from: s), with: [])
        case 12:                                                                             // a stray or missing bracket
            if let k = b.lastIndex(where: { $0 == UInt8(ascii: "}") || $0 == UInt8(ascii: "]") }) {
                if r.below(2) == 0 { b.remove(at: k) } else { b.insert(r.pick([UInt8(ascii: "]"), UInt8(ascii: "}"), UInt8(ascii: ","), UInt8(ascii: ":")]), at: k) }
            }
        default:                                                                             // two mutations at once
            b = mutateBytes(mutateBytes(src, &r), &r)
        }
        return b
    }

    // MARK: - Tree-level mutations (valid JSON, so that they reach the spec rules)

    enum Step { case key(String), index(Int) }

    /// Every path to a value in `j` (the root excluded), in document order.
    static func paths(_ j: JSON, _ prefix: [Step] = []) -> [[Step]] {
        switch j {
        case .object(let o): return o.flatMap { [prefix + [.key($0.key)]] + paths($0.value, prefix + [.key($0.key)]) }
        case .array(let a): return a.indices.flatMap { [prefix + [.index($0)]] + paths(a[$0], prefix + [.index($0)]) }
        default: return []
        }
    }

    /// `j` with the value at `path` replaced by `f(old)` (nil removes it).
    static func updating(_ j: JSON, _ path: ArraySlice<Step>, _ f: (JSON) -> JSON?) -> JSON {
        guard let step = path.first else { return f(j) ?? .null }
        switch (j, step) {
        case (.object(var o), .key(let k)):
            guard let i = o.firstIndex(where: { $0.key == k }) else { return j }
            if path.count == 1, f(o[i].value) == nil { o.remove(at: i) } else { o[i].value = updating(o[i].value, path.dropFirst(), f) }
            return .object(o)
        case (.array(var a), .index(let i)) where a.indices.contains(i):
            if path.count == 1, f(a[i]) == nil { a.remove(at: i) } else { a[i] = updating(a[i], path.dropFirst(), f) }
            return .array(a)
        default: return j
        }
    }

    /// Values of every kind, including the extremes a Double or an Int just holds.
    static let treeValues: [JSON] = [
        .null, .bool(true), .bool(false), .int(0), .int(-1), .int(1), .int(2), .int(Int.max), .int(Int.min), .int(1 << 40),
        .int(1_000_000_000_001), .number(0.5), .number(-0.0), .number(1e308), .number(-1e308), .number(.leastNonzeroMagnitude), .number(1e15),
        .number(9.3e18), .string(""), .string("x"), .string("CartPole-v1"), .string("a2c"), .string("\u{1B}[2J\u{0}"),
        .array([]), .array([.int(1)]), .array([.int(65_536), .int(65_536)]), .object([]), .object([("samples", .int(3)), ("uniform", .array([.int(1), .number(1e300)]))]),
        .object([("choice", .array([.int(1), .int(2)])), ("samples", .int(10_000))]), .object([("log_uniform", .array([.number(1e-300), .number(1e300)])), ("samples", .int(2))]),
    ]

    static func mutateTree(_ j: JSON, _ r: inout Mixer) -> JSON {
        let ps = paths(j)
        guard !ps.isEmpty else { return r.pick(treeValues) }
        let p = r.pick(ps)[...]
        switch r.below(6) {
        case 0: return updating(j, p) { _ in nil }                                           // a removed key or element
        case 1: return updating(j, p) { _ in r.pick(treeValues) }                            // another value, any type
        case 2:                                                                              // an added key
            let k = r.pick(keys + ["zz", "", "seed", "samples", "uniform", "choice", "log_uniform"])
            return updating(j, p.dropLast()) { parent in
                guard case .object(var o) = parent, !o.contains(where: { $0.key == k }) else { return parent }
                o.append((k, r.pick(treeValues))); return .object(o)
            }
        case 3: return updating(j, p) { v in .array([v, v]) }                                // wrapped in a list
        case 4: return updating(j, p) { v in if case .array(let a) = v, let x = a.first { return x }; return .object([("v", v)]) }
        default:                                                                             // a number scaled past its range
            return updating(j, p) { v in
                switch v {
                case .int(let i): return .int(i.multipliedReportingOverflow(by: r.pick([10, 1000, 1 << 20, 1 << 40])).partialValue)
                case .number(let d): return .number(d * r.pick([-1, 1e6, 1e300, 1e-300]))
                default: return v
                }
            }
        }
    }

    // MARK: - Outcome of one case

    enum Outcome { case valid(runs: Int), refused(problems: Int) }

    /// Decodes one case; a clear refusal or a sound valid spec is an outcome, anything else the
    /// reason the case failed.
    static func check(_ bytes: [UInt8], name: String) -> Result<Outcome, Failure> {
        do {
            let s = try Spec.load(data: Data(bytes), file: name, fallbackName: "fuzz")
            let runs = s.expand()
            guard (1...Spec.maxRuns).contains(runs.count) else { return .failure(Failure("a valid spec expands to \(runs.count) runs")) }
            guard Set(runs.map(\.runID)).count == runs.count, !runs.contains(where: { $0.runID.isEmpty }) else {
                return .failure(Failure("a valid spec with empty or repeated run ids"))
            }
            guard Algorithms.named(s.algo) != nil, (1...Spec.maxSteps).contains(s.totalSteps) else { return .failure(Failure("bad algo or total_steps")) }
            for run in runs.prefix(50) {
                guard let algo = Algorithms.named(run.algo), (1...Spec.maxSteps).contains(run.totalSteps) else { return .failure(Failure("run \(run.runID): bad algo or total_steps")) }
                for def in algo.params {
                    guard let v = run.hyperparameters.values[def.name] else { return .failure(Failure("run without \(def.name)")) }
                    if let m = def.kind.validate(v) { return .failure(Failure("run \(run.runID) has \(def.name) = \(v), expected \(m)")) }
                }
            }
            // spec.json is written from the source and read back on resume: it must parse to the same
            guard let again = try? JSONParser.parse(s.source.pretty()), again == s.source else {
                return .failure(Failure("the source does not round-trip through pretty()"))
            }
            return .success(.valid(runs: runs.count))
        } catch let e as SpecError {
            if e.problems.isEmpty { return .failure(Failure("SpecError without a problem")) }
            for p in e.problems {
                if let why = unclear(p) { return .failure(Failure("\(why): \(p.prefix(300))")) }
            }
            if e.description.split(separator: "\n").count > SpecError.shownProblems + 2 { return .failure(Failure("description lists too many lines")) }
            return .success(.refused(problems: e.problems.count))
        } catch {
            return .failure(Failure("threw \(type(of: error)) instead of SpecError: \(error)"))
        }
    }

    struct Failure: Error { let why: String; init(_ w: String) { why = w } }

    /// Why a problem is not a clear message (nil when it is): it must start with where (a JSON
    /// path, or the line and column of a syntax error) and say what, in bounded length, with no raw
    /// control character that could garble a terminal.
    static func unclear(_ p: String) -> String? {
        if p.count > 2_000 { return "too long (\(p.count) characters)" }
        if p.unicodeScalars.contains(where: { $0.value < 0x20 }) { return "raw control character" }
        if p.hasPrefix("$") {
            guard let colon = p.range(of: ": "), p[colon.upperBound...].count >= 8 else { return "a path without a message" }
            return nil
        }
        if p.range(of: #"^not valid JSON: line [0-9]+, column [0-9]+: .{8,}"#, options: .regularExpression) != nil { return nil }
        return "neither a JSON path nor a line and column"
    }

    // MARK: - Tests

    /// ≥ 10 000 mutated specs: byte-level and tree-level mutations of every committed spec, and
    /// every path of every committed spec replaced by values of each kind.
    func testTenThousandMutatedSpecsEndInAClearErrorOrAValidSpec() throws {
        let specs = try SpecFuzzTests.committedSpecs()
        XCTAssertGreaterThanOrEqual(specs.count, 15, "the committed specs are the seeds")
        var r = Mixer(s: 20_261_201)
        var cases = 0, valid = 0, failures: [String] = []
        let t0 = Date()
        func run(_ m: [UInt8], _ what: String) {
            cases += 1
            let t = Date()
            switch SpecFuzzTests.check(m, name: "fuzz.json") {
            case .success(.valid): valid += 1
            case .success(.refused): break
            case .failure(let f): if failures.count < 10 { failures.append("\(what): \(f.why)\n    input: \(String(decoding: m.prefix(300), as: UTF8.self))") }
            }
            let dt = Date().timeIntervalSince(t)
            if dt > 5, failures.count < 10 { failures.append("\(what): took \(String(format: "%.1f", dt)) s") }
        }
        let perSpec = 10_000 / specs.count + 1
        for (name, src) in specs {
            if case .failure(let f) = SpecFuzzTests.check(src, name: name) { XCTFail("\(name) itself: \(f.why)") }
            let tree = try JSONParser.parse(bytes: src)
            for k in 0..<perSpec {
                if k % 3 == 2 {
                    var t = SpecFuzzTests.mutateTree(tree, &r)
                    if r.below(3) == 0 { t = SpecFuzzTests.mutateTree(t, &r) }
                    run(Array((r.below(2) == 0 ? t.pretty() : t.serialized()).utf8), "\(name) tree mutation \(k)")
                } else {
                    run(SpecFuzzTests.mutateBytes(src, &r), "\(name) byte mutation \(k)")
                }
            }
            // wrong types at every path
            for p in SpecFuzzTests.paths(tree) {
                for v in [JSON.null, .bool(true), .string("x"), .int(-1), .int(Int.max), .number(1e308), .array([]), .object([])] {
                    run(Array(SpecFuzzTests.updating(tree, p[...]) { _ in v }.serialized().utf8), "\(name) at \(p) = \(v.serialized())")
                }
            }
        }
        let seconds = Date().timeIntervalSince(t0)
        XCTAssertGreaterThanOrEqual(cases, 10_000)
        XCTAssertTrue(failures.isEmpty, failures.joined(separator: "\n"))
        XCTAssertGreaterThan(valid, 200, "some mutations stay valid specs (numbers in range, a removed optional key)")
        XCTAssertLessThan(valid, cases / 2, "most mutations are refused")
        print("spec fuzz: \(cases) mutated specs, \(valid) valid, \(cases - valid) refused with a located message, \(String(format: "%.1f", seconds)) s")
    }

    /// Inputs that crashed or hung the decoder (found by this test, by libFuzzer or by reading),
    /// and the worst shapes: each refused, with the expected message, in well under a second.
    func testRegressionCases() {
        let base = #""env": "CartPole-v1", "algo": "a2c", "total_steps": 1000"#
        let cases: [(String, String, String)] = [
            // stack overflow: unbounded recursion in the parser
            ("deep lists", String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000), "nested deeper than 256 levels"),
            ("deep objects", String(repeating: "{\"a\":", count: 50_000) + "1" + String(repeating: "}", count: 50_000), "nested deeper than 256 levels"),
            // quadratic duplicate-key check (a hang)
            ("many keys", "{" + (0..<50_000).map { "\"k\($0)\": 1" }.joined(separator: ",") + "}", "unknown key \"k0\""),
            // Int(Double) traps in random searches over integer hyperparameters
            ("uniform past Int", "{\(base), \"sweep\": {\"nsteps\": {\"uniform\": [1, 1e300], \"samples\": 1}}}", "$.sweep.nsteps.uniform: the range's high end"),
            ("uniform to Int.max", "{\"env\": \"CartPole-v1\", \"algo\": \"acer\", \"total_steps\": 100000, \"sweep\": {\"replay_start\": {\"uniform\": [0, 9223372036854775807], \"samples\": 2}}}", "$.sweep.replay_start.uniform: the range's high end"),
            ("log-uniform past Int", "{\"env\": \"CartPole-v1\", \"algo\": \"async\", \"total_steps\": 100000, \"sweep\": {\"target_update\": {\"log_uniform\": [1, 1e19], \"samples\": 3}}}", "$.sweep.target_update.log_uniform: the range's high end"),
            ("uniform from -1e400", "{\(base), \"sweep\": {\"nsteps\": {\"uniform\": [-1e400, 5], \"samples\": 1}}}", "out of range"),
            // a wrong value was echoed whole into the message (libFuzzer's first finding: problems of megabytes)
            ("long value echoed", "{\"env\": [" + Array(repeating: "1", count: 2_000).joined(separator: ",") + "], \"algo\": \"a2c\", \"total_steps\": 1000}", "bytes) (a list)"),
            // numbers a Double cannot hold, NaN/Infinity, leading zeros
            ("1e400", "{\(base.replacingOccurrences(of: "1000", with: "1e400"))}", "out of range"),
            ("-1e400", #"{"lr": -1e400}"#, "out of range"),
            ("1e-400", "{\(base), \"hyperparameters\": {\"lr\": 1e-400}}", "too small for a 64-bit float"),
            ("2^64", "{\(base.replacingOccurrences(of: "1000", with: "18446744073709551616"))}", "$.total_steps: expected an integer"),
            ("NaN", #"{"lr": NaN}"#, "NaN and Infinity are not JSON numbers"),
            ("-Infinity", #"{"lr": -Infinity}"#, "bad number"),
            ("leading zero", #"{"total_steps": 0100}"#, "leading zeros"),
            // overflow and absurd memory in a valid-looking run
            ("total_steps 2^63-1", "{\(base.replacingOccurrences(of: "1000", with: "9223372036854775807"))}", "$.total_steps: expected at most"),
            ("report_interval Int.max", "{\"env\": \"CartPole-v1\", \"algo\": \"async\", \"total_steps\": 1000, \"hyperparameters\": {\"report_interval\": 9223372036854775807}}", "$.hyperparameters.report_interval: expected an integer ≥ 1, at most"),
            ("checkpoint_every Int.max", "{\(base), \"checkpoint_every\": 9223372036854775807}", "$.checkpoint_every: expected an integer in 0...1000000000000"),
            ("huge network", "{\(base), \"hyperparameters\": {\"hidden\": [65536, 65536, 65536]}}", "$.hyperparameters.hidden"),
            ("long hidden list", "{\(base), \"hyperparameters\": {\"hidden\": [" + Array(repeating: "1", count: 100).joined(separator: ",") + "]}}", "at most 64 of them"),
            ("huge rollout", "{\"env\": \"CartPole-v1\", \"algo\": \"a2c\", \"total_steps\": 1000000000, \"hyperparameters\": {\"nenvs\": 4096, \"nsteps\": 100000}}", "one update of nenvs·nsteps"),
            ("huge buffer", "{\"env\": \"MinAtar/Breakout-v1\", \"algo\": \"acer\", \"total_steps\": 100000, \"hyperparameters\": {\"buffer_size\": 1000000000}}", "$.hyperparameters.buffer_size: a replay buffer"),
            ("10^10-run grid", "{\(base), \"sweep\": {" + ["gamma", "lr", "ent_coef", "vf_coef", "max_grad_norm", "gae_lambda", "rprop_alpha", "rprop_epsilon", "adam_beta1", "adam_beta2"]
                .map { "\"\($0)\": [" + (1...10).map { "0.0\($0)1" }.joined(separator: ",") + "]" }.joined(separator: ",") + "}}", "the sweep expands to 10000000000 runs"),
            // text that is not UTF-8, or not meant to be printed
            ("control character in a string", "{\"name\": \"a\u{1}b\"}", "control character U+0001"),
            ("lone surrogate", "{\"name\": \"\\ud800\", \(base)}", "unpaired UTF-16 surrogate"),
            ("reversed surrogates", "{\"name\": \"\\udc00\\ud800\", \(base)}", "unpaired UTF-16 surrogate"),
            ("escape sequence in a key", "{\"\\u001b[2J\": 1, \(base)}", "unknown key \"\\u001b[2J\""),
            ("BOM", "\u{FEFF}{\(base)}", "byte-order mark"),
            ("empty", "", "empty input"),
            ("whitespace", " \n\t", "only whitespace"),
            ("huge key", "{\"" + String(repeating: "k", count: 1 << 20) + "\": 1, \(base)}", "bytes)\""),
            ("huge name", "{\"name\": \"" + String(repeating: "n", count: 1 << 20) + "\", \(base)}", "$.name: expected a name"),
            ("NUL in a string", "{\"env\": \"Cart\u{0}Pole\"}", "control character U+0000"),
        ]
        for (what, text, want) in cases {
            let t0 = Date()
            switch SpecFuzzTests.check(Array(text.utf8), name: what) {
            case .failure(let f): XCTFail("\(what): \(f.why)")
            case .success(.valid): XCTFail("\(what) is accepted")
            case .success(.refused):
                do { _ = try Spec.load(data: Data(text.utf8), file: what, fallbackName: "r") } catch let e as SpecError {
                    XCTAssertTrue(e.problems.contains { $0.contains(want) }, "\(what): no problem contains \(want): \(e.problems.map { $0.prefix(200) })")
                } catch { XCTFail("\(what): \(error)") }
            }
            XCTAssertLessThan(Date().timeIntervalSince(t0), 2, "\(what) took too long")
        }
        // invalid UTF-8 bytes cannot be written in a Swift string literal
        for bad: [UInt8] in [[0xFF], [0xC0, 0x80], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x82]] {
            let bytes = Array("{\"name\": \"a".utf8) + bad + Array("\"}".utf8)
            XCTAssertThrowsError(try Spec.load(data: Data(bytes), file: "utf8.json", fallbackName: "r")) { e in
                XCTAssertTrue((e as? SpecError)?.problems.first?.contains("invalid UTF-8 byte 0x\(String(bad[0], radix: 16, uppercase: true)) at byte offset 11") == true, "\(e)")
            }
        }
        // the valid extremes still pass: a surrogate pair, the largest accepted values
        XCTAssertNoThrow(try Spec.load(data: Data("{\"description\": \"\\uD83D\\uDE00 é\", \(base), \"seeds\": 10000}".utf8), file: "ok.json", fallbackName: "r"))
        XCTAssertNoThrow(try Spec.load(data: Data("{\"env\": \"CartPole-v1\", \"algo\": \"acer\", \"total_steps\": 1000000000000, \"checkpoint_every\": 1000000000000, \"hyperparameters\": {\"replay_start\": 1000000, \"buffer_size\": 10000000}}".utf8), file: "ok.json", fallbackName: "r"))
    }
}
