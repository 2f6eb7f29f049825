"""`metarl run --benchmark hopper|swimmer`: the body families (chapters 10a, 10c, 10d) through the generic path, end to
end at the quick budget (the latent's encoder trained in the run's folder), then `metarl uncertainty` on it; and
the IIDA table script on each family, and the part-sides script on an uncertainty report."""

import subprocess, sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from meta_rl import cli
from meta_rl.hopper import FACTOR_NAMES
from meta_rl.swimmer import SWIMMER_FACTORS

ROOT = Path(__file__).resolve().parents[1]


def test_a_quick_hopper_run_trains_evaluates_and_reports(tmp_path, capsys):
    out = tmp_path / "hopper"
    args = [
        "run",
        "--benchmark",
        "hopper",
        "--context",
        "none",
        "explicit",
        "latent",
        "rl2",
        "--quick",
        "--no-progress",
    ]
    assert cli.main([*args, "--out", str(out)]) == 0, capsys.readouterr().err
    episodes = pd.read_csv(out / "episodes.csv")
    assert set(episodes.context) == {"none", "explicit", "latent", "rl2"}
    assert {*FACTOR_NAMES, "distance", "steps", "success"} <= set(episodes.columns)
    assert set(episodes[episodes.split == "test"].kind) == {"interpolation", "extrapolation"}
    assert (episodes.steps >= 1).all() and (episodes.steps <= 1000).all()
    assert "| explicit | test (4) |" in (out / "summary.md").read_text()
    assert (out / "benchmark.json").read_text().count('"hopper"') == 1

    assert (out / "encoder" / "predictor.pt").is_file() and (out / "encoder" / "hopper_train.npz").is_file()

    # the uncertainty path (chapter 12) on the same run: every agent scored on train, held-out and OOD bodies
    assert cli.main(["uncertainty", "--run", str(out), "--quick", "--no-progress"]) == 0, capsys.readouterr().err
    scored = pd.read_csv(out / "uncertainty" / "episodes.csv")
    assert set(scored.context) == {"none", "explicit", "latent", "rl2"} and set(scored.set) == {"train", "test", "ood"}
    assert set(scored.benchmark) == {"hopper"} and scored.score.notna().all()
    assert "| latent | **score**" in (out / "uncertainty" / "summary.md").read_text()

    # every feed-forward agent's critic read on the states it visits (`benchmarks/critic_health.py`, chapter 10)
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import critic_health

    capsys.readouterr()
    critic_health.main([str(out), "--tasks", "1", "--out", str(tmp_path / "critics")])
    printed = capsys.readouterr().out
    assert f"{out / 'rl2' / 'seed0'}: recurrent, left out" in printed
    health = pd.read_csv(tmp_path / "critics" / "critic_health.csv")
    assert list(health.context) == ["none", "explicit", "latent"] and (health.states >= 1).all()
    assert health.frozen.between(0, 1).all() and (health.value_std >= 0).all()
    assert "| run | context | seed | units | normalize | states | value_mean | value_std | frozen |" in printed

    # success and return by an episode's place in a row of episodes on a task (`benchmarks/trial_episodes.py`)
    import trial_episodes

    trial_episodes.main([str(out), "--episodes", "2", "--out", str(tmp_path / "trials")])
    printed = capsys.readouterr().out
    trials = pd.read_csv(tmp_path / "trials" / "trial_episodes.csv")
    assert list(trials.context) == [c for c in ("none", "explicit", "latent", "rl2") for _ in range(2)]
    assert list(trials.episode) == [0, 1] * 4 and set(trials.trial) == {1} and trials.success.between(0, 1).all()
    assert len(pd.read_csv(tmp_path / "trials" / "trial_episodes_seeds.csv")) == 8
    assert "| run | context | trial | episode | seeds | success |" in printed

    # its `none` agent makes the data of IIDA's table for the wider Hopper (same observations), set beside IIDA's Hopper
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import iida_table

    policy, table_dir = str(out / "none" / "seed0"), tmp_path / "wide"
    tiny = ["--rollouts", "1", "--test-rollouts", "1", "--seeds", "0", "--epochs", "1", "--batches-per-epoch", "2"]
    iida_table.main(["--family", "hopper-wide", "--policy", policy, *tiny, "--hidden", "8", "--out", str(table_dir)])
    table = (table_dir / "table.md").read_text()
    assert "IIDA (Hopper) |" in table and "163.03 ± 6.78" in table and "hidden [8]" in table
    assert "for the 12 interpolation tasks and" in table and f"policy: {policy}" in table
    for family, agent in (("swimmer", "none"), ("hopper-wide", "explicit")):  # other observations: refused, one line
        with pytest.raises(SystemExit, match="a `none` agent that observes the"):
            iida_table.main(
                ["--family", family, "--policy", str(out / agent / "seed0"), *tiny, "--out", str(table_dir)]
            )


def test_a_quick_swimmer_run_and_its_uncertainty(tmp_path, capsys):
    """The Swimmer (chapter 10d): a family that never falls and whose success is a distance, run and assessed."""
    out = tmp_path / "swimmer"
    args = ["run", "--benchmark", "swimmer", "--context", "explicit", "latent", "--quick", "--no-progress"]
    assert cli.main([*args, "--out", str(out)]) == 0, capsys.readouterr().err
    episodes = pd.read_csv(out / "episodes.csv")
    assert {*SWIMMER_FACTORS, "distance", "steps", "success"} <= set(episodes.columns)
    assert (episodes.steps == 1000).all() and (episodes.success == (episodes.distance >= 1.0)).all()
    assert (out / "encoder" / "swimmer_train.npz").is_file()
    assert cli.main(["uncertainty", "--run", str(out), "--quick", "--no-progress"]) == 0, capsys.readouterr().err
    scored = pd.read_csv(out / "uncertainty" / "episodes.csv")
    assert set(scored.benchmark) == {"swimmer"} and set(scored.set) == {"train", "test", "ood"}

    # each part read one-sided and two-sided (`benchmarks/part_sides.py`, the measurement behind #19's parts)
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import part_sides

    capsys.readouterr()
    part_sides.main([str(out / "uncertainty"), "--k", "25"])
    printed = capsys.readouterr().out
    assert "| part | context | k | failure one-sided | failure two-sided | ood one-sided | ood two-sided |" in printed
    assert "| latent_std | latent | 25 |" in printed and "| surprise | explicit | 25 |" in printed
    assert "| all parts | latent | 25 |" in printed  # the score: every part one-sided against the estimator's rule
    # the parts standardised again from the agents' calibrations: the estimator reads latent_std as |u|, novelty as u
    signed = part_sides.signed_parts(out / "uncertainty", scored)
    assert np.allclose(signed.u_latent_std.abs(), scored.u_latent_std, atol=1e-3)
    assert np.allclose(signed.u_latent_novelty, scored.u_latent_novelty, atol=1e-3)


def test_the_iida_table_script_writes_its_table_and_refuses_a_wrong_policy(tmp_path, capsys):
    """`benchmarks/iida_table.py` (chapter 10a's IIDA table) on a tiny budget: random actions, one seed, one epoch."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import iida_table

    out = tmp_path / "iida"
    iida_table.main(["--rollouts", "2", "--test-rollouts", "2", "--seeds", "0", "--epochs", "1", "--out", str(out)])
    per_seed = pd.read_csv(out / "per_seed.csv")
    assert len(per_seed) == 3 * 2 and set(per_seed.kind) == {"interpolation", "extrapolation"}
    table = (out / "table.md").read_text()
    assert "| latent |" in table and "163.03 ± 6.78" in table and "variance of s' across" in table
    assert table in capsys.readouterr().out
    r = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "iida_table.py"), "--out", str(out), "--segment", "0"],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 2 and "must be positive" in r.stderr
    r = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "iida_table.py"), "--out", str(out), "--family", "ant"],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 2 and "invalid choice: 'ant'" in r.stderr
    r = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "iida_table.py"), "--out", str(out), "--hidden", "64", "0"],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 2 and "--hidden 64 0: each layer's size must be positive" in r.stderr


def test_the_iida_table_takes_more_training_bodies_and_keeps_the_held_out_ones(tmp_path):
    """`--train-tasks N`: the benchmark's 24 training bodies first, then more from the same draw; the held-out bodies
    stay the benchmark's, and fewer than 6 (5 validate) are refused in one line."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import iida_table
    from meta_rl.benchmark import make_benchmark

    bench = make_benchmark("hopper-wide")
    bodies = iida_table.training_bodies(bench, 40)
    assert len(bodies) == 40 and bodies.tasks[:24] == bench.train.tasks and len(set(bodies.ids)) == 40
    assert all(t.kind == "train" for t in bodies) and not set(bodies.ids) & set(bench.test.ids)
    assert iida_table.training_bodies(bench, 10).tasks == bench.train.tasks[:10]
    out = tmp_path / "bodies"
    argv = ["--family", "hopper-wide", "--train-tasks", "30", "--rollouts", "1", "--test-rollouts", "1", "--seeds", "0"]
    iida_table.main([*argv, "--epochs", "1", "--hidden", "8", "--out", str(out)])
    assert "x 30 training tasks = " in (out / "table.md").read_text()
    r = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "iida_table.py"), "--out", str(out), "--train-tasks", "5"],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 2 and "--train-tasks 5: at least 6 are needed" in r.stderr


def test_the_iida_table_of_a_family_without_a_published_row(tmp_path, capsys):
    """The Walker2d has no row in IIDA's table: ours is printed beside "no row", with no published ratio."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import iida_table

    out = tmp_path / "walker"
    argv = ["--family", "walker2d", "--rollouts", "2", "--test-rollouts", "2", "--seeds", "0", "--epochs", "1"]
    iida_table.main([*argv, "--out", str(out)])
    table = (out / "table.md").read_text()
    assert "IIDA (Walker2d) |" in table and "| none |" in table and "no row" in table and "(IIDA:" not in table


def test_a_sweep_over_the_body_families_on_the_pool(tmp_path):
    """`metarl sweep` runs the families like any benchmark: one grid over the Walker2d and the Swimmer, one report."""
    from meta_rl.sweeps import SweepSpec, run_sweep

    spec = SweepSpec(
        grid=dict(benchmark=["walker2d", "swimmer"]), fixed=dict(quick=True, context="none"), name="bodies"
    )
    result = run_sweep(spec, tmp_path / "sweep", progress=False)
    assert [r["status"] for r in result.records] == ["done", "done"], result.failed
    assert set(result.summary.sweep_benchmark) == {"walker2d", "swimmer"}
