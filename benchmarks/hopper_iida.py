"""IIDA's Hopper table with our predictor: test next-state MSE (x 1e-3) with no context, the true factors, the latent.

    python benchmarks/hopper_iida.py --policy runs/hopper_500k/none/seed0 --out nbs/results/hopper_iida
    python benchmarks/hopper_iida.py --rollouts 2 --test-rollouts 2 --seeds 0 --epochs 1 --out /tmp/h   # a quick look

The data are made as we read IIDA's data code (chapter 10a): a policy (a `none` agent of `metarl run --benchmark
hopper`, its actions sampled; uniform random actions without `--policy`) plays `--rollouts` episodes on the 24 training
tasks in turn, and every recorded state and action is stepped once under each training task; `--test-rollouts` episodes
on the 24 held-out tasks give their data the same way. Chapter 06a's predictor (`IIDA_CONFIG`: context of 128
transitions, next-state loss) is trained per seed with each context and scored on the held-out tasks, interpolation and
extrapolation apart. Writes `per_seed.csv` and `table.md` (mean and std over seeds beside IIDA's row) to `--out` and
prints the table, with the variance of s' across the held-out tasks for the same (s, a): the part of the error that a
context can remove at most.
"""

import argparse, sys, time
from dataclasses import replace
from pathlib import Path

import pandas as pd
import torch

from meta_rl.baselines import load_agent
from meta_rl.hopper import (
    IIDA_CONFIG,
    IIDA_HOPPER,
    HopperBenchmark,
    HopperDataConfig,
    hopper_predictor_table,
    hopper_rollout_states,
    hopper_transitions,
)


def agent_policy(run_dir: str):
    "The sampled actions of the `none` Hopper agent saved in `run_dir`."
    agent = load_agent(run_dir)
    if agent.benchmark.name != "hopper" or agent.context != "none":
        raise SystemExit(
            f"--policy {run_dir}: a `none` agent of the hopper benchmark is needed, this one is "
            f"{agent.context!r} on {agent.benchmark.name!r}"
        )
    torch.manual_seed(0)  # SB3 samples the actions with torch's generator
    return lambda obs: agent.model.predict(obs, deterministic=False)[0]


def summary(per_seed: pd.DataFrame) -> str:
    "Mean and std over seeds per context and kind, beside IIDA's Hopper row (their interpolation-style test split)."
    g = per_seed.groupby(["context", "kind"]).mse_x1e3.agg(["mean", "std", "count"]).reset_index()
    wide = {(r.context, r.kind): f"{r['mean']:.2f} ± {r['std']:.2f}" for _, r in g.iterrows()}
    published = {r.context.split(" ")[0]: f"{r.mse_x1e3:.2f} ± {r.std_x1e3:.2f}" for _, r in IIDA_HOPPER.iterrows()}
    lines = [
        "| decoder's context | ours: interpolation | ours: extrapolation | IIDA (Hopper) |",
        "|---|---:|---:|---:|",
    ]
    for context in ("none", "true", "latent"):
        row = [wide.get((context, k), "") for k in ("interpolation", "extrapolation")]
        lines.append(f"| {context} | {row[0]} | {row[1]} | {published[context]} |")
    lines.append(f"| IIDA-Transformer |  |  | {published['IIDA-Transformer']} |")
    means = per_seed.groupby(["context", "kind"]).mse_x1e3.mean()
    for kind in ("interpolation", "extrapolation"):
        ratio, below = means["none", kind] / means["latent", kind], means["latent", kind] <= means["true", kind]
        lines.append(
            f"\n{kind}: no context / latent = {ratio:.1f} (IIDA: 14.3); latent {'<=' if below else '>'} true factors"
        )
    return "\n".join(lines)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--policy", default=None, help="a `none` hopper agent's folder (random actions without)")
    p.add_argument("--rollouts", type=int, default=50, help="episodes that give the training tasks' states")
    p.add_argument("--test-rollouts", type=int, default=20, help="episodes that give the held-out tasks' states")
    p.add_argument("--segment", type=int, default=200, help="transitions per stored episode (a latent's context)")
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2], help="predictor seeds")
    p.add_argument("--epochs", type=int, default=IIDA_CONFIG.epochs, help="training epochs at most")
    p.add_argument("--out", required=True, help="folder for per_seed.csv and table.md")
    args = p.parse_args(argv)
    if min(args.rollouts, args.test_rollouts, args.segment, args.epochs) < 1:
        p.error("--rollouts, --test-rollouts, --segment and --epochs must be positive")
    bench, out = HopperBenchmark(), Path(args.out)
    policy = None if args.policy is None else agent_policy(args.policy)
    t0 = time.perf_counter()
    train_states = hopper_rollout_states(bench.train, policy, HopperDataConfig(args.rollouts, seed=0))
    test_states = hopper_rollout_states(bench.test, policy, HopperDataConfig(args.test_rollouts, seed=1))
    train_ds = hopper_transitions(bench.train, train_states, args.segment)
    test_ds = hopper_transitions(bench.test, test_states, args.segment)
    data_s = time.perf_counter() - t0
    spread = 1e3 * test_ds.next_obs.reshape(len(bench.test), -1, test_ds.obs.shape[1]).var(0).mean()
    print(f"data: {len(train_ds)} training transitions, {len(test_ds)} held-out, {data_s:.0f} s", file=sys.stderr)
    config = replace(IIDA_CONFIG, epochs=args.epochs)
    per_seed = hopper_predictor_table(
        train_ds, test_ds, {t.id: t.kind for t in bench.test}, args.seeds, config, progress=True
    )
    train_s = time.perf_counter() - t0 - data_s
    command = "python benchmarks/hopper_iida.py " + " ".join(argv if argv is not None else sys.argv[1:])
    text = (
        f"# IIDA's Hopper table with our predictor\n\nCommand: `{command}`\n\n"
        f"Data: {len(train_states['action'])} recorded states x 24 training tasks = {len(train_ds)} transitions; "
        f"{len(test_states['action'])} x 24 held-out tasks = {len(test_ds)}; policy: "
        f"{args.policy or 'uniform random actions'}. Seeds {args.seeds}; {data_s:.0f} s for the data, "
        f"{train_s:.0f} s to train and score {3 * len(args.seeds)} predictors on this machine.\n\n"
        f"Test next-state MSE (x 1e-3), mean ± std over seeds:\n\n{summary(per_seed)}\n\n"
        f"How much the held-out tasks' dynamics differ: the variance of s' across the 24 held-out tasks for the same "
        f"(s, a), averaged over the recorded states and the state's entries, is {spread:.3f} x 1e-3 (an ideal "
        f"predictor without context could get that low; one with the true factors, to 0).\n"
    )
    out.mkdir(parents=True, exist_ok=True)
    per_seed.to_csv(out / "per_seed.csv", index=False)
    (out / "table.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
