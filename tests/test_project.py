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
    for line in ('pip install torch==2.13.0 -e ".[dev]"', "nbdev_test --flags slow"):
        assert line in quick_start(readme)


def test_readme_lists_every_chapter():
    readme = (ROOT / "README.md").read_text()
    chapters = sorted(p.stem for p in (ROOT / "nbs").glob("[0-9][0-9]*.ipynb"))  # 03a_, 10a_ too
    assert chapters, "no chapters found"
    for c in chapters:
        assert f"`{c}`" in readme, f"README's chapter table misses {c}"


def test_ci_runs_the_readme_commands():
    """CI reads the Quick start's commands from the README and runs them as written: one runs the main job, one the
    tests."""
    sys.path.insert(0, str(ROOT / "tools"))
    from readme_commands import quick_start_commands

    run, test = quick_start_commands((ROOT / "README.md").read_text())
    assert run.startswith("pip install ") and "metarl run " in run and "--out " in run, run
    assert test.startswith("pip install ") and test.endswith(
        "nbdev_test --flags slow && python -m pytest -n auto --dist loadfile tests"
    ), test
    ci = (ROOT / ".ci" / "run").read_text()
    assert "tools/readme_commands.py" in ci and "bash tools/install-system-packages.sh" in ci
    assert "bash tools/install-system-packages.sh" in quick_start((ROOT / "README.md").read_text())


def test_opening_and_saving_a_notebook_in_jupyter_changes_nothing(tmp_path):
    """What JupyterLab does to a notebook it opens (the running kernel's kernelspec and language_info, execution
    counts, cell metadata) is undone by nbdev's pre-save hook (`nbdev_install_hooks`, settings.ini's jupyter_hooks):
    the saved file is the committed file, byte for byte."""
    contents = pytest.importorskip("jupyter_server.services.contents.filemanager", reason="pip install -e '.[dev]'")
    from nbdev.clean import clean_jupyter

    (tmp_path / "settings.ini").write_text((ROOT / "settings.ini").read_text())
    (tmp_path / "nbs").mkdir()
    manager = contents.FileContentsManager(root_dir=str(tmp_path), pre_save_hook=clean_jupyter)
    for path in sorted((ROOT / "nbs").glob("*.ipynb")):
        copy = tmp_path / "nbs" / path.name
        copy.write_bytes(path.read_bytes())
        nb = manager.get(f"nbs/{path.name}", content=True)["content"]
        nb.metadata.kernelspec = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
        nb.metadata.language_info = {"name": "python", "version": sys.version.split()[0], "file_extension": ".py"}
        for cell in nb.cells:
            if cell.cell_type == "code":
                cell.execution_count, cell.metadata["execution"] = 7, {"shell.execute_reply": "now"}
        manager.save({"type": "notebook", "format": "json", "content": nb}, f"nbs/{path.name}")
        assert copy.read_bytes() == path.read_bytes(), f"saving {path.name} in Jupyter rewrites it"


def test_gym_make_from_a_fresh_interpreter():
    code = (
        "import gymnasium as gym; e = gym.make('meta_rl.striker:meta_rl/Striker-v0'); o, _ = e.reset(seed=0); "
        "print(o.shape)"
    )
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
    r = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "env_speed.py"), "--steps", "0"], capture_output=True, text=True
    )
    assert r.returncode != 0 and "--steps" in r.stderr


MAIN_ENTRY_POINTS = [  # the function a reader of each chapter calls first: nbdev shows a comment per parameter
    "baselines.train",
    "baselines.load_agent",
    "ceiling.plan_task",
    "tuning.tune",
    "transition_predictor.train_transition_predictor",
    "hopper.body_tasks",
    "hopper.iida_predictor_table",
    "evaluation.evaluate",
    "evaluation.adapt",
    "evaluation.write_report",
    "evaluation.run",
    "uncertainty_eval.assess_run",
    "sweeps.run_sweep",
    "metaworld_uncertainty.assess_transition_run",
    "metaworld_uncertainty.plot_part_aurocs",
]


@pytest.mark.parametrize("name", MAIN_ENTRY_POINTS)
def test_main_entry_points_document_every_parameter(name):
    "Each parameter has its docment (a comment after it in the signature), which the docs show beside it."
    import importlib

    from fastcore.docments import docments

    module, function = name.rsplit(".", 1)
    documented = docments(getattr(importlib.import_module(f"meta_rl.{module}"), function))
    missing = [p for p, text in documented.items() if p != "return" and not text]
    assert not missing, f"meta_rl.{name}: parameters without a comment: {missing}"


def test_no_notebook_cell_mixes_imports_with_other_code():
    """nbdev's docs build runs a cell that imports something and also does something else on its own, out of
    context (nbdev FAQ): such a cell breaks the site although its notebook runs top to bottom. Imports get their own
    cells."""
    sys.path.insert(0, str(ROOT / "tools"))
    from docs_preview import cells_mixing_imports

    mixed = {nb.name: cells for nb in sorted((ROOT / "nbs").glob("*.ipynb")) if (cells := cells_mixing_imports(nb))}
    assert not mixed, f"notebook cells that mix imports with other code (give the imports a cell of their own): {mixed}"
