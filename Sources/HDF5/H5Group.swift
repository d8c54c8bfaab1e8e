import CHDF5

/// A group (directory) inside an HDF5 file; `H5File.root` is the group `/`.
///
/// Names passed to methods may be paths relative to this group (`"a/b/c"`) or absolute
/// (`"/a/b/c"`). Creating a group or dataset creates missing intermediate groups.
public final class H5Group {
    let id: hid_t
    /// Absolute path of this group inside the file.
    public let path: String

    init(id: hid_t, path: String) {
        self.id = id
        self.path = path
    }

    deinit { if id >= 0 { H5Gclose(id) } }

    func childPath(_ name: String) -> String {
        if name.hasPrefix("/") { return name }
        return path == "/" ? "/" + name : path + "/" + name
    }

    // MARK: Groups

    /// Creates a new group (and any missing intermediate groups). Throws if it already exists.
    @discardableResult
    public func createGroup(_ name: String) throws -> H5Group {
        let (parent, leaf) = try parentAndLeaf(name)
        return try parent.makeChildGroup(leaf)
    }

    /// Opens an existing group at `path` (may contain `/`).
    public func openGroup(_ path: String) throws -> H5Group {
        let full = childPath(path)
        return H5Group(id: try checkID(H5Gopen2(id, path, defaultPlist), "H5Gopen2", full), path: full)
    }

    /// Whether a link exists at `path`; missing intermediate components give `false`.
    public func exists(_ path: String) -> Bool {
        if path == "/" { return true }
        var prefix = path.hasPrefix("/") ? "/" : ""
        let components = path.split(separator: "/")
        if components.isEmpty { return false }
        for component in components {
            prefix += (prefix.isEmpty || prefix == "/" ? "" : "/") + component
            if H5Lexists(id, prefix, defaultPlist) <= 0 { return false }
        }
        return true
    }

    /// Names of the direct children (groups and datasets), in name order.
    public func memberNames() throws -> [String] {
        var info = H5G_info_t()
        try check(H5Gget_info(id, &info), "H5Gget_info", path)
        return try (0..<info.nlinks).map { index in
            let length = H5Lget_name_by_idx(id, ".", H5_INDEX_NAME, H5_ITER_INC, index, nil, 0, defaultPlist)
            guard length >= 0 else { throw HDF5Error("H5Lget_name_by_idx failed: \(path) [\(index)]") }
            var buffer = [CChar](repeating: 0, count: length + 1)
            H5Lget_name_by_idx(id, ".", H5_INDEX_NAME, H5_ITER_INC, index, &buffer, length + 1, defaultPlist)
            return String(cString: buffer)
        }
    }

    /// Whether `name` exists and is a group.
    public func isGroup(_ name: String) -> Bool {
        guard exists(name) else { return false }
        var info = H5O_info_t()
        guard H5Oget_info_by_name2(id, name, &info, UInt32(H5O_INFO_BASIC), defaultPlist) >= 0 else { return false }
        return info.type == H5O_TYPE_GROUP
    }

    private func makeChildGroup(_ name: String) throws -> H5Group {
        let full = childPath(name)
        let gcpl = try checkID(H5Pcreate(chdf5_p_group_create()), "H5Pcreate", full)
        defer { H5Pclose(gcpl) }
        try check(H5Pset_obj_track_times(gcpl, false), "H5Pset_obj_track_times", full)
        let child = try checkID(H5Gcreate2(id, name, defaultPlist, gcpl, defaultPlist), "H5Gcreate2", full)
        return H5Group(id: child, path: full)
    }

    /// Splits `name` into its (opened or created) parent group and its last component.
    private func parentAndLeaf(_ name: String) throws -> (H5Group, String) {
        guard let slash = name.lastIndex(of: "/") else { return (self, name) }
        let directory = String(name[..<slash])
        var group = name.hasPrefix("/") ? try openGroup("/") : self
        for component in directory.split(separator: "/").map(String.init) {
            group = group.exists(component) ? try group.openGroup(component) : try group.makeChildGroup(component)
        }
        return (group, String(name[name.index(after: slash)...]))
    }

    // MARK: Datasets

    /// Writes `values` as a new dataset. `shape` defaults to `[values.count]` and must
    /// multiply out to `values.count`. `compression` is a gzip level (0–9); compressed
    /// datasets are chunked automatically (empty arrays are stored without chunks/filters).
    /// Use gzip for big data written once and read rarely; leave it nil for small or hot data.
    @discardableResult
    public func write<T: H5Scalar>(
        _ name: String, _ values: [T], shape: [Int]? = nil, compression: Int? = nil
    ) throws -> H5Dataset {
        let dims = shape ?? [values.count]
        let full = childPath(name)
        guard dims.allSatisfy({ $0 >= 0 }), dims.reduce(1, *) == values.count else {
            throw HDF5Error("write failed: \(full): shape \(dims) does not hold \(values.count) values")
        }
        let type = try nativeType(T.self)
        let chunk = compression != nil && !values.isEmpty && !dims.isEmpty
            ? automaticChunk(dims, elementSize: MemoryLayout<T>.stride) : nil
        let dataset = try createDataset(name, type: type, dims: dims, chunk: chunk, compression: compression)
        if !values.isEmpty {
            try values.withUnsafeBytes {
                try check(H5Dwrite(dataset.id, type, chdf5_s_all(), chdf5_s_all(), defaultPlist, $0.baseAddress),
                          "H5Dwrite", full)
            }
        }
        return dataset
    }

    /// Writes a 1-D dataset of variable-length UTF-8 strings.
    public func writeStrings(_ name: String, _ values: [String]) throws {
        let full = childPath(name)
        let type = try makeStringType(full)
        defer { H5Tclose(type) }
        let dataset = try createDataset(name, type: type, dims: [values.count])
        guard !values.isEmpty else { return }
        try withCStrings(values) { pointers in
            try check(H5Dwrite(dataset.id, type, chdf5_s_all(), chdf5_s_all(), defaultPlist, pointers),
                      "H5Dwrite", full)
        }
    }

    /// Opens an existing dataset at `path` (may contain `/`).
    public func openDataset(_ path: String) throws -> H5Dataset {
        let full = childPath(path)
        return H5Dataset(id: try checkID(H5Dopen2(id, path, defaultPlist), "H5Dopen2", full), path: full)
    }

    /// Reads a whole dataset, flattened in row-major order and converted to `T`.
    public func read<T: H5Scalar>(_ path: String, as: T.Type = T.self) throws -> [T] {
        try openDataset(path).read(as: T.self)
    }

    /// Reads a string dataset (variable-length or fixed-size), flattened.
    public func readStrings(_ path: String) throws -> [String] {
        try openDataset(path).readStrings()
    }

    /// Creates a dataset with an unlimited first dimension and rows of shape `rowShape`
    /// (`[]` ⇒ one scalar per row), starting with 0 rows. Grow it with `append`.
    /// Chunks hold `chunkRows` rows; leave `compression` nil for hot-path appends.
    public func createExtendable<T: H5Scalar>(
        _ name: String, _ type: T.Type, rowShape: [Int] = [], chunkRows: Int = 1024, compression: Int? = nil
    ) throws -> H5ExtendableDataset<T> {
        let full = childPath(name)
        guard chunkRows > 0, rowShape.allSatisfy({ $0 > 0 }) else {
            throw HDF5Error("createExtendable failed: \(full): chunkRows and rowShape must be positive")
        }
        let maxDims = [chdf5_s_unlimited()] + rowShape.map { hsize_t($0) }
        let dataset = try createDataset(name, type: try nativeType(T.self), dims: [0] + rowShape,
                                        maxDims: maxDims, chunk: [chunkRows] + rowShape, compression: compression)
        return H5ExtendableDataset(dataset: dataset, rowShape: rowShape)
    }

    private func createDataset(
        _ name: String, type: hid_t, dims: [Int], maxDims: [hsize_t]? = nil,
        chunk: [Int]? = nil, compression: Int? = nil
    ) throws -> H5Dataset {
        let full = childPath(name)
        let (parent, leaf) = try parentAndLeaf(name)
        let space = try makeDataspace(dims, maxDims: maxDims, full)
        defer { H5Sclose(space) }
        let dcpl = try checkID(H5Pcreate(chdf5_p_dataset_create()), "H5Pcreate", full)
        defer { H5Pclose(dcpl) }
        try check(H5Pset_obj_track_times(dcpl, false), "H5Pset_obj_track_times", full)
        if let chunk {
            try check(H5Pset_chunk(dcpl, Int32(chunk.count), chunk.map { hsize_t($0) }), "H5Pset_chunk", full)
            if let level = compression {
                try check(H5Pset_deflate(dcpl, UInt32(max(0, min(9, level)))), "H5Pset_deflate", full)
            }
        }
        let id = try checkID(H5Dcreate2(parent.id, leaf, type, space, defaultPlist, dcpl, defaultPlist),
                             "H5Dcreate2", full)
        return H5Dataset(id: id, path: full)
    }
}

/// Chunk dimensions for compressing a dataset of shape `dims`: halve the largest
/// dimension until a chunk is at most 256 KiB.
private func automaticChunk(_ dims: [Int], elementSize: Int) -> [Int] {
    var chunk = dims.map { max($0, 1) }
    while chunk.reduce(elementSize, *) > 256 * 1024,
          let largest = chunk.indices.max(by: { chunk[$0] < chunk[$1] }), chunk[largest] > 1 {
        chunk[largest] = (chunk[largest] + 1) / 2
    }
    return chunk
}
