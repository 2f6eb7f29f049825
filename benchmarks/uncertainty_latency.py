"""How long one uncertainty assessment takes (what each widget update costs): `UncertaintyEstimator.assess`
plays one 200-step episode and scores its first K transitions: the score, and the predicted outcome with its
conformal interval (when the estimator has an outcome model).

    python benchmarks/uncertainty_latency.py                                   # default-size models, untrained
    python benchmarks/uncertainty_latency.py --folder runs/NAME/uncertainty --agent latent-seed0   # a saved estimator
    python benchmarks/uncertainty_latency.py --k 25                            # after 25 transitions

Without `--folder` the IIDA model and the predictor ensemble are freshly initialised at their default sizes
(their weights do not change the cost) and the agent is the scripted strike; with `--folder` the saved
estimator and its agent (and its policy ensemble) are timed. The table gives the median over `--repeats`
assessments at different dynamics, split into the episode and the scoring.
"""

import argparse, statistics, time

import numpy as np
import torch

from meta_rl.dynamics import Dynamics, TaskSet, Task, make_split
from meta_rl.iida_predictor import IIDAModel, Normalizer, PredictorConfig, STATE_DIM, OBS_DIM
from meta_rl.uncertainty import (
    DEFAULT_K,
    EnsembleConfig,
    PARTS,
    PredictorEnsemble,
    TrainedEnsemble,
    UncertaintyEstimator,
    play,
    scripted_agent,
)


def untrained_estimator():
    norm = Normalizer(np.zeros(STATE_DIM), np.ones(STATE_DIM), np.zeros(OBS_DIM), np.ones(OBS_DIM))
    iida = IIDAModel(PredictorConfig()).eval()
    trained = TrainedEnsemble(PredictorEnsemble(EnsembleConfig(), iida.config.latent_dim).eval(), iida, norm, None)
    est = UncertaintyEstimator(trained, parts=PARTS)
    played = play(scripted_agent(), make_split("train25-test36").train, 1)
    parts = est.parts_of(played, (25, DEFAULT_K))
    est.calibrate(parts).fit_outcome(played, parts)
    return scripted_agent(), est


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--folder", help="an uncertainty folder written by metarl-uncertainty")
    p.add_argument("--agent", help="with --folder: the estimator's name, e.g. latent-seed0")
    p.add_argument("--repeats", type=int, default=10)
    p.add_argument("--k", type=int, default=DEFAULT_K, help="score after K transitions (25 or 100 without --folder)")
    a = p.parse_args(argv)
    if a.repeats < 1:
        p.error("--repeats must be positive")
    if bool(a.folder) != bool(a.agent):
        p.error("--folder and --agent go together")
    torch.set_num_threads(1)
    if a.folder:
        from meta_rl.uncertainty_eval import load_assessor

        agent, est = load_assessor(a.folder, a.agent)
    else:
        agent, est = untrained_estimator()
    rng = np.random.default_rng(0)
    play_s, score_s, total_s = [], [], []
    for i in range(a.repeats):
        m = float(np.exp(rng.uniform(np.log(0.2), np.log(17))))
        d = Dynamics(m, m, float(rng.uniform(0.1, 1.8)))
        task = Task(f"bench-{i}", d, "ood")
        t0 = time.perf_counter()
        played = play(agent, TaskSet([task], task.id), 1)
        t1 = time.perf_counter()
        parts = est.parts_of(played, (a.k,))
        est.standardize(parts)
        if est.outcome is not None:
            est.predict_outcome(played, parts, agent)
        t2 = time.perf_counter()
        play_s.append(t1 - t0)
        score_s.append(t2 - t1)
        total_s.append(t2 - t0)
    med = lambda v: statistics.median(v)
    print(
        f"| assessment ({'saved ' + a.agent if a.folder else 'default sizes, scripted agent'}; median of {a.repeats}) "
        f"| seconds |"
    )
    print("|---|---:|")
    for name, v in (
        ("play one 200-step episode", play_s),
        (f"score its first {a.k} transitions{' and predict the outcome' if est.outcome else ''}", score_s),
        ("total (one widget update)", total_s),
    ):
        print(f"| {name} | {med(v):.3f} |")
    return dict(play=med(play_s), score=med(score_s), total=med(total_s))


if __name__ == "__main__":
    main()
