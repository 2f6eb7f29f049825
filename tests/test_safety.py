"""Bad inputs and faults (issue: nothing runs from a file, nothing is lost, every record is true).

Each case is one distinct bad input or fault, checked for what the user must get: a one-line refusal that names the
problem (and exit status 2 from the command), no code run from a file, nothing of theirs overwritten. The
kill-and-resume faults of training live in `test_cli.py`; these run in-process and fast.
"""

import base64, contextlib, io, json, math, shutil, zipfile
from pathlib import Path

import numpy as np
import pytest
import torch

from meta_rl.baselines import (
    PPO_FORMAT,
    PPOConfig,
    checkpoints,
    convert_sb3,
    load_agent,
    load_model,
    load_ppo,
    save_ppo,
    train,
)
from meta_rl.benchmark import make_benchmark
from meta_rl.cli import main
from meta_rl.dynamics import Dynamics, DynamicsSampler, Split, read_json, write_json
from meta_rl.iida_data import CollectConfig, TransitionDataset
from meta_rl.iida_predictor import PredictorConfig, load_context_encoder, load_predictor
from meta_rl.uncertainty import load_estimator, load_trained_ensemble
from meta_rl.uncertainty_eval import UncertaintyProtocol

TINY = PPOConfig(total_timesteps=256, n_envs=2, n_steps=64, batch_size=64, n_epochs=1, eval_freq=256, eval_episodes=1)


class Payload:
    "Unpickling this creates the file `marker`: the stand-in for code a hostile file would run."

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


@pytest.fixture(scope="module")
def toy_run(tmp_path_factory):
    "One trained agent on the toy benchmark, and a Stable-Baselines3 zip of its model."
    run = tmp_path_factory.mktemp("safety") / "none" / "seed0"
    agent = train(make_benchmark("toy"), "none", TINY, run, evaluate=lambda a: _no_curve(), progress_bar=False)
    agent.model.save(run.parent.parent / "sb3.zip")
    return run


def _no_curve():
    import pandas as pd

    return pd.DataFrame({"x": [0]})


def planted_zip(source: Path, target: Path, marker: Path) -> Path:
    "A copy of the SB3 zip `source` whose pickled `ep_info_buffer` runs `Payload(marker)` when unpickled."
    import cloudpickle

    with zipfile.ZipFile(source) as z:
        members = {n: z.read(n) for n in z.namelist()}
    data = json.loads(members["data"])
    payload = base64.b64encode(cloudpickle.dumps(Payload(marker))).decode()
    data["ep_info_buffer"] = {":type:": "<class 'collections.deque'>", ":serialized:": payload}
    members["data"] = json.dumps(data).encode()
    with zipfile.ZipFile(target, "w") as z:
        for n, b in members.items():
            z.writestr(n, b)
    return target


def planted_torch(target: Path, marker: Path, **entries) -> Path:
    "A torch file that runs `Payload(marker)` when loaded with pickle's full powers."
    torch.save(dict(entries, payload=Payload(marker)), target)
    return target


def one_line(fn, *exceptions) -> str:
    "Call `fn`; it must raise one of `exceptions` with a one-line message, which is returned."
    with pytest.raises(exceptions or (ValueError, FileNotFoundError)) as e:
        fn()
    message = str(e.value)
    assert message and "\n" not in message, message
    return message


# ---------------------------------------------------------------- nothing runs from a file


def test_a_planted_sb3_zip_really_runs_code_when_trusted(toy_run, tmp_path):
    "The threat is real: the planted zip runs its payload as soon as SB3 loads it (what --trust-pickles accepts)."
    from stable_baselines3 import PPO

    marker = tmp_path / "ran"
    PPO.load(planted_zip(toy_run.parent.parent / "sb3.zip", tmp_path / "p.zip", marker), device="cpu")
    assert marker.exists()


LOADERS = {
    "load_ppo": lambda p: load_ppo(p),
    "load_model": lambda p: load_model(p, PPO_FORMAT, "model"),
    "load_predictor": lambda p: load_predictor(p),
    "load_context_encoder": lambda p: load_context_encoder(p),
    "load_trained_ensemble": lambda p: load_trained_ensemble(p),
    "CollectConfig(generator_policy)": lambda p: CollectConfig(generator="ppo", generator_policy=str(p)),
}


@pytest.mark.parametrize("loader", LOADERS)
@pytest.mark.parametrize("kind", ["sb3 zip", "torch pickle"])
def test_no_loader_runs_code_from_a_file(loader, kind, toy_run, tmp_path):
    marker = tmp_path / "ran"
    if kind == "sb3 zip":
        path = planted_zip(toy_run.parent.parent / "sb3.zip", tmp_path / "model.zip", marker)
    else:
        path = planted_torch(tmp_path / "model.pt", marker, format=PPO_FORMAT)
    one_line(lambda: LOADERS[loader](path))
    assert not marker.exists(), f"{loader} ran code stored in {path.name}"


def test_a_run_folder_with_a_planted_model_is_refused_without_running_it(toy_run, tmp_path):
    run, marker = tmp_path / "run", tmp_path / "ran"
    shutil.copytree(toy_run, run)
    (run / "model.pt").unlink()
    planted_zip(toy_run.parent.parent / "sb3.zip", run / "model.zip", marker)
    assert "metarl convert" in one_line(lambda: load_agent(run))
    assert "--trust-pickles" in one_line(lambda: convert_sb3(run))
    planted_torch(run / "model.pt", marker, format=PPO_FORMAT)
    one_line(lambda: load_agent(run))
    assert not marker.exists()


def test_a_planted_checkpoint_is_skipped_on_resume(toy_run, tmp_path):
    run, marker = tmp_path / "run", tmp_path / "ran"
    shutil.copytree(toy_run, run)
    newest = max(checkpoints(run))[1]
    planted_torch(newest, marker, format=PPO_FORMAT)
    said = []
    assert newest not in [p for _, p in checkpoints(run, log=said.append)]
    assert said and str(newest) in said[0] and not marker.exists()


def test_a_dataset_holding_objects_is_refused(tmp_path):
    marker = tmp_path / "ran"
    np.savez(tmp_path / "d.npz", header=np.array([Payload(marker)], dtype=object))
    one_line(lambda: TransitionDataset.load(tmp_path / "d.npz"))
    assert not marker.exists()


def test_an_estimator_folder_with_a_planted_ensemble_is_refused(tmp_path):
    marker, folder = tmp_path / "ran", tmp_path / "est"
    folder.mkdir()
    write_json(folder / "estimator.json", dict(estimator="striker", parts=["latent_std"], agents=[]))
    planted_torch(folder / "ensemble.pt", marker, format="meta_rl.uncertainty/1")
    one_line(lambda: load_estimator(folder, agents=[]))
    assert not marker.exists()


def test_converting_a_trusted_zip_gives_the_same_model(toy_run, tmp_path):
    from stable_baselines3 import PPO

    zip_path = shutil.copy(toy_run.parent.parent / "sb3.zip", tmp_path / "sb3.zip")
    (pt,) = convert_sb3(zip_path, trust_pickles=True, log=lambda m: None)
    for k, v in PPO.load(zip_path, device="cpu").policy.state_dict().items():
        assert torch.equal(load_ppo(pt).policy.state_dict()[k], v)


# ---------------------------------------------------------------- torn, damaged and foreign files


def damage(path: Path, how: str) -> None:
    data = path.read_bytes()
    if how == "truncated":
        path.write_bytes(data[: len(data) // 2])
    elif how == "flipped byte":
        b = bytearray(data)
        b[len(b) // 2] ^= 0xFF
        path.write_bytes(bytes(b))
    elif how == "empty":
        path.write_bytes(b"")
    elif how == "text":
        path.write_text("not a model")


@pytest.mark.parametrize("how", ["truncated", "flipped byte", "empty", "text"])
@pytest.mark.parametrize("file", ["model.pt", "checkpoint"])
def test_a_damaged_model_file_is_named(how, file, toy_run, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(toy_run, run)
    path = run / "model.pt" if file == "model.pt" else max(checkpoints(run))[1]
    damage(path, how)
    if file == "model.pt":
        assert str(path) in one_line(lambda: load_agent(run))
    else:
        said = []
        assert path not in [p for _, p in checkpoints(run, log=said.append)] and str(path) in said[0]


@pytest.mark.parametrize("file", ["config.json", "manifest.json"])
@pytest.mark.parametrize("how", ["truncated", "empty", "text"])
def test_a_damaged_record_is_named(file, how, toy_run, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(toy_run, run)
    damage(run / file, how)
    assert str(run / file) in one_line(lambda: load_agent(run))


def test_a_torn_json_file_is_named(tmp_path):
    (tmp_path / "split.json").write_text('{"name": "x", "train": [')
    assert "split.json is damaged: not JSON" in one_line(lambda: Split.load(tmp_path / "split.json"))
    assert "no file" in one_line(lambda: read_json(tmp_path / "nothing.json"))


def test_a_kill_during_a_model_write_leaves_the_old_file(toy_run, tmp_path, monkeypatch):
    run = tmp_path / "run"
    shutil.copytree(toy_run, run)
    before = (run / "model.pt").read_bytes()
    model = load_ppo(run / "model.pt")

    def killed(*args, **kwargs):
        raise KeyboardInterrupt  # the process dies between writing the temporary file and renaming it

    monkeypatch.setattr("os.replace", killed)
    with pytest.raises(KeyboardInterrupt):
        save_ppo(model, run / "model.pt")
    assert (run / "model.pt").read_bytes() == before and load_agent(run).model.num_timesteps == 256


# ---------------------------------------------------------------- bad API values


@pytest.mark.parametrize(
    "bad",
    [
        dict(mass_scale=0),
        dict(mass_scale=-1),
        dict(mass_scale=1e300),
        dict(mass_scale=float("inf")),
        dict(mass_scale=float("nan")),
        dict(inertia_scale=0),
        dict(inertia_scale=1e9),
        dict(damping=-0.1),
        dict(damping=1e5),
        dict(damping=float("nan")),
        dict(mass_scale="heavy"),
        dict(damping=True),
    ],
)
def test_bad_dynamics(bad):
    field = next(iter(bad))
    assert f"Dynamics.{field}" in one_line(lambda: Dynamics(**bad), ValueError, TypeError)


@pytest.mark.parametrize(
    "bad",
    [
        dict(total_timesteps=0),
        dict(total_timesteps=10**12),
        dict(total_timesteps=1.5),
        dict(n_envs=0),
        dict(n_steps=0),
        dict(batch_size=0),
        dict(batch_size=10**6),
        dict(n_epochs=0),
        dict(learning_rate=0),
        dict(learning_rate=float("nan")),
        dict(gamma=0),
        dict(gamma=1.5),
        dict(gae_lambda=2),
        dict(clip_range=-0.1),
        dict(ent_coef=-1),
        dict(vf_coef=float("inf")),
        dict(max_grad_norm=0),
        dict(net_arch=(0,)),
        dict(net_arch=()),
        dict(activation="sigmoid"),
        dict(vec_env="threads"),
        dict(fused_adam="yes"),
        dict(keep_checkpoints=0),
        dict(checkpoint_freq=0),
        dict(eval_freq=0),
        dict(seed=-1),
        dict(n_steps=1, n_envs=1),
    ],
)
def test_bad_ppo_config(bad):
    one_line(lambda: PPOConfig(**bad), ValueError)


@pytest.mark.parametrize(
    "bad",
    [
        dict(context="oracle"),
        dict(pooling="max"),
        dict(latent_dim=0),
        dict(hidden=()),
        dict(epochs=0),
        dict(lr=0),
    ],
)
def test_bad_predictor_config(bad):
    one_line(lambda: PredictorConfig(**bad), ValueError)


@pytest.mark.parametrize(
    "bad",
    [
        dict(episodes=0),
        dict(ood_tasks=-1),
        dict(reps=0),
        dict(ks=()),
        dict(ks=(25,)),
        dict(ks=(0, 100)),
        dict(tasks_per_split=1),
    ],
)
def test_bad_uncertainty_protocol(bad):
    one_line(lambda: UncertaintyProtocol(**bad), ValueError)


@pytest.mark.parametrize(
    "bad",
    [
        dict(mass_scale=(0, 1)),
        dict(mass_scale=(2, 1)),
        dict(damping=(float("nan"), 1)),
    ],
)
def test_bad_dynamics_sampler(bad):
    one_line(lambda: DynamicsSampler(**bad), ValueError)


@pytest.mark.parametrize(
    "call, reason",
    [
        (lambda: __import__("meta_rl.dynamics").dynamics.make_split("nope"), "unknown split 'nope'"),
        (lambda: __import__("meta_rl.dynamics").dynamics.epi_train_tasks()["s9.99-9.99"], "s9.99-9.99"),
        (lambda: __import__("meta_rl.dynamics").dynamics.epi_train_tasks()[99], "99"),
        (lambda: make_benchmark("atari"), "atari"),
        (lambda: make_benchmark("striker", split="nope"), "nope"),
        (lambda: CollectConfig(workers=-1), "workers=-1"),
        (lambda: CollectConfig(steps_per_episode=0), "steps_per_episode=0"),
        (lambda: CollectConfig(generator_policy="x.pt"), "only with generator='ppo'"),
    ],
)
def test_bad_api_values(call, reason):
    assert reason in one_line(call, ValueError, KeyError, IndexError)


def test_bad_actions_and_steps_before_reset():
    from meta_rl.striker import StrikerEnv

    with StrikerEnv() as env:
        env.reset(seed=0)
        for action in (np.zeros(6), np.full(7, np.nan), np.full(7, np.inf)):
            one_line(lambda: env.step(action), ValueError)


# ---------------------------------------------------------------- the command: one line, status 2, nothing written


def cli(*args) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main([str(a) for a in args])
    return code, err.getvalue()


RUN_REFUSALS = [
    (["--context", "oracle"], "--context 'oracle'"),
    (["--variant", "v3"], "unknown Striker variant 'v3'"),
    (["--variant", "seed", "--ceiling", "nbs/results/ceiling_striker.csv"], "not on --variant seed"),
    (["--benchmark", "toy", "--variant", "seed"], "--variant is not an option of --benchmark toy"),
    (["--context", "none", "none"], "--context must name each context once"),
    (["--seeds", "0", "0"], "--seeds must be distinct"),
    (["--seeds", "-1"], "--seeds must be distinct non-negative"),
    (["--seeds", "a"], "--seeds"),
    (["--timesteps", "0"], "--timesteps=0"),
    (["--timesteps", "1000000000000"], "is beyond"),
    (["--episodes", "0"], "--episodes 0 must be >= 1"),
    (["--train-episodes", "0"], "--train-episodes 0"),
    (["--warmup-episodes", "-1"], "--warmup-episodes -1"),
    (["--tasks-per-kind", "0"], "--tasks-per-kind 0"),
    (["--adapt-steps", "-5"], "--adapt-steps must be >= 0"),
    (["--workers", "0"], "--workers 0"),
    (["--benchmark", "atari"], "--benchmark 'atari'"),
    (["--split", "train"], "unknown split 'train'"),
    (["--benchmark", "toy", "--split", "interpolation"], "--split is not an option of --benchmark toy"),
    (["--latent-memory", "task"], "--latent-memory is only used with --context latent"),
    (["--context", "latent", "--latent-memory", "trial"], "--latent-memory 'trial'"),
    (["--context", "latent", "--latent-probe", "-1"], "--latent-probe -1"),
    (["--context", "latent", "--latent-probe", "100000000"], "must be <= 200"),
    (["--context", "latent", "--latent-raw"], "--latent-raw is only used with --latent-probe"),
    (["--context", "latent", "--encoder", "no/such.pt"], "--encoder no/such.pt: no such file"),
    (["--context", "latent", "--encoder", "."], "--encoder .: is a folder; name the predictor.pt in it"),
    (["--timesteps", "512", "--set", "total_timesteps=768"], "both set the training steps; give one"),
    (["--set", "total_timesteps=-5"], "--set total_timesteps=-5 must be an integer >= 1"),
    (["--context"], "--context"),
    (["--set", "n_step=3"], "bad override 'n_step=3'"),
    (["--set", "seed=5"], "--set seed=5 is not used"),
    (["--set", "n_envs=0"], "n_envs=0"),
    (["--set", "gamma=2"], "gamma=2"),
    (["--learner", "sac"], "unknown learner 'sac'; choose one of ['ppo', 'ppo-tuned', 'ppo-striker']"),
    (["--learner", "ppo", "ppo-striker"], "--learner ppo ppo-striker: give one learner for every context"),
    (["--learner", "none=ppo"], "--learner none=...: 'none' is not one of --context explicit"),
    (["--learner", "ppo", "explicit=sac"], "unknown learner 'sac'"),
    (["--set", "lr_schedule=cosine"], "lr_schedule='cosine'; choose one of ['constant', 'linear']"),
    (["--set", "log_std_init=5"], "log_std_init=5.0 must be a number in [-20, 2]"),
    (["--bogus"], "Unrecognized"),
    (["--benchmark", "metaworld", "--suite", "ML45"], "ML45"),
    (["--benchmark", "metaworld", "--env-name", "fly-v3"], "fly-v3"),
    (["--benchmark", "metaworld", "--benchmark-seed", "-1"], "--benchmark-seed -1"),
    (["--benchmark", "striker", "--suite", "ML10"], "--suite is not an option of --benchmark striker"),
    (["--benchmark-option", "steps=3"], "--benchmark-option steps=3: striker has no option 'steps'"),
    (["--benchmark-option", "split"], "--benchmark-option 'split': give KEY=VALUE"),
    (["--benchmark", "toy", "--benchmark-option", "max_episode_steps=long"], "max_episode_steps takes an integer"),
    (["--benchmark", "toy", "--context", "latent", "--latent-probe", "5"], "--latent-probe is only used with"),
]


@pytest.mark.parametrize("args, reason", RUN_REFUSALS, ids=[" ".join(a) for a, _ in RUN_REFUSALS])
def test_metarl_run_refuses_in_one_line(args, reason, tmp_path):
    out = tmp_path / "out"
    code, err = cli("run", "--quick", "--no-progress", "--out", out, *args)
    assert code == 2 and reason in err and err.count("\n") == 1, err
    assert not out.exists()


def test_out_targets(tmp_path):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "summary.md").write_text("my notes")
    for out, reason in [
        (mine, "holds other files (summary.md) and no run of metarl"),
        (mine / "summary.md", "is a file; name a folder"),
        ("", "--out is empty"),
    ]:
        code, err = cli("run", "--quick", "--no-progress", "--out", out)
        assert code == 2 and reason in err and err.count("\n") == 1, err
    assert (mine / "summary.md").read_text() == "my notes" and sorted(p.name for p in mine.iterdir()) == ["summary.md"]
    theirs = tmp_path / "theirs"  # another tool's folder that happens to hold a config.json
    theirs.mkdir()
    (theirs / "config.json").write_text('{"model_type": "bert"}')
    (theirs / "weights.bin").write_bytes(b"\0")
    for resume in ([], ["--resume"]):
        code, err = cli("run", "--benchmark", "toy", "--quick", "--no-progress", "--out", theirs, *resume)
        assert code == 2 and "config.json is not a record of metarl run" in err and err.count("\n") == 1, err
    assert (theirs / "config.json").read_text() == '{"model_type": "bert"}'
    assert sorted(p.name for p in theirs.iterdir()) == ["config.json", "weights.bin"]


OTHER_REFUSALS = [
    (["fly"], "unknown subcommand 'fly'"),
    ([], "unknown subcommand '(none)'"),
    (["report", "--out", "no/such/run"], "no/such/run"),
    (["report", "--out", "RUN", "--reps", "0"], "--reps 0 must be a positive integer"),
    (["report", "--out", "RUN", "--reps", "-1"], "--reps -1 must be a positive integer"),
    (["uncertainty", "--run", "no/such/run"], "is not a run folder"),
    (["uncertainty", "--run", "RUN", "--episodes", "0"], "--episodes 0"),
    (["uncertainty", "--run", "RUN", "--ks", "25", "50"], "must include the default K=100"),
    (["uncertainty", "--run", "RUN", "--ood", "-1"], "--ood -1"),
    (["uncertainty", "--run", "RUN", "--tasks-per-split", "1"], "--tasks-per-split 1"),
    (["iida", "generate", "--out", "x.txt"], "must end in .npz"),
    (["iida", "generate", "--out", "x.npz", "--role", "valid"], "--role 'valid'"),
    (["iida", "generate", "--out", "x.npz", "--split", "nope"], "--split 'nope'"),
    (["iida", "generate", "--out", "x.npz", "--generator", "expert"], "unknown generator 'expert'"),
    (["iida", "generate", "--out", "x.npz", "--generator", "ppo"], "needs --generator-policy"),
    (["iida", "generate", "--out", "x.npz", "--episodes-per-task", "0"], "episodes_per_task=0"),
    (["iida", "generate", "--out", "x.npz", "--generator", "ppo", "--generator-policy", "nope.pt"], "is not a file"),
    (["iida", "train", "--data", "no/such.npz", "--out", "o"], "no dataset file"),
    (["iida", "train", "--data", "d.npz", "--out", "o", "--pooling", "max"], "pooling"),
    (["iida", "train", "--data", "d.npz", "--out", "o", "--epochs", "0"], "epochs=0"),
    (["convert", "no/such/run"], "no file or folder"),
    (["convert", "RUN"], "pass --trust-pickles"),
    (["sweep", "no/such/spec.json", "--out", "sw"], "spec file 'no/such/spec.json' does not exist"),
    (["ceiling", "--out", "ce", "--sets", "val"], "--sets val: name each of ['train', 'test', 'ood'] at most once"),
    (["ceiling", "--out", "ce", "--benchmark", "toy"], "benchmark 'toy' cannot be planned on"),
    (["ceiling", "--out", "ce", "--cem.elites", "500"], "elites=500 must be <= population=128"),
    (["ceiling", "--out", "ce", "--ood", "0"], "--ood 0 must be an integer >= 1"),
    (["ceiling", "--out", "RUN"], "holds other files"),
    (
        ["run", "--benchmark", "toy", "--quick", "--ceiling", "no/such.csv", "--out", "o"],
        "no ceiling table 'no/such.csv'",
    ),
]


@pytest.mark.parametrize("args, reason", OTHER_REFUSALS, ids=[" ".join(a) or "(none)" for a, _ in OTHER_REFUSALS])
def test_every_subcommand_refuses_in_one_line(args, reason, toy_run, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    old = tmp_path / "old"
    shutil.copytree(toy_run.parent.parent, old)
    (old / "none" / "seed0" / "model.pt").unlink()
    shutil.copy(old / "sb3.zip", old / "none" / "seed0" / "model.zip")
    code, err = cli(
        *[
            str(toy_run.parent.parent) if a == "RUN" and args[0] != "convert" else str(old) if a == "RUN" else a
            for a in args
        ]
    )
    assert code == 2 and reason in err and err.count("\n") == 1, err
    assert not any((tmp_path / f).exists() for f in ("x.npz", "o", "sw", "ce"))


# ---------------------------------------------------------------- true records


def test_resume_refuses_a_change_that_alters_results(tmp_path):
    out = tmp_path / "run"
    code, err = cli("run", "--benchmark", "toy", "--context", "none", "--quick", "--no-progress", "--out", out)
    assert code == 0, err
    record = (out / "config.json").read_text()
    for args, reason in [
        (["--episodes", "3"], "test_episodes 2 -> 3"),
        (["--set", "learning_rate=0.001"], "learning_rate 0.0003 -> 0.001"),
        (["--timesteps", "2048"], "total_timesteps 1024 -> 2048"),
    ]:
        code, err = cli(
            "run",
            "--benchmark",
            "toy",
            "--context",
            "none",
            "--quick",
            "--no-progress",
            "--resume",
            "--out",
            out,
            *args,
        )
        assert code == 2 and reason in err and err.count("\n") == 1, err
    assert (out / "config.json").read_text() == record  # the record still says what ran


def test_the_rounding_of_timesteps_is_said(tmp_path, capsys):
    code = main(
        ["run", "--benchmark", "toy", "--context", "none", "--quick", "--no-progress", "--timesteps", "1"]
        + ["--out", str(tmp_path / "r"), "--adapt-steps", "0"]
    )
    assert code == 0
    assert "1 steps become 256" in capsys.readouterr().out
    assert math.isclose(load_agent(tmp_path / "r" / "none" / "seed0").model.num_timesteps, 256)


def test_a_torn_result_file_is_done_again_and_never_reported(tmp_path):
    out = tmp_path / "run"
    args = ["run", "--benchmark", "toy", "--context", "none", "--quick", "--no-progress", "--out", out]
    assert cli(*args)[0] == 0
    adaptation = out / "none" / "seed0" / "adaptation.csv"
    whole = adaptation.read_text()
    adaptation.write_text(whole[: len(whole) // 2])  # torn, as a plain write killed half way leaves it
    code, err = cli("report", "--out", out)
    assert code == 2 and f"{adaptation} is damaged" in err and err.count("\n") == 1, err
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert main([str(a) for a in [*args, "--resume"]]) == 0
    assert "already done, kept" not in printed.getvalue() and adaptation.read_text() == whole


@pytest.fixture(scope="module")
def toy_quick_run(tmp_path_factory):
    "A whole quick toy run (one agent, trained, evaluated, adapted and reported)."
    out = tmp_path_factory.mktemp("lost") / "run"
    assert cli("run", "--benchmark", "toy", "--context", "none", "--quick", "--no-progress", "--out", out)[0] == 0
    return out


@pytest.mark.parametrize(
    "name, how",
    [
        ("episodes.csv", "torn"),
        ("episodes.csv", "gone"),
        ("adaptation.csv", "gone"),
        ("curve.csv", "torn"),
        ("curve.csv", "gone"),
        ("model.pt", "gone"),
    ],
)
def test_a_lost_agent_file_is_named_and_made_again_to_the_same_bytes(name, how, toy_quick_run, tmp_path):
    "A file the manifest recorded that is gone or torn: the report names it, --resume makes it again, byte for byte."
    out = tmp_path / "run"
    shutil.copytree(toy_quick_run, out)
    agent = out / "none" / "seed0"
    whole = {f: (agent / f).read_bytes() for f in ("model.pt", "episodes.csv", "adaptation.csv", "curve.csv")}
    if how == "torn":
        (agent / name).write_bytes(whole[name][: len(whole[name]) // 2])
    else:
        (agent / name).unlink()
    if name != "model.pt":  # the report reads the results, not the model
        code, err = cli("report", "--out", out)
        assert code == 2 and f"{agent / name} is {'damaged' if how == 'torn' else 'gone'}" in err, err
        assert err.count("\n") == 1
    printed = io.StringIO()
    args = ["run", "--benchmark", "toy", "--context", "none", "--quick", "--no-progress", "--out", out, "--resume"]
    with contextlib.redirect_stdout(printed):
        assert main([str(a) for a in args]) == 0
    assert "already done, kept" not in printed.getvalue()
    assert {f: (agent / f).read_bytes() for f in whole} == whole
    results = lambda run: [line for line in (run / "summary.md").read_text().splitlines() if "Command" not in line]
    assert results(out) == results(toy_quick_run)  # the report, but for the commands (the copy's --out differs)


def test_the_records_of_a_run_extended_by_later_commands_are_true(tmp_path):
    "A run extended with another seed, then resumed with other workers: the report and config.json say so."
    out = tmp_path / "run"
    base = ["run", "--benchmark", "toy", "--context", "none", "--quick", "--no-progress", "--out", out]
    assert cli(*base)[0] == 0
    assert cli(*base, "--resume", "--seeds", "0", "1")[0] == 0
    assert cli(*base, "--resume", "--workers", "1")[0] == 0
    summary = (out / "summary.md").read_text()
    assert "Commands, in the order they wrote this folder:" in summary and "--seeds 0 1" in summary, summary[:600]
    assert read_json(out / "config.json")["config"]["seeds"] == [0, 1]  # every agent the folder holds
    assert read_json(out / "config.json")["trained_timesteps"] == 1024


def test_an_assessment_of_a_damaged_run_writes_nothing(toy_run, tmp_path):
    "A run whose model is foreign is refused before the assessment writes anything (no ensemble trained first)."
    run = tmp_path / "run"
    assert cli("run", "--context", "none", "--quick", "--no-progress", "--adapt-steps", "0", "--out", run)[0] == 0
    planted_torch(run / "none" / "seed0" / "model.pt", tmp_path / "ran", format=PPO_FORMAT)
    code, err = cli("uncertainty", "--run", run, "--quick", "--no-progress")
    assert code == 2 and "model.pt" in err and err.count("\n") == 1, err
    assert not (run / "uncertainty").exists() and not (tmp_path / "ran").exists()


def test_iida_train_refuses_a_file_as_its_out(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("notes.txt").write_text("mine")
    code, err = cli("iida", "train", "--data", "d.npz", "--out", "notes.txt")
    assert code == 2 and "--out notes.txt is a file" in err and err.count("\n") == 1, err
    assert Path("notes.txt").read_text() == "mine"


def test_a_run_killed_while_writing_its_first_files_resumes(tmp_path):
    "kill -9 during a write leaves write_atomic's partial file: the folders stay the run's, and --resume goes on."
    out = tmp_path / "run"
    args = ["run", "--benchmark", "toy", "--context", "none", "--quick", "--no-progress", "--out", out, "--resume"]
    out.mkdir()
    (out / ".benchmark.json.partial").write_text('{"torn')  # killed while writing the run's first file
    assert cli(*args) == (0, "")
    agent = out / "none" / "seed0"
    shutil.rmtree(agent)
    agent.mkdir()
    (agent / ".config.json.partial").write_text('{"torn')  # killed while writing the agent's first file
    assert cli(*args) == (0, "")
    assert (agent / "model.pt").is_file() and (out / "summary.md").is_file()


def test_uncertainty_refuses_a_benchmark_it_cannot_measure(tmp_path):
    out = tmp_path / "toy"
    assert cli("run", "--benchmark", "toy", "--context", "none", "--quick", "--no-progress", "--out", out)[0] == 0
    code, err = cli("uncertainty", "--run", out, "--quick", "--out", tmp_path / "u")
    measured = "striker, hopper, hopper-wide, metaworld, metaworld-dynamics, swimmer, walker2d"
    assert code == 2 and f"is a run on 'toy'; metarl uncertainty measures {measured} runs" in err, err
    assert err.count("\n") == 1 and not (tmp_path / "u").exists()


def test_sweeps_and_assessments_never_write_into_a_folder_of_other_files(toy_run, tmp_path):
    from meta_rl.uncertainty_eval import start_assessment

    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.md").write_text("mine")
    code, err = cli("sweep", "--grid", "seed=0", "--fixed", "benchmark=toy", "quick=true", "--out", mine)
    assert code == 2 and "holds other files (notes.md) and no sweep of meta_rl" in err and err.count("\n") == 1, err
    assert "no assessment of meta_rl" in one_line(lambda: start_assessment(toy_run, mine, UncertaintyProtocol()))
    assert sorted(p.name for p in mine.iterdir()) == ["notes.md"]


def test_a_sweep_resumed_from_its_own_folder_is_the_same_sweep(tmp_path, monkeypatch):
    sweep = tmp_path / "sweep"
    sweep.mkdir()
    monkeypatch.chdir(sweep)
    args = ["sweep", "--grid", "seed=0", "--fixed", "benchmark=toy", "context=none", "quick=true", "adapt_steps=0"]
    assert cli(*args, "--out", sweep)[0] == 0
    code, err = cli(*args, "--out", ".")
    assert code == 0, err
    # a finished trial whose results went missing runs again (its agent is kept), and the sweep aggregates it
    (trial,) = (sweep / "trials").iterdir()
    (trial / "episodes.csv").unlink()
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert main([*args, "--out", str(sweep)]) == 0
    assert (trial / "episodes.csv").is_file() and "1 of 1 trials done" in printed.getvalue(), printed.getvalue()


@pytest.mark.parametrize(
    "fault, status, reason",
    [
        (KeyboardInterrupt(), 130, "interrupted; run the same command again"),
        (OSError(28, "No space left on device", "runs/x/model.pt"), 1, "No space left on device: 'runs/x/model.pt'"),
        (PermissionError(13, "Permission denied", "/read/only"), 1, "Permission denied: '/read/only'"),
    ],
)
def test_ctrl_c_and_a_full_or_read_only_disk_end_in_one_line(fault, status, reason, monkeypatch):
    import meta_rl.cli

    def fails(argv):
        raise fault

    monkeypatch.setitem(meta_rl.cli.SUBCOMMANDS, "report", fails)
    code, err = cli("report", "--out", "x")
    assert code == status and reason in err and err.count("\n") == 1, err


TOY_RUN = ["metarl", "run", "--benchmark", "toy", "--context", "none", "--quick", "--no-progress", "--out"]


def _limited(size):
    "Run a child process with files limited to `size` bytes: past it every write fails (EFBIG), as on a full disk."
    import resource

    return lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))


def test_a_really_full_disk_ends_in_one_line_and_the_run_resumes_whole(tmp_path):
    """A real write failure from the kernel (a file size limit: every write past 50 kB fails, as on a full disk): one
    line naming the file, no partial file left, and `--resume` on a disk with room finishes the run as if nothing had
    happened."""
    import subprocess

    out, whole = tmp_path / "full", tmp_path / "whole"
    r = subprocess.run([*TOY_RUN, out], capture_output=True, text=True, preexec_fn=_limited(50_000))
    assert r.returncode == 1 and "File too large: " in r.stderr and str(out) in r.stderr, r.stderr
    assert r.stderr.count("\n") == 1 and "Traceback" not in r.stderr, r.stderr
    assert not list(out.rglob("*.partial")) and not (out / "summary.md").exists()
    assert subprocess.run([*TOY_RUN, out, "--resume"], capture_output=True).returncode == 0
    assert subprocess.run([*TOY_RUN, whole], capture_output=True).returncode == 0
    for name in ("none/seed0/model.pt", "none/seed0/episodes.csv", "summary.csv"):
        assert (out / name).read_bytes() == (whole / name).read_bytes(), name


@pytest.fixture
def read_only(tmp_path):
    "A folder nobody may write into, root included (the immutable attribute): skipped where chattr is not allowed."
    import subprocess

    folder = tmp_path / "read-only"
    folder.mkdir()
    if subprocess.run(["chattr", "+i", folder], capture_output=True).returncode != 0:
        pytest.skip("chattr +i is not allowed here (it needs CAP_LINUX_IMMUTABLE)")
    yield folder
    subprocess.run(["chattr", "-i", folder], check=True)


@pytest.mark.parametrize("where", ["new", "inside"])
def test_a_really_read_only_folder_ends_in_one_line(where, read_only):
    "`--out` in a folder that may not be written (a new folder in it, or the folder itself): one line, exit 1."
    import subprocess

    out = read_only / "run" if where == "new" else read_only
    r = subprocess.run([*TOY_RUN, out], capture_output=True, text=True)
    assert r.returncode == 1 and "Operation not permitted" in r.stderr and str(read_only) in r.stderr, r.stderr
    assert r.stderr.count("\n") == 1 and "Traceback" not in r.stderr, r.stderr
    assert list(read_only.iterdir()) == []


def _running(pid: int) -> bool:
    "Whether process `pid` runs (a zombie, dead but not yet reaped, does not)."
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc (Linux)")
def test_pool_workers_end_with_a_killed_parent():
    "kill -9 of a command leaves none of its pool's workers waiting forever for work: they end with their parent."
    import subprocess, sys, time

    code = "import os, time\nfrom meta_rl.dynamics import worker_pool\nwith worker_pool(1) as pool:\n"
    code += "    print(pool.submit(os.getpid).result(), flush=True)\n    time.sleep(120)\n"
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    worker = int(proc.stdout.readline())
    assert _running(worker)
    proc.kill()
    proc.wait()
    deadline = time.time() + 10
    while _running(worker) and time.time() < deadline:
        time.sleep(0.05)
    assert not _running(worker), "the pool's worker outlived its killed parent"


def test_a_killed_ceiling_resumes_to_the_same_table(tmp_path):
    "kill -9 during `metarl ceiling`: `--resume` plans only what is missing and ends with the uninterrupted table."
    import subprocess, signal, time

    import pandas as pd

    from meta_rl.baselines import verified

    args = ["metarl", "ceiling", "--quick", "--workers", "1", "--no-progress", "--out"]
    whole, killed = tmp_path / "whole", tmp_path / "killed"
    assert subprocess.run([*args, whole], capture_output=True).returncode == 0
    proc = subprocess.Popen([*args, killed], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    # killed once a task is on record (the table and its manifest entry): a kill between the two writes leaves a table
    # that does not verify, which --resume rightly does not trust (it plans every task again)
    while not verified(killed / "ceiling.csv") and time.time() < deadline and proc.poll() is None:
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    planned = pd.read_csv(killed / "ceiling.csv")
    assert 0 < len(planned) < 6, f"the kill came after {len(planned)} of 6 tasks"
    assert subprocess.run([*args, killed, "--resume"], capture_output=True).returncode == 0
    got, want = (pd.read_csv(d / "ceiling.csv") for d in (killed, whole))
    pd.testing.assert_frame_equal(got.drop(columns="seconds"), want.drop(columns="seconds"))
    kept = got.merge(planned, on=["set", "task_id"], suffixes=("", "_before"))
    assert len(kept) == len(planned) and (kept.seconds == kept.seconds_before).all()  # planned before: not again
