"""The embedded backend: one DuckDB file (store, migrations, summary tables, full-text search, maintenance)."""
