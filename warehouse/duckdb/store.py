"""The DuckDB-file warehouse: short-lived connections, one transaction per load, idempotent merge.

A DuckDB file open for writing cannot be opened by any other process, not even read-only,
so this backend holds the file only while it migrates or merges a batch, and retries with
backoff when someone else (an analyst's notebook, the DuckDB CLI) holds it.
"""

from __future__ import annotations

import os
import random
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import asdict
from datetime import date, datetime
from pathlib import Path
from typing import TypeVar

import duckdb
import polars as pl

from transforms.enrich.duplicates import LSH_BANDS, LSH_ROWS
from transforms.star import SIGNATURE_COLUMNS, Reject, StarBatch
from warehouse.duckdb import summaries
from warehouse.duckdb.maintenance import export_parquet
from warehouse.duckdb.migrations import SQL_DIR, apply_migrations
from warehouse.duckdb.search import load_fts
from warehouse.protocol import (
    KnownStory,
    LeaseHolder,
    LoadBatch,
    LoadResult,
    QueryError,
    QueryResult,
    SearchHit,
    WarehouseError,
    WarehouseLocked,
)

T = TypeVar("T")

# Rows per row group for everything a writer appends. A checkpoint rewrites every row group a transaction
# touched in full, the bodies too, and each load's connection checkpoints as it closes: with DuckDB's
# default (122,880 rows) a warehouse's last row group fills up over a whole 100k-story run, so each load
# re-compressed up to 100k stored bodies and held them in memory meanwhile (bench/memory.py: the run's
# peak grew with the warehouse). Small groups bound that work to a few thousand rows; an update to an old
# story rewrites only its own group. DuckDB takes the size per attachment, not from the file, so every
# writing connection attaches with it (a default connection's checkpoint would merge the groups back).
ROW_GROUP_ROWS = 8192
# DuckDB threads for what a run does while its enrichment workers hold every core: the merges and the lookups
# before them. A second thread there only takes turns with the workers, and each thread builds hash tables and
# reads blocks of its own, so one thread holds less at the same speed (docs/benchmarks.md, "One thread for a
# run's merges"). Maintenance (checkpoints, exports, rebuilds) runs alone and keeps every core.
RUN_THREADS = 1
# DuckDB's memory limit for the wire-copy lookup. It reads every stored signature of its window (1 KB a story),
# and DuckDB keeps what a query reads cached up to its limit (most of the machine's memory by default): at 100k
# stories the run's process grew by the whole signature table at every chunk. Under this limit DuckDB evicts as
# it scans, at the same speed; a window that needs more is looked up again without it (`signatures_near`).
LOOKUP_MEMORY_LIMIT = "32MB"

# Bridges and detail facts whose rows belong to one story and are replaced as a set when it changes.
_STORY_CHILDREN = (
    "bridge_story_topic",
    "bridge_story_entity",
    "bridge_story_author",
    "fact_quote",
    "fact_date_mention",
)
_REJECT_COLUMNS = {c: pl.String() for c in ("source", "locator", "stage", "reason", "detail")}
# Dimensions and their keys: rows are only ever added, a key already stored keeps its row.
_DIMENSIONS = {"dim_date": "date_key", "dim_author": "author_key", "dim_topic": "topic_key", "dim_entity": "entity_key"}
_STORY_COLUMNS = (
    "story_key, story_id, source_key, date_key, date_basis, published_at, published_day, published_precision, "
    "updated_at, updated_day, updated_precision, url, headline, summary, dateline, section, language, "
    "image_caption, body, word_count, content_hash, duplicate_of, enrichment_version"
)
# What enrichment writes: the rows `dateline reenrich` replaces (a story's own sections, tags and authors are
# parsed facts and stay). Topics of scheme `source` are the story's own labels, so only IPTC topics go.
_ENRICHMENT_CHILDREN = {
    "bridge_story_topic": "AND topic_key IN (SELECT topic_key FROM dim_topic WHERE scheme = 'iptc')",
    "bridge_story_entity": "",
    "fact_quote": "",
    "fact_date_mention": "",
}
_STORIES_TO_ENRICH = (SQL_DIR / "reenrich" / "stories_to_enrich.sql").read_text(encoding="utf-8")
_STORED_CANDIDATES = (SQL_DIR / "wire_copies" / "stored_candidates.sql").read_text(encoding="utf-8")
# DuckDB: 'Conflicting lock is held in /usr/bin/python3.11 (PID 4242) by user ann. See also ...': the holder is
# a path with dots in it, so it ends only at the PID, the user, or the sentence
_LOCK_HINT = re.compile(
    r"Conflicting lock is held in (?P<holder>.+?)(?: \(PID (?P<pid>\d+)\))?(?: by user [^.]*)?(?:\. See|\.?$)",
    re.MULTILINE,
)


def _lock_message(location: str, error: duckdb.Error) -> str:
    match = _LOCK_HINT.search(str(error))
    holder = f" by {match['holder'].strip()}" + (f" (PID {match['pid']})" if match["pid"] else "") if match else ""
    return f"warehouse {location} is locked{holder}; close that session or wait, then retry"


_HOST = socket.gethostname()


def _process_alive(pid: int | None) -> bool:
    """Whether a process of this machine still exists (runs recorded before pids were kept count as gone)."""
    if pid is None:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, under another user
        return True
    return True


_READING = (duckdb.StatementType.SELECT, duckdb.StatementType.EXPLAIN)
# `dateline export fact_story`: a bare (optionally schema-qualified) name is a table or view, anything else a query
_RELATION_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?")
_EXPORT_BATCH_ROWS = 100_000


def _as_csv_column(name: str, type_id: str) -> str:
    quoted = '"' + name.replace('"', '""') + '"'
    return (
        f"CAST({quoted} AS VARCHAR) AS {quoted}" if type_id in ("list", "array", "struct", "map", "union") else quoted
    )


@contextmanager
def _time_limit(con: duckdb.DuckDBPyConnection, timeout_s: float | None) -> Iterator[None]:
    """Interrupt the connection's query after `timeout_s` seconds; DuckDB's errors become `QueryError`s."""
    timer = threading.Timer(timeout_s, con.interrupt) if timeout_s else None
    if timer is not None:
        timer.daemon = True
        timer.start()
    try:
        yield
    except duckdb.InterruptException:
        raise QueryError(f"query stopped after {timeout_s:g} s (raise --timeout to allow longer)") from None
    except duckdb.Error as error:
        raise QueryError(str(error)) from None
    finally:
        if timer is not None:
            timer.cancel()


def _one_reading_statement(sql: str) -> str:
    """`sql` when it is exactly one statement of a reading kind, else a one-line `QueryError`: several
    statements would let a write hide behind a SELECT whose result is the only one shown."""
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as error:
        raise QueryError(str(error)) from None
    if not statements:
        raise QueryError("empty query: give one SELECT (or WITH, EXPLAIN, DESCRIBE, SHOW, SUMMARIZE) statement")
    if len(statements) > 1:
        raise QueryError(f"one statement at a time: this query holds {len(statements)}")
    if statements[0].type not in _READING:
        kind = statements[0].type.name
        raise QueryError(
            f"{kind} is not a reading statement: analyst SQL is read-only (SELECT, WITH, EXPLAIN, DESCRIBE, SHOW, "
            "SUMMARIZE)"
        )
    return sql


def _is_lock_error(error: duckdb.Error) -> bool:
    return "lock" in str(error).lower()


def _is_storage_error(error: duckdb.Error) -> bool:
    """A write the disk refused (full, file too large, I/O error): DuckDB reports a failed COMMIT as a
    TransactionException, other writes as an IOException."""
    return isinstance(error, (duckdb.IOException, duckdb.TransactionException)) and not _is_lock_error(error)


class DuckDBWarehouse:
    """Warehouse backend over one DuckDB database file."""

    def __init__(self, path: Path, *, lock_timeout_s: float = 30.0) -> None:
        self.path = path
        self.location = str(path)
        self.lock_timeout_s = lock_timeout_s

    # -- connections ---------------------------------------------------------------------------

    def _connect(
        self, *, read_only: bool, threads: int | None = None, memory_limit: str | None = None
    ) -> duckdb.DuckDBPyConnection:
        if not read_only:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as error:
                raise WarehouseError(
                    f"warehouse folder {self.path.parent} cannot be created: {error.strerror}"
                ) from None
            # spill files next to the warehouse, as DuckDB puts them for a file it opens itself (an in-memory
            # connection would spill into the current directory)
            config: dict[str, str | int] = {"temp_directory": f"{self.path}.tmp"}
            if threads is not None:
                config["threads"] = threads
            if memory_limit is not None:
                config["memory_limit"] = memory_limit
            con = duckdb.connect(config=config)
            try:
                quoted = str(self.path).replace("'", "''")
                con.execute(f"ATTACH '{quoted}' AS warehouse (ROW_GROUP_SIZE {ROW_GROUP_ROWS})")
                con.execute("USE warehouse")
            except BaseException:
                con.close()
                raise
            return con
        if not self.path.exists():
            raise WarehouseError(f"warehouse {self.path} does not exist yet; run `dateline run` first")
        return duckdb.connect(str(self.path), read_only=True)

    def _exists(self) -> bool:
        """Whether there is a warehouse to look things up in yet (before the first run there is not)."""
        return self.path.exists()

    def _with_retry(self, action: Callable[[], T], timeout_s: float) -> T:
        """Run `action`, retrying lock conflicts with jittered backoff for up to `timeout_s`."""
        deadline = time.monotonic() + timeout_s
        delay = 0.05
        while True:
            try:
                return action()
            except duckdb.IOException as error:
                if not _is_lock_error(error):
                    raise WarehouseError(f"warehouse {self.location}: {str(error).splitlines()[0]}") from None
                if time.monotonic() + delay > deadline:
                    raise WarehouseLocked(_lock_message(self.location, error)) from None
                time.sleep(delay * (0.5 + random.random()))
                delay = min(delay * 2, 2.0)

    def plain_read_only(self, timeout_s: float) -> duckdb.DuckDBPyConnection:
        """An unsandboxed read-only connection (the caller's own code, not analyst SQL from outside), waiting up
        to `timeout_s` for a load to release the file."""
        return self._with_retry(lambda: self._connect(read_only=True), timeout_s)

    @contextmanager
    def _writer(
        self, *, threads: int | None = None, memory_limit: str | None = None
    ) -> Iterator[duckdb.DuckDBPyConnection]:
        """A writable connection for one piece of work, closed after it (DuckDB keeps what a connection read
        until then); `threads` DuckDB threads, else one per core; DuckDB's own `memory_limit`, else its default."""
        con = self._with_retry(
            lambda: self._connect(read_only=False, threads=threads, memory_limit=memory_limit), self.lock_timeout_s
        )
        try:
            yield con
        except duckdb.Error as error:
            if _is_storage_error(error):  # a full disk is a one-line WarehouseError, not a traceback
                raise WarehouseError(f"warehouse {self.location}: {str(error).splitlines()[0]}") from None
            raise
        finally:
            con.close()

    @contextmanager
    def read_only(
        self, timeout_s: float = 5.0, *, readable_dirs: Sequence[str] = ()
    ) -> Iterator[duckdb.DuckDBPyConnection]:
        """A sandboxed read-only connection; retries briefly when a load holds the file, then explains the lock.

        Read-only protects the warehouse's tables, not the filesystem: `COPY ... TO`, `ATTACH ... (READ_ONLY
        false)` and `EXPORT DATABASE` would still write anywhere this user can, and `read_csv` read anything.
        So external access is switched off (only `readable_dirs` stay readable) and the configuration locked,
        so the query cannot switch it back. The fts extension is loaded first, because loading it is itself
        file access: analysts' `match_bm25` and `dateline search` need it."""
        con = self._with_retry(lambda: self._connect(read_only=True), timeout_s)
        try:
            load_fts(con)
            if readable_dirs:
                folders = [str(Path(d).expanduser().resolve()) + os.sep for d in readable_dirs]
                con.execute("SET allowed_directories = ?", [folders])
            con.execute("SET enable_external_access = false")
            con.execute("SET lock_configuration = true")
            yield con
        finally:
            con.close()

    def query(self, sql: str, *, timeout_s: float | None = 60.0, readable_dirs: Sequence[str] = ()) -> QueryResult:
        """One reading statement (SELECT, WITH, EXPLAIN, DESCRIBE, SHOW, SUMMARIZE, PRAGMA of a reading
        kind: DuckDB's parser says which), on a sandboxed connection, stopped after `timeout_s` seconds."""
        statement = _one_reading_statement(sql)
        with self.read_only(readable_dirs=readable_dirs) as con, _time_limit(con, timeout_s):
            cursor = con.execute(statement)
            return QueryResult([d[0] for d in cursor.description or []], cursor.fetchall())

    def export(self, relation: str, out: Path, *, timeout_s: float | None = None) -> int:
        """Stream the rows in Arrow batches into a temporary file beside `out`, renamed over it when complete:
        memory stays flat for a table of any size, and the SQL itself never touches the filesystem (the
        sandbox stays on; Python writes the file)."""
        import pyarrow.csv
        import pyarrow.parquet

        kind = out.suffix.lower()
        if kind not in (".parquet", ".csv"):
            raise QueryError(f"{out}: export writes .parquet or .csv files")
        statement = f"SELECT * FROM {relation}" if _RELATION_NAME.fullmatch(relation) else relation
        statement = _one_reading_statement(statement)
        partial = out.with_name(f".{out.name}.partial")
        rows = 0
        try:
            with self.read_only() as con, _time_limit(con, timeout_s):
                result = con.sql(statement)
                if kind == ".csv":  # CSV has no lists or structs: they are written as DuckDB prints them
                    result = result.select(
                        ", ".join(_as_csv_column(c, t.id) for c, t in zip(result.columns, result.types, strict=True))
                    )
                batches = result.to_arrow_reader(_EXPORT_BATCH_ROWS)
                open_writer = pyarrow.parquet.ParquetWriter if kind == ".parquet" else pyarrow.csv.CSVWriter
                with open_writer(str(partial), batches.schema) as writer:
                    for batch in batches:
                        writer.write_batch(batch)
                        rows += batch.num_rows
            partial.replace(out)
        except OSError as error:
            raise WarehouseError(f"cannot write {out}: {error.strerror or error}") from None
        finally:
            partial.unlink(missing_ok=True)
        return rows

    def frames(self, queries: Mapping[str, str]) -> dict[str, pl.DataFrame]:
        with self.read_only() as con:
            return {name: con.execute(sql).pl() for name, sql in queries.items()}

    def search(
        self, terms: str, *, since: date | None, until: date | None, topic: str | None, limit: int
    ) -> tuple[list[SearchHit], int]:
        """Search on a read-only connection (an analyst's session stays undisturbed). A warehouse built
        before search existed gets its index built once, on a short writable connection."""
        from warehouse.duckdb.search import SearchIndexMissing, search, unindexed_stories

        filters = {"since": since, "until": until, "topic": topic, "limit": limit}
        try:
            with self.read_only() as con:
                return search(con, terms, **filters), unindexed_stories(con)
        except SearchIndexMissing:
            self.refresh_search_index(force=True)
        with self.read_only() as con:
            return search(con, terms, **filters), unindexed_stories(con)

    # -- housekeeping: each waits for a load the way a load waits for a lock, so scheduled maintenance
    # -- does not fail because a run was merging

    def refresh_search_index(self, *, force: bool = False) -> bool:
        """Rebuild the full-text index if stories changed; a lock held by someone else skips it (the
        stories are safe, only search lags until the next run or the daily maintenance)."""
        from warehouse.duckdb.search import refresh_search_index

        try:
            with self._writer() as con:
                return refresh_search_index(con, force=force)
        except WarehouseLocked:
            return False

    def repair_summaries(self) -> dict[str, int]:
        with self._writer() as con:
            return summaries.repair(con)

    def checkpoint(self) -> None:
        """Fold the write-ahead log into the database file, so a copy of the file alone is complete."""
        with self._writer() as con:
            con.execute("CHECKPOINT")

    def export_parquet(self, out_dir: Path) -> dict[str, int]:
        with self._writer() as con:
            return export_parquet(con, out_dir)

    # -- schema and runs -------------------------------------------------------------------------

    def check_writable(self) -> None:
        """Fail early, in one line, when the warehouse folder cannot be written."""
        folder = self.path.parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
            probe = folder / f".dateline-write-probe-{random.getrandbits(32):08x}"
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as error:
            raise WarehouseError(f"warehouse folder {folder} is not writable: {error.strerror or error}") from None

    def migrate(self) -> list[int]:
        with self._writer() as con:
            try:
                return apply_migrations(con)
            except duckdb.IOException as error:
                raise WarehouseError(f"warehouse {self.location}: {str(error).splitlines()[0]}") from None

    def start_run(self, run_id: str, flow_run_id: str | None, started_at: datetime) -> None:
        """Record the run. A run still 'running' whose process is gone was killed, and says so from now on;
        one whose process lives (a concurrent run on this machine) is left alone. Runs recorded by
        another machine cannot be checked and are left to finish or to be marked there."""
        with self._writer() as con:
            running = con.execute("SELECT run_id, host, pid FROM etl_run WHERE status = 'running'").fetchall()
            dead = [rid for rid, host, pid in running if host in (None, _HOST) and not _process_alive(pid)]
            if dead:
                con.execute(
                    "UPDATE etl_run SET status = 'abandoned', "
                    "message = 'the process stopped before the run finished' WHERE list_contains(?, run_id)",
                    [dead],
                )
            con.execute(
                "INSERT INTO etl_run (run_id, flow_run_id, started_at, status, host, pid) "
                "VALUES (?, ?, ?, 'running', ?, ?)",
                [run_id, flow_run_id, started_at, _HOST, os.getpid()],
            )

    def take_leases(self, run_id: str, sources: Sequence[str], ttl_s: float) -> list[LeaseHolder]:
        """Lease `sources` to this run, all or none, in one transaction (DuckDB admits one writing process,
        so two runs cannot both see a source free). If another live run holds any of them nothing is
        taken and its leases are returned; the caller waits and asks again. A lease is void once it
        expires, its run is no longer 'running', or its process on this host is gone."""
        with self._writer() as con:
            con.execute("BEGIN TRANSACTION")
            held = con.execute(
                "SELECT l.source, l.run_id, l.host, l.pid, l.expires_at < now(), r.status FROM etl_lease l "
                "LEFT JOIN etl_run r USING (run_id) WHERE list_contains(?, l.source) AND l.run_id <> ?",
                [list(sources), run_id],
            ).fetchall()
            live = [
                LeaseHolder(source, holder, host, pid)
                for source, holder, host, pid, expired, status in held
                if not expired and status == "running" and (host != _HOST or _process_alive(pid))
            ]
            if live:
                con.execute("ROLLBACK")
                return live
            con.execute("DELETE FROM etl_lease WHERE list_contains(?, source)", [list(sources)])
            con.execute(
                "INSERT INTO etl_lease SELECT unnest(?::VARCHAR[]), ?, ?, ?, now(), now() + to_seconds(?::DOUBLE)",
                [list(sources), run_id, _HOST, os.getpid(), ttl_s],
            )
            con.execute("COMMIT")
        return []

    def release_leases(self, run_id: str) -> None:
        with self._writer() as con:
            con.execute("DELETE FROM etl_lease WHERE run_id = ?", [run_id])

    def finish_run(self, run_id: str, status: str, counts: dict[str, int], message: str | None) -> None:
        columns = ("found", "fetched", "parsed", "new", "updated", "unchanged", "duplicates", "rejected")
        assignments = ", ".join(f"{c} = ?" for c in columns)
        with self._writer() as con:
            con.execute(
                f"UPDATE etl_run SET finished_at = now(), status = ?, message = ?, {assignments} WHERE run_id = ?",
                [status, message, *(counts.get(c, 0) for c in columns), run_id],
            )

    def upsert_sources(self, sources: pl.DataFrame) -> None:
        with self._writer() as con:
            con.register("stage_source", sources.to_arrow())
            self._upsert(
                con,
                "dim_source",
                "source_key, name, kind, url, domain",
                "stage_source",
                "source_key",
                ("kind", "url", "domain"),
            )

    # -- the merge ------------------------------------------------------------------------------

    def load(self, batch: LoadBatch, *, staged_name: str | None = None) -> LoadResult:
        """Merge one batch in one transaction: new stories inserted, changed ones updated with a new
        version, unchanged ones untouched; the batch's fetch log, rejects and HTTP validators commit
        with it so a crash can never leave them out of step with the stories."""
        with self._writer(threads=RUN_THREADS) as con:
            con.execute("BEGIN TRANSACTION")
            try:
                if staged_name is not None and self._already_merged(con, staged_name, batch.run_id):
                    con.execute("ROLLBACK")
                    return LoadResult()
                result = self._merge(con, batch.star, batch.seen_at)
                rejects = [*batch.star.rejects, *batch.rejects]
                self._append_log(con, batch.run_id, batch.seen_at, batch.fetches, rejects)
                http_state, signatures = batch.http_state, batch.signatures
                if http_state is not None and http_state.height:
                    con.register("stage_http", http_state.to_arrow())
                    self._upsert(
                        con,
                        "etl_http_state",
                        "url, etag, last_modified, checked_at",
                        "stage_http",
                        "url",
                        ("etag", "last_modified", "checked_at"),
                    )
                if signatures is not None and signatures.height:
                    con.register("stage_signature", signatures.to_arrow())
                    self._upsert(
                        con,
                        "etl_story_signature",
                        "story_key, source_key, signature",
                        "stage_signature",
                        "story_key",
                        ("signature",),
                    )
                con.execute("COMMIT")
            except duckdb.Error:
                with suppress(duckdb.Error):  # a COMMIT that failed to write has already ended the transaction
                    con.execute("ROLLBACK")
                raise
            return result

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
        """Insert `columns` of the rows in `source` (a table name or a parenthesised query) into `table`; a row
        whose `key` is stored already gets its `updates` columns replaced, or is left as it is when there are
        none. The one statement a backend without unique constraints (the lake) must write differently."""
        action = (
            f"({key}) DO UPDATE SET " + ", ".join(f"{c} = excluded.{c}" for c in updates) if updates else "DO NOTHING"
        )
        con.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {source} ON CONFLICT {action}", params)

    @classmethod
    def _already_merged(cls, con: duckdb.DuckDBPyConnection, name: str, run_id: str) -> bool:
        """Claim a staged batch inside the merge transaction; True when an earlier merge already did."""
        if con.execute("SELECT 1 FROM etl_staged_batch WHERE name = ?", [name]).fetchone():
            return True
        con.execute("INSERT INTO etl_staged_batch VALUES (?, ?, now())", [name, run_id])
        cls._upsert(
            con,
            "etl_run",
            "run_id, started_at, status, message",
            "(SELECT ? AS run_id, now() AS started_at, 'staged' AS status, "
            "'loaded from staging: the warehouse was locked during this run' AS message)",
            "run_id",
            params=[run_id],
        )
        return False

    def _merge(self, con: duckdb.DuckDBPyConnection, batch: StarBatch, seen_at: datetime) -> LoadResult:
        if batch.reenriched.height:
            self._replace_enrichment(con, batch)
        if batch.stories.is_empty():
            return LoadResult()
        stories = batch.stories
        if "enrichment_version" not in stories.columns:  # built without enrichment, or staged before it was kept
            stories = stories.with_columns(enrichment_version=pl.lit(None, pl.String()))
        con.register("stage_story", stories.to_arrow())
        # A stored copy newer than the incoming one (an old feed item arriving late) is kept as it is.
        con.execute(
            """
            CREATE OR REPLACE TEMP TABLE story_status AS
            SELECT s.story_key,
                   CASE
                     WHEN f.story_key IS NULL THEN 'new'
                     WHEN f.content_hash = s.content_hash
                          AND f.updated_at IS NOT DISTINCT FROM s.updated_at
                          AND f.updated_day IS NOT DISTINCT FROM s.updated_day THEN 'unchanged'
                     -- the same text from a copy that knows no update time (a feed item) adds nothing
                     WHEN f.content_hash = s.content_hash
                          AND s.updated_at IS NULL AND s.updated_day IS NULL THEN 'unchanged'
                     WHEN coalesce(s.updated_at, s.updated_day::TIMESTAMPTZ)
                          < coalesce(f.updated_at, f.updated_day::TIMESTAMPTZ) THEN 'unchanged'
                     ELSE 'updated'
                   END AS status,
                   coalesce(f.version, 0) + 1 AS next_version
            FROM stage_story s LEFT JOIN fact_story f USING (story_key)
            """
        )
        by_status = con.execute(
            "SELECT coalesce(d.name, s.source_key::VARCHAR), st.status, count(*) FROM stage_story s "
            "JOIN story_status st USING (story_key) LEFT JOIN dim_source d USING (source_key) GROUP BY ALL"
        ).fetchall()
        counts: dict[str, int] = {}
        by_source: dict[str, tuple[int, int]] = {}
        for source, status, n in by_status:
            counts[status] = counts.get(status, 0) + n
            new, updated = by_source.get(source, (0, 0))
            by_source[source] = (new + n * (status == "new"), updated + n * (status == "updated"))
        changed = "SELECT story_key FROM story_status WHERE status <> 'unchanged'"
        if batch.relinks.height:
            con.register("stage_relink", batch.relinks.to_arrow())
            changed += " UNION SELECT story_key FROM stage_relink"
        summaries.track(con, changed)
        con.execute(
            f"""
            INSERT INTO fact_story ({_STORY_COLUMNS}, first_seen_at, version)
            SELECT {_STORY_COLUMNS}, first_seen_at, 1
            FROM stage_story JOIN story_status USING (story_key) WHERE status = 'new'
            """
        )
        updates = ", ".join(
            f"{c} = s.{c}"
            for c in _STORY_COLUMNS.replace(" ", "").split(",")
            if c not in ("story_key", "story_id", "duplicate_of")
        )
        con.execute(
            f"""
            UPDATE fact_story f SET {updates}, version = st.next_version,
                   duplicate_of = coalesce(s.duplicate_of, f.duplicate_of)
            FROM stage_story s JOIN story_status st USING (story_key)
            WHERE f.story_key = s.story_key AND st.status = 'updated'
            """
        )
        con.execute(
            """
            INSERT INTO fact_story_version
            SELECT s.story_key, st.next_version, s.content_hash, s.updated_at, s.updated_day, s.headline, ?
            FROM stage_story s JOIN story_status st USING (story_key) WHERE st.status <> 'unchanged'
            """,
            [seen_at],
        )
        if batch.relinks.height:
            con.execute(
                "UPDATE fact_story f SET duplicate_of = r.duplicate_of FROM stage_relink r "
                "WHERE f.story_key = r.story_key AND f.duplicate_of IS DISTINCT FROM r.duplicate_of"
            )
        self._merge_dimensions(con, batch)
        self._replace_children(con, batch)
        summaries.refresh(con)
        return LoadResult(
            new=counts.get("new", 0),
            updated=counts.get("updated", 0),
            unchanged=counts.get("unchanged", 0),
            by_source=by_source,
        )

    @staticmethod
    def _insert_frame(con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame, tail: str) -> None:
        """INSERT a batch frame into the table of the same columns; `tail` is a WHERE clause."""
        if frame.is_empty():
            return
        con.register(f"stage_{table}", frame.to_arrow())
        columns = ", ".join(frame.columns)
        con.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM stage_{table} {tail}")

    @classmethod
    def _merge_dimensions(cls, con: duckdb.DuckDBPyConnection, batch: StarBatch) -> None:
        for table, key in _DIMENSIONS.items():
            frame: pl.DataFrame = getattr(batch, table)
            if not frame.is_empty():
                con.register(f"stage_{table}", frame.to_arrow())
                cls._upsert(con, table, ", ".join(frame.columns), f"stage_{table}", key)

    @classmethod
    def _replace_children(cls, con: duckdb.DuckDBPyConnection, batch: StarBatch) -> None:
        """Replace the bridge and detail rows of new and changed stories (unchanged ones keep theirs)."""
        changed = "SELECT story_key FROM story_status WHERE status <> 'unchanged'"
        for table in _STORY_CHILDREN:
            con.execute(f"DELETE FROM {table} WHERE story_key IN ({changed})")
            cls._insert_frame(con, table, getattr(batch, table), f"WHERE story_key IN ({changed})")

    @classmethod
    def _replace_enrichment(cls, con: duckdb.DuckDBPyConnection, batch: StarBatch) -> None:
        """Replace the enrichment rows of stored stories and record the version that made them (`dateline
        reenrich`), summaries in step. A story whose text changed since it was read for re-enrichment (a run
        loaded a new version meanwhile) is left alone: its rows already come from its current text."""
        con.register("stage_reenriched", batch.reenriched.to_arrow())
        con.execute(
            "CREATE OR REPLACE TEMP TABLE reenriched AS SELECT r.story_key, r.enrichment_version "
            "FROM stage_reenriched r JOIN fact_story f ON f.story_key = r.story_key AND f.content_hash = r.content_hash"
        )
        keys = "SELECT story_key FROM reenriched"
        summaries.track(con, keys)
        con.execute(
            "UPDATE fact_story f SET enrichment_version = r.enrichment_version FROM reenriched r "
            "WHERE f.story_key = r.story_key"
        )
        cls._merge_dimensions(con, batch)
        for table, only in _ENRICHMENT_CHILDREN.items():
            con.execute(f"DELETE FROM {table} WHERE story_key IN ({keys}) {only}")
            cls._insert_frame(con, table, getattr(batch, table), f"WHERE story_key IN ({keys})")
        summaries.refresh(con)

    @staticmethod
    def _append_log(
        con: duckdb.DuckDBPyConnection,
        run_id: str,
        seen_at: datetime,
        fetches: pl.DataFrame | None,
        rejects: list[Reject],
    ) -> None:
        if fetches is not None and fetches.height:
            con.register("stage_fetch", fetches.with_columns(run_id=pl.lit(run_id)).to_arrow())
            columns = ", ".join(fetches.columns)
            con.execute(f"INSERT INTO etl_fetch (run_id, {columns}) SELECT run_id, {columns} FROM stage_fetch")
        if rejects:
            frame = pl.DataFrame([asdict(r) for r in rejects], schema=_REJECT_COLUMNS)
            con.register("stage_reject", frame.to_arrow())
            con.execute(
                "INSERT INTO etl_reject SELECT ?, source, locator, stage, reason, detail, ? FROM stage_reject",
                [run_id, seen_at],
            )

    # -- lookups for incremental runs -------------------------------------------------------------

    def _lookup(self, sql: str, values: list[str]) -> list[tuple]:
        if not values or not self._exists():
            return []
        with self._writer(threads=RUN_THREADS) as con:
            con.register("lookup", pl.DataFrame({"value": values}).to_arrow())
            return con.execute(sql).fetchall()

    def known_stories(self, urls: list[str]) -> dict[str, KnownStory]:
        rows = self._lookup(
            "SELECT url, updated_at, published_at FROM fact_story JOIN lookup ON url = lookup.value", urls
        )
        return {url: KnownStory(url, updated, published) for url, updated, published in rows}

    def http_validators(self, urls: list[str]) -> dict[str, tuple[str | None, str | None]]:
        rows = self._lookup(
            "SELECT url, etag, last_modified FROM etl_http_state JOIN lookup ON url = lookup.value", urls
        )
        return {url: (etag, modified) for url, etag, modified in rows}

    def url_owners(self, urls: list[str]) -> dict[str, str]:
        """Which source each URL belongs to: from its stored story, else from an earlier reject of it."""
        rows = self._lookup(
            "SELECT lookup.value, coalesce(any_value(s.name), any_value(r.source)) FROM lookup "
            "LEFT JOIN fact_story f ON f.url = lookup.value LEFT JOIN dim_source s ON s.source_key = f.source_key "
            "LEFT JOIN etl_reject r ON r.locator = lookup.value GROUP BY lookup.value",
            urls,
        )
        return {url: owner for url, owner in rows if owner}

    def stories_to_enrich(self, version: str, after_key: int | None, limit: int) -> pl.DataFrame:
        """Up to `limit` stored stories whose `enrichment_version` is not `version`, in story_key order after
        `after_key`, with what enrichment reads (`transforms.normalise.reenrich_chunk`'s columns)."""
        if not self._exists():
            return pl.DataFrame()
        with self._writer(threads=RUN_THREADS) as con:
            return con.execute(
                _STORIES_TO_ENRICH, [version, after_key if after_key is not None else -(2**63), limit]
            ).pl()

    def signatures_near(self, first_day: int, last_day: int, signatures: pl.DataFrame) -> pl.DataFrame:
        if signatures.is_empty() or not self._exists():
            return pl.DataFrame(schema=SIGNATURE_COLUMNS)
        try:
            return self._stored_candidates(first_day, last_day, signatures, LOOKUP_MEMORY_LIMIT)
        except duckdb.OutOfMemoryException:
            return self._stored_candidates(first_day, last_day, signatures, None)

    def _stored_candidates(
        self, first_day: int, last_day: int, signatures: pl.DataFrame, memory_limit: str | None
    ) -> pl.DataFrame:
        parameters = {"first_day": first_day, "last_day": last_day, "bands": LSH_BANDS, "rows": LSH_ROWS}
        with self._writer(threads=RUN_THREADS, memory_limit=memory_limit) as con:
            con.register("chunk_signatures", signatures.select("signature"))
            found = con.execute(_STORED_CANDIDATES, parameters).pl()
        return found.rename(dict(zip(found.columns, SIGNATURE_COLUMNS, strict=True))).cast(SIGNATURE_COLUMNS)


def read_only_connection(path: str | Path, timeout_s: float = 60.0) -> duckdb.DuckDBPyConnection:
    """A read-only DuckDB connection for notebooks and scripts that works while a run loads.

    A load holds the file only while it merges a batch (seconds), but during that time DuckDB refuses
    every other connection, read-only ones too: a bare `duckdb.connect(path, read_only=True)` then fails.
    This retries with jittered backoff for up to `timeout_s`, then raises `WarehouseLocked` naming the
    holder. Close it soon (`with read_only_connection(p) as con:`): while it is open, the run's next
    merge waits for it, and after 30 s stages its batch on disk for a later run.
    """
    return DuckDBWarehouse(Path(path)).plain_read_only(timeout_s)
