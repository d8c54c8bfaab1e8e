#!/usr/bin/env python3
"""Checks of rlexp from the outside, as a user with Python would see it.

1. every spec in experiments/ validates against experiments/schema.json (jsonschema), and specs the
   decoder rejects are rejected by the schema too;
2. malformed specs make `rlexp run` exit 2 with the JSON path in the message and write nothing;
3. a run.h5 written by rlexp opens with h5py and has the documented layout, names and values;
4. the contents of a run.h5 behave as a user relies on: the agent learns (A2C beats a random policy
   on CartPole-v1 by a clear margin), episodes respect the time limit and add up to the env steps
   each copy took, /curve rows sit on /updates boundaries by the documented evaluation rule, and the
   training statistics in /curve and /updates agree with /episodes.

The behaviour checks (`episode_checks`, `alignment_checks`, `consistency_checks`,
`learning_checks`) take an open h5py File, so they can also be run on a hand-edited copy.

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


# ---- behaviour checks on an open run.h5 ---------------------------------------------------------

# Gymnasium's TimeLimit for each environment (CartPole-v1: max_episode_steps=500).
TIME_LIMIT = {"CartPole-v1": 500}
# Window of the training statistics: Runner.swift keeps the last 100 finished episodes for
# /curve/return_mean, /curve/length_mean, /updates/eprewmean and /updates/eplenmean.
STATS_WINDOW = 100
# Mean episode return of a uniformly random policy on CartPole-v1. Not measured here unless
# gymnasium is importable (see random_policy_return): it is the commonly quoted figure for
# Gymnasium's CartPole-v1 with uniformly random actions (≈22 steps before the pole falls);
# a NumPy replica of Gymnasium's CartPole dynamics gave 22.2 over 2000 random episodes.
RANDOM_POLICY_RETURN = 22.0


def random_policy_return():
    """RANDOM_POLICY_RETURN, or, if gymnasium is installed, the mean return of 200 episodes
    (env seeds 0..199) with uniformly random actions."""
    try:
        import gymnasium
    except ImportError:
        return RANDOM_POLICY_RETURN, "constant"
    env = gymnasium.make("CartPole-v1")
    total = 0.0
    for seed in range(200):
        env.reset(seed=seed)
        rng = np.random.default_rng(seed)
        done = False
        while not done:
            _, r, term, trunc, _ = env.step(int(rng.integers(2)))
            total += r
            done = term or trunc
    return total / 200, "gymnasium, 200 episodes"


def _batch(f):
    """(nenvs, env steps per update) of the run's algorithm."""
    hp = json.loads(f.attrs["config"])["hyperparameters"]
    return int(hp["nenvs"]), int(hp["nenvs"]) * int(hp["nsteps"])


def _cols(g):
    return {k: g[k][:] for k in g}


def _window_means(values, counts, window=STATS_WINDOW):
    """mean of values[max(0, n-window):n] for each n in counts (NaN for n = 0)."""
    cs = np.concatenate([[0.0], np.cumsum(values, dtype=np.float64)])
    counts = np.asarray(counts, dtype=np.int64)
    lo = np.maximum(counts - window, 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, (cs[counts] - cs[lo]) / np.maximum(counts - lo, 1), np.nan)


def _same(a, b, tol=1e-9):
    """equal within tol, NaN where the other is NaN."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return a.shape == b.shape and bool(np.all((np.isnan(a) & np.isnan(b)) | (np.abs(a - b) <= tol)))


def episode_checks(f, tag=""):
    """/episodes is consistent with the time limit and with the env steps each copy took."""
    limit = TIME_LIMIT[f.attrs["env"]]
    nenvs, _ = _batch(f)
    ep = _cols(f["episodes"])
    L, term, step, idx = ep["length"].astype(np.int64), ep["terminated"], ep["step"], ep["env_index"]
    steps_taken = int(f["updates"]["step"][-1]) if len(f["updates"]["step"]) else 0
    check(f"{tag}episodes: some episodes finished", len(L) > 0, "")
    check(f"{tag}episodes: 1 ≤ length ≤ time limit {limit}", np.all((L >= 1) & (L <= limit)), (L.min(), L.max()) if len(L) else "")
    check(f"{tag}episodes: terminated is 0 or 1", np.all((term == 0) | (term == 1)), np.unique(term))
    # CartPole ends an episode either by falling (terminated) or at the time limit (truncated, terminated = 0)
    check(f"{tag}episodes: length < {limit} ⇔ terminated", np.array_equal(term == 1, L < limit),
          f"{int(np.sum((term == 1) != (L < limit)))} rows disagree")
    check(f"{tag}episodes: time-limit episodes are truncated, not terminated", np.all(term[L == limit] == 0), term[L == limit])
    check(f"{tag}episodes: returns equal lengths on CartPole", np.array_equal(ep["return"], L.astype(float)), "")
    check(f"{tag}episodes: step non-decreasing", np.all(np.diff(step) >= 0), "")
    check(f"{tag}episodes: step ≤ env steps taken ({steps_taken})", np.all(step <= steps_taken), step.max() if len(step) else "")
    check(f"{tag}episodes: step is a whole vector step", np.all((step % nenvs == 0) & (step >= nenvs)), "")
    check(f"{tag}episodes: env_index in [0, nenvs)", np.all((idx >= 0) & (idx < nenvs)), np.unique(idx))
    in_progress = f["checkpoint"]["episode_lengths"][:] if "episode_lengths" in f["checkpoint"] else None
    for i in range(nenvs):
        m = idx == i
        cs = np.cumsum(L[m])
        check(f"{tag}episodes: copy {i}'s lengths sum to ≤ its env steps", cs[-1:].sum() <= steps_taken // nenvs,
              (int(cs[-1:].sum()), steps_taken // nenvs))
        # copies reset as soon as an episode ends, so a copy's episodes are back to back: the k-th
        # one ends at vector step (sum of the first k lengths)
        check(f"{tag}episodes: copy {i}'s episodes end at the cumulative sum of their lengths",
              np.array_equal(cs, step[m] // nenvs), "")
        if in_progress is not None:
            check(f"{tag}episodes: copy {i}: finished + in-progress lengths = its env steps",
                  cs[-1:].sum() + int(in_progress[i]) == steps_taken // nenvs,
                  (int(cs[-1:].sum()), int(in_progress[i]), steps_taken // nenvs))


def alignment_checks(f, tag=""):
    """/updates rows are one per update, and /curve rows are where Runner.swift evaluates."""
    nenvs, B = _batch(f)
    total = int(f.attrs["total_steps"])
    interval = int(f.attrs["eval_interval"])
    u = _cols(f["updates"])
    c = _cols(f["curve"])
    ustep, upd, cstep = u["step"], u["update"], c["step"]
    n = len(ustep)
    check(f"{tag}updates: step strictly increasing", n > 0 and np.all(np.diff(ustep) > 0), "")
    if n == 0:
        return
    check(f"{tag}updates: row k (1-based) is at step k·nenvs·nsteps ({B})", np.array_equal(ustep, np.arange(1, n + 1) * B), ustep[:5])
    if f.attrs["algo"] == "a2c":
        check(f"{tag}updates: update column = 1..n", np.array_equal(upd, np.arange(1, n + 1)), upd[:5])
        check(f"{tag}updates: step = update · nenvs · nsteps", np.array_equal(ustep, upd * B), "")
    else:
        # ACER counts every gradient step (the on-policy one plus `replay_updates` replay ones)
        check(f"{tag}updates: acer update = cumulative on-policy + replay gradient steps",
              np.array_equal(upd, np.cumsum(1 + u["replay_updates"]).astype(np.int64)), upd[:5])
    check(f"{tag}updates: training stops at the first update boundary ≥ total_steps",
          n > 0 and ustep[-1] >= total and ustep[-1] - B < total, (ustep[-1:], total))
    # Runner.swift: evaluate at step 0, then after each update whose step reached the next multiple
    # of eval_interval (so at the first update boundary ≥ k·interval, once per boundary), and at the end
    expected = [0] + sorted({int(ustep[np.searchsorted(ustep, k * interval)])
                             for k in range(1, int(ustep[-1]) // interval + 1)} | {int(ustep[-1])})
    check(f"{tag}curve: steps = 0, first update boundary ≥ each k·eval_interval, last update step",
          np.array_equal(cstep, expected), (cstep, expected))
    check(f"{tag}curve: every step after 0 is an update step", np.all(np.isin(cstep[1:], ustep)), cstep)
    check(f"{tag}curve: last step = last update step = checkpoint step",
          cstep[-1] == ustep[-1] == int(f["checkpoint"].attrs["step"]), (cstep[-1], ustep[-1]))
    rows = np.searchsorted(ustep, cstep[1:])
    ok = np.all(rows < n) and np.array_equal(ustep[np.minimum(rows, n - 1)], cstep[1:])
    check(f"{tag}curve: updates column = /updates/update at that step (0 at step 0)",
          ok and c["updates"][0] == 0 and np.array_equal(c["updates"][1:], upd[np.minimum(rows, n - 1)]), c["updates"])
    check(f"{tag}curve: last updates = checkpoint update", c["updates"][-1] == int(f["checkpoint"].attrs["update"]), "")


def consistency_checks(f, tag=""):
    """/curve and /updates training statistics are what /episodes says."""
    ep = _cols(f["episodes"])
    c = _cols(f["curve"])
    u = _cols(f["updates"])
    ret, L, estep = ep["return"], ep["length"].astype(np.float64), ep["step"]
    n_at_curve = np.searchsorted(estep, c["step"], side="right")   # episodes finished at or before
    check(f"{tag}curve: episodes = episodes finished at or before the step", np.array_equal(c["episodes"], n_at_curve),
          (c["episodes"], n_at_curve))
    check(f"{tag}curve: return_mean = mean return of the last {STATS_WINDOW} episodes by then",
          _same(c["return_mean"], _window_means(ret, n_at_curve)), (c["return_mean"], _window_means(ret, n_at_curve)))
    check(f"{tag}curve: length_mean = mean length of the last {STATS_WINDOW} episodes by then",
          _same(c["length_mean"], _window_means(L, n_at_curve)), "")
    n_at_upd = np.searchsorted(estep, u["step"], side="right")
    check(f"{tag}updates: eprewmean = mean return of the last {STATS_WINDOW} episodes by then",
          _same(u["eprewmean"], _window_means(ret, n_at_upd)), "")
    check(f"{tag}updates: eplenmean = mean length of the last {STATS_WINDOW} episodes by then",
          _same(u["eplenmean"], _window_means(L, n_at_upd)), "")
    limit = TIME_LIMIT[f.attrs["env"]]
    check(f"{tag}curve: eval returns are CartPole returns in [1, {limit}]",
          np.all((c["eval_return"] >= 1) & (c["eval_return"] <= limit)), c["eval_return"])
    check(f"{tag}curve: eval return = eval length on CartPole", _same(c["eval_return"], c["eval_length_mean"]), "")


LEARN_MARGIN = 100.0


def learning_checks(f, random_return, tag="learn: "):
    """The greedy policy after training is far better than random and than the initial policy."""
    c = _cols(f["curve"])
    ev = c["eval_return"]
    check(f"{tag}final eval return ≥ random policy ({random_return:.1f}) + {LEARN_MARGIN:g}",
          ev[-1] >= random_return + LEARN_MARGIN, ev)
    check(f"{tag}final eval return > the eval at step 0", c["step"][0] == 0 and ev[-1] > ev[0], ev)
    check(f"{tag}final training return_mean ≥ random policy + 50", c["return_mean"][-1] >= random_return + 50, c["return_mean"])


# Long enough to learn: A2C (8 copies × 5 steps, RMSProp, lr 7e-4 constant, no entropy bonus,
# separate policy/value nets) for 100k env steps. Measured with the release binary (seed 0):
# greedy eval return (10 episodes) 8.7 at step 0 → 469.8 at 100k (478.3 at 98760), training
# return_mean (last 100 episodes) 216.6; ~0.5 s of training, 3 training episodes reach the time
# limit. eval_interval 12345 is deliberately not a multiple of the 40-step update, so the curve
# rows land on the update boundaries after each multiple (12360, 24720, 37040, …, 98760, 100000).
LEARN_SPEC = {"name": "py_learn", "env": "CartPole-v1", "algo": "a2c", "total_steps": 100000, "seeds": 1,
              "eval": {"interval": 12345, "episodes": 10},
              "hyperparameters": {"ent_coef": 0.0, "lr": 0.0007, "lr_schedule": "constant", "shared_trunk": False}}


def run_sweep(rlexp, tmp, what, spec_dict, *extra):
    """Writes the spec, runs it into a fresh folder; returns (out dir, manifest), or None if it failed."""
    spec = os.path.join(tmp, spec_dict["name"] + ".json")
    json.dump(spec_dict, open(spec, "w"))
    out = os.path.join(tmp, spec_dict["name"] + "_out")
    p = subprocess.run([rlexp, "run", spec, "--out", out, *extra], capture_output=True, text=True)
    check(f"{what} runs", p.returncode == 0, p.stderr)
    if p.returncode != 0:
        return None
    return out, json.load(open(os.path.join(out, "manifest.json")))


def learning_run_checks(rlexp, tmp):
    ran = run_sweep(rlexp, tmp, "learning run", LEARN_SPEC)
    if ran is None:
        return
    out, manifest = ran
    random_return, source = random_policy_return()
    with h5py.File(os.path.join(out, manifest["runs"][0]["path"]), "r") as f:
        learning_checks(f, random_return)
        episode_checks(f, "learn: ")
        alignment_checks(f, "learn: ")
        consistency_checks(f, "learn: ")
        ev = f["curve"]["eval_return"][:]
        print(f"learning run: eval return {ev[0]:.1f} → {ev[-1]:.1f} (random policy {random_return:.1f}, {source}), "
              f"{float(f.attrs['wall_seconds']):.2f} s")


def run_h5_checks(rlexp, tmp):
    ran = run_sweep(rlexp, tmp, "tiny sweep", {"name": "py_check", "env": "CartPole-v1", "algo": "a2c", "total_steps": 4000, "seeds": 2,
                                               "eval": {"interval": 1000, "episodes": 2}, "sweep": {"lr": [0.0007, 0.001]}}, "--jobs", "2")
    if ran is None:
        return
    out, manifest = ran
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
            check("wall_s marked as wall clock", f["curve"]["wall_s"].attrs["wall_clock"] == 1, "")
            check("eval_return not wall clock", f["curve"]["eval_return"].attrs["wall_clock"] == 0, "")
            upd = f["updates"]
            check("updates step = update * nenvs * nsteps", np.array_equal(upd["step"][:], upd["update"][:] * 8 * 5), "")
            episode_checks(f)
            alignment_checks(f)
            consistency_checks(f)
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
    ran = run_sweep(rlexp, tmp, "acer sweep", {"name": "acer_check", "env": "CartPole-v1", "algo": "acer", "total_steps": 3200, "seeds": 1,
               "eval": {"interval": 1000, "episodes": 2},   # not a multiple of the 160-step update
               "hyperparameters": {"replay_start": 160, "buffer_size": 1600},
               "sweep": [{"replay_ratio": [0, 4]}, {"trust_region": [False]}, {"retrace": [False]}, {"bias_correction": [False]}]},
    )
    if ran is None:
        return
    out, manifest = ran
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
            episode_checks(f, "acer ")
            alignment_checks(f, "acer ")
            consistency_checks(f, "acer ")
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
        learning_run_checks(rlexp, tmp)
        acer_checks(rlexp, tmp)
    print(f"outputs: {results['passed']} passed, {results['failed']} failed")
    sys.exit(1 if results["failed"] else 0)


if __name__ == "__main__":
    main()
