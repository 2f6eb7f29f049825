"""Shared pytest set-up: every skipped test is listed at the end with its one-line reason (what to install)."""


def pytest_configure(config):
    if "s" not in config.option.reportchars and "a" not in config.option.reportchars:
        config.option.reportchars += "s"
