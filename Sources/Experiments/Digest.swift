import Foundation
import HDF5

/// Digests of every reproducible dataset of a run.h5, by path (e.g. `/updates/value_loss`).
///
/// A dataset is skipped when its `wall_clock` attribute is 1 (wall time, fps): everything else must
/// be bit-identical for the same spec and seed, whatever `--jobs`. The digest hashes the values read
/// both as Double (exact for every float and for integers below 2^53) and as UInt64 (exact for RNG
/// words), so any changed bit changes it.
public func datasetDigests(_ path: String) throws -> [String: String] {
    let f = try H5File.open(path)
    defer { f.close() }
    var out: [String: String] = [:]
    func walk(_ g: H5Group, _ prefix: String) throws {
        for name in try g.memberNames() {
            let p = prefix + "/" + name
            if g.isGroup(name) { try walk(try g.openGroup(name), p); continue }
            let d = try g.openDataset(name)
            if d.hasAttribute("wall_clock"), (try? d.attribute("wall_clock", as: Int8.self)) == 1 { continue }
            let asDouble = try d.read(as: Double.self)
            let asWords = try d.read(as: UInt64.self)
            var h: UInt64 = 0xCBF2_9CE4_8422_2325
            func eat(_ x: UInt64) { for k in 0..<8 { h = (h ^ ((x >> (8 * UInt64(k))) & 0xFF)) &* 0x0000_0100_0000_01B3 } }
            eat(UInt64(asDouble.count))
            for v in asDouble { eat(v.bitPattern) }
            for v in asWords { eat(v) }
            out[p] = String(h, radix: 16) + " (\(asDouble.count) values)"
        }
    }
    try walk(f.root, "")
    return out
}
