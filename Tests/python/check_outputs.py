#!/usr/bin/env python3
"""Checks of rlexp from the outside, as a user with Python would see it.

1. every spec in experiments/ validates against experiments/schema.json (jsonschema), and specs the
   decoder rejects are rejected by the schema too;
2. malformed specs make `rlexp run` exit 2 with the JSON path in the message and write nothing;
3. a run.h5 written by rlexp opens with h5py and has the documented layout, names and values.

Prints 'N passed, N failed' and exits non-zero on any failure.
"""
import argparse
import csv
import glob
import json
import os
import subprocess
import sys
import tempfile

import h5py
import jsonschema
import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
results = {"passed": 0, "failed": 0}


def check(name, cond, detail=""):
    if cond:
        results["passed"] += 1
    else:
        results["failed"] += 1
        print(f"FAIL {name}: {detail}")


def schema_checks():
    schema = json.load(open(os.path.join(ROOT, "experiments", "schema.json")))
    jsonschema.Draft202012Validator.check_schema(schema)
    v = jsonschema.Draft202012Validator(schema)
    for path in sorted(glob.glob(os.path.join(ROOT, "experiments", "**", "*.json"), recursive=True)):
        if path.endswith("schema.json"):
            continue
        errs = list(v.iter_errors(json.load(open(path))))
        check(f"schema accepts {os.path.basename(path)}", not errs, "; ".join(e.message for e in errs))
    base = {"env": "CartPole-v1", "algo": "a2c", "total_steps": 1000}
    bad = {
        "unknown top-level key": dict(base, total_step=5),
        "unknown hyperparameter": dict(base, hyperparameters={"ent_coeff": 0.1}),
        "string for a number": dict(base, hyperparameters={"lr": "fast"}),
        "negative seed count": dict(base, seeds=-1),
        "gamma out of range": dict(base, hyperparameters={"gamma": 1.5}),
        "sweep value out of range": dict(base, sweep={"lr": [0.1, -1]}),
        "unknown env": dict(base, env="Pong"),
    }
    for name, spec in bad.items():
        check(f"schema rejects {name}", not v.is_valid(spec), json.dumps(spec))


def cli_error_checks(rlexp, tmp):
    cases = {
        "unknown key": ('{"env": "CartPole-v1", "algo": "a2c", "total_steps": 100, "hyperparamters": {}}', "$: unknown key \"hyperparamters\""),
        "string where a number belongs": ('{"env": "CartPole-v1", "algo": "a2c", "total_steps": 100, "hyperparameters": {"lr": "0.1"}}', "$.hyperparameters.lr"),
        "negative seed count": ('{"env": "CartPole-v1", "algo": "a2c", "total_steps": 100, "seeds": -2}', "$.seeds"),
        "invalid JSON": ('{"env": "CartPole-v1", "algo": "a2c", "total_steps": 100,,}', "not valid JSON: line 1"),
        "missing file": (None, "no such file"),
    }
    for name, (text, needle) in cases.items():
        spec = os.path.join(tmp, name.replace(" ", "_") + ".json")
        if text is not None:
            open(spec, "w").write(text)
        out = os.path.join(tmp, "out_" + name.replace(" ", "_"))
        p = subprocess.run([rlexp, "run", spec, "--out", out], capture_output=True, text=True)
        check(f"{name}: exit status 2", p.returncode == 2, f"got {p.returncode}; stderr: {p.stderr}")
        check(f"{name}: message names the place", needle in p.stderr, p.stderr)
        check(f"{name}: nothing written", not os.path.exists(out), f"{out} exists")
        # the short form (`rlexp SPEC`) behaves the same
        p2 = subprocess.run([rlexp, spec, "--out", out], capture_output=True, text=True)
        check(f"{name}: short form exit 2", p2.returncode == 2, p2.stderr)


def run_h5_checks(rlexp, tmp):
    spec = os.path.join(tmp, "py_check.json")
    json.dump({"name": "py_check", "env": "CartPole-v1", "algo": "a2c", "total_steps": 4000, "seeds": 2,
               "eval": {"interval": 1000, "episodes": 2}, "sweep": {"lr": [0.0007, 0.001]}}, open(spec, "w"))
    out = os.path.join(tmp, "py_check_out")
    p = subprocess.run([rlexp, "run", spec, "--out", out, "--jobs", "2"], capture_output=True, text=True)
    check("tiny sweep runs", p.returncode == 0, p.stderr)
    if p.returncode != 0:
        return
    manifest = json.load(open(os.path.join(out, "manifest.json")))
    check("manifest lists 4 complete runs", len(manifest["runs"]) == 4 and all(r["status"] == "complete" for r in manifest["runs"]), manifest)
    for r in manifest["runs"]:
        path = os.path.join(out, r["path"])
        with h5py.File(path, "r") as f:
            a = f.attrs
            cfg = json.loads(a["config"])
            check("config attr is JSON with the seed", cfg["seed"] == int(a["seed"]) == r["seed"], cfg)
            check("config has every a2c hyperparameter", {"nsteps", "lr", "ent_coef", "vf_coef", "max_grad_norm", "gamma"} <= set(cfg["hyperparameters"]), cfg)
            for k in ["rlexp_version", "git_commit", "spec_hash", "run_id", "config_id", "env", "algo", "status", "eval_mode"]:
                check(f"attr {k}", k in a and isinstance(a[k], str) and a[k] != "", dict(a))
            check("run id matches folder", a["run_id"] == r["run_id"], a["run_id"])
            check("groups", {"curve", "updates", "episodes", "checkpoint"} <= set(f.keys()), list(f.keys()))
            for g, cols in {"curve": ["step", "wall_s", "episodes", "return_mean", "eval_return", "fps"],
                            "updates": ["update", "step", "policy_entropy", "value_loss", "explained_variance", "policy_loss", "loss", "lr", "norm_grads", "eprewmean", "eplenmean", "fps"],
                            "episodes": ["step", "return", "length", "terminated", "env_index"]}.items():
                names = set(f[g].keys())
                check(f"{g} columns", set(cols) <= names, sorted(names))
                lens = {len(f[g][c]) for c in names}
                check(f"{g} columns have equal length", len(lens) == 1, lens)
                for c in names:
                    check(f"{g}/{c} has a description", "description" in f[g][c].attrs, c)
            df_curve = {c: f["curve"][c][:] for c in f["curve"]}
            steps = df_curve["step"]
            check("curve starts at step 0 and ends at total_steps", steps[0] == 0 and steps[-1] >= 4000, steps)
            check("curve steps increase", np.all(np.diff(steps) > 0), steps)
            check("eval returns are CartPole returns", np.all((df_curve["eval_return"] >= 1) & (df_curve["eval_return"] <= 500)), df_curve["eval_return"])
            check("wall_s marked as wall clock", f["curve"]["wall_s"].attrs["wall_clock"] == 1, "")
            check("eval_return not wall clock", f["curve"]["eval_return"].attrs["wall_clock"] == 0, "")
            upd = f["updates"]
            check("updates step = update * nenvs * nsteps", np.array_equal(upd["step"][:], upd["update"][:] * 8 * 5), "")
            ep = f["episodes"]
            check("episode returns equal lengths on CartPole", np.array_equal(ep["return"][:], ep["length"][:].astype(float)), "")
            ck = f["checkpoint"]
            check("checkpoint params are float32", ck["params"].dtype == np.float32 and ck["params"].shape[0] > 1000, ck["params"])
            check("checkpoint has optimizer state", "optimizer_ms" in ck and ck["optimizer_ms"].shape == ck["params"].shape, list(ck.keys()))
        rows = list(csv.DictReader(open(os.path.join(out, "runs", r["run_id"], "curve.csv"))))
        check("per-run curve.csv matches run.h5", len(rows) == len(steps) and float(rows[-1]["step"]) == steps[-1], len(rows))
    agg = list(csv.DictReader(open(os.path.join(out, "report", "curves.csv"))))
    check("aggregated curves: 2 configs", len({row["config_id"] for row in agg}) == 2, len(agg))
    check("aggregated curves have CI columns", all(float(r["eval_return_ci_lo"]) <= float(r["eval_return_mean"]) <= float(r["eval_return_ci_hi"]) for r in agg), agg[:2])
    md = open(os.path.join(out, "report", "report.md")).read()
    check("report table lists both configurations", "| base |" in md and "| lr=0.001 |" in md, md)
    summary = json.load(open(os.path.join(out, "report", "summary.json")))
    check("summary.json has 2 configs", len(summary["configs"]) == 2, summary)


ACER_METRICS = ["loss", "loss_q", "entropy", "loss_policy", "loss_f", "loss_bc", "explained_variance", "norm_grads",
                "norm_grads_q", "norm_grads_policy", "avg_norm_grads_f", "avg_norm_k", "avg_norm_g", "avg_norm_k_dot_g", "avg_norm_adj"]


def acer_checks(rlexp, tmp):
    spec = os.path.join(tmp, "acer_check.json")
    json.dump({"name": "acer_check", "env": "CartPole-v1", "algo": "acer", "total_steps": 3200, "seeds": 1,
               "eval": {"interval": 1600, "episodes": 2},
               "hyperparameters": {"replay_start": 160, "buffer_size": 1600},
               "sweep": [{"replay_ratio": [0, 4]}, {"trust_region": [False]}, {"retrace": [False]}, {"bias_correction": [False]}]},
              open(spec, "w"))
    out = os.path.join(tmp, "acer_check_out")
    p = subprocess.run([rlexp, "run", spec, "--out", out], capture_output=True, text=True)
    check("acer sweep runs", p.returncode == 0, p.stderr)
    if p.returncode != 0:
        return
    manifest = json.load(open(os.path.join(out, "manifest.json")))
    check("acer: 5 configurations", len(manifest["runs"]) == 5, manifest)
    for r in manifest["runs"]:
        with h5py.File(os.path.join(out, r["path"]), "r") as f:
            names = set(f["updates"].keys())
            check("acer /updates has every baselines ACER metric", set(ACER_METRICS) <= names, sorted(set(ACER_METRICS) - names))
            cfg = json.loads(f.attrs["config"])["hyperparameters"]
            for k in ["trust_region", "bias_correction", "retrace", "c", "delta", "replay_ratio"]:
                check(f"acer config records {k}", k in cfg, cfg)
            u = {k: f["updates"][k][:] for k in names}
            if not cfg["trust_region"]:
                check("no trust region ⇒ avg_norm_adj = 0", np.all(u["avg_norm_adj"] == 0), u["avg_norm_adj"][:5])
            if not cfg["bias_correction"]:
                check("no bias correction ⇒ loss_bc = 0", np.all(u["loss_bc"] == 0), u["loss_bc"][:5])
            if cfg["replay_ratio"] == 0:
                check("replay_ratio 0 ⇒ no replay updates", np.all(u["replay_updates"] == 0), "")
            else:
                check("replay happens", u["replay_updates"].sum() > 0, "")
            np.testing.assert_allclose(u["loss_policy"], u["loss_f"] + u["loss_bc"], rtol=1e-9, atol=1e-12)
            check("loss = loss_policy + q_coef·loss_q − ent_coef·entropy",
                  np.allclose(u["loss"], u["loss_policy"] + 0.5 * u["loss_q"] - 0.01 * u["entropy"], rtol=1e-9, atol=1e-12), "")
            ck = f["checkpoint"]
            check("acer checkpoint has the replay buffer and the average network",
                  {"replay_obs", "replay_mu", "avg_params", "params", "optimizer_ms"} <= set(ck.keys()), list(ck.keys()))
    html = open(os.path.join(out, "report", "report.html")).read()
    for plot in ["plots/replay_ratio.svg", "plots/ablations.svg"]:
        check(f"report.html embeds {plot}", plot in html and os.path.getsize(os.path.join(out, "report", plot)) > 2000, "")
    md = open(os.path.join(out, "report", "report.md")).read()
    for section in ["## Replay ratio", "## Ablations", "trust_region = false", "retrace = false", "bias_correction = false"]:
        check(f"acer report has {section}", section in md, md[-2000:])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rlexp", default=os.path.join(ROOT, ".build", "release", "rlexp"))
    args = ap.parse_args()
    rlexp = os.path.abspath(args.rlexp)
    os.chdir(ROOT)
    schema_checks()
    with tempfile.TemporaryDirectory() as tmp:
        cli_error_checks(rlexp, tmp)
        run_h5_checks(rlexp, tmp)
        acer_checks(rlexp, tmp)
    print(f"outputs: {results['passed']} passed, {results['failed']} failed")
    sys.exit(1 if results["failed"] else 0)


if __name__ == "__main__":
    main()
