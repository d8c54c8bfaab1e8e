import NN

// Aggregate metrics over many tasks and runs, and their stratified-bootstrap confidence intervals,
// as defined by Agarwal et al. 2021, "Deep Reinforcement Learning at the Edge of the Statistical
// Precipice" (NeurIPS), and its library rliable (`rliable.metrics`, `rliable.library`).
//
// Layout of the scores everywhere in this file: `scores[task][run]`, one array per task holding the
// final score of each of its runs (seeds). A task is whatever is aggregated over: an environment, or
// a configuration. Tasks may have different numbers of runs ("ragged" input); rliable's matrix is
// `runs × tasks`, the transpose of this layout when it is rectangular. On a rectangular matrix every
// function here equals rliable's; Tests/fixtures/rliable/make_fixture.py holds the reference.
//
// NaN: a NaN score makes every aggregate NaN (and the interval NaN): a diverged run is not dropped
// silently, which would bias the aggregate upwards. Filter explicitly first if that is what you want.
// An empty task list, or a task with no runs, also gives NaN.

/// An aggregate of a `tasks × runs` score set, as in rliable.
///
/// All four are computed from the same resamples by ``intervalEstimates(_:aggregates:gamma:reps:seed:level:)``,
/// and `Aggregate.iqm(scores)` evaluates the point estimate.
public enum Aggregate: String, CaseIterable, Sendable {
    /// ``aggregateMean(_:)``: mean over tasks of the per-task mean over runs.
    case mean
    /// ``aggregateMedian(_:)``: median over tasks of the per-task means.
    case median
    /// ``aggregateIQM(_:)``: interquartile mean of all scores pooled.
    case iqm
    /// ``aggregateOptimalityGap(_:gamma:)``: γ − mean of min(score, γ). Lower is better.
    case optimalityGap

    /// The point estimate of this aggregate; `gamma` is used by `.optimalityGap` only.
    public func callAsFunction(_ scores: [[Double]], gamma: Double = 1) -> Double {
        switch self {
        case .mean: return aggregateMean(scores)
        case .median: return aggregateMedian(scores)
        case .iqm: return aggregateIQM(scores)
        case .optimalityGap: return aggregateOptimalityGap(scores, gamma: gamma)
        }
    }
}

/// A point estimate and a percentile-bootstrap confidence interval `[lo, hi]`.
///
/// What does not hold: the interval need not be symmetric around `point` (IQM's, median's and the
/// optimality gap's usually are not), and a percentile interval is not even guaranteed to contain
/// `point` (it can miss it for the median, where the bootstrap distribution is lumpy and biased).
public struct AggregateEstimate: Sendable, Equatable {
    public var point: Double
    public var lo: Double
    public var hi: Double
    public init(point: Double, lo: Double, hi: Double) { self.point = point; self.lo = lo; self.hi = hi }
}

// MARK: - Normalization

/// Normalized score `(score − random) / (reference − random)`: `random` maps to 0, `reference` to 1
/// (e.g. random-policy and human or best-known returns, as for Atari's human-normalized scores).
///
/// `reference` must differ from `random` (otherwise the result is ±∞ or NaN). If `reference < random`
/// (a lower-is-better score), higher normalized values still mean closer to the reference. Scores
/// outside `[random, reference]` map outside `[0, 1]`; nothing is clipped here (the optimality gap
/// clips at γ itself).
@inlinable
public func normalize(_ score: Double, random: Double, reference: Double) -> Double {
    (score - random) / (reference - random)
}

/// Normalizes every run of each task with that task's `random[task]` and `reference[task]`
/// (one pair per task, as `scores[task][run]`).
public func normalize(_ scores: [[Double]], random: [Double], reference: [Double]) -> [[Double]] {
    precondition(random.count == scores.count && reference.count == scores.count,
                 "normalize: \(scores.count) tasks but \(random.count) random and \(reference.count) reference scores")
    return scores.indices.map { t in scores[t].map { normalize($0, random: random[t], reference: reference[t]) } }
}

// MARK: - Point estimates

/// Mean over tasks of the per-task mean over runs (rliable's `aggregate_mean`):
/// `(1/T) Σ_t (1/n_t) Σ_r x[t][r]`.
///
/// Each task weighs the same whatever its number of runs; on a rectangular matrix this is the mean
/// of all scores. Sensitive to outlier tasks (one task with a huge normalized score dominates), which
/// is why the paper prefers the IQM.
public func aggregateMean(_ scores: [[Double]]) -> Double {
    guard isWellFormed(scores) else { return .nan }
    return taskMeans(scores).reduce(0, +) / Double(scores.count)
}

/// Median over tasks of the per-task means (rliable's `aggregate_median`, numpy's `median`: with an
/// even number of tasks, the average of the two middle task means).
///
/// Robust to outlier tasks but ignores all but one or two tasks' values, so its bootstrap
/// distribution is lumpy and its interval wide; with few tasks it has a large bias.
public func aggregateMedian(_ scores: [[Double]]) -> Double {
    guard isWellFormed(scores) else { return .nan }
    var m = taskMeans(scores)
    return medianInPlace(&m)
}

/// Interquartile mean of all scores pooled over runs and tasks (rliable's `aggregate_iqm`, which is
/// `scipy.stats.trim_mean(scores, proportiontocut=0.25, axis=None)`); see ``trimmedMean(_:proportionToCut:)``.
///
/// What does not hold:
/// - it is the mean of exactly the middle 50% only when the number of scores `n` is divisible by 4:
///   scipy cuts `⌊n/4⌋` scores from each end and weighs the boundary scores fully, so it keeps
///   `n − 2⌊n/4⌋` of them (4 of 6, 5 of 9, all of n ≤ 3, where it is the plain mean);
/// - the scores are pooled: with ragged input a task with more runs weighs more (unlike
///   ``aggregateMean(_:)``), and it is not the mean of per-task IQMs;
/// - its bootstrap interval is not symmetric around it.
public func aggregateIQM(_ scores: [[Double]]) -> Double {
    guard isWellFormed(scores) else { return .nan }
    return trimmedMean(scores.flatMap { $0 }, proportionToCut: 0.25)
}

/// Optimality gap `γ − (1/T) Σ_t (1/n_t) Σ_r min(x[t][r], γ)` (rliable's `aggregate_optimality_gap`,
/// `gamma - np.mean(np.minimum(scores, gamma))`): how far the scores fall short of the target γ,
/// with scores above γ counting as γ. Lower is better; 0 means every run reached γ.
///
/// The default γ = 1 is the target on normalized scores (``normalize(_:random:reference:)``: reaching
/// the reference score); on raw scores pass a γ on their scale. With ragged input tasks weigh
/// equally, as in ``aggregateMean(_:)`` (so with every score ≤ γ it is `γ − aggregateMean`); on a
/// rectangular matrix this is rliable's pooled mean.
public func aggregateOptimalityGap(_ scores: [[Double]], gamma: Double = 1) -> Double {
    guard isWellFormed(scores) else { return .nan }
    var s = 0.0
    for task in scores { s += task.reduce(0) { $0 + min($1, gamma) } / Double(task.count) }
    return gamma - s / Double(scores.count)
}

/// Trimmed mean as `scipy.stats.trim_mean(values, proportionToCut)`: sort, cut `k = ⌊p·n⌋` values
/// from each end, and average the `n − 2k` left.
///
/// `proportionToCut` ∈ [0, 0.5): the count cut is rounded down, never interpolated, so the proportion
/// kept is at least `1 − 2p` and not exactly it (0.25 keeps 4 of 6 values). NaN for no values or a
/// NaN among them.
public func trimmedMean(_ values: [Double], proportionToCut p: Double) -> Double {
    precondition(p >= 0 && p < 0.5, "trimmedMean: proportionToCut must be in [0, 0.5), got \(p)")
    guard !values.isEmpty, !values.contains(where: \.isNaN) else { return .nan }
    var s = values
    s.sort()
    return trimmedMeanOfSorted(s, p)
}

// MARK: - Stratified bootstrap

/// The point estimate of `aggregate` and its stratified-bootstrap percentile confidence interval, as
/// rliable's `get_interval_estimates(..., method='percentile')` with `StratifiedBootstrap`.
///
/// Each of `reps` resamples draws, independently within each task, as many runs as the task has,
/// uniformly with replacement from that task's runs (the tasks themselves stay fixed: the interval
/// reflects run-to-run, i.e. seed, variability on these tasks, not the choice of tasks). The
/// interval is the `(1 − level)/2` and `(1 + level)/2` quantiles (numpy's linear interpolation, as
/// ``quantile(sorted:_:)``) of the aggregate over the resamples.
///
/// - Parameters:
///   - scores: `scores[task][run]`; ragged allowed. A task with one run contributes that run to every
///     resample, i.e. no variability.
///   - gamma: the optimality gap's target; ignored by the other aggregates.
///   - reps: number of resamples, ≥ 1 (a useful interval needs hundreds). The endpoints are
///     Monte-Carlo estimates with standard deviation ≈ `√(α(1−α)/reps) / f(q_α)` (f the bootstrap
///     density at the endpoint): for a roughly normal bootstrap distribution with standard error σ
///     that is ≈ 0.06σ at the default 2000 (≈ 3% of the half-width 1.96σ), small next to the interval
///     and cheap enough for one interval per configuration and aggregate in a report. rliable's
///     `get_interval_estimates` defaults to 50,000 (≈ 0.012σ); pass that for publication numbers.
///   - seed: the resampling stream's seed. Fixed by default so that two readers of the same scores
///     compute the same interval; the result depends only on `scores`, `reps`, `seed` and `level`
///     (not on which other aggregates are computed alongside).
///   - level: coverage of the interval, in (0, 1). The nominal coverage is not guaranteed: with few
///     runs per task percentile intervals tend to be too narrow (the bootstrap variance of a task's
///     mean over n runs is (n−1)/n · s²/n, s² the unbiased sample variance: 2/3 of it with 3 runs),
///     and over lumpy (tied, few-valued) scores the bootstrap distribution has atoms, so an endpoint
///     sits on one attainable value and can jump to the next with the seed or `reps`.
/// - Returns: NaN point and interval for empty input, an empty task, or a NaN score.
public func intervalEstimate(_ scores: [[Double]], aggregate: Aggregate, gamma: Double = 1,
                             reps: Int = 2000, seed: UInt64 = 0, level: Double = 0.95) -> AggregateEstimate {
    intervalEstimates(scores, aggregates: [aggregate], gamma: gamma, reps: reps, seed: seed, level: level)[aggregate]!
}

/// ``intervalEstimate(_:aggregate:gamma:reps:seed:level:)`` for several aggregates from the same
/// resamples (each one's result equals its single-aggregate call with the same arguments).
public func intervalEstimates(_ scores: [[Double]], aggregates: [Aggregate] = Aggregate.allCases, gamma: Double = 1,
                              reps: Int = 2000, seed: UInt64 = 0, level: Double = 0.95) -> [Aggregate: AggregateEstimate] {
    precondition(level > 0 && level < 1, "intervalEstimate: level must be in (0, 1), got \(level)")
    var out: [Aggregate: AggregateEstimate] = [:]
    let aggs = Array(Set(aggregates)).sorted { $0.index < $1.index }
    guard isWellFormed(scores) else {
        for a in aggs { out[a] = AggregateEstimate(point: .nan, lo: .nan, hi: .nan) }
        return out
    }
    let replicates = stratifiedBootstrapReplicates(scores, aggregates: aggs, gamma: gamma, reps: reps, seed: seed)
    let alpha = (1 - level) / 2
    for (a, var r) in zip(aggs, replicates) {
        r.sort()
        out[a] = AggregateEstimate(point: a(scores, gamma: gamma),
                                   lo: quantile(sorted: r, alpha), hi: quantile(sorted: r, 1 - alpha))
    }
    return out
}

/// The aggregates of each stratified-bootstrap resample, unsorted: `result[i][b]` is
/// `aggregates[i]` on resample `b` (b < reps). The resamples are those of
/// ``intervalEstimate(_:aggregate:gamma:reps:seed:level:)`` with the same `scores`, `reps` and
/// `seed`: per resample, for each task in order, one `RNG.int(below: n_task)` per run, from
/// `RNG(seed: seed, stream: RNG.label("stratified-bootstrap"))`. For plots of the bootstrap
/// distribution and for Monte-Carlo checks. Empty input, an empty task or a NaN score give NaNs.
public func stratifiedBootstrapReplicates(_ scores: [[Double]], aggregates: [Aggregate], gamma: Double = 1,
                                          reps: Int, seed: UInt64 = 0) -> [[Double]] {
    precondition(reps >= 1, "stratifiedBootstrapReplicates: reps must be ≥ 1, got \(reps)")
    guard isWellFormed(scores) else { return aggregates.map { _ in [Double](repeating: .nan, count: reps) } }
    let wantPooled = aggregates.contains(.iqm)
    let nTasks = scores.count
    let nTotal = scores.reduce(0) { $0 + $1.count }
    var rng = RNG(seed: seed, stream: RNG.label("stratified-bootstrap"))
    var out = aggregates.map { _ in [Double](repeating: 0, count: reps) }
    var pooled = [Double](repeating: 0, count: nTotal)
    var means = [Double](repeating: 0, count: nTasks)
    var clippedMeans = [Double](repeating: 0, count: nTasks)
    var sortedMeans = [Double](repeating: 0, count: nTasks)
    for b in 0..<reps {
        var k = 0
        for t in 0..<nTasks {
            let task = scores[t], n = task.count
            var s = 0.0, sc = 0.0
            for _ in 0..<n {
                let x = task[rng.int(below: n)]
                s += x
                sc += min(x, gamma)
                if wantPooled { pooled[k] = x; k += 1 }
            }
            means[t] = s / Double(n)
            clippedMeans[t] = sc / Double(n)
        }
        for (i, a) in aggregates.enumerated() {
            switch a {
            case .mean: out[i][b] = means.reduce(0, +) / Double(nTasks)
            case .median:
                for t in 0..<nTasks { sortedMeans[t] = means[t] }
                sortSmall(&sortedMeans)
                out[i][b] = medianOfSorted(sortedMeans)
            case .iqm:
                sortSmall(&pooled)
                out[i][b] = trimmedMeanOfSorted(pooled, 0.25)
            case .optimalityGap: out[i][b] = gamma - clippedMeans.reduce(0, +) / Double(nTasks)
            }
        }
    }
    return out
}

// MARK: - Helpers

private extension Aggregate {
    var index: Int { Aggregate.allCases.firstIndex(of: self)! }
}

private func isWellFormed(_ scores: [[Double]]) -> Bool {
    !scores.isEmpty && scores.allSatisfy { !$0.isEmpty && !$0.contains(where: \.isNaN) }
}

private func taskMeans(_ scores: [[Double]]) -> [Double] {
    scores.map { $0.reduce(0, +) / Double($0.count) }
}

/// numpy's median: the middle value, or the mean of the two middle values.
private func medianInPlace(_ x: inout [Double]) -> Double {
    x.sort()
    return medianOfSorted(x)
}

private func medianOfSorted(_ x: [Double]) -> Double {
    let n = x.count
    return n % 2 == 1 ? x[n / 2] : (x[n / 2 - 1] + x[n / 2]) / 2
}

/// Ascending sort (no NaNs): insertion sort for the short arrays of a bootstrap resample, where it
/// beats the generic `sort()` (which is not specialized in debug builds); `sort()` beyond 32.
private func sortSmall(_ x: inout [Double]) {
    guard x.count <= 32 else { x.sort(); return }
    x.withUnsafeMutableBufferPointer { p in
        for i in 1..<max(p.count, 1) {
            let v = p[i]
            var j = i
            while j > 0 && p[j - 1] > v { p[j] = p[j - 1]; j -= 1 }
            p[j] = v
        }
    }
}

/// scipy's trim_mean of already sorted values: `int(p * n)` cut from each end.
private func trimmedMeanOfSorted(_ s: [Double], _ p: Double) -> Double {
    let n = s.count
    let cut = Int(p * Double(n))
    var sum = 0.0
    for i in cut..<(n - cut) { sum += s[i] }
    return sum / Double(n - 2 * cut)
}
