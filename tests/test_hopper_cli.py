"""`metarl run --benchmark hopper`: the Hopper family (chapter 10a) through the generic path, end to end at the quick
budget, and the context it cannot serve yet refused in one line."""

import pandas as pd

from meta_rl import cli
from meta_rl.hopper import FACTOR_NAMES


def test_a_quick_hopper_run_trains_evaluates_and_reports(tmp_path, capsys):
    out = tmp_path / "hopper"
    args = ["run", "--benchmark", "hopper", "--context", "none", "explicit", "rl2", "--quick", "--no-progress"]
    assert cli.main([*args, "--out", str(out)]) == 0, capsys.readouterr().err
    episodes = pd.read_csv(out / "episodes.csv")
    assert set(episodes.context) == {"none", "explicit", "rl2"}
    assert {*FACTOR_NAMES, "distance", "steps", "success"} <= set(episodes.columns)
    assert set(episodes[episodes.split == "test"].kind) == {"interpolation", "extrapolation"}
    assert (episodes.steps >= 1).all() and (episodes.steps <= 1000).all()
    assert "| explicit | test (4) |" in (out / "summary.md").read_text()
    assert (out / "benchmark.json").read_text().count('"hopper"') == 1


def test_the_latent_context_is_refused_in_one_line_before_anything_is_written(tmp_path, capsys):
    out = tmp_path / "hopper"
    assert cli.main(["run", "--benchmark", "hopper", "--context", "latent", "--quick", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "no latent encoder is registered for benchmark 'hopper'" in err, err
    assert not out.exists()
