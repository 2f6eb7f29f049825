"""The IIDA console scripts end to end on a tiny budget: `metarl-iida-generate` writes a dataset with its metadata,
`metarl-iida-train-predictor` trains on it and writes a checkpoint whose encoder loads; bad arguments exit non-zero
with a one-line reason."""

import subprocess

import numpy as np
import pytest

from meta_rl.iida_data import TransitionDataset
from meta_rl.iida_predictor import load_context_encoder, load_predictor


def run(*args):
    return subprocess.run(list(args), capture_output=True, text=True)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    out = tmp_path_factory.mktemp("iida") / "train.npz"
    r = run(
        "metarl-iida-generate",
        "--episodes-per-task",
        "2",
        "--steps",
        "40",
        "--workers",
        "2",
        "--seed",
        "3",
        "--quiet",
        "--out",
        str(out),
    )
    assert r.returncode == 0, r.stderr
    assert "wrote 2,000 transitions" in r.stdout and str(out) in r.stdout
    return out


def test_generate_writes_the_dataset_and_its_metadata(dataset):
    ds = TransitionDataset.load(dataset)
    assert len(ds) == 25 * 2 * 40 and len(ds.tasks) == 25
    m = ds.metadata
    assert (m["split"], m["role"], m["generator"], m["seed"], m["episodes_per_task"], m["steps_per_episode"]) == (
        "train25-test36",
        "train",
        "scripted",
        3,
        2,
        40,
    )
    assert m["generator_policy"] is None and m["workers_used"] == 2
    assert np.isfinite(ds.obs).all() and np.abs(ds.action).max() <= 3


def test_train_predictor_writes_a_checkpoint_with_an_encoder(dataset, tmp_path):
    r = run(
        "metarl-iida-train-predictor",
        "--data",
        str(dataset),
        "--test-data",
        str(dataset),
        "--out-dir",
        str(tmp_path),
        "--epochs",
        "2",
        "--batches-per-epoch",
        "5",
        "--hidden",
        "32",
        "32",
        "--quiet",
    )
    assert r.returncode == 0, r.stderr
    assert "validation tasks: delta-s MSE" in r.stdout and "test data: delta-s MSE" in r.stdout
    model, norm, ckpt = load_predictor(tmp_path / "predictor.pt")
    assert ckpt["config"]["hidden"] == (32, 32) and ckpt["config"]["latent_dim"] == 8 and len(ckpt["val_tasks"]) == 3
    assert ckpt["dataset"]["generator"] == "scripted" and len(ckpt["history"]["epoch"]) == 2
    enc = load_context_encoder(tmp_path / "predictor.pt")()
    enc.reset(None)
    assert enc.latent.shape == (8,) and (enc.std == 1).all()


BAD = [
    (["metarl-iida-generate", "--generator", "expert"], "choose one of ['scripted', 'random', 'ppo']"),
    (["metarl-iida-generate", "--generator", "ppo"], "needs --generator-policy"),
    (["metarl-iida-generate", "--episodes-per-task", "0"], "episodes_per_task=0"),
    (["metarl-iida-generate", "--role", "valid"], "--role 'valid'"),
    (["metarl-iida-generate", "--split", "nope"], "--split 'nope'"),
    (["metarl-iida-train-predictor", "--data", "/no/such.npz"], "no dataset file '/no/such.npz'"),
    (
        ["metarl-iida-train-predictor", "--context", "oracle", "--data", "x.npz"],
        "choose one of ['latent', 'none', 'true']",
    ),
    (["metarl-iida-train-predictor", "--epochs", "0", "--data", "x.npz"], "epochs=0"),
]


@pytest.mark.parametrize("args,reason", BAD, ids=[" ".join(a[1:]) for a, _ in BAD])
def test_bad_arguments_exit_non_zero_with_a_one_line_reason(console, args, reason, tmp_path):
    out = ["--out", str(tmp_path / "x.npz")] if args[0] == "metarl-iida-generate" else ["--out-dir", str(tmp_path)]
    r = console(*args, *out)
    assert r.returncode == 2, r.stdout + r.stderr
    error_lines = [l for l in r.stderr.splitlines() if "error:" in l]
    assert len(error_lines) == 1 and reason in error_lines[0], r.stderr
    assert "Traceback" not in r.stderr
    assert not (tmp_path / "x.npz").exists() and not (tmp_path / "predictor.pt").exists()


def test_val_tasks_must_leave_training_tasks(dataset, tmp_path):
    r = run("metarl-iida-train-predictor", "--data", str(dataset), "--out-dir", str(tmp_path), "--val-tasks", "25")
    assert r.returncode == 2 and "--val-tasks 25 must be smaller than the dataset's 25 tasks" in r.stderr
