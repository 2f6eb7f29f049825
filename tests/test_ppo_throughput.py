"""The PPO throughput benchmark runs and prints its table (a smoke run at a tiny budget; no timing is asserted)."""

import subprocess, sys
from pathlib import Path

from meta_rl.baselines import LEARNERS

ROOT = Path(__file__).resolve().parents[1]


def run_script(name: str, *args: str) -> subprocess.CompletedProcess:
    "Run `benchmarks/NAME.py ARGS` as a user would, capturing its output."
    return subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / f"{name}.py"), *args], capture_output=True, text=True
    )


def test_ppo_throughput_benchmark_prints_its_table(capsys):
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import ppo_throughput

    res = ppo_throughput.main(["--steps", "64", "--n-steps", "8", "--no-subproc"])
    out = capsys.readouterr().out
    assert out.count("\n|") >= len(res) + 1 and "x SB3 defaults" in out
    for name, v in res.items():
        assert name in out and v > 0


def test_ppo_throughput_benchmark_rejects_bad_arguments():
    r = run_script("ppo_throughput", "--steps", "0")
    assert r.returncode != 0 and "--steps" in r.stderr


def test_learner_throughput_benchmark_prints_its_table(capsys):
    "Every learner for the explicit and the rl2 agent, and sb3-contrib's own LSTM policy, at a tiny budget."
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import learner_throughput

    res = learner_throughput.main(["--steps", "64", "--n-steps", "8"])
    out = capsys.readouterr().out
    assert len(res) == 2 * len(LEARNERS) + 1 and out.count("\n|") >= len(res) + 1  # + sb3-contrib's own LSTM
    assert "ppo, rl2 (RecurrentPolicy)" in out and "MlpLstmPolicy" in out
    r = run_script("learner_throughput", "--steps", "0")
    assert r.returncode != 0 and "--steps=0 must be a positive integer" in r.stderr


def test_offpolicy_throughput_benchmark_prints_its_table(capsys):
    "SAC and TQC at a tiny budget (sbx's rows say whether it is installed); bad counts are refused."
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import offpolicy_throughput

    res = offpolicy_throughput.main(["--steps", "8", "--learning-starts", "8", "--no-ppo"])
    out = capsys.readouterr().out
    assert "| SB3 SAC (PyTorch) |" in out and "| sb3-contrib TQC (PyTorch) |" in out and "sbx SAC (JAX)" in out
    assert all(v[1] > 0 for v in res.values() if not isinstance(v, str))
    r = run_script("offpolicy_throughput", "--learning-starts", "0")
    assert r.returncode != 0 and "--learning-starts=0 must be a positive integer" in r.stderr
