"""PPO training throughput of the `latent` agent against the `explicit` and `none` agents, in the same run.

    python benchmarks/latent_throughput.py                       # 3 rounds of 32,768 steps per agent
    python benchmarks/latent_throughput.py --steps 16384 --rounds 1   # a quick look

Every agent trains PPO with `meta_rl.baselines.PPOConfig()` (8 environments in a `DummyVecEnv`, 1 torch thread) on the
25 training tasks, as `metarl-striker` does. The `latent` agent's environments run the IIDA encoder online at every step
(chapter 06's numpy `IIDAEncoder`); the encoder is a freshly initialised model of the default size (its weights do not
change its cost), so no trained checkpoint is needed; pass `--encoder runs/NAME/encoder/predictor.pt` to use a trained
one. The probing `latent` agent (`metarl-striker --latent-probe 50`) also plays a 50-step probe strike on a private
Striker at every reset. Rounds alternate the agents so that a machine's slow moments fall on all of them alike; the
table gives the median steps/s over rounds and the ratio to `explicit` (target for `latent`: >= 0.8)."""

import argparse, statistics, time

import numpy as np
from stable_baselines3 import PPO

from meta_rl.baselines import PPOConfig, make_vec, torch_threads
from meta_rl.benchmark import StrikerBenchmark
from meta_rl.iida_predictor import (
    IIDAModel,
    Normalizer,
    PredictorConfig,
    encoder_factory,
    load_context_encoder,
    STATE_DIM,
    OBS_DIM,
)


def untrained_encoder():
    "The default-size IIDA encoder with random weights and a unit normaliser (same cost as a trained one)."
    norm = Normalizer(np.zeros(STATE_DIM), np.ones(STATE_DIM), np.zeros(OBS_DIM), np.ones(OBS_DIM))
    return encoder_factory(IIDAModel(PredictorConfig()), norm)


def steps_per_second(context, config, steps, encoder):
    striker = StrikerBenchmark()
    env = make_vec(
        striker,
        context,
        striker.train,
        config.n_envs,
        config.seed,
        encoder=encoder if context == "latent" else None,
        vec_env=config.vec_env,
    )
    try:
        with torch_threads(config.torch_threads):
            model = PPO("MlpPolicy", env, device="cpu", **config.ppo_kwargs())
            t = time.perf_counter()
            model.learn(steps)
            return model.num_timesteps / (time.perf_counter() - t)
    finally:
        env.close()


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument(
        "--steps", type=int, default=32_768, help="env steps per agent and round (rounded up to whole rollouts)"
    )
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--encoder", help="a trained predictor.pt (default: an untrained one of the default size)")
    p.add_argument("--n-steps", type=int, default=None, help="override PPOConfig.n_steps, for a quick look")
    p.add_argument(
        "--probe-steps",
        type=int,
        default=50,
        help="probe length of the probing latent agent (`metarl-striker --latent-probe`)",
    )
    a = p.parse_args(argv)
    if a.probe_steps < 1:
        p.error("--probe-steps must be positive")
    if a.steps < 1 or a.rounds < 1:
        p.error("--steps and --rounds must be positive")
    if a.n_steps is not None and a.n_steps < 2:
        p.error("--n-steps must be at least 2")
    encoder = load_context_encoder(a.encoder) if a.encoder else untrained_encoder()
    probing = encoder.replace(memory="episode", probe_steps=a.probe_steps)
    config = (
        PPOConfig()
        if a.n_steps is None
        else PPOConfig(n_steps=a.n_steps, batch_size=min(PPOConfig.batch_size, a.n_steps))
    )
    setups = {
        "explicit": ("explicit", None),
        "latent": ("latent", encoder),
        f"latent, {a.probe_steps}-step probe": ("latent", probing),
        "none": ("none", None),
    }
    agents = tuple(setups)
    res = {c: [] for c in agents}
    for r in range(a.rounds):
        for c in agents if r % 2 == 0 else agents[::-1]:
            res[c].append(steps_per_second(*setups[c][:1], config, a.steps, setups[c][1]))
    med = {c: statistics.median(v) for c, v in res.items()}
    print(
        f"| agent ({config.n_envs} envs, DummyVecEnv, {config.torch_threads} thread) | steps/s (median of {a.rounds}) "
        f"| x explicit |"
    )
    print("|---|---:|---:|")
    for c in agents:
        print(f"| `{c}` | {med[c]:,.0f} | {med[c] / med['explicit']:.2f} |")
    return med


if __name__ == "__main__":
    main()
