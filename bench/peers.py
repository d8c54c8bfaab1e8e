#!/usr/bin/env python3
"""rlexp beside its Python peers on CartPole-v1, every figure measured in this one run.

usage: bench/peers.py [--rlexp .build/release/rlexp] [--repeats 3] [--seeds 2,16,64] [--readme README.md] [--quick]

What runs, one measurement at a time (the peer, then rlexp, repeated --repeats times; the median is
quoted), with `taskset -c 0` where a figure is per core:

  raw CartPole step, 1 core       Gymnasium gym.make env (bench/gym_cartpole_speed.py)  vs rlexp --figure cartpole_step
  A2C training, 1 core            SB3 A2C, zoo settings, seeds 0..R-1 (bench/sb3_run.py) vs rlexp --figure a2c
  A2C wall time to solve, 1 core  the same SB3 runs                                      vs rlexp --figure a2c_solve (and
                                                                                             a2c_solve_rmsprop_torch: SB3's optimiser)
                                  (first time the mean of the last 20 training episodes >= 475, both)
  A2C sweep of S seeds, 2 cores   PureJaxRL-style JAX+gymnax A2C vmapped over S seeds     vs `rlexp run` of a2c_cartpole.json
                                  with S seeds, --jobs 2 (bench/jax_a2c.py --eval)           with S seeds (process wall: runs,
                                                                                             evals, run.h5 files, report)
  sweep scaling                   rlexp's 16-seed sweep with --jobs 1 and --jobs 2
  ACER, replay ratio 4            PFRL 0.4.0 ACER, 2 processes (bench/pfrl_run.py)       vs rlexp --figure acer_rr4 (1 core)
  A3C                             PFRL 0.4.0 A3C, 2 processes                            vs rlexp --figure a3c_threads2

The peers live in their own venvs, created on first use: .build/peers-venv (CPU torch: the
machine's local CPU wheel when /opt/wheels has one, gymnasium, stable-baselines3, pfrl 0.4.0;
~1 GB) and .build/jax-venv (jax, gymnax, optax; ~0.5 GB). Every raw JSON line goes to
.build/peers/peers.jsonl, the table to .build/peers/peers.md (and, with --readme, between the
<!-- peers:begin --> and <!-- peers:end --> lines of that file). Exit 1 when a peer cannot be set
up or run (the figures measured so far are still printed), 0 otherwise; the targets are printed
with each ratio but do not decide the exit status.
"""
import argparse
import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / ".build" / "peers"
PEERS_VENV = ROOT / ".build" / "peers-venv"
JAX_VENV = ROOT / ".build" / "jax-venv"
RAW = []          # every JSON line measured, in order
FAILURES = []     # (what, why)


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def load1():
    return round(os.getloadavg()[0], 2)


def ensure_venv(path, check, packages):
    """A venv at `path` whose python can run `check`; created and filled with `packages` when not."""
    py = path / "bin" / "python"
    if py.exists() and subprocess.run([str(py), "-c", check], capture_output=True).returncode == 0:
        return py
    log(f"setting up {path.relative_to(ROOT)} ({' '.join(packages)}) ...")
    if not py.exists():
        subprocess.run([sys.executable, "-m", "venv", str(path)], check=True)
    r = subprocess.run([str(py), "-m", "pip", "install", "-q", "--disable-pip-version-check", *packages])
    if r.returncode != 0 or subprocess.run([str(py), "-c", check]).returncode != 0:
        raise RuntimeError(f"could not set up {path} (pip install {' '.join(packages)} failed)")
    return py


def run_json(what, cmd, pin=False, timeout=1800, env=None):
    """Runs cmd (pinned to core 0 when pin), returns its last stdout line parsed as JSON (with the
    load before and after added), or None after recording the failure."""
    if pin and shutil.which("taskset"):
        cmd = ["taskset", "-c", "0"] + cmd
    before = load1()
    t0 = time.perf_counter()
    try:
        p = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=timeout, cwd=ROOT,
                           env=dict(os.environ, **(env or {})))
    except subprocess.TimeoutExpired:
        FAILURES.append((what, f"timed out after {timeout} s"))
        log(f"  {what}: timed out")
        return None
    wall = time.perf_counter() - t0
    lines = [l for l in p.stdout.splitlines() if l.strip().startswith("{")]
    if p.returncode != 0 or not lines:
        tail = (p.stderr.strip().splitlines() or ["(no output)"])[-1]
        FAILURES.append((what, f"exit {p.returncode}: {tail}"))
        log(f"  {what}: failed (exit {p.returncode}): {tail}")
        return None
    j = json.loads(lines[-1])
    j.update(what=what, process_wall_s=round(wall, 3), load1_before=before, load1_after=load1(), pinned=pin)
    RAW.append(j)
    with open(OUT / "peers.jsonl", "a") as f:
        f.write(json.dumps(j) + "\n")
    return j


def timed(what, cmd, env=None):
    """Wall time of a whole command (both cores), as a JSON record."""
    before = load1()
    t0 = time.perf_counter()
    p = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, cwd=ROOT, env=dict(os.environ, **(env or {})))
    wall = time.perf_counter() - t0
    if p.returncode != 0:
        FAILURES.append((what, f"exit {p.returncode}: {(p.stderr.strip().splitlines() or [''])[-1]}"))
        return None
    j = dict(what=what, wall_s=round(wall, 3), load1_before=before, load1_after=load1())
    RAW.append(j)
    with open(OUT / "peers.jsonl", "a") as f:
        f.write(json.dumps(j) + "\n")
    return j


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def fmt_rate(x):
    if x is None:
        return "–"
    return f"{x / 1e6:.2f}M" if x >= 1e6 else f"{x / 1e3:.1f}k" if x >= 1e3 else f"{x:.0f}"


def fmt_s(x):
    return "–" if x is None else f"{x:.2f} s" if x < 10 else f"{x:.1f} s"


def spread(xs, f):
    xs = [x for x in xs if x is not None]
    return "" if len(xs) < 2 else f" ({f(min(xs))}–{f(max(xs))})"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__.split("\n\n", 1)[1])
    ap.add_argument("--rlexp", default=str(ROOT / ".build/release/rlexp"))
    ap.add_argument("--repeats", type=int, default=3, help="measurements of each figure (the median is quoted)")
    ap.add_argument("--seeds", default="2,16,64", help="seed counts of the sweep comparison with the vmapped JAX A2C")
    ap.add_argument("--sweep-steps", type=int, default=300_000, help="env steps per seed in the sweep comparison")
    ap.add_argument("--readme", help="rewrite this file's section between <!-- peers:begin --> and <!-- peers:end -->")
    ap.add_argument("--quick", action="store_true", help="a smoke run: 1 repeat, short runs (figures not comparable)")
    ap.add_argument("--only", help="comma-separated subset of: env,a2c,sweep,acer,a3c")
    ap.add_argument("--setup-only", action="store_true", help="create the venvs when missing, measure nothing")
    a = ap.parse_args()
    if a.quick:
        a.repeats, a.seeds, a.sweep_steps = 1, "2", 20_000
    only = set(a.only.split(",")) if a.only else {"env", "a2c", "sweep", "acer", "a3c"}
    rl = Path(a.rlexp).resolve()
    if not rl.exists():
        sys.exit(f"error: {a.rlexp} does not exist (make build)")
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "peers.jsonl").unlink(missing_ok=True)
    R = range(a.repeats)
    started = datetime.datetime.now(datetime.timezone.utc)
    load_start = os.getloadavg()
    rows = []   # (what, rlexp, peer, ratio, target)

    try:
        peers_py = ensure_venv(PEERS_VENV, "import torch, gymnasium, stable_baselines3, pfrl, packaging",
                               sorted(str(w) for w in Path("/opt/wheels").glob("torch-*+cpu-*.whl"))[-1:] +
                               ["torch", "gymnasium", "stable-baselines3", "pfrl==0.4.0", "packaging"])
    except Exception as e:  # noqa: BLE001
        FAILURES.append(("peers venv", str(e))); peers_py = None
    try:
        jax_py = ensure_venv(JAX_VENV, "import jax, gymnax, optax, six", ["jax", "gymnax", "optax", "six"]) if "sweep" in only or a.setup_only else None
    except Exception as e:  # noqa: BLE001
        FAILURES.append(("jax venv", str(e))); jax_py = None
    if a.setup_only:
        for w, why in FAILURES:
            log(f"error: {w}: {why}")
        return 1 if FAILURES else 0
    versions = {}
    if peers_py:
        v = subprocess.run([str(peers_py), "-c", "from importlib.metadata import version as v; print(*(v(p) for p in ['torch', 'gymnasium', 'stable-baselines3', 'pfrl']))"],
                           capture_output=True, text=True).stdout.split()
        if len(v) == 4:
            versions.update(torch=v[0], gymnasium=v[1], sb3=v[2], pfrl=v[3])
    if jax_py:
        v = subprocess.run([str(jax_py), "-c", "from importlib.metadata import version as v; print(v('jax'), v('gymnax'))"], capture_output=True, text=True).stdout.split()
        if len(v) == 2:
            versions.update(jax=v[0], gymnax=v[1])

    steps_env = 2_000_000 if a.quick else 20_000_000
    train = 100_000 if a.quick else 1_000_000
    if "env" in only and peers_py:
        log("raw CartPole step (1 core): Gymnasium vs rlexp ...")
        g, r = [], []
        for _ in R:
            j = run_json("gymnasium cartpole step", [peers_py, "bench/gym_cartpole_speed.py", 50_000 if a.quick else 200_000, "--json"], pin=True)
            g.append(j and j["steps_per_s"])
            j = run_json("rlexp cartpole step", [rl, "bench", "--figure", "cartpole_step", "--env-steps", steps_env], pin=True)
            r.append(j and j["steps_per_s"])
        rows.append(("CartPole-v1 raw step, 1 env, 1 core (steps/s)", fmt_rate(med(r)) + spread(r, fmt_rate),
                     f"Gymnasium {versions.get('gymnasium', '')}: " + fmt_rate(med(g)) + spread(g, fmt_rate), med(r), med(g), "≥ 100×"))

    if "a2c" in only and peers_py:
        log("A2C training and time to solve (1 core): SB3 vs rlexp ...")
        sb, rs, sbs, rss, sbst, rsst, tss, tsst = [], [], [], [], [], [], [], []
        for seed in R:
            j = run_json(f"sb3 a2c seed {seed}", [peers_py, "bench/sb3_run.py", "a2c", seed, 30_000 if a.quick else 200_000, 600], pin=True)
            sb.append(j and j["steps_per_s"]); sbs.append(j and j["solved_wall_s"]); sbst.append(j and j["solved_steps"])
            j = run_json("rlexp a2c", [rl, "bench", "--figure", "a2c", "--train-steps", train], pin=True)
            rs.append(j and j["steps_per_s"])
            j = run_json(f"rlexp a2c solve seed {seed}", [rl, "bench", "--figure", "a2c_solve", "--seed", seed], pin=True)
            rss.append(j and j["solved_wall_s"]); rsst.append(j and j["solved_steps"])
            j = run_json(f"rlexp a2c solve rmsprop_torch seed {seed}", [rl, "bench", "--figure", "a2c_solve_rmsprop_torch", "--seed", seed], pin=True)
            tss.append(j and j["solved_wall_s"]); tsst.append(j and j["solved_steps"])
        rows.append(("A2C training, 1 core (env steps/s)", fmt_rate(med(rs)) + spread(rs, fmt_rate),
                     f"SB3 {versions.get('sb3', '')} A2C: " + fmt_rate(med(sb)) + spread(sb, fmt_rate), med(rs), med(sb), "≥ 100×"))
        unsolved = sum(x is None for x in sbs)
        rows.append(("A2C wall time to solve, 1 core (mean of last 20 training episodes ≥ 475)",
                     fmt_s(med(rss)) + f" at {fmt_rate(med(rsst))} steps",
                     "SB3 A2C: " + fmt_s(med(sbs)) + f" at {fmt_rate(med(sbst))} steps" + (f"; {unsolved} of {len(sbs)} seeds unsolved" if unsolved else ""),
                     None if med(sbs) is None or med(rss) is None else 1 / med(rss), None if med(sbs) is None else 1 / med(sbs), "≥ 100× less"))
        rows.append(("the same, rlexp with SB3's optimiser (`\"optimizer\": \"rmsprop_torch\"`)",
                     fmt_s(med(tss)) + f" at {fmt_rate(med(tsst))} steps", "SB3 A2C: " + fmt_s(med(sbs)) + f" at {fmt_rate(med(sbst))} steps",
                     None if med(sbs) is None or med(tss) is None else 1 / med(tss), None if med(sbs) is None else 1 / med(sbs), "≥ 100× less"))

    if "sweep" in only:
        log("A2C sweeps (2 cores): vmapped JAX vs rlexp run --jobs 2 ...")
        base = json.loads((ROOT / "experiments/a2c_cartpole.json").read_text())
        for n in [int(x) for x in a.seeds.split(",")]:
            spec = dict(base, name=f"peers_a2c_{n}", seeds=n, total_steps=a.sweep_steps)
            sp = OUT / f"a2c_{n}_seeds.json"
            sp.write_text(json.dumps(spec, indent=2) + "\n")
            jx = None
            if jax_py:
                jx = run_json(f"jax a2c {n} seeds", [jax_py, "bench/jax_a2c.py", "--seeds", n, "--steps", a.sweep_steps, "--eval", "--repeats", a.repeats], timeout=3600)
            walls = []
            for _ in R:
                j = timed(f"rlexp sweep {n} seeds jobs 2", [rl, "run", sp, "--jobs", 2, "--out", OUT / f"results_{n}", "--restart"])
                walls.append(j and j["wall_s"])
            rw = med(walls)
            if jx:
                rows.append((f"A2C, {n} seeds × {a.sweep_steps // 1000}k steps, 2 cores: wall time vs JAX training alone",
                             fmt_s(rw) + spread(walls, fmt_s), f"JAX {versions.get('jax', '')} + gymnax, vmapped: {fmt_s(jx['train_s'])} train" + spread(jx.get("train_s_all", []), fmt_s),
                             None if rw is None else 1 / rw, 1 / jx["train_s"], "≥ 2×" if n == 16 else ""))
                rows.append((f"A2C, {n} seeds, 2 cores: wall time vs JAX end to end (import, compile, first run)",
                             fmt_s(rw), f"JAX: {fmt_s(jx['end_to_end_s'])} ({fmt_s(jx['compile_s'])} in the compiling call)",
                             None if rw is None else 1 / rw, 1 / jx["end_to_end_s"], "≥ 4×" if n == 16 else ""))
            else:
                rows.append((f"A2C, {n} seeds × {a.sweep_steps // 1000}k steps, 2 cores", fmt_s(rw), "JAX not measured", None, None, ""))
        n = 16 if 16 in [int(x) for x in a.seeds.split(",")] else int(a.seeds.split(",")[0])
        sp = OUT / f"a2c_{n}_seeds.json"
        one, two = [], []
        for _ in R:
            j = timed(f"rlexp sweep {n} seeds jobs 1", [rl, "run", sp, "--jobs", 1, "--out", OUT / f"results_{n}_j1", "--restart", "--no-report"])
            one.append(j and j["wall_s"])
            j = timed(f"rlexp sweep {n} seeds jobs 2", [rl, "run", sp, "--jobs", 2, "--out", OUT / f"results_{n}_j2", "--restart", "--no-report"])
            two.append(j and j["wall_s"])
        rows.append((f"rlexp sweep scaling, {n} seeds, --jobs 2 vs --jobs 1 (no report)", fmt_s(med(two)) + spread(two, fmt_s),
                     "--jobs 1: " + fmt_s(med(one)) + spread(one, fmt_s), None if med(two) is None else 1 / med(two),
                     None if med(one) is None else 1 / med(one), "≥ 1.9×"))

    for key, algo, fig, label, target in [("acer", "acer", "acer_rr4", "ACER, replay ratio 4 (env steps/s; rlexp 1 core, PFRL 2 processes)", "≥ 300×"),
                                          ("a3c", "a3c", "a3c_threads2", "A3C (env steps/s; rlexp 2 threads, PFRL 2 processes)", "≥ 50×")]:
        if key not in only or not peers_py:
            continue
        log(f"{algo.upper()}: PFRL vs rlexp ...")
        p, r = [], []
        for seed in R:
            j = run_json(f"pfrl {algo} seed {seed}", [peers_py, "bench/pfrl_run.py", algo, seed, 2, 1_000_000, 15 if a.quick else 45],
                         env={"PEERS_OUT": str(OUT)})
            p.append(j and j["steps_per_s"])
            if j and algo == "a3c":
                (OUT / "pfrl_a3c.json").write_text(json.dumps(j) + "\n")
            j = run_json(f"rlexp {fig}", [rl, "bench", "--figure", fig, "--train-steps", train], pin=(algo == "acer"))
            r.append(j and j["steps_per_s"])
        rows.append((label, fmt_rate(med(r)) + spread(r, fmt_rate), f"PFRL {versions.get('pfrl', '')}: " + fmt_rate(med(p)) + spread(p, fmt_rate),
                     med(r), med(p), target))

    load_end = os.getloadavg()
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor()) \
        if Path("/proc/cpuinfo").exists() else platform.processor()
    lines = [f"Measured {started:%Y-%m-%d %H:%M} UTC by `python3 bench/peers.py --rlexp {a.rlexp} --repeats {a.repeats}` "
             f"(`make bench`), {cpu}, {os.cpu_count()} cores; load average (1/5/15 min) "
             f"{load_start[0]:.2f}/{load_start[1]:.2f}/{load_start[2]:.2f} before, {load_end[0]:.2f}/{load_end[1]:.2f}/{load_end[2]:.2f} after. "
             f"Medians of {a.repeats} (range in brackets); each peer ran right before the rlexp figure it is compared with.", "",
             "| what | rlexp | peer, same run | ratio | target |", "|---|---|---|---|---|"]
    for what, ours, peer, x, y, target in rows:
        ratio = "–" if x is None or y is None else f"{x / y:.2f}×" if x / y < 3 else f"{x / y:.1f}×" if x / y < 10 else f"{x / y:.0f}×"
        lines.append(f"| {what} | {ours} | {peer} | {ratio} | {target} |")
    if FAILURES:
        lines += ["", "Not measured: " + "; ".join(f"{w}: {why}" for w, why in FAILURES)]
    table = "\n".join(lines) + "\n"
    (OUT / "peers.md").write_text(table)
    print(table)
    if a.readme:
        p = Path(a.readme)
        text = p.read_text()
        b, e = "<!-- peers:begin -->", "<!-- peers:end -->"
        if b in text and e in text:
            p.write_text(text[:text.index(b) + len(b)] + "\n" + table + text[text.index(e):])
            log(f"{a.readme}: peers table rewritten")
        else:
            log(f"{a.readme} has no {b} … {e} section; not rewritten")
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
