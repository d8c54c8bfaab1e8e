#!/usr/bin/env python3
"""Fixture for Tests/NNTests/DetTrigTests.swift: libm and NumPy values, as bit patterns, that DetMath's
emulations (Sources/NN/DetTrig.swift, DetPow.swift, NumPyTrigF32.swift) must reproduce exactly.

What it records
---------------
* ``sincos``: x, math.sin(x), math.cos(x) (glibc's ``__sin_fma``/``__cos_fma``) for about 20 000
  float64 inputs chosen to hit every branch of glibc 2.36's s_sin.c and branred.c (tiny, the Taylor
  region |x| < 0.126, the table region, 0.855469 <= |x| < 2.426265, the reduction by pi/2 up to
  105414350, __branred above it), the thresholds between them to the ulp, the 1/128 table edges,
  near multiples of pi/2 and pi/4, specials, and inputs where glibc's FMA and non-FMA variants
  disagree (found by running this script's own child process with the non-FMA variant forced).
* ``pow2``: x, math.pow(x, 2.0) (glibc's ``__ieee754_pow_fma``), Acrobot's velocity range, wide
  ranges, overflow/underflow edges, specials, and inputs where the two pow variants disagree or
  pow(x, 2) != x*x.
* ``npf32``: x, np.sin(x), np.cos(x) for float32 x (NumPy 2.x's FMA3 SIMD kernel), Acrobot's reset
  range [-0.1, 0.1] (including values where it differs from the float64 result rounded), quadrant
  edges up to |x| = 71476.0625, specials.

It refuses to run unless glibc's FMA variants are active (a known input whose FMA and non-FMA sin,
cos and pow(x, 2) differ is checked) and NumPy's float32 sin/cos use an FMA3 kernel (X86_V3 or
better). Needs Linux x86-64 with glibc 2.36 (it checks ``platform.libc_ver()``; other glibc
versions may round differently) and NumPy 2.x. Deterministic: the inputs come from seeded
generators, so re-running on a conforming machine rewrites the same file.

Usage:  python3 Tests/tools/make_dettrig_fixture.py [--out Tests/fixtures/dettrig/dettrig_fma.txt]
"""
import argparse
import ctypes
import math
import os
import platform
import random
import struct
import subprocess
import sys

import numpy as np

NOFMA_TUNABLE = "glibc.cpu.hwcaps=-AVX2,-FMA"


def b64(x):
    return struct.unpack("<Q", struct.pack("<d", x))[0]


def f64(h):
    return struct.unpack("<d", struct.pack("<Q", h))[0]


def b32(x):
    return int(np.float32(x).view(np.uint32))


def f32(h):
    return np.uint32(h).view(np.float32)


# Inputs whose results differ between glibc 2.36's FMA and non-FMA variants (measured on an AMD EPYC
# with and without GLIBC_TUNABLES=glibc.cpu.hwcaps=-AVX2,-FMA): (input bits, FMA bits, non-FMA bits).
SENTINELS = {
    "sin": (0xBFDE1D82E8D6FF80, 0xBFDD0423CD4454A9, 0xBFDD0423CD4454AA),
    "cos": (0x3FFBBCBFFBAA808C, 0xBFC4BE9E4C961F39, 0xBFC4BE9E4C961F3A),
    "pow2": (b64(20.89962930236392), 0x407B4CB64AD99693, 0x407B4CB64AD99694),
}
# float32 inputs where NumPy's FMA3 kernel differs from the correctly rounded value (which glibc's
# cosf/sinf, NumPy's fallback without FMA3, give here): (input bits, kernel bits).
NP_SENTINELS = {"cos": (0x3D8C8C12, 0x3F7F65BC), "sin": (0xBD7B8DED, 0xBD7B6573)}


# libm called directly (math.sin and math.pow raise for inf and overflow instead of returning libm's bits)
LIBM = ctypes.CDLL("libm.so.6")
for _fn in ("sin", "cos", "pow"):
    getattr(LIBM, _fn).restype = ctypes.c_double
LIBM.sin.argtypes = LIBM.cos.argtypes = [ctypes.c_double]
LIBM.pow.argtypes = [ctypes.c_double, ctypes.c_double]


def libm_values(xs):
    return [(b64(LIBM.sin(x)), b64(LIBM.cos(x)), b64(LIBM.pow(x, 2.0))) for x in xs]


def refuse(msg):
    sys.exit("make_dettrig_fixture.py: refusing to run: " + msg)


def check_machine():
    if platform.machine() not in ("x86_64", "AMD64"):
        refuse("needs x86-64 (got %s)" % platform.machine())
    lib, ver = platform.libc_ver()
    if lib != "glibc" or ver != "2.36":
        refuse("needs glibc 2.36, whose sin/cos/pow the emulations follow (got %s %s)" % (lib, ver))
    for name, (x, fma, nofma) in SENTINELS.items():
        xv = f64(x)
        got = b64({"sin": math.sin, "cos": math.cos, "pow2": lambda v: math.pow(v, 2.0)}[name](xv))
        if b64({"sin": LIBM.sin, "cos": LIBM.cos, "pow2": lambda v: LIBM.pow(v, 2.0)}[name](xv)) != got:
            refuse("libm.so.6 through ctypes and Python's math module disagree on %s(%r)" % (name, xv))
        if got == nofma:
            refuse("glibc's non-FMA %s is active (this CPU lacks FMA/AVX2, or GLIBC_TUNABLES "
                   "disables them); the fixture must hold the FMA variant's bits" % name)
        if got != fma:
            refuse("%s(%r) = %016x is neither glibc 2.36's FMA (%016x) nor non-FMA result" % (name, xv, got, fma))
    info = getattr(np._core._multiarray_umath, "__cpu_targets_info__", None)
    if info is not None:
        for fn in ("sin", "cos"):
            cur = info[fn]["ff"]["current"]
            if cur.startswith("baseline"):
                refuse("NumPy's float32 %s runs its baseline (non-FMA3) loop: %r" % (fn, info[fn]["ff"]))
    for fn, (x, want) in NP_SENTINELS.items():
        got = b32(getattr(np, fn)(f32(x)))
        if got != want:
            refuse("np.%s(float32 %08x) = %08x, not NumPy's FMA3 kernel value %08x" % (fn, x, got, want))


def nofma_values(xs):
    """sin, cos, pow(x, 2) of xs by glibc's non-FMA variants: this script's child with the tunable."""
    env = dict(os.environ, GLIBC_TUNABLES=NOFMA_TUNABLE)
    code = ("import ctypes,struct,sys\n"
            "m=ctypes.CDLL('libm.so.6'); d=ctypes.c_double\n"
            "m.sin.restype=m.cos.restype=m.pow.restype=d; m.sin.argtypes=m.cos.argtypes=[d]; m.pow.argtypes=[d,d]\n"
            "b=sys.stdin.buffer.read(); n=len(b)//8; xs=struct.unpack('<%dd'%n,b)\n"
            "o=[]\n"
            "for x in xs: o+= [m.sin(x), m.cos(x), m.pow(x,2.0)]\n"
            "sys.stdout.buffer.write(struct.pack('<%dd'%len(o),*o))\n")
    out = subprocess.run([sys.executable, "-c", code], input=struct.pack("<%dd" % len(xs), *xs),
                         env=env, capture_output=True, check=True).stdout
    vals = struct.unpack("<%dd" % (3 * len(xs)), out)
    res = [(b64(vals[3 * i]), b64(vals[3 * i + 1]), b64(vals[3 * i + 2])) for i in range(len(xs))]
    s, c, p = SENTINELS["sin"], SENTINELS["cos"], SENTINELS["pow2"]
    probe = subprocess.run([sys.executable, "-c", "import math,struct;print(struct.unpack('<Q',struct.pack('<d',math.sin(struct.unpack('<d',struct.pack('<Q',%d))[0])))[0])" % s[0]],
                           env=env, capture_output=True, check=True, text=True).stdout
    if int(probe) != s[2]:
        refuse("GLIBC_TUNABLES=%s did not switch glibc to its non-FMA sin in the child" % NOFMA_TUNABLE)
    return res


def ulp_walk(rng, c, w):
    v = f64((b64(c) + rng.randint(-w, w)) & 0xFFFFFFFFFFFFFFFF)
    return v if rng.random() < 0.5 else -v


def loguniform(rng, lo_exp, hi_exp):
    v = math.ldexp(1 + rng.random(), rng.randint(lo_exp, hi_exp - 1))
    return v if rng.random() < 0.5 else -v


def sincos_regions(rng):
    """(region name, inputs) covering each branch of glibc's sin/cos."""
    R = []
    specials = [0.0, -0.0, math.inf, -math.inf, math.nan, -math.nan, f64(0x7FF8_0000_DEAD_BEEF),
                5e-324, -5e-324, 2.2250738585072014e-308, 1.7976931348623157e308, -1.7976931348623157e308,
                math.pi, -math.pi, math.pi / 2, math.pi / 4, 1.0, -1.0, 0.5, 105414350.0, 105414349.0,
                f64(0x419921FB00000000), f64(0x419921FAFFFFFFFF), f64(0x3FEB600000000000), f64(0x3FEB5FFFFFFFFFFF),
                f64(0x400368FD00000000), f64(0x400368FCFFFFFFFF), f64(0x3E50000000000000), f64(0x3E4FFFFFFFFFFFFF),
                f64(0x3E40000000000000), f64(0x3E3FFFFFFFFFFFFF), 0.126, math.nextafter(0.126, 0)]
    R.append(("specials", specials + [-v for v in specials[9:]]))
    R.append(("tiny |x| < 2^-26", [loguniform(rng, -1074, -26) for _ in range(600)]))
    R.append(("around 2^-27 and 2^-26", [ulp_walk(rng, rng.choice([math.ldexp(1, -27), math.ldexp(1, -26)]), 64) for _ in range(400)]))
    R.append(("taylor 2^-26 <= |x| < 0.126", [loguniform(rng, -26, -3) for _ in range(1500)]))
    R.append(("around 0.126", [ulp_walk(rng, 0.126, 1 << 12) for _ in range(600)]))
    R.append(("table 0.126 <= |x| < 0.855469", [rng.uniform(0.126, 0.855469) * rng.choice([1, -1]) for _ in range(1500)]))
    R.append(("around 0.855469", [ulp_walk(rng, f64(0x3FEB600000000000), 1 << 8) for _ in range(500)]))
    R.append(("0.855469 <= |x| < 2.426265", [rng.uniform(0.855469, 2.426265) * rng.choice([1, -1]) for _ in range(1500)]))
    R.append(("around 2.426265", [ulp_walk(rng, f64(0x400368FD00000000), 1 << 8) for _ in range(500)]))
    R.append(("table edges (i+1/2)/128", [ulp_walk(rng, (rng.randrange(110) + 0.5) / 128, 8) for _ in range(800)]))
    R.append(("table edges pi/2 - (i+1/2)/128", [ulp_walk(rng, math.pi / 2 - (rng.randrange(110) + 0.5) / 128, 8) for _ in range(800)]))
    R.append(("near pi/2 +- 0.126", [ulp_walk(rng, math.pi / 2 + rng.choice([-0.126, 0.126]), 1 << 10) for _ in range(400)]))
    R.append(("uniform [-4, 4]", [rng.uniform(-4, 4) for _ in range(2000)]))
    R.append(("uniform [-200, 200]", [rng.uniform(-200, 200) for _ in range(1500)]))
    R.append(("log-uniform [2.4, 1e6]", [loguniform(rng, 1, 20) for _ in range(1000)]))
    R.append(("log-uniform [1e6, 105414350)", [loguniform(rng, 20, 26) for _ in range(500)]))
    R.append(("near k*pi/2 and k*pi/4", [ulp_walk(rng, rng.randint(1, 1 << 20) * math.pi / rng.choice([2, 4]), 4) for _ in range(1000)]))
    R.append(("around 105414350", [ulp_walk(rng, f64(0x419921FB00000000), 1 << 10) for _ in range(400)]))
    R.append(("branred |x| >= 105414350", [loguniform(rng, 27, 1024) for _ in range(1000)]))
    R.append(("branred near k*pi/2", [ulp_walk(rng, (rng.randint(1 << 27, 1 << 40)) * (math.pi / 2), 4) for _ in range(300)]))
    R.append(("random bit patterns", [f64(rng.getrandbits(64)) for _ in range(500)]))
    return R


def pow_regions(rng):
    specials = [0.0, -0.0, 1.0, -1.0, 2.0, -2.0, 0.5, math.inf, -math.inf, math.nan, 5e-324, -5e-324,
                2.2250738585072014e-308, 1.7976931348623157e308, math.ldexp(1, 512), math.nextafter(math.ldexp(1, 512), 0),
                math.ldexp(1, -537), math.ldexp(1, -538), math.ldexp(1, -511), math.ldexp(1, -512), 1e-300, 1e300, math.nextafter(1.0, 0), math.nextafter(1.0, 2)]
    R = [("specials", specials)]
    R.append(("uniform |x| <= 30 (Acrobot)", [rng.uniform(-30, 30) for _ in range(1500)]))
    R.append(("uniform |x| <= 4 pi", [rng.uniform(-4 * math.pi, 4 * math.pi) for _ in range(500)]))
    R.append(("log-uniform 2^-30..2^30", [loguniform(rng, -30, 30) for _ in range(500)]))
    R.append(("log-uniform all exponents", [loguniform(rng, -1074, 1024) for _ in range(500)]))
    R.append(("near overflow/underflow edges", [ulp_walk(rng, rng.choice([math.ldexp(1, 512), math.ldexp(1, -511), math.ldexp(1, -537), math.ldexp(1, -1022), math.ldexp(1, -1074)]), 1 << 16) for _ in range(300)]))
    return R


def npf32_regions(rng):
    lim = np.float32(71476.0625)
    specials = np.array([0, -0.0, np.nan, 1e-45, -1e-45, 1.1754944e-38, 0.1, -0.1, 1, -1, np.pi / 4, np.pi / 2, np.pi,
                         lim, -lim, np.nextafter(lim, np.float32(0))], dtype=np.float32)
    R = [("specials", specials)]
    acro = np.array([np.float32(rng.uniform(-0.1, 0.1)) for _ in range(1_500_000)], dtype=np.float32)
    naive_c = np.cos(acro.astype(np.float64)).astype(np.float32)
    naive_s = np.sin(acro.astype(np.float64)).astype(np.float32)
    differ = acro[(np.cos(acro) != naive_c) | (np.sin(acro) != naive_s)]
    R.append(("Acrobot reset range, kernel != rounded float64", differ[:1500]))
    R.append(("Acrobot reset range", acro[:1000]))
    R.append(("uniform |x| <= 71476", np.array([rng.uniform(-71476, 71476) for _ in range(500)], dtype=np.float32)))
    # x*2/pi near a half-integer: the fused quadrant rounding decides the reduction
    q = np.array([rng.randint(0, 45000) + 0.5 for _ in range(1000)])
    R.append(("quadrant edges", (q * (np.pi / 2)).astype(np.float32)))
    return R


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "dettrig", "dettrig_fma.txt")))
    args = ap.parse_args()
    check_machine()
    rng = random.Random(20261121)

    lines = ["# DetMath emulation fixture: bit patterns (hex) from glibc 2.36's FMA variants and NumPy %s's FMA3"
             % np.__version__,
             "# float32 kernel, written by Tests/tools/make_dettrig_fixture.py (do not edit; re-run it on an FMA",
             "# machine). Lines: 'sincos x sin cos', 'pow2 x pow(x,2)', 'npf32 x np.sin np.cos'; '## region NAME'",
             "# starts a region."]
    sc = sincos_regions(rng)
    # inputs where the FMA and non-FMA variants differ (about 1 in 800), from a larger pool
    pool = ([rng.uniform(-4, 4) for _ in range(1_200_000)] + [rng.uniform(-200, 200) for _ in range(600_000)]
            + [loguniform(rng, 27, 1024) for _ in range(200_000)])
    pool_fma, pool_nofma = libm_values(pool), nofma_values(pool)
    vdiff = [x for x, a, b in zip(pool, pool_fma, pool_nofma) if a[:2] != b[:2]][:2000]
    pw = pow_regions(rng)
    ppool = [rng.uniform(-30, 30) for _ in range(1_500_000)] + [loguniform(rng, -1074, 1024) for _ in range(500_000)]
    ppool_fma, ppool_nofma = libm_values(ppool), nofma_values(ppool)
    pdiff = [x for x, a, b in zip(ppool, ppool_fma, ppool_nofma) if a[2] != b[2]][:1000]
    pnsq = [x for x, a, b in zip(ppool, ppool_fma, ppool_nofma) if a[2] == b[2] and a[2] != b64(x * x)][:500]
    allx = [x for _, xs in sc for x in xs] + [x for _, xs in pw for x in xs] + vdiff + pdiff + pnsq
    table = {b64(x): v for x, v in zip(allx, libm_values(allx))}
    if len(vdiff) < 1500 or len(pdiff) < 500:
        refuse("only %d sin/cos and %d pow inputs of the pools differ between the variants: did the child's "
               "tunable take effect?" % (len(vdiff), len(pdiff)))
    sc.append(("FMA and non-FMA variants differ", vdiff))
    n_sc = 0
    for name, xs in sc:
        lines.append("## region sincos " + name)
        for x in xs:
            s, c, _ = table[b64(x)]
            lines.append("sincos %016x %016x %016x" % (b64(x), s, c))
            n_sc += 1
    pw += [("FMA and non-FMA variants differ", pdiff), ("pow(x, 2) != x*x", pnsq)]
    for name, xs in pw:
        lines.append("## region pow2 " + name)
        for x in xs:
            lines.append("pow2 %016x %016x" % (b64(x), table[b64(x)][2]))
    for name, xs in npf32_regions(rng):
        lines.append("## region npf32 " + name)
        xs = np.asarray(xs, dtype=np.float32)
        s, c = np.sin(xs), np.cos(xs)
        for x, sv, cv in zip(xs.view(np.uint32), s.view(np.uint32), c.view(np.uint32)):
            lines.append("npf32 %08x %08x %08x" % (x, sv, cv))
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        f.write("\n".join(lines) + "\n")
    print("wrote %s: %d sincos (%d where the variants differ), %d pow2 (%d), %d npf32 lines"
          % (args.out, n_sc, len(vdiff), sum(len(xs) for _, xs in pw), len(pdiff),
             sum(l.startswith("npf32") for l in lines)))


if __name__ == "__main__":
    with np.errstate(invalid="ignore"):
        main()
