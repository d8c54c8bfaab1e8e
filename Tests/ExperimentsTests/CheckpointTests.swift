import Agents
import Environments
import Experiments
import Foundation
import HDF5
import XCTest

/// Checkpoint files (write, verify, keep two) and the training loop's resume, in process: a run
/// stopped by a stop request mid-way and resumed writes the same run.h5 datasets as one that ran
/// through.
final class CheckpointTests: XCTestCase {
    func tempDir() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("rlexp-ckpt-\(UUID().uuidString)")
    }

    func spec(_ algo: String, _ hp: String, total: Int, every: Int) throws -> Spec {
        try Spec.decode(try JSONParser.parse("""
            {"name": "ck", "env": "CartPole-v1", "algo": "\(algo)", "total_steps": \(total), "seeds": 1,
             "eval": {"interval": 4000, "episodes": 2}, "checkpoint_every": \(every), "hyperparameters": {\(hp)}}
            """), file: "ck.json", fallbackName: "ck")
    }

    /// Stops the run (as the first Ctrl-C does) at the first evaluation at or after `step`, then
    /// resumes it in a fresh `executeRun`; the datasets must equal an uninterrupted run's.
    func assertStopAndResumeIsExact(_ algo: String, _ hp: String, total: Int, every: Int, stopAt step: Int64,
                                    file: StaticString = #filePath, line: UInt = #line) throws {
        let cfg = try spec(algo, hp, total: total, every: every).expand()[0]
        let whole = tempDir(), cut = tempDir()
        defer { for d in [whole, cut] { try? FileManager.default.removeItem(at: d) }; StopSignal.reset() }
        _ = try executeRun(cfg, dir: whole, provenance: Provenance(gitCommit: "test"))
        StopSignal.reset()
        XCTAssertThrowsError(try executeRun(cfg, dir: cut, provenance: Provenance(gitCommit: "test")) { p in
            if p.step >= step { StopSignal.request() }
        }, file: file, line: line) { e in XCTAssertTrue(e is RunInterrupted, "\(e)", file: file, line: line) }
        StopSignal.reset()
        XCTAssertFalse(checkpointFiles(in: cut).isEmpty, "a stopped run leaves its checkpoint", file: file, line: line)
        let notes = NoteBox()
        let outcome = try executeRun(cfg, dir: cut, provenance: Provenance(gitCommit: "test"), start: RunStart(resume: true) { notes.add($0) })
        XCTAssertEqual(outcome.envSteps, Int64(total), file: file, line: line)
        XCTAssertTrue(notes.all.contains { $0.contains("resumed from its checkpoint at step") }, "\(notes.all)", file: file, line: line)
        XCTAssertTrue(checkpointFiles(in: cut).isEmpty, "a complete run keeps no periodic checkpoint", file: file, line: line)
        let a = try datasetDigests(whole.appendingPathComponent("run.h5").path)
        let b = try datasetDigests(cut.appendingPathComponent("run.h5").path)
        XCTAssertGreaterThan(a.count, 20, file: file, line: line)
        for (k, v) in a { XCTAssertEqual(b[k], v, "\(algo): \(k) differs after stop and resume", file: file, line: line) }
        XCTAssertEqual(Set(a.keys), Set(b.keys), file: file, line: line)
    }

    func testA2CStopAndResume() throws {
        try assertStopAndResumeIsExact("a2c", #""hidden": [16]"#, total: 20_000, every: 3000, stopAt: 8000)
    }

    func testACERStopAndResumeWithAFullBuffer() throws {
        try assertStopAndResumeIsExact("acer", #""hidden": [16], "buffer_size": 2000, "replay_start": 500, "replay_ratio": 2"#,
                                       total: 16_000, every: 3000, stopAt: 8000)
    }

    func testAsyncStopAndResume() throws {
        try assertStopAndResumeIsExact("async", #""hidden": [16], "threads": 3, "method": "n_step_q""#, total: 16_000, every: 3000, stopAt: 8000)
    }

    func testWriteLoadKeepTwoAndDetectCorruption() throws {
        let dir = tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        var agent = AgentCheckpoint()
        agent.floats["params"] = (0..<100_000).map { Float($0) * 0.5 }            // compressed
        agent.floats["small"] = (0..<1000).map { Float($0) + 0.125 }               // stored raw
        agent.doubles["d"] = [1.5, -2]; agent.ints["counters"] = [7, 8, 9]; agent.words["rng"] = [1, 2, 3, UInt64.max]
        func make(_ step: Int64) -> RunCheckpoint {
            RunCheckpoint(runID: "r", step: step, update: step / 10, agent: agent,
                          loop: LoopState(episodeCount: 3, recentReturns: [1, 2], recentLengths: [3, 4], lastEval: 9.5, lastEvalStep: 4,
                                          nextEval: 8, nextCheckpoint: step + 10, wallSeconds: 1.25,
                                          evalEnv: EnvCheckpoint(reals: [0.1, 0.2], counters: [5], rng: [6, 7, 8, 9])),
                          tables: ["curve": ["step": [0, 4], "eval_return": [.nan, 9.5]]])
        }
        for step: Int64 in [10, 20, 30] { try make(step).write(to: dir) }
        let files = checkpointFiles(in: dir)
        XCTAssertEqual(files.map(\.lastPathComponent), [checkpointFileName(step: 30), checkpointFileName(step: 20)], "the newest two, newest first")
        let back = try RunCheckpoint.load(files[0])
        XCTAssertEqual(back.agent, agent)
        XCTAssertEqual(back.loop, make(30).loop)
        XCTAssertEqual(back.step, 30); XCTAssertEqual(back.update, 3)
        XCTAssertEqual(back.tables["curve"]?["step"], [0, 4])
        XCTAssertEqual(back.tables["curve"]?["eval_return"]?.map(\.bitPattern), [Double.nan.bitPattern, 9.5.bitPattern])
        XCTAssertFalse((try FileManager.default.contentsOfDirectory(atPath: dir.path)).contains { $0.hasSuffix(".tmp") }, "no temporary file left")

        // a flipped bit in an uncompressed array: HDF5 reads it without complaint, the checksum catches it
        var bytes = try Data(contentsOf: files[0])
        let needle = withUnsafeBytes(of: Float(777.125).bitPattern.littleEndian) { Data($0) }
        let r = try XCTUnwrap(bytes.range(of: needle), "the small array is stored raw")
        bytes[r.lowerBound] ^= 0x01
        try bytes.write(to: files[0])
        XCTAssertThrowsError(try RunCheckpoint.load(files[0])) { e in
            XCTAssertTrue("\(e)".contains("checksum mismatch"), "\(e)")
        }
        // a truncated file: refused with a message naming it
        let whole = try Data(contentsOf: files[1])
        try whole.prefix(whole.count / 3).write(to: files[1])
        XCTAssertThrowsError(try RunCheckpoint.load(files[1])) { e in
            XCTAssertTrue("\(e)".contains(files[1].lastPathComponent), "\(e)")
        }
    }

    /// A corrupt newest checkpoint is reported and the previous one used; the result is still exact.
    func testResumeSkipsACorruptNewestCheckpoint() throws {
        let cfg = try spec("a2c", #""hidden": [16]"#, total: 20_000, every: 2000).expand()[0]
        let whole = tempDir(), cut = tempDir()
        defer { for d in [whole, cut] { try? FileManager.default.removeItem(at: d) }; StopSignal.reset() }
        _ = try executeRun(cfg, dir: whole, provenance: Provenance(gitCommit: "test"))
        XCTAssertThrowsError(try executeRun(cfg, dir: cut, provenance: Provenance(gitCommit: "test")) { p in
            if p.step >= 12_000 { StopSignal.request() }
        })
        StopSignal.reset()
        let files = checkpointFiles(in: cut)
        XCTAssertEqual(files.count, 2)
        try Data("not an HDF5 file".utf8).write(to: files[0])
        let notes = NoteBox()
        _ = try executeRun(cfg, dir: cut, provenance: Provenance(gitCommit: "test"), start: RunStart(resume: true) { notes.add($0) })
        XCTAssertTrue(notes.all.contains { $0.contains("checkpoint skipped") && $0.contains(files[0].lastPathComponent) }, "\(notes.all)")
        let a = try datasetDigests(whole.appendingPathComponent("run.h5").path)
        let b = try datasetDigests(cut.appendingPathComponent("run.h5").path)
        XCTAssertEqual(a, b)
    }
}

final class NoteBox: @unchecked Sendable {
    let lock = NSLock()
    var all: [String] = []
    func add(_ s: String) { lock.lock(); all.append(s); lock.unlock() }
}
