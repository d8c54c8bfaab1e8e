#!/usr/bin/env python3
"""Pinned command-line output: the whole `--help` of rlexp and of every subcommand, and the exact
error text and exit status of the common mistakes, compared with Tests/pins/cli/*.txt.

Like golden files, the pins change only deliberately: `check_cli.py --update` rewrites them, and the
diff then shows in review what a user will see differently. Runs in a scratch folder with fixed
file names (so no temporary paths leak into the text) and COLUMNS=100 (help wraps to the terminal).
Prints 'cli: N passed, N failed'.
"""
import argparse
import difflib
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PINS = os.path.join(ROOT, "Tests", "pins", "cli")

GOOD = {"name": "good", "env": "CartPole-v1", "algo": "a2c", "total_steps": 1000}
# the spec files each case may use, written into the scratch folder
SPECS = {
    "good.json": json.dumps(GOOD),
    "typo_key.json": json.dumps(dict(GOOD, hyperparameters={"ent_coeff": 0.1})),
    "wrong_types.json": json.dumps(dict(GOOD, total_steps="lots", hyperparameters={"lr": "fast", "gamma": 1.5})),
    "bad_json.json": '{"env": "CartPole-v1",\n "algo": "a2c",,\n}',
    "replay_start.json": json.dumps({"name": "rs", "env": "CartPole-v1", "algo": "acer", "total_steps": 20000,
                                     "hyperparameters": {"replay_start": 6000, "buffer_size": 5000},
                                     "sweep": {"nsteps": [20, 40]}}),
    "eval_interval.json": json.dumps(dict(GOOD, eval={"interval": 5000, "episodes": 2})),
    "continuous_env.json": json.dumps(dict(GOOD, env="Pendulum-v1")),
    "cnn_on_vector.json": json.dumps(dict(GOOD, hyperparameters={"network": "minatar_cnn"})),
}
HELP = ["", "run", "report", "check", "golden", "golden update", "export", "validate", "schema", "bench", "submit", "status",
        "env", "env list", "env bench", "env check"]
ERRORS = {
    "missing-spec": ["run", "missing.json"],
    "unknown-key": ["run", "typo_key.json"],
    "wrong-types": ["run", "wrong_types.json"],
    "invalid-json": ["run", "bad_json.json"],
    "cross-field-replay-start": ["run", "replay_start.json"],
    "cross-field-eval-interval": ["validate", "eval_interval.json"],
    "continuous-env-discrete-algo": ["validate", "continuous_env.json"],
    "conv-net-on-vector-observations": ["validate", "cnn_on_vector.json"],
    "env-check-missing-file": ["env", "check", "--reference", "missing.h5"],
    "env-check-not-hdf5": ["env", "check", "--reference", "good.json"],
    "env-bench-unknown-id": ["env", "bench", "--id", "Pong-v5"],
    "validate-mixed": ["validate", "good.json", "typo_key.json"],
    "no-spec-argument": ["run"],
    "jobs-zero": ["run", "good.json", "--jobs", "0"],
    "unknown-option": ["run", "good.json", "--frobnicate"],
    "report-not-results": ["report", "nowhere"],
    "check-not-results": ["check", "nowhere"],
    "golden-update-not-results": ["golden", "update", "nowhere"],
    "export-bad-format": ["export", "nowhere", "--format", "parquet"],
    "submit-without-scheduler": ["submit", "good.json"],
    "status-not-results": ["status", "nowhere"],
    "run-index-out-of-range": ["run", "good.json", "--index", "5"],
    "run-index-and-run-id": ["run", "good.json", "--index", "0", "--run-id", "s0-x"],
    "run-id-unknown": ["run", "good.json", "--run-id", "s0-d6bf8f2e"],
}


def transcript(rlexp, args, cwd):
    env = dict(os.environ, COLUMNS="100")
    p = subprocess.run([rlexp] + args, capture_output=True, text=True, cwd=cwd, env=env)
    return f"$ rlexp {' '.join(args)}\nexit {p.returncode}\n--- stdout\n{p.stdout}--- stderr\n{p.stderr}", p.returncode


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rlexp", default=os.path.join(ROOT, ".build", "release", "rlexp"))
    ap.add_argument("--update", action="store_true", help="rewrite the pins from the current output")
    args = ap.parse_args()
    rlexp = os.path.abspath(args.rlexp)
    cases = {("help-" + (h.replace(" ", "-") or "rlexp")): (h.split() + ["--help"]) for h in HELP}
    cases.update({"error-" + k: v for k, v in ERRORS.items()})
    passed = failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        for name, text in SPECS.items():
            open(os.path.join(tmp, name), "w").write(text)
        os.makedirs(PINS, exist_ok=True)
        for name, argv in cases.items():
            got, code = transcript(rlexp, argv, tmp)
            path = os.path.join(PINS, name + ".txt")
            if name.startswith("error-") and code == 0:
                print(f"FAIL {name}: a mistake exited 0")
                failed += 1
                continue
            if args.update:
                open(path, "w").write(got)
            want = open(path).read() if os.path.exists(path) else None
            if want == got:
                passed += 1
            else:
                failed += 1
                diff = "".join(difflib.unified_diff((want or "").splitlines(True), got.splitlines(True), "pinned", "now"))
                print(f"FAIL {name}: output differs from {os.path.relpath(path, ROOT)} (update deliberately with --update)\n{diff}")
            # nothing may be written by a rejected command
            leftovers = sorted(set(os.listdir(tmp)) - set(SPECS))
            if leftovers:
                failed += 1
                print(f"FAIL {name}: left {leftovers} behind")
    print(f"cli: {passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
