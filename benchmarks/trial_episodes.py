"""Does a memory pay across episodes? Each agent of runs plays consecutive episodes on every task, and its success and
return are read by the episode's place in that sequence.

    python benchmarks/trial_episodes.py runs/mw200k/reach-rl2-task runs/mw200k/reach-rl2-episode --episodes 4 \\
        --out nbs/results/mw200k_reach_rl2

Per run, context and seed: `--episodes` deterministic episodes in a row on each task of `--tasks` (chapter 03's
`play_episodes`; an agent whose memory lasts a trial, `trial_episodes` > 1, keeps it through the trial, every other
agent starts each episode afresh). Prints a Markdown table, one row per run, context and episode: the agents' trial
length, the seeds, the success and mean return over all their episodes at that place, and the lowest and highest seed's
success. With `--out`, writes it as OUT/trial_episodes.csv and the per-seed rows as OUT/trial_episodes_seeds.csv.
"""

import argparse
from pathlib import Path

import pandas as pd

from meta_rl.baselines import load_agent, torch_threads
from meta_rl.benchmark import play_episodes
from meta_rl.tuning import markdown_table

from critic_health import agent_folders  # the script beside this one

TASK_SETS = ("train", "test")


def seed_rows(runs: list[Path], episodes: int, task_set: str) -> pd.DataFrame:
    "One row per run, agent and episode place: the agent's success and mean return over the tasks at that place."
    rows = []
    for run in runs:
        for folder in agent_folders(run):
            agent = load_agent(folder)
            tasks = list(getattr(agent.benchmark, task_set))
            with torch_threads(1):
                played = pd.DataFrame(
                    play_episodes(agent.benchmark, agent.actor, agent.context, agent.encoder, tasks, episodes, 0)
                )
            for ep, group in played.groupby("episode"):
                row = dict(run=str(run), context=agent.context, trial=agent.trial_episodes, seed=agent.seed)
                rows.append({**row, "episode": ep, "success": group.success.mean(), "return": group["return"].mean()})
    return pd.DataFrame(rows)


def pooled(seeds: pd.DataFrame) -> pd.DataFrame:
    "The seeds pooled per run, context and episode place (every seed plays the same tasks)."
    keys = ["run", "context", "trial", "episode"]
    grouped = seeds.groupby(keys, sort=False)
    table = grouped.agg(seeds=("seed", "nunique"), success=("success", "mean"), mean_return=("return", "mean"))
    return table.assign(
        success_lowest_seed=grouped.success.min(), success_highest_seed=grouped.success.max()
    ).reset_index()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", type=Path, help="run folders (metarl run --out)")
    parser.add_argument("--episodes", type=int, default=4, help="episodes in a row on each task")
    parser.add_argument("--tasks", default="test", help=f"the tasks played: one of {list(TASK_SETS)}")
    parser.add_argument("--out", type=Path, help="a folder for trial_episodes.csv and trial_episodes_seeds.csv")
    args = parser.parse_args(argv)
    if missing := [str(r) for r in args.runs if not (r / "config.json").exists()]:
        parser.error(f"not run folders (no config.json): {missing}")
    if args.episodes < 1:
        parser.error(f"--episodes {args.episodes}: at least 1")
    if args.tasks not in TASK_SETS:
        parser.error(f"--tasks {args.tasks!r}: choose one of {list(TASK_SETS)}")
    seeds = seed_rows(args.runs, args.episodes, args.tasks)
    table = pooled(seeds)
    print("\n".join(markdown_table(table.round(dict(success=3, mean_return=1)))))
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        table.to_csv(args.out / "trial_episodes.csv", index=False)
        seeds.to_csv(args.out / "trial_episodes_seeds.csv", index=False)


if __name__ == "__main__":
    main()
