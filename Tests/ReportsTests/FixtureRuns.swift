import Experiments
import Foundation
import HDF5

/// A small results folder written by hand (not by training): each run.h5 has exactly the
/// attributes and `/curve` and `/updates` columns the report and the golden check read, with values
/// chosen so that every expected number can be worked out on paper.
struct FixtureRun {
    var runID: String
    var label: String
    var seed: Int
    /// `/curve/eval_return` at steps 0, 1000, 2000, …
    var evalReturns: [Double]
    var wallSeconds: Double = 10
    /// `/updates/loss` values (one per update, `step` = 40 × update): long enough for several
    /// 256-row digest chunks.
    var updates: Int = 600
    /// `/curve/step` when the evaluations did not land on the multiples of the interval (default
    /// 0, 1000, 2000, …).
    var steps: [Double]? = nil
    /// Values added to single rows of `/updates/loss`.
    var lossEdits: [Int: Double] = [:]
    var algo = "a2c"
    /// The run's environment, when not the one given to `writeFixtureResults`.
    var env: String? = nil
}

func writeFixtureResults(_ runs: [FixtureRun], totalSteps: Int = 2000, env: String = "CartPole-v1", threshold: Double? = 475) throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rlexp-fixture-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir.appendingPathComponent("runs"), withIntermediateDirectories: true)
    var items: [JSON] = []
    for r in runs {
        let runDir = dir.appendingPathComponent("runs/\(r.runID)")
        let env = r.env ?? env
        try FileManager.default.createDirectory(at: runDir, withIntermediateDirectories: true)
        let f = try H5File.create(runDir.appendingPathComponent("run.h5").path)
        let root = f.root
        let config = "{\"algo\":\"\(r.algo)\",\"env\":\"\(env)\",\"hyperparameters\":{\"lr\":\(r.label == "base" ? "0.0007" : "0.001")},\"seed\":\(r.seed)}"
        try root.setAttribute("run_id", r.runID)
        try root.setAttribute("config_id", "cfg-" + r.label)
        try root.setAttribute("config_label", r.label)
        try root.setAttribute("config", config)
        try root.setAttribute("seed", Int64(r.seed))
        try root.setAttribute("env", env)
        try root.setAttribute("algo", r.algo)
        try root.setAttribute("eval_episodes", Int64(10))
        try root.setAttribute("eval_interval", Int64(1000))
        try root.setAttribute("total_steps", Int64(totalSteps))
        if let threshold { try root.setAttribute("solve_threshold", threshold) }
        try root.setAttribute("wall_seconds", r.wallSeconds)
        try root.setAttribute("fps", Double(totalSteps) / r.wallSeconds)
        try root.setAttribute("git_commit", "0123456789abcdef0123456789abcdef01234567")
        try root.setAttribute("status", "complete")
        let curve = try root.createGroup("curve")
        let n = r.evalReturns.count
        try curve.write("step", r.steps ?? (0..<n).map { Double($0 * 1000) })
        try curve.write("eval_return", r.evalReturns)
        let wall = try curve.write("wall_s", (0..<n).map { Double($0) * r.wallSeconds / Double(max(1, n - 1)) })
        try wall.setAttribute("wall_clock", Int8(1))
        let updates = try root.createGroup("updates")
        try updates.write("step", (1...r.updates).map { Double($0 * 40) })
        var loss = (1...r.updates).map { 1 / Double($0) }
        for (row, delta) in r.lossEdits { loss[row] += delta }
        try updates.write("loss", loss)
        f.close()
        items.append(.object([("run_id", .string(r.runID)), ("seed", .int(r.seed)), ("status", .string("complete"))]))
    }
    let manifest = JSON.object([("spec_name", .string("fixture")), ("spec_hash", .string("feedfacefeedface")), ("runs", .array(items))])
    try manifest.pretty().write(to: dir.appendingPathComponent("manifest.json"), atomically: true, encoding: .utf8)
    return dir
}
