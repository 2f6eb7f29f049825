"""Training throughput (env steps per second, rollouts and updates together) of each learner, as `metarl run` builds
it, on the Striker's 25 training tasks.

    python benchmarks/learner_throughput.py                  # 32,768 steps per row
    python benchmarks/learner_throughput.py --steps 4096     # a quick look

Rows: every learner of `meta_rl.baselines.LEARNERS` for the `explicit` agent (a feed-forward policy) and for the `rl2`
agent (the same learner made recurrent: an LSTM of `lstm_hidden_size` units for the policy and one for the value), and
the `rl2` agent with sb3-contrib's own `MlpLstmPolicy`, which steps through every training sequence in Python (what
`RecurrentPolicy` avoids). Each row keeps its learner's hyperparameters (`n_steps`, `batch_size`, `n_epochs`, network),
so the rows differ in the work per step as well as in speed. Steps are rounded up to whole rollouts.
"""

import argparse, os, time
from dataclasses import replace

from sb3_contrib import RecurrentPPO

from meta_rl.baselines import LEARNERS, agent_config, learner_config, make_vec, new_ppo, torch_threads
from meta_rl.benchmark import StrikerBenchmark


def build(learner: str, context: str, n_steps: int | None, sb3_lstm: bool = False):
    "The model `metarl run --learner LEARNER --context CONTEXT` trains (`n_steps` per env, for a quick look)."
    config = agent_config(learner_config(learner), context)
    if n_steps is not None:
        config = replace(config, n_steps=n_steps, batch_size=min(config.batch_size, n_steps * config.n_envs))
    env = make_vec(StrikerBenchmark(), context, StrikerBenchmark().train, config.n_envs, config.seed)
    if sb3_lstm:
        kwargs = config.ppo_kwargs()
        return RecurrentPPO("MlpLstmPolicy", env, device="cpu", **kwargs), config
    return new_ppo(config, env), config


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=32_768, help="env steps per row (rounded up to whole rollouts)")
    p.add_argument("--n-steps", type=int, default=None, help="override n_steps (per env) in every row")
    p.add_argument("--learners", nargs="+", default=list(LEARNERS), choices=list(LEARNERS), help="the learners")
    p.add_argument("--no-sb3-lstm", action="store_true", help="skip the row of sb3-contrib's step-by-step LSTM")
    args = p.parse_args(argv)
    if args.steps < 1:
        p.error(f"--steps={args.steps} must be a positive integer")
    if args.n_steps is not None and args.n_steps < 2:
        p.error(f"--n-steps={args.n_steps} must be at least 2")
    rows = {f"{name}, explicit": (name, "explicit", False) for name in args.learners}
    rows |= {f"{name}, rl2 (RecurrentPolicy)": (name, "rl2", False) for name in args.learners}
    if not args.no_sb3_lstm:
        rows[f"{args.learners[0]}, rl2 with sb3-contrib's MlpLstmPolicy"] = (args.learners[0], "rl2", True)
    res = {}
    for label, (learner, context, sb3_lstm) in rows.items():
        model, config = build(learner, context, args.n_steps, sb3_lstm)
        with torch_threads(config.torch_threads):
            start = time.perf_counter()
            model.learn(args.steps)
            res[label] = (config, model.num_timesteps, model.num_timesteps / (time.perf_counter() - start))
        model.get_env().close()
    cpus = len(os.sched_getaffinity(0))
    print(f"| learner, agent ({cpus} CPUs) | envs | n_steps | batch | LSTM units | steps | steps/s |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for label, (c, steps, speed) in res.items():
        units = c.lstm_hidden_size if c.recurrent else "-"
        print(f"| {label} | {c.n_envs} | {c.n_steps} | {c.batch_size} | {units} | {steps:,} | {speed:,.0f} |")
    return {label: speed for label, (_, _, speed) in res.items()}


if __name__ == "__main__":
    main()
