"""Each uncertainty part read one-sided (higher than on the training tasks is uncertain) and two-sided (further from the
training tasks either way), from the episodes a `metarl uncertainty` report scored.

    python benchmarks/part_sides.py runs/hopper_500k/uncertainty runs/swimmer_500k/uncertainty --k 25 100

Each part is standardised again from its raw value and the agent's own calibration (`estimators/CONTEXT-seedS/
reference.csv`, chapter 08): (log part - mean) / std, signed, whichever sides the report's estimator read. A part that
points the wrong way one-sided (OOD AUROC below 0.5) may be one that moves in either direction beyond the training
range: its absolute value then ranks OOD episodes the right way. Prints, per report, part, context and K, the OOD
AUROC (OOD vs test episodes) and the failure AUROC (failed vs successful episodes of all sets) of both readings, pooled
over seeds (chapter 09's `uncertainty_metrics`). The row `all parts` is the score, the mean of the estimator's
parts: every part one-sided, against those of chapter 08's `TWO_SIDED` two-sided (the rule the estimators follow now).
"""

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from meta_rl.dynamics import read_json
from meta_rl.tuning import markdown_table
from meta_rl.uncertainty import TWO_SIDED, load_calibration
from meta_rl.uncertainty_eval import uncertainty_metrics


def signed_parts(report: Path, episodes: pd.DataFrame) -> pd.DataFrame:
    "Every part of `episodes` standardised against its agent's calibration in `report`, signed: `u_PART` columns."
    parts = [c.removeprefix("u_") for c in episodes.columns if c.startswith("u_") and c != "u_outcome"]
    out = pd.DataFrame(index=episodes.index, columns=[f"u_{p}" for p in parts], dtype=float)
    for (context, seed), rows in episodes.groupby(["context", "seed"]):
        folder = Path(report) / "estimators" / f"{context}-seed{seed}"
        ref, _ = load_calibration(folder, read_json(folder / "estimator.json"))
        ref = ref.loc[rows.k]
        for p in parts:
            raw = np.log(rows[p].clip(lower=1e-12)).to_numpy()
            out.loc[rows.index, f"u_{p}"] = (raw - ref[("mean", p)].to_numpy()) / ref[("std", p)].to_numpy()
    return out


def _estimator_parts(report: Path) -> list[str]:
    "The parts the report's score averages (its first estimator's)."
    return read_json(next(Path(report).glob("estimators/*/estimator.json")))["parts"]


def sides(report: Path, episodes: pd.DataFrame, ks) -> pd.DataFrame:
    "OOD and failure AUROC of every part, one-sided and two-sided, per context and K."
    scored = episodes[episodes.k.isin(ks)]
    signed = signed_parts(report, scored)
    both = scored.drop(columns=[c for c in scored.columns if c.startswith("u_")])
    two_sided = signed.abs().add_suffix(" two-sided")
    used = [f"u_{p}" for p in _estimator_parts(report)]
    by_rule = signed[used].assign(**{c: signed[c].abs() for c in used if c.removeprefix("u_") in TWO_SIDED})
    scores = {"u_all parts": signed[used].mean(axis=1), "u_all parts two-sided": by_rule.mean(axis=1)}
    both = pd.concat([both, signed, two_sided, pd.DataFrame(scores)], axis=1)
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
        print("\n".join(markdown_table(sides(Path(report), episodes, args.k))))


if __name__ == "__main__":
    main()
