"""`metarl uncertainty` (through its first name, `metarl-uncertainty`) end to end at a tiny budget, on a tiny run of all
three context modes, and its bad arguments."""

import shutil, subprocess

import pandas as pd
import pytest

STRIKER = shutil.which("metarl-striker")
CLI = shutil.which("metarl-uncertainty")
if not (STRIKER and CLI):
    pytest.skip("metarl-striker / metarl-uncertainty are not installed (pip install -e .)", allow_module_level=True)


def run(cli, *args, timeout=300):
    return subprocess.run([cli, *map(str, args)], capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    "Two seeds of each context mode, trained for 1,024 steps (the latent one with a toy IIDA encoder)."
    out = tmp_path_factory.mktemp("unc") / "run"
    r = run(
        STRIKER,
        "--context",
        "none",
        "explicit",
        "latent",
        "--seeds",
        "0",
        "1",
        "--quick",
        "--no-progress",
        "--adapt-steps",
        "0",
        "--out",
        out,
    )
    assert r.returncode == 0, r.stderr[-2000:]
    return out


def test_quick_assessment_writes_a_complete_report(tiny_run):
    r = run(CLI, "--run", tiny_run, "--quick", "--no-progress")
    assert r.returncode == 0, r.stderr[-2000:]
    out = tiny_run / "uncertainty"
    for f in ("episodes.csv", "metrics.csv", "calibration.csv", "risk_coverage.csv", "summary.md"):
        assert (out / f).is_file(), f
    assert sorted(p.name for p in (out / "figures").glob("*.png")) == [
        "directions.png",
        "metrics_vs_k.png",
        "reliability.png",
        "risk_coverage.png",
        "score_by_set.png",
        "uncertainty_map.png",
    ]
    assert sorted(p.name for p in (out / "estimators").iterdir()) == [
        f"{c}-seed{s}" for c in ("explicit", "latent", "none") for s in (0, 1)
    ]
    episodes = pd.read_csv(out / "episodes.csv")
    assert set(episodes.context) == {"none", "explicit", "latent"} and set(episodes.set) == {"train", "test", "ood"}
    assert set(episodes.k) == {25, 100} and episodes.score.notna().all()
    # one episode per task and K for each agent: 25 training, 36 test and 4 OOD tasks (--quick)
    assert episodes.groupby(["context", "seed", "k"]).size().eq(25 + 36 + 4).all()
    metrics = pd.read_csv(out / "metrics.csv")
    # quick agents fail every episode: no failure AUROC, which needs successes too
    assert {"ood_auroc", "heldout_auroc", "spearman_loss"} <= set(metrics.metric)
    table = (out / "summary.md").read_text()
    for section in ("## Success per task set", "## Abstaining on the most uncertain episodes", "## Predictor ensemble"):
        assert section in table, section
    for section in (
        "## Predicted outcome: conformal intervals",
        "OOD misses flagged",
        "## OOD detection per direction",
    ):
        assert section in table, section
    for f in ("intervals.csv", "abstention.csv", "directions.csv"):
        assert (out / f).is_file(), f
    # every scored episode has its predicted outcome, its interval and whether it was informative
    for target in ("final_distance", "return"):
        low, high = episodes[f"{target}_low"], episodes[f"{target}_high"]
        assert (low <= episodes[f"{target}_predicted"]).all() and (episodes[f"{target}_predicted"] <= high).all()
    assert episodes.u_outcome.notna().all() and set(episodes.informative) <= {True, False}
    # the intervals hold on the test tasks (calibrated on 12 training tasks: a loose bound on so few)
    intervals = pd.read_csv(out / "intervals.csv")
    assert intervals[intervals.set == "test"].coverage.mean() >= 0.75, intervals
    # the quick protocol's four OOD tasks lie in four directions around the training range
    assert set(pd.read_csv(out / "directions.csv").direction) == {
        "mass- inertia-",
        "mass+ inertia+",
        "damping-",
        "damping+",
    }
    for context in ("none", "explicit", "latent"):
        assert f"| {context} | **score**" in table and f"| {context} | **score**" in r.stdout


@pytest.mark.parametrize(
    "args, reason",
    [
        (["--run", "no/such/run"], "is not a run folder of metarl run"),
        (["--ks", "25", "50"], "must include the default K=100"),
        (["--episodes", "0"], "--episodes 0 must be a positive integer"),
        (["--contexts", "none", "none"], "--context repeats a mode"),
        (["--contexts", "latent", "--ood", "-1"], "--ood -1 must be an integer >= 0"),
        (["--tasks-per-split", "1"], "--tasks-per-split 1 must be an integer >= 2"),
        (["--confidence", "1.5"], "--confidence 1.5 must be a number strictly between 0 and 1"),
    ],
)
def test_bad_arguments_exit_with_one_line(console, tiny_run, tmp_path, args, reason):
    if "--run" not in args:
        args = ["--run", tiny_run, *args]
    r = console("metarl-uncertainty", *args, "--out", tmp_path / "bad", "--quick")
    assert r.returncode == 2 and reason in r.stderr, r.stderr
    assert r.stderr.count("\n") == 1 and not (tmp_path / "bad").exists()


def test_a_context_the_run_lacks_is_refused(tmp_path):
    run_dir = tmp_path / "run"
    assert (
        run(STRIKER, "--context", "none", "--quick", "--no-progress", "--adapt-steps", "0", "--out", run_dir).returncode
        == 0
    )
    r = run(CLI, "--run", run_dir, "--contexts", "latent", "--quick", timeout=60)
    assert r.returncode == 2 and "no trained agents for context ['latent']; it has ['none']" in r.stderr, r.stderr
