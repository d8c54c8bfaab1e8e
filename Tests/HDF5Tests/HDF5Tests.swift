import Foundation
import HDF5
import XCTest

final class HDF5Tests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("HDF5Tests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    private func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    /// Writes with `body` into a fresh file, closes it, and returns the path.
    private func makeFile(_ name: String, _ body: (H5Group) throws -> Void) throws -> String {
        let filePath = path(name)
        let file = try H5File.create(filePath)
        try body(file.root)
        file.close()
        return filePath
    }

    private func assertThrowsHDF5Error(
        mentioning text: String, file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> Void
    ) {
        do {
            try body()
            XCTFail("expected an HDF5Error mentioning \(text)", file: file, line: line)
        } catch let error as HDF5Error {
            XCTAssertTrue(error.message.contains(text), "'\(error.message)' does not mention \(text)", file: file, line: line)
        } catch {
            XCTFail("expected HDF5Error, got \(error)", file: file, line: line)
        }
    }

    // MARK: Datasets

    private func roundTrip<T: H5Scalar & Equatable>(_ type: T.Type, _ values: [T], in group: H5Group, _ name: String) throws {
        try group.write(name + "_1d", values)
        try group.write(name + "_2d", values, shape: [2, values.count / 2])
    }

    private func check<T: H5Scalar & Equatable>(_ type: T.Type, _ values: [T], in group: H5Group, _ name: String) throws {
        XCTAssertEqual(try group.read(name + "_1d", as: T.self), values, name)
        XCTAssertEqual(try group.openDataset(name + "_1d").shape, [values.count], name)
        let twoD = try group.openDataset(name + "_2d")
        XCTAssertEqual(twoD.shape, [2, values.count / 2], name)
        XCTAssertEqual(try twoD.read(as: T.self), values, name)
    }

    func testEveryScalarTypeRoundTrips1DAnd2D() throws {
        let floats: [Float] = [0, -1.5, .pi, .greatestFiniteMagnitude, -.infinity, 1e-30]
        let doubles: [Double] = [0, -1.5, .pi, 1e300, .leastNonzeroMagnitude, 42]
        let int8s: [Int8] = [.min, -1, 0, 1, 7, .max]
        let uint8s: [UInt8] = [0, 1, 2, 128, 200, .max]
        let int32s: [Int32] = [.min, -1, 0, 1, 123_456, .max]
        let int64s: [Int64] = [.min, -1, 0, 1, 1 << 40, .max]
        let uint64s: [UInt64] = [0, 1, 2, 1 << 63, 1 << 40, .max]
        let filePath = try makeFile("scalars.h5") { root in
            try roundTrip(Float.self, floats, in: root, "f32")
            try roundTrip(Double.self, doubles, in: root, "f64")
            try roundTrip(Int8.self, int8s, in: root, "i8")
            try roundTrip(UInt8.self, uint8s, in: root, "u8")
            try roundTrip(Int32.self, int32s, in: root, "i32")
            try roundTrip(Int64.self, int64s, in: root, "i64")
            try roundTrip(UInt64.self, uint64s, in: root, "u64")
            try root.write("empty", [Float]())
            try root.write("cube", (0..<24).map { Int32($0) }, shape: [2, 3, 4])
        }
        let root = try H5File.open(filePath).root
        try check(Float.self, floats, in: root, "f32")
        try check(Double.self, doubles, in: root, "f64")
        try check(Int8.self, int8s, in: root, "i8")
        try check(UInt8.self, uint8s, in: root, "u8")
        try check(Int32.self, int32s, in: root, "i32")
        try check(Int64.self, int64s, in: root, "i64")
        try check(UInt64.self, uint64s, in: root, "u64")
        XCTAssertEqual(try root.read("empty", as: Float.self), [])
        XCTAssertEqual(try root.openDataset("empty").shape, [0])
        XCTAssertEqual(try root.openDataset("cube").shape, [2, 3, 4])
        XCTAssertEqual(try root.read("cube", as: Int32.self), (0..<24).map { Int32($0) })
    }

    func testReadConvertsBetweenTypes() throws {
        let filePath = try makeFile("convert.h5") { root in
            try root.write("f64", [1.5, -2.25, 3.0] as [Double])
            try root.write("i8", [-1, 0, 1] as [Int8])
        }
        let root = try H5File.open(filePath).root
        XCTAssertEqual(try root.read("f64", as: Float.self), [1.5, -2.25, 3.0])
        XCTAssertEqual(try root.read("i8", as: Int64.self), [-1, 0, 1])
        XCTAssertEqual(try root.read("i8", as: Double.self), [-1, 0, 1])
        let inferred: [Int32] = try root.read("i8")
        XCTAssertEqual(inferred, [-1, 0, 1])
    }

    func testCompressedDatasets() throws {
        let big = (0..<200_000).map { Float($0 % 100) }
        let ramp = (0..<(300 * 301 * 4)).map { Double($0) * 0.5 }
        let compressed = try makeFile("gzip.h5") { root in
            try root.write("big", big, compression: 6)
            try root.write("ramp", ramp, shape: [300, 301, 4], compression: 4)
            try root.write("empty", [Int64](), compression: 4)
            try root.write("small2d", [1, 2, 3, 4, 5, 6] as [UInt8], shape: [3, 2], compression: 9)
        }
        let plain = try makeFile("plain.h5") { root in try root.write("big", big) }
        let root = try H5File.open(compressed).root
        XCTAssertEqual(try root.read("big", as: Float.self), big)
        XCTAssertEqual(try root.read("ramp", as: Double.self), ramp)
        XCTAssertEqual(try root.openDataset("ramp").shape, [300, 301, 4])
        XCTAssertEqual(try root.read("empty", as: Int64.self), [])
        XCTAssertEqual(try root.read("small2d", as: UInt8.self), [1, 2, 3, 4, 5, 6])
        let size = { (p: String) in try FileManager.default.attributesOfItem(atPath: p)[.size] as! Int }
        XCTAssertLessThan(try size(compressed), try size(plain), "gzip should shrink repetitive data")
    }

    func testStringDatasets() throws {
        let strings = ["alpha", "", "Grüße, 世界 🚀", "a much longer string with spaces   "]
        let filePath = try makeFile("strings.h5") { root in
            try root.writeStrings("names", strings)
            try root.writeStrings("none", [])
            try root.writeStrings("nested/deeper/names", ["x"])
        }
        let root = try H5File.open(filePath).root
        XCTAssertEqual(try root.readStrings("names"), strings)
        XCTAssertEqual(try root.openDataset("names").shape, [4])
        XCTAssertEqual(try root.readStrings("none"), [])
        XCTAssertEqual(try root.readStrings("/nested/deeper/names"), ["x"])
    }

    // MARK: Attributes

    private func writeAttributes(_ holder: H5AttributeHolder) throws {
        try holder.setAttribute("name", "CartPole-v1 ✓")
        try holder.setAttribute("empty", "")
        try holder.setAttribute("f32", Float(0.25))
        try holder.setAttribute("f64", 2.5)
        try holder.setAttribute("i8", Int8(-3))
        try holder.setAttribute("u8", UInt8(250))
        try holder.setAttribute("i32", Int32(-70_000))
        try holder.setAttribute("i64", Int64(1) << 50)
        try holder.setAttribute("u64", UInt64.max)
        try holder.setAttribute("f64s", [1.0, 2.0, -3.5])
        try holder.setAttribute("f32s", [Float(1), 2])
        try holder.setAttribute("i64s", [Int64]())
        try holder.setAttribute("u8s", [UInt8(1), 2, 3])
        try holder.setAttribute("replaced", Int32(1))
        try holder.setAttribute("replaced", "now a string")
    }

    private func checkAttributes(_ holder: H5AttributeHolder) throws {
        XCTAssertEqual(try holder.attributeNames(), [
            "empty", "f32", "f32s", "f64", "f64s", "i32", "i64", "i64s", "i8", "name", "replaced", "u64", "u8", "u8s",
        ])
        XCTAssertEqual(try holder.stringAttribute("name"), "CartPole-v1 ✓")
        XCTAssertEqual(try holder.stringAttribute("empty"), "")
        XCTAssertEqual(try holder.stringAttribute("replaced"), "now a string")
        XCTAssertEqual(try holder.attribute("f32", as: Float.self), 0.25)
        XCTAssertEqual(try holder.attribute("f32", as: Double.self), 0.25)
        XCTAssertEqual(try holder.attribute("f64", as: Double.self), 2.5)
        XCTAssertEqual(try holder.attribute("i8", as: Int8.self), -3)
        XCTAssertEqual(try holder.attribute("i8", as: Int64.self), -3)
        XCTAssertEqual(try holder.attribute("u8", as: UInt8.self), 250)
        XCTAssertEqual(try holder.attribute("i32", as: Int32.self), -70_000)
        XCTAssertEqual(try holder.attribute("i64", as: Int64.self), 1 << 50)
        XCTAssertEqual(try holder.attribute("u64", as: UInt64.self), .max)
        XCTAssertEqual(try holder.arrayAttribute("f64s", as: Double.self), [1, 2, -3.5])
        XCTAssertEqual(try holder.arrayAttribute("f64s", as: Float.self), [1, 2, -3.5])
        XCTAssertEqual(try holder.arrayAttribute("f32s", as: Float.self), [1, 2])
        XCTAssertEqual(try holder.arrayAttribute("i64s", as: Int64.self), [])
        XCTAssertEqual(try holder.arrayAttribute("u8s", as: UInt8.self), [1, 2, 3])
        XCTAssertEqual(try holder.arrayAttribute("i32", as: Int32.self), [-70_000], "a scalar reads as a 1-element array")
        XCTAssertTrue(holder.hasAttribute("name"))
        XCTAssertFalse(holder.hasAttribute("missing"))
        XCTAssertThrowsError(try holder.attribute("f64s", as: Double.self), "array is not a scalar")
        XCTAssertThrowsError(try holder.stringAttribute("f64"), "number is not a string")
        XCTAssertThrowsError(try holder.attribute("missing", as: Int64.self))
    }

    func testAttributesOnGroupsAndDatasets() throws {
        let filePath = try makeFile("attrs.h5") { root in
            try writeAttributes(root)
            try writeAttributes(try root.createGroup("run"))
            try writeAttributes(try root.write("data", [1, 2, 3] as [Float]))
            let log = try root.createExtendable("log", Double.self)
            try writeAttributes(log.dataset)
        }
        for readOnly in [true, false] {
            let root = try H5File.open(filePath, readOnly: readOnly).root
            try checkAttributes(root)
            try checkAttributes(try root.openGroup("run"))
            try checkAttributes(try root.openDataset("data"))
            try checkAttributes(try root.openDataset("log"))
        }
        let root = try H5File.open(filePath, readOnly: false).root
        XCTAssertEqual(try root.attributeNames().count, 14)
        XCTAssertEqual(try root.openGroup("run").attributeNames().count, 14)
        XCTAssertEqual(try root.memberNames(), ["data", "log", "run"])
    }

    // MARK: Groups

    func testNestedGroupsPathsAndMembers() throws {
        let filePath = try makeFile("groups.h5") { root in
            let control = try root.createGroup("classic_control")
            let cartpole = try control.createGroup("CartPole-v1")
            try cartpole.write("obs", [1, 2, 3, 4] as [Float], shape: [1, 4])
            try control.createGroup("Acrobot-v1")
            try root.createGroup("a/b/c")                          // intermediate groups created
            try root.write("a/b/value", [7] as [Int64])           // into an existing intermediate
            try root.write("x/y/z", [1] as [Int8])                // creates x and x/y
            try root.createGroup("/abs").write("inner", [0.5] as [Double])
            XCTAssertEqual(cartpole.path, "/classic_control/CartPole-v1")
            XCTAssertThrowsError(try root.createGroup("classic_control"), "already exists")
        }
        let root = try H5File.open(filePath).root
        XCTAssertEqual(try root.memberNames(), ["a", "abs", "classic_control", "x"])
        let control = try root.openGroup("classic_control")
        XCTAssertEqual(try control.memberNames(), ["Acrobot-v1", "CartPole-v1"])
        XCTAssertEqual(try root.openGroup("classic_control/CartPole-v1").memberNames(), ["obs"])
        XCTAssertEqual(try root.openGroup("a/b").memberNames(), ["c", "value"])
        XCTAssertEqual(try root.openGroup("a/b/c").memberNames(), [])
        XCTAssertEqual(try root.read("classic_control/CartPole-v1/obs", as: Float.self), [1, 2, 3, 4])
        XCTAssertEqual(try control.read("/a/b/value", as: Int64.self), [7])
        XCTAssertEqual(try root.read("x/y/z", as: Int8.self), [1])
        XCTAssertEqual(try root.read("abs/inner", as: Double.self), [0.5])
        XCTAssertEqual(try root.openDataset("classic_control/CartPole-v1/obs").shape, [1, 4])

        XCTAssertTrue(root.exists("classic_control/CartPole-v1/obs"))
        XCTAssertTrue(root.exists("/classic_control/CartPole-v1"))
        XCTAssertTrue(control.exists("CartPole-v1/obs"))
        XCTAssertTrue(root.exists("/"))
        XCTAssertFalse(root.exists("classic_control/Missing-v0/obs"), "missing intermediate")
        XCTAssertFalse(root.exists("nope/deeper"))
        XCTAssertFalse(root.exists("classic_control/CartPole-v1/obs/below_a_dataset"))
        XCTAssertFalse(root.exists(""))
        XCTAssertTrue(root.isGroup("classic_control"))
        XCTAssertTrue(root.isGroup("classic_control/CartPole-v1"))
        XCTAssertFalse(root.isGroup("classic_control/CartPole-v1/obs"))
        XCTAssertFalse(root.isGroup("missing"))
    }

    // MARK: Extendable datasets

    func testExtendableDatasetsAppendInUnevenChunks() throws {
        let scalarsExpected = (0..<1000).map { Int64($0) }
        let rowsExpected = (0..<(37 * 6)).map { Float($0) / 4 }
        let filePath = try makeFile("extend.h5") { root in
            let scalars = try root.createExtendable("steps/return", Int64.self, chunkRows: 64)
            XCTAssertEqual(scalars.rows, 0)
            var start = 0
            for size in [1, 0, 63, 64, 65, 300, 7, 500] {
                try scalars.append(Array(scalarsExpected[start..<(start + size)]))
                start += size
                XCTAssertEqual(scalars.rows, start)
            }
            XCTAssertEqual(scalars.dataset.shape, [1000])
            try scalars.dataset.setAttribute("unit", "steps")

            let matrix = try root.createExtendable("obs", Float.self, rowShape: [2, 3], chunkRows: 4, compression: 1)
            var row = 0
            for rowsInChunk in [3, 1, 10, 0, 23] {
                try matrix.append(Array(rowsExpected[(row * 6)..<((row + rowsInChunk) * 6)]))
                row += rowsInChunk
            }
            XCTAssertEqual(matrix.rows, 37)
            XCTAssertThrowsError(try matrix.append([1, 2, 3, 4, 5])) { error in
                XCTAssertTrue((error as? HDF5Error)?.message.contains("/obs") ?? false)
            }
            XCTAssertEqual(matrix.rows, 37, "a rejected append leaves the dataset unchanged")

            let untouched = try root.createExtendable("untouched", Double.self, rowShape: [4])
            XCTAssertEqual(untouched.dataset.shape, [0, 4])
        }
        let root = try H5File.open(filePath, readOnly: true).root
        XCTAssertEqual(try root.read("steps/return", as: Int64.self), scalarsExpected)
        XCTAssertEqual(try root.openDataset("steps/return").stringAttribute("unit"), "steps")
        let obs = try root.openDataset("obs")
        XCTAssertEqual(obs.shape, [37, 2, 3])
        XCTAssertEqual(try obs.read(as: Float.self), rowsExpected)
        XCTAssertEqual(try root.openDataset("untouched").shape, [0, 4])
        XCTAssertEqual(try root.read("untouched", as: Double.self), [])
    }

    // MARK: Errors

    func testErrorsThrowWithThePath() throws {
        let missingFile = path("does-not-exist.h5")
        assertThrowsHDF5Error(mentioning: missingFile) { _ = try H5File.open(missingFile) }
        assertThrowsHDF5Error(mentioning: "/no/such/dir/x.h5") { _ = try H5File.create("/no/such/dir/x.h5") }

        let filePath = try makeFile("errors.h5") { root in
            try root.createGroup("group").write("data", [1, 2, 3] as [Double])
            assertThrowsHDF5Error(mentioning: "/bad") { try root.write("bad", [1, 2, 3] as [Float], shape: [2, 2]) }
            assertThrowsHDF5Error(mentioning: "/group/data") { try root.write("group/data", [1] as [Float]) }
        }
        let root = try H5File.open(filePath).root
        assertThrowsHDF5Error(mentioning: "missing/dataset") { _ = try root.read("missing/dataset", as: Float.self) }
        assertThrowsHDF5Error(mentioning: "/group/nothing") { _ = try root.openGroup("group").read("nothing", as: Double.self) }
        assertThrowsHDF5Error(mentioning: "/group/absent") { _ = try root.openGroup("group/absent") }
        assertThrowsHDF5Error(mentioning: "/group/data") { _ = try root.readStrings("group/data") }
        assertThrowsHDF5Error(mentioning: "missing_attr") { _ = try root.stringAttribute("missing_attr") }
        assertThrowsHDF5Error(mentioning: "/new") { try root.write("new", [1] as [Float]) }   // read-only file
        assertThrowsHDF5Error(mentioning: "/group") { try root.openGroup("group").setAttribute("a", 1.0) }
    }

    // MARK: Determinism

    private func writeEverything(to filePath: String) throws {
        let file = try H5File.create(filePath)
        let run = try file.root.createGroup("classic_control/CartPole-v1")
        try run.setAttribute("env_id", "CartPole-v1")
        try run.setAttribute("seed", Int64(7))
        try run.setAttribute("box", [1.0, 2.0])
        try run.write("obs", (0..<1200).map { Float($0) }, shape: [300, 4], compression: 4)
        try run.writeStrings("labels", ["a", "bb", "ccc"])
        let log = try run.createExtendable("log", Double.self, rowShape: [2], chunkRows: 8)
        try log.append([1, 2, 3, 4, 5, 6])
        try log.append((0..<40).map(Double.init))
        try log.dataset.setAttribute("note", "appended")
        try file.flush()
        file.close()
    }

    func testSameContentGivesByteIdenticalFiles() throws {
        let first = path("first.h5"), second = path("second.h5")
        try writeEverything(to: first)
        Thread.sleep(forTimeInterval: 1.1)   // timestamps, if recorded, would now differ
        try writeEverything(to: second)
        let a = try Data(contentsOf: URL(fileURLWithPath: first))
        let b = try Data(contentsOf: URL(fileURLWithPath: second))
        XCTAssertGreaterThan(a.count, 0)
        XCTAssertEqual(a, b, "identical content must produce byte-identical files")
        // Rewriting over an existing file truncates it.
        try writeEverything(to: first)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: first)), b)
    }

    // MARK: Reference file

    func testReadsSharedReferenceFile() throws {
        let packageRoot = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let reference = packageRoot.appendingPathComponent("../shared/reference/reference.h5").standardized.path
        guard FileManager.default.fileExists(atPath: reference) else {
            return XCTFail("reference file not found at \(reference) (expected <package root>/../shared/reference/reference.h5)")
        }
        let root = try H5File.open(reference).root
        let obs = try root.openDataset("/classic_control/CartPole-v1/obs")
        XCTAssertEqual(obs.shape, [20, 301, 4])
        let values = try obs.read(as: Float.self)
        XCTAssertEqual(values.count, 20 * 301 * 4)
        XCTAssertTrue(values.allSatisfy { $0.isFinite })

        let cartpole = try root.openGroup("classic_control/CartPole-v1")
        XCTAssertTrue(try cartpole.memberNames().contains("terminated"))
        // h5py stores bool as an int8 enum; it reads as integers.
        let terminated = try cartpole.read("terminated", as: Int8.self)
        XCTAssertEqual(terminated.count, 20 * 300)
        XCTAssertTrue(terminated.allSatisfy { $0 == 0 || $0 == 1 })
        XCTAssertGreaterThan(terminated.reduce(0) { $0 + Int($1) }, 0)
        XCTAssertEqual(try cartpole.read("terminated", as: Int64.self).map(Int8.init), terminated)
        XCTAssertEqual(try cartpole.attribute("n_steps", as: Int64.self), 300)
        XCTAssertEqual(try cartpole.arrayAttribute("wide_box_high", as: Double.self).count, 4)
        XCTAssertTrue(try root.openGroup("minatar_exact").stringAttribute("doc").hasPrefix("Environment("))
    }
}
