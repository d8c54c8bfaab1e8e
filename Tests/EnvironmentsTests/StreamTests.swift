import Environments
import NN
import XCTest

/// Each run's environments draw from their own streams: the evaluation environment never replays a
/// training copy's initial states, and training copies differ from one another.
final class StreamTests: XCTestCase {
    func firstObservations(_ rng: RNG, resets: Int = 3) -> [[Float]] {
        var env = Environments.make("CartPole-v1", rng: rng)!
        var o = [Float](repeating: 0, count: env.observationSize)
        return (0..<resets).map { _ in o.withUnsafeMutableBufferPointer { env.reset(into: $0.baseAddress!) }; return o }
    }

    func testEvaluationStreamIsNotATrainingCopysStream() {
        for seed in 0..<4 {
            let eval = firstObservations(Environments.evaluationStream(seed: seed))
            var seen = Set<[Float]>()
            for copy in 0..<64 {
                let train = firstObservations(Environments.trainingStream(seed: UInt64(seed), copy: copy))
                XCTAssertNotEqual(eval[0], train[0], "seed \(seed): evaluation starts where training copy \(copy) does")
                XCTAssertTrue(seen.insert(train[0]).inserted, "seed \(seed): training copy \(copy) repeats another copy's start")
            }
            XCTAssertNotEqual(eval, firstObservations(Environments.evaluationStream(seed: seed + 1)), "seeds share an evaluation stream")
            XCTAssertEqual(eval, firstObservations(Environments.evaluationStream(seed: seed)), "the evaluation stream is not reproducible")
        }
    }
}
