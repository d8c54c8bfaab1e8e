#!/usr/bin/env python3
"""Load the trajectories a sweep recorded (spec field "record") as a Minari dataset.

    rlexp run SPEC --out results/rec                 # a spec with "record": {"eval": true, ...}
    rlexp export results/rec --format minari         # prints the dataset folders
    python3 examples/load_minari.py results/rec rlexp/rec/cartpole_v1-v0
"""
import os, sys

results, dataset_id = sys.argv[1], sys.argv[2]
os.environ["MINARI_DATASETS_PATH"] = os.path.join(results, "minari")
import minari  # noqa: E402  (reads MINARI_DATASETS_PATH when it loads)

ds = minari.load_dataset(dataset_id)
print(f"{dataset_id}: {ds.total_episodes} episodes, {ds.total_steps} steps, observations {ds.observation_space}")
for ep in ds.iterate_episodes():
    # observations have one row more than actions: the final observation is included
    print(f"episode {ep.id}: {len(ep.actions)} steps, return {ep.rewards.sum():.1f}, "
          f"{'terminated' if ep.terminations[-1] else 'truncated'}, observations {ep.observations.shape}")
    # infos: the behaviour policy's statistics and value estimate of each step, one row per action
    if "value" in ep.infos:
        first = "policy_probs" if "policy_probs" in ep.infos else "policy_mean"
        print(f"    infos {sorted(ep.infos)}: step 0 {first} {ep.infos[first][0]}, value {ep.infos['value'][0]:.3f}")
env = ds.recover_environment()   # a Gymnasium env for the classic-control ids
print("recovered", env.spec.id)
