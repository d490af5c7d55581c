"""A load into storage that runs out of space fails clearly and leaves the warehouse as it was.

Two ways to run out: a full filesystem (a small tmpfs holding the warehouse folder, ENOSPC; needs
root to mount, skipped otherwise) and a per-process file-size limit (RLIMIT_FSIZE with SIGXFSZ
ignored, so writes past it fail with EFBIG; works anywhere). Either way the run must exit
non-zero with one line naming the problem, not a traceback; the stories of the previous load must
still be there, readable and consistent; and once space is back a run completes the load.
"""

from __future__ import annotations

import contextlib
import resource
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from demo.site import DemoSite, serve_demo_site
from tests.fault_harness import child_env, integrity_problems, run_to_end, start_run, stories, write_sources

pytestmark = pytest.mark.usefixtures("prefect_api")

FIRST, SECOND = 20, 160


@pytest.fixture(scope="module")
def sites() -> Iterator[tuple[DemoSite, DemoSite]]:
    small, large = serve_demo_site(FIRST, outlets=2, seed=9), serve_demo_site(SECOND, outlets=2, seed=10)
    yield small, large
    small.close()
    large.close()


@contextlib.contextmanager
def small_tmpfs(mountpoint: Path, size: str) -> Iterator[bool]:
    """Mount a tmpfs of `size` at `mountpoint`; yields False (a plain folder) where mounting is not allowed."""
    mountpoint.mkdir(parents=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mountpoint)], capture_output=True
    )
    try:
        yield mounted.returncode == 0
    finally:
        if mounted.returncode == 0:
            subprocess.run(["umount", "-l", str(mountpoint)], check=False)


def _fill(folder: Path, leave_bytes: int) -> Path:
    """Fill the filesystem of `folder` until only `leave_bytes` remain free."""
    import os

    stat = os.statvfs(folder)
    filler = folder / "filler.bin"
    with filler.open("wb") as out:
        remaining = stat.f_bavail * stat.f_frsize - leave_bytes
        block = b"\0" * (1 << 20)
        while remaining > 0:
            remaining -= out.write(block[: min(len(block), remaining)])
    return filler


def _file_size_limit(limit: int):
    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # stays ignored across exec: writes fail with EFBIG
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


def _one_line_error(output: str) -> str:
    """The command's own verdict: one `error:` line, the last thing it prints (Prefect's task logs,
    which may carry tracebacks, come before it)."""
    lines = [line for line in output.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("error:")]
    assert len(errors) == 1 and lines[-1] == errors[0], f"expected one final 'error:' line:\n{output[-3000:]}"
    return errors[0]


# The default run fills a tmpfs (or, where mount is refused, uses the file-size limit); the other way is `slow`.
@pytest.mark.parametrize("kind", ["tmpfs", pytest.param("file-size-limit", marks=pytest.mark.slow)])
def test_running_out_of_space_fails_clearly_and_keeps_the_warehouse(
    sites: tuple[DemoSite, DemoSite], tmp_path: Path, kind: str
) -> None:
    from prefect.settings import PREFECT_API_URL

    small, large = sites
    env = child_env(tmp_path / "prefect-home", PREFECT_API_URL=PREFECT_API_URL.value())
    with contextlib.ExitStack() as stack:
        root = tmp_path / "disk"
        if kind == "tmpfs" and not stack.enter_context(small_tmpfs(root, "48m")):
            kind = "file-size-limit"
        warehouse = root / "w.duckdb"
        run_to_end(write_sources(small, tmp_path / "small"), warehouse, env, chunk_size=10)
        with duckdb.connect(str(warehouse), read_only=True) as con:
            before = stories(con)
        assert len(before) == FIRST

        large_sources = write_sources(large, tmp_path / "large")
        if kind == "tmpfs":
            filler = _fill(root, leave_bytes=256 * 1024)
            starved = start_run(large_sources, warehouse, env, chunk_size=40, log=tmp_path / "full.log")
        else:
            limit = 1024 * 1024  # the WAL of this load outgrows it (pages and feeds stay below)
            starved = start_run(
                large_sources,
                warehouse,
                env,
                chunk_size=40,
                log=tmp_path / "full.log",
                preexec_fn=_file_size_limit(limit),
            )
        code = starved.wait()
        assert code != 0, f"a run that could not write must not report success:\n{starved.output[-3000:]}"
        message = _one_line_error(starved.output)
        assert str(root) in message or "warehouse" in message, message
        assert any(word in message.lower() for word in ("space", "too large", "full", "write")), message

        with duckdb.connect(str(warehouse), read_only=True) as con:
            assert integrity_problems(con) == []
            kept = dict(stories(con))
        assert dict(before).items() <= kept.items(), "stories of the previous load were lost or changed"

        if kind == "tmpfs":
            filler.unlink()
        run_to_end(large_sources, warehouse, env, chunk_size=40)
        with duckdb.connect(str(warehouse), read_only=True) as con:
            assert integrity_problems(con) == []
            assert len(stories(con)) == FIRST + SECOND
            assert con.execute("SELECT count(*) FROM etl_run WHERE status = 'running'").fetchone()[0] == 0
