#!/usr/bin/env python3
"""Regression check against results/golden, and proof that it bites.

For each smoke sweep in experiments/smoke/: run it into a temporary folder, then `rlexp check`
must pass against results/golden/<name>.json. Then the same sweep with one hyperparameter
perturbed through the spec (γ for A2C, c for ACER) must be reported as a regression (exit 1),
naming the first differing dataset. A smoke sweep that records trajectories (spec field `record`)
must also be caught when one recorded value in one run.h5 is changed (the digests cover
/trajectories). Finally the pandas/matplotlib example must read the files.
Prints 'N passed, N failed'.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
results = {"passed": 0, "failed": 0}


def check(name, cond, detail=""):
    results["passed" if cond else "failed"] += 1
    if not cond:
        print(f"FAIL {name}: {detail}")


# exact-tier smoke sweeps and the hyperparameter whose perturbation through the spec must be caught
PERTURB = {"a2c_cartpole_smoke": ("gamma", 0.98), "acer_sweep_smoke": ("c", 1), "a3c_methods_smoke": ("gamma", 0.98),
           "minatar_breakout_smoke": ("gamma", 0.98), "ppo_cartpole_smoke": ("gamma", 0.97), "continuous_smoke": ("gamma", 0.95)}
# statistical-tier smoke sweeps (real threads): a rerun must pass, a broken learner must be flagged
STATISTICAL = {"a3c_threads_smoke": "RLEXP_TEST_FLIP_ADVANTAGE"}


# per environment of the smoke sweeps: the plausible range of the random policy's return, and how far
# above it every golden band must lie (the smoke sweeps must learn, or their bands prove nothing)
CHANCE = {"CartPole-v1": ((15, 30), 10), "MinAtar/Breakout-v1": ((0.1, 1.0), 0.5), "Pendulum-v1": ((-1500, -900), 200)}


def provenance_checks(name):
    """Written from a clean commit, and every band clearly above chance."""
    golden = json.load(open(os.path.join("results", "golden", name + ".json")))
    spec = json.load(open(os.path.join("experiments", "smoke", name + ".json")))
    (rlo, rhi), margin = CHANCE[spec["env"]]
    commit = golden.get("git_commit", "")
    check(f"{name}: golden file from a clean commit", len(commit) == 40 and all(c in "0123456789abcdef" for c in commit), commit)
    random_return = golden.get("random_policy_return", {}).get("mean")
    check(f"{name}: golden file states the random-policy return", isinstance(random_return, float) and rlo < random_return < rhi, random_return)
    for c in golden["configs"]:
        lo = c["final_eval_return"]["lo"] - c["tolerance"]
        check(f"{name}: {c['config_label']} band {lo:.1f}.. above random {random_return} + {margin}", lo > (random_return or 0) + margin, c)
    return golden


def run_and_check(rlexp, tmp, name, env=None, suffix=""):
    spec = os.path.join("experiments", "smoke", name + ".json")
    out = os.path.join(tmp, name + suffix)
    p = subprocess.run([rlexp, "run", spec, "--out", out, "--no-report"], capture_output=True, text=True, env=env)
    check(f"{name}{suffix}: smoke sweep runs", p.returncode == 0, p.stderr)
    return subprocess.run([rlexp, "check", out, "--golden", f"results/golden/{name}.json"], capture_output=True, text=True)


def check_trajectory_change_caught(rlexp, tmp, name):
    """One recorded value estimate (the last training step's of the first run) changed by 1e-3: a regression naming /trajectories."""
    import h5py
    out, doctored = os.path.join(tmp, name), os.path.join(tmp, name + "_doctored")
    shutil.copytree(out, doctored)
    run = sorted(os.listdir(os.path.join(doctored, "runs")))[0]
    with h5py.File(os.path.join(doctored, "runs", run, "run.h5"), "r+") as f:
        v = f["trajectories/train/value"]
        v[-1] = v[-1] + 1e-3
    p = subprocess.run([rlexp, "check", doctored, "--golden", f"results/golden/{name}.json"], capture_output=True, text=True)
    check(f"{name}: one changed recorded value is a regression naming /trajectories", p.returncode == 1
          and "First differing dataset: /trajectories/train/value" in p.stdout, p.stdout[-2000:] + p.stderr)
    shutil.rmtree(doctored)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rlexp", default=os.path.join(ROOT, ".build", "release", "rlexp"))
    args = ap.parse_args()
    rlexp = os.path.abspath(args.rlexp)
    os.chdir(ROOT)
    with tempfile.TemporaryDirectory() as tmp:
        for name, (key, value) in PERTURB.items():
            provenance_checks(name)
            p = run_and_check(rlexp, tmp, name)
            check(f"{name}: matches golden", p.returncode == 0, p.stdout[-3000:] + p.stderr)
            print(p.stdout.strip().splitlines()[-1] if p.stdout.strip() else p.stderr)
            if "record" in json.load(open(os.path.join("experiments", "smoke", name + ".json"))):
                check_trajectory_change_caught(rlexp, tmp, name)
            # the same sweep with one hyperparameter perturbed must be a regression
            spec = os.path.join("experiments", "smoke", name + ".json")
            s = json.load(open(spec))
            for part in s.get("parts", [s]):   # a multi-part spec: perturb every part
                part.setdefault("hyperparameters", {})[key] = value
            bad_spec = os.path.join(tmp, name + "_perturbed.json")
            json.dump(s, open(bad_spec, "w"))
            bad_out = os.path.join(tmp, name + "_perturbed")
            subprocess.run([rlexp, "run", bad_spec, "--out", bad_out, "--no-report"], capture_output=True, text=True)
            p = subprocess.run([rlexp, "check", bad_out, "--golden", f"results/golden/{name}.json"], capture_output=True, text=True)
            check(f"{name}: perturbed {key} is a regression (exit 1)", p.returncode == 1, p.stdout[-2000:] + p.stderr)
            check(f"{name}: names the configuration change", f"{key} " in p.stdout and "→" in p.stdout, p.stdout[-2000:])
            check(f"{name}: names the first differing dataset", "First differing dataset: /updates/" in p.stdout, p.stdout[-2000:])
        for name, sabotage in STATISTICAL.items():
            golden = provenance_checks(name)
            check(f"{name}: statistical tier only", all(r["tier"] == "statistical" for r in golden["runs"]) and all(c["tier"] == "statistical" for c in golden["configs"]), "")
            p = run_and_check(rlexp, tmp, name)
            check(f"{name}: a rerun is inside the band", p.returncode == 0, p.stdout[-3000:] + p.stderr)
            print(p.stdout.strip().splitlines()[-1] if p.stdout.strip() else p.stderr)
            p = run_and_check(rlexp, tmp, name, env=dict(os.environ, **{sabotage: "1"}), suffix="_broken")
            check(f"{name}: a broken learner ({sabotage}) is flagged (exit 1)", p.returncode == 1 and "outside the golden band" in p.stdout, p.stdout[-2000:] + p.stderr)
        # the example reads rlexp's files with h5py + pandas + matplotlib only
        png = os.path.join(tmp, "curves.png")
        p = subprocess.run([sys.executable, "examples/plot_curves.py", os.path.join(tmp, "acer_sweep_smoke"), "--out", png],
                           capture_output=True, text=True)
        check("examples/plot_curves.py runs", p.returncode == 0 and os.path.getsize(png) > 10_000, p.stdout + p.stderr)
        # long-form export reads with pandas
        p = subprocess.run([rlexp, "export", os.path.join(tmp, "acer_sweep_smoke"), "--format", "csv"], capture_output=True, text=True)
        check("export runs", p.returncode == 0, p.stderr)
        if p.returncode == 0:
            import pandas as pd
            df = pd.read_csv(os.path.join(tmp, "acer_sweep_smoke", "export", "updates.csv"))
            check("export: one row per run x update with config columns",
                  {"run_id", "seed", "replay_ratio", "trust_region", "avg_norm_adj"} <= set(df.columns) and df["run_id"].nunique() == 10,
                  list(df.columns)[:12])
    print(f"golden: {results['passed']} passed, {results['failed']} failed")
    sys.exit(1 if results["failed"] else 0)


if __name__ == "__main__":
    main()
