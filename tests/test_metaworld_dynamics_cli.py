"""`metarl run --benchmark metaworld-dynamics`: Meta-World with varied object dynamics (chapter 10b) through the generic
path, end to end at the quick budget with `metarl uncertainty` on the run, and a skill without a free object refused in
one line."""

import pandas as pd

from meta_rl import cli
from meta_rl.metaworld_dynamics import FACTOR_NAMES


def test_a_quick_run_of_every_context_trains_evaluates_and_reports(tmp_path, capsys):
    out = tmp_path / "mwd"
    args = ["run", "--benchmark", "metaworld-dynamics", "--context", "none", "explicit", "latent", "rl2", "--quick"]
    assert cli.main([*args, "--no-progress", "--out", str(out)]) == 0, capsys.readouterr().err
    episodes = pd.read_csv(out / "episodes.csv")
    assert set(episodes.context) == {"none", "explicit", "latent", "rl2"}
    assert {*FACTOR_NAMES, "success", "steps"} <= set(episodes.columns)
    assert set(episodes[episodes.split == "test"].kind) == {"interpolation", "extrapolation"}
    assert (out / "encoder" / "predictor.pt").is_file()
    assert '"metaworld-dynamics"' in (out / "benchmark.json").read_text()

    # the uncertainty path (chapter 12): OOD tasks are objects beyond the grid (OOD_DYNAMICS), test tasks by kind
    assert cli.main(["uncertainty", "--run", str(out), "--quick", "--no-progress"]) == 0, capsys.readouterr().err
    scored = pd.read_csv(out / "uncertainty" / "episodes.csv")
    assert set(scored.context) == {"none", "explicit", "latent", "rl2"} and set(scored.set) == {"train", "test", "ood"}
    assert set(scored[scored.set == "test"].kind) == {"interpolation", "extrapolation"}
    assert (out / "uncertainty" / "summary.md").is_file()


def test_a_skill_without_a_free_object_is_refused_in_one_line(tmp_path, capsys):
    out = tmp_path / "mwd"
    args = ["run", "--benchmark", "metaworld-dynamics", "--env-name", "reach-v3", "--quick", "--out", str(out)]
    assert cli.main(args) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "--env-name reach-v3: choose one of ['push-v3'" in err, err
    assert not out.exists()
