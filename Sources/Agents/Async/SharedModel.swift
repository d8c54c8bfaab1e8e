import Atomics
import CKernels
import Foundation
import NN

/// The shared half of the asynchronous methods: the global parameters θ, the target parameters θ⁻
/// (Q methods), the shared RMSProp statistics `g` (the paper's best variant; nil when every
/// actor-learner keeps its own), and the global step counter `T`.
///
/// Actor-learners read θ with `sync(into:)` (θ′ ← θ) and write it with `apply(_:lr:)`. Under
/// `lockedApply` both hold one lock, so an update is never seen half-applied; without it they run
/// lock-free, Hogwild-style as in the paper (concurrent float writes on x86-64 do not tear, and an
/// update may be seen partly applied). The buffers are raw memory, not Swift arrays, so threads
/// share them without copy-on-write. `T` counts environment steps of all actor-learners.
public final class SharedModel: @unchecked Sendable {
    public let count: Int
    let theta: UnsafeMutablePointer<Float>
    let target: UnsafeMutablePointer<Float>?
    let ms: UnsafeMutablePointer<Float>?
    let alpha: Float, epsilon: Float
    let lockedApply: Bool
    let lock = SpinThenBlockLock()
    /// Global environment steps, T.
    public let T = ManagedAtomic<Int64>(0)
    /// Updates applied to θ.
    public let updates = ManagedAtomic<Int64>(0)
    /// θ⁻ was last copied from θ when T crossed this multiple of the target interval.
    var targetEpoch: Int64 = 0

    public init(parameters: [Float], withTarget: Bool, sharedStatistics: Bool, alpha: Float, epsilon: Float, lockedApply: Bool) {
        count = parameters.count
        theta = .allocate(capacity: count)
        theta.initialize(from: parameters, count: count)
        if withTarget {
            target = .allocate(capacity: count)
            target!.initialize(from: parameters, count: count)
        } else { target = nil }
        if sharedStatistics {
            ms = .allocate(capacity: count)
            ms!.initialize(repeating: 1, count: count)   // TensorFlow's RMSProp starts its mean square at 1
        } else { ms = nil }
        self.alpha = alpha; self.epsilon = epsilon; self.lockedApply = lockedApply
    }

    deinit {
        theta.deallocate(); target?.deallocate(); ms?.deallocate()
    }

    /// θ′ ← θ.
    func sync(into local: UnsafeMutablePointer<Float>) {
        if lockedApply { lock.lock() }
        local.update(from: theta, count: count)
        if lockedApply { lock.unlock() }
    }

    /// One RMSProp step of θ with the accumulated gradient `dθ`, using the shared statistics or the
    /// learner's own (`ownStatistics`, when the statistics are per thread). With `syncInto`, also
    /// θ′ ← θ right after the step, under the same lock hold and while θ is in this core's cache:
    /// the threads driver's next segment starts from it instead of reading θ again.
    func apply(_ grads: UnsafePointer<Float>, lr: Float, ownStatistics: UnsafeMutablePointer<Float>?,
               syncInto local: UnsafeMutablePointer<Float>? = nil) {
        if lockedApply { lock.lock() }
        rmspropStep(theta, ms: ms ?? ownStatistics!, grads, count: count, lr: lr, alpha: alpha, epsilon: epsilon)
        if let local { local.update(from: theta, count: count) }
        if lockedApply { lock.unlock() }
        updates.wrappingIncrement(ordering: .relaxed)
    }

    /// θ⁻ ← θ when `T` has passed the next multiple of `interval` since the last copy.
    func updateTargetIfDue(T now: Int64, interval: Int64) {
        guard let target, interval > 0 else { return }
        lock.lock(); defer { lock.unlock() }
        let epoch = now / interval
        guard epoch > targetEpoch else { return }
        targetEpoch = epoch
        target.update(from: theta, count: count)
    }

    public var parameters: [Float] { [Float](UnsafeBufferPointer(start: theta, count: count)) }
    public var targetParameters: [Float]? { target.map { [Float](UnsafeBufferPointer(start: $0, count: count)) } }
    public var statistics: [Float]? { ms.map { [Float](UnsafeBufferPointer(start: $0, count: count)) } }
}

/// A mutex for critical sections of a few microseconds (one RMSProp step of θ, and θ′ ← θ): a
/// waiter watches the lock's flag (reading it, with the `pause` hint, so that the holder keeps the
/// cache line) and tries to take it when it looks free, a bounded number of times, and only then
/// blocks in the kernel. With a plain `NSLock` (a glibc mutex, which does not spin) a waiter went
/// to sleep whenever the other learner held the lock and the two then took turns at the wake-up
/// latency: runs of 2 learners on 2 cores switched context 40-65k times in 2M steps and took up to
/// 1.6× as long as the others. Blocking after the spin keeps more learners than cores from
/// spinning on a holder that is not running.
final class SpinThenBlockLock: @unchecked Sendable {
    private let mutex = NSLock()
    /// Advisory: true while someone holds `mutex` (only read to decide when to try it).
    private let held = ManagedAtomic<Bool>(false)
    /// Looks at the flag before blocking (about 100 µs of waiting on a current core).
    static let spins = 2000

    @inline(__always) func lock() {
        for _ in 0..<Self.spins {
            if !held.load(ordering: .relaxed) && mutex.try() {
                held.store(true, ordering: .relaxed)
                return
            }
            rlexp_cpu_relax()
        }
        mutex.lock()
        held.store(true, ordering: .relaxed)
    }

    @inline(__always) func unlock() {
        held.store(false, ordering: .relaxed)
        mutex.unlock()
    }
}
