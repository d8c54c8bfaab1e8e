#!/usr/bin/env python3
"""Same bits whatever the x86-64 CPU: sweeps run normally, as on a CPU without AVX2 and FMA and as on
one with AVX2 but no AVX-512 (RLEXP_ISA=avx2) must write identical datasets. "No FMA" is GLIBC_TUNABLES=glibc.cpu.hwcaps=-AVX2,-FMA (libm's sin,
cos, exp, log, pow and fma switch to their non-FMA variants, fma to software) together with
RLEXP_ISA=portable (rlexp's C kernels, dettrig.c's sin/cos among them, take their baseline variant,
whose `fma` is then that software one).

Before rlexp computed sin/cos itself, experiments/a2c_cartpole.json differed in 48 datasets of its
5 runs between the two. The specs here exercise every built-in physics that calls trigonometry or
pow (CartPole, Acrobot, MountainCar, Pendulum through the random-policy reference) and the NN
maths. Then every exact-tier smoke sweep runs under the tunable (with the portable kernels, or for the
three slowest there the AVX2 ones) and must pass `rlexp check` against its golden file. Prints 'cpu variants: N passed, N failed'.
"""
import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile

import h5py

TUNABLE = "glibc.cpu.hwcaps=-AVX2,-FMA"
NO_FMA = {"GLIBC_TUNABLES": TUNABLE, "RLEXP_ISA": "portable"}
# what a CPU with AVX2 but without AVX-512 gets (on an AVX-512 machine the normal run is the 16-lane variant)
AVX2_ONLY = {"RLEXP_ISA": "avx2"}
BASE = {"eval": {"interval": 5000, "episodes": 3}, "seeds": 2}
SPECS = [
    dict(BASE, name="cv_cartpole", env="CartPole-v1", algo="a2c", total_steps=20000),
    dict(BASE, name="cv_acrobot", env="Acrobot-v1", algo="a2c", total_steps=20000),
    dict(BASE, name="cv_mountaincar", env="MountainCar-v0", algo="acer", total_steps=20000,
         hyperparameters={"replay_start": 2000, "buffer_size": 10000}),
    dict(BASE, name="cv_breakout", env="MinAtar/Breakout-v1", algo="async", total_steps=5000,
         hyperparameters={"network": "minatar_cnn", "hidden": [32], "activation": "relu"}),
]


# the smoke sweeps whose golden files are on the exact tier (a3c_threads_smoke runs real threads:
# statistical tier, not a question of bits)
SMOKE_EXACT = ["a2c_cartpole_smoke", "acer_sweep_smoke", "a3c_methods_smoke", "minatar_breakout_smoke", "ppo_cartpole_smoke", "continuous_smoke"]
# The portable kernels emulate their fused multiply-adds exactly in double (Sources/CKernels/fma_emul.h),
# about 10x slower than the FMA instruction: these three smoke sweeps (3-4 minutes each there) run with
# glibc's non-FMA libm and the AVX2 kernels instead. The portable kernels are still checked end to end by
# SPECS above (ACER, the conv net and every physics) and kernel by kernel at every level by KernelTests.
SMOKE_SLOW_PORTABLE = {"acer_sweep_smoke", "minatar_breakout_smoke", "continuous_smoke"}


def digests(results):
    out = {}
    runs = os.path.join(results, "runs")
    for rid in sorted(os.listdir(runs)):
        path = os.path.join(runs, rid, "run.h5")
        with h5py.File(path) as f:
            def visit(name, obj):
                if isinstance(obj, h5py.Dataset) and "/timing" not in "/" + name and "wall" not in name and "fps" not in name:
                    out[f"{rid}/{name}"] = hashlib.sha256(obj[()].tobytes()).hexdigest()
            f.visititems(visit)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rlexp", required=True)
    args = ap.parse_args()
    passed = failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        for spec in SPECS:
            path = os.path.join(tmp, spec["name"] + ".json")
            with open(path, "w") as f:
                json.dump(spec, f)
            got = {}
            for label, extra in [("normal", {}), ("no-FMA", NO_FMA), ("avx2", AVX2_ONLY)]:
                out = os.path.join(tmp, f"{spec['name']}-{label}")
                env = dict(os.environ, **extra)
                p = subprocess.run([args.rlexp, "run", path, "--out", out, "--no-report", "--jobs", "2"], env=env,
                                   capture_output=True, text=True, timeout=600)
                if p.returncode != 0:
                    print(f"FAIL {spec['name']} ({label}): rlexp exited {p.returncode}\n{p.stderr}")
                    failed += 1
                    break
                got[label] = digests(out)
            if len(got) < 3:
                continue
            a = got["normal"]
            bad = []
            for label, what in [("no-FMA", f"{TUNABLE} + RLEXP_ISA=portable"), ("avx2", "RLEXP_ISA=avx2")]:
                b = got[label]
                differ = sorted(k for k in a if a[k] != b.get(k))
                if a.keys() != b.keys() or differ or not a:
                    bad.append(f"{len(differ)} of {len(a)} datasets differ under {what}: {differ[:6]}")
            if bad:
                failed += 1
                print(f"FAIL {spec['name']}: " + "; ".join(bad))
            else:
                passed += 1
                print(f"ok {spec['name']}: {len(a)} datasets identical (normal, no-FMA portable, AVX2 only)")
        # the golden checks hold under the restricted dispatch too: every exact-tier smoke sweep,
        # run with the tunable, must match its golden digests (the normal run is check_golden.py's)
        root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        for name in SMOKE_EXACT:
            out = os.path.join(tmp, name + "-no-FMA")
            isa = "avx2" if name in SMOKE_SLOW_PORTABLE else "portable"
            env = dict(os.environ, GLIBC_TUNABLES=TUNABLE, RLEXP_ISA=isa)
            p = subprocess.run([args.rlexp, "run", os.path.join(root, "experiments", "smoke", name + ".json"), "--out", out,
                                "--no-report", "--jobs", "2"], env=env, capture_output=True, text=True, timeout=600)
            c = subprocess.run([args.rlexp, "check", out, "--golden", os.path.join(root, "results", "golden", name + ".json")],
                               env=env, capture_output=True, text=True, cwd=root) if p.returncode == 0 else p
            if p.returncode == 0 and c.returncode == 0:
                passed += 1
                print(f"ok {name} under {TUNABLE} + RLEXP_ISA={isa}: matches results/golden/{name}.json")
            else:
                failed += 1
                print(f"FAIL {name} under {TUNABLE} + RLEXP_ISA={isa}: {c.stdout[-1500:]}{c.stderr[-800:]}")
    print(f"cpu variants: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
