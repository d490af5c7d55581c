"""Analyst SQL on a lake: a fresh read-only attachment per query, with file access and the catalog shut.

On the embedded backend a read-only connection with `enable_external_access=false` and the configuration
locked is the whole sandbox. A lake needs two more things:

- The lake reads its own Parquet files through the same file system the analyst's `read_csv` would use,
  so the sandbox allows exactly the lake's data path (and any `--read-files` folder) before switching
  external access off. Everything else on disk or on the network is refused by DuckDB itself.
- The postgres extension that reaches the catalog also offers `postgres_query` and `postgres_scan`,
  which DuckDB's external-access switch does not stop (checked on DuckDB 1.5.5): through the catalog's
  attachment they would run any SELECT on the catalog server, e.g. `pg_read_file`. So the statement's
  syntax tree (DuckDB's own `json_serialize_sql`) is searched for any function of that extension, and
  for `query()`/`query_table()`, whose SQL arrives as a string the tree cannot see into. A statement
  the serializer cannot represent is refused rather than let through.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import duckdb

from warehouse.protocol import QueryError

_EXPLAIN = re.compile(r"^\s*EXPLAIN\s+(?:ANALY[SZ]E\s+)?", re.IGNORECASE)
_REFUSED_EXACT = frozenset({"query", "query_table"})
_REFUSED_PREFIX = "postgres_"


def _function_names(node: object) -> Iterator[str]:
    if isinstance(node, dict):
        name = node.get("function_name")
        if isinstance(name, str):
            yield name.lower()
        for value in node.values():
            yield from _function_names(value)
    elif isinstance(node, list):
        for value in node:
            yield from _function_names(value)


def refuse_catalog_access(con: duckdb.DuckDBPyConnection, statement: str) -> None:
    """Raise `QueryError` when the one reading `statement` calls a function that reaches the catalog server
    (or runs SQL from a string), or cannot be checked."""
    tree = json.loads(con.execute("SELECT json_serialize_sql(?)", [_EXPLAIN.sub("", statement, count=1)]).fetchone()[0])
    if tree.get("error"):
        raise QueryError(
            f"this statement cannot be checked on a lake ({tree.get('error_message', 'unknown')}): give a plain SELECT"
        )
    for name in _function_names(tree):
        if name in _REFUSED_EXACT or name.startswith(_REFUSED_PREFIX):
            raise QueryError(f"{name}() is not available to analyst SQL on a lake: it reaches past the lake's tables")


def lock_down(con: duckdb.DuckDBPyConnection, readable: list[str]) -> None:
    """Allow only `readable` folders (the lake's data path and any `--read-files` ones), switch external
    access off and lock the configuration so the query cannot switch it back."""
    if readable:
        con.execute("SET allowed_directories = ?", [readable])
    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")
