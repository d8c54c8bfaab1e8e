#!/usr/bin/env python3
"""The Gymnasium bridge from the command line (make test): every way the Python side can go wrong
reaches the user as one clear message while the other runs go on, a killed rlexp leaves no worker
behind, a bridged run resumes, and a short A2C run on real Atari Pong (ale-py, the papers'
preprocessing) writes a valid run.h5.

Needs the bridge's venv (`make gym-venv`). Misbehaving environments come from
Tests/python/gym_envs/rlexp_test_envs.py as `gym:rlexp_test_envs:<Name>-v0`."""
import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import h5py

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
failures = []


def check(cond, what):
    print(("ok    " if cond else "FAIL  ") + what)
    if not cond:
        failures.append(what)


def run(rlexp, spec, out, extra_env=None, timeout=600, args=()):
    env = dict(os.environ, PYTHONPATH=str(HERE / "gym_envs"))
    env.update(extra_env or {})
    p = tempfile.NamedTemporaryFile("w", suffix=".json", delete=False, dir=out.parent)
    json.dump(spec, p)
    p.close()
    r = subprocess.run([rlexp, "run", p.name, "--out", str(out), "--jobs", "2", *args], env=env,
                       capture_output=True, text=True, timeout=timeout)
    return r


def workers():
    r = subprocess.run(["pgrep", "-f", "rlexp_gym_worker.py"], capture_output=True, text=True)
    return set(r.stdout.split())


def failed_message(out):
    msgs = []
    for f in (out / "runs").glob("*/failed.json"):
        msgs.append(json.load(open(f)).get("error", ""))
    return msgs


def two_parts(env_id, steps=4000):
    return {"name": "bridge_failure", "seeds": 1, "eval": {"interval": 2000, "episodes": 2}, "parts": [
        {"label": "bridged", "env": env_id, "algo": "a2c", "total_steps": steps},
        {"label": "builtin", "env": "CartPole-v1", "algo": "a2c", "total_steps": steps}]}


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rlexp", required=True)
    rlexp = str(Path(ap.parse_args().rlexp).resolve())
    tmp = Path(tempfile.mkdtemp(prefix="rlexp-bridge-"))

    # --- failures while running: the run fails with the Python error, the other run completes ---
    for name, extra, expect in [
        ("Crash", {}, "RuntimeError: the test environment fails on purpose at step 300"),
        ("Exit", {}, "the bridge worker died (exit status 7)"),
        ("Hang", {"RLEXP_GYM_TIMEOUT": "3"}, "did not answer within 3 s and was killed"),
    ]:
        out = tmp / name
        t0 = time.time()
        r = run(rlexp, two_parts(f"gym:rlexp_test_envs:{name}-v0"), out, extra)
        msgs = failed_message(out)
        check(r.returncode != 0, f"{name}: rlexp exits non-zero ({r.returncode})")
        check(len(msgs) == 1 and expect in msgs[0] and f"gym:rlexp_test_envs:{name}-v0" in msgs[0],
              f"{name}: failed.json names the environment and says {expect!r} (got {msgs})")
        check(expect in r.stderr, f"{name}: the message is on stderr")
        done = [p for p in (out / "runs").glob("builtin_*/run.h5")]
        check(len(done) == 1, f"{name}: the built-in CartPole run beside it completed")
        check(not list((out / "runs").glob("bridged_*/run.h5")), f"{name}: the failed run left no run.h5")
        check(time.time() - t0 < 120, f"{name}: over in {time.time() - t0:.1f} s (no hang)")

    # --- failures at validation: exit 2, the JSON path, nothing written ---
    for env_id, extra_keys, expect in [
        ("gym:NoSuchEnv-v0", {}, "NoSuchEnv"),
        ("gym:NoSuchPackage/Thing-v0", {}, "not installed"),
        ("gym:rlexp_test_envs:DictObs-v0", {}, "rlexp cannot handle the observation space Dict"),
        ("gym:CartPole-v1", {"wrappers": ["NoSuchWrapper"]}, "gymnasium.wrappers has no wrapper 'NoSuchWrapper'"),
        ("gym:CartPole-v1", {"env_kwargs": {"no_such_kwarg": 1}}, "no_such_kwarg"),
        ("CartPole-v1", {"wrappers": ["AtariPreprocessing"]}, "$.wrappers: only a bridged environment"),
    ]:
        out = tmp / ("v" + str(abs(hash(env_id + str(extra_keys)))))
        spec = {"name": "bad", "env": env_id, "algo": "a2c", "total_steps": 1000, **extra_keys}
        r = run(rlexp, spec, out)
        check(r.returncode == 2 and expect in r.stderr and ("$.env" in r.stderr or "$.wrappers" in r.stderr),
              f"validation of {env_id} {extra_keys}: exit 2 with {expect!r} at its JSON path (got {r.returncode}: {r.stderr.strip()[:300]})")
        check(not out.exists() or not list(out.glob("runs/*")), f"validation of {env_id}: no run folder written")

    # --- a killed rlexp leaves no worker behind ---
    before = workers()
    out = tmp / "killed"
    spec = {"name": "killed", "env": "gym:rlexp_test_envs:Slow-v0", "algo": "a2c", "total_steps": 10_000_000, "seeds": 1}
    p = tempfile.NamedTemporaryFile("w", suffix=".json", delete=False, dir=tmp)
    json.dump(spec, p)
    p.close()
    proc = subprocess.Popen([rlexp, "run", p.name, "--out", str(out)], env=dict(os.environ, PYTHONPATH=str(HERE / "gym_envs")),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while time.time() < deadline and not (workers() - before):
        time.sleep(0.2)
    started = workers() - before
    check(bool(started), f"a bridged run starts its workers ({len(started)})")
    time.sleep(1)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    deadline = time.time() + 10
    while time.time() < deadline and (workers() & started):
        time.sleep(0.2)
    check(not (workers() & started), "after kill -9 of rlexp, its workers exit by themselves")

    # --- resume: Ctrl-C checkpoints, the same command resumes and completes ---
    out = tmp / "resume"
    spec = {"name": "resume", "env": "gym:CartPole-v1", "algo": "acer", "total_steps": 60_000, "seeds": 1,
            "checkpoint_every": 5000, "eval": {"interval": 10000, "episodes": 3}}
    p = tempfile.NamedTemporaryFile("w", suffix=".json", delete=False, dir=tmp)
    json.dump(spec, p)
    p.close()
    proc = subprocess.Popen([rlexp, "run", p.name, "--out", str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while time.time() < deadline and not list(out.glob("runs/*/*.ckpt*")) and not list(out.glob("runs/*/ckpt*")):
        time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    err = proc.communicate(timeout=60)[1]
    check(proc.returncode == 130, f"Ctrl-C stops a bridged run with exit 130 (got {proc.returncode}: {err.strip()[-200:]})")
    r = subprocess.run([rlexp, "run", p.name, "--out", str(out)], capture_output=True, text=True, timeout=600)
    check(r.returncode == 0 and "resumed from its checkpoint" in r.stderr + r.stdout,
          f"the same command resumes it and completes (rc {r.returncode}: {(r.stderr + r.stdout).strip()[-300:]})")
    h5 = list(out.glob("runs/*/run.h5"))
    if h5:
        with h5py.File(h5[0]) as f:
            check(int(f["curve/step"][-1]) == 60_000, "the resumed run reaches its total steps")

    # --- real Atari: Pong with the papers' preprocessing, a short A2C run ---
    have_ale = subprocess.run([os.environ.get("RLEXP_GYM_PYTHON", str(ROOT / ".build/gym-venv/bin/python")), "-c", "import ale_py"],
                              capture_output=True).returncode == 0
    if not have_ale:
        print("SKIP  gym:ALE/Pong-v5: ale-py cannot be installed here (make gym-venv)")
    else:
        pong = json.load(open(ROOT / "Tests/python/gym_pong_smoke.json"))
        out = tmp / "pong"
        t0 = time.time()
        r = run(rlexp, pong, out, timeout=900)
        check(r.returncode == 0, f"A2C on gym:ALE/Pong-v5 runs end to end ({time.time() - t0:.0f} s; rc {r.returncode}: {r.stderr.strip()[-300:]})")
        h5 = list(out.glob("runs/*/run.h5"))
        check(len(h5) == 1, "it writes one run.h5")
        if h5:
            with h5py.File(h5[0]) as f:
                config = json.loads(f.attrs["config"])
                check(f.attrs["env"] == "gym:ALE/Pong-v5" and config["wrappers"][0]["name"] == "AtariPreprocessing",
                      "run.h5 names the environment and its wrappers")
                check(int(f["curve/step"][-1]) == pong["total_steps"], "the curve reaches total_steps")
                rets = f["episodes/return"][:] if "episodes/return" in f else []
                check(all(-21 <= x <= 21 for x in rets), f"episode returns are Pong scores ({len(rets)} episodes)")
                check(all(-21 <= x <= 21 for x in f["curve/eval_return"][:]), "evaluation returns are Pong scores")

    if failures:
        print(f"{len(failures)} check(s) failed")
        sys.exit(1)
    print("all bridge checks passed")


if __name__ == "__main__":
    main()
