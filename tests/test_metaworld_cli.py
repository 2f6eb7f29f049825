"""The `metarl-metaworld` command end to end at the quick budget on ML1 reach-v3, and bad arguments
(one line on stderr, exit status 2)."""

import json, shutil, subprocess, sys, time

import pandas as pd
import pytest

pytest.importorskip("metaworld", reason="Meta-World is not installed (pip install metaworld==3.1.1)")

# The console script once installed; the same `main` through the interpreter otherwise.
CLI = (
    [shutil.which("metarl-metaworld")]
    if shutil.which("metarl-metaworld")
    else [sys.executable, "-c", "import sys; from meta_rl.metaworld import main; sys.exit(main(sys.argv[1:]))"]
)


def run_cli(*args, timeout=240):
    return subprocess.run([*CLI, *map(str, args)], capture_output=True, text=True, timeout=timeout)


def test_quick_run_on_ml1_reach(tmp_path):
    out = tmp_path / "reach"
    start = time.monotonic()
    r = run_cli(
        "--benchmark",
        "ML1",
        "--env-name",
        "reach-v3",
        "--context",
        "none",
        "explicit",
        "--seeds",
        "0",
        "--quick",
        "--no-progress",
        "--out",
        out,
    )
    took = time.monotonic() - start
    assert r.returncode == 0, r.stderr[-2000:]
    assert took < 60, f"--quick took {took:.0f} s"
    for f in ("command.json", "episodes.csv", "summary.csv", "summary.md"):
        assert (out / f).is_file(), f
    for context in ("none", "explicit"):
        run = out / context / "seed0"
        for f in ("config.json", "model.zip", "curve.csv", "episodes.csv"):
            assert (run / f).is_file(), (context, f)
        assert list((run / "checkpoints").glob("ppo_*_steps.zip")) and list((run / "tb").rglob("events.out.tfevents*"))
    episodes, summary = pd.read_csv(out / "episodes.csv"), pd.read_csv(out / "summary.csv")
    assert len(episodes) == 2 * (2 + 2)  # 2 contexts x (2 train + 2 test tasks) x 1 episode
    assert set(episodes.benchmark) == {"ML1/reach-v3"} and set(episodes.phase) == {"evaluation"}
    # train and test tasks never overlap, and each split holds only its own tasks
    train_ids, test_ids = (
        set(episodes[episodes.split == "train"].task_id),
        set(episodes[episodes.split == "test"].task_id),
    )
    assert not train_ids & test_ids
    assert all(t.startswith("reach-v3/train/") for t in train_ids) and all(
        t.startswith("reach-v3/test/") for t in test_ids
    )
    # an episode is cut short only by a success, at any step (the benchmark's definition)
    assert ((episodes.steps == 500) | episodes.success).all()
    for row in summary.itertuples():
        rows = episodes[(episodes.context == row.context) & (episodes.split == row.split)]
        assert row.success == pytest.approx(rows.success.mean())
    assert "| ML1/reach-v3 | explicit | test (2) | 1 |" in r.stdout
    assert json.loads((out / "command.json").read_text())["benchmark"] == "ML1/reach-v3"
    # the same folder again without --resume is refused
    again = run_cli("--env-name", "reach-v3", "--context", "none", "--quick", "--out", out)
    assert again.returncode == 2 and "pass --resume" in again.stderr


def test_quick_latent_run_on_ml1_reach(tmp_path):
    """--context latent trains a tiny encoder into --out/encoder, records it in each agent's config, and a second run
    reuses it."""
    out = tmp_path / "latent"
    start = time.monotonic()
    r = run_cli(
        "--env-name",
        "reach-v3",
        "--context",
        "latent",
        "--seeds",
        "0",
        "--quick",
        "--no-progress",
        "--adaptation-episodes",
        "1",
        "--out",
        out,
    )
    took = time.monotonic() - start
    assert r.returncode == 0, r.stderr[-2000:]
    assert took < 60, f"--quick --context latent took {took:.0f} s"
    encoder = (out / "encoder" / "predictor.pt").resolve()
    assert encoder.is_file() and (out / "encoder" / "metaworld_train.npz").is_file()
    config = json.loads((out / "latent" / "seed0" / "config.json").read_text())
    assert config["encoder"] == {"checkpoint": str(encoder), "memory": "task"}
    episodes = pd.read_csv(out / "episodes.csv")
    assert list(episodes.phase) == ["adaptation", "evaluation"] * 4 and set(episodes.context) == {"latent"}
    assert "| ML1/reach-v3 | latent | test (2) | 1 |" in r.stdout
    # the agent loads back with its encoder
    from meta_rl.metaworld import load_metaworld_agent

    agent = load_metaworld_agent(out / "latent" / "seed0")
    assert agent.encoder.checkpoint == str(encoder) and agent.model.observation_space.shape == (44,)
    # a bad encoder file is refused in one line
    bad = run_cli(
        "--env-name", "reach-v3", "--context", "latent", "--encoder", out / "command.json", "--out", tmp_path / "other"
    )
    assert (
        bad.returncode == 2 and "is not a Meta-World predictor checkpoint" in bad.stderr and bad.stderr.count("\n") == 1
    ), bad.stderr


def test_quick_run_on_ml10(tmp_path):
    """ML10: ten training skills, five held-out test skills; the report has a column per skill and the paper's ML10
    numbers beside ours."""
    out = tmp_path / "ml10"
    r = run_cli(
        "--benchmark", "ML10", "--context", "explicit", "--seeds", "0", "--quick", "--no-progress", "--out", out
    )
    assert r.returncode == 0, r.stderr[-2000:]
    episodes = pd.read_csv(out / "episodes.csv")
    train, test = episodes[episodes.split == "train"], episodes[episodes.split == "test"]
    assert (
        train.env_name.nunique() == 10 and test.env_name.nunique() == 5 and not set(train.env_name) & set(test.env_name)
    )
    assert len(train) == 10 * 2 and len(test) == 5 * 2  # 2 tasks per skill with --quick, 1 episode each
    summary = (out / "summary.md").read_text()
    assert "| ML10 | RL2 | test | 35.8% |" in summary and all(f" {name} " in summary for name in set(episodes.env_name))
    assert "| ML10 | explicit | test (10) | 1 |" in r.stdout


def test_train_and_test_goals_never_overlap():
    from meta_rl.metaworld import metaworld_benchmark

    for name in ("reach-v3", "push-v3"):
        bench = metaworld_benchmark("ML1", name, seed=0)
        train, test = {t.params[3:] for t in bench.train}, {t.params[3:] for t in bench.test}
        assert len(train) == len(test) == 50 and not train & test


@pytest.mark.parametrize(
    "args, reason",
    [
        (["--benchmark", "ML3", "--out", "x"], "invalid choice: 'ML3'"),
        (["--benchmark", "ML1", "--out", "x"], "needs --env-name"),
        (["--env-name", "reach-v9", "--out", "x"], "unknown ML1 skill 'reach-v9'"),
        (["--benchmark", "ML10", "--env-name", "push-v3", "--out", "x"], "only for ML1"),
        (["--env-name", "reach-v3", "--encoder", "x", "--out", "x"], "only used with --context latent"),
        (["--env-name", "reach-v3", "--context", "latent", "--encoder", "x/missing.pt", "--out", "x"], "no such file"),
        (
            ["--env-name", "reach-v3", "--context", "latent", "--latent-memory", "trial", "--out", "x"],
            "invalid choice: 'trial'",
        ),
        (["--env-name", "reach-v3", "--context", "oracle", "--out", "x"], "invalid choice: 'oracle'"),
        (["--env-name", "reach-v3", "--set", "n_step=3", "--out", "x"], "bad override 'n_step=3'"),
        (["--env-name", "reach-v3", "--tasks-per-skill", "0", "--out", "x"], "--tasks-per-skill must be >= 1"),
    ],
)
def test_bad_arguments(args, reason, tmp_path):
    r = run_cli(*[str(tmp_path / a) if a == "x" or a.startswith("x/") else a for a in args], timeout=120)
    assert r.returncode == 2, r.stderr
    assert reason in r.stderr and r.stderr.count("\n") == 1, r.stderr
