#include "CKernels.h"
#include <stdlib.h>
#include <string.h>

static int supported_level(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    if (!(__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))) return 0;
    // compiler-rt's cpu model reports AVX-512 only when the OS saves the zmm state (XCR0).
    return (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl")) ? 2 : 1;
#else
    return 0;
#endif
}

static int current = -1;   // −1: not chosen yet (a race only recomputes the same value)

int rlexp_isa_supported(void) {
    static int s = -1;
    int v = __atomic_load_n(&s, __ATOMIC_RELAXED);
    if (v < 0) { v = supported_level(); __atomic_store_n(&s, v, __ATOMIC_RELAXED); }
    return v;
}

int rlexp_isa_level(void) {
    int v = __atomic_load_n(&current, __ATOMIC_RELAXED);
    if (v >= 0) return v;
    v = rlexp_isa_supported();
    const char *e = getenv("RLEXP_ISA");
    if (e && (strcmp(e, "portable") == 0 || strcmp(e, "baseline") == 0)) v = 0;
    if (e && strcmp(e, "avx2") == 0 && v > 1) v = 1;
    __atomic_store_n(&current, v, __ATOMIC_RELAXED);
    return v;
}

int rlexp_isa_force(int level) {
    if (level < 0 || level > rlexp_isa_supported()) return -1;
    int old = rlexp_isa_level();
    __atomic_store_n(&current, level, __ATOMIC_RELAXED);
    return old;
}

const char *rlexp_isa_name(int level) { return level == 2 ? "avx512" : level == 1 ? "avx2+fma" : "portable"; }

void rlexp_cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}
