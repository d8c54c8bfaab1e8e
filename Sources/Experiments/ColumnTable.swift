import HDF5

/// A table of named 1-D columns in an HDF5 group, appended row by row and flushed in chunks to
/// extendable datasets (one dataset per column, so `pandas.DataFrame({k: g[k][:] for k in g})`
/// reads it back). Every column carries `description`, `units` and `wall_clock` attributes.
public final class ColumnTable {
    public enum Kind { case f64, i64, i32, i8 }
    public struct Column {
        public let name: String, kind: Kind, description: String, units: String, wallClock: Bool
        public init(_ name: String, _ kind: Kind, _ description: String, units: String = "", wallClock: Bool = false) {
            self.name = name; self.kind = kind; self.description = description; self.units = units; self.wallClock = wallClock
        }
    }

    public let columns: [Column]
    let group: H5Group
    var doubles: [[Double]]
    var ints: [[Int64]]
    var f64: [H5ExtendableDataset<Double>?] = []
    var i64: [H5ExtendableDataset<Int64>?] = []
    var i32: [H5ExtendableDataset<Int32>?] = []
    var i8: [H5ExtendableDataset<Int8>?] = []
    public private(set) var rows = 0
    let flushEvery: Int

    public init(group: H5Group, columns: [Column], flushEvery: Int = 4096) throws {
        self.group = group; self.columns = columns; self.flushEvery = flushEvery
        doubles = Array(repeating: [], count: columns.count)
        ints = Array(repeating: [], count: columns.count)
        for c in columns {
            var ds: H5Dataset
            switch c.kind {
            case .f64: let d = try group.createExtendable(c.name, Double.self); f64.append(d); i64.append(nil); i32.append(nil); i8.append(nil); ds = d.dataset
            case .i64: let d = try group.createExtendable(c.name, Int64.self); f64.append(nil); i64.append(d); i32.append(nil); i8.append(nil); ds = d.dataset
            case .i32: let d = try group.createExtendable(c.name, Int32.self); f64.append(nil); i64.append(nil); i32.append(d); i8.append(nil); ds = d.dataset
            case .i8: let d = try group.createExtendable(c.name, Int8.self); f64.append(nil); i64.append(nil); i32.append(nil); i8.append(d); ds = d.dataset
            }
            try ds.setAttribute("description", c.description)
            if !c.units.isEmpty { try ds.setAttribute("units", c.units) }
            try ds.setAttribute("wall_clock", Int8(c.wallClock ? 1 : 0))
        }
    }

    /// Appends one row; `values[k]` is column k's value (integers given as Double are exact below 2^53).
    public func append(_ values: [Double]) throws {
        precondition(values.count == columns.count, "row has \(values.count) values for \(columns.count) columns")
        for (k, c) in columns.enumerated() {
            if c.kind == .f64 { doubles[k].append(values[k]) } else { ints[k].append(Int64(values[k])) }
        }
        rows += 1
        if (columns[0].kind == .f64 ? doubles[0].count : ints[0].count) >= flushEvery { try flush() }
    }

    public func flush() throws {
        for k in columns.indices {
            if let d = f64[k], !doubles[k].isEmpty { try d.append(doubles[k]) }
            if let d = i64[k], !ints[k].isEmpty { try d.append(ints[k]) }
            if let d = i32[k], !ints[k].isEmpty { try d.append(ints[k].map { Int32(truncatingIfNeeded: $0) }) }
            if let d = i8[k], !ints[k].isEmpty { try d.append(ints[k].map { Int8(truncatingIfNeeded: $0) }) }
            doubles[k].removeAll(keepingCapacity: true); ints[k].removeAll(keepingCapacity: true)
        }
    }
}
