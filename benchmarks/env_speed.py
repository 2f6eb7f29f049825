"""Env steps per second of the Striker against the physics alone and against Gymnasium's Pusher-v5.

    python benchmarks/env_speed.py            # 20k steps per row, best of 3 runs
    python benchmarks/env_speed.py --steps 2000 --repeats 1   # a quick look

Every row steps the same number of times with actions drawn in advance, resetting every episode
(200 steps; Pusher-v5: 100), and prints a Markdown table with ratios to the raw physics and to Pusher-v5.
"""

import argparse, time

import gymnasium as gym
import mujoco
import numpy as np

from meta_rl.context import RunningMeanEncoder, make_striker
from meta_rl.striker import STRIKER_XML, StrikerEnv


def time_env(env, actions, horizon):
    env.reset(seed=0)
    t = time.perf_counter()
    for i, a in enumerate(actions):
        _, _, term, trunc, _ = env.step(a)
        if term or trunc or (i + 1) % horizon == 0:
            env.reset()
    return len(actions) / (time.perf_counter() - t)


def time_raw(actions, frame_skip=5, horizon=200):
    m = mujoco.MjModel.from_xml_string(STRIKER_XML)
    d = mujoco.MjData(m)
    t = time.perf_counter()
    for i, a in enumerate(actions):
        d.ctrl[:] = a
        mujoco.mj_step(m, d, nstep=frame_skip)
        if (i + 1) % horizon == 0:
            mujoco.mj_resetData(m, d)
    return len(actions) / (time.perf_counter() - t)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=20_000)
    p.add_argument("--repeats", type=int, default=3)
    args = p.parse_args(argv)
    if args.steps < 1 or args.repeats < 1:
        p.error("--steps and --repeats must be positive")
    actions = np.random.default_rng(0).uniform(-3, 3, size=(args.steps, 7))
    pusher_actions = np.clip(actions, -2, 2).astype(np.float32)
    rows = {
        "raw mj_step x 5 (our model)": lambda: time_raw(actions),
        "StrikerEnv": lambda: time_env(StrikerEnv(), actions, 200),
        "gym.make('meta_rl/Striker-v0')": lambda: time_env(gym.make("meta_rl/Striker-v0"), actions, 200),
        "make_striker('none')": lambda: time_env(make_striker("none"), actions, 200),
        "make_striker('explicit')": lambda: time_env(make_striker("explicit"), actions, 200),
        "make_striker('latent', RunningMeanEncoder)": lambda: time_env(
            make_striker("latent", encoder=RunningMeanEncoder()), actions, 200
        ),
        "Pusher-v5 (unwrapped)": lambda: time_env(gym.make("Pusher-v5").unwrapped, pusher_actions, 100),
        "gym.make('Pusher-v5')": lambda: time_env(gym.make("Pusher-v5"), pusher_actions, 100),
    }
    res = {name: max(f() for _ in range(args.repeats)) for name, f in rows.items()}
    raw, pusher = res["raw mj_step x 5 (our model)"], res["Pusher-v5 (unwrapped)"]
    print(f"| env ({args.steps} steps, best of {args.repeats}) | steps/s | x raw | x Pusher-v5 (unwrapped) |")
    print("|---|---:|---:|---:|")
    for name, v in res.items():
        print(f"| {name} | {v:,.0f} | {v / raw:.2f} | {v / pusher:.2f} |")
    return res


if __name__ == "__main__":
    main()
