"""The `dateline` command line (`flows.cli.app`) and its terminal output helpers."""

from flows.cli.app import app

__all__ = ["app"]
