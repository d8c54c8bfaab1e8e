import CHDF5

/// An open dataset (an n-dimensional array of one element type).
public final class H5Dataset {
    let id: hid_t
    /// Absolute path of this dataset inside the file.
    public let path: String

    init(id: hid_t, path: String) {
        self.id = id
        self.path = path
    }

    deinit { H5Dclose(id) }

    /// Current dimensions (`[]` for a scalar dataset, or if they cannot be queried).
    public var shape: [Int] {
        let space = H5Dget_space(id)
        guard space >= 0 else { return [] }
        defer { H5Sclose(space) }
        let rank = H5Sget_simple_extent_ndims(space)
        guard rank > 0 else { return [] }
        var dims = [hsize_t](repeating: 0, count: Int(rank))
        guard H5Sget_simple_extent_dims(space, &dims, nil) >= 0 else { return [] }
        return dims.map { Int($0) }
    }

    /// Reads the whole dataset, flattened in row-major order and converted to `T`.
    public func read<T: H5Scalar>(as: T.Type = T.self) throws -> [T] {
        let space = try checkID(H5Dget_space(id), "H5Dget_space", path)
        defer { H5Sclose(space) }
        let type = try checkID(H5Dget_type(id), "H5Dget_type", path)
        defer { H5Tclose(type) }
        let count = Int(H5Sget_simple_extent_npoints(space))
        guard count >= 0 else { throw HDF5Error("H5Sget_simple_extent_npoints failed: \(path)") }
        return try readElements(count: count, fileType: type, path) { memoryType, buffer in
            H5Dread(id, memoryType, chdf5_s_all(), chdf5_s_all(), defaultPlist, buffer)
        }
    }

    func readStrings() throws -> [String] {
        let space = try checkID(H5Dget_space(id), "H5Dget_space", path)
        defer { H5Sclose(space) }
        let type = try checkID(H5Dget_type(id), "H5Dget_type", path)
        defer { H5Tclose(type) }
        return try readStringElements(fileType: type, space: space, path) { memoryType, buffer in
            H5Dread(id, memoryType, chdf5_s_all(), chdf5_s_all(), defaultPlist, buffer)
        }
    }
}

/// A dataset with an unlimited first dimension that grows by appending whole rows.
///
/// Created by `H5Group.createExtendable`. Each `append` extends the dataset and writes
/// the new rows with a hyperslab selection; it is cheap when uncompressed and when
/// `chunkRows` roughly matches the typical append size.
public final class H5ExtendableDataset<T: H5Scalar> {
    /// The underlying dataset (e.g. to set attributes).
    public let dataset: H5Dataset
    private let rowShape: [Int]
    private let rowSize: Int
    /// Number of rows written so far.
    public private(set) var rows: Int = 0

    init(dataset: H5Dataset, rowShape: [Int]) {
        self.dataset = dataset
        self.rowShape = rowShape
        self.rowSize = rowShape.reduce(1, *)
    }

    /// Appends `values` (row-major; a whole number of rows) at the end of the dataset.
    public func append(_ values: [T]) throws {
        let path = dataset.path
        guard values.count % rowSize == 0 else {
            throw HDF5Error("append failed: \(path): \(values.count) values is not a multiple of row size \(rowSize)")
        }
        let newRows = values.count / rowSize
        guard newRows > 0 else { return }
        let type = try nativeType(T.self)
        let extent = [hsize_t(rows + newRows)] + rowShape.map { hsize_t($0) }
        try check(H5Dset_extent(dataset.id, extent), "H5Dset_extent", path)
        let fileSpace = try checkID(H5Dget_space(dataset.id), "H5Dget_space", path)
        defer { H5Sclose(fileSpace) }
        let start = [hsize_t(rows)] + rowShape.map { _ in 0 }
        let count = [newRows] + rowShape
        try check(H5Sselect_hyperslab(fileSpace, H5S_SELECT_SET, start, nil, count.map { hsize_t($0) }, nil),
                  "H5Sselect_hyperslab", path)
        let memorySpace = try makeDataspace(count, path)
        defer { H5Sclose(memorySpace) }
        try values.withUnsafeBytes {
            try check(H5Dwrite(dataset.id, type, memorySpace, fileSpace, defaultPlist, $0.baseAddress), "H5Dwrite", path)
        }
        rows += newRows
    }
}
