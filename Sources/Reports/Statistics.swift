import NN

/// Mean and a percentile-bootstrap 95% confidence interval of the mean.
public struct MeanCI: Sendable, Equatable {
    public var mean: Double
    public var lo: Double
    public var hi: Double
    public var n: Int
    public init(mean: Double, lo: Double, hi: Double, n: Int) { self.mean = mean; self.lo = lo; self.hi = hi; self.n = n }
}

/// Percentile bootstrap CI of the mean of `x` (`resamples` resamples with replacement, the 2.5% and
/// 97.5% quantiles of the resampled means). The bootstrap's randomness comes from a fixed seed so
/// that two readers of the same data compute the same interval. NaNs are dropped first; with one
/// value the interval is that value.
public func bootstrapMeanCI(_ x0: [Double], resamples: Int = 10_000, seed: UInt64 = 0, level: Double = 0.95) -> MeanCI {
    let x = x0.filter { !$0.isNaN }
    guard !x.isEmpty else { return MeanCI(mean: .nan, lo: .nan, hi: .nan, n: 0) }
    let m = x.reduce(0, +) / Double(x.count)
    if x.count == 1 { return MeanCI(mean: m, lo: m, hi: m, n: 1) }
    var rng = RNG(seed: seed, stream: RNG.label("bootstrap"))
    var means = [Double](repeating: 0, count: resamples)
    for b in 0..<resamples {
        var s = 0.0
        for _ in 0..<x.count { s += x[rng.int(below: x.count)] }
        means[b] = s / Double(x.count)
    }
    means.sort()
    let alpha = (1 - level) / 2
    return MeanCI(mean: m, lo: quantile(sorted: means, alpha), hi: quantile(sorted: means, 1 - alpha), n: x.count)
}

/// Linear-interpolation quantile (numpy's default "linear" method) of sorted data.
public func quantile(sorted s: [Double], _ q: Double) -> Double {
    precondition(!s.isEmpty)
    let pos = q * Double(s.count - 1)
    let i = Int(pos.rounded(.down)), f = pos - Double(i)
    return i + 1 < s.count ? s[i] + f * (s[i + 1] - s[i]) : s[i]
}
