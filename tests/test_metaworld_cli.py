"""Meta-World through `metarl run --benchmark metaworld` (and its alias `metarl-metaworld`, the README's command) end to
end at the quick budget on ML1 reach-v3 (ML10's quick run is checked with its assessment in
test_metaworld_uncertainty_cli.py), bad arguments (one line on stderr, exit status 2), and the one path:
the Striker and Meta-World runs call the same train, evaluate and report functions."""

import json, shutil, subprocess, sys, time

import pandas as pd
import pytest

pytest.importorskip("metaworld", reason="Meta-World is not installed (pip install metaworld==3.1.1)")

# The console script once installed; the same function through the interpreter otherwise.
CLI = (
    [shutil.which("metarl-metaworld")]
    if shutil.which("metarl-metaworld")
    else [sys.executable, "-c", "import sys; from meta_rl.cli import metaworld; sys.exit(metaworld())"]
)


def run_cli(*args, timeout=240):
    return subprocess.run([*CLI, *map(str, args)], capture_output=True, text=True, timeout=timeout)


def test_quick_run_on_ml1_reach(tmp_path):
    out = tmp_path / "reach"
    start = time.monotonic()
    r = run_cli(
        "--benchmark", "ML1", "--env-name", "reach-v3", "--context", "none", "explicit", "--seeds", "0", "--quick",
        "--no-progress", "--out", out,
    )  # fmt: skip
    took = time.monotonic() - start
    assert r.returncode == 0, r.stderr[-2000:]
    assert took < 90, f"--quick took {took:.0f} s"
    for f in ("benchmark.json", "config.json", "command.json", "episodes.csv", "summary.csv", "summary.md"):
        assert (out / f).is_file(), f
    for context in ("none", "explicit"):
        run = out / context / "seed0"
        for f in ("config.json", "model.pt", "curve.csv", "episodes.csv"):
            assert (run / f).is_file(), (context, f)
        assert list((run / "checkpoints").glob("ppo_*_steps.pt")) and list((run / "tb").rglob("events.out.tfevents*"))
    episodes, summary = pd.read_csv(out / "episodes.csv"), pd.read_csv(out / "summary.csv")
    assert len(episodes) == 2 * (2 + 2)  # 2 contexts x (2 train + 2 test tasks) x 1 episode
    # train and test tasks never overlap, and each split holds only its own tasks
    train_ids, test_ids = (set(episodes[episodes.split == s].task_id) for s in ("train", "test"))
    assert not train_ids & test_ids
    assert all(t.startswith("reach-v3/train/") for t in train_ids)
    assert all(t.startswith("reach-v3/test/") for t in test_ids)
    for row in summary.itertuples():
        rows = episodes[(episodes.context == row.context) & (episodes.split == row.group)]
        assert row.success == pytest.approx(rows.success.mean())
    assert "| explicit | test (2) | 1 |" in r.stdout
    assert json.loads((out / "benchmark.json").read_text()) == dict(
        benchmark="metaworld", suite="ML1", env_name="reach-v3", seed=0, max_episode_steps=None
    )
    assert json.loads((out / "command.json").read_text())["command"].startswith("metarl run --benchmark metaworld")
    # the same folder again without --resume is refused
    again = run_cli("--env-name", "reach-v3", "--context", "none", "--quick", "--out", out)
    assert again.returncode == 2 and "pass --resume" in again.stderr


def test_quick_latent_run_on_ml1_reach(tmp_path):
    """--context latent trains a tiny encoder into --out/encoder, records it in each agent's config; the agent loads
    back with it."""
    out = tmp_path / "latent"
    r = run_cli(
        "--env-name", "reach-v3", "--context", "latent", "--seeds", "0", "--quick", "--no-progress",
        "--adaptation-episodes", "1", "--out", out,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr[-2000:]
    encoder = (out / "encoder" / "predictor.pt").resolve()
    assert encoder.is_file() and (out / "encoder" / "metaworld_train.npz").is_file()
    config = json.loads((out / "latent" / "seed0" / "config.json").read_text())
    assert (config["encoder"], config["encoder_memory"]) == (
        "../../encoder/predictor.pt",
        "task",
    )  # relative: the run moves
    assert json.loads((out / "config.json").read_text())["protocol"]["warmup_episodes"] == 1
    episodes = pd.read_csv(out / "episodes.csv")
    assert len(episodes) == 4 and set(episodes.context) == {"latent"}  # warm-up episodes are not scored
    import meta_rl.metaworld  # noqa: F401  registers the Meta-World encoder
    from meta_rl.baselines import load_agent

    agent = load_agent(out / "latent" / "seed0")
    assert agent.encoder.checkpoint == str(encoder) and agent.model.observation_space.shape == (44,)
    # a bad encoder file is refused in one line
    bad = run_cli(
        "--env-name", "reach-v3", "--context", "latent", "--encoder", out / "command.json", "--out", tmp_path / "other"
    )
    assert bad.returncode == 2 and "is not a transition predictor checkpoint" in bad.stderr, bad.stderr
    assert bad.stderr.count("\n") == 1 and not (tmp_path / "other").exists(), bad.stderr


def test_train_and_test_goals_never_overlap():
    from meta_rl.metaworld import metaworld_benchmark

    for name in ("reach-v3", "push-v3"):
        bench = metaworld_benchmark("ML1", name, seed=0)
        train, test = {t.params[3:] for t in bench.train}, {t.params[3:] for t in bench.test}
        assert len(train) == len(test) == 50 and not train & test


def test_striker_and_metaworld_runs_share_one_path(tmp_path, monkeypatch, capsys):
    "`metarl run --benchmark striker|metaworld --quick` call the same train, evaluate and write_report functions."
    from meta_rl import cli, evaluation

    calls = []

    def spy(name):
        real = getattr(evaluation, name)

        def wrapped(*args, **kwargs):
            first = args[0]
            benchmark = getattr(first, "name", None) or getattr(getattr(first, "benchmark", None), "name", first)
            calls.append((name, str(benchmark)))
            return real(*args, **kwargs)

        monkeypatch.setattr(evaluation, name, wrapped)

    for name in ("train", "evaluate", "write_report"):
        spy(name)
    for benchmark in ("striker", "metaworld"):
        code = cli.main(["run", "--benchmark", benchmark, "--context", "none", "--quick", "--no-progress",
                         "--adapt-steps", "0", "--out", str(tmp_path / benchmark)])  # fmt: skip
        assert code == 0, capsys.readouterr().err
    for name in ("train", "evaluate"):
        assert {b for n, b in calls if n == name} == {"striker", "metaworld"}, calls
    assert [n for n, _ in calls].count("write_report") == 2


@pytest.mark.parametrize(
    "args, reason",
    [
        (["--benchmark", "ML3", "--out", "x"], "unknown Meta-World suite 'ML3'"),
        (["--env-name", "reach-v9", "--out", "x"], "unknown ML1 skill 'reach-v9'"),
        (["--benchmark", "ML10", "--env-name", "push-v3", "--out", "x"], "only for ML1"),
        (["--env-name", "reach-v3", "--encoder", "x", "--out", "x"], "only used with --context latent"),
        (["--env-name", "reach-v3", "--context", "latent", "--encoder", "x/missing.pt", "--out", "x"], "no such file"),
        (
            ["--env-name", "reach-v3", "--context", "latent", "--latent-memory", "trial", "--out", "x"],
            "--latent-memory 'trial': choose episode or task",
        ),
        (["--env-name", "reach-v3", "--context", "oracle", "--out", "x"], "--context 'oracle' is not a context"),
        (["--env-name", "reach-v3", "--set", "n_step=3", "--out", "x"], "bad override 'n_step=3'"),
        (["--env-name", "reach-v3", "--tasks-per-skill", "0", "--out", "x"], "--tasks-per-kind 0 must be >= 1"),
        (["--env-name", "reach-v3", "--split", "interpolation", "--out", "x"], "--split is not an option"),
    ],
)
def test_bad_arguments(console, args, reason, tmp_path):
    r = console("metarl-metaworld", *[str(tmp_path / a) if a == "x" or a.startswith("x/") else a for a in args])
    assert r.returncode == 2, r.stderr
    assert reason in r.stderr and r.stderr.count("\n") == 1, r.stderr
    assert not (tmp_path / "x").exists()
