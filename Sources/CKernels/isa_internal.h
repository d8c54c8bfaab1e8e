// Included by each kernel file: how a kernel family is compiled twice and dispatched.
//
// A family's body lives in a `*_body.h` that defines its functions as `static VARIANT(name)` with
// `TARGET` in front; the kernel file includes that body once per variant:
//
//   #define VARIANT(n) n##_portable
//   #define TARGET
//   #include "gemm_body.h"
//   #define VARIANT(n) n##_avx2
//   #define TARGET __attribute__((target("avx2,fma")))
//   #include "gemm_body.h"
//
// (gemm.c also defines VEC/VECI/VL, the vector type a body's loops use: 8 lanes for portable and
// AVX2, 16 for its AVX-512 variant; a lane's operations are the same at every width.)
//
// and its public functions branch on `RLEXP_AVX2` (the level is a relaxed load of a global, chosen
// once). FP contraction is off in every file (`#pragma STDC FP_CONTRACT OFF` below, before any
// code), so `a*b + c` stays a multiply and an add in every variant; where a body wants a fused
// multiply-add it says so, and it is one rounding everywhere: `__builtin_fma` (an instruction under
// the FMA target, libm's exact `fma` in the portable variant; dettrig.c) or gemm.c's FMAV/FMA8/FMAS
// (instructions under the FMA target, fma_emul.h's exact emulation in the portable variant).
#ifndef RLEXP_ISA_INTERNAL_H
#define RLEXP_ISA_INTERNAL_H
#include "CKernels.h"
#include <stddef.h>
#pragma STDC FP_CONTRACT OFF
// The portable variant passes 8-lane vectors between `static inline` helpers only (all inlined, never
// across a call boundary), so the psABI note about AVX vector arguments does not apply.
#pragma clang diagnostic ignored "-Wpsabi"

// Levels: 0 portable, 1 AVX2+FMA, 2 AVX-512 (F, VL on top of level 1). A family without its own
// AVX-512 body (dettrig.c) runs its AVX2 variant at level 2: RLEXP_AVX2 is "level 1 or above".
#if defined(__x86_64__)
#define RLEXP_HAVE_AVX2_VARIANT 1
#define RLEXP_HAVE_AVX512_VARIANT 1
#define RLEXP_AVX2 (rlexp_isa_level() >= 1)
#else
#define RLEXP_HAVE_AVX2_VARIANT 0
#define RLEXP_HAVE_AVX512_VARIANT 0
#define RLEXP_AVX2 0
#endif

typedef float rlexp_v8 __attribute__((vector_size(32)));
typedef int rlexp_v8i __attribute__((vector_size(32)));
typedef float rlexp_v16 __attribute__((vector_size(64)));
typedef int rlexp_v16i __attribute__((vector_size(64)));
typedef double rlexp_d8 __attribute__((vector_size(64)));

#endif
