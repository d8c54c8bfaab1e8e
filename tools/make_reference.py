#!/usr/bin/env python3
"""Make a reference file for `rlexp env check --reference FILE` from your own Gymnasium and MinAtar.

rlexp's built-in environments mirror Gymnasium's classic control and MinAtar bit for bit. This
script records trajectories from the Python packages installed here, in the layout `rlexp env check`
reads, so you can verify rlexp against your own versions:

  /classic_control/<EnvId>/   N trajectories x T steps from explicit float64 initial states:
      init_state (N x S float64), actions (N x T int64, or N x T x A float32 for Box actions),
      obs (N x (T+1) x D float32), state (N x (T+1) x S float64, env.unwrapped.state),
      reward, terminated, truncated (N x T), first_done (N; first step with terminated or
      truncated, -1 if none). Episodes are not reset when they end (the physics continues).
  /minatar_exact/<game>/seed_<k>/   whole MinAtar episodes: agent_action (T), reward (T),
      terminal (T), obs ((T+1) x 10 x 10 x C uint8; obs[0] after seed(k) + reset()), with the
      sticky probability and difficulty ramping as attributes of the game group.

Usage:
  python3 tools/make_reference.py --out my_reference.h5 [--envs CartPole-v1 Pendulum-v1]
      [--games breakout seaquest] [--trajectories 20] [--steps 300] [--episodes 20]
  rlexp env check --reference my_reference.h5

Needs numpy, h5py and gymnasium; MinAtar episodes need the `minatar` package (skipped without it).
Initial states: the first half of the trajectories from env.reset(seed=...), the second half from a
wider box than the reset distribution (to exercise clipping, wrapping and termination); actions
are uniformly random (Box actions 10% beyond the bounds, to exercise the clip).
"""
import argparse
import sys

import h5py
import numpy as np

CLASSIC = ["CartPole-v1", "Acrobot-v1", "MountainCar-v0", "Pendulum-v1"]
WIDE = {  # wider initial-state boxes for the second half of the trajectories
    "CartPole-v1": ([-2.0, -1.5, -0.19, -1.5], [2.0, 1.5, 0.19, 1.5]),
    "Acrobot-v1": ([-1.0, -np.pi, -4 * np.pi, -9 * np.pi], [1.0, np.pi, 4 * np.pi, 9 * np.pi]),
    "MountainCar-v0": ([-1.2, -0.07], [0.5, 0.07]),
    "Pendulum-v1": ([-2 * np.pi, -8.0], [2 * np.pi, 8.0]),
}
GAMES = ["asterix", "breakout", "freeway", "seaquest", "space_invaders"]


def classic(group, env_id, n, steps, seed):
    import gymnasium as gym
    env = gym.make(env_id)
    rng = np.random.default_rng(seed)
    box = not hasattr(env.action_space, "n")
    inits, acts, obs, states, rewards, terms, truncs, first = [], [], [], [], [], [], [], []
    for i in range(n):
        env.reset(seed=seed + i)   # clears the TimeLimit counter and the env's own counters
        if i < n // 2:
            init = np.array(env.unwrapped.state, dtype=np.float64)
        else:
            lo, hi = WIDE[env_id]
            init = rng.uniform(lo, hi).astype(np.float64)
        env.unwrapped.state = init.copy()
        u = env.unwrapped   # the observation of the state just set, as the environment computes it
        o0 = u._get_ob() if hasattr(u, "_get_ob") else u._get_obs() if hasattr(u, "_get_obs") else np.array(init, dtype=np.float32)
        if box:
            lo, hi = env.action_space.low, env.action_space.high
            a = rng.uniform(lo * 1.1, hi * 1.1, size=(steps,) + env.action_space.shape).astype(np.float32)
        else:
            a = rng.integers(0, env.action_space.n, size=steps).astype(np.int64)
        o, s, r, te, tr = [np.asarray(o0, np.float32)], [init.copy()], [], [], []
        for t in range(steps):
            ob, rew, term, trunc, _ = env.step(a[t] if box else int(a[t]))
            o.append(np.asarray(ob, np.float32)); s.append(np.array(env.unwrapped.state, np.float64))
            r.append(float(rew)); te.append(bool(term)); tr.append(bool(trunc))
        done = [t for t in range(steps) if te[t] or tr[t]]
        inits.append(init); acts.append(a); obs.append(o); states.append(s)
        rewards.append(r); terms.append(te); truncs.append(tr); first.append(done[0] if done else -1)
    g = group.create_group(env_id)
    for name, data, dtype in [("init_state", inits, np.float64), ("actions", acts, np.float32 if box else np.int64),
                              ("obs", obs, np.float32), ("state", states, np.float64), ("reward", rewards, np.float64),
                              ("terminated", terms, bool), ("truncated", truncs, bool), ("first_done", first, np.int64)]:
        g.create_dataset(name, data=np.asarray(data, dtype=dtype), compression="gzip")
    print(f"classic_control/{env_id}: {n} trajectories x {steps} steps", file=sys.stderr)


def record_minatar(group, game, episodes, seed, sticky=0.1, ramping=True):
    from minatar import Environment
    g = group.create_group(game)
    g.attrs["sticky_action_prob"] = sticky
    g.attrs["difficulty_ramping"] = int(ramping)
    rng = np.random.default_rng(seed)
    for k in range(episodes):
        env = Environment(game, sticky_action_prob=sticky, difficulty_ramping=ramping)
        env.seed(k)
        env.reset()
        n = env.num_actions()
        acts, rews, terms, obs = [], [], [], [env.state().astype(np.uint8)]
        done = False
        while not done:
            a = int(rng.integers(0, n))
            r, done = env.act(a)
            acts.append(a); rews.append(int(r)); terms.append(bool(done)); obs.append(env.state().astype(np.uint8))
        e = g.create_group(f"seed_{k}")
        e.attrs["seed"] = k
        e.create_dataset("agent_action", data=np.asarray(acts, np.int64))
        e.create_dataset("reward", data=np.asarray(rews, np.int64))
        e.create_dataset("terminal", data=np.asarray(terms, bool))
        e.create_dataset("obs", data=np.asarray(obs, np.uint8), compression="gzip")
    print(f"minatar_exact/{game}: {episodes} episodes", file=sys.stderr)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--envs", nargs="*", default=CLASSIC)
    ap.add_argument("--games", nargs="*", default=GAMES)
    ap.add_argument("--trajectories", type=int, default=20)
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--episodes", type=int, default=20)
    ap.add_argument("--seed", type=int, default=1000)
    args = ap.parse_args()
    with h5py.File(args.out, "w") as f:
        import gymnasium
        f.attrs["gymnasium"] = gymnasium.__version__
        f.attrs["numpy"] = np.__version__
        if args.envs:
            cc = f.create_group("classic_control")
            for env_id in args.envs:
                classic(cc, env_id, args.trajectories, args.steps, args.seed)
        if args.games:
            try:
                import minatar  # noqa: F401
            except ImportError:
                print("minatar is not installed: no MinAtar episodes (pip install minatar)", file=sys.stderr)
                return 0
            mg = f.create_group("minatar_exact")
            for game in args.games:
                record_minatar(mg, game, args.episodes, args.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
