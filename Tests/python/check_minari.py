#!/usr/bin/env python3
"""Recorded trajectories (spec field `record`) through `rlexp export RESULTS_DIR --format minari`,
loaded back with the `minari` package's own loader (minari.load_dataset) and compared with run.h5:
every episode's observations, actions, rewards, terminations and truncations; observations one
row more than actions; the recorded training episodes' returns and lengths against /episodes and
the evaluation episodes against /curve; the behaviour statistics and value estimates in each
episode's infos against run.h5 (one row per action; probabilities summing to 1, greedy evaluation
actions at their argmax / mean); the env spec good for recover_environment(); and a
kill-free resume (run stopped by checkpoints, then completed) recording the same bytes.

Usage: check_minari.py --rlexp .build/release/rlexp   (installs minari from PyPI if missing)
"""
import argparse, json, os, subprocess, sys, tempfile
from pathlib import Path

import h5py
import numpy as np

FAILED = []


def check(what, ok, detail=""):
    print(("ok   " if ok else "FAIL ") + what + ("" if ok else f": {detail}"))
    if not ok:
        FAILED.append(what)


SPEC = {"name": "rec", "seeds": 1, "total_steps": 3000, "eval": {"interval": 1500, "episodes": 2},
        "record": {"eval": True, "train_every": 3, "train_last": 2},
        "parts": [{"env": "CartPole-v1", "algo": "a2c"},
                  {"env": "Pendulum-v1", "algo": "ppo", "total_steps": 2048, "hyperparameters": {"nenvs": 2, "nsteps": 256}}]}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rlexp", required=True)
    a = ap.parse_args()
    try:
        import minari  # noqa: F401
    except ImportError:
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check", "minari"], check=True)

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        spec = tmp / "rec.json"
        spec.write_text(json.dumps(SPEC))
        out = tmp / "rec"
        subprocess.run([a.rlexp, "run", str(spec), "--out", str(out), "--jobs", "2", "--no-report"], check=True, stdout=subprocess.DEVNULL)
        r = subprocess.run([a.rlexp, "export", str(out), "--format", "minari", "--dataset-id", "rlexp/rec"],
                           capture_output=True, text=True)
        check("export --format minari exits 0", r.returncode == 0, r.stderr)
        mroot = out / "minari"
        os.environ["MINARI_DATASETS_PATH"] = str(mroot)
        import minari
        runs = {h5py.File(p, "r").attrs["env"]: p for p in sorted((out / "runs").glob("*/run.h5"))}
        check("two runs (CartPole, Pendulum)", set(runs) == {"CartPole-v1", "Pendulum-v1"}, str(runs))
        for env, path in runs.items():
            did = f"rlexp/rec/{env.lower().replace('-', '_')}-v0"
            ds = minari.load_dataset(did)
            f = h5py.File(path, "r")
            t = f["trajectories"]
            # what run.h5 holds, in export order: the run's training episodes, then its evaluation ones
            expected = []
            for kind in ("train", "eval"):
                g = t[kind]
                ao, oo = g["action_offsets"][:], g["observation_offsets"][:]
                check(f"{env} {kind}: observation offsets = action offsets + episode number",
                      np.array_equal(oo, ao + np.arange(len(ao))))
                for e in range(len(ao) - 1):
                    expected.append(dict(kind=kind, obs=g["observations"][oo[e]:oo[e + 1]], act=g["actions"][ao[e]:ao[e + 1]],
                                         rew=g["rewards"][ao[e]:ao[e + 1]], term=g["terminations"][ao[e]:ao[e + 1]],
                                         trunc=g["truncations"][ao[e]:ao[e + 1]], index=g["episode_index"][e],
                                         infos={k: g[k][ao[e]:ao[e + 1]] for k in ("policy_probs", "policy_mean", "policy_log_std", "value") if k in g}))
                stats = [k for k in ("policy_probs", "policy_mean", "policy_log_std", "value") if k in g]
                want_stats = ["policy_probs", "value"] if env == "CartPole-v1" else ["policy_mean", "policy_log_std", "value"]
                check(f"{env} {kind}: run.h5 has the behaviour statistics {want_stats}, with units/descriptions",
                      stats == want_stats and all("description" in g[k].attrs for k in stats), str(stats))
                if "policy_probs" in g:
                    p = g["policy_probs"][:]
                    check(f"{env} {kind}: policy_probs rows are distributions", p.shape == (ao[-1], 2) and np.allclose(p.sum(axis=1), 1, atol=1e-5)
                          and (p >= 0).all(), str(p.shape))
                    if kind == "eval":
                        check(f"{env} eval: every greedy action is its row's argmax", np.array_equal(np.argmax(p, axis=1), g["actions"][:]))
                else:
                    m = g["policy_mean"][:]
                    if kind == "eval":
                        check(f"{env} eval: every greedy action is the mean clipped to the bounds", np.array_equal(np.clip(m, -2, 2), g["actions"][:]))
                check(f"{env} {kind}: no step without statistics", not any(np.isnan(g[k][:]).any() for k in stats))
            check(f"{env}: dataset has every recorded episode", ds.total_episodes == len(expected) and len(expected) > 0,
                  f"{ds.total_episodes} vs {len(expected)}")
            check(f"{env}: total_steps", ds.total_steps == sum(len(x["rew"]) for x in expected))
            n = 0
            for ep, x in zip(ds.iterate_episodes(), expected):
                n += 1
                L = len(ep.rewards)
                ok = (ep.observations.shape[0] == L + 1 and len(ep.actions) == L and len(ep.terminations) == L
                      and len(ep.truncations) == L and L == len(x["rew"]))
                ok = ok and np.array_equal(ep.observations, x["obs"]) and np.array_equal(np.asarray(ep.actions), x["act"])
                ok = ok and np.array_equal(ep.rewards, x["rew"]) and np.array_equal(ep.terminations, x["term"])
                ok = ok and np.array_equal(ep.truncations, x["trunc"])
                ok = ok and sorted(ep.infos) == sorted(x["infos"]) and all(
                    np.array_equal(ep.infos[k], x["infos"][k]) and len(ep.infos[k]) == L for k in x["infos"])
                # an episode ends exactly once, at its last step
                done = np.logical_or(x["term"], x["trunc"])
                ok = ok and done[-1] and not done[:-1].any()
                if not ok:
                    check(f"{env}: episode {ep.id} equals run.h5", False, f"L={L}, obs {ep.observations.shape}, infos "
                          + str({k: (np.shape(v), np.shape(x["infos"].get(k))) for k, v in ep.infos.items()}))
                    break
            check(f"{env}: iterated {n} episodes, each equal to run.h5 (observations one row more than actions)", n == len(expected))
            # the recorded training episodes are the right rows of /episodes
            ep_ret, ep_len = f["episodes/return"][:], f["episodes/length"][:]
            train = [x for x in expected if x["kind"] == "train"]
            idx = [int(x["index"]) for x in train]
            every, last = SPEC["record"]["train_every"], SPEC["record"]["train_last"]
            want = sorted(set(range(every - 1, len(ep_ret), every)) | set(range(max(0, len(ep_ret) - last), len(ep_ret))))
            check(f"{env}: training episodes recorded are every {every}-th and the last {last}", idx == want, f"{idx} vs {want}")
            check(f"{env}: training returns and lengths match /episodes",
                  all(abs(x["rew"].sum() - ep_ret[x["index"]]) <= 1e-9 * max(1, abs(ep_ret[x["index"]])) and len(x["rew"]) == ep_len[x["index"]] for x in train))
            ev = [x for x in expected if x["kind"] == "eval"]
            k = SPEC["eval"]["episodes"]
            means = [np.mean([y["rew"].sum() for y in ev[i:i + k]]) for i in range(0, len(ev), k)]
            check(f"{env}: evaluation episodes match /curve eval_return", np.allclose(means, f["curve/eval_return"][:], rtol=1e-12, atol=1e-9),
                  f"{means} vs {f['curve/eval_return'][:]}")
            renv = ds.recover_environment()
            # bounds are not compared: Gymnasium versions differ (CartPole's unbounded velocities are
            # float32 max in rlexp and older Gymnasium, inf in 1.x)
            check(f"{env}: recover_environment() gives {env} with the dataset's space shapes",
                  renv.spec.id == env and renv.observation_space.shape == ds.observation_space.shape
                  and renv.observation_space.dtype == ds.observation_space.dtype and type(renv.action_space) is type(ds.action_space)
                  and renv.action_space.shape == ds.action_space.shape, f"{renv.spec} {renv.observation_space} {ds.observation_space}")

        # a run checkpointed every 500 steps and stopped half-way, then resumed: same trajectories
        spec2 = tmp / "rec2.json"
        s2 = dict(SPEC, name="rec2", checkpoint_every=500)
        spec2.write_text(json.dumps(s2))
        out2 = tmp / "rec2"
        env = dict(os.environ, RLEXP_TEST_KILL="checkpoint-write:3")
        k = subprocess.run([a.rlexp, "run", str(spec2), "--out", str(out2), "--jobs", "1", "--no-report"], env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        check("the first run was killed half-way through its third checkpoint", k.returncode == -9, str(k.returncode))
        subprocess.run([a.rlexp, "run", str(spec2), "--out", str(out2), "--jobs", "1", "--no-report"], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for p1 in sorted((out / "runs").glob("*/run.h5")):
            p2 = out2 / "runs" / p1.parent.name / "run.h5"
            same = p2.exists()
            if same:
                a1, a2 = h5py.File(p1, "r")["trajectories"], h5py.File(p2, "r")["trajectories"]
                for kind in a1:
                    for name in a1[kind]:
                        same = same and np.array_equal(a1[kind][name][()], a2[kind][name][()])
            check(f"{p1.parent.name}: killed and resumed run records the same trajectories", same)
    if FAILED:
        print(f"{len(FAILED)} check(s) failed"); sys.exit(1)
    print("all Minari checks passed")


if __name__ == "__main__":
    main()
