"""`metarl tune` end to end at a tiny budget: a study on the toy benchmark and on the Striker (with a ceiling), its
learner file trained by `metarl run --learner`, a study killed (kill -9, Ctrl-C) in the middle of a trial and resumed,
and bad arguments refused in one line."""

import json, os, re, shutil, signal, subprocess, time
from pathlib import Path

import optuna
import pandas as pd
import pytest

CLI = shutil.which("metarl") or pytest.skip("metarl is not installed (pip install -e .)", allow_module_level=True)
CEILING = Path(__file__).resolve().parents[1] / "nbs" / "results" / "ceiling_striker.csv"
TOY = ["--benchmark", "toy", "--no-progress"]


def tune(*args, timeout=300):
    return subprocess.run([CLI, "tune", *map(str, args)], capture_output=True, text=True, timeout=timeout)


def test_a_quick_study_writes_its_tables_and_a_learner_that_metarl_run_takes(tmp_path):
    out = tmp_path / "tune"
    r = tune("--out", out, *TOY, "--quick", "--trials", 3, "--points", 2)
    assert r.returncode == 0, r.stderr[-2000:]
    assert "# Tuning `ppo-tuned` for the `explicit` agent on toy" in r.stdout
    assert f"metarl run --learner {out / 'learner.json'}" in r.stdout
    for name in ("study.db", "tune.json", "trials.csv", "learner.json", "summary.md", "manifest.json"):
        assert (out / name).is_file(), name
    trials = pd.read_csv(out / "trials.csv", float_precision="round_trip")
    assert len(trials) == 3 and set(trials.state) <= {"complete", "pruned"}
    rechecked = pd.read_csv(out / "recheck.csv")  # the 3 best trained again with seeds 1 and 2
    assert sorted(rechecked.seed) == [1, 1, 1, 2, 2, 2] and set(rechecked.trial) <= set(trials.trial)
    chosen = int(re.search(r"`learner.json` keeps trial (\d+)'s settings: the best mean", r.stdout).group(1))
    learner = json.loads((out / "learner.json").read_text())
    assert learner["learning_rate"] == trials.set_index("trial").learning_rate[chosen]
    assert learner["total_timesteps"] == 2_000_000  # the starting learner's budget, not the trial's

    run = tmp_path / "run"
    args = ["run", "--benchmark", "toy", "--quick", "--context", "explicit", "--learner", out / "learner.json"]
    r = subprocess.run([CLI, *map(str, args), "--out", str(run), "--no-progress"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-2000:]
    trained = json.loads((run / "explicit" / "seed0" / "config.json").read_text())["ppo"]
    assert trained["learning_rate"] == learner["learning_rate"] and trained["total_timesteps"] == 1024  # --quick

    again = tune("--out", out, *TOY, "--quick", "--trials", 4, "--points", 2, "--resume")
    assert again.returncode == 0, again.stderr[-2000:]
    assert len(pd.read_csv(out / "trials.csv", float_precision="round_trip")) == 4  # the three kept, one more


def test_a_striker_study_scores_the_training_tasks_against_the_ceiling(tmp_path):
    r = tune("--out", tmp_path / "t", "--quick", "--trials", 2, "--ceiling", CEILING, "--no-progress")
    assert r.returncode == 0, r.stderr[-2000:]
    assert "by its normalised score on the training tasks" in r.stdout
    trials = pd.read_csv(tmp_path / "t" / "trials.csv")
    assert trials.normalized.notna().all() and (trials.score == trials.normalized).all()
    record = json.loads((tmp_path / "t" / "tune.json").read_text())
    assert len(record["ceiling"]["task_id"]) == 2  # --quick scores the first 2 training tasks


def test_a_latent_study_reads_the_encoder_of_a_run_and_counts_its_probes(tmp_path):
    run = tmp_path / "run"  # metarl run trains the Striker's encoder into run/encoder
    args = ["run", "--context", "latent", "--quick", "--no-progress", "--out", run]
    assert subprocess.run([CLI, *map(str, args)], capture_output=True).returncode == 0
    encoder = run / "encoder" / "predictor.pt"
    study = ["--out", tmp_path / "t", "--context", "latent", "--encoder", encoder, "--latent-probe", 50, "--quick"]
    r = tune(*study, "--trials", 2, "--points", 2, "--recheck", 0, "--no-progress")
    assert r.returncode == 0, r.stderr[-2000:]
    assert f"The `latent` agents read the encoder `{encoder}` (memory: the benchmark's default; a 50" in r.stdout
    record = json.loads((tmp_path / "t" / "tune.json").read_text())
    assert record["encoder"] == {"path": str(encoder.resolve()), "memory": None, "probe": 50, "raw": False}
    trials = pd.read_csv(tmp_path / "t" / "trials.csv")
    assert len(trials) == 2 and set(trials.state) <= {"complete", "pruned"}
    r = tune(*study[:-3], "--latent-probe", 0, "--quick", "--trials", 3, "--resume")
    assert r.returncode == 2 and "was started with other encoder" in r.stderr, r.stderr


def _study(out):
    return optuna.load_study(study_name="tune", storage=f"sqlite:///{out / 'study.db'}")


def _running_after_one(out) -> bool:
    "A trial is running after one finished: the moment to kill the study in the middle of its second trial."
    if not (out / "trials.csv").exists():
        return False
    try:
        states = [t.state for t in _study(out).get_trials(deepcopy=False)]
    except Exception:  # the database is being created
        return False
    return states.count(optuna.trial.TrialState.RUNNING) == 1 and len(states) >= 2


SLOW = [
    "--timesteps",
    16_000,
    "--points",
    2,
    "--trials",
    2,
    "--recheck",
    0,
    "--set",
    "n_envs=2",
    "--learner",
    "ppo",
    *TOY,
]


@pytest.mark.parametrize("sig", ["SIGKILL", "SIGINT"])
def test_a_study_killed_in_a_trial_resumes_and_runs_that_trial_again(sig, tmp_path):
    out = tmp_path / "tune"
    proc = subprocess.Popen(
        [CLI, "tune", "--out", str(out), *map(str, SLOW)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    deadline = time.time() + 240
    while not _running_after_one(out) and time.time() < deadline and proc.poll() is None:
        time.sleep(0.1)
    os.killpg(proc.pid, getattr(signal, sig))
    _, err = proc.communicate(timeout=120)
    if sig == "SIGINT":
        assert proc.returncode == 130 and "interrupted; run the same command again" in err.decode(), err.decode()
        assert "Traceback" not in err.decode()
    cut = [t for t in _study(out).get_trials() if t.state.name in ("RUNNING", "FAIL")]
    assert len(cut) == 1, f"expected one trial cut by the {sig}, found {[t.state for t in cut]}"

    refused = tune("--out", out, *SLOW)
    assert refused.returncode == 2 and "holds a study already: add --resume" in refused.stderr, refused.stderr
    r = tune("--out", out, *SLOW, "--resume")
    assert r.returncode == 0, r.stderr[-2000:]
    trials = pd.read_csv(out / "trials.csv", float_precision="round_trip").set_index("trial")
    assert trials.state.value_counts().to_dict().get("fail") == 1
    assert len(trials[trials.state.isin(["complete", "pruned"])]) == 2  # the first, and the cut one run again
    failed = trials[trials.state == "fail"].index[0]
    assert trials.loc[failed + 1, "learning_rate"] == trials.loc[failed, "learning_rate"]  # run again, first


@pytest.mark.parametrize(
    "args, message",
    [
        (["--context", "cnn"], "--context 'cnn': a study tunes one of ['none', 'explicit', 'latent', 'rl2']"),
        (["--context", "latent"], "striker's latent encoder is trained: name its checkpoint (--encoder PATH)"),
        (["--context", "latent", "--encoder", "gone.pt"], "--encoder gone.pt: no such file"),
        (["--latent-probe", "50"], "--latent-probe: only a --context latent study reads an encoder"),
        (["--trials", "0"], "--trials 0 must be an integer >= 1"),
        (
            ["--learner", "sac"],
            "unknown learner 'sac'; choose one of ['ppo', 'ppo-tuned', 'ppo-striker'] or a learner file",
        ),
        (["--learner", "nowhere.json"], "--learner nowhere.json: no such file"),
        (["--set", "gamma=2"], "PPOConfig.gamma=2.0 must be a number in (0, 1]"),
        (["--ceiling", "nowhere.csv"], "no ceiling table 'nowhere.csv'"),
        (["--resume"], "holds no study (tune.json) to go on with"),
        (["--recheck-seeds", "0", "1"], "--recheck-seeds 0 1: distinct seeds >= 0, other than --seed 0"),
        (["--benchmark-option", "steps=3"], "--benchmark-option steps=3: striker has no option 'steps'"),
        (["--benchmark", "toy", "--suite", "ML10"], "--suite is not an option of --benchmark toy"),
    ],
)
def test_bad_arguments_exit_with_one_line(console, tmp_path, args, message):
    r = console("metarl", "tune", "--out", tmp_path / "x", "--quick", *args)
    assert r.returncode == 2 and message in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert not (tmp_path / "x").exists()  # nothing written


def test_a_changed_study_or_a_foreign_folder_is_refused(tmp_path):
    out = tmp_path / "tune"
    assert tune("--out", out, *TOY, "--quick", "--trials", 1, "--points", 2).returncode == 0
    r = tune("--out", out, *TOY, "--quick", "--trials", 2, "--points", 3, "--resume")
    assert r.returncode == 2 and "was started with other points" in r.stderr, r.stderr
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "mine.txt").write_text("keep")
    r = tune("--out", tmp_path / "notes", *TOY, "--quick")
    assert r.returncode == 2 and "holds other files (mine.txt) and no study" in r.stderr, r.stderr


def test_metarl_run_refuses_a_learner_file_that_is_not_one(tmp_path):
    (tmp_path / "notes.json").write_text('["not", "a", "learner"]')
    for learner, message in [
        (tmp_path / "notes.json", "is not a learner file: it holds a JSON list, not an object of PPOConfig fields"),
        (tmp_path / "gone.json", "gone.json: no such file (metarl tune writes OUT/learner.json)"),
    ]:
        args = ["run", "--benchmark", "toy", "--quick", "--learner", str(learner), "--out", str(tmp_path / "run")]
        r = subprocess.run([CLI, *args], capture_output=True, text=True, timeout=120)
        assert r.returncode == 2 and message in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
        assert not (tmp_path / "run").exists()
