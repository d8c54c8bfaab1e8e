#!/usr/bin/env python3
"""`make test-slurm`: rlexp on a real (single-node, loopback) Slurm cluster.

Brings up the cluster with Tests/slurm/slurm-local.sh (munge + slurmctld + slurmd from Debian's
packages), submits a small sweep with `rlexp submit --slurm` in which one seed fails on purpose
(RLEXP_TEST_FAIL_SEED, a test-only switch), waits for the array and the report job, and checks:
the failed runs are reported as failed (status, manifest, report) while the others complete; every
complete run.h5 equals a local run of the same spec bit for bit (every dataset but the wall-clock
ones); resubmitting submits only the runs that are not done. Brings the cluster down even on
failure. Prints 'slurm: N passed, N failed'.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time

import h5py
import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CLUSTER = os.path.join(ROOT, "Tests", "slurm", "slurm-local.sh")
results = {"passed": 0, "failed": 0}


def check(name, cond, detail=""):
    results["passed" if cond else "failed"] += 1
    print(("ok   " if cond else "FAIL ") + name + ("" if cond else f": {detail}"), flush=True)


def sh(args, env=None, **kw):
    return subprocess.run(args, capture_output=True, text=True, env=env, **kw)


def wait_for_jobs(env, ids, timeout=300):
    t0 = time.time()
    while time.time() - t0 < timeout:
        q = sh(["squeue", "-h", "-j", ",".join(ids), "-o", "%i"], env=env)
        if q.returncode == 0 and not q.stdout.strip():
            return True
        time.sleep(1)
    return False


def datasets(path):
    out = {}
    with h5py.File(path, "r") as f:
        def visit(name, obj):
            if isinstance(obj, h5py.Dataset) and obj.attrs.get("wall_clock", 0) != 1:
                out[name] = obj[()]
        f.visititems(visit)
    return out


def same_bits(a, b):
    da, db = datasets(a), datasets(b)
    if da.keys() != db.keys():
        return False, f"datasets differ: {sorted(set(da) ^ set(db))}"
    for k in da:
        x, y = np.asarray(da[k]), np.asarray(db[k])
        if x.dtype != y.dtype or x.shape != y.shape or x.tobytes() != y.tobytes():
            return False, f"{k} differs"
    return True, ""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rlexp", default=os.path.join(ROOT, ".build", "release", "rlexp"))
    args = ap.parse_args()
    rlexp = os.path.abspath(args.rlexp)
    os.makedirs("/tmp/slurm-local", exist_ok=True)
    up = sh(["bash", CLUSTER, "up"])
    check("cluster comes up", up.returncode == 0, up.stderr[-2000:])
    try:
        if up.returncode != 0:
            return
        conf = sh(["bash", CLUSTER, "env"]).stdout.strip().split("=", 1)[1].strip("'\"")
        env = dict(os.environ, SLURM_CONF=conf)
        with tempfile.TemporaryDirectory(dir="/tmp") as tmp:
            spec = os.path.join(tmp, "slurm_test.json")
            json.dump({"name": "slurm_test", "env": "CartPole-v1", "algo": "a2c", "total_steps": 6000, "seeds": 3,
                       "eval": {"interval": 2000, "episodes": 2}, "sweep": {"lr": [0.0007, 0.001]}}, open(spec, "w"))
            out, local = os.path.join(tmp, "cluster"), os.path.join(tmp, "local")
            p = sh([rlexp, "submit", spec, "--slurm", "--out", out, "--dry-run"], env=env)
            check("--dry-run prints both scripts and submits nothing", p.returncode == 0 and "#SBATCH --array=0-5" in p.stdout
                  and "--dependency" not in p.stdout and "report.sbatch" in p.stdout and not os.path.exists(out), p.stdout + p.stderr)
            p = sh([rlexp, "submit", spec, "--slurm", "--out", out], env=dict(env, RLEXP_TEST_FAIL_SEED="1"))
            check("submit", p.returncode == 0 and "submitted 6 run(s)" in p.stdout, p.stdout + p.stderr)
            ids = list(re.search(r"array job (\d+), report job (\d+)", p.stdout).groups()) if "array job" in p.stdout else []
            check("array and report job finish", len(ids) == 2 and wait_for_jobs(env, ids), p.stdout)
            st = sh([rlexp, "status", out])
            check("status: 4 complete, 2 failed (exit 1)", st.returncode == 1 and "4 complete, 2 failed, 0 running, 0 interrupted, 0 pending" in st.stdout, st.stdout + st.stderr)
            logs = os.path.join(out, "slurm", "logs")
            report_log = "".join(open(os.path.join(logs, f)).read() for f in sorted(os.listdir(logs)) if f.startswith("report")) if os.path.isdir(logs) else ""
            check("the report job ran", bool(report_log), sorted(os.listdir(logs)) if os.path.isdir(logs) else "no logs")
            manifest = json.load(open(os.path.join(out, "manifest.json")))
            statuses = {r["run_id"]: r["status"] for r in manifest["runs"]}
            failed = sorted(k for k, v in statuses.items() if v == "failed")
            check("the report job rebuilt the manifest from the run folders", len(failed) == 2 and all("_s1-" in k or k.startswith("s1-") for k in failed), f"{statuses}\n{report_log[-1500:]}")
            md = open(os.path.join(out, "report", "report.md")).read() if os.path.exists(os.path.join(out, "report", "report.md")) else ""
            check("the report lists the failed runs", "## Failed runs" in md and all(f in md for f in failed), md[-1500:])
            # a local run of the same spec, bit for bit
            p = sh([rlexp, "run", spec, "--out", local, "--no-report", "--jobs", "2"])
            check("local run of the same spec", p.returncode == 0, p.stderr)
            for run_id, status in statuses.items():
                if status != "complete":
                    continue
                ok, why = same_bits(os.path.join(out, "runs", run_id, "run.h5"), os.path.join(local, "runs", run_id, "run.h5"))
                check(f"{run_id}: cluster run.h5 = local run.h5", ok, why)
            # resubmitting submits only what is not done
            p = sh([rlexp, "submit", spec, "--slurm", "--out", out], env=env)
            check("resubmit submits only the 2 failed runs", p.returncode == 0 and "submitted 2 run(s)" in p.stdout, p.stdout + p.stderr)
            ids = list(re.search(r"array job (\d+), report job (\d+)", p.stdout).groups()) if "array job" in p.stdout else []
            check("second array and report finish", len(ids) == 2 and wait_for_jobs(env, ids), p.stdout)
            st = sh([rlexp, "status", out])
            check("status: all 6 complete", st.returncode == 0 and "6 complete, 0 failed" in st.stdout, st.stdout + st.stderr)
            for run_id in failed:
                ok, why = same_bits(os.path.join(out, "runs", run_id, "run.h5"), os.path.join(local, "runs", run_id, "run.h5"))
                check(f"{run_id} (resubmitted): cluster run.h5 = local run.h5", ok, why)
            p = sh([rlexp, "submit", spec, "--slurm", "--out", out], env=env)
            check("a third submit has nothing to do", p.returncode == 0 and "nothing to submit" in p.stdout, p.stdout + p.stderr)
    except Exception:
        import traceback
        check("the test ran to the end", False, traceback.format_exc())
    finally:
        down = sh(["bash", CLUSTER, "down"])
        check("cluster goes down", down.returncode == 0, down.stderr[-2000:])
        print(f"slurm: {results['passed']} passed, {results['failed']} failed")
        sys.exit(1 if results["failed"] else 0)


if __name__ == "__main__":
    main()
