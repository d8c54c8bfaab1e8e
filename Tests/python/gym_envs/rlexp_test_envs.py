"""Gymnasium environments that misbehave on purpose, for the bridge's error tests
(Tests/python/check_gym_bridge.py). Used as `gym:rlexp_test_envs:<Name>-v0` with this folder on
PYTHONPATH (Gymnasium's "module:id" form imports the module, which registers them)."""
import os
import time

import gymnasium as gym
import numpy as np


class Misbehaving(gym.Env):
    """A 4-float observation, 2 actions, episodes of 20 steps; does `how` at global step `at`."""

    def __init__(self, how="none", at=300):
        self.observation_space = gym.spaces.Box(-1.0, 1.0, (4,), np.float32)
        self.action_space = gym.spaces.Discrete(2)
        self.how, self.at, self.steps, self.t = how, at, 0, 0

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.t = 0
        return self.np_random.uniform(-1, 1, 4).astype(np.float32), {}

    def step(self, action):
        self.steps += 1
        self.t += 1
        if self.steps == self.at:
            if self.how == "raise":
                raise RuntimeError("the test environment fails on purpose at step %d" % self.steps)
            if self.how == "exit":
                os._exit(7)
            if self.how == "hang":
                time.sleep(3600)
        if self.how == "slow":
            time.sleep(0.002)
        obs = self.np_random.uniform(-1, 1, 4).astype(np.float32)
        return obs, float(action), self.t >= 20, False, {}


class DictObservation(gym.Env):
    observation_space = gym.spaces.Dict({"a": gym.spaces.Discrete(3)})
    action_space = gym.spaces.Discrete(2)

    def reset(self, *, seed=None, options=None):
        return {"a": 0}, {}

    def step(self, action):
        return {"a": 0}, 0.0, True, False, {}


for name, how in [("Crash", "raise"), ("Exit", "exit"), ("Hang", "hang"), ("Slow", "slow"), ("Fine", "none")]:
    gym.register(f"{name}-v0", entry_point=Misbehaving, kwargs={"how": how})
gym.register("DictObs-v0", entry_point=DictObservation)
