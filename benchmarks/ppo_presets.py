"""Which PPO settings learn the Striker: candidate presets trained side by side, scored on the TRAINING tasks against
the ceiling (the planner's return on each task), never on the test tasks (this table is for choosing a preset).

    python benchmarks/ppo_presets.py --steps 1000000 --seeds 0 1 --workers 16 --out runs/presets
    python benchmarks/ppo_presets.py --steps 16384 --presets sb3 normalized --seeds 0 --workers 2   # a quick look

Every (preset, seed) trains the `explicit` agent of train25-test36 (8 in-process envs, 1 torch thread) for `--steps`
env steps and, at `--points` evenly spaced moments, plays one deterministic episode on each of the 25 training tasks
from the start state the ceiling was planned from (nbs/results/ceiling_striker.csv): normalised score
(return - untrained) / (ceiling - untrained), success, and success on the tasks the planner wins. It prints the final
table (mean over seeds); every point goes to OUT/points.csv as it is scored (with the wall time the run had taken by
then), the finished runs' to OUT/presets.csv.
`learner:ppo` and `learner:ppo-tuned` are the library's learners (chapter 04) as `metarl run --learner` trains them.

Measured 2026-11-28 on a lent 16-core machine, 14 runs at once (so each run's steps/s is below what one run alone
gets), `--steps 1000000 --seeds 0 1 --workers 14 --points 5`; the 64-64 presets reached only 802,816 steps in the
9 minutes the machine was lent for. Normalised score on the training tasks, mean of seeds 0 and 1 (min - max):

| preset | at 802,816 steps | at the last point | steps | success (last) | steps/s |
|---|---:|---:|---:|---:|---:|
| sb3 | 0.50 (0.50 - 0.50) | 0.50 | 802,816 | 16% | 1,624 |
| normalized | 0.51 (0.51 - 0.52) | 0.51 | 802,816 | 12% | 1,583 |
| normalized-annealed | 0.49 (0.48 - 0.50) | 0.49 | 802,816 | 14% | 1,600 |
| low-std | 0.58 (0.57 - 0.58) | 0.58 | 802,816 | 6% | 1,570 |
| wide | 0.57 (0.53 - 0.61) | 0.61 (0.58 - 0.65) | 1,015,808 | 8% | 2,315 |
| wide-gae | 0.52 (0.47 - 0.56) | 0.50 (0.46 - 0.55) | 1,003,520 | 6% | 2,316 |
| gsde | 0.53 (0.52 - 0.55) | 0.54 (0.54 - 0.55) | 1,003,520 | 16% | 2,125 |

`wide` became the library's `ppo-tuned`. Its observation statistics moved from `VecNormalize` into the policy's
features extractor; a first version that normalised in `extract_features` missed the critic's bootstrap values
(SB3's `predict_values` bypasses that method) and scored 0.04 / 0.22 / 0.05 at 458,752 steps where `wide` scored
0.52 / 0.39 / 0.39 (seeds 0-2, same machine, 9 runs at once). On this 2-core machine, fixed, at 311,296 steps:
`learner:ppo-tuned` 0.41 / 0.38, `wide` 0.49 / 0.26 (seeds 0 / 1).
At 1,015,808 steps (`--steps 1000000 --presets learner:ppo-tuned learner:ppo --seeds 0 1 --workers 2`, 2 cores):
`learner:ppo` 0.51 / 0.58 in 268 / 251 s, `learner:ppo-tuned` 0.58 / 0.61 in 296 / 275 s (chapter 04's table).
"""

import argparse, os, sys, time
from dataclasses import replace
from pathlib import Path

import pandas as pd
import torch
from stable_baselines3 import PPO
from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.vec_env import VecNormalize

from meta_rl.baselines import LEARNERS, ObservationStatistics, learner_config, make_vec, new_ppo
from meta_rl.benchmark import StrikerBenchmark, play_episodes
from meta_rl.dynamics import worker_pool

CEILING = Path(__file__).resolve().parents[1] / "nbs" / "results" / "ceiling_striker.csv"
WIDE = dict(net_arch=dict(pi=[256, 256], vf=[256, 256]), activation_fn=torch.nn.ReLU, ortho_init=False)
PRESETS = {  # name: (VecNormalize observations and returns?, SB3 PPO keyword arguments; "linear" lr decays to 0)
    "sb3": (False, {}),  # SB3's plain defaults: what meta_rl trained with until now
    "normalized": (True, {}),  # the defaults on VecNormalize'd observations and returns
    "normalized-annealed": (True, dict(learning_rate="linear")),  # CleanRL's continuous-action PPO
    "low-std": (True, dict(learning_rate="linear", policy_kwargs=dict(log_std_init=-1.0))),
    "wide": (True, dict(learning_rate="linear", batch_size=256, policy_kwargs=dict(log_std_init=-1.0, **WIDE))),
    "wide-gae": (
        True,
        dict(
            learning_rate="linear",
            n_steps=512,
            batch_size=256,
            gae_lambda=0.92,
            n_epochs=10,
            policy_kwargs=dict(log_std_init=-2.0, **WIDE),
        ),
    ),
    "gsde": (  # RL Zoo's PyBullet settings, scaled to 8 envs and to 10 epochs of batches of 256 (for CPU time)
        True,
        dict(
            learning_rate="linear",
            n_steps=512,
            batch_size=256,
            gae_lambda=0.9,
            n_epochs=10,
            clip_range=0.4,
            use_sde=True,
            sde_sample_freq=4,
            policy_kwargs=dict(log_std_init=-2.0, **WIDE),
        ),
    ),
}


COLUMNS = ("preset", "seed", "timesteps", "seconds", "train_return", "normalized", "success", "success_on_won")
COLUMNS += ("final_distance",)


PRESETS.update({f"learner:{name}": None for name in LEARNERS})  # the library's learners (chapter 04), as `metarl run`


class NormalizedActor:
    "A policy that acts on observations normalised with frozen `VecNormalize` statistics."

    def __init__(self, policy, vecnorm: VecNormalize | None):
        self.policy, self.vecnorm = policy, vecnorm

    def predict(self, obs, deterministic=True):
        return self.policy.predict(
            self.vecnorm.normalize_obs(obs) if self.vecnorm else obs, deterministic=deterministic
        )


def score(benchmark, actor, tasks, ceiling) -> dict:
    "One deterministic episode per task (the ceiling's start states): mean return, normalised score, success."
    df = pd.DataFrame(play_episodes(benchmark, actor, "explicit", None, tasks, 1, seed=0)).merge(ceiling, on="task_id")
    norm = (df["return"] - df.untrained) / (df.ceiling - df.untrained)
    won = df.won.astype(bool)
    return dict(
        train_return=df["return"].mean(),
        normalized=norm.mean(),
        success=df.success.mean(),
        success_on_won=df.success[won].mean(),
        final_distance=df.final_distance.mean(),
    )


class Points(BaseCallback):
    "Score the agent at the first rollout end after each of `at` env steps; each point is appended to `log` at once."

    def __init__(self, at, fn, log: Path):
        super().__init__()
        self.at, self.fn, self.rows, self.log = list(at), fn, [], log

    def _on_step(self):
        return True

    def _on_rollout_end(self):
        if self.at and self.num_timesteps >= self.at[0]:
            self.at.pop(0)
            self.rows.append(self.fn(self.model, self.num_timesteps))
            with open(self.log, "a") as f:  # one short line per write: whole even with runs appending at once
                f.write(",".join(str(v) for v in self.rows[-1].values()) + "\n")


def run(preset: str, seed: int, steps: int, points: int, log: Path) -> list[dict]:
    torch.set_num_threads(1)
    benchmark = StrikerBenchmark()
    tasks = benchmark.train
    table = pd.read_csv(CEILING)
    ceiling = table[table.set == "train"][["task_id", "ceiling", "untrained", "success"]].rename(
        columns=dict(success="won")
    )
    env = make_vec(benchmark, "explicit", tasks, 8, seed)
    if preset.startswith("learner:"):
        model, callbacks = new_ppo(replace(learner_config(preset[8:]), seed=seed), env), [ObservationStatistics()]
    else:
        normalize, kwargs = PRESETS[preset]
        kwargs = dict(kwargs)
        if kwargs.get("learning_rate") == "linear":
            kwargs["learning_rate"] = lambda progress: 3e-4 * progress
        env = VecNormalize(env, gamma=kwargs.get("gamma", 0.99)) if normalize else env
        model, callbacks = PPO("MlpPolicy", env, seed=seed, device="cpu", **kwargs), []
    start = time.perf_counter()

    def point(model, t):
        seconds = time.perf_counter() - start
        actor = NormalizedActor(model.policy, model.get_vec_normalize_env())
        return dict(
            preset=preset, seed=seed, timesteps=t, seconds=round(seconds, 1), **score(benchmark, actor, tasks, ceiling)
        )

    cb = Points([steps * (i + 1) // points for i in range(points)], point, log)
    model.learn(steps, callback=[*callbacks, cb])
    return cb.rows


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--steps", type=int, default=1_000_000, help="env steps per run (rounded up to whole rollouts)")
    p.add_argument("--presets", nargs="+", default=list(PRESETS), choices=list(PRESETS))
    p.add_argument("--seeds", nargs="+", type=int, default=[0, 1])
    p.add_argument("--points", type=int, default=5, help="scoring moments per run")
    p.add_argument("--workers", type=int, default=os.cpu_count())
    p.add_argument("--out", default="runs/presets")
    a = p.parse_args(argv)
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    jobs = [(name, seed) for seed in a.seeds for name in a.presets]
    rows = []
    with worker_pool(min(a.workers, len(jobs))) as pool:
        log = out / "points.csv"  # every point as it is scored (the runs append to it)
        log.write_text(",".join(COLUMNS) + "\n")
        futures = [pool.submit(run, name, seed, a.steps, a.points, log) for name, seed in jobs]
        for f in futures:
            rows += f.result()
            pd.DataFrame(rows).to_csv(out / "presets.csv", index=False)
            print(f"{rows[-1]['preset']} seed {rows[-1]['seed']}: done", file=sys.stderr, flush=True)
    df = pd.DataFrame(rows)
    last = df[df.timesteps == df.groupby(["preset", "seed"]).timesteps.transform("max")]
    table = last.groupby("preset", sort=False).agg(
        seeds=("seed", "size"),
        steps=("timesteps", "mean"),
        minutes=("seconds", lambda s: s.mean() / 60),
        normalized=("normalized", "mean"),
        normalized_min=("normalized", "min"),
        success=("success", "mean"),
        success_on_won=("success_on_won", "mean"),
        train_return=("train_return", "mean"),
    )
    print(f"python benchmarks/ppo_presets.py {' '.join(argv or sys.argv[1:])}")
    print(table.round(3).to_string())


if __name__ == "__main__":
    main()
