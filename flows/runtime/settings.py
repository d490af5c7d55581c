"""Every setting Dateline reads from the environment, in one place.

A command-line option wins over its environment variable, which wins over the default. The run
folders (raw archive, robots cache, staged batches, Parquet export) come from here rather than from
the warehouse file's location, because a warehouse given as a URI has no folder of its own.

| variable | default | what |
|---|---|---|
| `DATELINE_WAREHOUSE` | `warehouse/dateline.duckdb` | a DuckDB file, or `ducklake:postgres:<libpq dsn>` |
| `DATELINE_DATA_PATH` | none | where a new lake keeps its Parquet files (shared folder, `s3://…`) |
| `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN` | none | credentials for a lake in an object store |
| `AWS_ENDPOINT_URL` | AWS's own | an S3-compatible store's URL (`http://127.0.0.1:9000`) |
| `AWS_REGION` (else `AWS_DEFAULT_REGION`) | none | the object store's region |
| `DATELINE_S3_SECRET_BLOCK` | none | a Prefect `Secret` block holding those AWS variables as a JSON object |
| `DATELINE_DATA_DIR` | `data/` beside a warehouse file, else `warehouse/data/` | run folders |
| `DATELINE_USER_AGENT` | `FetchSettings`' own | the User-Agent every fetch sends (runs and `dateline extract`) |
| `DATELINE_CREDENTIALS` | none | HTTP Basic credentials: space-separated `https://user:password@host[:port]` |

`DATELINE_CREDENTIALS` entries are URLs whose `user:password@` (percent-encoded) is sent only to their
own origin, and only by sources whose URL is on that origin (flows/sources/access.py).
| `DATELINE_WORKERS` | the cores this process may use | processes for parsing and enrichment |
| `DATELINE_SCHEDULE` | every 15 minutes | the `ingest` deployment's cron |
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from warehouse import DEFAULT_WAREHOUSE, Warehouse, is_file_location, open_warehouse
from warehouse.ducklake.storage import ObjectStore
from warehouse.protocol import WarehouseError

if TYPE_CHECKING:
    from flows.sources.fetching.archive import Archive

DEFAULT_DATA_DIR = DEFAULT_WAREHOUSE.parent / "data"
DEFAULT_SCHEDULE = "*/15 * * * *"
_CREDENTIALS = "DATELINE_CREDENTIALS"
LAKE_PREFIX = "ducklake:postgres:"


def _env(name: str) -> str | None:
    return os.environ.get(name) or None


@dataclass(frozen=True, slots=True)
class RunFolders:
    """Where a run keeps what is not the warehouse itself."""

    root: Path

    @property
    def archive(self) -> Path:
        """The raw archive: every fetched body, for `dateline reparse`."""
        return self.root / "archive"

    @property
    def state(self) -> Path:
        """The robots.txt cache."""
        return self.root / "state"

    @property
    def staging(self) -> Path:
        """Batches staged while another process held the warehouse; each warehouse has its own folder
        below this one (`warehouse.staging.Staging`), so warehouses sharing a data folder never merge
        each other's batches."""
        return self.root / "staging"

    @property
    def export(self) -> Path:
        """The maintenance flow's Parquet copy of the star schema."""
        return self.root / "export"


def warehouse_location(explicit: str | os.PathLike[str] | None = None) -> str:
    """`--warehouse`, else `DATELINE_WAREHOUSE`, else warehouse/dateline.duckdb."""
    chosen = str(explicit) if explicit else _env("DATELINE_WAREHOUSE")
    return str(Path(chosen).expanduser()) if chosen and is_file_location(chosen) else chosen or str(DEFAULT_WAREHOUSE)


def run_folders(location: str) -> RunFolders:
    """`DATELINE_DATA_DIR`, else `data/` beside a warehouse file, else the project's `warehouse/data/`."""
    explicit = _env("DATELINE_DATA_DIR")
    if explicit:
        return RunFolders(Path(explicit).expanduser())
    return RunFolders(Path(location).parent / "data" if is_file_location(location) else DEFAULT_DATA_DIR)


def lake_data_path() -> str | None:
    """`DATELINE_DATA_PATH`: needed only to create a lake; an existing lake remembers its own."""
    return _env("DATELINE_DATA_PATH")


def object_store() -> ObjectStore | None:
    """The object store's credentials, or None when none is set: from the Prefect `Secret` block that
    `DATELINE_S3_SECRET_BLOCK` names (a JSON object keyed by the variables below), else, name by name, from
    the standard AWS variables (what every S3 tool reads). They go to the lake's connection as an in-memory
    DuckDB secret and to the raw archive's S3 client only: never to a table, a log line or a flow parameter."""
    block = _env("DATELINE_S3_SECRET_BLOCK")
    values = _secret_block(block) if block else {}

    def value(name: str) -> str | None:
        return values.get(name) or _env(name)

    store = ObjectStore(
        key_id=value("AWS_ACCESS_KEY_ID"),
        secret=value("AWS_SECRET_ACCESS_KEY"),
        session_token=value("AWS_SESSION_TOKEN"),
        endpoint_url=value("AWS_ENDPOINT_URL"),
        region=value("AWS_REGION") or _env("AWS_DEFAULT_REGION"),
    )
    return store if store != ObjectStore() else None


_S3_NAMES = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_REGION")


@cache
def _secret_block(name: str) -> dict[str, str]:
    """The values of the Prefect `Secret` block `name`, read once per process from the Prefect API the
    process talks to (a worker's flow runs: its server). Errors name the block, never its value."""
    from prefect.blocks.system import Secret

    try:
        value = Secret.load(name).get()
    except ValueError as error:  # no such block, or the API cannot be reached
        raise WarehouseError(f"Prefect Secret block {name!r}: {str(error).splitlines()[0]}") from None
    if not isinstance(value, dict) or not set(value) <= set(_S3_NAMES):
        names = ", ".join(_S3_NAMES)
        raise WarehouseError(f"Prefect Secret block {name!r}: expected a JSON object with some of {names}")
    return {key: str(item) for key, item in value.items() if item}


def lake_catalog(location: str) -> str | None:
    """The libpq connection string of a lake's catalog database, or None when `location` is not a lake."""
    return location.removeprefix(LAKE_PREFIX) if location.startswith(LAKE_PREFIX) else None


def configured_archive(location: str, folders: RunFolders) -> Archive:
    """The raw archive of runs on the warehouse at `location`: beside a lake whose Parquet is in an object
    store, in that store (bodies) and the lake's catalog database (the fetch index), so every worker writes
    to it and any host reparses from it; otherwise the SQLite archive in this host's run folder."""
    from flows.sources.fetching.archive import RawArchive

    data_path = lake_data_path() or ""
    catalog = lake_catalog(location)
    if catalog and data_path.startswith("s3://"):
        from flows.sources.fetching.object_archive import ObjectStoreArchive

        return ObjectStoreArchive(catalog, data_path, object_store())
    return RawArchive(folders.archive)


def configured_warehouse(explicit: str | os.PathLike[str] | None = None) -> Warehouse:
    """The warehouse `--warehouse` (else the environment, else the default) names, opened with the lake's data
    path and object-store credentials when it is a lake: what every command and flow opens."""
    return open_warehouse(warehouse_location(explicit), data_path=lake_data_path(), object_store=object_store())


ENTITY_MODES = ("model", "lead", "rules")


def entity_mode() -> str:
    """`DATELINE_ENTITIES`: `model` (default: spaCy NER over the story's first 4,000 characters, merged with
    the gazetteer rules), `lead` (the model over the first 600 only, about half its cost) or `rules` (the
    gazetteer rules alone: fastest, organisations mostly missed); figures in docs/benchmarks.md."""
    mode = _env("DATELINE_ENTITIES") or "model"
    if mode not in ENTITY_MODES:
        raise ValueError(f"DATELINE_ENTITIES={mode!r}: use one of {', '.join(ENTITY_MODES)}")
    return mode


def user_agent() -> str | None:
    """`DATELINE_USER_AGENT`, when the operator sets one."""
    return _env("DATELINE_USER_AGENT")


def credential_urls() -> list[str]:
    """`DATELINE_CREDENTIALS`: URLs whose `user:password@` is sent to their origin (see the table above)."""
    return (_env(_CREDENTIALS) or "").split()


def add_credential_url(url: str) -> None:
    """Hand credentials to this process's runs through `DATELINE_CREDENTIALS` rather than a flow parameter,
    which Prefect would store in its database (`dateline run --source https://user:pw@host/feed`)."""
    os.environ[_CREDENTIALS] = " ".join([*credential_urls(), url])


def configured_workers() -> int | None:
    """`DATELINE_WORKERS`, when set (at least 1)."""
    value = _env("DATELINE_WORKERS")
    return max(1, int(value)) if value else None


def configured_worker_memory() -> int | None:
    """`DATELINE_WORKER_MEMORY_MB` in bytes when set (0: workers are never replaced, returned as 0)."""
    value = _env("DATELINE_WORKER_MEMORY_MB")
    return max(0, int(value)) * 2**20 if value else None


def ingest_schedule(explicit: str | None = None) -> str:
    """`--cron`, else `DATELINE_SCHEDULE`, else every 15 minutes."""
    return explicit or _env("DATELINE_SCHEDULE") or DEFAULT_SCHEDULE
