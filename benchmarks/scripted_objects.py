"""Meta-World's scripted policies on objects with varied dynamics: how many goals each skill's policy wins with
Meta-World's own object and with the object of a few points of chapter 10b's grids.

    python benchmarks/scripted_objects.py --suite ML10 --goals 5 --out nbs/results/scripted_ml10_objects

A scripted policy reads the true goal and object positions and is blind to the object's dynamics: where it still wins,
the task stays solvable by the same strokes; where it stops winning, the dynamics ask for another behaviour (or make
the task too hard for the arm). Writes `scripted.csv` (one row per skill and dynamics: wins, goals tried) and prints
the table of wins per skill. Each episode is cut at `--steps` steps or at its first success.
"""

import argparse, warnings
from pathlib import Path

import numpy as np
import pandas as pd
from metaworld.policies import ENV_POLICY_MAP

from meta_rl.metaworld import MetaWorldEnv, goal_observation, metaworld_benchmark
from meta_rl.metaworld_dynamics import FACTOR_NAMES, OBJECT_SKILLS, ObjectDynamicsTask
from meta_rl.tuning import markdown_table

SETTINGS = {  # name -> (mass scale, friction scale, damping): Meta-World's object, training corners, one beyond
    "nominal": (1.0, 1.0, 0.0),
    "heavy x16": (16.0, 1.0, 0.0),
    "rough x2": (1.0, 2.0, 0.0),
    "damped +20": (1.0, 1.0, 20.0),
    "all three": (16.0, 2.0, 20.0),
    "heavy x64": (64.0, 1.0, 0.0),
}


def wins(goal, dynamics, steps: int) -> bool:
    "Whether the skill's scripted policy succeeds on `goal` with the object's `dynamics` within `steps` steps."
    task = ObjectDynamicsTask(goal.id, goal.env_name, goal.split, goal.params, goal.task, dynamics)
    policy = ENV_POLICY_MAP[goal.env_name]()
    with MetaWorldEnv(task, max_episode_steps=steps) as env, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        obs, _ = env.reset(options={"task": task})
        for _ in range(steps):
            obs, _, _, truncated, info = env.step(np.clip(policy.get_action(goal_observation(env, obs)), -1, 1))
            if info["success"] or truncated:
                break
    return bool(info["success"])


def scripted_table(suite: str, goals: int, steps: int, settings: dict, seed: int = 0) -> pd.DataFrame:
    "Wins of each skill's scripted policy on its first `goals` tasks (goals), per dynamics; ML1: each object skill."
    skills = [None] if suite == "ML10" else list(OBJECT_SKILLS)
    rows = []
    for env_name in skills:
        bench = metaworld_benchmark(suite, env_name, seed)
        by_skill = {}
        for t in [*bench.train.tasks, *bench.test.tasks]:
            by_skill.setdefault(t.env_name, []).append(t)
        for skill, tasks in by_skill.items():
            for name, dynamics in settings.items():
                won = sum(wins(g, dynamics, steps) for g in tasks[:goals])
                rows.append(dict(skill=skill, setting=name, **dict(zip(FACTOR_NAMES, dynamics)), wins=won, goals=goals))
    return pd.DataFrame(rows)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--suite", choices=["ML1", "ML10"], default="ML10", help="ML10, or ML1's object skills")
    parser.add_argument("--goals", type=int, default=5, help="goals per skill and dynamics")
    parser.add_argument("--steps", type=int, default=500, help="steps per episode at most")
    parser.add_argument("--settings", nargs="+", choices=list(SETTINGS), default=list(SETTINGS))
    parser.add_argument("--out", help="folder for scripted.csv (none: print only)")
    args = parser.parse_args(argv)
    if args.goals < 1 or args.steps < 1:
        parser.error(f"--goals {args.goals} and --steps {args.steps} must be >= 1")
    table = scripted_table(args.suite, args.goals, args.steps, {k: SETTINGS[k] for k in args.settings})
    if args.out:
        Path(args.out).mkdir(parents=True, exist_ok=True)
        table.to_csv(Path(args.out) / "scripted.csv", index=False)
    wide = table.pivot_table(index="skill", columns="setting", values="wins", sort=False).astype(int)
    wide = wide[list(args.settings)].reset_index()
    print(f"Wins of {args.goals} goals per skill, scripted policy, at most {args.steps} steps:\n")
    print("\n".join(markdown_table(wide)))


if __name__ == "__main__":
    main()
