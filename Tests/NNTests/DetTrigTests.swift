import Foundation
import NN
import XCTest

/// DetMath's emulations of glibc 2.36's FMA-variant `sin`, `cos` and `pow(x, 2)` and of NumPy's FMA3
/// float32 `sin`/`cos`, against Tests/fixtures/dettrig/dettrig_fma.txt (bit patterns written by
/// Tests/tools/make_dettrig_fixture.py on an FMA machine), bit for bit. Nothing here calls libm for
/// the expected values, so the tests give the same verdict on every CPU; the fixture includes inputs
/// where glibc's FMA and non-FMA variants disagree, so libm itself would fail them on a CPU without FMA.
final class DetTrigTests: XCTestCase {
    struct Entry { var region: String; var fields: [UInt64] }

    /// Tests/fixtures/dettrig/dettrig_fma.txt, found from this source file's path.
    static let url = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()   // NNTests
        .deletingLastPathComponent()   // Tests
        .appendingPathComponent("fixtures/dettrig/dettrig_fma.txt")

    /// The fixture's lines of one kind ("sincos", "pow2", "npf32"), each with its region.
    static func load(_ kind: String) throws -> [Entry] {
        let text = try String(contentsOf: url, encoding: .utf8)
        var region = "", out: [Entry] = []
        for line in text.split(separator: "\n") {
            if line.hasPrefix("## region ") {
                region = String(line.dropFirst("## region ".count))
                continue
            }
            let parts = line.split(separator: " ")
            guard parts.first.map(String.init) == kind else { continue }
            out.append(Entry(region: region, fields: parts.dropFirst().map { UInt64($0, radix: 16)! }))
        }
        return out
    }

    /// Counts mismatches per region; fails with the first few.
    func compare(_ entries: [Entry], minimum: Int, file: StaticString = #filePath, line: UInt = #line,
                 _ check: (Entry) -> String?) {
        XCTAssertGreaterThanOrEqual(entries.count, minimum, "fixture too short", file: file, line: line)
        var bad: [String: Int] = [:], examples: [String] = []
        for e in entries {
            if let msg = check(e) {
                bad[e.region, default: 0] += 1
                if examples.count < 10 { examples.append("[\(e.region)] \(msg)") }
            }
        }
        XCTAssertEqual(bad.values.reduce(0, +), 0, "mismatches by region: \(bad)\n" + examples.joined(separator: "\n"),
                       file: file, line: line)
    }

    func hex(_ x: Double) -> String { String(x.bitPattern, radix: 16) }

    /// At every CKernels level (dettrig.c: `vfmadd` instructions, or libm's `fma` as a CPU without
    /// FMA runs it), the same bits.
    func testSinCosMatchGlibcFMAVariantBitForBit() throws {
        let entries = try Self.load("sincos")
        XCTAssertGreaterThanOrEqual(KernelISA.supported, 0)
        for level in 0...KernelISA.supported {
            KernelISA.with(level: level) {
                compare(entries, minimum: 15_000) { e in
                    let x = Double(bitPattern: e.fields[0])
                    let s = DetMath.sin(x), c = DetMath.cos(x)
                    if s.bitPattern == e.fields[1] && c.bitPattern == e.fields[2] { return nil }
                    return "level \(level), x=\(x) (\(hex(x))): sin \(hex(s)) want \(String(e.fields[1], radix: 16)), cos \(hex(c)) want \(String(e.fields[2], radix: 16))"
                }
            }
        }
        // every branch of glibc's s_sin.c is represented, and the inputs where its variants differ
        let regions = Dictionary(grouping: entries, by: \.region).mapValues(\.count)
        for needle in ["tiny", "taylor", "table 0.126", "0.855469 <=", "around 2.426265", "uniform [-200, 200]",
                       "around 105414350", "branred |x|", "specials"] {
            XCTAssertTrue(regions.contains { $0.key.contains(needle) && $0.value > 0 }, "no region \(needle)")
        }
        XCTAssertGreaterThanOrEqual(regions["sincos FMA and non-FMA variants differ"] ?? 0, 1500)
    }

    func testSincosIsSinAndCos() throws {
        let entries = try Self.load("sincos")
        for level in 0...KernelISA.supported {
            KernelISA.with(level: level) {
                compare(entries, minimum: 15_000) { e in
                    let x = Double(bitPattern: e.fields[0])
                    let sc = DetMath.sincos(x)
                    return sc.sin.bitPattern == e.fields[1] && sc.cos.bitPattern == e.fields[2] ? nil : "level \(level), x=\(x) sincos \(sc)"
                }
            }
        }
    }

    func testLibmSquareMatchesGlibcPowBitForBit() throws {
        let entries = try Self.load("pow2")
        compare(entries, minimum: 4_000) { e in
            let x = Double(bitPattern: e.fields[0])
            let p = DetMath.libmSquare(x), q = DetMath.powLibm(x, 2)
            return p.bitPattern == e.fields[1] && q.bitPattern == e.fields[1]
                ? nil : "x=\(x) (\(hex(x))): \(hex(p)) / \(hex(q)) want \(String(e.fields[1], radix: 16))"
        }
        // and the fast path is taken on most of the fixture's finite inputs in its window (so the
        // comparison above covers both paths)
        let inWindow = entries.map { Double(bitPattern: $0.fields[0]) }.filter { $0.magnitude >= 0x1p-64 && $0.magnitude <= 0x1p64 }
        let fast = inWindow.filter { DetMath.squareIsFarFromHalfway($0, $0 * $0) }.count
        XCTAssertGreaterThan(fast, inWindow.count / 2)
        XCTAssertLessThan(fast, inWindow.count)
        // pow(x, 2) is not x*x on some of them: the emulation is not a plain square
        XCTAssertGreaterThan(entries.filter { e in
            let x = Double(bitPattern: e.fields[0]); return !x.isNaN && (x * x).bitPattern != e.fields[1]
        }.count, 500)
    }

    func testNumPyFloat32SinCosMatchTheFMA3KernelBitForBit() throws {
        let entries = try Self.load("npf32")
        compare(entries, minimum: 2_000) { e in
            let x = Float(bitPattern: UInt32(e.fields[0]))
            let s = DetMath.numpySinf(x), c = DetMath.numpyCosf(x)
            return s.bitPattern == UInt32(e.fields[1]) && c.bitPattern == UInt32(e.fields[2])
                ? nil : "x=\(x): sin \(String(s.bitPattern, radix: 16)) cos \(String(c.bitPattern, radix: 16))"
        }
        // in Acrobot's reset range the kernel is not the float64 result rounded
        let naive = entries.filter { $0.region.contains("Acrobot") }.filter { e in
            let x = Double(Float(bitPattern: UInt32(e.fields[0])))
            return Float(Foundation.cos(x)).bitPattern != UInt32(e.fields[2]) || Float(Foundation.sin(x)).bitPattern != UInt32(e.fields[1])
        }
        XCTAssertGreaterThan(naive.count, 1000)
    }

    /// A few values inline, so a missing or truncated fixture cannot hide a regression.
    func testKnownValues() {
        // x where glibc's FMA and non-FMA variants differ (the non-FMA results are one ulp up)
        XCTAssertEqual(DetMath.sin(Double(bitPattern: 0xBFDE_1D82_E8D6_FF80)).bitPattern, 0xBFDD_0423_CD44_54A9)
        XCTAssertEqual(DetMath.cos(Double(bitPattern: 0x3FFB_BCBF_FBAA_808C)).bitPattern, 0xBFC4_BE9E_4C96_1F39)
        XCTAssertEqual(DetMath.libmSquare(20.89962930236392).bitPattern, 0x407B_4CB6_4AD9_9693)
        XCTAssertEqual(DetMath.numpyCosf(Float(bitPattern: 0x3D8C_8C12)).bitPattern, 0x3F7F_65BC)
        XCTAssertEqual(DetMath.numpySinf(Float(bitPattern: 0xBD7B_8DED)).bitPattern, 0xBD7B_6573)
        XCTAssertEqual(DetMath.sin(-0.0).bitPattern, (-0.0).bitPattern)
        XCTAssertEqual(DetMath.cos(0), 1)
        XCTAssertTrue(DetMath.sin(.infinity).isNaN && DetMath.cos(.nan).isNaN)
        XCTAssertEqual(DetMath.libmSquare(-3), 9)
        XCTAssertEqual(DetMath.libmSquare(.infinity), .infinity)
        XCTAssertEqual(DetMath.libmSquare(0x1p600), .infinity)
        XCTAssertEqual(DetMath.libmSquare(0x1p-600), 0)
    }

    /// Accuracy, as a property that holds on every CPU: within one ulp of the platform's libm.
    func testWithinOneUlpOfLibm() {
        var rng = RNG(seed: 11)
        for _ in 0..<100_000 {
            let x = rng.uniform(-1000, 1000)
            XCTAssertLessThanOrEqual(abs(DetMath.sin(x) - Foundation.sin(x)), Foundation.sin(x).ulp, "sin \(x)")
            XCTAssertLessThanOrEqual(abs(DetMath.cos(x) - Foundation.cos(x)), Foundation.cos(x).ulp, "cos \(x)")
            let y = rng.uniform(-30, 30)
            XCTAssertLessThanOrEqual(abs(DetMath.libmSquare(y) - y * y), (y * y).ulp, "pow \(y)")
        }
    }
}
