"""The latent-agent throughput and uncertainty-latency benchmarks run and print their tables (smoke runs at a tiny
budget; no timing is asserted)."""

import subprocess, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_latent_throughput_benchmark_prints_its_table(capsys):
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import latent_throughput

    res = latent_throughput.main(["--steps", "64", "--n-steps", "8", "--rounds", "1", "--probe-steps", "20"])
    out = capsys.readouterr().out
    assert set(res) == {"explicit", "latent", "latent, 20-step probe", "none"} and all(v > 0 for v in res.values())
    assert "| `latent` |" in out and "| `latent, 20-step probe` |" in out and "x explicit" in out


def test_latent_throughput_benchmark_rejects_bad_arguments():
    r = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "latent_throughput.py"), "--rounds", "0"],
        capture_output=True,
        text=True,
    )
    assert r.returncode != 0 and "--rounds" in r.stderr
    r = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "latent_throughput.py"), "--probe-steps", "0"],
        capture_output=True,
        text=True,
    )
    assert r.returncode != 0 and "--probe-steps" in r.stderr


def test_uncertainty_latency_benchmark_prints_its_table(capsys):
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import uncertainty_latency

    res = uncertainty_latency.main(["--repeats", "1"])
    out = capsys.readouterr().out
    assert res["total"] >= res["play"] > 0 and "total (one widget update)" in out
    r = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "uncertainty_latency.py"), "--agent", "x"],
        capture_output=True,
        text=True,
    )
    assert r.returncode != 0 and "--folder and --agent go together" in r.stderr
