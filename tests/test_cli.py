"""The `metarl-striker` command end to end at a tiny budget: the whole path and its report files, a run killed
and resumed from its checkpoint, and bad arguments."""

import json, os, re, shutil, signal, subprocess, time

import pandas as pd
import pytest

from meta_rl import cli
from meta_rl.baselines import checkpoints, manifest, verified

CLI = shutil.which("metarl-striker") or pytest.skip(
    "metarl-striker is not installed (pip install -e .)", allow_module_level=True
)
FIGURES = [
    "adaptation.png",
    "generalisation_gap.png",
    "heatmap_final_distance.png",
    "heatmap_return.png",
    "learning_curves.png",
]


TEXT = dict(capture_output=True, text=True, timeout=300)


def run_cli(*args, timeout=240):
    return subprocess.run([CLI, *map(str, args)], capture_output=True, text=True, timeout=timeout)


def saved_steps(path):
    "The step count stored in a model file."
    from meta_rl.baselines import PPO_FORMAT, load_model

    return load_model(path, PPO_FORMAT, "model")["num_timesteps"]


def check_report(out, context="none", seed=0):
    "Every file of the run folder exists, and the report holds the numbers of the per-episode data."
    run = out / context / f"seed{seed}"
    for f in (
        "split.json",
        "benchmark.json",
        "command.json",
        "episodes.csv",
        "curve.csv",
        "adaptation.csv",
        "summary.csv",
        "summary.md",
    ):
        assert (out / f).is_file(), f
    for f in ("config.json", "model.pt", "curve.csv", "episodes.csv", "adaptation.csv"):
        assert (run / f).is_file(), f
    assert list((run / "checkpoints").glob("ppo_*_steps.pt")) and list((run / "tb").rglob("events.out.tfevents*"))
    assert sorted(p.name for p in (out / "figures").glob("*.png")) == FIGURES == sorted(manifest(out / "figures"))
    episodes, summary, md = (
        pd.read_csv(out / "episodes.csv"),
        pd.read_csv(out / "summary.csv"),
        (out / "summary.md").read_text(),
    )
    groups = {
        "train": episodes.split == "train",
        "test": episodes.split == "test",
        "interpolation": (episodes.split == "test") & (episodes.kind == "interpolation"),
        "extrapolation": (episodes.split == "test") & (episodes.kind == "extrapolation"),
    }
    for row in summary.itertuples():
        rows = episodes[groups[row.group] & (episodes.context == row.context)]
        assert row.mean == pytest.approx(rows["return"].mean())
        assert row.success == pytest.approx(rows.success.mean())
        assert f"| {row.context} | {row.group} ({row.tasks}) | {row.seeds} | {row.mean:.1f} |" in md
    return episodes, summary


def test_quick_run_writes_a_complete_report(tmp_path):
    out = tmp_path / "quick"
    r = run_cli("--context", "none", "--quick", "--no-progress", "--out", out)
    assert r.returncode == 0, r.stderr
    episodes, summary = check_report(out)
    assert len(episodes) == 25 * 1 + 36 * 2  # --quick: 1 episode per training task, 2 per test task
    assert list(summary.group) == ["train", "test", "interpolation", "extrapolation"]
    table = [l for l in r.stdout.splitlines() if l.startswith("|")]
    assert table and all(l in (out / "summary.md").read_text() for l in table)  # the printed table is the report's
    assert saved_steps(out / "none" / "seed0" / "model.pt") == 1024


KILL_ARGS = ["--context", "none", "--quick", "--no-progress", "--timesteps", 8192]
KILL_ARGS += ["--set", "checkpoint_freq=512", "eval_freq=4096", "--out", "run"]


def run_in(folder, *args, timeout=240):
    "`metarl-striker` run in `folder` (`--out run` then names the same relative folder in every test)."
    folder.mkdir(parents=True, exist_ok=True)
    return subprocess.run([CLI, *map(str, args)], capture_output=True, text=True, timeout=timeout, cwd=folder)


def results(out):
    """Every file of a run folder and its bytes, but TensorBoard's logs (they hold clock times) and `command.json` (it
    records the interrupted commands too)."""
    files = {}
    for p in sorted(out.rglob("*")):
        if p.is_file() and "tb" not in p.relative_to(out).parts and p.name != "command.json":
            files[str(p.relative_to(out))] = p.read_bytes()
    return files


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    "The run the interrupted ones must reproduce, byte for byte."
    folder = tmp_path_factory.mktemp("uninterrupted")
    r = run_in(folder, *KILL_ARGS)
    assert r.returncode == 0, r.stderr
    return results(folder / "run")


STAGES = {  # when to interrupt a run: what it has finished, and what it is doing
    "training": lambda run: checkpoints(run) and not (run / "model.pt").exists(),
    "evaluation": lambda run: verified(run / "model.pt") and not (run / "episodes.csv").exists(),
    "adaptation": lambda run: verified(run / "episodes.csv") and not (run / "adaptation.csv").exists(),
    "report": lambda run: verified(run / "adaptation.csv") and not (run.parent.parent / "summary.md").exists(),
}


def test_ctrl_c_that_cuts_an_import_short_is_an_interruption(monkeypatch, capsys):
    """Ctrl-C while the report imports matplotlib surfaces as `ImportError: initialization failed` (seen in CI): it is
    still Ctrl-C, status 130 and the one line that says how to go on."""

    def cut_short(argv):
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt as interrupt:
            raise ImportError("initialization failed") from interrupt

    monkeypatch.setitem(cli.SUBCOMMANDS, "report", cut_short)
    assert cli.main(["report"]) == 130
    assert "metarl report: interrupted; run the same command again" in capsys.readouterr().err


@pytest.mark.parametrize(
    "stage, sig",
    [
        ("training", "SIGKILL"),
        ("training", "SIGINT"),
        ("evaluation", "SIGINT"),
        ("adaptation", "SIGKILL"),
        ("report", "SIGINT"),
    ],
)
def test_an_interrupted_run_resumes_to_the_same_bytes(stage, sig, uninterrupted, tmp_path):
    """kill -9 or Ctrl-C during training, evaluation, adaptation or the report: `--resume` ends with the files of the
    uninterrupted run, bit for bit (model, checkpoints, curve, episodes, adaptation, summaries, figures)."""
    out, agent = tmp_path / "run", tmp_path / "run" / "none" / "seed0"
    proc = subprocess.Popen(
        [CLI, *map(str, KILL_ARGS)],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        deadline = time.time() + 120
        while not STAGES[stage](agent):
            assert proc.poll() is None, f"the run ended before its {stage}: " + proc.stderr.read().decode()
            assert time.time() < deadline, f"no {stage} after 120 s"
            time.sleep(0.01)
    finally:
        os.killpg(proc.pid, getattr(signal, sig))
        _, err = proc.communicate(timeout=60)
    assert not (out / "summary.md").exists(), f"the run had finished before the {sig} during its {stage}"
    if sig == "SIGINT":  # Ctrl-C: one line that says how to go on, no traceback
        assert proc.returncode == 130 and "interrupted; run the same command again" in err.decode(), err.decode()
        assert "Traceback" not in err.decode()

    refused = run_in(tmp_path, *KILL_ARGS)  # without --resume the folder is not overwritten
    assert refused.returncode == 2 and "--resume" in refused.stderr

    r = run_in(tmp_path, *KILL_ARGS, "--resume")
    assert r.returncode == 0, r.stderr
    if stage == "training":
        assert re.search(r"none seed 0: resumed from step \d+", r.stdout), r.stdout
    got = results(out)
    assert sorted(got) == sorted(uninterrupted)
    assert [name for name in got if got[name] != uninterrupted[name]] == []
    assert json.loads((out / "command.json").read_text())["earlier"]  # the interrupted command is on record
    check_report(out)


def test_a_tuned_run_killed_in_training_resumes_to_the_same_bytes(tmp_path):
    """`--learner ppo-tuned` keeps state beyond SB3's model (observation statistics in the policy, return statistics
    beside it, a linear learning-rate schedule): kill -9 after its first checkpoints, and `--resume` still ends with the
    uninterrupted run's files, bit for bit."""
    args = [*KILL_ARGS, "--learner", "ppo-tuned"]
    whole = run_in(tmp_path / "whole", *args)
    assert whole.returncode == 0, whole.stderr
    folder = tmp_path / "killed"
    folder.mkdir()
    agent = folder / "run" / "none" / "seed0"
    proc = subprocess.Popen([CLI, *map(str, args)], cwd=folder, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)  # fmt: skip
    try:
        deadline = time.time() + 120
        while not STAGES["training"](agent):
            assert proc.poll() is None and time.time() < deadline, "no checkpoint during training"
            time.sleep(0.01)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=60)
    assert not (agent / "model.pt").exists()
    r = run_in(folder, *args, "--resume")
    assert r.returncode == 0 and re.search(r"none seed 0: resumed from step \d+", r.stdout), r.stderr
    got, want = results(folder / "run"), results(tmp_path / "whole" / "run")
    assert sorted(got) == sorted(want) and [name for name in got if got[name] != want[name]] == []


def test_the_tuned_learner_trains_adapts_and_reloads(tmp_path):
    "--learner ppo-tuned: normalised observations (in the policy) and returns (saved beside it) through the whole run."
    from meta_rl.baselines import NormalizedPolicy, load_agent, load_ppo, return_statistics

    out = tmp_path / "tuned"
    args = ["run", "--benchmark", "toy", "--context", "none", "--quick", "--no-progress", "--learner", "ppo-tuned"]
    r = subprocess.run(["metarl", *args, "--out", str(out)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-2000:]
    agent = load_agent(out / "none" / "seed0")
    assert isinstance(agent.model.policy, NormalizedPolicy) and agent.model.policy.statistics.count > 0
    assert return_statistics(load_ppo(out / "none" / "seed0" / "model.pt"))["count"] > 0
    assert json.loads((out / "config.json").read_text())["config"]["learner"] == ["ppo-tuned"]
    assert set(pd.read_csv(out / "none" / "seed0" / "adaptation.csv").adapt_steps) == {0, 256}


def test_any_benchmark_option_is_given_by_name(tmp_path):
    "--benchmark-option KEY=VALUE reaches the benchmark's factory and its record, so a resume rebuilds the same one."
    out = tmp_path / "short"
    args = ["run", "--benchmark", "toy", "--context", "none", "--quick", "--no-progress", "--out", str(out)]
    r = subprocess.run(["metarl", *args, "--benchmark-option", "max_episode_steps=20"], **TEXT)
    assert r.returncode == 0, r.stderr[-2000:]
    assert json.loads((out / "benchmark.json").read_text()) == dict(benchmark="toy", max_episode_steps=20)
    r = subprocess.run(["metarl", *args, "--resume"], **TEXT)  # the default 50 steps: another benchmark
    assert r.returncode == 2 and "holds a run on" in r.stderr, r.stderr[-2000:]


def test_the_rl2_agent_trains_adapts_reloads_and_is_assessed(tmp_path):
    """--context rl2: RL² (a recurrent PPO on the observation with the previous action and reward) through the whole
    path: trained over trials of 2 episodes on a task with a memory that lasts the trial, evaluated, adapted, reloaded
    with its memory, and assessed by metarl uncertainty."""
    from meta_rl.baselines import RecurrentActor, load_agent

    out = tmp_path / "rl2"
    args = ["metarl", "run", "--context", "rl2", "--quick", "--set", "episodes_per_task=2", "--no-progress"]
    r = subprocess.run([*args, "--out", str(out)], **TEXT)
    assert r.returncode == 0, r.stderr[-2000:]
    agent = load_agent(out / "rl2" / "seed0")
    assert type(agent.model).__name__ == "RecurrentPPO" and isinstance(agent.actor, RecurrentActor)
    assert agent.trial_episodes == agent.actor.trial_episodes == 2  # memory="task", the default
    assert agent.model.observation_space.shape == (23 + 7 + 1,)
    assert json.loads((out / "rl2" / "seed0" / "config.json").read_text())["ppo"]["recurrent"] is True
    assert len(pd.read_csv(out / "rl2" / "seed0" / "episodes.csv")) == 25 + 36 * 2
    assert set(pd.read_csv(out / "rl2" / "seed0" / "adaptation.csv").adapt_steps) == {0, 256}
    assert "| rl2 | test (36) |" in (out / "summary.md").read_text()
    r = subprocess.run(["metarl", "uncertainty", "--run", str(out), "--quick", "--no-progress"], **TEXT)
    assert r.returncode == 0 and "| rl2 |" in r.stdout, r.stderr[-2000:]


def test_the_seed_physics_variant_runs_and_reloads_on_its_own_ball(tmp_path):
    """--variant seed: EPI's task on the original meta_rl's ball (0.157 kg, armature 0.1), recorded in the run folder
    so that reloaded agents, and a resume, play on the same physics."""
    from meta_rl.baselines import load_agent

    out = tmp_path / "seed"
    args = [
        "metarl",
        "run",
        "--variant",
        "seed",
        "--context",
        "explicit",
        "--quick",
        "--no-progress",
        "--out",
        str(out),
    ]
    r = subprocess.run(args, **TEXT)
    assert r.returncode == 0, r.stderr[-2000:]
    assert json.loads((out / "benchmark.json").read_text())["variant"] == "seed"
    env = load_agent(out / "explicit" / "seed0").make_env(load_agent(out / "explicit" / "seed0").benchmark.test)
    model = env.unwrapped.model
    assert env.unwrapped.variant == "seed" and abs(model.body_mass[model.body("object").id] - 0.157) < 1e-3
    r = subprocess.run([*args[:-2], "--out", str(out), "--resume"], **TEXT)
    assert r.returncode == 0 and "already done" in r.stdout, r.stderr[-2000:]
    r = subprocess.run([*args[:2], "--context", "explicit", "--quick", "--out", str(out), "--resume"], **TEXT)
    assert r.returncode == 2 and "holds a run on" in r.stderr  # the epi Striker is another benchmark


def test_the_latent_agent_on_the_seed_physics_learns_and_probes_on_its_ball(tmp_path):
    """--variant seed --context latent: the encoder's data and the probes are played on the original meta_rl's ball;
    that encoder is refused on the epi Striker, before anything is written."""
    import meta_rl.iida_predictor  # noqa: F401 (registers the Striker's encoder)
    from meta_rl.baselines import load_agent
    from meta_rl.iida_data import TransitionDataset

    out, quick = tmp_path / "seed-latent", ["--quick", "--no-progress"]
    args = ["metarl", "run", "--variant", "seed", "--context", "latent", "--latent-probe", "20", *quick, "--out", out]
    r = subprocess.run([str(a) for a in args], **TEXT)
    assert r.returncode == 0, r.stderr[-2000:]
    encoder = out / "encoder" / "predictor.pt"
    assert TransitionDataset.load(out / "encoder" / "iida_train.npz").metadata["variant"] == "seed"
    assert load_agent(out / "latent" / "seed0").encoder.variant == "seed"  # its probes strike the light ball
    epi = tmp_path / "epi"
    r = subprocess.run(
        ["metarl", "run", "--context", "latent", "--encoder", str(encoder), *quick, "--out", str(epi)], **TEXT
    )
    assert r.returncode == 2 and "learned on the Striker variant seed, not on --variant epi" in r.stderr, r.stderr
    assert r.stderr.count("\n") == 1 and not epi.exists()


@pytest.mark.parametrize(
    "args, reason",
    [
        (["--context", "oracle"], "--context 'oracle' is not a context"),
        (["--timesteps", "-5"], "--timesteps=-5 must be an integer >= 1"),
        (["--split", "train36"], "unknown split 'train36'"),
        (["--set", "batchsize=32"], "bad override 'batchsize=32'"),
        (["--episodes", "0"], "must be >= 1"),
        (["--encoder", "missing.pt"], "only used with --context latent"),
        (["--context", "none", "none"], "--context must name each context once, got none none"),
        (["--set", "n_envs=inf"], "bad override 'n_envs=inf': n_envs must be an integer, got 'inf'"),
        (["--set", "n_envs=2.5"], "n_envs must be an integer, got '2.5'"),
        (["--set", "learning_rate=nan"], "PPOConfig.learning_rate=nan must be a finite number > 0"),
        (["--set", "batch_size=100000"], "PPOConfig.batch_size=100000 must be <= n_steps * n_envs = 2048 * 8 = 16384"),
        (["--quick", "--set", "batch_size=512"], "batch_size=512 must be <= n_steps * n_envs = 128 * 2 = 256"),
        (["--workers", "0"], "--workers 0 must be >= 1"),
        (["--seeds", "x"], "Error parsing --seeds"),
        (["--benchmark", "atari"], "--benchmark 'atari' is not a benchmark"),
    ],
)
def test_bad_arguments_exit_with_one_line(console, tmp_path, args, reason):
    r = console("metarl-striker", *args, "--out", tmp_path / "bad")
    assert r.returncode == 2 and reason in r.stderr, r.stderr
    assert r.stderr.count("\n") == 1 and "Traceback" not in r.stderr
    assert not (tmp_path / "bad").exists(), "nothing (no command.json, no run folder) is written on bad input"


def test_bad_arguments_leave_an_existing_run_folder_untouched(tmp_path):
    """A bad argument against a folder that exists (e.g. a typo in a --resume) changes nothing in it, command.json
    included."""
    out = tmp_path / "run"
    out.mkdir()
    (out / "command.json").write_text('{"command": "the first run"}')
    before = sorted(p.relative_to(out) for p in out.rglob("*"))
    for args in (["--context", "none", "none"], ["--set", "n_envs=inf"], ["--split", "random", "--workers", "-1"]):
        r = run_cli(*args, "--resume", "--out", out, timeout=60)
        assert r.returncode == 2 and r.stderr.count("\n") == 1, r.stderr
    assert sorted(p.relative_to(out) for p in out.rglob("*")) == before
    assert (out / "command.json").read_text() == '{"command": "the first run"}'


def test_latent_agent_with_a_task_memory_and_a_probe_is_recorded_and_reloaded(tmp_path):
    """`--latent-memory task --latent-probe N` with training trials: the run records all of it, and `load_agent`
    rebuilds the same encoder."""
    import meta_rl.iida_predictor  # noqa: F401  registers the Striker's encoder
    from meta_rl.baselines import load_agent

    out = tmp_path / "memory"
    args = [
        "--context",
        "latent",
        "--set",
        "episodes_per_task=2",
        "--quick",
        "--no-progress",
        "--adapt-steps",
        "0",
        "--out",
        out,
    ]
    r = run_cli(*args, "--latent-memory", "task", "--latent-probe", "20")
    assert r.returncode == 0, r.stderr
    config = json.loads((out / "latent" / "seed0" / "config.json").read_text())
    assert (
        config["encoder_memory"] == "task"
        and config["encoder_probe_steps"] == 20
        and config["ppo"]["episodes_per_task"] == 2
    )
    assert len(config["encoder_standardization"]["shift"]) == 8 and min(config["encoder_standardization"]["scale"]) > 0
    agent = load_agent(out / "latent" / "seed0")
    assert (agent.encoder.memory, agent.encoder.probe_steps, agent.encoder.scale) == (
        "task",
        20,
        config["encoder_standardization"]["scale"],
    )
    assert agent.encoder().n == 0
    assert "## First episode on a task vs the later ones" in (out / "summary.md").read_text()
    # resuming the finished agent with another memory or without the probe is refused, in one line
    for other in (["--latent-memory", "episode", "--latent-probe", "20"], ["--latent-memory", "task"]):
        r = run_cli(*args, *other, "--resume")
        assert (
            r.returncode == 2
            and "started with another benchmark, context, config or encoder memory or" in r.stderr
            and r.stderr.count("\n") == 1
        ), r.stderr
    # the agent records its encoder relative to itself: the run folder moves as a whole
    assert config["encoder"] == "../../encoder/predictor.pt"
    moved = tmp_path / "moved"
    shutil.move(out, moved)
    assert load_agent(moved / "latent" / "seed0").encoder.checkpoint == str(moved / "encoder" / "predictor.pt")
    # resuming with another encoder would mix two encoders in one run: refused, naming both
    other = shutil.copy(moved / "encoder" / "predictor.pt", tmp_path / "other.pt")
    moved_args = [*args[:-1], moved, "--latent-memory", "task", "--latent-probe", "20"]
    r = run_cli(*moved_args, "--resume", "--encoder", other)
    assert r.returncode == 2 and f"predictor.pt -> {other}" in r.stderr and r.stderr.count("\n") == 1, r.stderr
