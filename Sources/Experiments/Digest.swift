import Foundation
import HDF5

/// The digest of one dataset: its element count, an FNV-1a-64 of all its values, and one digest per
/// block of `digestChunkRows` elements (so a comparison can say *where* two datasets first differ).
public struct DatasetDigest: Equatable, Sendable {
    public var count: Int
    public var digest: String
    public var chunks: [String]
    public init(count: Int, digest: String, chunks: [String]) { self.count = count; self.digest = digest; self.chunks = chunks }
}

/// Elements per chunk digest.
public let digestChunkRows = 256

/// Digests of every reproducible dataset of a run.h5, by path (e.g. `/updates/value_loss`).
///
/// A dataset is skipped when its `wall_clock` attribute is 1 (wall time, fps): everything else must
/// be bit-identical for the same spec and seed, whatever `--jobs`. Each value is hashed both as
/// Double (exact for every float and for integers below 2^53) and as UInt64 (exact for RNG words),
/// so any changed bit changes the digest.
public func datasetDigestsDetailed(_ path: String) throws -> [String: DatasetDigest] {
    let f = try H5File.open(path)
    defer { f.close() }
    var out: [String: DatasetDigest] = [:]
    func walk(_ g: H5Group, _ prefix: String) throws {
        for name in try g.memberNames() {
            let p = prefix + "/" + name
            if g.isGroup(name) { try walk(try g.openGroup(name), p); continue }
            let d = try g.openDataset(name)
            if d.hasAttribute("wall_clock"), (try? d.attribute("wall_clock", as: Int8.self)) == 1 { continue }
            let asDouble = try d.read(as: Double.self)
            let asWords = try d.read(as: UInt64.self)
            func hash(_ r: Range<Int>) -> String {
                var h: UInt64 = 0xCBF2_9CE4_8422_2325
                func eat(_ x: UInt64) { for k in 0..<8 { h = (h ^ ((x >> (8 * UInt64(k))) & 0xFF)) &* 0x0000_0100_0000_01B3 } }
                eat(UInt64(r.count))
                for i in r { eat(asDouble[i].bitPattern); eat(asWords[i]) }
                return String(h, radix: 16)
            }
            let n = asDouble.count
            let chunks = stride(from: 0, to: n, by: digestChunkRows).map { hash($0..<min($0 + digestChunkRows, n)) }
            out[p] = DatasetDigest(count: n, digest: hash(0..<n), chunks: chunks)
        }
    }
    try walk(f.root, "")
    return out
}

/// `datasetDigestsDetailed` reduced to one digest string per dataset.
public func datasetDigests(_ path: String) throws -> [String: String] {
    try datasetDigestsDetailed(path).mapValues { "\($0.digest) (\($0.count) values)" }
}
