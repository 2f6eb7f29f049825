"""The `metarl-metaworld` command end to end at the quick budget on ML1 reach-v3, and bad arguments
(one line on stderr, exit status 2)."""
import json, shutil, subprocess, sys, time

import pandas as pd
import pytest

pytest.importorskip("metaworld", reason="Meta-World is not installed (pip install metaworld==3.1.1)")

# The console script once installed; the same `main` through the interpreter otherwise.
CLI = [shutil.which("metarl-metaworld")] if shutil.which("metarl-metaworld") else \
      [sys.executable, "-c", "import sys; from meta_rl.metaworld import main; sys.exit(main(sys.argv[1:]))"]


def run_cli(*args, timeout=240):
    return subprocess.run([*CLI, *map(str, args)], capture_output=True, text=True, timeout=timeout)


def test_quick_run_on_ml1_reach(tmp_path):
    out = tmp_path / "reach"
    start = time.monotonic()
    r = run_cli("--benchmark", "ML1", "--env-name", "reach-v3", "--context", "none", "explicit", "--seeds", "0", "--quick",
                "--no-progress", "--out", out)
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
    assert len(episodes) == 2 * (2 + 2)                                  # 2 contexts x (2 train + 2 test tasks) x 1 episode
    assert set(episodes.benchmark) == {"ML1/reach-v3"} and set(episodes.phase) == {"evaluation"}
    # train and test tasks never overlap, and each split holds only its own tasks
    train_ids, test_ids = set(episodes[episodes.split == "train"].task_id), set(episodes[episodes.split == "test"].task_id)
    assert not train_ids & test_ids
    assert all(t.startswith("reach-v3/train/") for t in train_ids) and all(t.startswith("reach-v3/test/") for t in test_ids)
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


def test_train_and_test_goals_never_overlap():
    from meta_rl.metaworld import metaworld_benchmark
    for name in ("reach-v3", "push-v3"):
        bench = metaworld_benchmark("ML1", name, seed=0)
        train, test = {t.params[3:] for t in bench.train}, {t.params[3:] for t in bench.test}
        assert len(train) == len(test) == 50 and not train & test


@pytest.mark.parametrize("args, reason", [
    (["--benchmark", "ML3", "--out", "x"], "invalid choice: 'ML3'"),
    (["--benchmark", "ML1", "--out", "x"], "needs --env-name"),
    (["--env-name", "reach-v9", "--out", "x"], "unknown ML1 skill 'reach-v9'"),
    (["--benchmark", "ML10", "--env-name", "push-v3", "--out", "x"], "only for ML1"),
    (["--env-name", "reach-v3", "--context", "latent", "--out", "x"], "not implemented yet"),
    (["--env-name", "reach-v3", "--context", "oracle", "--out", "x"], "invalid choice: 'oracle'"),
    (["--env-name", "reach-v3", "--set", "n_step=3", "--out", "x"], "bad override 'n_step=3'"),
    (["--env-name", "reach-v3", "--tasks-per-skill", "0", "--out", "x"], "--tasks-per-skill must be >= 1"),
])
def test_bad_arguments(args, reason, tmp_path):
    r = run_cli(*[str(tmp_path / a) if a == "x" else a for a in args], timeout=120)
    assert r.returncode == 2, r.stderr
    assert reason in r.stderr and r.stderr.count("\n") == 1, r.stderr
