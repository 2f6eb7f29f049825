"""IIDA's next-state table for a body family: test next-state MSE (x 1e-3) with no context, true factors, the latent.

    python benchmarks/iida_table.py --family hopper --policy runs/hopper_500k/none/seed0 --out nbs/results/hopper_iida
    python benchmarks/iida_table.py --family swimmer --rollouts 2 --test-rollouts 2 --seeds 0 --epochs 1 --out /tmp/s

`--family` is a body family of chapters 10a, 10c and 10d (hopper, walker2d, swimmer). The data are made as we read
IIDA's data code (chapter 10a): a policy (a `none` agent of `metarl run --benchmark FAMILY`, its actions sampled;
uniform random actions without `--policy`) plays `--rollouts` episodes on the 24 training tasks in turn, and every
recorded state and action is stepped once under each training task; `--test-rollouts` episodes on the 24 held-out tasks
give their data the same way. Chapter 06a's predictor (`IIDA_CONFIG`: context of 128 transitions, next-state loss) is
trained per seed with each context and scored on the held-out tasks, interpolation and extrapolation apart. Writes
`per_seed.csv` and `table.md` (mean and std over seeds beside IIDA's row, if it has one) to `--out` and prints the
table, with the variance of s' across the held-out tasks for the same (s, a): the part of the error that a context can
remove at most.
"""

import argparse, sys, time
from dataclasses import replace
from pathlib import Path

import pandas as pd
import torch

import meta_rl.swimmer, meta_rl.walker2d  # noqa: F401  register their benchmarks
from meta_rl.baselines import load_agent
from meta_rl.benchmark import make_benchmark
from meta_rl.hopper import (
    BODY_FAMILIES,
    IIDA_CONFIG,
    IIDA_TABLE,
    BodyDataConfig,
    body_rollout_states,
    body_transitions,
    iida_predictor_table,
)


def agent_policy(run_dir: str, family: str):
    "The sampled actions of the `none` agent of `family` saved in `run_dir`."
    agent = load_agent(run_dir)
    if agent.benchmark.name != family or agent.context != "none":
        raise SystemExit(
            f"--policy {run_dir}: a `none` agent of the {family} benchmark is needed, this one is "
            f"{agent.context!r} on {agent.benchmark.name!r}"
        )
    torch.manual_seed(0)  # SB3 samples the actions with torch's generator
    return lambda obs: agent.model.predict(obs, deterministic=False)[0]


def summary(per_seed: pd.DataFrame, family: str) -> str:
    "Mean and std over seeds per context and kind, beside IIDA's row for `family` (their test split is interpolation)."
    g = per_seed.groupby(["context", "kind"]).mse_x1e3.agg(["mean", "std", "count"]).reset_index()
    wide = {(r.context, r.kind): f"{r['mean']:.2f} ± {r['std']:.2f}" for _, r in g.iterrows()}
    rows = IIDA_TABLE[IIDA_TABLE.family == family]
    published = {r.context.split(" ")[0]: f"{r.mse_x1e3:.2f} ± {r.std_x1e3:.2f}" for _, r in rows.iterrows()}
    published = published or dict.fromkeys(("none", "true", "latent", "IIDA-Transformer"), "no row")
    lines = [
        f"| decoder's context | ours: interpolation | ours: extrapolation | IIDA ({family.capitalize()}) |",
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
    p.add_argument("--test-rollouts", type=int, default=20, help="episodes that give the held-out tasks' states")
    p.add_argument("--segment", type=int, default=200, help="transitions per stored episode (a latent's context)")
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2], help="predictor seeds")
    p.add_argument("--epochs", type=int, default=IIDA_CONFIG.epochs, help="training epochs at most")
    p.add_argument("--out", required=True, help="folder for per_seed.csv and table.md")
    args = p.parse_args(argv)
    if min(args.rollouts, args.test_rollouts, args.segment, args.epochs) < 1:
        p.error("--rollouts, --test-rollouts, --segment and --epochs must be positive")
    bench, out = make_benchmark(args.family), Path(args.out)
    env_class = bench.env_class
    policy = None if args.policy is None else agent_policy(args.policy, args.family)
    t0 = time.perf_counter()
    train_states = body_rollout_states(env_class, bench.train, policy, BodyDataConfig(args.rollouts, seed=0))
    test_states = body_rollout_states(env_class, bench.test, policy, BodyDataConfig(args.test_rollouts, seed=1))
    train_ds = body_transitions(env_class, bench.train, train_states, args.segment)
    test_ds = body_transitions(env_class, bench.test, test_states, args.segment)
    data_s = time.perf_counter() - t0
    spread = 1e3 * test_ds.next_obs.reshape(len(bench.test), -1, test_ds.obs.shape[1]).var(0).mean()
    print(f"data: {len(train_ds)} training transitions, {len(test_ds)} held-out, {data_s:.0f} s", file=sys.stderr)
    config = replace(IIDA_CONFIG, epochs=args.epochs)
    per_seed = iida_predictor_table(
        train_ds, test_ds, {t.id: t.kind for t in bench.test}, args.seeds, config, progress=True
    )
    train_s = time.perf_counter() - t0 - data_s
    command = "python benchmarks/iida_table.py " + " ".join(argv if argv is not None else sys.argv[1:])
    text = (
        f"# IIDA's {args.family.capitalize()} table with our predictor\n\nCommand: `{command}`\n\n"
        f"Data: {len(train_states['action'])} recorded states x 24 training tasks = {len(train_ds)} transitions; "
        f"{len(test_states['action'])} x 24 held-out tasks = {len(test_ds)}; policy: "
        f"{args.policy or 'uniform random actions'}. Seeds {args.seeds}; {data_s:.0f} s for the data, "
        f"{train_s:.0f} s to train and score {3 * len(args.seeds)} predictors on this machine.\n\n"
        f"Test next-state MSE (x 1e-3), mean ± std over seeds:\n\n{summary(per_seed, args.family)}\n\n"
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
