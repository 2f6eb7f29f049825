"""Sweeps that are no lesson: the Ray backend against the default one, and a sweep killed midway then restarted."""
import json, os, signal, subprocess, sys, time
from pathlib import Path

import pandas as pd
import pytest

from meta_rl.sweeps import SweepSpec, run_sweep

QUICK = dict(quick=True, split="interpolation", context="none")


def test_ray_backend_gives_the_default_backends_table(tmp_path):
    ray = pytest.importorskip("ray")
    spec = SweepSpec(grid=dict(seed=[0, 1]), fixed=QUICK, name="backends")
    local = run_sweep(spec, tmp_path / "local", progress=False)
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try: remote = run_sweep(spec, tmp_path / "ray", backend="ray", progress=False)
    finally: ray.shutdown()
    assert [r["status"] for r in local.records] == ["done", "done"]
    assert sorted(r["status"] for r in remote.records) == ["done", "done"]
    pd.testing.assert_frame_equal(local.summary, remote.summary)
    assert set(local.summary.group) == {"train", "test", "interpolation"} and (local.summary.seeds == 2).all()


def _sweep_cmd(out):
    return ["metarl-sweep", "--grid", "seed=0,1", "--fixed", *(f"{k}={v}" for k, v in QUICK.items()),
            "--max-workers", "1", "--out", str(out)]


def _done(out):
    return sorted(p.parent.name for p in Path(out).glob("trials/*/trial.json") if json.loads(p.read_text())["status"] == "done")


def test_a_killed_sweep_restarts_with_only_the_missing_trials(tmp_path):
    out = tmp_path / "killed"
    proc = subprocess.Popen(_sweep_cmd(out), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + 240
    while not _done(out) and time.time() < deadline and proc.poll() is None: time.sleep(0.5)
    os.killpg(proc.pid, signal.SIGKILL); proc.wait()
    first = _done(out)
    assert len(first) == 1, f"expected one finished trial before the kill, found {first}"
    stamp = (out / "trials" / first[0] / "trial.json").stat().st_mtime
    r = subprocess.run(_sweep_cmd(out), capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    assert _done(out) == ["seed=0", "seed=1"]
    assert (out / "trials" / first[0] / "trial.json").stat().st_mtime == stamp, "a finished trial was run again"
    assert "1 done before, running 1" in r.stderr
    assert "2 of 2 trials done" in r.stdout and (out / "summary.md").exists()


@pytest.mark.parametrize("args, message", [
    ([], "give a spec file or --grid"),
    (["--grid", "colour=red"], "unknown sweep key 'colour'"),
    (["--grid", "seed=0", "--backend", "slurm"], "invalid choice: 'slurm'"),
    (["missing.yaml"], "spec file 'missing.yaml' does not exist"),
])
def test_bad_arguments_exit_with_one_line(tmp_path, args, message):
    r = subprocess.run(["metarl-sweep", *args, "--out", str(tmp_path / "x")], capture_output=True, text=True)
    assert r.returncode == 2 and message in r.stderr
    assert len(r.stderr.strip().splitlines()) <= 2
