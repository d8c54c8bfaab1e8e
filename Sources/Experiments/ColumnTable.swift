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
    /// One extendable dataset per column, of the column's element type.
    enum Sink {
        case f64(H5ExtendableDataset<Double>), i64(H5ExtendableDataset<Int64>)
        case i32(H5ExtendableDataset<Int32>), i8(H5ExtendableDataset<Int8>)
    }
    let sinks: [Sink]
    /// Buffered rows per column (integers are exact in Double below 2^53).
    var pending: [[Double]]
    public private(set) var rows = 0
    let flushEvery: Int

    public init(group: H5Group, columns: [Column], flushEvery: Int = 4096) throws {
        self.columns = columns; self.flushEvery = flushEvery
        pending = Array(repeating: [], count: columns.count)
        sinks = try columns.map { c in
            let sink: Sink, ds: H5Dataset
            switch c.kind {
            case .f64: let d = try group.createExtendable(c.name, Double.self); sink = .f64(d); ds = d.dataset
            case .i64: let d = try group.createExtendable(c.name, Int64.self); sink = .i64(d); ds = d.dataset
            case .i32: let d = try group.createExtendable(c.name, Int32.self); sink = .i32(d); ds = d.dataset
            case .i8: let d = try group.createExtendable(c.name, Int8.self); sink = .i8(d); ds = d.dataset
            }
            try ds.setAttribute("description", c.description)
            if !c.units.isEmpty { try ds.setAttribute("units", c.units) }
            try ds.setAttribute("wall_clock", Int8(c.wallClock ? 1 : 0))
            return sink
        }
    }

    /// Appends one row; `values[k]` is column k's value.
    public func append(_ values: [Double]) throws {
        precondition(values.count == columns.count, "row has \(values.count) values for \(columns.count) columns")
        for k in columns.indices { pending[k].append(values[k]) }
        rows += 1
        if pending[0].count >= flushEvery { try flush() }
    }

    /// Every row so far, column by column (flushes first): what a checkpoint stores of the table.
    public func allColumns() throws -> [[Double]] {
        try flush()
        return try sinks.map { sink in
            switch sink {
            case .f64(let d): return try d.dataset.read(as: Double.self)
            case .i64(let d): return try d.dataset.read(as: Int64.self).map(Double.init)
            case .i32(let d): return try d.dataset.read(as: Int32.self).map(Double.init)
            case .i8(let d): return try d.dataset.read(as: Int8.self).map(Double.init)
            }
        }
    }

    /// Appends whole columns (`columns[k]` for column k, all of one length): a restored checkpoint's rows.
    public func appendColumns(_ values: [[Double]]) throws {
        precondition(values.count == columns.count, "\(values.count) columns for a table of \(columns.count)")
        let n = values.first?.count ?? 0
        precondition(values.allSatisfy { $0.count == n }, "columns of different lengths")
        for k in columns.indices { pending[k].append(contentsOf: values[k]) }
        rows += n
        try flush()
    }

    public func flush() throws {
        for (k, sink) in sinks.enumerated() where !pending[k].isEmpty {
            let v = pending[k]
            switch sink {
            case .f64(let d): try d.append(v)
            case .i64(let d): try d.append(v.map { Int64($0) })
            case .i32(let d): try d.append(v.map { Int32(truncatingIfNeeded: Int64($0)) })
            case .i8(let d): try d.append(v.map { Int8(truncatingIfNeeded: Int64($0)) })
            }
            pending[k].removeAll(keepingCapacity: true)
        }
    }
}
