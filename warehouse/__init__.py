"""Storage for the star schema behind one protocol (`warehouse.protocol.Warehouse`).

`open_warehouse(location)` picks the backend for a location: a DuckDB file path (the embedded
default, `warehouse/dateline.duckdb`) opens `warehouse.duckdb`; `ducklake:postgres:<libpq dsn>` opens a
DuckLake whose catalog is that PostgreSQL database (`warehouse.ducklake`). Callers resolve the location from
options and the environment first (`flows.runtime.settings`); nothing here reads the environment.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from warehouse.protocol import Warehouse, WarehouseError

if TYPE_CHECKING:
    from warehouse.ducklake.storage import ObjectStore

DEFAULT_WAREHOUSE = Path(__file__).resolve().parent / "dateline.duckdb"


def is_file_location(location: str | os.PathLike[str]) -> bool:
    """Whether a location names a DuckDB file (rather than a backend URI such as `ducklake:...`)."""
    text = str(location)
    return ":" not in text.split("/", 1)[0] or len(text.split(":", 1)[0]) == 1  # `C:` is a drive, not a scheme


def open_warehouse(
    location: str | os.PathLike[str], *, data_path: str | None = None, object_store: ObjectStore | None = None
) -> Warehouse:
    """The backend for `location`; `data_path` is where a new lake keeps its Parquet files (an existing
    lake remembers its own), `object_store` the credentials for a lake whose files are in `s3://`."""
    if str(location).startswith("ducklake:"):
        from warehouse.ducklake.store import DuckLakeWarehouse

        return DuckLakeWarehouse(str(location), data_path=data_path, object_store=object_store)
    if not is_file_location(location):
        scheme = str(location).split(":", 1)[0]
        raise WarehouseError(f"unknown warehouse location {str(location)!r}: no backend for {scheme!r}")
    from warehouse.duckdb.store import DuckDBWarehouse

    return DuckDBWarehouse(Path(location).expanduser())


__all__ = ["DEFAULT_WAREHOUSE", "Warehouse", "is_file_location", "open_warehouse"]
