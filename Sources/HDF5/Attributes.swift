import CHDF5

/// Objects that carry named attributes: `H5Group` and `H5Dataset`.
///
/// Setting an attribute that already exists replaces it. Strings are stored as scalar
/// variable-length UTF-8 (read by h5py as `str`); reading accepts fixed-size strings too.
public protocol H5AttributeHolder {
    func setAttribute(_ name: String, _ value: String) throws
    func setAttribute<T: H5Scalar>(_ name: String, _ value: T) throws
    func setAttribute<T: H5Scalar>(_ name: String, _ values: [T]) throws
    func attributeNames() throws -> [String]
    func stringAttribute(_ name: String) throws -> String
    func attribute<T: H5Scalar>(_ name: String, as: T.Type) throws -> T
    func arrayAttribute<T: H5Scalar>(_ name: String, as: T.Type) throws -> [T]
    func hasAttribute(_ name: String) -> Bool
}

/// The shared attribute implementation over an object id; groups and datasets forward to it.
struct AttributeAccess {
    let id: hid_t
    let path: String

    private func label(_ name: String) -> String { "\(path) (attribute '\(name)')" }

    /// Replaces attribute `name` with one of `type` over `space`, then writes it.
    private func create(_ name: String, type: hid_t, space: hid_t, write: (hid_t) -> herr_t) throws {
        if H5Aexists(id, name) > 0 { try check(H5Adelete(id, name), "H5Adelete", label(name)) }
        let attribute = try checkID(H5Acreate2(id, name, type, space, defaultPlist, defaultPlist),
                                    "H5Acreate2", label(name))
        defer { H5Aclose(attribute) }
        try check(write(attribute), "H5Awrite", label(name))
    }

    private func withAttribute<R>(_ name: String, _ body: (hid_t, hid_t, hid_t) throws -> R) throws -> R {
        let attribute = try checkID(H5Aopen(id, name, defaultPlist), "H5Aopen", label(name))
        defer { H5Aclose(attribute) }
        let space = try checkID(H5Aget_space(attribute), "H5Aget_space", label(name))
        defer { H5Sclose(space) }
        let type = try checkID(H5Aget_type(attribute), "H5Aget_type", label(name))
        defer { H5Tclose(type) }
        return try body(attribute, space, type)
    }

    func setString(_ name: String, _ value: String) throws {
        let type = try makeStringType(label(name))
        defer { H5Tclose(type) }
        let space = try makeDataspace([], label(name))
        defer { H5Sclose(space) }
        try withCStrings([value]) { pointers in
            try create(name, type: type, space: space) { H5Awrite($0, type, pointers) }
        }
    }

    func set<T: H5Scalar>(_ name: String, _ values: [T], dims: [Int]) throws {
        let type = try nativeType(T.self)
        let space = try makeDataspace(dims, label(name))
        defer { H5Sclose(space) }
        try values.withUnsafeBytes { bytes in
            try create(name, type: type, space: space) { values.isEmpty ? 0 : H5Awrite($0, type, bytes.baseAddress) }
        }
    }

    func names() throws -> [String] {
        var info = H5O_info_t()
        try check(H5Oget_info2(id, &info, UInt32(H5O_INFO_NUM_ATTRS)), "H5Oget_info2", path)
        return try (0..<info.num_attrs).map { index in
            let length = H5Aget_name_by_idx(id, ".", H5_INDEX_NAME, H5_ITER_INC, index, nil, 0, defaultPlist)
            guard length >= 0 else { throw HDF5Error("H5Aget_name_by_idx failed: \(path) [\(index)]") }
            var buffer = [CChar](repeating: 0, count: length + 1)
            H5Aget_name_by_idx(id, ".", H5_INDEX_NAME, H5_ITER_INC, index, &buffer, length + 1, defaultPlist)
            return String(cString: buffer)
        }
    }

    func string(_ name: String) throws -> String {
        let strings: [String] = try withAttribute(name) { attribute, space, type in
            try readStringElements(fileType: type, space: space, label(name)) { H5Aread(attribute, $0, $1) }
        }
        guard strings.count == 1 else { throw HDF5Error("not a scalar string: \(label(name))") }
        return strings[0]
    }

    func array<T: H5Scalar>(_ name: String) throws -> [T] {
        try withAttribute(name) { attribute, space, type in
            let count = Int(H5Sget_simple_extent_npoints(space))
            guard count >= 0 else { throw HDF5Error("H5Sget_simple_extent_npoints failed: \(label(name))") }
            return try readElements(count: count, fileType: type, label(name)) { H5Aread(attribute, $0, $1) }
        }
    }

    func scalar<T: H5Scalar>(_ name: String) throws -> T {
        let elements: [T] = try array(name)
        guard elements.count == 1 else { throw HDF5Error("not a scalar: \(label(name)) has \(elements.count) values") }
        return elements[0]
    }

    func has(_ name: String) -> Bool { H5Aexists(id, name) > 0 }
}

extension H5Group: H5AttributeHolder {
    var attributes: AttributeAccess { AttributeAccess(id: id, path: path) }
    public func setAttribute(_ name: String, _ value: String) throws { try attributes.setString(name, value) }
    public func setAttribute<T: H5Scalar>(_ name: String, _ value: T) throws { try attributes.set(name, [value], dims: []) }
    public func setAttribute<T: H5Scalar>(_ name: String, _ values: [T]) throws {
        try attributes.set(name, values, dims: [values.count])
    }
    public func attributeNames() throws -> [String] { try attributes.names() }
    public func stringAttribute(_ name: String) throws -> String { try attributes.string(name) }
    public func attribute<T: H5Scalar>(_ name: String, as: T.Type) throws -> T { try attributes.scalar(name) }
    public func arrayAttribute<T: H5Scalar>(_ name: String, as: T.Type) throws -> [T] { try attributes.array(name) }
    public func hasAttribute(_ name: String) -> Bool { attributes.has(name) }
}

extension H5Dataset: H5AttributeHolder {
    var attributes: AttributeAccess { AttributeAccess(id: id, path: path) }
    public func setAttribute(_ name: String, _ value: String) throws { try attributes.setString(name, value) }
    public func setAttribute<T: H5Scalar>(_ name: String, _ value: T) throws { try attributes.set(name, [value], dims: []) }
    public func setAttribute<T: H5Scalar>(_ name: String, _ values: [T]) throws {
        try attributes.set(name, values, dims: [values.count])
    }
    public func attributeNames() throws -> [String] { try attributes.names() }
    public func stringAttribute(_ name: String) throws -> String { try attributes.string(name) }
    public func attribute<T: H5Scalar>(_ name: String, as: T.Type) throws -> T { try attributes.scalar(name) }
    public func arrayAttribute<T: H5Scalar>(_ name: String, as: T.Type) throws -> [T] { try attributes.array(name) }
    public func hasAttribute(_ name: String) -> Bool { attributes.has(name) }
}
