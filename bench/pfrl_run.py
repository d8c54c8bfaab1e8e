# PFRL 0.4.0 anchor runs on gymnasium CartPole-v1 (no old gym needed at run time; see OldGymAPI shim).
# usage: python pfrl_run.py {acer|a3c|a2c} SEED [PROCS] [MAX_STEPS=200000] [MAX_WALL_S=600]
#   acer: pfrl.agents.ACER, ACERDiscreteActionHead(pi, q), EpisodicReplayBuffer, trust region on, async
#         via pfrl.experiments.train_agent_async with PROCS processes (default 2 = cores).
#         Hyper-params from chainerrl examples/gym/train_acer_gym.py (the pfrl predecessor's CartPole example).
#   a3c : pfrl.agents.A3C via train_agent_async, PROCS processes (default 2).
#         Hyper-params from chainerrl examples/gym/train_a3c_gym.py (CartPole example).
#   a2c : pfrl.agents.A2C, 8 envs in pfrl.envs.SerialVectorEnv (like SB3 DummyVecEnv), settings mirroring the
#         SB3/zoo A2C run (64x64 tanh separate pi/v, n=5, RMSprop lr 7e-4 eps 1e-5, ent 0, grad-norm 0.5).
# Prints one JSON line with steps/s (wall over training) and first wall time / global step at which the mean
# of the last 20 finished training episodes (undiscounted, unscaled return) reached >= 475.
import os, sys, time, json, glob
os.environ["OMP_NUM_THREADS"] = "1"
T_SCRIPT = time.time()
import multiprocessing as std_mp
import numpy as np
import torch
torch.set_num_threads(1)
from torch import nn
import gymnasium
import pfrl
from pfrl import experiments, utils
from pfrl.agents import acer, a3c, a2c
from pfrl.policies import SoftmaxCategoricalHead
from pfrl.q_functions import DiscreteActionValueHead
from pfrl.replay_buffers import EpisodicReplayBuffer

algo = sys.argv[1]
seed = int(sys.argv[2])
PROCS = int(sys.argv[3]) if len(sys.argv) > 3 else (8 if algo == "a2c" else 2)
MAX_STEPS = int(sys.argv[4]) if len(sys.argv) > 4 else 200_000
MAX_WALL = float(sys.argv[5]) if len(sys.argv) > 5 else 600.0
THRESH, WINDOW = 475.0, 20
OUT = os.environ.get("PEERS_OUT", ".build/peers") + f"/pfrl_{algo}_p{PROCS}_s{seed}"
os.makedirs(OUT, exist_ok=True)
for f in glob.glob(OUT + "/episodes_*.csv"):
    os.remove(f)

GLOBAL_T = std_mp.Value("l", 0)   # total env steps over all workers (shared through fork)
STOP = std_mp.Event()             # wall-clock cap for the async runs
WALL_HIT = std_mp.Event()
T0 = None                         # set right before training starts


class OldGymAPI:
    """The whole shim: gymnasium env -> the pre-0.26 gym API pfrl 0.4.0's loops call
    (reset() -> obs, step() -> (obs, r, done, info)). done = terminated only; a time-limit truncation is
    passed as info['needs_reset'] = True, which pfrl's loops/agents treat as 'reset without terminal'.
    Also logs each finished episode's raw return (wall time, global step) and applies reward scaling."""

    def __init__(self, seed, reward_scale=1.0, tag="0"):
        self.env = gymnasium.make("CartPole-v1")
        self.observation_space = self.env.observation_space
        self.action_space = self.env.action_space
        self.env.action_space.seed(seed)
        self._seed = seed
        self.scale = reward_scale
        self.ret = 0.0
        self.tag = tag
        self.log = None

    def reset(self):
        if self._seed is not None:
            obs, _ = self.env.reset(seed=self._seed)
            self._seed = None
        else:
            obs, _ = self.env.reset()
        self.ret = 0.0
        return obs

    def step(self, action):
        obs, r, term, trunc, info = self.env.step(int(action))
        with GLOBAL_T.get_lock():
            GLOBAL_T.value += 1
            g = GLOBAL_T.value
        self.ret += r
        if term or trunc:
            if self.log is None:
                self.log = open(f"{OUT}/episodes_{os.getpid()}_{self.tag}.csv", "w")
            self.log.write(f"{time.time():.4f},{g},{self.ret}\n")
            self.log.flush()
        if trunc and not term:
            info = dict(info, needs_reset=True)
        if T0 is not None and time.time() - T0 > MAX_WALL:
            STOP.set()
            WALL_HIT.set()
        return obs, r * self.scale, term, info

    def close(self):
        if self.log:
            self.log.close()
        self.env.close()


utils.set_random_seed(seed)
obs_size, n_actions = 4, 2
t_setup = time.time()

if algo == "acer":
    # chainerrl train_acer_gym.py defaults: 100 hidden, t_max 50, n_times_replay 4, capacity 5000,
    # replay_start 1000, beta 1e-2, lr 7e-4, rmsprop eps 1e-2 alpha .99, clip 40, rho-bar 5, delta 0.1, r*1e-2
    def head(out):
        lin = nn.Linear(100, out)
        nn.init.normal_(lin.weight, std=1e-3 / np.sqrt(100))  # LeCunNormal(1e-3)
        nn.init.zeros_(lin.bias)
        return lin
    model = acer.ACERDiscreteActionHead(
        pi=nn.Sequential(nn.Linear(obs_size, 100), nn.ReLU(), head(n_actions), SoftmaxCategoricalHead()),
        q=nn.Sequential(nn.Linear(obs_size, 100), nn.ReLU(), head(n_actions), DiscreteActionValueHead()),
    )
    opt = pfrl.optimizers.SharedRMSpropEpsInsideSqrt(model.parameters(), lr=7e-4, eps=1e-2, alpha=0.99)
    agent = acer.ACER(model, opt, t_max=50, gamma=0.99, replay_buffer=EpisodicReplayBuffer(5000),
                      n_times_replay=4, replay_start_size=1000, beta=1e-2, max_grad_norm=40,
                      use_trust_region=True, trust_region_delta=0.1, truncation_threshold=5,
                      phi=lambda x: np.asarray(x, dtype=np.float32))
    reward_scale = 1e-2
elif algo == "a3c":
    # chainerrl train_a3c_gym.py defaults: FFSoftmax 200x200 (relu MLP) pi and v, t_max 5, beta 1e-2, lr 7e-4,
    # rmsprop eps 1e-1 alpha .99, grad clip 40, reward scale 1e-2
    def mlp(out):
        return nn.Sequential(nn.Linear(obs_size, 200), nn.ReLU(), nn.Linear(200, 200), nn.ReLU(), nn.Linear(200, out))
    model = pfrl.nn.Branched(nn.Sequential(mlp(n_actions), SoftmaxCategoricalHead()), mlp(1))
    opt = pfrl.optimizers.SharedRMSpropEpsInsideSqrt(model.parameters(), lr=7e-4, eps=1e-1, alpha=0.99)
    agent = a3c.A3C(model, opt, t_max=5, gamma=0.99, beta=1e-2, max_grad_norm=40,
                    phi=lambda x: np.asarray(x, dtype=np.float32))
    reward_scale = 1e-2
elif algo == "a2c":
    def mlp(out):
        return nn.Sequential(nn.Linear(obs_size, 64), nn.Tanh(), nn.Linear(64, 64), nn.Tanh(), nn.Linear(64, out))
    model = pfrl.nn.Branched(nn.Sequential(mlp(n_actions), SoftmaxCategoricalHead()), mlp(1))
    opt = torch.optim.RMSprop(model.parameters(), lr=7e-4, alpha=0.99, eps=1e-5)
    agent = a2c.A2C(model, opt, gamma=0.99, num_processes=PROCS, update_steps=5, entropy_coeff=0.0,
                    v_loss_coef=0.5, max_grad_norm=0.5, use_gae=False,
                    phi=lambda x: np.asarray(x, dtype=np.float32))
    reward_scale = 1.0
else:
    raise SystemExit("unknown algo")
setup_s = time.time() - t_setup


def cpu_now():  # CPU seconds of this process plus its joined children (the async workers)
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system

if algo in ("acer", "a3c"):
    def make_env(process_idx, test):
        return OldGymAPI(seed * PROCS + process_idx, reward_scale, tag=str(process_idx))

    def wall_cap_hook(env, agent, t):
        pass  # the cap is checked inside the env shim (sets STOP)

    C0 = cpu_now(); LOAD0 = os.getloadavg()[0]
    T0 = time.time()
    experiments.train_agent_async(
        agent=agent, outdir=OUT, processes=PROCS, make_env=make_env, steps=MAX_STEPS,
        eval_interval=None, random_seeds=[int(x) for x in np.arange(PROCS) + seed * PROCS],  # py3.11: random.seed() rejects np.int64
        stop_event=STOP, save_best_so_far_agent=False)
    wall = time.time() - T0
else:
    envs = [OldGymAPI(seed * PROCS + i, reward_scale, tag=str(i)) for i in range(PROCS)]
    venv = pfrl.envs.SerialVectorEnv(envs)
    # same loop as pfrl.experiments.train_agent_batch, without evaluation/logging
    C0 = cpu_now(); LOAD0 = os.getloadavg()[0]
    T0 = time.time()
    obss = venv.reset()
    t = 0
    while t < MAX_STEPS and not STOP.is_set():
        actions = agent.batch_act(obss)
        obss, rs, dones, infos = venv.step(actions)
        t += PROCS
        resets = np.array([info.get("needs_reset", False) for info in infos])
        agent.batch_observe(obss, rs, dones, resets)
        end = np.logical_or(resets, dones)
        obss = venv.reset(np.logical_not(end))
    wall = time.time() - T0
    venv.close()

steps = GLOBAL_T.value
cpu = cpu_now() - C0
rows = []
for f in glob.glob(OUT + "/episodes_*.csv"):
    for line in open(f):
        ts, g, r = line.strip().split(",")
        rows.append((float(ts), int(g), float(r)))
rows.sort(key=lambda x: x[1])
solved_t = solved_g = solved_eps = None
best = -1.0
for i in range(WINDOW - 1, len(rows)):
    m = float(np.mean([r for _, _, r in rows[i - WINDOW + 1:i + 1]]))
    best = max(best, m)
    if solved_t is None and m >= THRESH:
        solved_t, solved_g, solved_eps = rows[i][0] - T0, rows[i][1], i + 1
print(json.dumps(dict(
    lib="pfrl", algo=algo, seed=seed, procs=PROCS, torch_threads_per_proc=1,
    steps=steps, train_wall_s=round(wall, 2), steps_per_s=round(steps / wall, 1),
    train_cpu_s=round(cpu, 2), steps_per_cpu_s=round(steps / cpu, 1),
    loadavg1_before=LOAD0, loadavg1_after=os.getloadavg()[0],
    solved_wall_s=None if solved_t is None else round(solved_t, 2), solved_steps=solved_g,
    solved_episodes=solved_eps, best_mean20=round(best, 1),
    final_mean20=round(float(np.mean([r for *_, r in rows[-WINDOW:]])), 1) if rows else None,
    episodes=len(rows), stopped_by_wall_cap=WALL_HIT.is_set(), setup_s=round(setup_s, 2),
    script_total_s=round(time.time() - T_SCRIPT, 2))))
