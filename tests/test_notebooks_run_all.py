"""Every chapter runs top to bottom in a fresh Jupyter kernel, as JupyterLab's "Run All" does on a fresh clone: every
cell in order, `#| eval: false` and `#| slow` cells included (they are flags for nbdev, not for Jupyter), in the
notebook's own folder, except the closing `nbdev_export()` cell (below). Notebooks run in memory, two at a time (one
kernel per core): committed files stay as they are."""

import os, time, traceback
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import pytest

pytest.importorskip("nbclient", reason="nbclient is not installed: pip install -e '.[dev]'")

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "nbs").glob("*.ipynb"))
CELL_TIMEOUT = 900  # seconds; the slowest cell (Meta-World's predictor study) takes about two minutes on 2 cores


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


@pytest.fixture(scope="module")
def runs():
    "Every notebook run whole, two at a time, each in a process of its own: {name: (seconds, error)}."
    workers = min(2, os.cpu_count() or 1)
    with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
        return dict(zip((p.name for p in NOTEBOOKS), pool.map(run_all, NOTEBOOKS)))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_top_to_bottom(path, runs, record_property):
    seconds, error = runs[path.name]
    record_property("seconds", round(seconds, 1))
    assert error is None, f"{path.name}: Run All stops after {seconds:.0f} s:\n{error}"
