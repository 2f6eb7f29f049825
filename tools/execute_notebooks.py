"""Execute notebooks in place and keep their outputs, the way `nbdev_test` runs them, then `nbdev_clean` them.

Quarto (and our preview, `tools/docs_preview.py`) never executes a notebook: the figures and tables of the site are
the outputs saved in `nbs/*.ipynb`. This script refreshes those outputs:

    python tools/execute_notebooks.py                       # every notebook in nbs/ (make execute)
    python tools/execute_notebooks.py nbs/01_striker.ipynb  # some of them
    python tools/execute_notebooks.py --flags slow          # also run the cells flagged `#| slow`

Cells flagged with settings.ini's `tst_flags` (`#| slow`) are skipped unless forced with `--flags`, exactly as in
`nbdev_test`; a skipped cell keeps the outputs it had (the record of its last real run). Each notebook runs in a
fresh process with `IN_TEST=1`, in the notebook's folder. A notebook whose run fails is left untouched.
Outputs are made machine-independent: the repository path, the home folder and temporary folders are replaced by
placeholders, object addresses are blanked, and progress bars keep only their final state.
"""

from __future__ import annotations

import argparse, os, re, sys, time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def notebooks_in(nbs_path: Path) -> list[Path]:
    "Every notebook under `nbs_path` that nbdev would test, in chapter order."
    from nbdev.doclinks import nbglob

    return sorted(Path(p) for p in nbglob(nbs_path, as_path=True))


def _scrub_text(text: str, replacements: list[tuple[re.Pattern, str]]) -> str:
    for pattern, new in replacements:
        text = pattern.sub(new, text)
    return text


def _final_progress_state(text: str) -> str:
    "Keep only what a terminal would finally show of lines redrawn with carriage returns (tqdm bars)."
    return "\n".join(
        line.rsplit("\r", 1)[-1] if "\r" in line.rstrip("\r") else line.rstrip("\r") for line in text.split("\n")
    )


def machine_independent(cells, root: Path) -> None:
    "Rewrite outputs of `cells` in place so that they do not depend on where or when they ran."
    import site, sysconfig, tempfile

    # Longest first: site-packages lies under the home folder on many machines.
    paths = [(d, "<site-packages>") for d in site.getsitepackages() + [sysconfig.get_paths()["purelib"]]]
    paths += [(sysconfig.get_paths()["stdlib"], "<stdlib>"), (str(root), "."), (str(Path.home()), "~")]
    paths = sorted(set(paths), key=lambda p: -len(p[0]))
    replacements = [(re.compile(re.escape(p) + r"(?=[/\\\s'\"]|$)"), new) for p, new in paths if p not in ("", "/")]
    tmp = re.escape(tempfile.gettempdir().rstrip("/"))
    replacements += [
        (re.compile(tmp + r"/(tmp|pytest-of-)[\w.-]*"), "<tmpdir>"),
        (re.compile(r"\b0x[0-9a-fA-F]{8,}\b"), "0x..."),
    ]
    for cell in cells:
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream":
                text = "".join(out["text"]) if isinstance(out["text"], list) else out["text"]
                out["text"] = _scrub_text(_final_progress_state(text), replacements)
            for mime, value in (out.get("data") or {}).items():
                if mime.startswith("text/") and mime != "text/html" or mime == "text/html" and "<img" not in value:
                    text = "".join(value) if isinstance(value, list) else value
                    out["data"][mime] = _scrub_text(text, replacements)
            if out.get("output_type") == "error":
                out["traceback"] = [_scrub_text(t, replacements) for t in out["traceback"]]


def execute_notebook(path: Path, force_flags: tuple[str, ...] = ()) -> tuple[Path, bool, float, str]:
    "Run `path` as `nbdev_test` would and, if every cell passes, write its outputs back and `nbdev_clean` it."
    import io, contextlib
    import nbformat
    from execnb.nbio import nb2dict
    from execnb.shell import CaptureShell
    from fastcore.xtras import working_directory
    from nbdev.config import get_config
    from nbdev.clean import nbdev_clean
    from nbdev.process import NBProcessor
    from nbdev.frontmatter import FrontmatterProc

    os.environ["IN_TEST"] = "1"  # as nbdev_test: notebooks may use it to pick tiny budgets
    os.environ.setdefault("TQDM_MININTERVAL", "60")  # fewer progress-bar redraws in the saved outputs
    cfg = get_config()
    skip = set(cfg.get("tst_flags", "").split()) - set(force_flags)
    nb = NBProcessor(path, rm_directives=False).nb  # the cells as written, with their parsed `#|` directives
    if str2bool_(
        getattr(NBProcessor(path, procs=FrontmatterProc, process=True).nb, "frontmatter_", {}).get("skip_exec", False)
    ):
        return path, True, 0.0, "skipped (skip_exec)"

    def dont_run(cell):
        if cell.cell_type != "code":
            return True
        if "nbdev_export" + "(" in cell.source:
            return True
        directives = cell.directives_ or {}
        if directives.get("eval:", [""])[0].lower() == "false":
            return True
        return bool(skip & directives.keys())

    kept = [c for c in nb.cells if c.cell_type == "code" and dont_run(c) and c.get("outputs")]
    kept_outputs = {id(c): c.outputs for c in kept}
    # execnb stores a cell's outputs only when it has some: a cell that fell silent would keep its old ones
    for c in nb.cells:
        if c.cell_type == "code" and not dont_run(c):
            c.outputs = []
    start, log = time.time(), io.StringIO()
    shell = CaptureShell(path)
    try:
        with working_directory(path.parent), contextlib.redirect_stdout(log):
            shell.run_all(nb, exc_stop=True, preproc=dont_run)
    except Exception:
        return path, False, time.time() - start, shell.prettytb(fname=path)
    for c in nb.cells:
        if id(c) in kept_outputs:
            c.outputs = kept_outputs[id(c)]
        elif c.cell_type == "code" and dont_run(c):
            c.outputs = []
    machine_independent(nb.cells, cfg.config_path)
    # nbformat's own layout (multi-line strings as lists), the one Jupyter writes: opening and saving changes nothing.
    nbformat.write(nbformat.from_dict(nb2dict(nb)), str(path))
    with contextlib.redirect_stdout(io.StringIO()):
        nbdev_clean(fname=str(path))
    note = f"kept the outputs of {len(kept)} skipped cell(s)" if kept else ""
    return path, True, time.time() - start, note


def str2bool_(v) -> bool:
    from fastcore.basics import str2bool

    return str2bool(v) if isinstance(v, str) else bool(v)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "notebooks", nargs="*", type=Path, help="notebooks to execute (default: every notebook in nbs/)"
    )
    parser.add_argument("--flags", default="", help="space-separated tst_flags to run anyway, e.g. 'slow'")
    parser.add_argument("--workers", type=int, default=1, help="notebooks run at the same time (default 1)")
    args = parser.parse_args(argv)
    if args.workers < 1:
        parser.error(f"--workers must be at least 1, got {args.workers}")
    os.chdir(ROOT)
    from nbdev.config import get_config

    paths = [p.resolve() for p in args.notebooks] or notebooks_in(get_config().nbs_path)
    for p in paths:
        if p.suffix != ".ipynb" or not p.is_file():
            parser.error(f"not a notebook: {p}")
    flags = tuple(args.flags.split())
    failed = []
    # A fresh process per notebook, as nbdev_test: no state (imports, registrations, rcParams) leaks between them.
    with ProcessPoolExecutor(args.workers, mp_context=get_context("spawn"), max_tasks_per_child=1) as pool:
        for path, ok, secs, note in pool.map(execute_notebook, paths, [flags] * len(paths)):
            name = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
            if ok:
                print(f"{name}: executed in {secs:.0f} s{'; ' + note if note else ''}")
            else:
                failed.append(name)
                print(f"{name}: FAILED after {secs:.0f} s, left unchanged\n{note}", file=sys.stderr)
    if failed:
        print(f"failed: {', '.join(map(str, failed))}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
