import Agents
import XCTest

final class ParamKindTests: XCTestCase {
    func assertValid(_ k: ParamKind, _ vs: [ParamValue], file: StaticString = #filePath, line: UInt = #line) {
        for v in vs { XCTAssertNil(k.validate(v), "\(k) should accept \(v)", file: file, line: line) }
    }
    /// Rejected, and the message is the kind's `expectation`.
    func assertInvalid(_ k: ParamKind, _ vs: [ParamValue], file: StaticString = #filePath, line: UInt = #line) {
        for v in vs { XCTAssertEqual(k.validate(v), k.expectation, "\(k) should reject \(v)", file: file, line: line) }
    }

    func testIntRange() {
        let k = ParamKind.int(min: 1, max: 10)
        assertValid(k, [.int(1), .int(5), .int(10)])
        assertInvalid(k, [.int(0), .int(11), .int(-3), .number(5), .string("5"), .bool(true), .ints([5])])
        XCTAssertEqual(k.expectation, "an integer in 1...10")
        let open = ParamKind.int(min: 0, max: .max)
        assertValid(open, [.int(0), .int(.max)])
        assertInvalid(open, [.int(-1)])
        XCTAssertEqual(open.expectation, "an integer ≥ 0")
    }

    func testNumberExclusiveAndInclusiveMinimum() {
        let ex = ParamKind.number(min: 0, max: 1, exclusiveMin: true)
        assertValid(ex, [.number(1e-12), .number(0.5), .number(1), .int(1)])  // .int accepted by .number
        assertInvalid(ex, [.number(0), .int(0), .number(-0.1), .number(1.0000001), .int(2), .number(.nan), .string("0.5"), .bool(true)])
        XCTAssertEqual(ex.expectation, "a number > 0 and ≤ 1")

        let inc = ParamKind.number(min: 0, max: .infinity, exclusiveMin: false)
        assertValid(inc, [.number(0), .int(0), .int(7), .number(1e300)])
        assertInvalid(inc, [.number(-1e-300), .int(-1), .number(.infinity), .number(.nan)])
        XCTAssertEqual(inc.expectation, "a number ≥ 0")
    }

    func testBoolAndChoice() {
        assertValid(.bool, [.bool(true), .bool(false)])
        assertInvalid(.bool, [.int(1), .string("true")])
        let c = ParamKind.choice(["tanh", "relu"])
        assertValid(c, [.string("tanh"), .string("relu")])
        assertInvalid(c, [.string("Tanh"), .string(""), .string("sigmoid"), .int(0)])
        XCTAssertEqual(c.expectation, "one of \"tanh\", \"relu\"")
    }

    func testIntList() {
        let k = ParamKind.intList(minCount: 1, min: 1, max: 65_536)
        assertValid(k, [.ints([64]), .ints([64, 64]), .ints([1, 65_536, 3])])
        assertInvalid(k, [.ints([]), .ints([0]), .ints([64, 0]), .ints([65_537]), .ints([-64]), .int(64), .string("64")])
        let two = ParamKind.intList(minCount: 2, min: 0, max: 5)
        assertValid(two, [.ints([0, 5])])
        assertInvalid(two, [.ints([3]), .ints([3, 6])])
    }

    /// Every default in A2C's table satisfies its own kind.
    func testA2CDefaultsAreValid() {
        for def in A2C.info.params {
            XCTAssertNil(def.kind.validate(def.defaultValue), "\(def.name) default \(def.defaultValue)")
        }
    }
}
