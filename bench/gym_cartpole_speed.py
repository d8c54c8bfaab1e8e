#!/usr/bin/env python3
"""Gymnasium's CartPole-v1, raw `step` speed: one env made with gym.make (its default wrappers),
uniformly random actions drawn before the clock starts, reset on termination or truncation.

usage: gym_cartpole_speed.py [STEPS=200000] [--json]
Prints "single gym.make env (with wrappers): N steps in Xs = R steps/s" (read by `rlexp bench
--peer-python`), or with --json one JSON line {"steps_per_s": R, ...} (read by bench/peers.py).
"""
import json
import sys
import time

import numpy as np
import gymnasium as gym

args = [a for a in sys.argv[1:] if not a.startswith("--")]
n = int(args[0]) if args else 200_000
env = gym.make("CartPole-v1")
env.reset(seed=0)
actions = np.random.default_rng(0).integers(0, 2, size=n).tolist()
t0 = time.perf_counter()
for a in actions:
    _, _, term, trunc, _ = env.step(a)
    if term or trunc:
        env.reset()
dt = time.perf_counter() - t0
if "--json" in sys.argv:
    print(json.dumps({"figure": "gymnasium_cartpole_step", "gymnasium": gym.__version__, "steps": n, "seconds": round(dt, 4), "steps_per_s": round(n / dt, 1)}))
else:
    print(f"single gym.make env (with wrappers): {n} steps in {dt:.3f}s = {n / dt:,.0f} steps/s")
