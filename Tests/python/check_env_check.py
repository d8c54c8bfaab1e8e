#!/usr/bin/env python3
"""`rlexp env check --reference FILE` against the shipped reference and doctored copies of it.

The whole reference must replay exactly (exit 0); a file holding a subset of the groups works; a
copy with one value changed must exit 1 and name the environment, trajectory/episode, step and
field; an unreadable file exits 2. Prints 'env check: N passed, N failed'.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile

import h5py
import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
REFERENCE = os.path.join(ROOT, "..", "shared", "reference", "reference.h5")


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rlexp", required=True)
    ap.add_argument("--reference", default=REFERENCE)
    args = ap.parse_args()
    if not os.path.exists(args.reference):
        print(f"env check: reference file not found at {args.reference}", file=sys.stderr)
        return 1
    passed = failed = 0

    def check(name, ok, detail=""):
        nonlocal passed, failed
        if ok:
            passed += 1
        else:
            failed += 1
            print(f"FAIL {name}: {detail}")

    def run(path):
        p = subprocess.run([args.rlexp, "env", "check", "--reference", path], capture_output=True, text=True, timeout=600)
        return p.returncode, p.stdout + p.stderr

    rc, out = run(args.reference)
    check("whole reference exact", rc == 0 and "steps of" in out and "MISMATCH" not in out, f"rc {rc}\n{out}")
    with h5py.File(args.reference) as f:
        groups = {g: sorted(f[g]) for g in ("classic_control", "minatar_exact") if g in f}
    for g, members in groups.items():
        for m in members:
            check(f"{g}/{m} listed exact", any(line.startswith(f"{g}/{m} ") and line.rstrip().endswith("exact") for line in out.splitlines()),
                  out)

    with tempfile.TemporaryDirectory() as tmp:
        # a subset: one environment only
        sub = os.path.join(tmp, "subset.h5")
        with h5py.File(args.reference) as src, h5py.File(sub, "w") as dst:
            src.copy("classic_control/MountainCar-v0", dst, name="classic_control/MountainCar-v0")
        rc, out = run(sub)
        check("subset file", rc == 0 and "classic_control/MountainCar-v0" in out and "Acrobot" not in out, f"rc {rc}\n{out}")

        def doctored(label, edit, expect):
            path = os.path.join(tmp, label + ".h5")
            shutil.copy(args.reference, path)
            with h5py.File(path, "r+") as f:
                edit(f)
            rc, out = run(path)
            check(label, rc == 1 and all(e in out for e in expect), f"rc {rc}, expected {expect} in\n{out}")

        def bump(ds, index):   # one ulp up in the dataset's own type
            v = np.asarray(ds[index], dtype=ds.dtype)
            ds[index] = np.nextafter(v, np.asarray(np.inf, dtype=ds.dtype))

        doctored("state changed", lambda f: bump(f["classic_control/Acrobot-v1/state"], (3, 17, 2)),
                 ["classic_control/Acrobot-v1", "MISMATCH", "trajectory 3 step 16: state[2]"])
        doctored("reward changed", lambda f: bump(f["classic_control/Pendulum-v1/reward"], (5, 40)),
                 ["classic_control/Pendulum-v1", "trajectory 5 step 40: reward"])
        doctored("observation changed", lambda f: bump(f["classic_control/CartPole-v1/obs"], (0, 1, 3)),
                 ["classic_control/CartPole-v1", "trajectory 0 step 0: obs[3]"])
        if "minatar_exact" in groups:
            def flip(f):
                ds = f["minatar_exact/breakout/seed_0/obs"]
                v = ds[2]
                v[0, 0, 0] ^= 1
                ds[2] = v
            doctored("minatar grid changed", flip, ["minatar_exact/breakout", "seed_0 step 1", "obs"])
        # an environment rlexp does not have
        unknown = os.path.join(tmp, "unknown.h5")
        with h5py.File(args.reference) as src, h5py.File(unknown, "w") as dst:
            src.copy("classic_control/MountainCar-v0", dst, name="classic_control/MountainCar-v0")
            src.copy("classic_control/MountainCar-v0", dst, name="classic_control/MountainCarContinuous-v0")
        rc, out = run(unknown)
        check("unknown environment is not silently passed", rc == 1 and "MountainCarContinuous-v0" in out and "skipped" in out, f"rc {rc}\n{out}")
        # not a reference at all
        bad = os.path.join(tmp, "bad.h5")
        with open(bad, "w") as fh:
            fh.write("not hdf5")
        rc, out = run(bad)
        check("not an HDF5 file", rc == 2 and "not an HDF5 file" in out, f"rc {rc}\n{out}")
    print(f"env check: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
