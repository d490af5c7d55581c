"""The `dateline` command line as users meet it: one-line errors, read-only SQL, extraction, a real run."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from demo.site import serve_static_hosts
from flows.cli import app
from flows.ingest import ingest
from tests.conftest import REPO
from tests.fault_harness import DATELINE
from tests.http_fixtures import Reply, ScriptedServer
from tests.test_ingest_flow import DUMP

runner = CliRunner()


@pytest.fixture
def dump_file(tmp_path: Path) -> Path:
    path = tmp_path / "gwadar.txt"
    path.write_text(DUMP, encoding="utf-8")
    return path


@pytest.fixture
def loaded(tmp_path: Path, dump_file: Path, prefect_api: None) -> Path:
    warehouse = tmp_path / "w.duckdb"
    ingest(adhoc_sources=[str(dump_file)], warehouse_path=str(warehouse))
    return warehouse


@pytest.mark.parametrize(
    ("sources", "message"),
    [
        ('[[source]]\nname = "a"\nkind = "rss"\nurl = "https://x.example/"', "unknown kind 'rss'"),
        ('[[source]]\nname = "a"\nkind = "feed"', "kind 'feed' needs 'url'"),
        ("[[source]\n", "TOML syntax error"),
    ],
)
def test_broken_sources_file_exits_nonzero_with_one_line(tmp_path: Path, sources: str, message: str) -> None:
    path = tmp_path / "sources.toml"
    path.write_text(sources, encoding="utf-8")
    result = runner.invoke(app, ["run", "--sources", str(path), "--warehouse", str(tmp_path / "w.duckdb")])
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "w.duckdb").exists()


def test_unwritable_warehouse_exits_nonzero_with_one_line(tmp_path: Path, dump_file: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = runner.invoke(app, ["run", "--source", str(dump_file), "--warehouse", str(blocker / "w.duckdb")])
    assert result.exit_code == 2
    assert "cannot be created" in result.output or "not writable" in result.output
    assert "Traceback" not in result.output


def test_sql_formats_and_read_only(loaded: Path) -> None:
    query = "select headline, dateline from fact_story"
    as_json = runner.invoke(app, ["sql", query, "--format", "json", "--warehouse", str(loaded)])
    assert as_json.exit_code == 0
    assert json.loads(as_json.stdout) == [
        {"headline": "Harbour authority opens new container terminal in Gwadar", "dateline": "GWADAR"}
    ]
    as_csv = runner.invoke(app, ["sql", query, "--format", "csv", "--warehouse", str(loaded)])
    assert as_csv.stdout.splitlines() == [
        "headline,dateline",
        "Harbour authority opens new container terminal in Gwadar,GWADAR",
    ]
    write = runner.invoke(app, ["sql", "delete from fact_story", "--warehouse", str(loaded)])
    assert write.exit_code == 2
    assert "read-only" in write.output.lower()


def test_sql_on_a_missing_warehouse_says_so(tmp_path: Path) -> None:
    result = runner.invoke(app, ["sql", "select 1", "--warehouse", str(tmp_path / "none.duckdb")])
    assert result.exit_code == 2
    assert "does not exist yet" in result.output


def test_extract_prints_the_contract_record(dump_file: Path) -> None:
    result = runner.invoke(app, ["extract", str(dump_file), "--format", "jsonl"])
    assert result.exit_code == 0
    record = json.loads(result.stdout.splitlines()[0])
    assert set(record) >= {
        "input", "url", "title", "summary", "authors", "published_at", "updated_at", "dateline",
        "section", "tags", "language", "body", "image_caption",
    }  # fmt: skip
    assert record["updated_at"] == "2025-03-04"
    assert record["dateline"] == "GWADAR"
    assert record["summary"][0] == "Terminal doubles the port's yearly handling capacity"
    assert "(Supplied)" not in record["body"]


def test_extract_fetches_urls_over_http(monkeypatch: pytest.MonkeyPatch) -> None:
    samples = REPO / "samples"
    page = next((samples / "www.meridian-daily.example").rglob("*.html"))
    url = "http://" + str(page.relative_to(samples))
    with serve_static_hosts(samples) as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.proxy_url)
        result = runner.invoke(app, ["extract", url])
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout.splitlines()[0])
    assert record["input"] == url
    assert record["title"] and record["body"]


def test_a_warehouse_in_a_folder_that_does_not_exist_is_an_error_unless_created(
    tmp_path: Path, dump_file: Path
) -> None:
    """A mistyped `--warehouse` must not quietly start a new, empty warehouse."""
    command = [*DATELINE, "run", "--source", str(dump_file), "--warehouse", str(tmp_path / "typo" / "w.duckdb")]
    done = subprocess.run(command, capture_output=True, text=True, cwd=REPO, timeout=120)
    assert done.returncode == 2
    assert done.stderr.strip() == (
        f"error: warehouse folder {tmp_path / 'typo'} does not exist; check the path, or pass --create to make it"
    )
    assert not (tmp_path / "typo").exists()


def test_version_is_printed() -> None:
    done = subprocess.run([*DATELINE, "--version"], capture_output=True, text=True, cwd=REPO, timeout=60)
    assert done.returncode == 0 and re.fullmatch(r"dateline \d+\.\d+\.\d+\S*\n", done.stdout), done.stdout


def test_dateline_run_as_users_run_it(tmp_path: Path, dump_file: Path) -> None:
    """A real process on Prefect's ephemeral API: summary printed, exit 0, no traceback at shutdown; `--create`
    makes the warehouse's folder."""
    env = {**os.environ, "PREFECT_HOME": str(tmp_path / "prefect")}
    env.pop("PREFECT_API_URL", None)
    command = [
        sys.executable,
        "-m",
        "flows.cli",
        "run",
        "--source",
        str(dump_file),
        "--warehouse",
        str(tmp_path / "new" / "w.duckdb"),
        "--create",
    ]
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=REPO, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "new" in done.stdout and "rejected" in done.stdout
    assert "Traceback" not in done.stderr + done.stdout


def test_extract_sends_the_operators_user_agent_and_refuses_private_addresses(monkeypatch: pytest.MonkeyPatch) -> None:
    body = "<html><head><title>Port deal</title></head><body><article><h1>Port deal</h1><p>Signed today.</p></article>"
    monkeypatch.setenv("DATELINE_USER_AGENT", "ExampleBot/2.0 (+https://bot.example)")
    with ScriptedServer() as server:
        server.route("/story", Reply(body=body.encode()))
        refused = runner.invoke(app, ["extract", server.url("/story")])
        allowed = runner.invoke(app, ["extract", server.url("/story"), "--allow-private-networks"])
    assert refused.exit_code == 1 and "private_address" in refused.output
    assert allowed.exit_code == 0, allowed.output
    assert {seen.headers["user-agent"] for seen in server.requests} == {"ExampleBot/2.0 (+https://bot.example)"}
    assert server.hits("/story")


def test_help_reflows_its_paragraphs_and_keeps_every_placeholder() -> None:
    """Docstrings are wrapped for the source, not the terminal: help re-flows them into paragraphs (before, a
    hard line break left one word on a line of its own), and a placeholder in angle brackets would be eaten
    as markup, so none is used."""
    result = CliRunner().invoke(app, ["run", "--help"], env={"COLUMNS": "100"}, terminal_width=100)
    assert result.exit_code == 0
    description = result.output.split("Options")[0].splitlines()
    assert [line for line in description[:-1] if len(line.split()) == 1] == []  # the last is the box's corner
    text = " ".join(line.strip(" │") for line in result.output.splitlines())
    assert "ducklake:postgres:DSN" in text and "--allow-private-networks" in text
    assert "--no-allow-private" not in text
