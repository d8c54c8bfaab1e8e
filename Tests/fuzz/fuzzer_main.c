// The executable part of the libFuzzer binary built by run_fuzz.sh. It has no code: main() is
// libFuzzer's (linked in by -sanitize=fuzzer), and it calls LLVMFuzzerTestOneInput, the Swift
// harness in SpecFuzzer.swift. A C target, because SwiftPM renames a Swift executable's entry
// point (to SpecFuzzer_main), and the Swift module would then need a main of its own.
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

// keeps the harness library linked in even if the linker drops unreferenced archives
int (*const rlexp_spec_fuzzer_entry)(const uint8_t *, size_t) = LLVMFuzzerTestOneInput;
