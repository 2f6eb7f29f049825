"""Shared pytest set-up: every skipped test is listed at the end with its one-line reason (what to install), and
`console`, which runs an installed command in the test's own process."""

import sys
from importlib.metadata import entry_points
from types import SimpleNamespace

import pytest


def pytest_configure(config):
    if "s" not in config.option.reportchars and "a" not in config.option.reportchars:
        config.option.reportchars += "s"


def console_script(name: str):
    "The function behind the console script `name` (settings.ini's `console_scripts`, as pip installed them)."
    found = entry_points(group="console_scripts", name=name)
    if not found:
        pytest.skip(f"{name} is not installed (pip install -e .)")
    return next(iter(found)).load()


@pytest.fixture
def console(capsys, monkeypatch):
    """`console(name, *args)` runs the command `name ARGS...` as its console script does (the same function, the same
    `sys.argv`), but in this process: the answer to bad input comes without a new interpreter importing torch (about
    5 s a command). Returns its exit status, stdout and stderr as `subprocess.run` does. The tests that run, kill,
    interrupt or resume a command still start it as a process of its own, as a user does."""

    def call(name: str, *args):
        monkeypatch.setattr(sys, "argv", [name, *map(str, args)])
        capsys.readouterr()
        try:
            code = console_script(name)()
        except SystemExit as e:
            code = e.code
        out, err = capsys.readouterr()
        return SimpleNamespace(returncode=code, stdout=out, stderr=err)

    return call
