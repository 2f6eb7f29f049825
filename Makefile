# Shortcuts for the notebook workflow. Every target is one documented command; see README.
.PHONY: help test format execute docs-preview docs clean-preview

help:
	@echo "make test          nbdev_test --flags slow + pytest (what CI runs after installing)"
	@echo "make format        ruff format + ruff check --fix on the notebooks, tests, tools and benchmarks, then nbdev_export"
	@echo "make execute       run the notebooks (nbdev_test's way, slow cells skipped), keep their outputs, nbdev_clean"
	@echo "make docs-preview  build the Quarto-free preview of the site into _docs_preview/ (open _docs_preview/index.html)"
	@echo "make docs          build the real site with nbdev_docs (needs Quarto) into _docs/"

test:
	nbdev_test --flags slow
	python -m pytest -n auto --dist loadfile tests -q

format:
	ruff format nbs tests tools benchmarks
	ruff check --fix nbs tests tools benchmarks
	nbdev_export

execute:
	python tools/execute_notebooks.py

docs-preview:
	python tools/docs_preview.py

docs:
	nbdev_docs

clean-preview:
	rm -rf _docs_preview
