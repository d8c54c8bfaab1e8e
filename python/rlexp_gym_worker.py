"""rlexp's Gymnasium bridge worker: one process owning the Gymnasium environment(s) of one rlexp
vector environment (or of one evaluation environment), driven by rlexp over its stdin/stdout.

rlexp starts it as `python rlexp_gym_worker.py`; nobody else needs to. It exits when its stdin
closes, when it is told to, or when its parent dies (PR_SET_PDEATHSIG on Linux, and a watchdog
thread everywhere).

Protocol (all integers little-endian):

  request   op:u8  length:u32  payload[length]
  response  status:u8 ('K' ok, 'E' error)  length:u32  payload[length]

  op 'H' (hello)  payload: UTF-8 JSON {"id", "kwargs", "wrappers": [{"name", "kwargs"}], "count",
                  "vector": bool}. Makes the environment(s): with "vector", a
                  gymnasium.vector.SyncVectorEnv of `count` copies that resets a finished copy in the
                  same step (AutoresetMode.SAME_STEP); without, one plain environment.
                  Answer: JSON describing the spaces (see `describe`).
  op 'R' (reset)  payload: count x u64 seeds, or nothing (no seeds). Answer: observations.
  op 'S' (step)   payload: count x i32 (Discrete) or count x dim x f32 (Box) actions.
                  Answer: observations, rewards (count x f64), flags (count x u8: bit 0 terminated,
                  bit 1 truncated), then, vector mode only, the final observation of every copy whose
                  episode ended in this step, in copy order.
  op 'P' (state)  Answer: count x (u32 n, n x f64) of `env.unwrapped.state` (for tests that compare
                  physics with rlexp's built-in environments).
  op 'Q' (quit)   Answer: nothing; the worker exits.

Observations travel in their wire dtype: uint8 for uint8 spaces, float32 for every other Box
(float64 ones are cast, as rlexp computes in float32). An error answer's payload is a UTF-8
message naming the environment and the Python exception; after one, rlexp closes the worker.
"""

import json
import os
import select
import signal
import struct
import sys
import threading
import time
import traceback

WIRE_VERSION = 1


def _die_with_parent():
    parent = os.getppid()
    try:  # Linux: the kernel kills us when the parent thread exits
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except Exception:
        pass

    def watch():
        while True:
            time.sleep(1.0)
            if os.getppid() != parent:
                os._exit(3)

    threading.Thread(target=watch, daemon=True).start()


def _plugin_import(env_id):
    """Imports the package that registers `env_id`'s namespace (ALE -> ale_py, MinAtar -> minatar,
    otherwise the namespace's lower-case name), so that gym.make finds ids of plugin packages."""
    import importlib
    import gymnasium as gym
    if ":" in env_id:  # Gymnasium's own "module:Id" form
        return
    namespace = env_id.split("/")[0] if "/" in env_id else None
    if namespace is None:
        return
    # a package that declares the namespace as a `gymnasium.envs` entry point registers it when called
    try:
        from importlib.metadata import entry_points
        for ep in entry_points(group="gymnasium.envs"):
            if ep.name == namespace:
                fn = ep.load()
                if callable(fn):
                    fn()
                return
    except Exception as e:  # noqa: BLE001
        raise RuntimeError(f"the gymnasium.envs entry point of {namespace!r} failed: {type(e).__name__}: {e}") from None
    module = {"ALE": "ale_py", "MinAtar": "minatar"}.get(namespace, namespace.lower())
    try:
        m = importlib.import_module(module)
    except ImportError as e:
        raise RuntimeError(f"the package that provides the namespace {namespace!r} is not installed "
                           f"(tried `import {module}`: {e})") from None
    if hasattr(gym, "register_envs"):
        gym.register_envs(m)


class Worker:
    def __init__(self):
        self.env = None
        self.vector = False
        self.count = 1
        self.env_id = "?"

    # -- making the environment -------------------------------------------------------------
    def make_one(self, env_id, kwargs, wrappers):
        import gymnasium as gym
        env = gym.make(env_id, **kwargs)
        for w in wrappers:
            name = w["name"]
            cls = getattr(gym.wrappers, name, None)
            if cls is None or not isinstance(cls, type):
                raise ValueError(f"gymnasium.wrappers has no wrapper {name!r}")
            env = cls(env, **w.get("kwargs", {}))
        return env

    def hello(self, payload):
        import gymnasium as gym
        import numpy as np
        req = json.loads(payload.decode("utf-8"))
        self.env_id = req["id"]
        self.count = int(req.get("count", 1))
        self.vector = bool(req.get("vector", False))
        kwargs = req.get("kwargs", {})
        wrappers = req.get("wrappers", [])
        _plugin_import(self.env_id)
        if self.vector:
            fns = [lambda: self.make_one(self.env_id, kwargs, wrappers) for _ in range(self.count)]
            mode = gym.vector.AutoresetMode.SAME_STEP
            self.env = gym.vector.SyncVectorEnv(fns, autoreset_mode=mode)
            obs_space, act_space = self.env.single_observation_space, self.env.single_action_space
            spec_env = self.env.envs[0]
        else:
            self.env = self.make_one(self.env_id, kwargs, wrappers)
            obs_space, act_space = self.env.observation_space, self.env.action_space
            spec_env = self.env
        self.obs_space, self.act_space = obs_space, act_space
        desc = describe(self.env_id, obs_space, act_space, spec_env)
        self.obs_dtype = np.uint8 if desc["observation"]["dtype"] == "uint8" else np.float32
        self.obs_size = int(np.prod(desc["observation"]["shape"]))
        self.discrete = desc["action"]["kind"] == "discrete"
        self.discrete_start = int(getattr(act_space, "start", 0)) if self.discrete else 0
        desc["wire_version"] = WIRE_VERSION
        desc["gymnasium"] = gym.__version__
        desc["python"] = sys.version.split()[0]
        return json.dumps(desc).encode("utf-8")

    # -- stepping -----------------------------------------------------------------------------
    def obs_bytes(self, obs):
        import numpy as np
        a = np.ascontiguousarray(np.asarray(obs), dtype=self.obs_dtype)
        return a.tobytes()

    def reset(self, payload):
        import numpy as np
        seeds = None
        if payload:
            seeds = [int(s) for s in np.frombuffer(payload, dtype="<u8")]
        if self.vector:
            obs, _ = self.env.reset(seed=seeds)
        else:
            obs, _ = self.env.reset(seed=seeds[0] if seeds else None)
        return self.obs_bytes(obs)

    def actions(self, payload):
        import numpy as np
        if self.discrete:
            a = np.frombuffer(payload, dtype="<i4").astype(np.int64) + self.discrete_start
            return a if self.vector else int(a[0])
        shape = (self.count,) + tuple(self.act_space.shape) if self.vector else tuple(self.act_space.shape)
        a = np.frombuffer(payload, dtype="<f4").reshape(shape).astype(self.act_space.dtype)
        return a

    def step(self, payload):
        import numpy as np
        obs, rew, term, trunc, info = self.env.step(self.actions(payload))
        rew = np.asarray(rew, dtype="<f8").reshape(-1)
        term = np.asarray(term, dtype=bool).reshape(-1)
        trunc = np.asarray(trunc, dtype=bool).reshape(-1)
        flags = (term.astype(np.uint8) | (trunc.astype(np.uint8) << 1)).tobytes()
        parts = [self.obs_bytes(obs), rew.tobytes(), flags]
        if self.vector:
            done = term | trunc
            if done.any():
                finals = info["final_obs"]
                for i in np.nonzero(done)[0]:
                    parts.append(self.obs_bytes(finals[i]))
        return b"".join(parts)

    def state(self, payload):
        import numpy as np
        envs = self.env.envs if self.vector else [self.env]
        out = []
        for e in envs:
            s = np.asarray(e.unwrapped.state, dtype="<f8").reshape(-1)
            out.append(struct.pack("<I", s.size) + s.tobytes())
        return b"".join(out)


def _finite_or_none(x):
    import math
    return x if x is not None and math.isfinite(x) else None


def _bounds(a):
    """A Box bound as JSON: one number when every element is equal, else the list; None is ±inf."""
    import numpy as np
    flat = np.asarray(a, dtype=np.float64).reshape(-1)
    if flat.size and np.all(flat == flat[0]):
        v = float(flat[0])
        return v if np.isfinite(v) else ("inf" if v > 0 else "-inf")
    return [float(v) if np.isfinite(v) else ("inf" if v > 0 else "-inf") for v in flat]


def describe(env_id, obs_space, act_space, env):
    from gymnasium import spaces
    import numpy as np
    if not isinstance(obs_space, spaces.Box):
        raise TypeError(f"rlexp cannot handle the observation space {obs_space} of {env_id} "
                        f"(it takes Box observations; flatten a Dict/Tuple with gymnasium.wrappers.FlattenObservation)")
    dtype = "uint8" if obs_space.dtype in (np.uint8, np.bool_) else "float32"
    obs = {"shape": [int(d) for d in obs_space.shape], "dtype": dtype,
           "low": _bounds(obs_space.low), "high": _bounds(obs_space.high)}
    if isinstance(act_space, spaces.Discrete):
        act = {"kind": "discrete", "n": int(act_space.n)}
    elif isinstance(act_space, spaces.Box) and len(act_space.shape) == 1:
        act = {"kind": "box", "low": [float(v) for v in act_space.low], "high": [float(v) for v in act_space.high]}
    else:
        raise TypeError(f"rlexp cannot handle the action space {act_space} of {env_id} "
                        f"(it takes Discrete or one-dimensional Box actions)")
    spec = getattr(env, "spec", None)
    return {"observation": obs, "action": act,
            "max_episode_steps": getattr(spec, "max_episode_steps", None),
            "reward_threshold": _finite_or_none(getattr(spec, "reward_threshold", None)),
            "spec_id": getattr(spec, "id", env_id)}


def main():
    _die_with_parent()
    in_fd = os.dup(0)
    os.set_blocking(in_fd, False)
    spin = float(os.environ.get("RLEXP_GYM_SPIN_US", "2000")) * 1e-6
    out = os.fdopen(os.dup(1), "wb", buffering=0)
    os.dup2(2, 1)  # whatever the environment prints goes to stderr, never into the protocol
    sys.stdout = sys.stderr

    def read_exact(n):
        # spin for up to RLEXP_GYM_SPIN_US before sleeping in select: waking from a sleep costs as
        # much as a small vector step (the same trade as rlexp's side of the pipe)
        buf = bytearray()
        until = time.perf_counter() + spin
        while len(buf) < n:
            try:
                chunk = os.read(in_fd, n - len(buf))
            except BlockingIOError:
                if time.perf_counter() >= until:
                    select.select([in_fd], [], [])
                continue
            if not chunk:
                return None
            buf += chunk
        return bytes(buf)

    def answer(status, payload):
        out.write(struct.pack("<cI", status, len(payload)) + payload)

    w = Worker()
    handlers = {b"H": w.hello, b"R": w.reset, b"S": w.step, b"P": w.state}
    while True:
        head = read_exact(5)
        if head is None:
            return
        op, n = struct.unpack("<cI", head)
        payload = read_exact(n) if n else b""
        if payload is None:
            return
        if op == b"Q":
            answer(b"K", b"")
            return
        try:
            handler = handlers.get(op)
            if handler is None:
                raise ValueError(f"unknown request {op!r}")
            answer(b"K", handler(payload))
        except BaseException as e:  # noqa: BLE001 - every failure goes back to rlexp as a message
            frames = traceback.extract_tb(e.__traceback__)
            where = f" (at {frames[-1].filename}:{frames[-1].lineno}, in {frames[-1].name})" if frames else ""
            msg = f"{type(e).__name__}: {e}{where}"
            answer(b"E", msg.encode("utf-8", "replace"))


if __name__ == "__main__":
    main()
