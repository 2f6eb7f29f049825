"""Is `explicit` beaten beyond the grid by what it is told? Each `explicit` agent of a metaworld-dynamics run plays the
test tasks its run evaluated it on twice: told the object's dynamics as they are, and clipped to the training range
(chapter 10b's `clip_dynamics`; it changes nothing within the grid).

    python benchmarks/clipped_dynamics.py runs/mwd1m/push-tuned --out nbs/results/mwd1m_push_tuned

One deterministic episode per task and telling, the run evaluation's seed (0) and batch, so "as given" repeats the
run's own episodes. Prints a Markdown table: per telling, kind of task and factor beyond the grid (chapter 10b's
`factors_beyond`; '' within it; `all`: every task of the kind), the seeds, tasks and success, and the lowest and highest
seed's success. With `--out`, writes the episodes as OUT/clipped_dynamics.csv.
"""

import argparse
from pathlib import Path

import pandas as pd

from meta_rl.baselines import load_agent, torch_threads
from meta_rl.benchmark import make_benchmark, play_episodes
from meta_rl.metaworld_dynamics import factors_beyond
from meta_rl.tuning import markdown_table

TELLINGS = {"as given": False, "clipped": True}  # the name of each telling and its clip_dynamics


def told_episodes(run: Path) -> pd.DataFrame:
    """One row per explicit agent of `run`, telling and test task the run evaluated it on: the episode's success and
    return. The tasks are played in one batch in the run's order, as its evaluation played them."""
    folders = sorted((run / "explicit").glob("seed*"))
    if not folders:
        raise SystemExit(f"{run}: no explicit/seed*/ agent folders; this compares what explicit agents are told")
    rows = []
    for folder in folders:
        agent = load_agent(folder)
        record = agent.benchmark.record()
        if record["benchmark"] != "metaworld-dynamics":
            raise SystemExit(f"{run} is a run on {record['benchmark']!r}; clip_dynamics is metaworld-dynamics'")
        evaluated = pd.read_csv(folder / "episodes.csv").query("split == 'test'").task_id.unique()
        for telling, clip in TELLINGS.items():
            bench = make_benchmark(**{**record, "clip_dynamics": clip})
            tasks = [bench.test[task_id] for task_id in evaluated]
            with torch_threads(1):
                played = play_episodes(bench, agent.actor, "explicit", None, tasks, 1, 0)
            for task, episode in zip(tasks, played):
                beyond = factors_beyond(task.dynamics)
                rows.append(dict(seed=agent.seed, telling=telling, task_id=task.id, kind=task.kind, beyond=beyond,
                                 success=bool(episode["success"]), **{"return": episode["return"]}))  # fmt: skip
    return pd.DataFrame(rows)


def pooled(episodes: pd.DataFrame) -> pd.DataFrame:
    """Per telling, kind of task and factor beyond the grid (and `all` of them): seeds, tasks, success, and the lowest
    and highest seed's success."""
    keys = ["telling", "kind", "beyond"]
    episodes = pd.concat([episodes, episodes.assign(beyond="all")])
    per_seed = episodes.groupby([*keys, "seed"], sort=False).success.mean()
    grouped = episodes.groupby(keys, sort=False)
    table = grouped.agg(seeds=("seed", "nunique"), tasks=("task_id", "nunique"), success=("success", "mean"))
    by_seed = per_seed.groupby(keys, sort=False)
    return table.assign(success_lowest_seed=by_seed.min(), success_highest_seed=by_seed.max()).reset_index()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path, help="a metaworld-dynamics run folder (metarl run --out)")
    parser.add_argument("--out", type=Path, help="a folder for clipped_dynamics.csv")
    args = parser.parse_args(argv)
    episodes = told_episodes(args.run)
    print("\n".join(markdown_table(pooled(episodes))))
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        episodes.to_csv(args.out / "clipped_dynamics.csv", index=False)


if __name__ == "__main__":
    main()
