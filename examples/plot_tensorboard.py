#!/usr/bin/env python3
"""Plot a sweep's learning curves from the TensorBoard event files rlexp writes (no rlexp code, no h5py).

usage: rlexp export RESULTS_DIR --format tensorboard
       python3 examples/plot_tensorboard.py RESULTS_DIR [--tag curve/eval_return] [--out curves.png]

`rlexp export --format tensorboard` writes one TensorBoard run per run.h5 under
RESULTS_DIR/tensorboard/<run id>/ (a RESULTS_DIR/tensorboard folder itself is accepted too). This
script reads each with the tensorboard package's own event reader (EventAccumulator): the scalar
`--tag` at its env steps, and the run's configuration label and seed from the HParams plugin's
session_start_info. Runs of one configuration are averaged over seeds (at the steps they share),
with the seeds' min-max as a band, one line per configuration, saved as a PNG.
"""
import argparse
import os
from collections import defaultdict

import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator  # noqa: E402
from tensorboard.plugins.hparams import plugin_data_pb2  # noqa: E402


def load_runs(logdir, tag):
    """{config label: [(steps, values, seed), ...]} for every TensorBoard run under logdir."""
    runs = defaultdict(list)
    for name in sorted(os.listdir(logdir)):
        path = os.path.join(logdir, name)
        if not os.path.isdir(path):
            continue
        ea = EventAccumulator(path, size_guidance={"scalars": 0, "tensors": 0})
        ea.Reload()
        if tag not in ea.Tags()["scalars"]:
            continue
        events = ea.Scalars(tag)
        label, seed = name, None
        content = ea.PluginTagToContent("hparams")
        if "_hparams_/session_start_info" in content:
            hp = plugin_data_pb2.HParamsPluginData.FromString(content["_hparams_/session_start_info"]).session_start_info.hparams
            if "config" in hp:
                label = hp["config"].string_value or name
            if "seed" in hp:
                seed = int(hp["seed"].number_value)
        runs[label].append((np.array([e.step for e in events]), np.array([e.value for e in events]), seed))
    return runs


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("results_dir", help="a results folder after `rlexp export ... --format tensorboard`, or its tensorboard/ folder")
    ap.add_argument("--tag", default="curve/eval_return", help="scalar tag to plot (default: curve/eval_return)")
    ap.add_argument("--out", default=None, help="PNG to write (default: RESULTS_DIR/tensorboard_curves.png)")
    a = ap.parse_args()
    logdir = a.results_dir
    if os.path.isdir(os.path.join(logdir, "tensorboard")):
        logdir = os.path.join(logdir, "tensorboard")
    runs = load_runs(logdir, a.tag)
    if not runs:
        raise SystemExit(f"no TensorBoard runs with the tag {a.tag} under {logdir} (run `rlexp export RESULTS_DIR --format tensorboard` first)")
    out = a.out or os.path.join(a.results_dir, "tensorboard_curves.png")
    fig, ax = plt.subplots(figsize=(8, 5))
    for label in sorted(runs):
        curves = runs[label]
        common = sorted(set.intersection(*(set(s.tolist()) for s, _, _ in curves)))
        if not common:
            continue
        ys = np.array([[dict(zip(s.tolist(), v.tolist()))[x] for x in common] for s, v, _ in curves])
        ax.plot(common, ys.mean(axis=0), label=f"{label} ({len(curves)} seed{'s' if len(curves) > 1 else ''})")
        if len(curves) > 1:
            ax.fill_between(common, ys.min(axis=0), ys.max(axis=0), alpha=0.2)
    ax.set_xlabel("env steps")
    ax.set_ylabel(a.tag)
    ax.set_title(f"{os.path.basename(os.path.normpath(a.results_dir))}: {a.tag} (mean over seeds, min-max band)")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    print(f"wrote {out} ({sum(len(c) for c in runs.values())} runs, {len(runs)} configurations)")


if __name__ == "__main__":
    main()
