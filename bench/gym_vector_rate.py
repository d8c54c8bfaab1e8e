#!/usr/bin/env python3
"""Steps per second of a Gymnasium vector environment in-process, the baseline of the bridge's
cost (`rlexp env bridge-bench`): gymnasium.vector.SyncVectorEnv of COPIES copies of ENV_ID,
reset in the same step (as the bridge's worker runs it), uniformly random actions drawn before the
clock starts. Usage: python bench/gym_vector_rate.py ENV_ID COPIES STEPS; prints one JSON line."""
import json
import sys
import time

import gymnasium as gym
import numpy as np

env_id, copies, steps = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
envs = gym.vector.SyncVectorEnv([lambda: gym.make(env_id) for _ in range(copies)],
                                autoreset_mode=gym.vector.AutoresetMode.SAME_STEP)
envs.reset(seed=list(range(copies)))
rounds = max(1, steps // copies)
rng = np.random.default_rng(0)
actions = rng.integers(0, envs.single_action_space.n, size=(rounds, copies))
t0 = time.perf_counter()
for k in range(rounds):
    envs.step(actions[k])
dt = time.perf_counter() - t0
print(json.dumps({"id": env_id, "copies": copies, "steps": rounds * copies, "seconds": dt, "steps_per_s": rounds * copies / dt}))
