"""`python -m flows.cli`: the same entry point as the `dateline` script."""

from flows.cli.app import app

app()
