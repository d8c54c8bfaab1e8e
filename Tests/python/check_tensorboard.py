#!/usr/bin/env python3
"""`rlexp export RESULTS_DIR --format tensorboard`, read back with the tensorboard package's own
event reader (EventAccumulator) and compared with run.h5: every curve column, every per-update
metric and every training episode, at the right steps, as Float32 (TensorBoard's simple_value);
and the hyperparameters through the HParams plugin's own protobuf classes.

Usage: check_tensorboard.py --rlexp .build/release/rlexp   (installs tensorboard from PyPI if missing)
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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rlexp", required=True)
    a = ap.parse_args()
    try:
        import tensorboard  # noqa: F401
    except ImportError:
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check", "tensorboard"], check=True)
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    from tensorboard.plugins.hparams import plugin_data_pb2

    with tempfile.TemporaryDirectory() as tmp:
        spec = Path(tmp) / "tb.json"
        spec.write_text(json.dumps({"name": "tb", "env": "CartPole-v1", "algo": "acer", "total_steps": 12000, "seeds": 2,
                                    "eval": {"interval": 4000, "episodes": 2},
                                    "hyperparameters": {"replay_start": 1000, "buffer_size": 4000},
                                    "sweep": {"trust_region": [True, False]}}))
        out = Path(tmp) / "out"
        r = subprocess.run([a.rlexp, "run", str(spec), "--out", str(out), "--no-report"], capture_output=True, text=True)
        check("sweep ran", r.returncode == 0, r.stderr[-500:])
        r = subprocess.run([a.rlexp, "export", str(out), "--format", "tensorboard"], capture_output=True, text=True)
        check("export --format tensorboard", r.returncode == 0 and "tensorboard --logdir" in r.stdout, r.stderr[-500:])
        runs = sorted(p.name for p in (out / "runs").iterdir())
        check("one TensorBoard run per run.h5", sorted(p.name for p in (out / "tensorboard").iterdir()) == runs)
        for rid in runs:
            ea = EventAccumulator(str(out / "tensorboard" / rid), size_guidance={"scalars": 0, "tensors": 0})
            ea.Reload()
            tags = set(ea.Tags()["scalars"])
            with h5py.File(out / "runs" / rid / "run.h5") as f:
                mismatches, compared = [], 0
                for table, xcol in [("curve", "step"), ("updates", "step")]:
                    g = f[table]
                    steps = g[xcol][:]
                    for col in g:
                        if col in ("step", "update"):
                            continue
                        want = g[col][:].astype(np.float64)
                        keep = ~np.isnan(want)
                        tag = f"{table}/{col}"
                        if not keep.any():
                            if tag in tags:
                                mismatches.append(f"{tag}: all-NaN column exported")
                            continue
                        if tag not in tags:
                            mismatches.append(f"{tag}: missing")
                            continue
                        ev = ea.Scalars(tag)
                        got_steps = np.array([e.step for e in ev])
                        got = np.array([e.value for e in ev], dtype=np.float32)
                        if not np.array_equal(got_steps, steps[keep].astype(np.int64)) or not np.array_equal(got, want[keep].astype(np.float32)):
                            mismatches.append(f"{tag}: values or steps differ")
                        compared += len(ev)
                ret = ea.Scalars("episodes/return")
                want = f["episodes"]["return"][:].astype(np.float32)
                if not np.array_equal(np.array([e.value for e in ret], dtype=np.float32), want) or \
                        [e.step for e in ret] != list(f["episodes"]["step"][:]):
                    mismatches.append("episodes/return differs")
                compared += len(ret)
                check(f"{rid}: {compared} scalars equal run.h5 (as float32, at their env steps)", not mismatches, mismatches[:5])
                # the hyperparameters, through the HParams plugin's own protobuf classes
                content = ea.PluginTagToContent("hparams")
                start = plugin_data_pb2.HParamsPluginData.FromString(content["_hparams_/session_start_info"]).session_start_info
                end = plugin_data_pb2.HParamsPluginData.FromString(content["_hparams_/session_end_info"]).session_end_info
                config = json.loads(f.attrs["config"])["hyperparameters"]
                hp = start.hparams
                ok = hp["seed"].number_value == int(f.attrs["seed"]) and hp["algo"].string_value == "acer"
                ok = ok and hp["trust_region"].bool_value == config["trust_region"] and abs(hp["lr"].number_value - config["lr"]) == 0
                ok = ok and hp["hidden"].string_value == json.dumps(config["hidden"]).replace(" ", "") and end.status == 1
                check(f"{rid}: HParams session start/end carry the run's hyperparameters", ok, str(start)[:400])
        # examples/plot_tensorboard.py plots the sweep from these event files
        png = Path(tmp) / "curves.png"
        example = Path(__file__).resolve().parents[2] / "examples" / "plot_tensorboard.py"
        r = subprocess.run([sys.executable, str(example), str(out), "--out", str(png)], capture_output=True, text=True)
        check("examples/plot_tensorboard.py writes a PNG of the sweep's 2 configurations x 2 seeds",
              r.returncode == 0 and png.exists() and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and "4 runs, 2 configurations" in r.stdout,
              r.stdout + r.stderr[-500:])
    print(f"tensorboard: {len(FAILED)} failure(s)" if FAILED else "tensorboard: all checks passed")
    sys.exit(1 if FAILED else 0)


if __name__ == "__main__":
    main()
