"""The `dateline` command line: one entry point for runs, SQL, extraction and the analyst tools.

Commands import their heavy machinery (Prefect, DuckDB, parsers) lazily, so `dateline sql`
answers without paying for Prefect's start-up, and errors users can fix are one line on
stderr with a non-zero exit, never a traceback.
"""

from __future__ import annotations

import signal
import sys
from contextlib import AbstractContextManager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.text import Text

from flows.cli.prefect_env import prefect_api_of_its_own, quiet_prefect
from flows.pipeline.progress import EVERY_S, ProgressStyle, progress_style

if TYPE_CHECKING:
    from flows.runtime.settings import RunFolders

app = typer.Typer(
    name="dateline",
    help="Dateline: news feeds, sitemaps, pages and story dumps → a DuckDB star-schema warehouse.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="markdown",  # docstrings are wrapped for the source: let help re-flow their paragraphs
)
console = Console()
errors = Console(stderr=True)

WarehouseOption = Annotated[
    str | None,
    typer.Option(
        "--warehouse",
        help="DuckDB file, or ducklake:postgres:DSN (default: $DATELINE_WAREHOUSE or warehouse/dateline.duckdb)",
    ),
]


ChunkSizeOption = Annotated[
    int | None, typer.Option(min=1, help="stories per chunk (one merge each) [default: 500; 2000 on a lake]")
]
QuietOption = Annotated[
    bool, typer.Option("--quiet", "-q", help="no progress bar or lines; the summary, warnings and errors still print")
]
ProgressEveryOption = Annotated[
    float,
    typer.Option(
        "--progress-every",
        min=1,
        help="without a terminal (cron, CI, a pipe), print a plain progress line this often, in seconds",
    ),
]


def shown_progress(quiet: bool, every_s: float) -> AbstractContextManager[None]:
    """The progress style of the runs this command starts: a bar on a terminal, plain lines elsewhere."""
    return progress_style(ProgressStyle.for_streams(quiet, every_s))


PRIVATE_NETWORKS_HELP = (
    "let these fetches reach loopback, private and link-local addresses (an intranet feed, the demo site); "
    "by default only public addresses are fetched, on every redirect too"
)


class OutputFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


# `dateline run`'s exit status for scripts and schedulers (README "Exit status"); usage errors are 2.
EXIT_FAILED = 1
EXIT_WARNINGS = 3


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print one line naming the problem and leave with a non-zero status. The message may quote stored
    text or the user's query (DuckDB's errors do), so it is printed as text, not markup."""
    from flows.cli.output import as_text

    errors.print(Text.assemble(("error:", "bold red"), " ", as_text(message)), highlight=False, soft_wrap=True)
    return typer.Exit(code)


def _refuse_a_missing_folder(location: str) -> None:
    """A mistyped `--warehouse` would otherwise create a new, empty warehouse in a new folder and load into it."""
    from warehouse import is_file_location
    from warehouse.protocol import WarehouseError

    folder = Path(location).parent
    if is_file_location(location) and not folder.exists():
        raise WarehouseError(f"warehouse folder {folder} does not exist; check the path, or pass --create to make it")


def _print_version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        console.print(f"dateline {version('dateline')}", highlight=False)
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool | None,
        typer.Option("--version", callback=_print_version, is_eager=True, help="print the version and exit"),
    ] = None,
) -> None:
    """Dateline: news feeds, sitemaps, pages and story dumps → a DuckDB star-schema warehouse."""


@app.command()
def run(
    sources: Annotated[str | None, typer.Option("--sources", help="sources file (default: ./sources.toml)")] = None,
    source: Annotated[
        list[str] | None, typer.Option("--source", help="ingest this URL or path instead (repeatable)")
    ] = None,
    warehouse: WarehouseOption = None,
    chunk_size: ChunkSizeOption = None,
    allow_private_networks: Annotated[
        bool, typer.Option("--allow-private-networks", help=PRIVATE_NETWORKS_HELP + " (--source URLs)")
    ] = False,
    create: Annotated[
        bool, typer.Option("--create", help="create the warehouse's folder if it does not exist (else an error)")
    ] = False,
    quiet: QuietOption = False,
    progress_every: ProgressEveryOption = EVERY_S,
) -> None:
    """Run the ingest flow once (on Prefect's ephemeral API) and print a summary.

    Exit status: 0 completed; 3 completed with warnings (a source failed or matched nothing, or too many
    rejects: each named on a warning line); 1 failed (every source failed, or the load failed); 2 a usage
    error caught before the run started (bad sources file, unusable warehouse); 130 / 143 stopped by
    SIGINT / SIGTERM (recorded as interrupted)."""
    quiet_prefect()
    from prefect import tags

    from flows.ingest import ingest
    from flows.pipeline.run import RunFailed, RunInterrupted, resolve_config
    from flows.pipeline.summary import RunSummary
    from flows.runtime.settings import (
        add_credential_url,
        configured_warehouse,
        warehouse_location,
    )
    from flows.runtime.workers import start_forkserver
    from flows.sources.config import ConfigError
    from transforms.urls import split_userinfo
    from warehouse.protocol import WarehouseError

    if source:  # credentials go by the environment, never as a flow parameter Prefect would store
        for given in [s for s in source if split_userinfo(s)[1] is not None]:
            add_credential_url(given)
        source = [split_userinfo(s)[0] for s in source]
    try:  # check what the user can fix before Prefect starts, so the error is one line, not a failed run
        config = resolve_config(sources, source)
        if not config.sources:
            raise ConfigError(f"{sources or 'sources.toml'}: no [[source]] configured")
        location = warehouse_location(warehouse)
        if not create:
            _refuse_a_missing_folder(location)
        configured_warehouse(location).check_writable()
    except (ConfigError, WarehouseError) as error:
        raise fail(str(error)) from None
    start_forkserver()
    try:
        with (
            prefect_api_of_its_own(),
            tags("dateline", "cli", *(f"source:{s.name}" for s in config.sources[:10])),
            shown_progress(quiet, progress_every),
        ):
            result = ingest(
                sources_file=sources,
                adhoc_sources=source,
                warehouse_path=warehouse,
                chunk_size=chunk_size,
                allow_private_networks=allow_private_networks,
            )
    except RunFailed as failure:
        failure.summary.print(console)
        raise fail(str(failure), code=EXIT_FAILED) from None
    except RunInterrupted as stop:
        errors.print(str(stop), highlight=False, markup=False, soft_wrap=True)
        raise typer.Exit(128 + signal.Signals[stop.summary.stopped_by]) from None
    except KeyboardInterrupt:  # before the run's own handler was in place: nothing was recorded yet
        errors.print("stopped before the run started", highlight=False)
        raise typer.Exit(128 + signal.SIGINT) from None
    except (ConfigError, WarehouseError) as error:
        raise fail(str(error), code=EXIT_FAILED) from None
    summary = RunSummary(**result)
    summary.print(console)
    if summary.status == "completed_with_warnings":
        raise typer.Exit(EXIT_WARNINGS)


@app.command()
def sql(
    query: Annotated[str, typer.Argument(help="SQL to run (read-only); '-' reads it from standard input")],
    format: Annotated[OutputFormat, typer.Option("--format", "-f")] = OutputFormat.table,
    warehouse: WarehouseOption = None,
    timeout: Annotated[
        float, typer.Option("--timeout", min=0, help="stop the query after this many seconds (0: never)")
    ] = 60,
    read_files: Annotated[
        list[Path] | None,
        typer.Option(
            "--read-files",
            help="let the query read files under this folder (read_csv, read_parquet...; repeatable). Off by "
            "default: analyst SQL cannot read or write anything outside the warehouse.",
        ),
    ] = None,
    max_width: Annotated[
        int | None,
        typer.Option(
            "--max-width",
            min=0,
            help="table width in characters; wider cells end in an ellipsis (default: the terminal's; 0: no limit)",
        ),
    ] = None,
) -> None:
    """Run one reading statement (SELECT, WITH, EXPLAIN, DESCRIBE, SHOW, SUMMARIZE) on a read-only, sandboxed
    connection to the warehouse: no writes, no files, one statement, a time limit.

    A query file that starts with a `--` comment reads better through stdin: `dateline sql - < query.sql`.
    """
    from flows.cli.output import print_rows
    from flows.runtime.settings import configured_warehouse
    from warehouse.protocol import QueryError, WarehouseError

    if query == "-":
        query = sys.stdin.read()
    try:
        answer = configured_warehouse(warehouse).query(
            query, timeout_s=timeout or None, readable_dirs=[str(d) for d in read_files or []]
        )
    except QueryError as error:  # DuckDB's whole message: its hints ("Did you mean ...") and caret matter
        raise fail(str(error)) from None
    except WarehouseError as error:
        raise fail(str(error)) from None
    print_rows(answer.columns, answer.rows, format.value, console, max_width)


@app.command()
def export(
    relation: Annotated[
        str, typer.Argument(help="a table or view name, or one reading query", metavar="TABLE_VIEW_OR_QUERY")
    ],
    out: Annotated[Path, typer.Option("--out", help="the file to write: .parquet or .csv")],
    warehouse: WarehouseOption = None,
    timeout: Annotated[float, typer.Option("--timeout", min=0, help="stop after this many seconds (0: never)")] = 0,
) -> None:
    """Write a table, view or query to Parquet or CSV, read under the same sandbox as `dateline sql`."""
    from flows.runtime.settings import configured_warehouse
    from warehouse.protocol import WarehouseError

    try:
        rows = configured_warehouse(warehouse).export(relation, out, timeout_s=timeout or None)
    except WarehouseError as error:
        raise fail(str(error)) from None
    console.print(f"wrote {rows} rows to {out}", highlight=False, markup=False, soft_wrap=True)


@app.command()
def reparse(
    since: Annotated[str | None, typer.Option(help="only pages fetched on or after this day (YYYY-MM-DD)")] = None,
    sources: Annotated[str | None, typer.Option("--sources", help="sources file, for per-source settings")] = None,
    warehouse: WarehouseOption = None,
    quiet: QuietOption = False,
    progress_every: ProgressEveryOption = EVERY_S,
) -> None:
    """Rebuild stories from the raw archive (warehouse/data/archive), with no network."""
    quiet_prefect()
    from flows.pipeline.summary import RunSummary
    from flows.reparse import reparse as reparse_flow
    from warehouse.protocol import WarehouseError

    try:
        with prefect_api_of_its_own(), shown_progress(quiet, progress_every):
            result = reparse_flow(warehouse_path=warehouse, since=since, sources_file=sources)
    except WarehouseError as error:
        raise fail(str(error)) from None
    RunSummary(**result).print(console)


@app.command()
def reenrich(warehouse: WarehouseOption = None, chunk_size: ChunkSizeOption = None) -> None:
    """Apply the current enrichment to stored stories enriched by another version (no fetching, no parsing)."""
    quiet_prefect()
    from flows.pipeline.summary import RunSummary
    from flows.reenrich import reenrich as reenrich_flow
    from warehouse.protocol import WarehouseError

    try:
        with prefect_api_of_its_own():
            result = reenrich_flow(warehouse_path=warehouse, chunk_size=chunk_size)
    except WarehouseError as error:
        raise fail(str(error)) from None
    RunSummary(**result).print(console)


@app.command()
def extract(
    inputs: Annotated[list[str], typer.Argument(help="HTML pages (.html, .html.gz), feeds, story dumps, or URLs")],
    format: Annotated[str, typer.Option("--format", help="jsonl (one JSON object per story)")] = "jsonl",
    workers: Annotated[
        int | None,
        typer.Option(help="processes for a directory of pages (default: DATELINE_WORKERS, else cores; 1 = in-process)"),
    ] = None,
    allow_private_networks: Annotated[bool, typer.Option(help=PRIVATE_NETWORKS_HELP)] = False,
) -> None:
    """Parse documents into story records without touching the warehouse."""
    import itertools

    import orjson

    from flows.cli.output import as_text
    from flows.pipeline.extract import extract_paths, extract_urls

    if format != "jsonl":
        raise fail(f"unknown format {format!r}; use jsonl")
    urls = [i for i in inputs if i.startswith(("http://", "https://"))]
    paths = [i for i in inputs if i not in urls]
    failed = written = 0
    out = sys.stdout.buffer
    for outcome in itertools.chain(
        extract_paths(paths, workers=workers), extract_urls(urls, allow_private_networks) if urls else ()
    ):
        if isinstance(outcome, tuple):
            locator, error = outcome
            failed += 1
            errors.print(Text.assemble("rejected ", as_text(f"{locator}: {error}")), highlight=False, soft_wrap=True)
            continue
        written += 1
        out.write(orjson.dumps(outcome.to_dict()) + b"\n")
    out.flush()
    if failed and not written:
        raise typer.Exit(1)


@app.command()
def search(
    terms: Annotated[str, typer.Argument(help="words to find in headlines and bodies")],
    since: Annotated[str | None, typer.Option(help="stories on or after this day (YYYY-MM-DD)")] = None,
    until: Annotated[str | None, typer.Option(help="stories on or before this day (YYYY-MM-DD)")] = None,
    topic: Annotated[str | None, typer.Option(help="IPTC id or label, e.g. medtop:15000000 or sport")] = None,
    limit: Annotated[int, typer.Option(min=1, help="how many stories")] = 10,
    format: Annotated[OutputFormat, typer.Option("--format", "-f")] = OutputFormat.table,
    warehouse: WarehouseOption = None,
) -> None:
    """Ranked full-text search (BM25) over headlines and bodies, on a read-only connection."""
    from datetime import date

    from flows.cli.output import print_rows
    from flows.runtime.settings import configured_warehouse
    from warehouse.protocol import WarehouseError

    try:
        days = {k: date.fromisoformat(v) if v else None for k, v in (("since", since), ("until", until))}
    except ValueError as error:
        raise fail(f"bad date: {error}") from None
    try:
        hits, unindexed = configured_warehouse(warehouse).search(terms, topic=topic, limit=limit, **days)
    except WarehouseError as error:
        raise fail(str(error)) from None
    if unindexed:
        errors.print(
            f"[yellow]{unindexed} stories loaded since the search index was built are not searched yet; "
            "the daily maintenance flow indexes them.[/yellow]"
        )
    columns = ["score", "day", "source", "headline", "topics", "snippet", "url"]
    rows = [(h.score, h.day, h.source, h.headline, ", ".join(h.topics), h.snippet, h.url) for h in hits]
    if format is OutputFormat.table:  # narrow terminals: the story, not its metadata
        keep = [0, 1, 2, 3, 5]
        columns, rows = [columns[i] for i in keep], [tuple(row[i] for i in keep) for row in rows]
    print_rows(columns, rows, format.value, console)


@app.command()
def report(
    out: Annotated[str, typer.Option("--out", help="folder for index.html")] = "reports",
    warehouse: WarehouseOption = None,
) -> None:
    """Write an HTML report with charts (topics over time, entities, trending, sources); opens offline."""
    from flows.report import write_report
    from warehouse.protocol import WarehouseError

    try:
        path = write_report(warehouse, Path(out))
    except WarehouseError as error:
        raise fail(str(error)) from None
    console.print(f"report written to {path} (self-contained: open it in a browser, no network needed)")


@app.command()
def serve(
    sources: Annotated[str | None, typer.Option("--sources", help="sources file")] = None,
    warehouse: WarehouseOption = None,
    cron: Annotated[
        str | None, typer.Option(help="ingest schedule (default: $DATELINE_SCHEDULE or every 15 minutes)")
    ] = None,
    maintenance_cron: Annotated[str, typer.Option(help="daily maintenance schedule (UTC)")] = "30 3 * * *",
    export_parquet: Annotated[bool, typer.Option(help="maintenance also exports Parquet by month")] = False,
    shards: Annotated[
        int, typer.Option(min=1, help="split the scheduled ingest into this many deployments, by source")
    ] = 1,
) -> None:
    """Serve the ingest, maintenance, backfill and reparse deployments (needs `prefect server start`)."""
    quiet_prefect()
    from flows.deployments import serve_all
    from flows.sources.config import ConfigError

    try:
        served, paused = serve_all(sources, warehouse, cron, maintenance_cron, export_parquet, shards)
    except ConfigError as error:
        raise fail(str(error)) from None
    console.print(f"dateline serve stopped: {paused} of {served} deployment schedules paused")


@app.command("demo-site")
def demo_site(
    stories: Annotated[int, typer.Option("--stories", help="Exactly this many article pages (wire copies included).")],
    outlets: Annotated[int, typer.Option("--outlets", help="Number of outlets (1-80).")] = 3,
    port: Annotated[int, typer.Option("--port", help="Port on 127.0.0.1; 0 picks a free one.")] = 8765,
    seed: Annotated[int, typer.Option("--seed", help="Same seed, same site, byte for byte.")] = 7,
    sources_out: Annotated[
        Path | None, typer.Option("--sources-out", help="Write a sources.toml for this site here.")
    ] = None,
) -> None:
    """Serve a deterministic synthetic news site on 127.0.0.1 until interrupted (demos, tests, benchmarks)."""
    from demo.site import run_demo_site

    run_demo_site(stories, outlets, port, seed, sources_out)


@app.command()
def migrate(
    to: Annotated[
        str, typer.Option("--to", help="the lake to create: ducklake:postgres:DSN (and $DATELINE_DATA_PATH)")
    ],
    warehouse: WarehouseOption = None,
    data_dir: Annotated[
        Path | None,
        typer.Option("--data-dir", help="the lake's run folder for the raw archive (default: $DATELINE_DATA_DIR)"),
    ] = None,
) -> None:
    """Copy an embedded warehouse and its raw archive into an empty DuckLake warehouse, exactly: every
    table's row count and content hash are checked on both sides."""
    from flows.runtime.settings import (
        RunFolders,
        configured_warehouse,
        run_folders,
        warehouse_location,
    )
    from flows.sources.fetching.archive import ArchiveUnavailable
    from warehouse import is_file_location
    from warehouse.ducklake.store import DuckLakeWarehouse
    from warehouse.protocol import WarehouseError

    source = Path(warehouse_location(warehouse))
    try:
        if not is_file_location(str(source)) or not source.exists():
            raise WarehouseError(f"{source}: migrate copies an existing embedded DuckDB warehouse file")
        lake = configured_warehouse(to)
        if not isinstance(lake, DuckLakeWarehouse):
            raise WarehouseError(f"--to {to!r}: not a ducklake: location")
        lake.check_writable()
        checks = lake.copy_from(source)
        target = RunFolders(data_dir) if data_dir else run_folders(lake.location)
        archive = _copy_archive(run_folders(str(source)).archive, lake.location, target)
    except (WarehouseError, ArchiveUnavailable) as error:
        raise fail(str(error)) from None
    for check in checks:
        console.print(f"{check.table}: {check.rows} rows, content hash {check.content_hash & 0xFFFFFFFFFFFF:012x} ✓")
    console.print(
        f"copied {sum(c.rows for c in checks)} rows in {len(checks)} tables into {lake.location}", highlight=False
    )
    console.print(archive, highlight=False)


def _copy_archive(source: Path, lake: str, target: RunFolders) -> str:
    """Copy the embedded warehouse's raw archive (folder `source`) to where runs on the lake keep theirs:
    the object store beside a lake in one, else the SQLite file under the lake's run folder."""
    from flows.runtime.settings import configured_archive
    from flows.sources.fetching.archive import STORE_NAME, RawArchive
    from flows.sources.fetching.object_archive import ObjectStoreArchive, copy_archive_into
    from warehouse.ducklake.migrate import copy_archive

    with configured_archive(lake, target) as archive:
        if not isinstance(archive, ObjectStoreArchive):
            return copy_archive(source / STORE_NAME, target.archive / STORE_NAME)
        if not RawArchive.present(source):
            return f"raw archive: none at {source / STORE_NAME}"
        with RawArchive(source) as stored:
            return copy_archive_into(stored, archive)
