#!/usr/bin/env python3
"""Stable-Baselines3's PPO with rl-baselines3-zoo's CartPole-v1 settings, timed the way `rlexp bench`
times its own PPO: wall-clock seconds and env steps until the mean return of the last 20 finished
training episodes first reaches 475, and training env steps per second.

usage: sb3_ppo_zoo.py SEED [MAX_STEPS=100000]     prints one JSON line
Zoo settings (hyperparams/ppo.yml, CartPole-v1): 8 envs, n_steps 32, batch 256, 20 epochs,
gamma 0.98, GAE lambda 0.8, ent_coef 0, learning rate lin_1e-3, clip range lin_0.2, MlpPolicy
(64x64 tanh, separate actor and critic). One torch thread (the bench pins the process to one core).
"""
import json
import os
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
import torch  # noqa: E402

torch.set_num_threads(1)
from stable_baselines3 import PPO  # noqa: E402
from stable_baselines3.common.callbacks import BaseCallback  # noqa: E402
from stable_baselines3.common.env_util import make_vec_env  # noqa: E402

seed = int(sys.argv[1]) if len(sys.argv) > 1 else 0
max_steps = int(sys.argv[2]) if len(sys.argv) > 2 else 100_000


def linear(start):
    return lambda progress_remaining: progress_remaining * start


class SolveProbe(BaseCallback):
    """Stops at the first step where the last 20 finished episodes average >= 475."""

    def __init__(self):
        super().__init__()
        self.returns, self.solved_steps, self.solved_wall, self.best = [], None, None, float("-inf")

    def _on_training_start(self):
        self.t0 = time.perf_counter()

    def _on_step(self):
        for info in self.locals["infos"]:
            ep = info.get("episode")
            if ep is None:
                continue
            self.returns.append(ep["r"])
            if len(self.returns) >= 20:
                m = sum(self.returns[-20:]) / 20
                self.best = max(self.best, m)
                if m >= 475:
                    self.solved_steps, self.solved_wall = self.num_timesteps, time.perf_counter() - self.t0
                    return False
        return True


env = make_vec_env("CartPole-v1", n_envs=8, seed=seed)
model = PPO("MlpPolicy", env, n_steps=32, batch_size=256, gae_lambda=0.8, gamma=0.98, n_epochs=20, ent_coef=0.0,
            learning_rate=linear(1e-3), clip_range=linear(0.2), seed=seed, device="cpu", verbose=0)
probe = SolveProbe()
t0 = time.perf_counter()
model.learn(total_timesteps=max_steps, callback=probe)
wall = time.perf_counter() - t0
print(json.dumps(dict(peer="sb3-ppo-zoo", seed=seed, steps=model.num_timesteps, wall_s=wall,
                      steps_per_s=model.num_timesteps / wall, solved_steps=probe.solved_steps,
                      solved_wall_s=probe.solved_wall, best_mean20=probe.best, load=os.getloadavg()[0])))
