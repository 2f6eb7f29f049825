"""The chapters that hold cells `nbdev_test` never runs, run top to bottom in a fresh Jupyter kernel as JupyterLab's
"Run All" does on a fresh clone: every cell in order, `#| eval: false` cells included (a flag for nbdev, not for
Jupyter), widgets talking to a real kernel, in the notebook's own folder, except the closing `nbdev_export()` cell
(below). Every other cell of every chapter, `#| slow` ones included, is run by the README's `nbdev_test --flags slow`
(running all chapters twice cost CI 8 minutes). Notebooks run in memory, two at a time (one kernel per core): committed
files stay as they are."""

import os, re, time, traceback
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import pytest

pytest.importorskip("nbclient", reason="nbclient is not installed: pip install -e '.[dev]'")

ROOT = Path(__file__).resolve().parents[1]
KERNEL_ONLY = re.compile(r"^#\| eval: false|import ipywidgets|from ipywidgets|\binteract\(", re.M)


def needs_a_kernel(path: Path) -> bool:
    "Does a code cell of `path` skip `nbdev_test` (`#| eval: false`) or use widgets, which talk to a real kernel?"
    import nbformat

    cells = nbformat.read(path, as_version=4).cells
    return any(c.cell_type == "code" and KERNEL_ONLY.search(c.source) for c in cells)


ALL_NOTEBOOKS = sorted((ROOT / "nbs").glob("*.ipynb"))
NOTEBOOKS = [p for p in ALL_NOTEBOOKS if needs_a_kernel(p)]
CELL_TIMEOUT = 900  # seconds; far above any cell of these chapters (chapter 09 runs whole in about 25 s)


def sliced(get_msg, slice_s: float = 1.0):
    """`get_msg(timeout)` of a kernel client's channel, waiting in slices of `slice_s` seconds. nbclient 0.11 waits
    for a cell's reply in one poll as long as the cell's timeout; when widget messages cross it (chapter 09's sliders)
    the poll can miss the reply and sleep until that timeout, 15 minutes, before reading it (jupyter/nbclient#312)."""
    from queue import Empty

    async def get(timeout=None):
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            left = slice_s if deadline is None else min(slice_s, max(0.0, deadline - time.monotonic()))
            try:
                return await get_msg(timeout=left)
            except Empty:
                if deadline is not None and time.monotonic() >= deadline:
                    raise

    return get


def run_all(path: Path) -> tuple[float, str | None]:
    """Execute every code cell of `path` in a fresh `python3` kernel, in the notebook's folder: (wall time, error or
    None)."""
    import nbformat
    from nbclient import NotebookClient

    class Client(NotebookClient):
        async def async_start_new_kernel_client(self):
            kc = await super().async_start_new_kernel_client()
            kc.shell_channel.get_msg = sliced(kc.shell_channel.get_msg)
            return kc

    nb = nbformat.read(path, as_version=4)
    # The chapters' last cell, `nbdev.nbdev_export()`, rewrites meta_rl/ in place; other tests import meta_rl meanwhile
    # (a module read while it is rewritten fails to import), so it is left out here. CI checks the export itself.
    nb.cells = [c for c in nb.cells if not (c.cell_type == "code" and "nbdev_export()" in c.source)]
    client = Client(nb, kernel_name="python3", timeout=CELL_TIMEOUT, resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    try:
        client.execute()
    except Exception:
        return time.perf_counter() - start, traceback.format_exc(limit=1)[-6000:]
    return time.perf_counter() - start, None


def test_the_chapters_with_widgets_or_unevaluated_cells_are_the_ones_run_here():
    names = {p.name for p in NOTEBOOKS}
    assert {"01_striker.ipynb", "09_uncertainty_eval.ipynb"} <= names, names  # sliders; `#| eval: false` cells
    assert "00_dynamics.ipynb" not in names and "04_baselines.ipynb" not in names  # nbdev_test runs all their cells


@pytest.fixture(scope="module")
def runs():
    "Each chapter that needs a kernel run whole, two at a time, each in a process of its own: {name: (seconds, error)}."
    workers = min(2, os.cpu_count() or 1)
    with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
        return dict(zip((p.name for p in NOTEBOOKS), pool.map(run_all, NOTEBOOKS)))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_top_to_bottom(path, runs, record_property):
    seconds, error = runs[path.name]
    record_property("seconds", round(seconds, 1))
    assert error is None, f"{path.name}: Run All stops after {seconds:.0f} s:\n{error}"
