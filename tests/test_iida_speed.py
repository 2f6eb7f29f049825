"""The IIDA benchmark runs on a tiny budget and prints its two tables."""

import subprocess, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_iida_speed_benchmark_prints_its_tables(capsys):
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import iida_speed

    res = iida_speed.main(["--steps", "200", "--episodes-per-task", "2", "--epochs", "1"])
    out = capsys.readouterr().out
    assert out.count("|---|---:|") == 2
    for name, us in res["per_step_us"].items():
        assert name in out and us > 0
    assert res["seconds_per_epoch"] > 0 and "seconds per epoch" in out


def test_iida_speed_benchmark_rejects_bad_arguments():
    r = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "iida_speed.py"), "--epochs", "0"], capture_output=True, text=True
    )
    assert r.returncode != 0 and "--epochs" in r.stderr
