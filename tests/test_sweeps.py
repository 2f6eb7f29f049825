"""Sweeps that are no lesson: the Ray backend against the default one (and who shuts Ray down), a sweep killed midway
then restarted, a killed trial's log, the CPUs a trial may use, and bad specs or missing optional dependencies on the
command line."""

import json, os, shutil, signal, subprocess, sys, time
from pathlib import Path

import pandas as pd
import pytest

from meta_rl.sweeps import SweepSpec, run_sweep

QUICK = dict(quick=True, split="interpolation", context="none")
TOY = ["--fixed", "benchmark=toy", "quick=true"]  # a sweep's fixed settings that train in seconds


GRIDS = {  # per benchmark: a quick sweep's fixed settings and the groups of its report
    "striker": (QUICK, {"train", "test"}),  # all test tasks of the interpolation split are of one kind
    "metaworld": (dict(quick=True, benchmark="metaworld", env_name="reach-v3", context="none"), {"train", "test"}),
}


@pytest.mark.parametrize("family", list(GRIDS))
def test_ray_backend_gives_the_default_backends_table(tmp_path, family):
    "A grid of any benchmark runs on the local pool and on a local Ray instance, and both give the same table."
    ray = pytest.importorskip("ray")
    fixed, groups = GRIDS[family]
    spec = SweepSpec(grid=dict(seed=[0, 1]), fixed=fixed, name="backends")
    local = run_sweep(spec, tmp_path / "local", progress=False)
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        remote = run_sweep(spec, tmp_path / "ray", backend="ray", progress=False)
        assert ray.is_initialized(), "run_sweep shut down a Ray instance it had not started"
    finally:
        ray.shutdown()
    assert [r["status"] for r in local.records] == ["done", "done"], local.failed
    assert sorted(r["status"] for r in remote.records) == ["done", "done"], remote.failed
    pd.testing.assert_frame_equal(local.summary, remote.summary)
    assert set(local.summary.group) == groups and (local.summary.seeds == 2).all()
    trial = json.loads((tmp_path / "ray" / "trials" / "seed=0" / "benchmark.json").read_text())
    assert trial["benchmark"] == family


def _sweep_cmd(out):
    return [
        "metarl-sweep",
        "--grid",
        "seed=0,1",
        "--fixed",
        *(f"{k}={v}" for k, v in QUICK.items()),
        "--max-workers",
        "1",
        "--out",
        str(out),
    ]


def _done(out):
    return sorted(
        p.parent.name for p in Path(out).glob("trials/*/trial.json") if json.loads(p.read_text())["status"] == "done"
    )


@pytest.fixture(scope="module")
def whole_sweep(tmp_path_factory):
    "The sweep of `_sweep_cmd`, never interrupted: what an interrupted one must end with, byte for byte."
    whole = tmp_path_factory.mktemp("sweep") / "whole"
    assert subprocess.run(_sweep_cmd(whole), capture_output=True, timeout=300).returncode == 0
    return whole


@pytest.mark.parametrize("sig", ["SIGKILL", "SIGINT"])
def test_a_killed_sweep_restarts_with_only_the_missing_trials(sig, whole_sweep, tmp_path):
    "kill -9 or Ctrl-C during a sweep's second trial: the restart runs that trial only and ends with the same files."
    out = tmp_path / "killed"
    proc = subprocess.Popen(_sweep_cmd(out), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.time() + 240
    while not _done(out) and time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
    os.killpg(proc.pid, getattr(signal, sig))
    _, err = proc.communicate(timeout=120)
    if sig == "SIGINT":  # Ctrl-C: one line that says how to go on
        assert proc.returncode == 130 and "interrupted; run the same command again" in err.decode(), err.decode()[
            -2000:
        ]
    first = _done(out)
    assert len(first) == 1, f"expected one finished trial before the {sig}, found {first}"
    stamp = (out / "trials" / first[0] / "trial.json").stat().st_mtime
    r = subprocess.run(_sweep_cmd(out), capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    assert _done(out) == ["seed=0", "seed=1"]
    assert (out / "trials" / first[0] / "trial.json").stat().st_mtime == stamp, "a finished trial was run again"
    assert "1 done before, running 1" in r.stderr
    assert "2 of 2 trials done" in r.stdout and (out / "summary.md").exists()
    for name in ("episodes.csv", "summary.csv", "trials/seed=0/episodes.csv", "trials/seed=1/none/seed1/model.pt"):
        assert (out / name).read_bytes() == (whole_sweep / name).read_bytes(), name


@pytest.mark.parametrize(
    "args, message",
    [
        ([], "give a spec file or --grid"),
        (["--grid", "colour=red"], "unknown sweep key 'colour'"),
        (["--grid", "seed=0", "--backend", "slurm"], "unknown backend 'slurm'"),
        (["missing.yaml"], "spec file 'missing.yaml' does not exist"),
        # every trial's config is checked before anything is written or any trial starts
        (["--grid", "seed=a,b", *TOY], "trial seed=a: seed='a' must be an integer"),
        (["--grid", "seed=", *TOY], "--grid seed= has an empty value; give seed=V1,V2,..."),
        (["--grid", "seed=0,,1", *TOY], "--grid seed=0,,1 has an empty value"),
        (["--grid", "seed=0", "--fixed", "benchmark=toy", "timesteps=-1"], "--timesteps=-1 must be an integer >= 1"),
        (["--grid", "seed=0", "--fixed", "benchmark=toy", "quick=maybe"], "quick='maybe' must be true or false"),
        (["--grid", "context=none,telepathy", *TOY], "--context 'telepathy' is not a context; choose from"),
        (["--grid", "seed=0", *TOY, "n_envs=x"], "n_envs must be an integer, got 'x'"),
    ],
)
def test_bad_arguments_exit_with_one_line(console, tmp_path, args, message):
    r = console("metarl-sweep", *args, "--out", tmp_path / "x")
    assert r.returncode == 2 and message in r.stderr, r.stderr
    assert len(r.stderr.strip().splitlines()) <= 2 and "report:" not in r.stdout
    assert not (tmp_path / "x").exists()


def test_a_spec_file_that_is_not_json_is_named(tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("my notes, not a spec\n")
    r = subprocess.run(
        ["metarl-sweep", "--out", str(tmp_path / "x"), "--spec", str(notes)], capture_output=True, text=True
    )
    assert r.returncode == 2 and f"{notes} is not a JSON sweep spec" in r.stderr, r.stderr
    assert r.stderr.count("\n") == 1 and not (tmp_path / "x").exists()


def test_no_report_path_is_printed_for_a_report_not_written(tmp_path):
    from meta_rl.sweeps import SweepResult, sweep_report

    failed = dict(id="seed=0", status="failed", error="RuntimeError: boom")
    text = sweep_report(SweepResult([failed], None), tmp_path)
    assert "0 of 1 trials done" in text and "summary.md" not in text and "FAILED seed=0: RuntimeError: boom" in text


def test_a_copied_sweep_folder_resumes_and_another_grid_is_refused_by_key(tmp_path):
    "`cp -r sw swr` then the same command on swr: the spec's name follows the folder, nothing runs again."

    def sweep(out, grid="seed=0"):
        return subprocess.run(
            ["metarl-sweep", "--grid", grid, *TOY, "--out", str(out)], capture_output=True, text=True, timeout=300
        )

    assert (r := sweep(tmp_path / "sw")).returncode == 0, r.stderr[-2000:]
    copy = tmp_path / "swr"
    shutil.copytree(tmp_path / "sw", copy)
    stamp = (copy / "trials" / "seed=0" / "trial.json").stat().st_mtime
    r = sweep(copy)
    assert r.returncode == 0 and "1 of 1 trials done" in r.stdout, r.stderr[-2000:]
    assert (copy / "trials" / "seed=0" / "trial.json").stat().st_mtime == stamp, "a finished trial was run again"
    assert json.loads((copy / "spec.json").read_text())["name"] == "swr"
    r = sweep(copy, "seed=0,1")
    assert (
        r.returncode == 2
        and "swr holds another sweep (spec.json differs in grid seed: [0] there, [0, 1] asked)" in (r.stderr)
    ), r.stderr


def test_a_ray_instance_the_sweep_started_is_shut_down(tmp_path):
    ray = pytest.importorskip("ray")
    assert not ray.is_initialized()
    spec = SweepSpec(grid=dict(seed=[0, 1]), name="own-ray")
    # print: a no-op trial
    result = run_sweep(spec, tmp_path, backend="ray", trial_fn=print, progress=False, aggregate=False)
    assert [r["status"] for r in result.records] == ["done", "done"]
    assert not ray.is_initialized(), "run_sweep left running the Ray instance it started"


KILLED_TRIAL = """
import os, sys
from meta_rl import sweeps
def dies(config, command=""):
    print("trial started with", config.out); print("an error line", file=sys.stderr)
    os._exit(9)             # killed: no finally, no flush at exit
sweeps.run = dies
sweeps.execute_trial("killed", {"seed": 0}, sys.argv[1])
"""


def test_a_killed_trial_keeps_its_log(tmp_path):
    r = subprocess.run([sys.executable, "-c", KILLED_TRIAL, str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 9, r.stderr
    log = (tmp_path / "trials" / "killed" / "log.txt").read_text()
    assert "trial started with" in log and "an error line" in log, log
    assert not (tmp_path / "trials" / "killed" / "trial.json").exists()


def test_a_trial_uses_at_most_its_num_cpus(tmp_path, monkeypatch):
    from meta_rl import sweeps

    seen = []
    monkeypatch.setattr(sweeps, "run", lambda config, command="": seen.append(config))
    assert sweeps.execute_trial("t", {"seed": 0}, tmp_path, num_cpus=3)["status"] == "done"
    assert seen[0].workers == 3 and seen[0].resume  # the run config's process limit, and a killed trial resumes


BLOCKED = (
    "import sys; sys.modules[{module!r}] = None; from meta_rl.cli import main; sys.exit(main(['sweep', *{argv!r}]))"
)


@pytest.mark.parametrize(
    "module, spec_file, argv_tail, message",
    [
        ("yaml", "spec.yaml", [], "needs PyYAML (pip install pyyaml)"),
        ("ray", "spec.json", ["--backend", "ray"], "backend='ray' needs Ray: pip install"),
    ],
)
def test_missing_optional_dependencies_give_one_line(tmp_path, module, spec_file, argv_tail, message):
    spec = tmp_path / spec_file
    spec.write_text("grid:\n  seed: [0]\n" if spec_file.endswith(".yaml") else json.dumps({"grid": {"seed": [0]}}))
    argv = [str(spec), "--out", str(tmp_path / "out"), *argv_tail]
    r = subprocess.run(
        [sys.executable, "-c", BLOCKED.format(module=module, argv=argv)], capture_output=True, text=True, timeout=120
    )
    assert r.returncode == 2 and message in r.stderr, r.stderr
    assert r.stderr.count("\n") == 1 and not (tmp_path / "out").exists()


def test_a_spec_with_an_unknown_key_is_refused_by_name(tmp_path):
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps({"grid": {"seed": [0]}, "cpus": 2}))
    r = subprocess.run(["metarl-sweep", str(spec), "--out", str(tmp_path / "x")], capture_output=True, text=True)
    assert (
        r.returncode == 2 and "unknown spec keys ['cpus']; allowed: ['grid', 'fixed', 'num_cpus', 'name']" in r.stderr
    ), r.stderr
    assert r.stderr.count("\n") == 1
