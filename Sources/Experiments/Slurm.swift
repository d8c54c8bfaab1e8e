import Agents
import Foundation

/// A sweep as Slurm jobs: a job array with one task per run that is not complete (task i runs line
/// i + 1 of `slurm/runs.txt` with `rlexp run SPEC --run-id ID`, writing only its own run folder),
/// and a report job that depends on the whole array (`afterany`) and rebuilds the manifest from the
/// run folders and the report, listing the runs that failed.
public struct SlurmPlan: Sendable {
    public struct Options: Sendable {
        public var partition: String?
        public var time: String?
        public var cpusPerTask: Int?
        public var mem: String?
        public var account: String?
        public var arrayLimit: Int?
        public init(partition: String? = nil, time: String? = nil, cpusPerTask: Int? = nil, mem: String? = nil,
                    account: String? = nil, arrayLimit: Int? = nil) {
            self.partition = partition; self.time = time; self.cpusPerTask = cpusPerTask; self.mem = mem
            self.account = account; self.arrayLimit = arrayLimit
        }
    }

    /// Run ids of the array's tasks, in task order.
    public var runIDs: [String]
    public var arrayScript: String
    public var reportScript: String

    /// - Parameters:
    ///   - rlexp: absolute path of the rlexp binary the jobs run (on a filesystem the nodes share).
    ///   - outDir: absolute results folder (shared too); the scripts live in `outDir/slurm/`.
    public init(spec: Spec, specPath: String, outDir: URL, rlexp: String, options: Options, force: Bool = false) {
        let runsDir = outDir.appendingPathComponent("runs")
        let todo = spec.expand().filter { force || runState($0, runsDir: runsDir) != .complete }
        runIDs = todo.map(\.runID)
        // a run on real threads keeps that many cores busy (the async methods' `threads`)
        let cores = todo.map { r in Algorithms.named(r.algo)?.cores(r.hyperparameters) ?? 1 }.max() ?? 1
        let slurmDir = outDir.appendingPathComponent("slurm").path
        func q(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'" }
        var common: [String] = []
        if let p = options.partition { common.append("#SBATCH --partition=\(p)") }
        if let a = options.account { common.append("#SBATCH --account=\(a)") }
        if let t = options.time { common.append("#SBATCH --time=\(t)") }
        if let m = options.mem { common.append("#SBATCH --mem=\(m)") }
        let limit = options.arrayLimit.map { "%\($0)" } ?? ""
        arrayScript = """
            #!/bin/bash
            # rlexp: one array task per run of \(spec.name) (written by `rlexp submit`)
            #SBATCH --job-name=rlexp-\(spec.name)
            #SBATCH --array=0-\(max(todo.count - 1, 0))\(limit)
            #SBATCH --cpus-per-task=\(options.cpusPerTask ?? cores)
            #SBATCH --output=\(slurmDir)/logs/run-%A_%a.out
            \(common.joined(separator: "\n"))
            set -euo pipefail
            RUN_ID=$(sed -n "$((SLURM_ARRAY_TASK_ID + 1))p" \(q(slurmDir + "/runs.txt")))
            exec \(q(rlexp)) run \(q(specPath)) --out \(q(outDir.path)) --run-id "$RUN_ID"\(force ? " --force" : "")

            """
        reportScript = """
            #!/bin/bash
            # rlexp: the report of \(spec.name) once every array task has ended (afterany: also after failures)
            #SBATCH --job-name=rlexp-\(spec.name)-report
            #SBATCH --cpus-per-task=1
            #SBATCH --output=\(slurmDir)/logs/report-%j.out
            \(common.joined(separator: "\n"))
            set -euo pipefail
            exec \(q(rlexp)) report \(q(outDir.path))

            """
    }
}
