import Environments
import Experiments
import Foundation
import HDF5
import XCTest

/// Recorded trajectories (`record`): recording changes no training bit, records the same bytes
/// twice, survives a stop and resume without losing or duplicating an episode, and `record` is
/// validated with JSON paths and kept out of the run id unless set.
final class RecordingTests: XCTestCase {
    func tempDir() -> URL { FileManager.default.temporaryDirectory.appendingPathComponent("rlexp-rec-\(UUID().uuidString)") }

    func config(_ record: String?, algo: String = "a2c", env: String = "CartPole-v1", every: Int = 1000, hp: String = "") throws -> RunConfig {
        try Spec.decode(try JSONParser.parse("""
            {"name": "rec", "env": "\(env)", "algo": "\(algo)", "total_steps": 4000, "seeds": 1, "checkpoint_every": \(every),
             "eval": {"interval": 1000, "episodes": 2}, "hyperparameters": {\(hp)}\(record.map { ", \"record\": \($0)" } ?? "")}
            """), file: "rec.json", fallbackName: "rec").expand()[0]
    }

    /// Every dataset under `group` (recursively), as Doubles, except the wall-clock columns.
    func datasets(_ path: URL, under group: String) throws -> [String: [Double]] {
        let f = try H5File.open(path.path)
        defer { f.close() }
        var out: [String: [Double]] = [:]
        func walk(_ g: H5Group, _ prefix: String) throws {
            for name in try g.memberNames() {
                if g.isGroup(name) { try walk(try g.openGroup(name), prefix + name + "/"); continue }
                let d = try g.openDataset(name)
                if (try? d.attribute("wall_clock", as: Int8.self)) == 1 { continue }
                out[prefix + name] = try d.read(as: Double.self)
            }
        }
        try walk(try f.root.openGroup(group), group + "/")
        return out
    }

    /// The same datasets with the same bits (NaN equal to NaN), naming the first that differs.
    func assertBitIdentical(_ a: [String: [Double]], _ b: [String: [Double]], _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.keys.sorted(), b.keys.sorted(), what, file: file, line: line)
        for k in a.keys.sorted() where a[k]!.map(\.bitPattern) != (b[k] ?? []).map(\.bitPattern) {
            XCTFail("\(what): \(k) differs", file: file, line: line); return
        }
    }

    func testRecordingIsBitNeutralAndReproducible() throws {
        let plain = try config(nil), rec = try config(#"{"eval": true, "train_every": 4, "train_last": 3}"#)
        let dirs = [tempDir(), tempDir(), tempDir()]
        defer { for d in dirs { try? FileManager.default.removeItem(at: d) } }
        _ = try executeRun(plain, dir: dirs[0], provenance: Provenance(gitCommit: "test"))
        _ = try executeRun(rec, dir: dirs[1], provenance: Provenance(gitCommit: "test"))
        _ = try executeRun(rec, dir: dirs[2], provenance: Provenance(gitCommit: "test"))
        let h5 = dirs.map { $0.appendingPathComponent("run.h5") }
        for g in ["curve", "updates", "episodes", "checkpoint"] {
            assertBitIdentical(try datasets(h5[0], under: g), try datasets(h5[1], under: g), "recording changed /\(g)")
        }
        let t1 = try datasets(h5[1], under: "trajectories"), t2 = try datasets(h5[2], under: "trajectories")
        XCTAssertFalse(t1.isEmpty)
        assertBitIdentical(t1, t2, "the same spec and seed recorded different trajectories")
        // every recorded training episode is its row of /episodes; eval: 2 episodes per /curve row
        let ep = try datasets(h5[1], under: "episodes"), curve = try datasets(h5[1], under: "curve")
        let idx = t1["trajectories/train/episode_index"]!.map(Int.init), ret = t1["trajectories/train/return"]!
        let n = ep["episodes/return"]!.count
        XCTAssertEqual(idx, Array(Set(Array(stride(from: 3, to: n, by: 4)) + Array((n - 3)..<n))).sorted())
        for (k, i) in idx.enumerated() { XCTAssertEqual(ret[k], ep["episodes/return"]![i], accuracy: 1e-9) }
        XCTAssertEqual(t1["trajectories/eval/return"]!.count, 2 * curve["curve/step"]!.count)
        let ao = t1["trajectories/train/action_offsets"]!, oo = t1["trajectories/train/observation_offsets"]!
        XCTAssertEqual(zip(ao, oo).map { $1 - $0 }, (0..<ao.count).map(Double.init), "one more observation than actions per episode")
        XCTAssertEqual(t1["trajectories/train/observations"]!.count, Int(oo.last!) * 4)
    }

    func testStopAndResumeRecordsTheSameEpisodes() throws {
        let cfg = try config(#"{"eval": true, "train_every": 3, "train_last": 5}"#, every: 500)
        let whole = tempDir(), cut = tempDir()
        defer { for d in [whole, cut] { try? FileManager.default.removeItem(at: d) }; StopSignal.reset() }
        _ = try executeRun(cfg, dir: whole, provenance: Provenance(gitCommit: "test"))
        StopSignal.reset()
        XCTAssertThrowsError(try executeRun(cfg, dir: cut, provenance: Provenance(gitCommit: "test")) { p in
            if p.step >= 2000 { StopSignal.request() }
        }) { e in XCTAssertTrue(e is RunInterrupted, "\(e)") }
        StopSignal.reset()
        XCTAssertFalse(checkpointFiles(in: cut).isEmpty)
        _ = try executeRun(cfg, dir: cut, provenance: Provenance(gitCommit: "test"), start: RunStart(resume: true))
        assertBitIdentical(try datasets(whole.appendingPathComponent("run.h5"), under: "trajectories"),
                           try datasets(cut.appendingPathComponent("run.h5"), under: "trajectories"), "stop and resume changed the trajectories")
    }

    func testContinuousTrainingRecording() throws {
        let cfg = try config(#"{"train_every": 1}"#, algo: "ppo", env: "Pendulum-v1", hp: #""nenvs": 2, "nsteps": 200"#)
        let d = tempDir()
        defer { try? FileManager.default.removeItem(at: d) }
        _ = try executeRun(cfg, dir: d, provenance: Provenance(gitCommit: "test"))
        let t = try datasets(d.appendingPathComponent("run.h5"), under: "trajectories"), ep = try datasets(d.appendingPathComponent("run.h5"), under: "episodes")
        XCTAssertNil(t["trajectories/eval/return"], "eval not asked for")
        XCTAssertEqual(t["trajectories/train/return"]!, ep["episodes/return"]!, "train_every 1 records every training episode")
        XCTAssertEqual(t["trajectories/train/actions"]!.count, t["trajectories/train/rewards"]!.count)
    }

    func testRecordValidationAndRunID() throws {
        XCTAssertEqual(try config(nil).runID, try config(nil).runID)
        XCTAssertNotEqual(try config(nil).runID, try config(#"{"eval": true}"#).runID, "a recording run must not share the unrecorded one's folder")
        XCTAssertEqual(try config(nil).runID, try config("{}").runID, "an empty record is no record")
        func problems(_ record: String, algo: String = "a2c") -> [String] {
            do { _ = try config(record, algo: algo); return [] } catch let e as SpecError { return e.problems } catch { return ["\(error)"] }
        }
        XCTAssertTrue(problems(#"{"eval": 1}"#).contains { $0.hasPrefix("$.record.eval: expected true or false") }, "\(problems(#"{"eval": 1}"#))")
        XCTAssertTrue(problems(#"{"train_every": -1}"#).contains { $0.hasPrefix("$.record.train_every: expected an integer") })
        XCTAssertTrue(problems(#"{"train_lats": 3}"#).contains { $0.hasPrefix("$.record") && $0.contains("train_lats") })
        XCTAssertTrue(problems(#"[1]"#).contains { $0.hasPrefix("$.record: expected an object") })
        XCTAssertTrue(problems(#"{"train_every": 2}"#, algo: "async").contains { $0.hasPrefix("$.record: algo \"async\"") })
        XCTAssertTrue(problems(#"{"eval": true}"#, algo: "async").isEmpty)
    }
}
