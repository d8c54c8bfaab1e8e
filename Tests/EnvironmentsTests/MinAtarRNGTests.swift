import Environments
import XCTest

/// MT19937 against numpy's legacy RandomState (numpy 2.4.6). Each expected value was printed by
/// the Python line in the comment above it.
final class MinAtarRNGTests: XCTestCase {
    func testRawOutputsMatchNumpy() {
        // np.random.RandomState(5489).randint(0, 2**32, size=5, dtype=np.uint32).tolist()
        var a = MT19937(seed: 5489)
        XCTAssertEqual((0..<5).map { _ in a.next32() }, [3_499_211_612, 581_869_302, 3_890_346_734, 3_586_334_585, 545_404_204])
        // np.random.RandomState(1).randint(0, 2**32, size=1000, dtype=np.uint32)[-3:].tolist()  (crosses a twist)
        var b = MT19937(seed: 1)
        let out = (0..<1000).map { _ in b.next32() }
        XCTAssertEqual(Array(out.suffix(3)), [2_752_667_134, 978_824_302, 548_926_898])
        // np.random.RandomState(2**32 - 1).randint(0, 2**32, size=2, dtype=np.uint32).tolist()
        var c = MT19937(seed: UInt32.max)
        XCTAssertEqual([c.next32(), c.next32()], [419_326_371, 479_346_978])
    }

    func testSeedingIsInitGenrand() {
        // s = np.random.RandomState(3).get_state(); s[1][:3].tolist(), s[1][-1], s[2]
        let g = MT19937(seed: 3)
        XCTAssertEqual(Array(g.words.prefix(3)), [3, 1_142_332_464, 3_889_748_055])
        XCTAssertEqual(g.words.last, 4_249_500_994)
        XCTAssertEqual(g.index, 624)
    }

    func testRandMatchesNumpyBitForBit() {
        // [x.hex() for x in np.random.RandomState(42).rand(3)]
        var g = MT19937(seed: 42)
        XCTAssertEqual(g.rand(3), [Double("0x1.7f8771e5f51ecp-2")!, Double("0x1.e6c4068bbd654p-1")!, Double("0x1.76c7e8f1e6751p-1")!])
    }

    func testMixedDrawSequenceMatchesNumpy() {
        // r = np.random.RandomState(7); r.randint(1,6,size=8).tolist(), [x.hex() for x in r.rand(8)],
        // r.randint(1,9), r.randint(2), r.randint(7,size=6).tolist(), r.randint(1), r.rand().hex()
        var g = MT19937(seed: 7)
        XCTAssertEqual(g.randint(1, 6, size: 8), [5, 2, 4, 4, 5, 2, 1, 2])
        let hex = ["0x1.271f16d6b7f40p-4", "0x1.12e1ab020959cp-2", "0x1.ffe132c38dcbep-2", "0x1.5bc408b79a716p-1",
                   "0x1.9b83aed52c786p-1", "0x1.86156eb24bef0p-2", "0x1.0e13455941d60p-4", "0x1.270fa3d60e7e0p-2"]
        XCTAssertEqual(g.rand(8), hex.map { Double($0)! })
        XCTAssertEqual(g.randint(1, 9), 4)
        XCTAssertEqual(g.randint(2), 0)
        XCTAssertEqual(g.randint(0, 7, size: 6), [4, 5, 0, 0, 5, 0])   // mask 7, rejects 7
        XCTAssertEqual(g.randint(1), 0)                                 // one value: no draw
        XCTAssertEqual(g.rand(), Double("0x1.337b25d0502f2p-1")!)
    }

    func testPointerVariantsDrawLikeArrayVariants() {
        var a = MT19937(seed: 11), b = MT19937(seed: 11)
        var ints = [Int](repeating: 0, count: 8), dbl = [Double](repeating: 0, count: 8)
        ints.withUnsafeMutableBufferPointer { a.randint(1, 6, size: 8, into: $0.baseAddress!) }
        dbl.withUnsafeMutableBufferPointer { a.rand(8, into: $0.baseAddress!) }
        XCTAssertEqual(ints, b.randint(1, 6, size: 8))
        XCTAssertEqual(dbl, b.rand(8))
    }

    func testStateExportRestoreRoundTrips() {
        var g = MT19937(seed: 2024)
        for _ in 0..<700 { _ = g.next32() }              // past one twist, mid-block
        let saved = g.stateArray
        XCTAssertEqual(saved.count, 625)
        var h = MT19937(stateArray: saved)
        XCTAssertEqual(h, g)
        XCTAssertEqual((0..<2000).map { _ in h.next32() }, (0..<2000).map { _ in g.next32() })
        // explicit words + index, and re-seeding in place
        var k = MT19937(words: Array(MT19937(seed: 9).words), index: 624)
        var s = MT19937(seed: 1); s.seed(9)
        XCTAssertEqual(k, s)
        XCTAssertEqual(k.next32(), s.next32())
    }

    func testCopiesAreIndependent() {
        var a = MT19937(seed: 5)
        var b = a
        let x = (0..<1300).map { _ in a.next32() }     // a twists twice; b must not see it
        XCTAssertEqual((0..<1300).map { _ in b.next32() }, x)
    }
}
