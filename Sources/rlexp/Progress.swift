import Experiments
import Foundation

/// Sweep progress on stderr: on a terminal, one live line per running run, redrawn in place;
/// otherwise (logs, CI) only a line when a run finishes.
final class TerminalProgress: SweepObserver, @unchecked Sendable {
    let isTTY: Bool
    let lock = NSLock()
    var lines: [String: String] = [:]
    var order: [String] = []
    var drawn = 0
    var done = 0
    var total = 0
    var lastDraw = Date.distantPast

    init(isTTY: Bool) { self.isTTY = isTTY }

    func write(_ s: String) { FileHandle.standardError.write(Data(s.utf8)) }

    func sweepStarted(runs: [RunConfig], toRun: Int) {
        lock.lock(); defer { lock.unlock() }
        total = toRun
        let skipped = runs.count - toRun
        write("\(runs.count) run(s)" + (skipped > 0 ? ", \(skipped) already complete" : "") + "\n")
    }

    func runStarted(_ run: RunConfig) {
        lock.lock(); defer { lock.unlock() }
        order.append(run.runID)
        lines[run.runID] = "\(run.runID): starting"
        redraw(force: true)
    }

    func runProgress(_ run: RunConfig, _ p: RunProgress) {
        guard isTTY else { return }
        lock.lock(); defer { lock.unlock() }
        let pct = Double(p.step) / Double(max(p.total, 1)) * 100
        let ev = p.evalReturn.map { String(format: "eval %.1f", $0) } ?? ""
        lines[run.runID] = String(format: "%@: %5.1f%% %8lld/%d steps  %@  %.0f steps/s", run.runID, pct, p.step, p.total, ev, p.stepsPerSecond)
        redraw(force: false)
    }

    func runFinished(_ run: RunConfig, _ outcome: Result<RunOutcome, Error>) {
        lock.lock(); defer { lock.unlock() }
        done += 1
        clear()
        order.removeAll { $0 == run.runID }
        lines[run.runID] = nil
        switch outcome {
        case .success(let o):
            write(String(format: "[%d/%d] %@ done: final eval %.1f, %.1f s\n", done, total, run.runID, o.finalEvalReturn, o.wallSeconds))
        case .failure(let e as RunInterrupted):
            write("[\(done)/\(total)] \(run.runID) \(e)\n")
        case .failure(let e):
            write("[\(done)/\(total)] \(run.runID) FAILED: \(e)\n")
        }
        redraw(force: true)
    }

    func notice(_ message: String) {
        lock.lock(); defer { lock.unlock() }
        clear()
        write("note: \(message)\n")
        redraw(force: true)
    }

    func finish() { lock.lock(); clear(); lock.unlock() }

    private func clear() {
        guard isTTY, drawn > 0 else { return }
        write(String(repeating: "\u{1B}[1A\u{1B}[2K", count: drawn))
        drawn = 0
    }

    private func redraw(force: Bool) {
        guard isTTY, force || Date().timeIntervalSince(lastDraw) > 0.2 else { return }
        lastDraw = Date()
        clear()
        for id in order { if let l = lines[id] { write(l + "\n"); drawn += 1 } }
    }
}
