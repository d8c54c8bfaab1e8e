import Atomics
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Ctrl-C (SIGINT) and SIGTERM, as a request to stop cleanly: the first one sets `requested`, and
/// every running run writes a checkpoint and stops at its next update (the sweep starts no new
/// ones); the second one exits at once (status 130), losing only what the checkpoints do not hold.
public enum StopSignal {
    static let count = ManagedAtomic<Int>(0)

    /// True once a stop was requested.
    public static var requested: Bool { count.load(ordering: .relaxed) > 0 }

    /// Requests a stop (what the first Ctrl-C does); for tests and embedding programs.
    public static func request() { count.wrappingIncrement(ordering: .relaxed) }

    /// Forgets a request (tests).
    public static func reset() { count.store(0, ordering: .relaxed) }

    /// Installs the SIGINT/SIGTERM handlers (the CLI does, once).
    public static func install() {
        let handler: @convention(c) (Int32) -> Void = { _ in
            // only async-signal-safe calls here: an atomic increment, write(2), _exit(2)
            let before = StopSignal.count.loadThenWrappingIncrement(ordering: .relaxed)
            if before == 0 {
                let m = "\nrlexp: stopping: every running run writes a checkpoint and stops (Ctrl-C again to stop at once)\n"
                _ = m.withCString { write(2, $0, strlen($0)) }
            } else {
                let m = "\nrlexp: stopped at once; runs resume from their last checkpoint\n"
                _ = m.withCString { write(2, $0, strlen($0)) }
                _exit(130)
            }
        }
        signal(SIGINT, handler)
        signal(SIGTERM, handler)
    }
}

/// An exclusive lock on a file (flock(2)), held while the process lives: two `rlexp run` processes
/// on one results folder (or one run folder) would corrupt each other's files, so the second one
/// refuses, naming the first one's PID. The kernel drops the lock when its holder dies, so the lock
/// of a killed process is taken over without anyone deleting a file.
public final class DirectoryLock {
    public let path: String
    let fd: Int32

    public struct Busy: Error, CustomStringConvertible {
        public let path: String
        public let pid: Int32?
        public var description: String {
            "\(path) is locked by another rlexp process\(pid.map { " (PID \($0))" } ?? ""); wait for it to finish or stop it, or use another --out folder"
        }
    }

    /// Takes the lock `path` (creating the file), or throws `Busy`. `tookOver` receives the PID a
    /// previous holder left in the file when that process is gone (a stale lock).
    public init(path: String, tookOver: ((Int32) -> Void)? = nil) throws {
        self.path = path
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw CheckpointError("cannot create the lock file \(path): \(String(cString: strerror(errno)))") }
        let previous = DirectoryLock.pid(in: fd)
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            throw Busy(path: path, pid: previous)
        }
        if let previous, previous != getpid() { tookOver?(previous) }
        _ = ftruncate(fd, 0)
        let text = "\(getpid())\n"
        _ = text.withCString { pwrite(fd, $0, strlen($0), 0) }
    }

    deinit {
        _ = ftruncate(fd, 0)
        flock(fd, LOCK_UN)
        close(fd)
    }

    static func pid(in fd: Int32) -> Int32? {
        var buf = [UInt8](repeating: 0, count: 32)
        let n = pread(fd, &buf, 31, 0)
        guard n > 0, let s = String(bytes: buf[0..<n], encoding: .utf8) else { return nil }
        return Int32(s.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// True when some process holds the lock at `path` (without taking it).
    public static func isHeld(_ path: String) -> Bool {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        if flock(fd, LOCK_SH | LOCK_NB) == 0 { flock(fd, LOCK_UN); return false }
        return true
    }
}
