"""DuckDB extensions loaded from their pinned registry wheels by file path: fts for search; postgres,
ducklake and httpfs (a lake's Parquet in an `s3://` object store) for the lake backend.

Loading by path works offline and keeps DuckDB's signature check on (unsigned loading stays off).
The `duckdb-extension-postgres` wheel's file does not load; its twin `duckdb-extension-postgres-scanner`
carries the same extension under its canonical name and does.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import duckdb

# extension name -> the wheel's Python package that ships it
_WHEELS = {
    "fts": "duckdb_extension_fts",
    "postgres_scanner": "duckdb_extension_postgres_scanner",
    "ducklake": "duckdb_extension_ducklake",
    "httpfs": "duckdb_extension_httpfs",
}
LAKE_EXTENSIONS = ("httpfs", "postgres_scanner", "ducklake")


def extension_file(name: str) -> Path:
    """The extension file shipped in the wheel for this DuckDB version."""
    package = importlib.import_module(_WHEELS[name])
    return Path(package.__file__).parent / "extensions" / f"v{duckdb.__version__}" / f"{name}.duckdb_extension"


def load_extension(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """Load `name` on this connection: from DuckDB's own extension folder if installed there, else the wheel."""
    try:
        con.execute(f"LOAD {name}")
    except duckdb.Error:
        path = str(extension_file(name)).replace("'", "''")
        con.execute(f"LOAD '{path}'")
