#!/usr/bin/env python3
"""Steps per second of the Python environments rlexp mirrors, measured the way `rlexp env bench`
measures its own: one environment, uniformly random actions drawn before the clock starts, reset
on done, wall clock. Every id through gym.make (TimeLimit and the other default wrappers included;
MinAtar's ids by `minatar.gym.register_envs()`), and MinAtar also through its own Environment
class (`act` and `state()`, sticky actions 0.1, ramping on: the fastest Python path), reported as
`api_steps_per_s`.

Usage: python3 bench/python_env_rates.py [STEPS] [ID ...]
Prints one JSON object per line: {"id": ..., "steps": ..., "seconds": ..., "steps_per_s": ...
(gym.make), "api_steps_per_s": ... (MinAtar only)};
an environment whose package is missing gets {"id": ..., "error": "..."}.
"""
import json
import sys
import time

import numpy as np

CLASSIC = ["CartPole-v1", "Acrobot-v1", "MountainCar-v0", "Pendulum-v1"]
GAMES = {"Asterix": "asterix", "Breakout": "breakout", "Freeway": "freeway", "Seaquest": "seaquest", "SpaceInvaders": "space_invaders"}
# MinAtar/<Game>-v0: all six actions; -v1: the game's minimal action set (as MinAtar registers them)
MINATAR = {f"MinAtar/{g}-v{v}": (name, v == 1) for g, name in GAMES.items() for v in (0, 1)}


def classic(env_id, steps):
    import gymnasium as gym
    if env_id.startswith("MinAtar/") and env_id not in gym.registry:
        from minatar.gym import register_envs   # MinAtar's own Gymnasium registration
        register_envs()
    env = gym.make(env_id)
    env.reset(seed=0)
    rng = np.random.default_rng(0)
    if hasattr(env.action_space, "n"):
        actions = [int(a) for a in rng.integers(0, env.action_space.n, size=min(steps, 65536))]
    else:
        lo, hi = env.action_space.low, env.action_space.high
        actions = [rng.uniform(lo, hi).astype(np.float32) for _ in range(min(steps, 65536))]
    m = len(actions)
    t0 = time.perf_counter()
    for t in range(steps):
        _, _, term, trunc, _ = env.step(actions[t % m])
        if term or trunc:
            env.reset()
    return time.perf_counter() - t0


def minatar(game, minimal, steps):
    from minatar import Environment
    env = Environment(game, sticky_action_prob=0.1, difficulty_ramping=True)
    env.seed(0)
    action_set = env.minimal_action_set() if minimal else list(range(env.num_actions()))
    n = len(action_set)
    actions = [int(action_set[a]) for a in np.random.default_rng(0).integers(0, n, size=min(steps, 65536))]
    m = len(actions)
    env.reset()
    t0 = time.perf_counter()
    for t in range(steps):
        _, done = env.act(actions[t % m])
        env.state()
        if done:
            env.reset()
    return time.perf_counter() - t0


def main():
    steps = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    ids = sys.argv[2:] or CLASSIC + list(MINATAR)
    for env_id in ids:
        try:
            dt = classic(env_id, steps)
            out = {"id": env_id, "steps": steps, "seconds": dt, "steps_per_s": steps / dt}
            if env_id in MINATAR:
                out["api_steps_per_s"] = steps / minatar(*MINATAR[env_id], steps)
            print(json.dumps(out), flush=True)
        except Exception as e:  # a missing package or a failing env: report it, measure the rest
            print(json.dumps({"id": env_id, "error": f"{type(e).__name__}: {e}"}), flush=True)


if __name__ == "__main__":
    main()
