// libFuzzer harness (LLVMFuzzerTestOneInput) for the spec decoder: the same entry point as `rlexp validate` and
// Tests/ExperimentsTests/SpecFuzzTests.swift (`Spec.load(data:file:fallbackName:)`, then
// `expand()`). Built by Tests/fuzz/run_fuzz.sh with `-sanitize=fuzzer` (not part of the normal
// build). Every input must end in a SpecError whose problems say where, or in a valid spec with a
// bounded expansion; anything else traps, and libFuzzer keeps the input as a crash artifact.
import Experiments
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func specFuzzerTestOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Data(bytes: data, count: size)
    do {
        let spec = try Spec.load(data: bytes, file: "fuzz.json", fallbackName: "fuzz")
        let runs = spec.expand()
        precondition((1...Spec.maxRuns).contains(runs.count), "a valid spec expands to \(runs.count) runs")
        precondition(Set(runs.map(\.runID)).count == runs.count, "repeated run ids")
        // spec.json is written from the source and read back on resume
        precondition((try? JSONParser.parse(spec.source.pretty())) == spec.source, "the source does not round-trip")
    } catch let e as SpecError {
        precondition(!e.problems.isEmpty, "a SpecError without a problem")
        for p in e.problems {
            precondition(p.count <= 2_000, "a problem of \(p.count) characters")
            precondition(!p.unicodeScalars.contains { $0.value < 0x20 }, "a raw control character in: \(p)")
            precondition(p.hasPrefix("$") || p.hasPrefix("not valid JSON: line "), "a problem without a location: \(p)")
        }
        _ = e.description
    } catch {
        preconditionFailure("threw \(type(of: error)) instead of SpecError: \(error)")
    }
    return 0
}
