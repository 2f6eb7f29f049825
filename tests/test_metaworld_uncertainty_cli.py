"""`metarl uncertainty` end to end at the quick budget on quick `metarl-metaworld` runs (ML1 reach-v3, two `none`
agents; ML10, whose run is checked here too), as separate processes, and bad arguments (one line on stderr, exit
status 2)."""

import json, shutil, subprocess, sys
from pathlib import Path

import pandas as pd
import pytest

pytest.importorskip("metaworld", reason="Meta-World is not installed (pip install metaworld==3.1.1)")


def run(command, *args, timeout=300):
    return subprocess.run([*command, *map(str, args)], capture_output=True, text=True, timeout=timeout)


TRAIN = (
    [shutil.which("metarl-metaworld")]
    if shutil.which("metarl-metaworld")
    else [sys.executable, "-c", "import sys; from meta_rl.cli import metaworld; sys.exit(metaworld())"]
)
ASSESS = (
    [shutil.which("metarl")] + ["uncertainty"]
    if shutil.which("metarl")
    else [
        sys.executable,
        "-c",
        "import sys; from meta_rl.cli import main; sys.exit(main(['uncertainty', *sys.argv[1:]]))",
    ]
)


def test_quick_assessment_of_a_quick_run(tmp_path):
    r = run(
        TRAIN,
        "--env-name",
        "reach-v3",
        "--context",
        "none",
        "--seeds",
        "0",
        "1",
        "--quick",
        "--no-progress",
        "--out",
        tmp_path / "run",
    )
    assert r.returncode == 0, r.stderr[-2000:]
    r = run(ASSESS, "--run", tmp_path / "run", "--quick", "--no-progress", "--out", tmp_path / "u")
    assert r.returncode == 0, r.stderr[-2000:]
    u = tmp_path / "u"
    for f in (
        "protocol.json",
        "commands.json",
        "episodes.csv",
        "metrics.csv",
        "risk_coverage.csv",
        "summary.md",
        "figures/score_by_set.png",
        "figures/risk_coverage.png",
        "figures/metrics_vs_k.png",
        "encoder/predictor.pt",
    ):
        assert (u / f).is_file(), f
    episodes, metrics = pd.read_csv(u / "episodes.csv"), pd.read_csv(u / "metrics.csv")
    assert len(episodes) == 2 * (2 + 2 + 2) * 2  # agents x (train, test, OOD tasks) x K values
    assert set(episodes.set) == {"train", "test", "ood"} and set(episodes.seed) == {0, 1}
    ood = episodes[episodes.set == "ood"].task_id
    assert ood.str.startswith("reach-v3/ood/").all() and not set(ood) & set(episodes[episodes.set != "ood"].task_id)
    both = episodes.groupby(["context", "k"]).success.nunique().eq(2).any()  # failed and won episodes, in a group
    failure = {"failure_auroc"} if both else set()
    assert {"ood_auroc", "heldout_auroc"} | failure == set(metrics.metric)
    assert set(metrics.score) == {"score", "outcome", "latent_std", "latent_novelty", "surprise", "policy_disagreement"}
    # the predicted return with its conformal interval (Meta-World's episodes have no final distance)
    assert (episodes.return_low <= episodes.return_high).all() and "final_distance_low" not in episodes
    assert (u / "intervals.csv").is_file() and "## Predicted outcome: conformal intervals" in (
        u / "summary.md"
    ).read_text()
    assert ((metrics.value.isna()) | metrics.value.between(0, 1)).all()
    assert "| none | **score** (latent_std + latent_novelty + surprise + policy_disagreement) |" in r.stdout
    assert json.loads((u / "commands.json").read_text())[0].startswith("metarl uncertainty --run")
    # the saved estimator loads back with both agents
    import meta_rl.metaworld_uncertainty  # noqa: F401  registers the Meta-World estimator
    from meta_rl.uncertainty import load_estimator

    est = load_estimator(u / "estimators" / "none-seed1")
    assert len(est.agents) == 2 and est.reference is not None
    # the same command again keeps both assessed agents and rewrites the report
    again = run(ASSESS, "--run", tmp_path / "run", "--quick", "--no-progress", "--out", u)
    assert again.returncode == 0 and again.stdout.count("assessed before, kept") == 2, again.stderr[-2000:]
    pd.testing.assert_frame_equal(pd.read_csv(u / "episodes.csv"), episodes)
    # the same folder with another protocol is refused, and nothing is written
    stamp = (u / "protocol.json").read_text()
    again = run(ASSESS, "--run", tmp_path / "run", "--quick", "--ood", "3", "--out", u)
    assert again.returncode == 2 and "with another protocol" in again.stderr and again.stderr.count("\n") == 1, (
        again.stderr
    )
    assert (u / "protocol.json").read_text() == stamp
    # the run and its assessment move together: paths inside them are relative
    moved = tmp_path / "moved"
    moved.mkdir()
    shutil.move(tmp_path / "run", moved / "run")
    shutil.move(u, moved / "u")
    est = load_estimator(moved / "u" / "estimators" / "none-seed1")
    assert Path(est.checkpoint).is_relative_to(moved) and len(est.agents) == 2
    again = run(ASSESS, "--run", moved / "run", "--quick", "--no-progress", "--out", moved / "u")
    assert again.returncode == 0 and again.stdout.count("assessed before, kept") == 2, again.stderr[-2000:]


def test_quick_run_and_assessment_on_ml10(tmp_path):
    """ML10 end to end: ten training skills, five held-out test skills; the run's report has a row per held-out skill,
    a column per skill and the paper's ML10 numbers beside ours. ML10 has no OOD goals: the held-out test skills are
    the novel tasks of the assessment, measured by the held-out AUROC; --ood is refused. (One ML10 run serves both:
    building ML10's fifteen skills is what costs.)"""
    run_dir = tmp_path / "run"
    r = run(TRAIN, "--benchmark", "ML10", "--context", "explicit", "none", "--seeds", "0", "--quick", "--no-progress",
            "--out", run_dir)  # fmt: skip
    assert r.returncode == 0, r.stderr[-2000:]
    ran = pd.read_csv(run_dir / "episodes.csv")
    for context, episodes in ran.groupby("context"):
        train, test = episodes[episodes.split == "train"], episodes[episodes.split == "test"]
        assert train.kind.nunique() == 10 and test.kind.nunique() == 5 and not set(train.kind) & set(test.kind)
        assert len(train) == 10 * 2 and len(test) == 5 * 2, context  # 2 tasks per skill with --quick, 1 episode each
    summary = (run_dir / "summary.md").read_text()
    assert "| ML10 | RL2 | test | 35.8% |" in summary and all(f" {name} " in summary for name in set(ran.kind))
    assert "| explicit | test (10) | 1 |" in r.stdout and "| none | test (10) | 1 |" in r.stdout
    held_out = ran[ran.split == "test"].kind
    assert set(pd.read_csv(run_dir / "summary.csv").group) == {"train", "test", *held_out}  # a row per held-out skill

    bad = run(ASSESS, "--run", run_dir, "--quick", "--ood", "3", "--out", tmp_path / "u")
    assert (
        bad.returncode == 2
        and "--ood 3: OOD goals are defined for ML1 runs" in bad.stderr
        and bad.stderr.count("\n") == 1
    ), bad.stderr
    assert not (tmp_path / "u").exists()
    r = run(ASSESS, "--run", run_dir, "--context", "none", "--quick", "--no-progress", "--out", tmp_path / "u")
    assert r.returncode == 0, r.stderr[-2000:]
    episodes, metrics = pd.read_csv(tmp_path / "u" / "episodes.csv"), pd.read_csv(tmp_path / "u" / "metrics.csv")
    assert set(episodes.set) == {"train", "test"} and episodes.benchmark.eq("ML10").all()
    train, test = episodes[episodes.set == "train"], episodes[episodes.set == "test"]
    assert train.kind.nunique() == 10 and test.kind.nunique() == 5 and not set(train.kind) & set(test.kind)
    assert len(episodes) == 1 * (10 + 5) * 2 * 2  # agents x skills x 2 tasks per skill x K values
    both = episodes.groupby(["context", "k"]).success.nunique().eq(2).any()  # failed and won episodes, in a group
    failure = {"failure_auroc"} if both else set()
    assert {"heldout_auroc"} | failure == set(metrics.metric)
    assert json.loads((tmp_path / "u" / "protocol.json").read_text())["ood_tasks"] == 0
    # one agent of its mode: no policy disagreement (it needs two seeds; the ML1 test has them)
    assert "| none | **score** (latent_std + latent_novelty + surprise) | – |" in r.stdout


@pytest.mark.parametrize(
    "args, reason",
    [
        (["--run", "/nonexistent/run"], "is not a run folder of metarl run"),
        (["--run", ".", "--ks", "10"], "must include the default K=100"),
        (["--run", ".", "--context", "none", "none"], "repeats a mode"),
    ],
)
def test_bad_arguments(console, args, reason):
    r = console("metarl", "uncertainty", *args)
    assert r.returncode == 2 and reason in r.stderr and r.stderr.count("\n") == 1, r.stderr
