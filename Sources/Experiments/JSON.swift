/// A parsed JSON value that keeps what a spec validator needs and Foundation's parser loses:
/// integers apart from other numbers, `true` apart from `1`, object keys in file order, and the
/// line of every value for error messages.
public indirect enum JSON: Equatable, Sendable {
    case null
    case bool(Bool)
    case int(Int)
    case number(Double)
    case string(String)
    case array([JSON])
    case object([(key: String, value: JSON)])

    public static func == (a: JSON, b: JSON) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case let (.bool(x), .bool(y)): return x == y
        case let (.int(x), .int(y)): return x == y
        case let (.number(x), .number(y)): return x == y
        case let (.string(x), .string(y)): return x == y
        case let (.array(x), .array(y)): return x == y
        case let (.object(x), .object(y)): return x.count == y.count && zip(x, y).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        default: return false
        }
    }

    /// What kind of value this is, for "expected …, got …" messages.
    /// The value of an integer or a number.
    public var asNumber: Double? {
        switch self { case .int(let i): return Double(i); case .number(let d): return d; default: return nil }
    }

    public var kindName: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .int: return "an integer"
        case .number: return "a number"
        case .string: return "a string"
        case .array: return "a list"
        case .object: return "an object"
        }
    }

    /// The value as written in JSON (compact; `sortKeys` gives a canonical form for hashing).
    public func serialized(sortKeys: Bool = false) -> String {
        switch self {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .number(let d): return d.isFinite ? "\(d)" : "null"
        case .string(let s): return JSON.quote(s)
        case .array(let a): return "[" + a.map { $0.serialized(sortKeys: sortKeys) }.joined(separator: ",") + "]"
        case .object(let o):
            let items = sortKeys ? o.sorted { $0.key < $1.key } : o
            return "{" + items.map { JSON.quote($0.key) + ":" + $0.value.serialized(sortKeys: sortKeys) }.joined(separator: ",") + "}"
        }
    }

    /// Pretty-printed with two-space indentation.
    public func pretty(_ indent: String = "") -> String {
        let inner = indent + "  "
        switch self {
        case .array(let a) where !a.isEmpty && a.contains(where: { if case .object = $0 { return true }; if case .array = $0 { return true }; return false }):
            return "[\n" + a.map { inner + $0.pretty(inner) }.joined(separator: ",\n") + "\n" + indent + "]"
        case .object(let o) where !o.isEmpty:
            return "{\n" + o.map { inner + JSON.quote($0.key) + ": " + $0.value.pretty(inner) }.joined(separator: ",\n") + "\n" + indent + "}"
        default: return serialized()
        }
    }

    public static func quote(_ s: String) -> String {
        var out: [UInt8] = [0x22]
        out.reserveCapacity(s.utf8.count + 2)
        let hex = Array("0123456789abcdef".utf8)
        for b in s.utf8 {
            switch b {
            case 0x22: out += [0x5C, 0x22]
            case 0x5C: out += [0x5C, 0x5C]
            case 0x0A: out += [0x5C, UInt8(ascii: "n")]
            case 0x0D: out += [0x5C, UInt8(ascii: "r")]
            case 0x09: out += [0x5C, UInt8(ascii: "t")]
            case 0..<0x20: out += [0x5C, UInt8(ascii: "u"), 0x30, 0x30, hex[Int(b >> 4)], hex[Int(b & 15)]]
            default: out.append(b)   // UTF-8 bytes of other scalars pass through unchanged
            }
        }
        out.append(0x22)
        return String(decoding: out, as: UTF8.self)
    }

    /// `serialized()` cut to about `limit` characters (for error messages about huge values).
    public func brief(_ limit: Int = 160) -> String {
        if case .string(let str) = self, str.utf8.count > limit {
            return JSON.quote(String(str.prefix(limit))) + "… (\(str.count) characters)"
        }
        let full = serialized()
        return full.count <= limit ? full : String(full.prefix(limit)) + "… (\(full.count) characters)"
    }

    public subscript(key: String) -> JSON? {
        if case .object(let o) = self { return o.first { $0.key == key }?.value }
        return nil
    }
}

import Foundation

/// A JSON syntax error with its line and column (1-based; the column counts bytes) and its byte
/// offset (0-based).
public struct JSONSyntaxError: Error, CustomStringConvertible {
    public let line: Int, column: Int, message: String
    public var offset = 0
    public var description: String { "line \(line), column \(column): \(message)" }
}

/// A strict RFC 8259 parser (no comments, no trailing commas, no leading zeros, no NaN or Infinity;
/// duplicate keys, invalid UTF-8, unpaired surrogates and numbers a Double cannot hold rejected).
/// Nesting is limited to `maxDepth` levels, so hostile input cannot overflow the stack.
public struct JSONParser {
    let bytes: [UInt8]
    var i = 0
    /// Lists and objects open around the current position.
    var depth = 0
    /// Deeper nesting is refused (a spec needs 4 levels; unbounded recursion would overflow the stack).
    public static let maxDepth = 256

    public static func parse(_ text: String) throws -> JSON { try parse(bytes: Array(text.utf8)) }

    /// Parses the bytes of a file (UTF-8 is checked here, with the offset of the first bad byte).
    public static func parse(bytes: [UInt8]) throws -> JSON {
        var p = JSONParser(bytes: bytes)
        if p.bytes.starts(with: [0xEF, 0xBB, 0xBF]) {
            throw p.error("the text starts with a byte-order mark (U+FEFF); save the file as UTF-8 without a BOM")
        }
        p.skipWhitespace()
        if p.i == p.bytes.count { throw p.error(p.bytes.isEmpty ? "empty input; expected a JSON value" : "only whitespace; expected a JSON value") }
        let v = try p.value()
        p.skipWhitespace()
        if p.i < p.bytes.count { throw p.error("unexpected \(p.describeByte()) after the end of the JSON value") }
        return v
    }

    func error(_ m: String) -> JSONSyntaxError {
        var line = 1, col = 1
        let end = min(i, bytes.count)
        for b in bytes[0..<end] { if b == 10 { line += 1; col = 1 } else { col += 1 } }
        return JSONSyntaxError(line: line, column: col, message: m, offset: end)
    }

    /// The byte at `i`, as a reader would want to see it in a message.
    func describeByte() -> String {
        guard i < bytes.count else { return "end of input" }
        let b = bytes[i]
        if b >= 0x21 && b < 0x7F { return "character '\(Character(UnicodeScalar(b)))'" }
        return "byte 0x" + hex2(b) + (b < 0x20 || b == 0x7F ? " (a control character)" : b >= 0x80 ? " (not ASCII)" : "")
    }

    mutating func skipWhitespace() {
        while i < bytes.count, bytes[i] == 32 || bytes[i] == 9 || bytes[i] == 10 || bytes[i] == 13 { i += 1 }
    }

    mutating func expectLiteral(_ s: String, _ v: JSON) throws -> JSON {
        let u = Array(s.utf8)
        guard i + u.count <= bytes.count, bytes[i..<(i + u.count)].elementsEqual(u) else { throw error("invalid literal (expected \(s))") }
        i += u.count
        return v
    }

    mutating func value() throws -> JSON {
        guard i < bytes.count else { throw error("unexpected end of input; expected a value") }
        switch bytes[i] {
        case UInt8(ascii: "{"): return try object()
        case UInt8(ascii: "["): return try array()
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): return try expectLiteral("true", .bool(true))
        case UInt8(ascii: "f"): return try expectLiteral("false", .bool(false))
        case UInt8(ascii: "n"): return try expectLiteral("null", .null)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
        case UInt8(ascii: "N"), UInt8(ascii: "I"):
            throw error("unexpected \(describeByte()): NaN and Infinity are not JSON numbers")
        case UInt8(ascii: "+"), UInt8(ascii: "."):
            throw error("unexpected \(describeByte()): a JSON number starts with '-' or a digit")
        default: throw error("unexpected \(describeByte()); expected a value")
        }
    }

    mutating func enter() throws {
        depth += 1
        if depth > JSONParser.maxDepth { throw error("lists and objects nested deeper than \(JSONParser.maxDepth) levels") }
    }

    mutating func object() throws -> JSON {
        try enter()
        defer { depth -= 1 }
        i += 1
        var items: [(key: String, value: JSON)] = []
        var keys = Set<String>()
        skipWhitespace()
        if i < bytes.count, bytes[i] == UInt8(ascii: "}") { i += 1; return .object(items) }
        while true {
            skipWhitespace()
            guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { throw error("expected a quoted key") }
            let keyStart = i
            let k = try string()
            if !keys.insert(k).inserted {
                i = keyStart
                throw error("duplicate key \(JSON.quote(String(k.prefix(80))))")
            }
            skipWhitespace()
            guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { throw error("expected ':' after key \(JSON.quote(String(k.prefix(80))))") }
            i += 1
            skipWhitespace()
            items.append((k, try value()))
            skipWhitespace()
            guard i < bytes.count else { throw error("unexpected end of input inside an object") }
            if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
            if bytes[i] == UInt8(ascii: "}") { i += 1; return .object(items) }
            throw error("expected ',' or '}' in an object")
        }
    }

    mutating func array() throws -> JSON {
        try enter()
        defer { depth -= 1 }
        i += 1
        var items: [JSON] = []
        skipWhitespace()
        if i < bytes.count, bytes[i] == UInt8(ascii: "]") { i += 1; return .array(items) }
        while true {
            skipWhitespace()
            items.append(try value())
            skipWhitespace()
            guard i < bytes.count else { throw error("unexpected end of input inside a list") }
            if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
            if bytes[i] == UInt8(ascii: "]") { i += 1; return .array(items) }
            throw error("expected ',' or ']' in a list")
        }
    }

    /// Four hex digits at `i+1...i+4` (after a `\u`), or nil.
    func hex4(at k: Int) -> UInt32? {
        guard k + 4 <= bytes.count else { return nil }
        var v: UInt32 = 0
        for b in bytes[k..<(k + 4)] {
            let d: UInt8
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = b - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = b - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = b - UInt8(ascii: "A") + 10
            default: return nil
            }
            v = v << 4 | UInt32(d)
        }
        return v
    }

    /// The length of the well-formed UTF-8 sequence at `i` (whose first byte is ≥ 0x80), or nil
    /// (overlong forms, surrogates and code points above U+10FFFF are ill-formed; RFC 3629).
    func utf8SequenceLength() -> Int? {
        let b0 = bytes[i]
        let n: Int, lo: UInt8, hi: UInt8
        switch b0 {
        case 0xC2...0xDF: n = 2; lo = 0x80; hi = 0xBF
        case 0xE0: n = 3; lo = 0xA0; hi = 0xBF
        case 0xE1...0xEC, 0xEE...0xEF: n = 3; lo = 0x80; hi = 0xBF
        case 0xED: n = 3; lo = 0x80; hi = 0x9F
        case 0xF0: n = 4; lo = 0x90; hi = 0xBF
        case 0xF1...0xF3: n = 4; lo = 0x80; hi = 0xBF
        case 0xF4: n = 4; lo = 0x80; hi = 0x8F
        default: return nil
        }
        guard i + n <= bytes.count, (lo...hi).contains(bytes[i + 1]) else { return nil }
        for k in 2..<n where !(0x80...0xBF).contains(bytes[i + k]) { return nil }
        return n
    }

    mutating func string() throws -> String {
        i += 1
        var out = [UInt8]()
        while i < bytes.count {
            let b = bytes[i]
            if b == UInt8(ascii: "\"") { i += 1; return String(decoding: out, as: UTF8.self) }
            if b < 0x20 {
                throw error("control character U+00" + hex2(b) + " in a string (write it as an escape, e.g. \\n or \\u00" + hex2(b) + ")")
            }
            if b >= 0x80 {
                guard let n = utf8SequenceLength() else {
                    throw error("invalid UTF-8 byte 0x\(hex2(b)) at byte offset \(i); save the file as UTF-8")
                }
                out.append(contentsOf: bytes[i..<(i + n)]); i += n
                continue
            }
            if b == UInt8(ascii: "\\") {
                i += 1
                guard i < bytes.count else { break }
                switch bytes[i] {
                case UInt8(ascii: "\""): out.append(0x22)
                case UInt8(ascii: "\\"): out.append(0x5C)
                case UInt8(ascii: "/"): out.append(0x2F)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    guard var code = hex4(at: i + 1) else { throw error("bad \\u escape (expected four hex digits)") }
                    i += 4
                    if (0xDC00...0xDFFF).contains(code) { throw error("unpaired UTF-16 surrogate \\u\(String(code, radix: 16, uppercase: true)) in a string") }
                    if (0xD800...0xDBFF).contains(code) {
                        // a high surrogate must be followed by an escaped low one: together one code point
                        guard i + 2 < bytes.count, bytes[i + 1] == UInt8(ascii: "\\"), bytes[i + 2] == UInt8(ascii: "u"),
                              let low = hex4(at: i + 3), (0xDC00...0xDFFF).contains(low) else {
                            throw error("unpaired UTF-16 surrogate \\u\(String(code, radix: 16, uppercase: true)) in a string")
                        }
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                        i += 6
                    }
                    guard let scalar = UnicodeScalar(code) else { throw error("bad \\u escape") }
                    out.append(contentsOf: String(Character(scalar)).utf8)
                default: throw error("bad escape in a string: a backslash followed by \(describeByte()) (allowed: \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)")
                }
                i += 1
                continue
            }
            out.append(b); i += 1
        }
        throw error("unterminated string")
    }

    mutating func number() throws -> JSON {
        let start = i
        var isInt = true
        if bytes[i] == UInt8(ascii: "-") { i += 1 }
        func digits() -> Int { let s = i; while i < bytes.count, (48...57).contains(bytes[i]) { i += 1 }; return i - s }
        let intStart = i
        let intDigits = digits()
        guard intDigits > 0 else { throw error("bad number: expected a digit after '-'") }
        if intDigits > 1 && bytes[intStart] == UInt8(ascii: "0") {
            i = intStart
            throw error("bad number: leading zeros are not allowed (write 1, not 01)")
        }
        if i < bytes.count, bytes[i] == UInt8(ascii: ".") { isInt = false; i += 1; guard digits() > 0 else { throw error("bad number: expected a digit after '.'") } }
        if i < bytes.count, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
            isInt = false; i += 1
            if i < bytes.count, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") { i += 1 }
            guard digits() > 0 else { throw error("bad number: expected a digit in the exponent") }
        }
        let text = String(decoding: bytes[start..<i], as: UTF8.self)
        if isInt, let v = Int(text) { return .int(v) }
        let shown = text.count > 40 ? text.prefix(40) + "…" : Substring(text)
        guard let d = Double(text), d.isFinite else {
            i = start
            throw error("number \(shown) is out of range (a 64-bit float holds magnitudes up to about 1.8e308)")
        }
        if d == 0, bytes[start..<i].contains(where: { (49...57).contains($0) }) {
            // a digit other than 0 before the exponent: a tiny number that would silently become 0
            let mantissaEnd = bytes[start..<i].firstIndex { $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") } ?? i
            if bytes[start..<mantissaEnd].contains(where: { (49...57).contains($0) }) {
                i = start
                throw error("number \(shown) is too small for a 64-bit float (it would be read as 0; the smallest is about 4.9e-324)")
            }
        }
        return .number(d)
    }
}

/// A byte as two uppercase hex digits.
private func hex2(_ b: UInt8) -> String { (b < 16 ? "0" : "") + String(b, radix: 16, uppercase: true) }
