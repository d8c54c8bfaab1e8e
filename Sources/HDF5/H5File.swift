import CHDF5

/// An open HDF5 file. The file is closed by `close()` or when the object is released.
///
/// ```swift
/// let file = try H5File.create("/tmp/run.h5")
/// let run = try file.root.createGroup("classic_control/CartPole-v1")
/// try run.write("returns", [1.0, 2.5, 3.0] as [Double])
/// try run.write("obs", observations, shape: [episodes, steps, 4], compression: 4)
/// try run.setAttribute("env_id", "CartPole-v1")
/// file.close()
///
/// let again = try H5File.open("/tmp/run.h5")
/// let returns = try again.root.read("classic_control/CartPole-v1/returns", as: Double.self)
/// ```
///
/// Files are written deterministically: object modification times are not recorded, so
/// writing the same content twice gives byte-identical files.
///
/// Performance: every call goes straight to libhdf5. Keep hot-path appends (see
/// `H5ExtendableDataset`) uncompressed; use gzip (`compression:`) for large data written
/// once and read rarely. Groups and datasets opened from a file keep it open at the
/// library level until they, too, are released (HDF5's "weak" close semantics).
public final class H5File {
    private var id: hid_t
    /// The path the file was created or opened with.
    public let path: String

    private init(id: hid_t, path: String) {
        self.id = id
        self.path = path
    }

    deinit { close() }

    /// Creates (or truncates) a file at `path`, opened read-write.
    public static func create(_ path: String) throws -> H5File {
        try ensureLibrary()
        let fcpl = try checkID(H5Pcreate(chdf5_p_file_create()), "H5Pcreate", path)
        defer { H5Pclose(fcpl) }
        try check(H5Pset_obj_track_times(fcpl, false), "H5Pset_obj_track_times", path)
        let id = try checkID(H5Fcreate(path, chdf5_acc_trunc(), fcpl, defaultPlist), "H5Fcreate", path)
        return H5File(id: id, path: path)
    }

    /// Opens an existing file, read-only by default.
    public static func open(_ path: String, readOnly: Bool = true) throws -> H5File {
        try ensureLibrary()
        let flags = readOnly ? chdf5_acc_rdonly() : chdf5_acc_rdwr()
        let id = try checkID(H5Fopen(path, flags, defaultPlist), "H5Fopen", path)
        return H5File(id: id, path: path)
    }

    /// The root group `/`. Each access opens a fresh handle; after `close()` operations on it throw.
    public var root: H5Group {
        H5Group(id: id < 0 ? -1 : H5Gopen2(id, "/", defaultPlist), path: "/")
    }

    /// Flushes buffered data to disk.
    public func flush() throws {
        try check(H5Fflush(id, H5F_SCOPE_GLOBAL), "H5Fflush", path)
    }

    /// Closes the file handle (idempotent).
    public func close() {
        if id >= 0 { H5Fclose(id) }
        id = -1
    }
}
