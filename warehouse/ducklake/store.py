"""The DuckLake warehouse: the embedded backend's merge, run on a lake attached to DuckDB.

The merge SQL is the embedded backend's own (`DuckDBWarehouse`), on a connection whose default catalog
is the lake; only what needs unique constraints differs. DuckLake has none, and concurrent appends do
not conflict: two processes MERGE-ing overlapping keys were measured to leave a duplicate. So every
write here runs under one PostgreSQL advisory lock of the catalog database, taken before the lake
transaction starts (its snapshot then includes every earlier writer's commit) and released after it
commits: the new-story anti-join and the `MERGE INTO` upserts see all stored keys and no one else can
add one meanwhile. Fetching and parsing stay parallel across hosts; merges of one lake take turns. A
commit that still conflicts (maintenance rewriting files, say) is retried from the start.
"""

from __future__ import annotations

import os
import random
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import TypeVar

import duckdb
import polars as pl

from warehouse.duckdb.extensions import LAKE_EXTENSIONS, load_extension
from warehouse.duckdb.store import _RELATION_NAME, DuckDBWarehouse, _one_reading_statement
from warehouse.ducklake.migrate import TableCheck, copy_into_lake
from warehouse.ducklake.sandbox import lock_down, refuse_catalog_access
from warehouse.ducklake.schema import apply_lake_migrations
from warehouse.ducklake.storage import ObjectStore, sql_string
from warehouse.protocol import (
    LeaseHolder,
    LoadBatch,
    LoadResult,
    QueryResult,
    SearchHit,
    WarehouseError,
    WarehouseLocked,
)

T = TypeVar("T")

SCHEME = "ducklake:"
_LAKE = "lake"  # the lake's alias on every connection, and its default catalog
_LOCAL = "memory"  # the in-memory DuckDB's own catalog, where search builds its index
_LOCK_DB = "dateline_lock"  # the catalog database attached a second time, as a plain PostgreSQL client
# One advisory lock per catalog database for all of Dateline's writes (advisory keys are per database);
# the number is "dateline" in ASCII, so another application's keys are unlikely to collide with it.
_LOCK_KEY = int.from_bytes(b"dateline", "big") >> 1
_INIT_LOCK_KEY = _LOCK_KEY + 1  # creating a new lake's catalog tables
_CONFLICT_RETRIES = 8
# A file that lost this share of its rows to later merges is rewritten without them at compaction: summary
# tables lose most of a file's rows at every load, story tables few; a small file is cheap to rewrite, and a
# file with deletes is never merged with its neighbours.
_REWRITE_SHARE = 0.25


def _usable_cores() -> int:
    """The cores this process may run on. DuckDB sizes its thread pool from the machine's cores and ignores
    the process's CPU affinity, so a loader pinned to one core (a worker per core) ran each merge on two
    threads taking turns on that core: more CPU for the same work, all of it under the lake's write lock."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _is_conflict(error: duckdb.Error) -> bool:
    return "conflict" in str(error).lower()


# What libpq and PostgreSQL say when the catalog's server went away (restarted, failed over, unreachable).
_LOST = (
    "server closed the connection",
    "terminating connection",
    "connection refused",
    "could not connect",
    "no connection to the server",
    "connection to server",
    "database system is shutting down",
    "database system is starting up",
    "database system is in recovery mode",
)


def _is_lost_catalog(error: duckdb.Error) -> bool:
    """libpq's words only: httpfs says "Could not connect to server" too, of an unreachable object store,
    which retrying for `reconnect_s` would not bring back."""
    text = str(error).lower()
    return "http" not in text and any(phrase in text for phrase in _LOST)


class CatalogUnreachable(WarehouseError):
    """Attaching failed because the catalog's PostgreSQL cannot be reached (a write retries it a while)."""


def _retryable(error: duckdb.Error) -> bool:
    return _is_conflict(error) or _is_lost_catalog(error)


class DuckLakeWarehouse(DuckDBWarehouse):
    """Warehouse backend over a DuckLake: catalog in PostgreSQL, data as Parquet under `data_path` (a
    directory, or `s3://bucket/prefix` reached with `object_store`'s credentials)."""

    def __init__(
        self,
        location: str,
        *,
        data_path: str | None = None,
        object_store: ObjectStore | None = None,
        lock_timeout_s: float = 120.0,
        reconnect_s: float = 60.0,
    ) -> None:
        catalog = location.removeprefix(SCHEME)
        if not catalog.startswith("postgres:"):
            raise WarehouseError(f"warehouse {location!r}: a lake's catalog must be `ducklake:postgres:<libpq dsn>`")
        self.location = location
        self.dsn = catalog.removeprefix("postgres:")
        self.data_path = data_path
        self.object_store = object_store
        self.lock_timeout_s = lock_timeout_s
        self.reconnect_s = reconnect_s
        self._databases: dict[bool, duckdb.DuckDBPyConnection] = {}
        self._guard = threading.Lock()
        self._search_guard = threading.Lock()
        self._indexed: str | None = None  # the stories' fingerprint the in-memory search index was built from

    # -- connections: one in-memory DuckDB per mode with the lake attached once; a cursor per use ------

    def _database(self, read_only: bool) -> duckdb.DuckDBPyConnection:
        with self._guard:
            if read_only not in self._databases:
                self._databases[read_only] = self._attach(read_only)
            return self._databases[read_only]

    def _attach(self, read_only: bool) -> duckdb.DuckDBPyConnection:
        db = duckdb.connect(
            config={
                "autoinstall_known_extensions": False,
                "autoload_known_extensions": False,
                "threads": _usable_cores(),
            }
        )
        try:
            for name in LAKE_EXTENSIONS:
                load_extension(db, name)
            if self.object_store:
                self.object_store.install(db)
            options = ["READ_ONLY"] if read_only else []
            if self.data_path and not read_only:
                options.append(f"DATA_PATH {sql_string(self.data_path)}")
            attach = f"ATTACH {sql_string(SCHEME + 'postgres:' + self.dsn)} AS {_LAKE}" + (
                f" ({', '.join(options)})" if options else ""
            )
            if read_only:
                db.execute(attach)
            else:
                db.execute(f"ATTACH {sql_string(self.dsn)} AS {_LOCK_DB} (TYPE postgres)")
                self._first_attach(db, attach)
        except (duckdb.Error, WarehouseError) as error:
            db.close()
            lost = isinstance(error, duckdb.Error) and _is_lost_catalog(error)
            raise (CatalogUnreachable if lost else WarehouseError)(
                f"warehouse {self.location}: {str(error).splitlines()[0]}"
            ) from None
        return db

    @staticmethod
    def _first_attach(db: duckdb.DuckDBPyConnection, attach: str) -> None:
        """Attach for writing under an advisory lock of its own: attaching a new lake creates its catalog
        tables, and two hosts creating them at once collide in PostgreSQL (measured: "duplicate key value
        violates unique constraint pg_type_typname_nsp_index"). The lock is held by a transaction on
        another cursor, as the write lock is, so it is released however the attach ends."""
        holder = db.cursor()
        holder.execute("BEGIN TRANSACTION")
        try:
            holder.execute(f"CALL postgres_execute('{_LOCK_DB}', 'SELECT pg_advisory_xact_lock({_INIT_LOCK_KEY})')")
            db.execute(attach)
        finally:
            with suppress(duckdb.Error):
                holder.execute("ROLLBACK")
            holder.close()

    def _connect(self, *, read_only: bool) -> duckdb.DuckDBPyConnection:
        con = self._database(read_only).cursor()
        con.execute(f"USE {_LAKE}")
        return con

    @contextmanager
    def read_only(
        self, timeout_s: float = 5.0, *, readable_dirs: Sequence[str] = ()
    ) -> Iterator[duckdb.DuckDBPyConnection]:
        """A sandboxed connection of its own: the lake attached read-only in a fresh in-memory DuckDB, then
        only the lake's data path (and `readable_dirs`) left readable and the configuration locked
        (`warehouse.ducklake.sandbox`). Fresh because a configuration lock is per database: the shared
        attachments of the loads and of search must keep theirs open."""
        db = self._attach(read_only=True)
        try:
            found = db.execute(
                f"SELECT value FROM __ducklake_metadata_{_LAKE}.ducklake_metadata WHERE key = 'data_path'"
            ).fetchone()
            data_path = found[0] if found else None
            folders = [str(Path(d).expanduser().resolve()) + os.sep for d in readable_dirs]
            lock_down(db, [data_path, *folders] if data_path else folders)
            db.execute(f"USE {_LAKE}")
            yield db
        finally:
            db.close()

    def query(self, sql: str, *, timeout_s: float | None = 60.0, readable_dirs: Sequence[str] = ()) -> QueryResult:
        """One reading statement, as on the embedded backend, that also calls nothing reaching the catalog."""
        self._check_analyst_sql(_one_reading_statement(sql))
        return super().query(sql, timeout_s=timeout_s, readable_dirs=readable_dirs)

    def export(self, relation: str, out: Path, *, timeout_s: float | None = None) -> int:
        if not _RELATION_NAME.fullmatch(relation):
            self._check_analyst_sql(_one_reading_statement(relation))
        return super().export(relation, out, timeout_s=timeout_s)

    def _check_analyst_sql(self, statement: str) -> None:
        with duckdb.connect() as con:  # the check only parses: no lake, no extensions
            refuse_catalog_access(con, statement)

    def _exists(self) -> bool:
        return True  # attaching creates the lake; lookups before the first load simply find nothing

    @contextmanager
    def _writer(
        self, *, threads: int | None = None, memory_limit: str | None = None
    ) -> Iterator[duckdb.DuckDBPyConnection]:
        """A writable cursor. A storage error (an unreachable object store, a full disk) is one line, as in the
        embedded backend; a commit conflict passes through unchanged so `_serialised` can retry it. `threads`
        and `memory_limit` are the embedded backend's per-connection settings; they do not apply here: every
        cursor shares one attached database, whose threads are set once for the process (`_usable_cores`)."""
        del threads, memory_limit
        con = self._connect(read_only=False)
        try:
            yield con
        except (duckdb.IOException, duckdb.TransactionException) as error:
            if _retryable(error):
                raise
            raise WarehouseError(f"warehouse {self.location}: {str(error).splitlines()[0]}") from None
        finally:
            con.close()

    @contextmanager
    def _write_lock(self) -> Iterator[None]:
        """Hold the lake's advisory lock: a transaction on the catalog database, kept open until the lake
        transaction inside has committed, and ended (releasing the lock) however that ends."""
        con = self._database(read_only=False).cursor()
        con.execute("BEGIN TRANSACTION")
        try:
            timeout_ms = int(self.lock_timeout_s * 1000)
            con.execute(
                f"CALL postgres_execute('{_LOCK_DB}', "
                f"'SET LOCAL lock_timeout = {timeout_ms}; SELECT pg_advisory_xact_lock({_LOCK_KEY})')"
            )
        except duckdb.Error as error:
            con.close()
            if "lock timeout" in str(error).lower():
                raise WarehouseLocked(
                    f"warehouse {self.location}: another writer held the lake for {self.lock_timeout_s:g} s"
                ) from None
            if _is_lost_catalog(error):
                raise
            raise WarehouseError(f"warehouse {self.location}: {str(error).splitlines()[0]}") from None
        try:
            yield
        finally:
            with suppress(duckdb.Error):  # a catalog connection that dropped has released the lock with it
                con.execute("ROLLBACK")
            con.close()

    def _serialised(self, action: Callable[[], T]) -> T:
        """Run one write under the lake's lock, retrying it whole when its commit conflicts, or when the
        catalog's PostgreSQL went away (a restart, a failover): then the attachments are made again, for
        up to `reconnect_s`. A failed attempt's catalog transaction died with its connection, so it committed
        nothing; and if the server had committed it just before the connection broke, the retry finds its
        stories stored and changes none of them (the merge is idempotent), only the batch's log rows
        (`etl_fetch`, `etl_reject`) would be appended a second time."""
        delay, conflicts = 0.05, 0
        deadline = time.monotonic() + self.reconnect_s
        while True:
            try:
                with self._write_lock():
                    return action()
            except (duckdb.Error, CatalogUnreachable) as error:
                first_line = str(error).splitlines()[0].removeprefix(f"warehouse {self.location}: ")
                lost = isinstance(error, CatalogUnreachable) or _is_lost_catalog(error)
                if lost and time.monotonic() < deadline:
                    self._forget_attachments()
                elif isinstance(error, duckdb.Error) and _is_conflict(error) and conflicts < _CONFLICT_RETRIES:
                    conflicts += 1
                elif lost:
                    raise WarehouseError(
                        f"warehouse {self.location}: the catalog's PostgreSQL did not come back within "
                        f"{self.reconnect_s:g} s ({first_line})"
                    ) from None
                else:
                    raise WarehouseError(f"warehouse {self.location}: {first_line}") from None
            time.sleep(delay * (0.5 + random.random()))
            delay = min(delay * 2, 2.0)

    def _forget_attachments(self) -> None:
        """Drop the cached attachments (their catalog connections are dead); the next use attaches anew."""
        with self._guard:
            databases, self._databases = self._databases, {}
        for db in databases.values():
            with suppress(duckdb.Error):
                db.close()

    # -- the constraint-dependent statement ------------------------------------------------------------

    @staticmethod
    def _upsert(
        con: duckdb.DuckDBPyConnection,
        table: str,
        columns: str,
        source: str,
        key: str,
        updates: tuple[str, ...] = (),
        params: list | None = None,
    ) -> None:
        """`MERGE INTO` keyed on `key`: correct only because the caller holds the lake's write lock."""
        names = [c.strip() for c in columns.split(",")]
        matched = (
            "WHEN MATCHED THEN UPDATE SET " + ", ".join(f"{c} = incoming.{c}" for c in updates) + " " if updates else ""
        )
        con.execute(
            f"MERGE INTO {table} USING (SELECT DISTINCT ON ({key}) {columns} FROM {source}) AS incoming "
            f"ON {table}.{key} = incoming.{key} {matched}"
            f"WHEN NOT MATCHED THEN INSERT ({columns}) VALUES ({', '.join(f'incoming.{c}' for c in names)})",
            params,
        )

    # -- writes: each under the lock, retried on conflict ------------------------------------------------

    def check_writable(self) -> None:
        """Attach the lake for writing now, so a wrong DSN, an unwritable data path or an unreachable object
        store fails in one line."""
        if self.data_path and "://" not in self.data_path:
            try:
                Path(self.data_path).mkdir(parents=True, exist_ok=True)
            except OSError as error:
                raise WarehouseError(f"lake data path {self.data_path} cannot be created: {error.strerror}") from None
        self._database(read_only=False)
        if self.data_path and "://" in self.data_path:  # list it, so an unreachable store fails before the run
            with self._writer() as con:
                try:
                    con.execute("SELECT count(*) FROM glob(?)", [self.data_path.rstrip("/") + "/*"])
                except duckdb.Error as error:
                    raise WarehouseError(f"lake data path {self.data_path}: {str(error).splitlines()[0]}") from None

    def migrate(self) -> list[int]:
        def apply() -> list[int]:
            with self._writer() as con:
                return apply_lake_migrations(con)

        return self._serialised(apply)

    def start_run(self, run_id: str, flow_run_id: str | None, started_at: datetime) -> None:
        self._serialised(partial(super().start_run, run_id, flow_run_id, started_at))

    def finish_run(self, run_id: str, status: str, counts: dict[str, int], message: str | None) -> None:
        self._serialised(partial(super().finish_run, run_id, status, counts, message))

    def upsert_sources(self, sources: pl.DataFrame) -> None:
        self._serialised(partial(super().upsert_sources, sources))

    def take_leases(self, run_id: str, sources: Sequence[str], ttl_s: float) -> list[LeaseHolder]:
        """Under the lake's lock like every write: the embedded backend relies on DuckDB's one writing
        process, so without the lock two hosts could both find a source free and both take it."""
        return self._serialised(partial(super().take_leases, run_id, sources, ttl_s))

    def release_leases(self, run_id: str) -> None:
        self._serialised(partial(super().release_leases, run_id))

    def load(self, batch: LoadBatch, *, staged_name: str | None = None) -> LoadResult:
        return self._serialised(partial(super().load, batch, staged_name=staged_name))

    def repair_summaries(self) -> dict[str, int]:
        return self._serialised(super().repair_summaries)

    def copy_from(self, source: Path) -> list[TableCheck]:
        """Copy the embedded warehouse file `source` into this lake, which must be empty, and check every
        table's rows and content hash on both sides (`warehouse.ducklake.migrate`)."""
        self.migrate()

        def copy() -> list[TableCheck]:
            with self._writer() as con:
                return copy_into_lake(con, _LAKE, source)

        return self._serialised(copy)

    def checkpoint(self) -> None:
        """Every lake commit is complete on its own (catalog row + Parquet files): nothing to fold."""

    def compact(self) -> dict[str, int]:
        """Fold the small Parquet files each merge leaves into fewer, larger ones, so later merges and queries
        stop reading one file per chunk per table. First files that have lost at least `_REWRITE_SHARE` of their
        rows to later merges are rewritten without them (DuckLake skips a file with deletes when it merges),
        then adjacent files are merged. Snapshots keep their rows (time travel still works); the replaced files
        go at the next `expire_and_clean` once no kept snapshot needs them. Returns files read and written."""

        def compact() -> dict[str, int]:
            with self._writer() as con:
                rewritten = con.execute(
                    f"CALL ducklake_rewrite_data_files('{_LAKE}', delete_threshold => ?)", [_REWRITE_SHARE]
                ).fetchall()
                merged = con.execute(f"CALL ducklake_merge_adjacent_files('{_LAKE}')").fetchall()
            # each row: schema, table, files processed, files created
            return {
                "files_rewritten": sum(row[2] for row in rewritten),
                "files_merged": sum(row[2] for row in merged),
                "files_written": sum(row[3] for row in rewritten + merged),
            }

        return self._serialised(compact)

    def expire_and_clean(self, keep: timedelta) -> dict[str, int]:
        """Expire the snapshots older than `keep` (time travel to them ends), then delete the files only they
        referenced and the orphans no snapshot ever committed (a writer killed between writing Parquet and
        committing) once older than `keep`, so a reader or writer still using them is not cut off.
        Each step measures `keep` from its own start, so files the expiry has just released count as old
        when `keep` is zero. Returns how many snapshots were expired and files deleted."""

        def clean() -> dict[str, int]:
            with self._writer() as con:
                counts = {}
                for name, function in (
                    ("snapshots_expired", "ducklake_expire_snapshots"),
                    ("files_deleted", "ducklake_cleanup_old_files"),
                    ("orphan_files_deleted", "ducklake_delete_orphaned_files"),
                ):
                    counts[name] = len(
                        con.execute(f"CALL {function}('{_LAKE}', older_than => now() - ?)", [keep]).fetchall()
                    )
                return counts

        return self._serialised(clean)

    # -- search: an index in the searching process, over the lake's snapshot (`warehouse.ducklake.search`) --

    def refresh_search_index(self, *, force: bool = False) -> bool:
        """Nothing to refresh: the lake holds no index; each searching process builds its own when needed."""
        return False

    def search(
        self, terms: str, *, since: date | None, until: date | None, topic: str | None, limit: int
    ) -> tuple[list[SearchHit], int]:
        """Search the lake's current snapshot; the index always covers it, so no story is left unindexed."""
        from warehouse.duckdb.search import search
        from warehouse.ducklake.search import build_local_index, lake_fingerprint

        with self._search_guard:
            con = self._database(read_only=True).cursor()
            try:
                fingerprint = lake_fingerprint(con, _LAKE)
                if fingerprint != self._indexed:
                    build_local_index(con, _LAKE, _LOCAL)
                    self._indexed = fingerprint
                con.execute(f"USE {_LOCAL}")
                return search(con, terms, since=since, until=until, topic=topic, limit=limit), 0
            finally:
                con.close()
