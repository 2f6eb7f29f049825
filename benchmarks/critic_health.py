"""Is each agent's critic alive: chapter 04's `critic_health` of every feed-forward agent of runs, on the states the
agent itself visits on its first training tasks (never the test tasks).

    python benchmarks/critic_health.py runs/mw200k/reach runs/mw200k/push-tuned --out nbs/results/critic_health

Per run, context and seed: the agent plays one deterministic episode on each of the first `--tasks` training tasks (its
own observation: context, latent encoder); `critic_health` reads its critic on every observation of them. Prints one
Markdown table (the value network's units, whether returns and observations were scaled (`normalize`), the mean
value, the values' standard deviation over the states, the share of the value network's last hidden units that no state
moves) and, with `--out`, writes it as OUT/critic_health.csv. Recurrent agents (`rl2`) are
left out: their critic's units depend on the memory, not on the state alone.
"""

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
from sb3_contrib import RecurrentPPO

from meta_rl.baselines import critic_health, load_agent, torch_threads
from meta_rl.benchmark import play_episodes
from meta_rl.dynamics import read_json
from meta_rl.tuning import markdown_table


def visited_states(agent, tasks) -> np.ndarray:
    "The observations of one deterministic episode of `agent` on each of `tasks` (chapter 03's `play_episodes`)."
    rows = play_episodes(agent.benchmark, agent.actor, agent.context, agent.encoder, tasks, 1, seed=0, record=True)
    return np.concatenate([r["transitions"]["agent_obs"] for r in rows])


def agent_folders(run: Path) -> list[Path]:
    "The agent folders (CONTEXT/seedS with a model.pt) of `run`, in the order its config lists the contexts."
    contexts = read_json(run / "config.json")["config"]["context"]
    return [f for c in contexts for f in sorted((run / c).glob("seed*")) if (f / "model.pt").exists()]


def health_table(runs: list[Path], n_tasks: int) -> pd.DataFrame:
    "One row per feed-forward agent of `runs`: its critic's health on the states of its first `n_tasks` training tasks."
    rows = []
    for run in runs:
        for folder in agent_folders(run):
            agent = load_agent(folder)
            if isinstance(agent.model, RecurrentPPO):
                print(f"{folder}: recurrent, left out")
                continue
            with torch_threads(1):
                states = visited_states(agent, list(agent.benchmark.train)[:n_tasks])
                health = critic_health(agent.model, states)
            ppo = read_json(folder / "config.json")["ppo"]
            units = f"{ppo['activation']} {'-'.join(map(str, ppo['net_arch']))}"
            row = dict(run=str(run), context=agent.context, seed=agent.seed, units=units, normalize=ppo["normalize"])
            rows.append({**row, "states": len(states), **health})
    return pd.DataFrame(rows)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", type=Path, help="run folders (metarl run --out)")
    parser.add_argument("--tasks", type=int, default=3, help="training tasks played per agent (one episode each)")
    parser.add_argument("--out", type=Path, help="a folder for critic_health.csv")
    args = parser.parse_args(argv)
    if missing := [str(r) for r in args.runs if not (r / "config.json").exists()]:
        parser.error(f"not run folders (no config.json): {missing}")
    if args.tasks < 1:
        parser.error(f"--tasks {args.tasks}: at least 1")
    table = health_table(args.runs, args.tasks)
    print("\n".join(markdown_table(table.round(dict(value_mean=1, value_std=2, frozen=2)))))
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        table.to_csv(args.out / "critic_health.csv", index=False)


if __name__ == "__main__":
    main()
