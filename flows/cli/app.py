"""The `dateline` command line: one entry point for runs, SQL, extraction and the analyst tools.

Commands import their heavy machinery (Prefect, DuckDB, parsers) lazily, so `dateline sql`
answers without paying for Prefect's start-up, and errors users can fix are one line on
stderr with a non-zero exit, never a traceback.
"""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from flows.cli.prefect_env import quiet_prefect

app = typer.Typer(
    name="dateline",
    help="Dateline: news feeds, sitemaps, pages and story dumps → a DuckDB star-schema warehouse.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
console = Console()
errors = Console(stderr=True)

WarehouseOption = Annotated[
    str | None,
    typer.Option(
        "--warehouse",
        help="DuckDB file, or ducklake:postgres:<dsn> (default: $DATELINE_WAREHOUSE or warehouse/dateline.duckdb)",
    ),
]


class OutputFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print one line naming the problem and leave with a non-zero status."""
    errors.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


@app.command()
def run(
    sources: Annotated[str | None, typer.Option("--sources", help="sources file (default: ./sources.toml)")] = None,
    source: Annotated[
        list[str] | None, typer.Option("--source", help="ingest this URL or path instead (repeatable)")
    ] = None,
    warehouse: WarehouseOption = None,
    chunk_size: Annotated[int, typer.Option(help="documents per fetch/parse/load chunk")] = 500,
) -> None:
    """Run the ingest flow once (on Prefect's ephemeral API) and print a summary."""
    quiet_prefect()
    from flows.ingest import ingest
    from flows.pipeline.run import resolve_config
    from flows.pipeline.summary import RunSummary
    from flows.runtime.settings import lake_data_path, object_store, warehouse_location
    from flows.sources.config import ConfigError
    from warehouse import open_warehouse
    from warehouse.protocol import WarehouseError

    try:  # check what the user can fix before Prefect starts, so the error is one line, not a failed run
        if not resolve_config(sources, source).sources:
            raise ConfigError(f"{sources or 'sources.toml'}: no [[source]] configured")
        open_warehouse(
            warehouse_location(warehouse), data_path=lake_data_path(), object_store=object_store()
        ).check_writable()
        result = ingest(sources_file=sources, adhoc_sources=source, warehouse_path=warehouse, chunk_size=chunk_size)
    except (ConfigError, WarehouseError) as error:
        raise fail(str(error)) from None
    RunSummary(**result).print(console)


@app.command()
def sql(
    query: Annotated[str, typer.Argument(help="SQL to run (read-only); '-' reads it from standard input")],
    format: Annotated[OutputFormat, typer.Option("--format", "-f")] = OutputFormat.table,
    warehouse: WarehouseOption = None,
) -> None:
    """Run ad-hoc SQL on a read-only connection to the warehouse.

    A query file that starts with a `--` comment reads better through stdin: `dateline sql - < query.sql`.
    """
    from flows.cli.output import print_rows
    from flows.runtime.settings import object_store, warehouse_location
    from warehouse import open_warehouse
    from warehouse.protocol import QueryError, WarehouseError

    if query == "-":
        query = sys.stdin.read()
    try:
        answer = open_warehouse(warehouse_location(warehouse), object_store=object_store()).query(query)
    except QueryError as error:
        raise fail(str(error).splitlines()[0]) from None
    except WarehouseError as error:
        raise fail(str(error)) from None
    print_rows(answer.columns, answer.rows, format.value, console)


@app.command()
def reparse(
    since: Annotated[str | None, typer.Option(help="only pages fetched on or after this day (YYYY-MM-DD)")] = None,
    sources: Annotated[str | None, typer.Option("--sources", help="sources file, for per-source settings")] = None,
    warehouse: WarehouseOption = None,
) -> None:
    """Rebuild stories from the raw archive (warehouse/data/archive), with no network."""
    quiet_prefect()
    from flows.pipeline.summary import RunSummary
    from flows.reparse import reparse as reparse_flow
    from warehouse.protocol import WarehouseError

    try:
        result = reparse_flow(warehouse_path=warehouse, since=since, sources_file=sources)
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
) -> None:
    """Parse documents into story records without touching the warehouse."""
    import itertools

    import orjson

    from flows.pipeline.extract import extract_paths, extract_urls

    if format != "jsonl":
        raise fail(f"unknown format {format!r}; use jsonl")
    urls = [i for i in inputs if i.startswith(("http://", "https://"))]
    paths = [i for i in inputs if i not in urls]
    failed = written = 0
    out = sys.stdout.buffer
    for outcome in itertools.chain(extract_paths(paths, workers=workers), extract_urls(urls) if urls else ()):
        if isinstance(outcome, tuple):
            locator, error = outcome
            failed += 1
            errors.print(f"rejected {locator}: {error}", highlight=False, soft_wrap=True)
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
    from flows.runtime.settings import object_store, warehouse_location
    from warehouse import open_warehouse
    from warehouse.protocol import WarehouseError

    try:
        days = {k: date.fromisoformat(v) if v else None for k, v in (("since", since), ("until", until))}
    except ValueError as error:
        raise fail(f"bad date: {error}") from None
    try:
        hits, unindexed = open_warehouse(warehouse_location(warehouse), object_store=object_store()).search(
            terms, topic=topic, limit=limit, **days
        )
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
) -> None:
    """Serve the ingest, maintenance, backfill and reparse deployments (needs `prefect server start`)."""
    quiet_prefect()
    from flows.deployments import serve_all
    from flows.sources.config import ConfigError

    try:
        serve_all(sources, warehouse, cron, maintenance_cron, export_parquet)
    except ConfigError as error:
        raise fail(str(error)) from None


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
        str, typer.Option("--to", help="the lake to create: ducklake:postgres:<dsn> (and $DATELINE_DATA_PATH)")
    ],
    warehouse: WarehouseOption = None,
    data_dir: Annotated[
        Path | None,
        typer.Option("--data-dir", help="the lake's run folder for the raw archive (default: $DATELINE_DATA_DIR)"),
    ] = None,
) -> None:
    """Copy an embedded warehouse and its raw archive into an empty DuckLake warehouse, exactly: every
    table's row count and content hash are checked on both sides."""
    from flows.runtime.settings import RunFolders, lake_data_path, object_store, run_folders, warehouse_location
    from flows.sources.fetching.archive import STORE_NAME
    from warehouse import is_file_location, open_warehouse
    from warehouse.ducklake.migrate import copy_archive
    from warehouse.ducklake.store import DuckLakeWarehouse
    from warehouse.protocol import WarehouseError

    source = Path(warehouse_location(warehouse))
    try:
        if not is_file_location(str(source)) or not source.exists():
            raise WarehouseError(f"{source}: migrate copies an existing embedded DuckDB warehouse file")
        lake = open_warehouse(warehouse_location(to), data_path=lake_data_path(), object_store=object_store())
        if not isinstance(lake, DuckLakeWarehouse):
            raise WarehouseError(f"--to {to!r}: not a ducklake: location")
        lake.check_writable()
        checks = lake.copy_from(source)
        target = RunFolders(data_dir) if data_dir else run_folders(lake.location)
        archive = copy_archive(run_folders(str(source)).archive / STORE_NAME, target.archive / STORE_NAME)
    except WarehouseError as error:
        raise fail(str(error)) from None
    for check in checks:
        console.print(f"{check.table}: {check.rows} rows, content hash {check.content_hash & 0xFFFFFFFFFFFF:012x} ✓")
    console.print(
        f"copied {sum(c.rows for c in checks)} rows in {len(checks)} tables into {lake.location}", highlight=False
    )
    console.print(archive, highlight=False)
