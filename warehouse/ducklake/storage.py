"""Credentials for a lake whose Parquet files live in an S3-compatible object store.

They reach DuckDB only as a `CREATE SECRET` on the lake's in-memory connection: DuckDB keeps such a
secret in memory, shows it redacted in `duckdb_secrets()`, and DuckLake never writes it to the catalog.
The statement is built here and never echoed: a failure to create the secret is reported without its
text, and the dataclass keeps the secret out of its repr, so no log line or traceback can carry it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

import duckdb

from warehouse.protocol import WarehouseError


def sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


@dataclass(frozen=True, slots=True)
class ObjectStore:
    """Where and as whom to reach an S3-compatible store; every field optional (AWS's defaults apply)."""

    key_id: str | None = None
    secret: str | None = field(default=None, repr=False)
    session_token: str | None = field(default=None, repr=False)
    endpoint_url: str | None = None  # `http://host:port` for a store other than AWS's own
    region: str | None = None

    def secret_options(self) -> list[str]:
        """The `CREATE SECRET` options: a custom endpoint is addressed by path (`/bucket/key`), as
        S3-compatible servers expect, and over plain HTTP when its URL says so."""
        options = ["TYPE s3"]
        for name, value in (
            ("KEY_ID", self.key_id),
            ("SECRET", self.secret),
            ("SESSION_TOKEN", self.session_token),
            ("REGION", self.region),
        ):
            if value:
                options.append(f"{name} {sql_string(value)}")
        if self.endpoint_url:
            url = urlsplit(self.endpoint_url if "://" in self.endpoint_url else f"https://{self.endpoint_url}")
            options += [
                f"ENDPOINT {sql_string(url.netloc + url.path.rstrip('/'))}",
                "URL_STYLE 'path'",
                f"USE_SSL {'false' if url.scheme == 'http' else 'true'}",
            ]
        return options

    def install(self, con: duckdb.DuckDBPyConnection) -> None:
        """Create the in-memory secret every `s3://` read and write of this connection uses."""
        try:
            con.execute(f"CREATE OR REPLACE SECRET dateline_object_store ({', '.join(self.secret_options())})")
        except duckdb.Error as error:  # the message names the problem; the statement would carry the secret
            raise WarehouseError(f"object store credentials rejected by DuckDB: {type(error).__name__}") from None
