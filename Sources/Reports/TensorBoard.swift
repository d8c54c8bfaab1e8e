import Experiments
import Foundation
import HDF5

// `rlexp export RESULTS_DIR --format tensorboard`: one TensorBoard run per run.h5, so that
// `tensorboard --logdir RESULTS_DIR/tensorboard` shows a sweep.
//
// The encoder is written here rather than taken from a package: the format is small and stable
// (TFRecord framing with masked CRC-32C, and three protobuf messages: Event, Summary and the
// HParams plugin's data), no Swift protobuf or TensorBoard package is among the dependencies this
// project may resolve, and a hand-written encoder of ~150 lines is easier to check than a
// generated one. `Tests/python/check_tensorboard.py` reads the files back with the tensorboard
// package's own event reader and compares every value with run.h5.

/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), as TFRecord frames use it.
enum CRC32C {
    static let table: [UInt32] = (0..<256).map { i -> UInt32 in
        var c = UInt32(i)
        for _ in 0..<8 { c = c & 1 != 0 ? (c >> 1) ^ 0x82F6_3B78 : c >> 1 }
        return c
    }

    static func checksum<C: Collection>(_ bytes: C) -> UInt32 where C.Element == UInt8 {
        var c: UInt32 = 0xFFFF_FFFF
        for b in bytes { c = table[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8) }
        return c ^ 0xFFFF_FFFF
    }

    /// TFRecord's masked form: rotate right by 15, add a constant.
    static func masked<C: Collection>(_ bytes: C) -> UInt32 where C.Element == UInt8 {
        let c = checksum(bytes)
        return ((c >> 15) | (c << 17)) &+ 0xA282_EAD8
    }
}

/// A minimal protobuf writer: the wire types TensorBoard's messages need.
struct ProtoWriter {
    var bytes: [UInt8] = []

    mutating func varint(_ v: UInt64) {
        var x = v
        while x >= 0x80 { bytes.append(UInt8(x & 0x7F) | 0x80); x >>= 7 }
        bytes.append(UInt8(x))
    }
    mutating func key(_ field: Int, _ wire: Int) { varint(UInt64(field << 3 | wire)) }
    mutating func int64(_ field: Int, _ v: Int64) { key(field, 0); varint(UInt64(bitPattern: v)) }
    mutating func double(_ field: Int, _ v: Double) {
        key(field, 1)
        withUnsafeBytes(of: v.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
    }
    mutating func float(_ field: Int, _ v: Float) {
        key(field, 5)
        withUnsafeBytes(of: v.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
    }
    mutating func bool(_ field: Int, _ v: Bool) { key(field, 0); varint(v ? 1 : 0) }
    mutating func message(_ field: Int, _ m: [UInt8]) { key(field, 2); varint(UInt64(m.count)); bytes += m }
    mutating func string(_ field: Int, _ s: String) { message(field, Array(s.utf8)) }
}

/// One TensorBoard event file being written.
public final class EventFileWriter {
    var data: [UInt8] = []
    let url: URL

    /// A new event file in `dir`, named as TensorBoard expects (`events.out.tfevents.<time>.<host>`).
    public init(dir: URL, wallTime: Double) {
        url = dir.appendingPathComponent(String(format: "events.out.tfevents.%010.0f.rlexp", wallTime))
        var e = ProtoWriter()
        e.double(1, wallTime)
        e.string(3, "brain.Event:2")
        record(e.bytes)
    }

    /// Frames one serialized Event: length, masked CRC of the length, data, masked CRC of the data.
    func record(_ event: [UInt8]) {
        var len = UInt64(event.count).littleEndian
        let lenBytes = withUnsafeBytes(of: &len) { Array($0) }
        data += lenBytes
        withUnsafeBytes(of: CRC32C.masked(lenBytes).littleEndian) { data += $0 }
        data += event
        withUnsafeBytes(of: CRC32C.masked(event).littleEndian) { data += $0 }
    }

    func event(step: Int64, wallTime: Double, summary: [UInt8]) {
        var e = ProtoWriter()
        e.double(1, wallTime)
        e.int64(2, step)
        e.message(5, summary)
        record(e.bytes)
    }

    /// Scalars at one step (`simple_value`, Float32 as TensorBoard stores them); NaN values are skipped.
    public func scalars(step: Int64, wallTime: Double, _ values: [(tag: String, value: Double)]) {
        var s = ProtoWriter()
        for (tag, v) in values where !v.isNaN {
            var value = ProtoWriter()
            value.string(1, tag)
            value.float(2, Float(v))
            s.message(1, value.bytes)
        }
        if !s.bytes.isEmpty { event(step: step, wallTime: wallTime, summary: s.bytes) }
    }

    /// The HParams plugin's session start (the run's hyperparameters) and end (status success), so
    /// that TensorBoard's HParams dashboard lists the runs of a sweep with their settings.
    public func hparams(_ values: [(name: String, value: JSON)], wallTime: Double, endTime: Double) {
        func pluginValue(tag: String, data: [UInt8]) {
            var plugin = ProtoWriter()      // HParamsPluginData: version 0 (omitted), oneof data
            plugin.bytes = data
            var pluginData = ProtoWriter()  // PluginData: plugin_name, content
            pluginData.string(1, "hparams")
            pluginData.message(2, plugin.bytes)
            var meta = ProtoWriter()        // SummaryMetadata: plugin_data
            meta.message(1, pluginData.bytes)
            var value = ProtoWriter()       // Summary.Value: tag, tensor (a null float tensor), metadata
            value.string(1, tag)
            value.message(8, [0x08, 0x01, 0x12, 0x02, 0x12, 0x00])
            value.message(9, meta.bytes)
            var summary = ProtoWriter()
            summary.message(1, value.bytes)
            event(step: 0, wallTime: wallTime, summary: summary.bytes)
        }
        var start = ProtoWriter()           // SessionStartInfo: map<string, google.protobuf.Value> hparams = 1
        for (name, v) in values {
            var pv = ProtoWriter()          // google.protobuf.Value: number 2, string 3, bool 4
            switch v {
            case .int(let i): pv.double(2, Double(i))
            case .number(let x): pv.double(2, x)
            case .bool(let b): pv.bool(4, b)
            case .string(let s): pv.string(3, s)
            default: pv.string(3, v.serialized())
            }
            var entry = ProtoWriter()
            entry.string(1, name)
            entry.message(2, pv.bytes)
            start.message(1, entry.bytes)
        }
        start.double(5, wallTime)
        var startData = ProtoWriter()
        startData.message(3, start.bytes)
        pluginValue(tag: "_hparams_/session_start_info", data: startData.bytes)
        var end = ProtoWriter()             // SessionEndInfo: status = STATUS_SUCCESS (1), end_time_secs
        end.int64(1, 1)
        end.double(2, endTime)
        var endData = ProtoWriter()
        endData.message(4, end.bytes)
        pluginValue(tag: "_hparams_/session_end_info", data: endData.bytes)
    }

    public func close() throws {
        try Data(data).write(to: url)
    }
}

/// Writes `RESULTS_DIR/tensorboard/<run id>/events.out.tfevents.*` for every complete run: the
/// learning curve (`curve/<column>`, x = env steps), every per-update metric (`updates/<name>`), the
/// training episodes (`episodes/return`, `episodes/length`, x = the step the episode ended) and the
/// run's hyperparameters in the HParams plugin's format. Wall-clock times come from the run's
/// `wall_s` and `fps` columns, relative to a start of 0. Returns the folders written.
@discardableResult
public func exportTensorBoard(resultsDir: URL, outDir: URL? = nil) throws -> [String] {
    let fm = FileManager.default
    let runsDir = resultsDir.appendingPathComponent("runs")
    let ids = try fm.contentsOfDirectory(atPath: runsDir.path).sorted()
        .filter { fm.fileExists(atPath: runsDir.appendingPathComponent("\($0)/run.h5").path) }
    guard !ids.isEmpty else { throw GoldenError("\(resultsDir.path) has no complete runs to export") }
    let out = outDir ?? resultsDir.appendingPathComponent("tensorboard")
    var written: [String] = []
    for id in ids {
        let path = runsDir.appendingPathComponent("\(id)/run.h5").path
        let data = try RunData.load(path)
        let f = try H5File.open(path)
        defer { f.close() }
        func table(_ name: String) throws -> [String: [Double]] {
            guard f.root.exists(name) else { return [:] }
            let g = try f.root.openGroup(name)
            var t: [String: [Double]] = [:]
            for c in try g.memberNames() { t[c] = try g.read(c, as: Double.self) }
            return t
        }
        let curve = try table("curve"), updates = try table("updates"), episodes = try table("episodes")
        let dir = out.appendingPathComponent(id)
        try? fm.removeItem(at: dir)
        try createFolder(dir)
        let w = EventFileWriter(dir: dir, wallTime: 0)
        var hp: [(name: String, value: JSON)] = [("seed", .int(data.seed)), ("config", .string(data.configLabel)),
                                                 ("env", .string(data.env)), ("algo", .string(data.algo))]
        for k in data.hyperparameters.keys.sorted() { hp.append((k, data.hyperparameters[k]!)) }
        w.hparams(hp, wallTime: 0, endTime: data.wallSeconds)
        let skip: Set<String> = ["step", "update"]
        if let steps = curve["step"] {
            let cols = curve.keys.filter { !skip.contains($0) }.sorted()
            for i in steps.indices {
                w.scalars(step: Int64(steps[i]), wallTime: curve["wall_s"]?[i] ?? 0, cols.map { ("curve/" + $0, curve[$0]![i]) })
            }
        }
        if let steps = updates["step"] {
            let cols = updates.keys.filter { !skip.contains($0) }.sorted()
            for i in steps.indices {
                let fps = updates["fps"]?[i] ?? 0
                w.scalars(step: Int64(steps[i]), wallTime: fps > 0 ? steps[i] / fps : 0, cols.map { ("updates/" + $0, updates[$0]![i]) })
            }
        }
        if let steps = episodes["step"], let ret = episodes["return"], let len = episodes["length"] {
            for i in steps.indices {
                w.scalars(step: Int64(steps[i]), wallTime: 0, [("episodes/return", ret[i]), ("episodes/length", len[i])])
            }
        }
        try w.close()
        written.append(dir.path)
    }
    return written
}
