"""The run's main process does not import what only its workers use: every import there is memory the whole
run holds in one more process (bench/memory.py measures the tree)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("module", ["datasketch", "scipy", "spacy"])
def test_the_run_command_does_not_import_worker_only_libraries(module: str) -> None:
    script = f"import sys, flows.cli.app, flows.ingest, flows.reparse, flows.reenrich; print({module!r} in sys.modules)"
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"
