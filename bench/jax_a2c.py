# PureJaxRL-style A2C on gymnax CartPole-v1, CPU only: the whole training run (rollouts, updates,
# episode bookkeeping, optional greedy evals) is one jitted lax.scan, vmapped over S seeds, so one
# process trains S independent agents at once.
# Settings = rlexp experiments/a2c_cartpole.json: per agent 8 envs, n_steps 5, gamma 0.99, n-step
# returns (GAE lambda 1), ent_coef 0, vf_coef 0.5, separate 64x64 tanh policy / value MLPs
# (orthogonal init, gains sqrt2 / 0.01 policy head / 1 value head, as SB3), one optimizer over both:
# clip_by_global_norm(0.5) then optax.rmsprop(7e-4, decay=0.99, eps=1e-5, initial_scale=1.0,
# eps_in_sqrt=True) = TensorFlow RMSProp (eps inside the sqrt, mean square starting at 1), lr constant.
# (--rmsprop torch: initial_scale=0, eps outside the sqrt = torch.optim.RMSprop, which SB3's A2C uses.)
# Time-limit truncation is bootstrapped with V(final obs), as SB3 and rlexp (bootstrap_truncation) do.
# "solved_step" = first env step (per agent) at which the mean of its last 20 finished training
# episodes is >= 475 (as bench/sb3_run.py); --eval adds rlexp's eval: greedy policy, 10
# episodes in a separate env copy, at step 0, every 10k env steps and at the end.
# Timing: compile_s = first call (jit compile + one run); train_s = median of --repeats further calls
# (compiled), each timed with block_until_ready; end_to_end_s = from the script's start (before
# `import jax`) to the end of the first call: what a user waits for one sweep; env_steps_per_s = all
# seeds' env steps / train_s (evals, if on, inside train_s).
# usage: .build/jax-venv/bin/python bench/jax_a2c.py --seeds S --steps N [--eval] [--rmsprop tf|torch] [--repeats R]
#        (N = steps per agent; for one core: taskset -c 0 ...). Prints one JSON line.
# set-up (bench/peers.py does it on first use): python3 -m venv .build/jax-venv &&
#         .build/jax-venv/bin/pip install jax gymnax optax six   (gymnax 1.0.1 imports six without declaring it)
# Note: the orthogonal init is done eagerly per seed outside the jitted train (not timed, ~ms): inside
# the vmapped jit, jaxlib 0.10.2's batched LAPACK QR (ParallelBatchMap) deadlocks on this 2-core
# machine when two QRs run at once (seen with --eval, --seeds 2; gdb: both pool threads in sgeqrf).
# versions used: Python 3.11.7, jax/jaxlib 0.10.2, gymnax 1.0.1, optax 0.2.8, numpy 2.4.6, six 1.17.0
import os
import time
T_SCRIPT = time.perf_counter()
os.environ["JAX_PLATFORMS"] = "cpu"
import argparse, json
import numpy as np
import jax
import jax.numpy as jnp
import optax
import gymnax

NENVS, NSTEPS, GAMMA, LR, VF_COEF, ENT_COEF, MAX_GN = 8, 5, 0.99, 7e-4, 0.5, 0.0, 0.5
WINDOW, THRESH, EVAL_INTERVAL, EVAL_EPISODES = 20, 475.0, 10_000, 10
BATCH = NENVS * NSTEPS  # env steps per update

env, env_params = gymnax.make("CartPole-v1")
v_reset = jax.vmap(env.reset, in_axes=(0, None))
v_step = jax.vmap(env.step, in_axes=(0, 0, 0, None))
RMSPROP = {"tf": dict(initial_scale=1.0, eps_in_sqrt=True),     # TF / baselines / rlexp form (default)
           "torch": dict(initial_scale=0.0, eps_in_sqrt=False)}  # torch.optim.RMSprop, as SB3's A2C uses


def init_mlp(key, sizes, out_gain):
    keys = jax.random.split(key, len(sizes) - 1)
    return [(jax.nn.initializers.orthogonal(out_gain if i == len(sizes) - 2 else np.sqrt(2.0))(k, (a, b)),
             jnp.zeros(b)) for i, (k, a, b) in enumerate(zip(keys, sizes[:-1], sizes[1:]))]


def mlp(params, x):
    for w, b in params[:-1]:
        x = jnp.tanh(x @ w + b)
    w, b = params[-1]
    return x @ w + b


def evaluate(params, key):  # greedy policy, EVAL_EPISODES episodes in parallel, until all finished
    key, kr = jax.random.split(key)
    obs, st = v_reset(jax.random.split(kr, EVAL_EPISODES), env_params)
    z = jnp.zeros(EVAL_EPISODES)

    def body(c):
        obs, st, ret, done, key = c
        key, ks = jax.random.split(key)
        a = jnp.argmax(mlp(params["pi"], obs), -1)
        obs, st, r, term, trunc, _ = v_step(jax.random.split(ks, EVAL_EPISODES), st, a, env_params)
        return obs, st, ret + r * (~done), done | term | trunc, key

    return jax.lax.while_loop(lambda c: ~c[3].all(), body, (obs, st, z, z > 0, key))[2].mean()


def init_params(seed):  # eager, one seed at a time: see the note on the QR deadlock in the header
    kp, kv = jax.random.split(jax.random.fold_in(jax.random.PRNGKey(seed), 1))
    return {"pi": init_mlp(kp, [4, 64, 64, 2], 0.01), "vf": init_mlp(kv, [4, 64, 64, 1], 1.0)}


def make_train(n_updates, do_eval, rmsprop):
    tx = optax.chain(optax.clip_by_global_norm(MAX_GN), optax.rmsprop(LR, decay=0.99, eps=1e-5, **RMSPROP[rmsprop]))

    def train(key, params):
        key, kr, ke = jax.random.split(key, 3)
        obs, est = v_reset(jax.random.split(kr, NENVS), env_params)
        carry = (params, tx.init(params), obs, est, jnp.zeros(NENVS), jnp.zeros(WINDOW),
                 jnp.int32(0), jnp.int32(-1), key, ke)

        def update(carry, upd):
            params, opt_state, obs, est, ep_ret, buf, n_eps, solved, key, ke = carry

            def env_step(c, t):
                obs, est, ep_ret, buf, n_eps, solved, key = c
                key, ka, ks = jax.random.split(key, 3)
                act = jax.random.categorical(ka, mlp(params["pi"], obs))
                obs2, est, rew, term, trunc, info = v_step(jax.random.split(ks, NENVS), est, act, env_params)
                done = term | trunc
                ep_ret = ep_ret + rew
                pos = jnp.where(done, (n_eps + jnp.cumsum(done) - 1) % WINDOW, WINDOW)
                buf = buf.at[pos].set(ep_ret, mode="drop")  # ring buffer of the last 20 returns
                n_eps = n_eps + done.sum()
                step = (upd * NSTEPS + t + 1) * NENVS
                solved = jnp.where((solved < 0) & (n_eps >= WINDOW) & (buf.mean() >= THRESH), step, solved)
                tr = (obs, act, rew, term, trunc, info["final_observation"])
                return (obs2, est, jnp.where(done, 0.0, ep_ret), buf, n_eps, solved, key), tr

            (obs, est, ep_ret, buf, n_eps, solved, key), (ob, ac, rw, te, tr, fo) = jax.lax.scan(
                env_step, (obs, est, ep_ret, buf, n_eps, solved, key), jnp.arange(NSTEPS))
            # n-step returns; truncated (not terminated) steps bootstrap from V(final obs)
            rw = rw + GAMMA * mlp(params["vf"], fo)[..., 0] * (tr & ~te)
            nd = 1.0 - (te | tr)

            def ret_step(R, x):
                R = x[0] + GAMMA * x[1] * R
                return R, R
            _, R = jax.lax.scan(ret_step, mlp(params["vf"], obs)[..., 0], (rw, nd), reverse=True)

            def loss_fn(p):
                logp_all = jax.nn.log_softmax(mlp(p["pi"], ob))
                logp = jnp.take_along_axis(logp_all, ac[..., None], -1)[..., 0]
                v = mlp(p["vf"], ob)[..., 0]
                adv = jax.lax.stop_gradient(R - v)
                ent = -(jnp.exp(logp_all) * logp_all).sum(-1).mean()
                return -(adv * logp).mean() + VF_COEF * ((R - v) ** 2).mean() - ENT_COEF * ent

            updates, opt_state = tx.update(jax.grad(loss_fn)(params), opt_state, params)
            params = optax.apply_updates(params, updates)
            ev = jnp.float32(jnp.nan)
            if do_eval:  # upd is not batched over seeds, so this stays a real cond under vmap
                ke, k = jax.random.split(ke)
                at = (((upd + 1) * BATCH) % EVAL_INTERVAL == 0) | (upd == n_updates - 1)
                ev = jax.lax.cond(at, lambda: evaluate(params, k), lambda: jnp.float32(jnp.nan))
            return (params, opt_state, obs, est, ep_ret, buf, n_eps, solved, key, ke), ev

        ev0 = evaluate(params, jax.random.fold_in(ke, 1)) if do_eval else jnp.float32(jnp.nan)
        carry, evs = jax.lax.scan(update, carry, jnp.arange(n_updates))
        _, _, _, _, _, buf, n_eps, solved, _, _ = carry
        final20 = jnp.where(n_eps > 0, buf.sum() / jnp.maximum(jnp.minimum(n_eps, WINDOW), 1), jnp.nan)
        return dict(solved=solved, final20=final20, episodes=n_eps, ev0=ev0, evs=evs)
    return train


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=4)
    ap.add_argument("--steps", type=int, default=300_000, help="env steps per agent")
    ap.add_argument("--eval", action="store_true")
    ap.add_argument("--rmsprop", choices=sorted(RMSPROP), default="tf")
    ap.add_argument("--repeats", type=int, default=1, help="timed calls after the compiling one (train_s = their median)")
    a = ap.parse_args()
    n_updates = a.steps // BATCH
    keys = jax.vmap(jax.random.PRNGKey)(jnp.arange(a.seeds))
    params = jax.block_until_ready(jax.tree.map(lambda *x: jnp.stack(x), *[init_params(s) for s in range(a.seeds)]))
    train = jax.jit(jax.vmap(make_train(n_updates, a.eval, a.rmsprop)))
    t0 = time.perf_counter()
    jax.block_until_ready(train(keys, params))
    compile_s = time.perf_counter() - t0
    end_to_end_s = time.perf_counter() - T_SCRIPT
    times = []
    for _ in range(max(1, a.repeats)):
        t0 = time.perf_counter()
        out = jax.block_until_ready(train(keys, params))
        times.append(time.perf_counter() - t0)
    train_s = sorted(times)[len(times) // 2]
    out = jax.tree.map(np.asarray, out)
    total = n_updates * BATCH * a.seeds
    res = dict(lib="jax+gymnax", algo="a2c", jax=jax.__version__, backend=jax.default_backend(),
               rmsprop=a.rmsprop, seeds=a.seeds, steps_per_seed=n_updates * BATCH, total_env_steps=total,
               compile_s=round(compile_s, 3), end_to_end_s=round(end_to_end_s, 3), train_s=round(train_s, 3),
               train_s_all=[round(t, 3) for t in times],
               env_steps_per_s=round(total / train_s, 1),
               solved_step=[None if s < 0 else int(s) for s in out["solved"]],
               final_mean20=[round(float(x), 1) for x in out["final20"]],
               episodes=[int(x) for x in out["episodes"]], loadavg1=os.getloadavg()[0])
    if a.eval:
        steps = np.arange(1, n_updates + 1) * BATCH
        first, final = [], []
        for s in range(a.seeds):
            m = ~np.isnan(out["evs"][s])
            st, ev = np.r_[0, steps[m]], np.r_[out["ev0"][s], out["evs"][s][m]]
            hit = np.nonzero(ev >= THRESH)[0]
            first.append(int(st[hit[0]]) if hit.size else None)
            final.append(round(float(ev[-1]), 1))
        res.update(eval_first_step_ge_475=first, eval_final_return=final, evals_per_seed=int(m.sum() + 1))
    print(json.dumps(res))


if __name__ == "__main__":
    main()
