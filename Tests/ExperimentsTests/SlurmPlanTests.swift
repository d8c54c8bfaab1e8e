import Experiments
import Foundation
import XCTest

/// The Slurm plan and the run-folder states it is built from.
final class SlurmPlanTests: XCTestCase {
    func spec(_ text: String) throws -> Spec { try Spec.decode(try JSONParser.parse(text), file: "t.json", fallbackName: "t") }

    func testPlanHasOneTaskPerRunNotCompleteAndTheRunsCores() throws {
        let s = try spec(#"{"name": "p", "env": "CartPole-v1", "algo": "async", "total_steps": 1000, "seeds": 3, "hyperparameters": {"threads": 4, "execution": "threads"}}"#)
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("rlexp-slurm-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: out) }
        let runs = s.expand()
        let runsDir = out.appendingPathComponent("runs")
        XCTAssertEqual(runs.map { runState($0, runsDir: runsDir) }, [.pending, .pending, .pending])
        // a failed run and a started one, from their files
        for (r, file) in [(runs[1], "failed.json"), (runs[2], "run.h5.partial")] {
            let d = runsDir.appendingPathComponent(r.runID)
            try FileManager.default.createDirectory(at: d, withIntermediateDirectories: true)
            try #"{"error": "boom"}"#.write(to: d.appendingPathComponent(file), atomically: true, encoding: .utf8)
        }
        XCTAssertEqual(runs.map { runState($0, runsDir: runsDir) }, [.pending, .failed, .interrupted], "started, nobody holds its lock")
        do {
            // a process holding the run folder's lock is running it
            let lock = try DirectoryLock(path: runsDir.appendingPathComponent(runs[2].runID).appendingPathComponent(runLockFileName).path)
            XCTAssertEqual(runState(runs[2], runsDir: runsDir), .running)
            XCTAssertThrowsError(try DirectoryLock(path: lock.path)) { e in
                XCTAssertTrue("\(e)".contains("PID \(getpid())"), "the refusal names the holder: \(e)")
            }
        }
        XCTAssertEqual(runState(runs[2], runsDir: runsDir), .interrupted, "the lock goes with its holder")
        XCTAssertEqual(runFailure(runs[1], runsDir: runsDir), "boom")
        let plan = SlurmPlan(spec: s, specPath: out.path + "/spec.json", outDir: out, rlexp: "/opt/rl exp/rlexp",
                             options: .init(partition: "cpu", time: "00:10:00", arrayLimit: 2))
        XCTAssertEqual(plan.runIDs, runs.map(\.runID), "none is complete, so all three are submitted")
        for line in ["#SBATCH --array=0-2%2", "#SBATCH --cpus-per-task=4", "#SBATCH --partition=cpu", "#SBATCH --time=00:10:00",
                     "exec '/opt/rl exp/rlexp' run '\(out.path)/spec.json' --out '\(out.path)' --run-id \"$RUN_ID\""] {
            XCTAssertTrue(plan.arrayScript.contains(line), "array script lacks \(line):\n\(plan.arrayScript)")
        }
        XCTAssertTrue(plan.reportScript.contains("exec '/opt/rl exp/rlexp' report '\(out.path)'"), plan.reportScript)
        XCTAssertFalse(plan.reportScript.contains("--array"))
        // an explicit --cpus-per-task wins; deterministic runs need one core
        let d = try spec(#"{"name": "p", "env": "CartPole-v1", "algo": "async", "total_steps": 1000, "hyperparameters": {"threads": 4}}"#)
        XCTAssertTrue(SlurmPlan(spec: d, specPath: "s", outDir: out, rlexp: "r", options: .init()).arrayScript.contains("--cpus-per-task=1"))
        XCTAssertTrue(SlurmPlan(spec: d, specPath: "s", outDir: out, rlexp: "r", options: .init(cpusPerTask: 3)).arrayScript.contains("--cpus-per-task=3"))
    }

    func testSelectRunByIndexOrID() throws {
        let s = try spec(#"{"env": "CartPole-v1", "algo": "a2c", "total_steps": 1000, "seeds": 2}"#)
        let runs = s.expand()
        XCTAssertEqual(try selectRun(s, index: 1, runID: nil).runID, runs[1].runID)
        XCTAssertEqual(try selectRun(s, index: nil, runID: runs[0].runID).seed, 0)
        XCTAssertThrowsError(try selectRun(s, index: 2, runID: nil)) { XCTAssertEqual("\($0)", "--index 2: the sweep t has 2 run(s), indices 0…1") }
        XCTAssertThrowsError(try selectRun(s, index: nil, runID: "nope"))
    }
}
