"""The DuckDB extensions the lake needs, loaded from their pinned registry wheels by file path.

Loading by path works offline and keeps DuckDB's signature check on (unsigned loading stays off).
The `duckdb-extension-postgres` wheel's file does not load; its twin `duckdb-extension-postgres-scanner`
carries the same extension under its canonical name and does.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import duckdb

# extension name -> the wheel's Python package that ships it
_WHEELS = {"postgres_scanner": "duckdb_extension_postgres_scanner", "ducklake": "duckdb_extension_ducklake"}


def extension_file(name: str) -> Path:
    """The extension file shipped in the wheel for this DuckDB version."""
    package = importlib.import_module(_WHEELS[name])
    return Path(package.__file__).parent / "extensions" / f"v{duckdb.__version__}" / f"{name}.duckdb_extension"


def load_lake_extensions(con: duckdb.DuckDBPyConnection) -> None:
    """Load postgres (the catalog's client) and ducklake on this database."""
    for name in _WHEELS:
        path = str(extension_file(name)).replace("'", "''")
        con.execute(f"LOAD '{path}'")
