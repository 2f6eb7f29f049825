"""PPO training throughput (env steps per second, rollouts and updates together) of our default set-up
against SB3's plain defaults, in the same run.

    python benchmarks/ppo_throughput.py                 # 32,768 steps per row
    python benchmarks/ppo_throughput.py --steps 4096 --no-subproc   # a quick look

Every row trains PPO with SB3's default hyperparameters on the `none` Striker over the 25 training tasks;
the rows differ only in how the environments are vectorised and how many torch threads run:

- `SB3 defaults`: `PPO("MlpPolicy", env)` on one `DummyVecEnv`, torch's default thread count;
- `ours (PPOConfig())`: `meta_rl.baselines`' defaults, 8 environments in a `DummyVecEnv`, 1 torch thread, fused Adam;
- `ours without the fused Adam`: the same with SB3's default (unfused) Adam, to show what fusing buys;
- `ours, SubprocVecEnv x CPUs`: the same with one subprocess per usable core (`n_envs` = CPU count);
- `ours, SubprocVecEnv x 8`: 8 subprocesses.

Steps are rounded up to whole rollouts (n_steps x n_envs), and steps/s counts the steps actually taken.
"""

import argparse, os, time
from dataclasses import replace

import torch
from stable_baselines3 import PPO
from stable_baselines3.common.vec_env import DummyVecEnv

from meta_rl.baselines import PPOConfig, make_vec, torch_threads
from meta_rl.benchmark import StrikerBenchmark
from meta_rl.context import make_striker
from meta_rl.dynamics import epi_train_tasks


def time_learn(model, steps):
    t = time.perf_counter()
    model.learn(steps)
    return model.num_timesteps / (time.perf_counter() - t)


def sb3_defaults(n_steps=None):
    """PPO('MlpPolicy', env) on one DummyVecEnv (`n_steps`, and a batch that fits it, only for a quick look); torch
    keeps its thread count."""

    def build():
        env = DummyVecEnv([lambda: make_striker("none", epi_train_tasks())])
        return PPO(
            "MlpPolicy",
            env,
            seed=0,
            device="cpu",
            **({} if n_steps is None else dict(n_steps=n_steps, batch_size=min(64, n_steps))),
        ), torch.get_num_threads()

    return build


def ours(config):
    "PPO as `meta_rl.baselines.train` builds it from `config`."

    def build():
        tasks = epi_train_tasks()
        env = make_vec(StrikerBenchmark(), "none", tasks, config.n_envs, config.seed, vec_env=config.vec_env)
        return PPO("MlpPolicy", env, device="cpu", **config.ppo_kwargs()), config.torch_threads

    return build


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=32_768, help="env steps per row (rounded up to whole rollouts)")
    p.add_argument(
        "--n-steps", type=int, default=None, help="override n_steps (per env) in every row, for a quick look"
    )
    p.add_argument("--no-subproc", action="store_true", help="skip the SubprocVecEnv rows (they start processes)")
    args = p.parse_args(argv)
    if args.steps < 1:
        p.error("--steps must be positive")
    if args.n_steps is not None and args.n_steps < 2:
        p.error("--n-steps must be at least 2")
    # a quick look with few steps per env keeps each minibatch within one rollout of the smallest row (1 env)
    base = (
        PPOConfig()
        if args.n_steps is None
        else PPOConfig(n_steps=args.n_steps, batch_size=min(PPOConfig.batch_size, args.n_steps))
    )
    cpus = len(os.sched_getaffinity(0))
    rows = {
        "SB3 defaults: PPO('MlpPolicy', env), 1 DummyVecEnv": sb3_defaults(args.n_steps),
        "ours (PPOConfig()): 8 envs in a DummyVecEnv, 1 thread": ours(base),
        "ours without the fused Adam (fused_adam=False)": ours(replace(base, fused_adam=False)),
        f"ours, SubprocVecEnv x {cpus} (CPU count), 1 thread": ours(replace(base, vec_env="subproc", n_envs=cpus)),
        "ours, SubprocVecEnv x 8, 1 thread": ours(replace(base, vec_env="subproc", n_envs=8)),
    }
    if args.no_subproc:
        rows = {k: v for k, v in rows.items() if "Subproc" not in k}
    res = {}
    for name, build in rows.items():
        model, threads = build()
        with torch_threads(threads):
            res[name] = (model.n_envs, threads, time_learn(model, args.steps), model.num_timesteps)
        model.get_env().close()
    plain = res[next(iter(rows))][2]
    print(f"| set-up ({cpus} CPUs) | envs | torch threads | steps | steps/s | x SB3 defaults |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, (n, threads, v, steps) in res.items():
        print(f"| {name} | {n} | {threads} | {steps:,} | {v:,.0f} | {v / plain:.2f} |")
    return {name: v for name, (_, _, v, _) in res.items()}


if __name__ == "__main__":
    main()
