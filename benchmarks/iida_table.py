"""IIDA's next-state table for a body family: test next-state MSE (x 1e-3) with no context, true factors, the latent.

    python benchmarks/iida_table.py --family hopper --policy runs/hopper_500k/none/seed0 --out nbs/results/hopper_iida
    python benchmarks/iida_table.py --family swimmer --rollouts 2 --test-rollouts 2 --seeds 0 --epochs 1 --out /tmp/s

`--family` is a body family of chapters 10a, 10c and 10d (hopper, hopper-wide, walker2d, swimmer). The data are made as
we read IIDA's data code (chapter 10a): a policy (a `none` agent of `metarl run`, its actions sampled, of FAMILY or of a
family with the same observations, as a Hopper agent for `hopper-wide`; uniform random actions without `--policy`) plays
`--rollouts` episodes on the 24 training tasks in turn (or `--train-tasks` of them: the benchmark's 24, then more from
the same draw), and every recorded state and action is stepped once under each training task; `--test-rollouts` episodes
on the 24 held-out tasks give their data the same way. Chapter 06a's predictor (`IIDA_CONFIG`: context of 128
transitions, next-state loss) is trained per seed with each context (`--hidden`, `--epochs`, `--batches-per-epoch`,
`--patience` change its size and training) and scored on the held-out tasks, interpolation and extrapolation apart.
Writes `per_seed.csv` and `table.md` (mean and std over seeds beside IIDA's row, if it has one: the family's `iida_row`)
to `--out` and prints the table, with the variance of s' across the held-out tasks for the same (s, a): the part of the
error that a context can remove at most.
"""

import argparse, sys, time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import torch

import meta_rl.swimmer, meta_rl.walker2d  # noqa: F401  register their benchmarks
from meta_rl.baselines import load_agent
from meta_rl.benchmark import make_benchmark
from meta_rl.dynamics import TaskSet
from meta_rl.hopper import (
    BODY_FAMILIES,
    IIDA_CONFIG,
    IIDA_TABLE,
    BodyDataConfig,
    body_rollout_states,
    body_tasks,
    body_transitions,
    iida_predictor_table,
)


def agent_policy(run_dir: str, family: str):
    "The sampled actions of the `none` agent saved in `run_dir`, of `family` or of a family with the same observations."
    agent, bench = load_agent(run_dir), make_benchmark(family)
    env = bench.env_class(bench.train)
    shape, wanted = agent.model.observation_space.shape, env.observation_space.shape
    env.close()
    if agent.context != "none" or shape != wanted:
        raise SystemExit(
            f"--policy {run_dir}: a `none` agent that observes the {family} benchmark's {wanted[0]} entries is needed, "
            f"this one is {agent.context!r} on {agent.benchmark.name!r} with {shape[0]}"
        )
    torch.manual_seed(0)  # SB3 samples the actions with torch's generator
    return lambda obs: agent.model.predict(obs, deterministic=False)[0]


def training_bodies(bench, n: int) -> TaskSet:
    """`n` training tasks of `bench`'s family: its own 24 first, then more from the same draw (`body_tasks` draws the
    training tasks before the held-out ones, so a larger draw starts with the same 24; the held-out tasks stay
    `bench.test`'s). IIDA's streaming Hopper draws a new body at every reset."""
    if n <= len(bench.train):
        return TaskSet(bench.train.tasks[:n], bench.train.name)
    train = body_tasks(bench.env_class.family, n_train=n, seed=bench.seed)[0]
    if train.tasks[: len(bench.train)] != bench.train.tasks:
        raise AssertionError("a larger draw must start with the benchmark's own training tasks")
    return train


def summary(per_seed: pd.DataFrame, family: str) -> str:
    "Mean and std over seeds per context and kind, beside IIDA's row for `family` (their test split is interpolation)."
    g = per_seed.groupby(["context", "kind"]).mse_x1e3.agg(["mean", "std", "count"]).reset_index()
    wide = {(r.context, r.kind): f"{r['mean']:.2f} ± {r['std']:.2f}" for _, r in g.iterrows()}
    row = BODY_FAMILIES[family].iida_row or family  # whose published row ours is set beside
    rows = IIDA_TABLE[IIDA_TABLE.family == row]
    published = {r.context.split(" ")[0]: f"{r.mse_x1e3:.2f} ± {r.std_x1e3:.2f}" for _, r in rows.iterrows()}
    published = published or dict.fromkeys(("none", "true", "latent", "IIDA-Transformer"), "no row")
    lines = [
        f"| decoder's context | ours: interpolation | ours: extrapolation | IIDA ({row.capitalize()}) |",
        "|---|---:|---:|---:|",
    ]
    for context in ("none", "true", "latent"):
        row = [wide.get((context, k), "") for k in ("interpolation", "extrapolation")]
        lines.append(f"| {context} | {row[0]} | {row[1]} | {published[context]} |")
    lines.append(f"| IIDA-Transformer |  |  | {published['IIDA-Transformer']} |")
    means = per_seed.groupby(["context", "kind"]).mse_x1e3.mean()
    for kind in ("interpolation", "extrapolation"):
        ratio, below = means["none", kind] / means["latent", kind], means["latent", kind] <= means["true", kind]
        sign = "<=" if below else ">"
        lines.append(f"\n{kind}: no context / latent = {ratio:.1f}{iida_ratio(rows)}; latent {sign} true factors")
    return "\n".join(lines)


def iida_ratio(rows: pd.DataFrame) -> str:
    "IIDA's no-context / latent ratio for a family's published rows, as text (empty without a row)."
    if rows.empty:
        return ""
    mse = rows.set_index("context").mse_x1e3
    return f" (IIDA: {mse['none'] / mse['latent (IIDA-avg)']:.1f})"


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--family", default="hopper", choices=sorted(BODY_FAMILIES), help="the body family")
    p.add_argument("--policy", default=None, help="a `none` agent's folder of that family (random actions without)")
    p.add_argument("--rollouts", type=int, default=50, help="episodes that give the training tasks' states")
    p.add_argument(
        "--train-tasks", type=int, default=24, help="training bodies (the benchmark's 24 and more drawn after)"
    )
    p.add_argument("--test-rollouts", type=int, default=20, help="episodes that give the held-out tasks' states")
    p.add_argument("--segment", type=int, default=200, help="transitions per stored episode (a latent's context)")
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2], help="predictor seeds")
    p.add_argument("--epochs", type=int, default=IIDA_CONFIG.epochs, help="training epochs at most")
    p.add_argument("--batches-per-epoch", type=int, default=IIDA_CONFIG.batches_per_epoch, help="gradient steps each")
    p.add_argument("--patience", type=int, default=IIDA_CONFIG.patience, help="epochs without a better validation loss")
    p.add_argument("--hidden", type=int, nargs="+", default=list(IIDA_CONFIG.hidden), help="hidden layer sizes")
    p.add_argument("--out", required=True, help="folder for per_seed.csv and table.md")
    args = p.parse_args(argv)
    if args.train_tasks < 6:
        p.error(f"--train-tasks {args.train_tasks}: at least 6 are needed (5 of them validate the predictor)")
    if min(args.rollouts, args.test_rollouts, args.segment, args.epochs, args.batches_per_epoch, args.patience) < 1:
        p.error("--rollouts, --test-rollouts, --segment, --epochs, --batches-per-epoch and --patience must be positive")
    if min(args.hidden) < 1:
        p.error(f"--hidden {' '.join(map(str, args.hidden))}: each layer's size must be positive")
    bench, out = make_benchmark(args.family), Path(args.out)
    env_class = bench.env_class
    train_tasks = training_bodies(bench, args.train_tasks)
    policy = None if args.policy is None else agent_policy(args.policy, args.family)
    t0 = time.perf_counter()
    train_states = body_rollout_states(env_class, train_tasks, policy, BodyDataConfig(args.rollouts, seed=0))
    test_states = body_rollout_states(env_class, bench.test, policy, BodyDataConfig(args.test_rollouts, seed=1))
    train_ds = body_transitions(env_class, train_tasks, train_states, args.segment)
    test_ds = body_transitions(env_class, bench.test, test_states, args.segment)
    data_s = time.perf_counter() - t0
    next_obs = test_ds.next_obs.reshape(len(bench.test), -1, test_ds.obs.shape[1])  # task, state, entry
    kinds = np.array([t.kind for t in bench.test])
    spread = {k: 1e3 * next_obs[kinds == k].var(0).mean() for k in ("interpolation", "extrapolation")}
    counts = {k: int((kinds == k).sum()) for k in spread}
    print(f"data: {len(train_ds)} training transitions, {len(test_ds)} held-out, {data_s:.0f} s", file=sys.stderr)
    config = replace(
        IIDA_CONFIG,
        epochs=args.epochs,
        batches_per_epoch=args.batches_per_epoch,
        patience=args.patience,
        hidden=tuple(args.hidden),
    )
    per_seed = iida_predictor_table(
        train_ds, test_ds, {t.id: t.kind for t in bench.test}, args.seeds, config, progress=True
    )
    train_s = time.perf_counter() - t0 - data_s
    command = "python benchmarks/iida_table.py " + " ".join(argv if argv is not None else sys.argv[1:])
    text = (
        f"# IIDA's {args.family.capitalize()} table with our predictor\n\nCommand: `{command}`\n\n"
        f"Data: {len(train_states['action'])} recorded states x {len(train_tasks)} training tasks = {len(train_ds)} "
        f"transitions; {len(test_states['action'])} x {len(bench.test)} held-out tasks = {len(test_ds)}; policy: "
        f"{args.policy or 'uniform random actions'}. Predictor: hidden {list(config.hidden)}, at most {config.epochs} "
        f"epochs of {config.batches_per_epoch} batches, patience {config.patience}. Seeds {args.seeds}; "
        f"{data_s:.0f} s for the data, "
        f"{train_s:.0f} s to train and score {3 * len(args.seeds)} predictors on this machine.\n\n"
        f"Test next-state MSE (x 1e-3), mean ± std over seeds:\n\n{summary(per_seed, args.family)}\n\n"
        f"How much the held-out tasks' dynamics differ: the variance of s' across the held-out tasks of a kind for the "
        f"same (s, a), averaged over the recorded states and the state's entries, is {spread['interpolation']:.3f} x "
        f"1e-3 for the {counts['interpolation']} interpolation tasks and {spread['extrapolation']:.3f} x 1e-3 for the "
        f"{counts['extrapolation']} extrapolation ones "
        f"(an ideal predictor without context could get that low; one with the true factors, to 0).\n"
    )
    out.mkdir(parents=True, exist_ok=True)
    per_seed.to_csv(out / "per_seed.csv", index=False)
    (out / "table.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
