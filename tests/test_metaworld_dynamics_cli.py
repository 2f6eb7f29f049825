"""`metarl run --benchmark metaworld-dynamics`: Meta-World with varied object dynamics (chapter 10b) through the generic
path, end to end at the quick budget with `metarl uncertainty` on the run, ML10's skills with their objects varied,
and a skill without a free object refused in one line."""

import sys
from pathlib import Path

import pandas as pd
import pytest

from meta_rl import cli
from meta_rl.metaworld_dynamics import FACTOR_NAMES, OOD_DYNAMICS


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
    assert "## Success beyond the grid, by the factor outside it" in (out / "summary.md").read_text()

    # the uncertainty path (chapter 12): OOD tasks are objects beyond the grid (OOD_DYNAMICS), test tasks by kind
    assert cli.main(["uncertainty", "--run", str(out), "--quick", "--no-progress"]) == 0, capsys.readouterr().err
    scored = pd.read_csv(out / "uncertainty" / "episodes.csv")
    assert set(scored.context) == {"none", "explicit", "latent", "rl2"} and set(scored.set) == {"train", "test", "ood"}
    assert set(scored[scored.set == "test"].kind) == {"interpolation", "extrapolation"}
    assert (out / "uncertainty" / "summary.md").is_file()

    # benchmarks/clipped_dynamics.py (chapter 10b): the explicit agent replayed as told and with its dynamics clipped
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    import clipped_dynamics

    clipped_dynamics.main([str(out), "--out", str(tmp_path / "told")])
    told = pd.read_csv(tmp_path / "told" / "clipped_dynamics.csv", keep_default_na=False)
    assert len(told) == 2 * 4 and set(told.telling) == {"as given", "clipped"}  # the run's 4 test tasks, 2 tellings
    assert "| clipped | extrapolation | all | 1 | 2 |" in capsys.readouterr().out
    ran = pd.read_csv(out / "episodes.csv").query("split == 'test' and context == 'explicit'")
    ran = ran.set_index("task_id")["return"]
    given = told[told.telling == "as given"].set_index("task_id")["return"]
    assert (ran.loc[given.index].round(6) == given.round(6)).all()  # the run's own episodes, repeated
    within = told[told.kind == "interpolation"].pivot(index="task_id", columns="telling", values="return")
    assert (within["as given"] == within["clipped"]).all()  # within the grid clipping changes nothing
    with pytest.raises(SystemExit):
        clipped_dynamics.main([str(tmp_path / "told")])  # not a run with explicit agents


def test_a_quick_ml10_run_varies_every_skills_object(tmp_path, capsys):
    """--suite ML10: each training skill's objects take the training dynamics, the held-out skills the held-out
    ones; and `metarl uncertainty` on such a run."""
    out = tmp_path / "mwd10"
    args = ["run", "--benchmark", "metaworld-dynamics", "--suite", "ML10", "--context", "explicit", "--quick"]
    assert cli.main([*args, "--no-progress", "--out", str(out)]) == 0, capsys.readouterr().err
    episodes = pd.read_csv(out / "episodes.csv")
    assert {*FACTOR_NAMES, "skill", "success"} <= set(episodes.columns)
    train_skills, test_skills = (set(episodes[episodes.split == s].skill) for s in ("train", "test"))
    assert train_skills and test_skills and not train_skills & test_skills
    assert "## Success per skill" in (out / "summary.md").read_text()
    assert '"ML10"' in (out / "benchmark.json").read_text()

    # the uncertainty path on it: test tasks are held-out skills with held-out objects, OOD ones held-out skills with
    # objects beyond the grid (OOD_DYNAMICS); the held-out AUROC compares test with training skills' episodes
    assert cli.main(["uncertainty", "--run", str(out), "--quick", "--no-progress"]) == 0, capsys.readouterr().err
    scored = pd.read_csv(out / "uncertainty" / "episodes.csv")
    skills = scored.groupby("set").skill.agg(set)
    held_out = {"door-close-v3", "drawer-open-v3", "lever-pull-v3", "shelf-place-v3", "sweep-into-v3"}  # ML10's test
    assert skills["train"] <= train_skills and (skills["test"] | skills["ood"]) <= held_out, skills
    assert set(scored[scored.set == "test"].kind) == {"interpolation", "extrapolation"}
    assert {tuple(d) for d in scored[scored.set == "ood"][list(FACTOR_NAMES)].to_numpy()} <= set(OOD_DYNAMICS)
    assert {"ood_auroc", "heldout_auroc"} <= set(pd.read_csv(out / "uncertainty" / "metrics.csv").metric)


def test_a_skill_without_a_free_object_is_refused_in_one_line(tmp_path, capsys):
    out = tmp_path / "mwd"
    args = ["run", "--benchmark", "metaworld-dynamics", "--env-name", "reach-v3", "--quick", "--out", str(out)]
    assert cli.main(args) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "--env-name reach-v3: choose one of ['push-v3'" in err, err
    assert not out.exists()
    assert cli.main([*args[:3], "--suite", "ML10", "--env-name", "push-v3", "--quick", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "--env-name push-v3 is only for ML1" in err, err


def test_the_scripted_policy_table_covers_every_ml10_skill(tmp_path, capsys):
    "`benchmarks/scripted_objects.py` (chapter 10b's table of which objects the scripted policies still move)."
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    import scripted_objects

    scripted_objects.main(
        ["--suite", "ML10", "--goals", "1", "--steps", "30", "--settings", "nominal", "--out", str(tmp_path)]
    )
    table = pd.read_csv(tmp_path / "scripted.csv")
    assert len(table) == 15 and set(table.setting) == {"nominal"} and (table.goals == 1).all()
    assert "| door-open-v3 |" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        scripted_objects.main(["--goals", "0"])
    assert "--goals 0 and --steps 500 must be >= 1" in capsys.readouterr().err
