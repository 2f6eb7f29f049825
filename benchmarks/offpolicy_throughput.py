"""Off-policy learners' training throughput (env steps per second, acting and updating together) on the Striker's 25
training tasks, beside PPO as `metarl run` trains it: what decides whether SAC or TQC can train an agent on a CPU.

    python benchmarks/offpolicy_throughput.py                 # 3,000 steps per off-policy row
    python benchmarks/offpolicy_throughput.py --steps 600     # a quick look

Rows: SB3's `SAC` and sb3-contrib's `TQC` (PyTorch), and `sbx`'s `SAC` and `TQC` (JAX) when `sbx` is installed
(`pip install sbx-rl`; rows say so otherwise), each with one env, one gradient step per env step, minibatches of 256,
networks of 256-256 (the usual MuJoCo settings); the first `--learning-starts` steps act at random and are timed
apart from the learning ones. Then PPO with `meta_rl`'s defaults (8 envs, one update per 16,384 steps).
"""

import argparse, os, time

import torch
from sb3_contrib import TQC
from stable_baselines3 import SAC

from meta_rl.baselines import PPOConfig, make_vec, new_ppo, torch_threads
from meta_rl.benchmark import StrikerBenchmark

OFF_POLICY = dict(batch_size=256, train_freq=1, gradient_steps=1, policy_kwargs=dict(net_arch=[256, 256]))


def learners() -> dict:
    "The off-policy learners to time: `name: class`, or `name: why it is missing`."
    found = {"SB3 SAC (PyTorch)": SAC, "sb3-contrib TQC (PyTorch)": TQC}
    try:
        import sbx

        found |= {"sbx SAC (JAX)": sbx.SAC, "sbx TQC (JAX)": sbx.TQC}
    except ImportError:
        found |= {"sbx SAC (JAX)": "sbx is not installed", "sbx TQC (JAX)": "sbx is not installed"}
    return found


def time_off_policy(cls, steps: int, learning_starts: int) -> tuple[float, float]:
    "Steps/s of `cls` while it acts at random (the first `learning_starts` steps), then while it learns."
    bench = StrikerBenchmark()
    env = make_vec(bench, "explicit", bench.train, 1, 0)
    model = cls("MlpPolicy", env, learning_starts=learning_starts, seed=0, verbose=0, **OFF_POLICY)
    start = time.perf_counter()
    model.learn(learning_starts)
    warm = time.perf_counter()
    model.learn(steps, reset_num_timesteps=False)
    end = time.perf_counter()
    env.close()
    return learning_starts / (warm - start), steps / (end - warm)


def time_ppo(steps: int) -> float:
    "Steps/s of PPO as `metarl run` trains it (its own rollouts; whole rollouts, at least one)."
    bench, config = StrikerBenchmark(), PPOConfig()
    model = new_ppo(config, make_vec(bench, "explicit", bench.train, config.n_envs, 0))
    with torch_threads(config.torch_threads):
        start = time.perf_counter()
        model.learn(steps)
        speed = model.num_timesteps / (time.perf_counter() - start)
    model.get_env().close()
    return speed


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=3000, help="learning steps per off-policy row (after the random ones)")
    p.add_argument("--learning-starts", type=int, default=1000, help="random steps before learning starts")
    p.add_argument("--ppo-steps", type=int, default=16_384, help="PPO's steps (whole rollouts of 16,384)")
    p.add_argument("--no-ppo", action="store_true", help="skip PPO's row")
    args = p.parse_args(argv)
    for name in ("steps", "learning_starts", "ppo_steps"):
        if getattr(args, name) < 1:
            p.error(f"--{name.replace('_', '-')}={getattr(args, name)} must be a positive integer")
    torch.set_num_threads(1)
    rows = {}
    for name, cls in learners().items():
        rows[name] = cls if isinstance(cls, str) else time_off_policy(cls, args.steps, args.learning_starts)
    if not args.no_ppo:
        rows["PPO, meta_rl's defaults (8 envs)"] = (None, time_ppo(args.ppo_steps))
    print(f"| learner ({len(os.sched_getaffinity(0))} CPUs, 1 torch thread) | random steps/s | learning steps/s |")
    print("|---|---:|---:|")
    for name, r in rows.items():
        if isinstance(r, str):
            print(f"| {name} | {r} | |")
        else:
            print(f"| {name} | {'-' if r[0] is None else f'{r[0]:,.0f}'} | {r[1]:,.0f} |")
    return rows


if __name__ == "__main__":
    main()
