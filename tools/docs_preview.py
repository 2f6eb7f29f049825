"""Build a Quarto-free preview of the documentation site into `_docs_preview/` (`make docs-preview`).

`nbdev_docs` needs Quarto. This preview runs the same first half: every notebook in `nbs/` goes through nbdev's own
doc processors (`nbdev.processors.FilterDefaults`, driven by `nbdev.serve_drv.main` as `nbdev_proc_nbs` does:
frontmatter from the `# Title` cell, `#| hide` / `#| export` removed, `show_doc` added after exported code and
executed, links to the API added). The second half, Quarto's, is replaced by nbconvert's HTML exporter with a small
template: one page per notebook, named as Quarto names it (`01_striker.ipynb` -> `striker.html`), a sidebar linking
every page in chapter order, and no request to any network (no CDN: no require.js, MathJax or widget JavaScript;
maths is rendered to MathML when `latex2mathml` is installed).

Notebooks are not executed here, as Quarto does not execute them: figures and tables are the outputs saved in the
notebooks (refresh them with `make execute`).

    python tools/docs_preview.py            # -> _docs_preview/index.html
    python tools/docs_preview.py --out DIR
"""

from __future__ import annotations

import argparse, html, json, os, re, shutil, sys, tempfile, traceback, warnings
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Page:
    "One notebook of the site and the HTML page it becomes."

    notebook: Path  # source notebook, relative to the repository
    page: str  # output file name, as Quarto names it
    title: str = ""
    description: str = ""
    api_docs: list[str] = field(default_factory=list)  # anchors of the show_doc blocks on the page
    figures: int = 0  # image outputs on the page


# ----------------------------------------------------------------------------------------------------------------
# 1. nbdev's processing, one fresh process per notebook (as `nbdev_proc_nbs` / `nbdev_docs`).


def _process_notebook(src: Path, dst: Path) -> str | None:
    "Run nbdev's doc processors on `src` and write the result to `dst`; return the error, if any."
    os.chdir(ROOT)
    import nbdev.serve_drv
    from nbdev.processors import FilterDefaults

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # nbdev's import warning: reported once, by cells_mixing_imports
        try:
            nbdev.serve_drv.main((src, dst, FilterDefaults))
        except Exception as e:
            cause = "".join(traceback.format_exception_only(e.__cause__)) if e.__cause__ else ""
            return f"{e}\n{cause}"
    return None


def notebooks_in_order(nbs_path: Path) -> list[Path]:
    "The notebooks of the site as nbdev's sidebar lists them: `index.ipynb` first, then by path (00_, 01_, ...)."
    from nbdev.doclinks import nbglob

    nbs = sorted(Path(p).relative_to(nbs_path) for p in nbglob(nbs_path, as_path=True))
    return sorted(nbs, key=lambda p: (p.stem != "index" or p.parent != Path("."), str(p)))


def cells_mixing_imports(nb_path: Path) -> list[int]:
    "Code cells nbdev's docs build would run out of context: an import together with other statements (nbdev FAQ)."
    import ast
    from nbdev.process import NBProcessor
    from nbdev.processors import _do_eval

    found = []
    for i, cell in enumerate(NBProcessor(nb_path, rm_directives=False).nb.cells):
        if cell.cell_type != "code" or not cell.source:
            continue
        try:
            trees = cell.parsed_()
        except SyntaxError:
            continue
        if not trees or (cell.directives_ or {}).keys() & {"export", "exports", "exporti", "exec_doc"}:
            continue
        nodes = [n for t in trees for n in ast.walk(t)]
        if (
            any(isinstance(n, (ast.Import, ast.ImportFrom)) for n in nodes)
            and any(isinstance(n, (ast.Expr, ast.Assign)) for n in nodes)
            and _do_eval(cell)
        ):
            found.append(i)
    return found


def process_notebooks(nbs_path: Path, notebooks: list[Path], proc_dir: Path, workers: int) -> None:
    for nb in notebooks:
        if mixed := cells_mixing_imports(nbs_path / nb):
            print(
                f"warning: {nb}: cell(s) {mixed} mix imports with other code; nbdev_docs runs such cells on their own, "
                "out of context. Give the imports a cell of their own.",
                file=sys.stderr,
            )
    for nb in notebooks:
        (proc_dir / nb).parent.mkdir(parents=True, exist_ok=True)
    with ProcessPoolExecutor(workers, mp_context=get_context("spawn"), max_tasks_per_child=1) as pool:
        jobs = {nb: pool.submit(_process_notebook, nbs_path / nb, proc_dir / nb) for nb in notebooks}
        errors = [
            f"{nb}: nbdev's doc processing failed (nbdev_docs would fail the same way):\n{error}"
            for nb, job in jobs.items()
            if (error := job.result())
        ]
    if errors:
        hint = (
            "\nnbdev executes every cell that imports something while building the docs; a cell that mixes imports "
            "with other code runs out of context. Keep imports in cells of their own (nbdev FAQ)."
        )
        raise SystemExit("\n\n".join(errors) + (hint if "NameError" in "".join(errors) else ""))


# ----------------------------------------------------------------------------------------------------------------
# 2. From nbdev's processed notebook (Quarto input) to plain notebook cells nbconvert can render.

_re_directive = re.compile(r"^#\|\s*([\w-]+)\s*:?\s*(.*?)\s*$")
_re_pandoc_link = re.compile(r"\[([^\]\n]+)\]\(([^)\s]+)\)\{([^}\n]*)\}")
_re_fence_div = re.compile(r"^:::+\s*(?:\{([^}]*)\}|([\w-]+))?\s*$", re.M)
_re_code = re.compile(r"(```.*?```|`[^`\n]*`)", re.S)
_re_math = re.compile(r"\$\$(.+?)\$\$|(?<![\\$\w])\$(?!\s)([^$\n]+?)(?<![\s\\])\$(?![\w$])", re.S)


def split_directives(source: str) -> tuple[dict[str, str], str]:
    "Quarto's `#| key: value` lines at the top of a code cell, and the code without them."
    lines, directives = source.splitlines(), {}
    while lines and (m := _re_directive.match(lines[0])):
        directives[m.group(1)] = m.group(2).strip("\"'")
        lines.pop(0)
    return directives, "\n".join(lines).strip("\n")


def _pandoc_link(m: re.Match) -> str:
    text, url, attrs = m.groups()
    keep = dict(re.findall(r'(target|title)="([^"]*)"', attrs))
    extra = "".join(f' {k}="{html.escape(v)}"' for k, v in keep.items())
    css = " ".join(c[1:] for c in attrs.split() if c.startswith("."))
    return f'<a href="{html.escape(url)}"{extra} class="{css or "source-link"}">{html.escape(text)}</a>'


def _fence_div(m: re.Match) -> str:
    attrs = m.group(1) or (f".{m.group(2)}" if m.group(2) else None)
    if attrs is None:
        return "\n</div>\n"
    classes = " ".join(c[1:] for c in attrs.split() if c.startswith("."))
    return f'\n<div class="{html.escape(classes)}">\n'


def _math_to_mathml(text: str) -> str:
    try:
        from latex2mathml.converter import convert
    except ImportError:
        return text  # TeX stays readable as it is

    def one(m):
        tex, display = (m.group(1), "block") if m.group(1) is not None else (m.group(2), "inline")
        try:
            return convert(tex.strip(), display=display)
        except Exception:
            return m.group(0)

    parts = _re_code.split(text)
    return "".join(p if i % 2 else _re_math.sub(one, p) for i, p in enumerate(parts))


def quarto_markdown_to_commonmark(text: str) -> str:
    "The few Pandoc/Quarto extensions nbdev's output uses: link attributes, fenced divs (callouts), TeX maths."
    parts = _re_code.split(text)
    text = "".join(
        p if i % 2 else _re_fence_div.sub(_fence_div, _re_pandoc_link.sub(_pandoc_link, p)) for i, p in enumerate(parts)
    )
    return _math_to_mathml(text)


def _anchor(title: str) -> str:
    "Quarto's section id for a heading: lower case, spaces to dashes."
    return re.sub(r"[^\w.\-]", "", title.strip().lower().replace(" ", "-"))


def render_show_doc(markdown: str, link_base: str) -> tuple[str, str]:
    "A show_doc output (markdown) as an API block `<div class='api-doc' id=...>` and its anchor."
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    heading = re.search(r"^#{2,4}\s+(.+?)\s*$", markdown, re.M)
    anchor = _anchor(heading.group(1)) if heading else ""
    body = markdown2html_mistune(quarto_markdown_to_commonmark(markdown.replace("\n---\n", "\n", 1).lstrip("-\n")))
    return f'<div class="api-doc" id="{anchor}">\n{localise_links(body, link_base)}\n</div>', anchor


def localise_links(text: str, link_base: str) -> str:
    "Links to the published site (`doc_host` + `doc_baseurl`) point to the preview's own pages."
    return text.replace(link_base, "") if link_base else text


def to_plain_notebook(proc_nb_path: Path, page: Page, link_base: str):
    "Read nbdev's processed notebook and rewrite it into cells nbconvert renders as Quarto would."
    import nbformat, yaml

    nb = nbformat.read(proc_nb_path, as_version=4)
    cells = []
    for cell in nb.cells:
        src = cell.source
        if cell.cell_type == "raw" and src.lstrip().startswith("---"):
            fm = yaml.safe_load(src.strip().strip("-")) or {}
            page.title, page.description = str(fm.get("title", "")), str(fm.get("description", ""))
            page.page = fm.get("output-file", page.page)
            continue
        if cell.cell_type == "markdown":
            if src.strip().startswith("<!-- WARNING"):
                continue
            cell.source = localise_links(quarto_markdown_to_commonmark(src), link_base)
            cells.append(cell)
            continue
        if cell.cell_type != "code":
            continue
        directives, code = split_directives(src)
        if directives.get("include") == "false":
            continue
        tags = set(cell.metadata.get("tags", []))
        if directives.get("echo") == "false" or not code.strip():
            tags.add("remove_input")
        if directives.get("output") == "false":
            cell.outputs = []
        if "code-fold" in directives:
            tags.add("code-fold")
        cell.source = code
        outputs = []
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if re.match(r"\s*show_doc\(", code) and "text/markdown" in data:
                block, anchor = render_show_doc(data["text/markdown"], link_base)
                page.api_docs.append(anchor)
                out = nbformat.v4.new_output("display_data", data={"text/html": block})
            elif "text/markdown" in data:
                data["text/markdown"] = localise_links(quarto_markdown_to_commonmark(data["text/markdown"]), link_base)
            if any(k.startswith("image/") for k in data):
                page.figures += 1
            outputs.append(out)
        cell.outputs = outputs
        cell.metadata["tags"] = sorted(tags)
        cells.append(cell)
    nb.cells = cells
    nb.metadata.pop("widgets", None)  # the preview has no widget manager (and no CDN to fetch one from)
    return nb


# ----------------------------------------------------------------------------------------------------------------
# 3. HTML: nbconvert's lab template (inlined CSS, syntax highlighting), with its CDN scripts removed and a site frame.

TEMPLATE = r"""
{%- extends 'lab/index.html.j2' -%}
{%- block html_head_js_requirejs -%}{%- endblock -%}
{%- block html_head_js_mathjax -%}{%- endblock -%}
{%- block html_head_js_mermaidjs -%}{%- endblock -%}
{%- block jupyter_widgets -%}{%- endblock -%}
{%- block html_head_css -%}<style>{{ resources.site.css }}</style>{%- endblock -%}
{%- block body_header -%}
<body class="jp-Notebook" data-jp-theme-light="true" data-jp-theme-name="JupyterLab Light">
<nav class="site-navbar"><a class="site-title" href="index.html">{{ resources.site.title | e }}</a>
<details class="site-menu"><summary>Chapters</summary><ol>
{%- for p in resources.site.pages %}<li><a href="{{ p.page }}">{{ p.title }}</a></li>{% endfor -%}
</ol></details>
<div class="site-search"><input type="search" placeholder="Search" aria-label="Search the site">
<ol class="search-results" hidden></ol></div>
{%- if resources.site.git_url %}<a class="site-repo" href="{{ resources.site.git_url }}">Source on GitHub</a>
{%- endif -%}
</nav>
<div class="site-body">
<aside class="site-sidebar" aria-label="Chapters"><ol>
{%- for p in resources.site.pages %}
<li{% if p.page == resources.site.current %} class="active"{% endif %}><a href="{{ p.page }}">{{ p.title }}</a></li>
{%- endfor %}
</ol></aside>
<main class="site-content">
<header class="page-header"><h1 class="title">{{ resources.site.page_title }}</h1>
{%- if resources.site.description %}<div class="description">{{ resources.site.description }}</div>{% endif -%}
</header>
{%- endblock body_header -%}
{%- block input_group -%}
{%- if 'code-fold' in cell.metadata.get('tags', []) -%}
<details class="code-fold" open><summary>Exported source</summary>{{ super() }}</details>
{%- else -%}{{ super() }}{%- endif -%}
{%- endblock input_group -%}
{%- block data_widget_view scoped -%}
<div class="jp-OutputArea-output widget-placeholder">Interactive widget: it runs in Jupyter with a live kernel.
{%- if 'text/plain' in output.data %}<pre>{{ output.data['text/plain'] | e }}</pre>{% endif %}</div>
{%- endblock data_widget_view -%}
{%- block body_footer -%}
<nav class="page-nav" aria-label="Previous and next chapter">
{%- set prev, next = resources.site.prev, resources.site.next -%}
{%- if prev %}<a class="page-prev" href="{{ prev.page }}">&larr; {{ prev.title }}</a>{% endif -%}
{%- if next %}<a class="page-next" href="{{ next.page }}">{{ next.title }} &rarr;</a>{% endif -%}
</nav>
</main>
<nav class="page-toc" aria-label="On this page">{{ resources.site.toc }}</nav>
</div>
<script>{{ resources.site.search_js }}</script>
</body>
{%- endblock body_footer -%}
{%- block footer -%}
</html>
{%- endblock footer -%}
"""

SITE_CSS = """
:root { --site-accent: #2780e3; --jp-content-font-size1: 15px; }
html { scroll-padding-top: 4rem; }
body.jp-Notebook { margin: 0; padding: 0; background: #fff; overflow: visible;
  font-family: var(--jp-content-font-family); color: #212529; }
.site-navbar { position: sticky; top: 0; z-index: 10; display: flex; align-items: center; gap: 1.5rem;
  background: var(--site-accent); color: #fff; padding: .6rem 1.5rem; font-family: var(--jp-ui-font-family); }
.site-navbar a { color: #fff; text-decoration: none; } .site-title { font-weight: 600; font-size: 1.15rem; }
.site-repo { margin-left: auto; opacity: .9; font-size: .9rem; }
.site-body { display: flex; align-items: flex-start; max-width: 1600px; margin: 0 auto; }
.site-sidebar { position: sticky; top: 3.2rem; flex: 0 0 230px; padding: 1.5rem 1rem;
  font-family: var(--jp-ui-font-family); font-size: .92rem; max-height: calc(100vh - 4rem); overflow-y: auto; }
.site-sidebar ol { list-style: none; margin: 0; padding: 0; }
.site-sidebar li { margin: 0 0 .35rem 0; } .site-sidebar a { color: #343a40; text-decoration: none; display: block;
  padding: .25rem .6rem; border-left: 2px solid transparent; }
.site-sidebar a:hover { color: var(--site-accent); }
.site-sidebar li.active a { color: var(--site-accent); border-left-color: var(--site-accent); font-weight: 600; }
.site-content { flex: 1 1 auto; min-width: 0; max-width: 1040px; padding: 1.5rem 2rem 4rem 2rem; }
.page-toc { position: sticky; top: 3.2rem; flex: 0 0 200px; padding: 1.8rem 1rem; font-family: var(--jp-ui-font-family);
  font-size: .85rem; max-height: calc(100vh - 4rem); overflow-y: auto; }
.page-toc:empty { display: none; }
.page-toc h2 { font-size: .9rem; margin: 0 0 .5rem 0; } .page-toc ul { list-style: none; margin: 0; padding: 0; }
.page-toc li { margin: .3rem 0; } .page-toc a { color: #6c757d; text-decoration: none; }
.page-toc a:hover { color: var(--site-accent); }
@media (max-width: 1599px) { .page-toc { display: none; } }  /* below it, code's 120 columns need the room */
.site-menu { display: none; position: relative; color: #fff; } .site-menu summary { cursor: pointer; }
@media (max-width: 760px) { .site-sidebar { display: none; } .site-content { padding: 1rem; }
  .site-menu { display: block; } }
.site-menu ol { position: absolute; top: 1.8rem; left: 0; background: #fff; list-style: none; margin: 0;
  padding: .5rem 1rem; border: 1px solid #dee2e6; border-radius: 6px; min-width: 240px; max-height: 70vh;
  overflow-y: auto; }
.site-menu ol a, .search-results a { color: #343a40; display: block; padding: .2rem 0; }
.site-search { position: relative; margin-left: auto; } .site-search input { padding: .2rem .5rem; border-radius: 4px;
  border: 1px solid #ced4da; width: 14rem; max-width: 40vw; }
.search-results { position: absolute; right: 0; top: 2rem; background: #fff; list-style: none; margin: 0;
  padding: .5rem 1rem; border: 1px solid #dee2e6; border-radius: 6px; width: 24rem; max-width: 90vw; max-height: 70vh;
  overflow-y: auto; }
.search-results small { color: #6c757d; display: block; }
.page-nav { display: flex; justify-content: space-between; gap: 1rem; margin: 2.5rem 0 1rem; padding-top: 1rem;
  border-top: 1px solid #dee2e6; } .page-nav a { text-decoration: none; } .page-next { margin-left: auto; }
.page-header { margin-bottom: 1.5rem; padding-bottom: 1rem; border-bottom: 1px solid #dee2e6; }
.page-header h1.title { font-size: 34px; margin: 8px 0 10px 0; font-weight: 600; line-height: 1.2; }
.page-header .description { font-size: 18px; line-height: 1.5; color: #6c757d; margin: 0; }
.page-header .description p { margin: 0; }
.jp-Cell { padding: 0; margin: 0 0 .6rem 0; }
.jp-RenderedHTMLCommon { font-size: 15px; line-height: 1.6; padding-right: 0; }
.jp-RenderedHTMLCommon h2 { margin-top: 2rem; padding-bottom: .3rem; border-bottom: 1px solid #dee2e6; }
.jp-InputArea-editor { border: none; border-radius: 4px; background: #f7f7f9; }
.jp-InputArea, .jp-InputArea-editor { overflow: visible; }
.jp-InputArea-editor .highlight pre, .jp-OutputArea-output pre { overflow-x: auto; }
.jp-RenderedHTMLCommon pre { overflow-x: auto; }
.jp-OutputArea-output pre { font-size: 13px; }
.jp-InputArea-editor .highlight pre { font-size: 12.5px; }  /* 120 columns of code in the content column */
.jp-OutputArea-output { border-left: 2px solid lightsalmon; padding-left: .8rem; margin-left: .2rem; }
.jp-OutputArea-output.jp-RenderedHTMLCommon, .jp-OutputArea-output:has(.api-doc) { border-left: none; padding-left: 0; }
.jp-RenderedImage img, .jp-RenderedMarkdown img { max-width: 100%; height: auto; }
.jp-RenderedHTMLCommon table { font-size: 13px; }
.jp-OutputArea-output.jp-RenderedHTML { overflow-x: auto; }
.page-header h1.title code, .site-sidebar code { font-size: .9em; background: none; padding: 0; }
details.code-fold > summary { cursor: pointer; color: #6c757d; font-size: .9rem; margin-bottom: .3rem; }
.api-doc { border: 1px solid #dee2e6; border-radius: 6px; padding: .8rem 1.2rem; margin: 1rem 0 1.5rem 0;
  box-shadow: 0 1px 2px rgba(0,0,0,.05); }
.api-doc h2, .api-doc h3, .api-doc h4 { margin-top: .3rem; border-bottom: none; }
.api-doc .highlight { background: #f7f7f9; border-radius: 4px; }
.jp-RenderedMarkdown .highlight { background: #f7f7f9; border-radius: 4px; padding: .1rem .8rem; margin: .4rem 0; }
.jp-OutputArea-output.jp-RenderedMarkdown .highlight pre { white-space: pre-wrap; }  /* commands: wrapped, no scroll */
.api-doc a.source-link { float: right; font-size: smaller; }
.widget-placeholder { color: #6c757d; font-style: italic; }
.callout, [class^="callout-"], [class*=" callout-"] { border-left: 4px solid var(--site-accent); background: #f4f8fd;
  padding: .5rem 1rem; margin: 1rem 0; border-radius: 4px; }
math { font-size: 1.1em; } math[display="block"] { margin: .6rem 0; }
"""


SEARCH_JS = """
(() => {
  const box = document.querySelector('.site-search input'), list = document.querySelector('.search-results');
  let index = null;
  const esc = t => t.replace(/[&<>"]/g, c => ({'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;'}[c]));
  async function search() {
    const words = box.value.toLowerCase().split(/\\s+/).filter(w => w.length > 1);
    if (!words.length) { list.hidden = true; return; }
    index = index || await (await fetch('search.json')).json();
    const found = e => words.every(w => e.text.includes(w) || e.title.toLowerCase().includes(w));
    const hits = index.filter(found).slice(0, 12);
    const item = e => `<li><a href="${e.href}">${esc(e.title)}<small>${esc(e.page)}</small></a></li>`;
    list.innerHTML = hits.length ? hits.map(item).join('') : '<li>No match</li>';
    list.hidden = false;
  }
  box.addEventListener('input', search);
  document.addEventListener('click', e => { if (!e.target.closest('.site-search')) list.hidden = true; });
})();
"""


def search_entries(page: str, page_title: str, body_html: str) -> list[dict]:
    "The page's sections (split at its h2/h3 headings) as search entries: where to go, their title and their words."
    plain = lambda t: re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", t))).strip()
    main = body_html.split('<main class="site-content">', 1)[-1].split("</main>", 1)[0]
    parts = re.split(r'(<h[23] id="[^"]+">.*?</h[23]>)', main, flags=re.S)
    entries, href, title = [], page, plain(page_title)
    for chunk in parts:
        m = re.match(r'<h[23] id="([^"]+)">(.*?)</h[23]>', chunk, re.S)
        if m:
            href, title = f"{page}#{m.group(1)}", f"{plain(page_title)}: {plain(m.group(2)).rstrip('¶').strip()}"
            continue
        text = plain(chunk).lower()
        if text:
            entries.append({"page": page, "href": href, "title": title, "text": text[:4000]})
    return entries


def page_toc(body_html: str) -> str:
    "A table of contents of the page's level-2 sections (Quarto's `toc: true`)."
    items = re.findall(r'<h2 id="([^"]+)">(.*?)<a class="anchor-link"', body_html)
    if not items:
        return ""
    lis = "".join(f'<li><a href="#{html.escape(i)}">{t}</a></li>' for i, t in items)
    return f"<h2>On this page</h2><ul>{lis}</ul>"


def render_pages(pages: list[Page], notebooks: dict[str, object], out: Path, site: dict) -> None:
    from jinja2 import DictLoader
    from nbconvert import HTMLExporter
    from nbconvert.filters.markdown_mistune import markdown2html_mistune
    from traitlets.config import Config

    config = Config()
    config.TagRemovePreprocessor.enabled = True
    config.TagRemovePreprocessor.remove_input_tags = {"remove_input"}  # Quarto's `#| echo: false`
    exporter = HTMLExporter(
        config=config,
        extra_loaders=[DictLoader({"preview.html.j2": TEMPLATE})],
        template_file="preview.html.j2",
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )

    def inline(text):  # titles are markdown too (Quarto renders `code` in a title as code)
        return re.sub(
            r"^<p>(.*)</p>\s*$", r"\1", markdown2html_mistune(quarto_markdown_to_commonmark(text)).strip(), flags=re.S
        )

    nav = [{"page": p.page, "title": inline(p.title or p.notebook.stem)} for p in pages]
    index = []
    for n, p in enumerate(pages):
        description = markdown2html_mistune(quarto_markdown_to_commonmark(p.description)) if p.description else ""
        resources = {
            "site": {
                **site,
                "pages": nav,
                "current": p.page,
                "page_title": inline(p.title or p.notebook.stem),
                "description": localise_links(description, site["link_base"]),
                "toc": "",
                "prev": nav[n - 1] if n > 0 else None,
                "next": nav[n + 1] if n + 1 < len(nav) else None,
                "search_js": SEARCH_JS,
            },
            "metadata": {"name": p.title or p.notebook.stem},
        }
        body, _ = exporter.from_notebook_node(notebooks[p.page], resources=resources)
        body = re.sub(
            r'(<nav[^>]*class="page-toc"[^>]*>)(</nav>)', lambda m: m.group(1) + page_toc(body) + m.group(2), body
        )
        (out / p.page).write_text(body, encoding="utf-8")
        index += search_entries(p.page, p.title or p.notebook.stem, body)
    (out / "search.json").write_text(json.dumps(index), encoding="utf-8")


def copy_assets(nbs_path: Path, out: Path) -> None:
    "Everything in `nbs/` that is not a notebook or site configuration (images, styles), as Quarto copies it."
    for src in nbs_path.rglob("*"):
        rel = src.relative_to(nbs_path)
        if (
            src.is_dir()
            or src.suffix in (".ipynb", ".yml", ".yaml")
            or any(part.startswith((".", "_")) for part in rel.parts)
        ):
            continue
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, out / rel)


def build(out: Path, workers: int = 2) -> list[Page]:
    os.chdir(ROOT)
    from nbdev.config import get_config

    cfg = get_config()
    nbs_path = cfg.nbs_path
    notebooks = notebooks_in_order(nbs_path)
    if not notebooks:
        raise SystemExit(f"no notebooks found in {nbs_path}")
    site = {
        "title": cfg.get("title", cfg.lib_name),
        "git_url": cfg.get("git_url", ""),
        "css": SITE_CSS,
        "link_base": cfg.get("doc_host", "").rstrip("/") + "/" + cfg.get("doc_baseurl", "").strip("/") + "/",
    }
    with tempfile.TemporaryDirectory(prefix="docs_preview_proc_") as tmp:
        proc_dir = Path(tmp)
        process_notebooks(nbs_path, notebooks, proc_dir, workers)
        if out.exists():
            shutil.rmtree(out)
        out.mkdir(parents=True)
        pages, rendered = [], {}
        for nb in notebooks:
            page = Page(notebook=(nbs_path / nb).relative_to(ROOT), page=nb.with_suffix(".html").name)
            plain = to_plain_notebook(proc_dir / nb, page, site["link_base"])
            if page.page in rendered:
                raise SystemExit(f"{nb} and another notebook both become {page.page}")
            rendered[page.page] = plain
            pages.append(page)
    render_pages(pages, rendered, out, site)
    copy_assets(nbs_path, out)
    manifest = [{**vars(p), "notebook": str(p.notebook)} for p in pages]
    (out / "pages.json").write_text(json.dumps(manifest, indent=1))
    return pages


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--out", type=Path, default=ROOT / "_docs_preview", help="output folder (default _docs_preview/)"
    )
    parser.add_argument("--workers", type=int, default=2, help="notebooks processed at the same time (default 2)")
    args = parser.parse_args(argv)
    if args.workers < 1:
        parser.error(f"--workers must be at least 1, got {args.workers}")
    pages = build(args.out.resolve(), args.workers)
    for p in pages:
        print(f"{p.notebook} -> {p.page}: {p.title!r}, {len(p.api_docs)} API docs, {p.figures} figures")
    print(f"preview: {args.out / 'index.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
