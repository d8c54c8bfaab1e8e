import NN

/// A heap buffer with a stable address (MLPWorkspace keeps the input pointer between forward and
/// backward, so the tests must not hand it a pointer that escapes `withUnsafeBufferPointer`).
final class Buffer {
    let count: Int
    let p: UnsafeMutablePointer<Float>
    init(_ values: [Float]) {
        count = values.count
        p = .allocate(capacity: max(count, 1))
        p.initialize(from: values, count: count)
    }
    convenience init(repeating v: Float, count: Int) { self.init([Float](repeating: v, count: count)) }
    var array: [Float] { Array(UnsafeBufferPointer(start: p, count: count)) }
    deinit { p.deallocate() }
}
