"""The documentation site, read by a real browser: the Quarto-free preview (`tools/docs_preview.py`) is built into
`_docs_preview/`, served from 127.0.0.1, and every page is opened in headless Chromium (Debian's `chromium`, driven
by Playwright). Each page must load without a JavaScript error and without asking any other host for anything (the
published pages must not depend on a CDN), show its title, the API docs of what its notebook exports, and its
figures, with something drawn in each. Screenshots of the front page and of chapters 07, 08, 09 and 14 (Results) are
saved to `_docs_preview/screenshots/`.

What each page must show is read from the notebooks themselves, so new chapters are checked as soon as they exist.
Without Chromium or Playwright the tests are skipped, except on CI (`CI` set), where they fail."""

import ast, html, json, os, re, subprocess, sys, threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NBS = ROOT / "nbs"
PREVIEW = ROOT / "_docs_preview"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
EVALUATION_CHAPTER = "07_evaluation"


def _cells(nb_path):
    return json.loads(Path(nb_path).read_text())["cells"]


def _source(cell):
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def _directives(source):
    return {m.group(1) for m in re.finditer(r"^#\|\s*([\w-]+)", source, re.M)}


def plain(markdown_title):
    "A title as the reader sees it: markdown code and emphasis marks rendered away."
    return re.sub(r"`([^`]*)`|\*\*?([^*]+)\*\*?", lambda m: m.group(1) or m.group(2), markdown_title)


def expected_page(nb_path):
    "What the page of `nb_path` must show, read from the notebook: file name, title, API names, image outputs."
    cells = _cells(nb_path)
    title = next(
        (
            m.group(1).strip()
            for c in cells
            if c["cell_type"] == "markdown"
            for m in [re.match(r"\s*#\s+(.+)", _source(c))]
            if m
        ),
        None,
    )
    api = []  # what nbdev's add_show_docs documents: public classes and functions of exported, shown cells
    for c in cells:
        src = _source(c)
        if c["cell_type"] != "code" or not {"export", "exports"} & _directives(src) or "hide" in _directives(src):
            continue
        tree = ast.parse("\n".join(l for l in src.splitlines() if not l.lstrip().startswith(("%", "!"))))
        api += [
            n.name
            for n in tree.body
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
            and (not n.name.startswith("_") or n.name.startswith("__"))
        ]
    figures = sum(
        any(k.startswith("image/") for k in o.get("data", {}))
        for c in cells
        if c["cell_type"] == "code"
        for o in c.get("outputs", [])
    )
    page = re.sub(r"^\d+[a-zA-Z0-9]*_", "", nb_path.name.lower())[: -len(".ipynb")] + ".html"  # as nbdev/Quarto name it
    return {"notebook": nb_path.stem, "page": page, "title": title, "api": api, "figures": figures}


def site_notebooks():
    nbs = [p for p in NBS.rglob("*.ipynb") if not any(part.startswith((".", "_")) for part in p.relative_to(NBS).parts)]
    return sorted(nbs, key=lambda p: (p.stem != "index", str(p.relative_to(NBS))))


PAGES = [expected_page(p) for p in site_notebooks()]
CHAPTERS = [p for p in PAGES if p["notebook"] != "index"]


@pytest.fixture(scope="session")
def preview():
    "A fresh build of the preview, served on 127.0.0.1; yields the base URL."
    r = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "docs_preview.py"), "--out", str(PREVIEW)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert r.returncode == 0, f"tools/docs_preview.py failed:\n{r.stdout}\n{r.stderr}"
    handler = partial(
        type("Quiet", (SimpleHTTPRequestHandler,), {"log_message": lambda *a: None}), directory=str(PREVIEW)
    )
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        if os.environ.get("CI"):
            raise
        pytest.skip('playwright is not installed: pip install -e ".[dev]"')
    if not Path(CHROMIUM).exists():
        missing = f"no Chromium at {CHROMIUM}: bash tools/install-system-packages.sh (or apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(missing)
        pytest.skip(missing)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def open_page(browser, preview, page_name):
    "Open a page; return it with the JavaScript errors and the requests to other hosts it made."
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    problems = {"js_errors": [], "foreign_requests": []}
    page.on("pageerror", lambda e: problems["js_errors"].append(str(e)))
    page.on("console", lambda m: m.type == "error" and problems["js_errors"].append(m.text))

    def only_local(route):
        if route.request.url.startswith(preview):
            route.continue_()
        else:
            problems["foreign_requests"].append(route.request.url)
            route.abort()

    page.route("**/*", only_local)
    response = page.goto(f"{preview}/{page_name}", wait_until="load")
    assert response and response.ok, f"{page_name}: HTTP {response and response.status}"
    return page, problems


def check_images(page, name):
    # Frames of an image slider (`meta_rl.striker.image_slider`) other than the shown one are hidden: loaded, not laid
    # out.
    images = page.eval_on_selector_all(
        "img",
        "els => els.map(e => [e.getAttribute('src').slice(0, 60), e.complete, "
        "e.naturalWidth, e.getBoundingClientRect().width, !!e.closest('.image-slider')])",
    )
    broken = [
        src
        for src, complete, natural, shown, in_slider in images
        if not (complete and natural > 0 and (shown > 0 or in_slider))
    ]
    assert not broken, f"{name}: images that did not load or have zero size: {broken}"
    return images


def test_image_slider_works_without_a_kernel(browser, preview):
    """The pre-rendered dynamics explorer of the Striker chapter: moving the slider shows another frame, with no
    JavaScript error."""
    page, problems = open_page(browser, preview, "striker.html")
    slider = page.locator(".image-slider").first
    assert slider.count() == 1, "striker.html: no image slider"
    visible = lambda: slider.locator("img").evaluate_all("els => els.findIndex(e => e.style.display != 'none')")
    before, label = visible(), slider.locator("output").inner_text()
    slider.locator("input[type=range]").fill("0")
    assert visible() == 0 != before and slider.locator("output").inner_text() != label
    assert not problems["js_errors"] and not problems["foreign_requests"], problems
    page.close()


def test_every_notebook_has_a_page():
    assert PAGES[0]["notebook"] == "index", "nbs/index.ipynb (the front page) is missing"
    assert CHAPTERS, "no chapters in nbs/"
    assert len({p["page"] for p in PAGES}) == len(PAGES), "two notebooks would become the same page"


@pytest.mark.parametrize("expected", PAGES, ids=[p["notebook"] for p in PAGES])
def test_page_reads_in_a_browser(browser, preview, expected):
    assert expected["title"], f"{expected['notebook']} has no '# Title' markdown cell"
    page, problems = open_page(browser, preview, expected["page"])
    try:
        title = page.locator("h1.title")
        assert title.is_visible() and title.inner_text().strip() == plain(expected["title"]), (
            f"{expected['page']}: title {title.inner_text()!r}, expected {expected['title']!r}"
        )
        for name in expected["api"]:  # nbdev's show_doc block, under the anchor nbdev's links point to
            doc = page.locator(f'.api-doc[id="{name.lower()}"]')
            assert doc.count() == 1 and doc.is_visible(), f"{expected['page']}: no API docs for {name}"
            assert name in doc.inner_text()
        images = check_images(page, expected["page"])
        figures = page.locator(".jp-OutputArea-output img")
        assert figures.count() >= expected["figures"], (
            f"{expected['page']}: {figures.count()} figures shown, the notebook has {expected['figures']} image outputs"
        )
        if expected["notebook"] == "index":
            assert images, "the front page shows no picture (the Striker)"
        # every request the page makes has been answered (or refused) before we judge it
        page.wait_for_load_state("networkidle")
        assert not problems["js_errors"], f"{expected['page']}: JavaScript errors {problems['js_errors']}"
        assert not problems["foreign_requests"], (
            f"{expected['page']}: requests beyond the site {problems['foreign_requests']}"
        )
    finally:
        page.close()


def test_front_page_links_every_chapter_in_order(browser, preview):
    page, problems = open_page(browser, preview, "index.html")
    try:
        links = page.eval_on_selector_all(".site-sidebar a", "els => els.map(e => e.getAttribute('href'))")
        assert links == [p["page"] for p in PAGES], f"sidebar {links}, expected {[p['page'] for p in PAGES]}"
        in_table = page.eval_on_selector_all(".site-content table a", "els => els.map(e => e.getAttribute('href'))")
        missing = [c["page"] for c in CHAPTERS if c["page"] not in in_table]
        assert not missing, f"the front page's chapter table does not link {missing}"
        for chapter in CHAPTERS:
            page.click(f'.site-sidebar a[href="{chapter["page"]}"]')
            page.wait_for_load_state("load")
            assert page.locator("h1.title").inner_text().strip() == plain(chapter["title"])
            page.go_back()
        assert not problems["js_errors"] and not problems["foreign_requests"], problems
    finally:
        page.close()


def test_screenshots_of_front_page_and_four_chapters(browser, preview):
    """Saves `_docs_preview/screenshots/front.png`, `evaluation.png` (chapter 07), `uncertainty.png` (chapter 08),
    `uncertainty_eval.png` (chapter 09) with `assessment.png`, its pre-rendered assessment explorer (the ball's path and
    the score's bars, one frame per slider position), and `results.png` (chapter 14)."""
    shots = PREVIEW / "screenshots"
    shots.mkdir(exist_ok=True)
    by_notebook = {p["notebook"]: p for p in PAGES}
    shots_of = (("front", "index"), ("evaluation", EVALUATION_CHAPTER), ("uncertainty", "08_uncertainty"))
    shots_of += (("uncertainty_eval", "09_uncertainty_eval"), ("results", "14_results"))
    for name, notebook in shots_of:
        page, _ = open_page(browser, preview, by_notebook[notebook]["page"])
        try:
            height = min(page.evaluate("document.documentElement.scrollHeight"), 4000)
            page.screenshot(
                path=str(shots / f"{name}.png"), full_page=True, clip={"x": 0, "y": 0, "width": 1400, "height": height}
            )
            if notebook == "09_uncertainty_eval":
                page.locator(".image-slider").first.screenshot(path=str(shots / "assessment.png"))
        finally:
            page.close()
        assert (shots / f"{name}.png").stat().st_size > 10_000
    assert (shots / "assessment.png").stat().st_size > 10_000


def test_previous_and_next_links_search_and_the_small_screen_menu(browser, preview):
    "Each chapter links its neighbours; the search box finds a chapter by its words; below 760 px a menu lists them."
    page, problems = open_page(browser, preview, CHAPTERS[1]["page"])
    try:
        assert page.get_attribute("a.page-prev", "href") == CHAPTERS[0]["page"]
        assert page.get_attribute("a.page-next", "href") == CHAPTERS[2]["page"]
        page.fill(".site-search input", "hopper stripes")
        page.wait_for_selector(".search-results a")
        found = page.eval_on_selector_all(".search-results a", "els => els.map(e => e.getAttribute('href'))")
        assert any(h.startswith("hopper.html") for h in found), found
        page.fill(".site-search input", "")
        page.set_viewport_size({"width": 600, "height": 900})
        assert not page.locator(".site-sidebar").is_visible() and page.locator(".site-menu").is_visible()
        page.click(".site-menu summary")
        links = page.eval_on_selector_all(".site-menu a", "els => els.map(e => e.getAttribute('href'))")
        assert links == [p["page"] for p in PAGES], links
        assert page.locator(f'.site-menu a[href="{PAGES[-1]["page"]}"]').is_visible()
        assert not problems["js_errors"] and not problems["foreign_requests"], problems
    finally:
        page.close()


def _built_pages() -> dict[str, str]:
    return {p.name: p.read_text() for p in sorted(PREVIEW.glob("*.html"))}


def test_every_link_to_an_anchor_finds_it(preview):
    "A link `page.html#anchor` (or `#anchor`) must land on an element with that id: nbdev's API links included."
    pages = _built_pages()
    ids = {name: {html.unescape(i) for i in re.findall(r'\sid="([^"]*)"', text)} for name, text in pages.items()}
    broken = sorted(
        {
            f"{name} -> {target or name}#{html.unescape(anchor)}"
            for name, text in pages.items()
            for target, anchor in re.findall(r'href="([\w.-]*\.html)?#([^"]+)"', text)
            if html.unescape(anchor) not in ids.get(target or name, set())
        }
        | {
            f"{name} -> {target}"
            for name, text in pages.items()
            for target in re.findall(r'href="([\w.-]*\.html)"', text)
            if target not in pages
        }
    )
    assert not broken, f"{len(broken)} links to a missing page or anchor: {broken}"


RAW_TABLE = re.compile(r"^\|.*\|[ \t]*\n\|(?:[ \t]*:?-{3,}:?[ \t]*\|)+[ \t]*$", re.M)


def test_no_output_shows_a_raw_markdown_table_or_a_warning(preview):
    """Tables are rendered (`display(Markdown(...))` or a DataFrame), never printed as pipes and dashes; a warning that
    a cell expects is silenced there (with the reason in a comment), so no page shows a warning box."""
    raw, warned = [], []
    for name, text in _built_pages().items():
        for mime, body in re.findall(r'data-mime-type="([^"]+)"[^>]*>\s*<pre>(.*?)</pre>', text, re.S):
            shown = html.unescape(body)
            if mime == "text/plain" and RAW_TABLE.search(shown):
                raw.append(f"{name}: {shown.strip().splitlines()[0][:80]}")
            if mime == "application/vnd.jupyter.stderr" and re.search(r"warn", shown, re.I):
                warned.append(f"{name}: {shown.strip().splitlines()[0][:120]}")
    assert not raw, f"raw markdown tables printed as text: {raw}"
    assert not warned, f"warning boxes: {warned}"


def test_api_docs_show_no_nonetype_numpy_repr_or_borrowed_docstring(preview):
    """A parameter that defaults to None is annotated (`ax: Axes | None = None`): no signature reads `ax:NoneType=None`;
    defaults are plain numbers, not `np.float64(0.30000000000000004)`; every documented name has its own docstring,
    not the "Call self as a function." Python gives a callable without one."""
    shown = set()
    for name, text in _built_pages().items():
        for block in re.findall(r'<div class="api-doc".*?</div>', text, re.S):
            plain_text = html.unescape(re.sub(r"<[^>]+>", "", block))
            shown |= {
                f"{name}: {m.group(0)}"
                for m in re.finditer(r"\w+:NoneType|np\.float64\([^)]*\)|Call self as a function\.", plain_text)
            }
    assert not shown, f"API docs showing NoneType, numpy reprs or no docstring: {sorted(shown)}"


DARK, FACE, EMPTY = 90, 200, 20  # spine pixels are darker than DARK, a face lighter than FACE; EMPTY: fewer marks


def axes_frames(rgb):
    """The axes of a matplotlib figure as the rectangles `(top, bottom, left, right)` that its spines draw: four dark
    straight lines around a light face. Axes without a full frame (heatmaps, despined seaborn grids) are not found."""
    import numpy as np

    dark = rgb.max(axis=2) < DARK
    height, width = dark.shape
    lines = []  # (row, first column, last column) of every long horizontal dark run
    for y in np.flatnonzero(dark.sum(axis=1) >= 40):
        edges = np.flatnonzero(np.diff(np.r_[0, dark[y].astype(int), 0]))
        lines += [(y, x0, x1) for x0, x1 in zip(edges[::2], edges[1::2]) if x1 - x0 >= max(40, width // 8)]
    rows, frames = np.array(sorted({y for y, _, _ in lines}), dtype=int), []
    starts = set(lines)
    for top, x0, x1 in lines:
        if (top - 1, x0, x1) in starts:  # the same run one row up: a thick line or a dark block is looked at once
            continue
        if top + 3 >= height or dark[top + 3, x0 + 3 : x1 - 3].mean() > 0.5:  # a top spine has the light face under it
            continue
        below = rows[rows > top + 30]
        # the rows where a line as long as this one's runs under it: the candidates for the frame's bottom spine
        for bottom in below[dark[below, x0 + 2 : x1 - 2].mean(axis=1) >= 0.98]:
            left = dark[top:bottom, max(x0 - 1, 0) : x0 + 3].any(axis=1).mean()
            right = dark[top:bottom, x1 - 3 : x1 + 1].any(axis=1).mean()
            face = rgb[top + 3 : bottom - 2, x0 + 3 : x1 - 2]
            if left > 0.9 and right > 0.9 and face.size and np.median(face.max(axis=2)) > FACE:
                if not any(abs(top - f[0]) <= 3 and abs(x0 - f[2]) <= 3 for f in frames):
                    frames.append((top, bottom, x0, x1))
                break
    return frames


def figure_problems(png: bytes) -> list[str]:
    """What is wrong with a figure: blank (under 1% of it is not white), or an axes whose face shows nothing (fewer
    than EMPTY pixels differ from its background colour: everything drawn fell outside its limits, or nothing was)."""
    import io

    import numpy as np
    from PIL import Image

    rgb = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))
    if (rgb.min(axis=2) < 235).mean() < 0.01:
        return ["blank"]
    problems = []
    for n, (top, bottom, left, right) in enumerate(axes_frames(rgb), 1):
        face = rgb[top + 3 : bottom - 2, left + 3 : right - 2].reshape(-1, 3).astype(int)
        packed = (face[:, 0] << 16) | (face[:, 1] << 8) | face[:, 2]  # one int per colour: a 1-d count is fast
        background = np.bincount(packed).argmax()
        background = np.array([background >> 16, (background >> 8) & 255, background & 255])
        marks = (np.abs(face - background).max(axis=1) > 30).sum()
        if marks < EMPTY:
            problems.append(f"panel {n} (at x={left}, y={top}) has nothing drawn in it")
    return problems


def test_the_figure_check_finds_an_empty_panel():
    "The check below, on figures made for it: one panel whose data lies outside its limits, a blank figure, a dot."
    import io

    mpl = pytest.importorskip("matplotlib")
    mpl.use("Agg")
    import matplotlib.pyplot as plt

    def png(fig):
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=100)
        plt.close(fig)
        return buffer.getvalue()

    fig, (drawn, empty) = plt.subplots(1, 2, figsize=(10, 4))
    drawn.plot([0, 1], [0, 1])
    empty.plot([0, 1], [5, 6])
    empty.set_ylim(-0.2, 1.3)  # chapter 08's old ball-path panel: the path runs above the limits
    problems = figure_problems(png(fig))
    assert len(problems) == 1 and "panel 2" in problems[0], problems
    assert figure_problems(png(plt.figure(figsize=(5, 4)))) == ["blank"]
    fig, ax = plt.subplots(figsize=(5, 4))
    ax.scatter([0.5], [0.5], s=14)
    assert figure_problems(png(fig)) == []


def test_every_figure_has_something_drawn(preview):
    "Every figure of every page (the PNGs of its outputs) passes `figure_problems`."
    import base64

    problems = [
        f"{name}: figure {k}: {p}"
        for name, text in _built_pages().items()
        for k, data in enumerate(re.findall(r'<img[^>]*src="data:image/png;base64,([^"]+)"', text), 1)
        for p in figure_problems(base64.b64decode(data))
    ]
    assert not problems, problems


def test_code_cells_fit_the_page_without_scrolling(browser, preview):
    """Code is formatted to 120 columns (ruff), and the page gives a code cell room for them: at 1280 px (no table of
    contents) and at 1600 px (with one), no code cell scrolls sideways."""
    wide = []
    for width in (1280, 1600):
        for expected in PAGES:
            page, _ = open_page(browser, preview, expected["page"])
            try:
                page.set_viewport_size({"width": width, "height": 900})
                n = page.eval_on_selector_all(
                    ".jp-InputArea-editor .highlight pre",
                    "els => els.filter(e => e.scrollWidth > e.clientWidth + 1).length",
                )
                if n:
                    wide.append(f"{expected['page']} at {width} px: {n} code cell(s)")
            finally:
                page.close()
    assert not wide, f"code cells that scroll sideways: {wide}"
