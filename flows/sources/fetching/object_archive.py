"""The raw archive of a lake whose Parquet lives in an object store: reachable from every worker and host.

Bodies are objects keyed by the sha256 of their content (`dateline-archive/bodies/ab/abcd….zst` in the
lake's bucket), zstd-compressed as in the SQLite archive, so writing one twice is harmless and any host
reads any body by its key. The fetch index (one row per fetch: URL, final URL, status, headers, time, body
key) is a table of the lake's own PostgreSQL catalog database, schema `dateline_archive`, which every
host of the lake already reaches; it is written through DuckDB's postgres extension, the one the lake
loads, so the archive adds no database driver. A batch's bodies are written before its index rows, so
an entry never names a missing body.

The bodies sit beside the lake's data path, never under it: DuckLake's orphan cleanup deletes every file
under its data path that its catalog does not name. `dateline reparse` runs on any host that has the
lake's location, its data path (`DATELINE_DATA_PATH`) and the store's credentials.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

import duckdb
import orjson
import polars as pl

from flows.sources.fetching.archive import (
    Archive,
    ArchiveEntry,
    ArchiveUnavailable,
    PreparedFetch,
    RawArchive,
    verified_body,
)
from warehouse.duckdb.extensions import load_extension
from warehouse.ducklake.storage import ObjectStore, sql_string

PREFIX = "dateline-archive/"
_INDEX = "archive_index"
_SCHEMA = "dateline_archive"
# one advisory key for creating the index, so two workers starting together do not race on CREATE TABLE
_CREATE_LOCK = int.from_bytes(b"dlarchiv", "big") >> 1
_CREATE = f"""
BEGIN;
SELECT pg_advisory_xact_lock({_CREATE_LOCK});
CREATE SCHEMA IF NOT EXISTS {_SCHEMA};
CREATE TABLE IF NOT EXISTS {_SCHEMA}.fetches (
    id BIGSERIAL PRIMARY KEY,
    url TEXT NOT NULL,
    final_url TEXT,
    status INTEGER,
    headers TEXT NOT NULL,
    fetched_at TIMESTAMPTZ NOT NULL,
    key TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS fetches_by_url ON {_SCHEMA}.fetches (url, fetched_at);
COMMIT;
"""
_FRAME = {
    "url": pl.String,
    "final_url": pl.String,
    "status": pl.Int32,
    "headers": pl.String,
    "fetched_at": pl.Datetime("us", "UTC"),
    "key": pl.String,
}


@dataclass(frozen=True, slots=True)
class Bucket:
    name: str
    prefix: str


def archive_bucket(data_path: str) -> Bucket:
    """Where the archive of a lake with Parquet under `data_path` (`s3://bucket/prefix/`) keeps its bodies:
    `PREFIX` in the same bucket, beside the lake's prefix. A lake at the bucket's root, or under `PREFIX`,
    leaves no place outside its data path, and is refused in one line."""
    parts = urlsplit(data_path)
    lake_prefix = parts.path.lstrip("/")
    if not lake_prefix or lake_prefix.startswith(PREFIX):
        raise ArchiveUnavailable(
            f"{data_path}: the raw archive goes to s3://{parts.netloc}/{PREFIX}, outside the lake's data path; "
            "give the lake a prefix of its own (s3://bucket/lake/)"
        )
    return Bucket(parts.netloc, PREFIX)


class ObjectStoreArchive(Archive):
    """`Archive` with bodies in an S3-compatible store and the fetch index in the lake's catalog database.
    Thread-safe: the index connection is used under one lock; boto3 clients are thread-safe."""

    def __init__(self, dsn: str, data_path: str, store: ObjectStore | None, level: int = 3) -> None:
        super().__init__(level)
        self._dsn = dsn
        self._data_path = data_path
        self._store = store or ObjectStore()
        self._bucket: Bucket | None = None
        self._client = None

    # -- connections, opened on first use ------------------------------------------------------------

    def _index(self) -> duckdb.DuckDBPyConnection:
        """The DuckDB connection with the catalog database attached, the index created (callers hold the lock)."""
        if self._con is None:
            con = duckdb.connect(config={"autoinstall_known_extensions": False, "autoload_known_extensions": False})
            try:
                load_extension(con, "postgres_scanner")
                con.execute(f"ATTACH {sql_string(self._dsn)} AS {_INDEX} (TYPE postgres)")
                con.execute(f"CALL postgres_execute({sql_string(_INDEX)}, {sql_string(_CREATE)})")
            except duckdb.Error as error:
                con.close()
                raise ArchiveUnavailable(f"raw archive index: {str(error).splitlines()[0]}") from None
            self._con = con
        return self._con

    def _where(self) -> Bucket:
        if self._bucket is None:
            self._bucket = archive_bucket(self._data_path)
        return self._bucket

    def _s3(self):
        if self._client is None:
            import boto3
            from botocore.config import Config

            store = self._store
            self._client = boto3.client(
                "s3",
                endpoint_url=store.endpoint_url,
                aws_access_key_id=store.key_id,
                aws_secret_access_key=store.secret,
                aws_session_token=store.session_token,
                region_name=store.region,
                config=Config(s3={"addressing_style": "path"} if store.endpoint_url else {}),
            )
        return self._client

    def _object(self, key: str) -> str:
        return f"{self._where().prefix}bodies/{key[:2]}/{key}.zst"

    # -- the Archive interface -------------------------------------------------------------------------

    def store(self, fetches: Sequence[PreparedFetch]) -> None:
        """Upload the batch's bodies (each distinct one once), then add its entries to the index in one
        statement; `ArchiveUnavailable` when the store or the catalog cannot be written."""
        if not fetches:
            return
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            bucket = self._where()
            for key, compressed in {f.key: f.compressed for f in fetches}.items():
                self._s3().put_object(Bucket=bucket.name, Key=self._object(key), Body=compressed)
        except (BotoCoreError, ClientError) as error:
            raise ArchiveUnavailable(f"raw archive bodies: {type(error).__name__}: {error}"[:300]) from None
        rows = pl.DataFrame(
            [
                (e.url, e.final_url, e.status_code, orjson.dumps(e.headers).decode(), e.fetched_at, e.key)
                for e in (f.entry for f in fetches)
            ],
            schema=_FRAME,
            orient="row",
        )
        with self._lock:
            try:
                con = self._index()
                con.register("archive_rows", rows)
                con.execute(f"INSERT INTO {_INDEX}.{_SCHEMA}.fetches ({', '.join(_FRAME)}) SELECT * FROM archive_rows")
                con.unregister("archive_rows")
            except duckdb.Error as error:
                raise ArchiveUnavailable(f"raw archive index: {str(error).splitlines()[0]}") from None

    def get(self, key: str) -> bytes:
        from botocore.exceptions import ClientError

        try:
            answer = self._s3().get_object(Bucket=self._where().name, Key=self._object(key))
            compressed = answer["Body"].read()
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") not in ("NoSuchKey", "404"):
                raise
            compressed = None
        return verified_body(key, compressed)

    def iter_entries(self, since: datetime | None = None) -> Iterator[ArchiveEntry]:
        """The latest entry per URL at or after `since`, oldest first (PostgreSQL's DISTINCT ON picks them)."""
        cutoff = (since or datetime(1, 1, 1, tzinfo=UTC)).astimezone(UTC).isoformat()
        latest = (
            f"SELECT DISTINCT ON (url) url, final_url, status, headers, fetched_at, key, id FROM {_SCHEMA}.fetches "
            f"WHERE fetched_at >= '{cutoff}'::timestamptz ORDER BY url, fetched_at DESC, id DESC"
        )
        with self._lock:
            rows = (
                self._index()
                .execute(
                    "SELECT url, final_url, status, headers, fetched_at, key FROM postgres_query(?, ?) "
                    "ORDER BY fetched_at, id",
                    [_INDEX, latest],
                )
                .fetchall()
            )
        for url, final_url, status, headers, fetched_at, key in rows:
            yield ArchiveEntry(url, final_url, status, orjson.loads(headers), fetched_at.astimezone(UTC), key)

    def counts(self) -> tuple[int, int]:
        """(fetches in the index, distinct bodies they name): what a migration checks."""
        with self._lock:
            return (
                self._index()
                .execute(f"SELECT count(*), count(DISTINCT key) FROM {_INDEX}.{_SCHEMA}.fetches")
                .fetchone()
            )


def copy_archive_into(source: RawArchive, target: ObjectStoreArchive, batch: int = 500) -> str:
    """Copy every fetch and body of the SQLite archive `source` into `target` (a new lake's archive), then
    check the fetch and distinct-body counts on both sides; returns one line saying what happened."""
    if target.counts()[0]:
        return f"raw archive: NOT copied, the lake's archive already holds {target.counts()[0]} fetches"
    pending: list[PreparedFetch] = []
    expected = [0, set()]
    for prepared in source.iter_stored():
        pending.append(prepared)
        expected[0] += 1
        expected[1].add(prepared.key)
        if len(pending) == batch:
            target.store(pending)
            pending = []
    target.store(pending)
    counts = (expected[0], len(expected[1]))
    if target.counts() != counts:
        raise ArchiveUnavailable(f"raw archive copy differs: {target.counts()} fetches/bodies for {counts}")
    return f"raw archive: copied into the object store ({counts[0]} fetches, {counts[1]} bodies, counts checked)"
