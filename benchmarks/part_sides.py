"""Each uncertainty part read one-sided (as the estimator does: higher than on the training tasks is uncertain) and
two-sided (further from the training tasks either way), from the episodes a `metarl uncertainty` report scored.

    python benchmarks/part_sides.py runs/hopper_500k/uncertainty runs/swimmer_500k/uncertainty --k 25 100

A part standardised against the agent's training-task episodes (`u_PART` in `episodes.csv`, chapter 08) that points
the wrong way (OOD AUROC below 0.5) may be a part that moves in either direction beyond the training range: its
absolute value then ranks OOD episodes the right way. Prints, per report, part, context and K, the OOD AUROC (OOD vs
test episodes) and the failure AUROC (failed vs successful episodes of all sets) of both readings, pooled over seeds
(chapter 09's `uncertainty_metrics`, so the one-sided numbers are the report's own).
"""

import argparse
from pathlib import Path

import pandas as pd

from meta_rl.tuning import markdown_table
from meta_rl.uncertainty_eval import uncertainty_metrics


def sides(episodes: pd.DataFrame, ks) -> pd.DataFrame:
    "OOD and failure AUROC of every part, one-sided and two-sided, per context and K."
    parts = [c.removeprefix("u_") for c in episodes.columns if c.startswith("u_") and c != "u_outcome"]
    scored = episodes[episodes.k.isin(ks)]
    both = scored.assign(**{f"u_{p} two-sided": scored[f"u_{p}"].abs() for p in parts})
    metrics = uncertainty_metrics(both, reps=200)
    metrics = metrics[metrics.metric.isin(["ood_auroc", "failure_auroc"]) & (metrics.score != "score")]
    table = metrics.pivot_table(index=["score", "context", "k"], columns="metric", values="value").reset_index()
    table["part"] = table.score.str.removesuffix(" two-sided")
    table["reading"] = table.score.str.endswith("two-sided").map({True: "two-sided", False: "one-sided"})
    wide = table.pivot_table(index=["part", "context", "k"], columns="reading", values=["ood_auroc", "failure_auroc"])
    wide.columns = [f"{m.removesuffix('_auroc')} {r}" for m, r in wide.columns]
    order = [f"{m} {r}" for m in ("failure", "ood") for r in ("one-sided", "two-sided")]  # a side without episodes: NaN
    return wide.reindex(columns=order).reset_index().round(2)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("reports", nargs="+", help="folders of metarl uncertainty reports (each with episodes.csv)")
    parser.add_argument("--k", type=int, nargs="+", default=[25, 100], help="the K values to read")
    args = parser.parse_args(argv)
    for report in args.reports:
        episodes = pd.read_csv(Path(report) / "episodes.csv")
        print(f"\n{report} ({', '.join(sorted(episodes.benchmark.astype(str).unique()))})\n")
        print("\n".join(markdown_table(sides(episodes, args.k))))


if __name__ == "__main__":
    main()
