import CHDF5

/// An error from the HDF5 library or from this wrapper; `message` names the failed
/// operation and the object path it was applied to.
public struct HDF5Error: Error, CustomStringConvertible {
    public let message: String
    public var description: String { "HDF5Error: \(message)" }
    public init(_ message: String) { self.message = message }
}

/// A scalar element type that can be stored in datasets and attributes.
///
/// Conforming types: `Float`, `Double`, `Int8`, `UInt8`, `Int32`, `Int64`, `UInt64`.
/// Each maps to the matching `H5T_NATIVE_*` type; on read, HDF5 converts whatever is
/// stored (e.g. float64 → `Float`, int8/bool → `Int64`) to the requested type.
/// Other conformances are not supported: using them throws `HDF5Error`.
public protocol H5Scalar {}

extension Float: H5Scalar {}
extension Double: H5Scalar {}
extension Int8: H5Scalar {}
extension UInt8: H5Scalar {}
extension Int32: H5Scalar {}
extension Int64: H5Scalar {}
extension UInt64: H5Scalar {}

// MARK: - Internal helpers

/// One-time library initialisation: `H5open` plus silencing automatic error-stack printing.
private let libraryStatus: herr_t = chdf5_init()

func ensureLibrary() throws {
    if libraryStatus < 0 { throw HDF5Error("H5open failed: could not initialise the HDF5 library") }
    // The thread-safe libhdf5 keeps the automatic error printer per thread: silence it on this one too.
    _ = H5Eset_auto2(chdf5_e_default(), nil, nil)
}

let defaultPlist: hid_t = chdf5_p_default()

/// The in-memory HDF5 type for `T` (an immutable library-owned id; never closed).
func nativeType<T: H5Scalar>(_: T.Type) throws -> hid_t {
    switch T.self {
    case is Float.Type: return chdf5_native_float()
    case is Double.Type: return chdf5_native_double()
    case is Int8.Type: return chdf5_native_int8()
    case is UInt8.Type: return chdf5_native_uint8()
    case is Int32.Type: return chdf5_native_int32()
    case is Int64.Type: return chdf5_native_int64()
    case is UInt64.Type: return chdf5_native_uint64()
    default: throw HDF5Error("unsupported element type \(T.self)")
    }
}

/// Throws if an `herr_t`/`htri_t` status is negative.
func check(_ status: Int32, _ operation: String, _ object: String) throws {
    if status < 0 { throw failure(operation, object) }
}

/// Throws if an `hid_t` is negative; returns it otherwise.
func checkID(_ id: hid_t, _ operation: String, _ object: String) throws -> hid_t {
    if id < 0 { throw failure(operation, object) }
    return id
}

/// The error for a failed call: the operation, the object, and the innermost message of HDF5's
/// error stack (where the operating system's reason is, e.g. a full disk), with what to do about
/// the common ones.
func failure(_ operation: String, _ object: String) -> HDF5Error {
    var buf = [CChar](repeating: 0, count: 512)
    chdf5_innermost_error(&buf, buf.count)
    var reason = String(cString: buf)
    // a system error's line is long (time, descriptor, buffer address, sizes): keep its reason
    if let r = reason.firstRange(of: "error message = '"), let end = reason[r.upperBound...].firstIndex(of: "'") {
        reason = String(reason[r.upperBound..<end])
    }
    var message = "\(operation) failed: \(object)" + (reason.isEmpty ? "" : " (\(reason))")
    if reason.contains("No space left on device") || reason.contains("errno = 28") {
        message += ": the disk is full; free some space (or write elsewhere with --out) and run again"
    } else if reason.contains("Read-only file system") || reason.contains("Permission denied") {
        message += ": the location is not writable; choose a writable folder with --out"
    }
    return HDF5Error(message)
}

/// A simple dataspace (`dims` empty ⇒ scalar). Caller closes it.
func makeDataspace(_ dims: [Int], maxDims: [hsize_t]? = nil, _ object: String) throws -> hid_t {
    if dims.isEmpty { return try checkID(H5Screate(H5S_SCALAR), "H5Screate", object) }
    let current = dims.map { hsize_t($0) }
    let id = maxDims.map { H5Screate_simple(Int32(dims.count), current, $0) }
        ?? H5Screate_simple(Int32(dims.count), current, nil)
    return try checkID(id, "H5Screate_simple", object)
}

/// A variable-length UTF-8 C string type. Caller closes it.
func makeStringType(_ object: String) throws -> hid_t {
    let type = try checkID(H5Tcopy(chdf5_c_s1()), "H5Tcopy", object)
    do {
        try check(H5Tset_size(type, chdf5_t_variable()), "H5Tset_size", object)
        try check(H5Tset_cset(type, H5T_CSET_UTF8), "H5Tset_cset", object)
    } catch { H5Tclose(type); throw error }
    return type
}

/// Calls `body` with an array of NUL-terminated pointers to `values`, valid only during the call.
func withCStrings<R>(_ values: [String], _ body: ([UnsafePointer<CChar>]) throws -> R) rethrows -> R {
    var storage: [CChar] = []
    var offsets: [Int] = []
    for value in values {
        offsets.append(storage.count)
        storage.append(contentsOf: value.utf8CString)
    }
    return try storage.withUnsafeBufferPointer { buffer in
        try body(offsets.map { buffer.baseAddress! + $0 })
    }
}

/// Reads `count` elements stored as `fileType` into `[T]`, via `read(memoryType, buffer)`
/// (an `H5Dread` or `H5Aread`). Enum data (h5py stores bool as an int8 enum) cannot be
/// converted by HDF5 directly, so it is read raw and converted from its base integer type.
func readElements<T: H5Scalar>(
    count: Int, fileType: hid_t, _ object: String,
    _ read: (hid_t, UnsafeMutableRawPointer) -> herr_t
) throws -> [T] {
    let memoryType = try nativeType(T.self)
    guard count > 0 else { return [] }
    guard H5Tget_class(fileType) == H5T_ENUM else {
        return try [T](unsafeUninitializedCapacity: count) { buffer, initialized in
            try check(read(memoryType, UnsafeMutableRawPointer(buffer.baseAddress!)), "read", object)
            initialized = count
        }
    }
    let enumType = try checkID(H5Tget_native_type(fileType, H5T_DIR_ASCEND), "H5Tget_native_type", object)
    defer { H5Tclose(enumType) }
    let baseType = try checkID(H5Tget_super(enumType), "H5Tget_super", object)
    defer { H5Tclose(baseType) }
    let width = max(H5Tget_size(enumType), MemoryLayout<T>.stride)
    let raw = UnsafeMutableRawPointer.allocate(byteCount: width * count, alignment: 16)
    defer { raw.deallocate() }
    try check(read(enumType, raw), "read", object)
    try check(H5Tconvert(baseType, memoryType, count, raw, nil, defaultPlist), "H5Tconvert", object)
    return Array(UnsafeBufferPointer(start: raw.bindMemory(to: T.self, capacity: count), count: count))
}

/// Reads string data (variable-length or fixed-size) stored as `fileType` over `space`.
func readStringElements(
    fileType: hid_t, space: hid_t, _ object: String,
    _ read: (hid_t, UnsafeMutableRawPointer) -> herr_t
) throws -> [String] {
    guard H5Tget_class(fileType) == H5T_STRING else { throw HDF5Error("not a string type: \(object)") }
    let count = Int(H5Sget_simple_extent_npoints(space))
    guard count >= 0 else { throw HDF5Error("H5Sget_simple_extent_npoints failed: \(object)") }
    if count == 0 { return [] }

    let isVariable = H5Tis_variable_str(fileType)
    try check(isVariable, "H5Tis_variable_str", object)
    if isVariable > 0 {
        let memoryType = try makeStringType(object)
        defer { H5Tclose(memoryType) }
        var pointers = [UnsafeMutablePointer<CChar>?](repeating: nil, count: count)
        try pointers.withUnsafeMutableBytes { try check(read(memoryType, $0.baseAddress!), "read", object) }
        let strings = pointers.map { $0.map { String(cString: $0) } ?? "" }
        H5Dvlen_reclaim(memoryType, space, defaultPlist, &pointers)
        return strings
    }

    let memoryType = try checkID(H5Tcopy(fileType), "H5Tcopy", object)
    defer { H5Tclose(memoryType) }
    let size = H5Tget_size(memoryType)
    let spacePadded = H5Tget_strpad(memoryType) == H5T_STR_SPACEPAD
    var bytes = [UInt8](repeating: 0, count: size * count)
    try bytes.withUnsafeMutableBytes { try check(read(memoryType, $0.baseAddress!), "read", object) }
    return (0..<count).map { index in
        var field = bytes[(index * size)..<((index + 1) * size)]
        if let nul = field.firstIndex(of: 0) { field = field[..<nul] }
        if spacePadded { while field.last == 0x20 { field.removeLast() } }
        return String(decoding: field, as: UTF8.self)
    }
}
