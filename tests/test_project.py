"""Checks that are no lesson: the README and the front page agree, the package installs its registration,
and the benchmark scripts run and print their tables."""
import json, re, subprocess, sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def notebook_text(path):
    return "\n".join("".join(c["source"]) for c in json.loads(Path(path).read_text())["cells"])


def quick_start(text):
    return re.search(r"## Quick start(.*?)\n## ", text, re.S).group(1).strip()


def test_readme_and_front_page_tell_the_same_story():
    readme, index = (ROOT / "README.md").read_text(), notebook_text(ROOT / "nbs" / "index.ipynb")
    assert quick_start(readme) == quick_start(index)
    for line in ("pip install torch==2.13.0 -e \".[dev]\"", "nbdev_test"):
        assert line in quick_start(readme)


def test_readme_lists_every_chapter():
    readme = (ROOT / "README.md").read_text()
    chapters = sorted(p.stem for p in (ROOT / "nbs").glob("[0-9][0-9]_*.ipynb"))
    assert chapters, "no chapters found"
    for c in chapters: assert f"`{c}`" in readme, f"README's chapter table misses {c}"


def test_ci_runs_the_readme_commands():
    ci, readme = (ROOT / ".ci" / "run").read_text(), quick_start((ROOT / "README.md").read_text())
    for cmd in re.findall(r"^(pip install .*?|nbdev_test|python -m pytest tests)\s*(?:#.*)?$", readme, re.M):
        assert cmd.strip() in ci, f".ci/run does not run the README command {cmd!r}"


def test_gym_make_from_a_fresh_interpreter():
    code = "import gymnasium as gym; e = gym.make('meta_rl.striker:meta_rl/Striker-v0'); o, _ = e.reset(seed=0); print(o.shape)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "(23,)"


def test_env_speed_benchmark_prints_its_table(capsys):
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import env_speed
    res = env_speed.main(["--steps", "400", "--repeats", "1"])
    out = capsys.readouterr().out
    assert out.count("\n|") >= len(res) + 1
    for name, v in res.items():
        assert name in out and v > 0


def test_env_speed_benchmark_rejects_bad_arguments():
    r = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "env_speed.py"), "--steps", "0"], capture_output=True, text=True)
    assert r.returncode != 0 and "--steps" in r.stderr
