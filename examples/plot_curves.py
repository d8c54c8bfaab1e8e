#!/usr/bin/env python3
"""Read rlexp results with h5py + pandas and plot learning curves with matplotlib (no rlexp code).

usage: python3 examples/plot_curves.py RESULTS_DIR [--out curves.png]

Every run of the sweep is RESULTS_DIR/runs/<run id>/run.h5. Its /curve group holds equal-length
1-D datasets (step, eval_return, ...), and the root attributes hold the resolved configuration
as JSON. This script builds one long DataFrame of all curves, averages the evaluation return
over seeds per configuration, and saves a plot.
"""
import argparse
import glob
import json
import os

import h5py
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402


def load_curves(results_dir):
    frames = []
    for path in sorted(glob.glob(os.path.join(results_dir, "runs", "*", "run.h5"))):
        with h5py.File(path, "r") as f:
            df = pd.DataFrame({k: f["curve"][k][:] for k in f["curve"]})
            df["run_id"] = f.attrs["run_id"]
            df["config"] = f.attrs["config_label"]
            df["seed"] = int(f.attrs["seed"])
            df["gamma"] = json.loads(f.attrs["config"])["hyperparameters"]["gamma"]
        frames.append(df)
    if not frames:
        raise SystemExit(f"no run.h5 files under {results_dir}/runs")
    return pd.concat(frames, ignore_index=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("results_dir")
    ap.add_argument("--out", default="curves.png")
    args = ap.parse_args()
    df = load_curves(args.results_dir)
    summary = df.groupby(["config", "step"])["eval_return"].agg(["mean", "std", "count"]).reset_index()
    fig, ax = plt.subplots(figsize=(7, 4))
    for config, g in summary.groupby("config"):
        ax.plot(g["step"], g["mean"], label=f"{config} ({int(g['count'].max())} seeds)")
        ax.fill_between(g["step"], g["mean"] - g["std"].fillna(0), g["mean"] + g["std"].fillna(0), alpha=0.2)
    ax.set_xlabel("environment steps")
    ax.set_ylabel("greedy evaluation return")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(args.out, dpi=100)
    print(f"{len(df['run_id'].unique())} runs, {len(summary['config'].unique())} configurations -> {args.out}")


if __name__ == "__main__":
    main()
