"""The embedded backend: one DuckDB file (store, migrations, summary tables, full-text search, maintenance)."""

from warehouse.duckdb.store import read_only_connection

__all__ = ["read_only_connection"]
