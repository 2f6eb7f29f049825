"""Cost of IIDA: the online encoder per env step, and predictor training time per epoch.

    python benchmarks/iida_speed.py                          # 5k env steps per row; an epoch on the default dataset
    python benchmarks/iida_speed.py --steps 500 --episodes-per-task 2 --epochs 1   # a quick look

Rows 1-3 step a Striker with random actions (resetting every 200 steps): without context, with the latent of an
IIDAEncoder (the numpy encoder, one transition embedded per step), and the encoder's `update` + `latent` alone.
Two more rows: the same with a probing encoder (`probe_steps`, a probe at every reset), and one such reset alone.
Rows 4-5 time a torch forward pass of the encoder + predictor on one transition (what a naive per-step torch
implementation would cost). The last rows collect the default dataset (`--episodes-per-task`, 40 per training task:
the default of `train_context_encoder`) and time training epochs of the default `PredictorConfig`.
Weights are untrained (the cost does not depend on their values) unless `--checkpoint` is given.
"""

import argparse, time
from dataclasses import replace

import numpy as np
import torch

from meta_rl.context import Transition, make_striker
from meta_rl.dynamics import make_split
from meta_rl.iida_data import CollectConfig, collect
from meta_rl.iida_predictor import (
    IIDAModel,
    Normalizer,
    PredictorConfig,
    encoder_factory,
    features,
    load_context_encoder,
    train_predictor,
)


def steps_per_second(env, actions):
    env.reset(seed=0)
    t = time.perf_counter()
    for i, a in enumerate(actions):
        env.step(a)
        if (i + 1) % 200 == 0:
            env.reset()
    return len(actions) / (time.perf_counter() - t)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=5000, help="env steps per inference row")
    p.add_argument(
        "--episodes-per-task", type=int, default=40, help="size of the training dataset (x 25 tasks x 200 steps)"
    )
    p.add_argument("--epochs", type=int, default=2, help="training epochs to time")
    p.add_argument("--probe-steps", type=int, default=50, help="probe length of the probing encoder's rows")
    p.add_argument("--checkpoint", default=None, help="a predictor.pt to time instead of untrained weights")
    args = p.parse_args(argv)
    if args.probe_steps < 1:
        p.error("--probe-steps must be positive")
    if min(args.steps, args.episodes_per_task, args.epochs) < 1:
        p.error("--steps, --episodes-per-task and --epochs must be positive")
    split = make_split()
    ds = collect(split.train, CollectConfig(episodes_per_task=args.episodes_per_task), progress=False)
    config = PredictorConfig()
    norm = Normalizer.fit(ds)
    model = IIDAModel(config).eval()
    factory = load_context_encoder(args.checkpoint) if args.checkpoint else encoder_factory(model, norm)
    actions = np.random.default_rng(0).uniform(-3, 3, size=(args.steps, 7))
    rows = {}
    rows["make_striker('none'): env step"] = 1e6 / steps_per_second(make_striker("none", split.train), actions)
    rows["make_striker('latent', IIDAEncoder): env step"] = 1e6 / steps_per_second(
        make_striker("latent", split.train, encoder=factory), actions
    )
    probing = (
        encoder_factory(model, norm, probe_steps=args.probe_steps)
        if not args.checkpoint
        else load_context_encoder(args.checkpoint, probe_steps=args.probe_steps)
    )
    rows[f"make_striker('latent', IIDAEncoder, probe_steps={args.probe_steps}): env step"] = 1e6 / steps_per_second(
        make_striker("latent", split.train, encoder=probing), actions
    )
    with make_striker("latent", split.train, encoder=probing) as env:
        t = time.perf_counter()
        for i in range(20):
            env.reset(seed=i)
        rows[f"  reset with a {args.probe_steps}-step probe"] = 1e6 * (time.perf_counter() - t) / 20
    enc, n = factory(), min(len(ds), args.steps)
    trs = [Transition(ds.obs[i], ds.action[i], ds.next_obs[i]) for i in range(n)]
    t = time.perf_counter()
    for tr in trs:
        enc.update(tr)
        enc.latent
    rows["IIDAEncoder.update + latent (numpy)"] = 1e6 * (time.perf_counter() - t) / n
    f = {k: torch.from_numpy(v[:n]) for k, v in features(ds, norm).items()}
    with torch.no_grad():
        t = time.perf_counter()
        for i in range(n):
            model.encoder(f["encoder"][i : i + 1])
        rows["torch encoder, one transition"] = 1e6 * (time.perf_counter() - t) / n
        z = torch.zeros(1, config.latent_dim)
        t = time.perf_counter()
        for i in range(n):
            model(f["predictor"][i : i + 1], z)
        rows["torch predictor, one transition"] = 1e6 * (time.perf_counter() - t) / n
    print(f"| per env step ({n} steps) | microseconds |")
    print("|---|---:|")
    for name, us in rows.items():
        print(f"| {name} | {us:,.1f} |")
    res = train_predictor(ds, replace(config, epochs=args.epochs, patience=args.epochs), progress=False)
    per_epoch = res.history.seconds.median()
    batches = -(-len(ds.select(res.train_tasks)) // (config.batch_size * config.targets_per_context))
    print()
    print(
        f"| training (default PredictorConfig, {len(ds):,} transitions, {args.episodes_per_task} episodes x 25 tasks) "
        f"| value |"
    )
    print("|---|---:|")
    print(f"| collection (scripted, {ds.metadata['workers_used']} workers) | {ds.metadata['seconds']:.1f} s |")
    print(f"| batches per epoch (64 contexts x 16 targets) | {batches} |")
    print(f"| seconds per epoch (median of {args.epochs}) | {per_epoch:.2f} s |")
    print(f"| milliseconds per batch | {1e3 * per_epoch / batches:.1f} ms |")
    return dict(per_step_us=rows, seconds_per_epoch=per_epoch)


if __name__ == "__main__":
    main()
