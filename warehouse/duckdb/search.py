"""Ranked full-text search over stories: BM25 from DuckDB's `fts` extension, with date and topic filters.

The extension comes from the pinned `duckdb-extension-fts` wheel and is loaded from its file, so search
works offline and DuckDB still checks the extension's signature (unsigned loading stays off). The index
lives in the warehouse file (schema `fts_main_fact_story`); DuckDB's fts index is not updated by
inserts, so `refresh_search_index` rebuilds it after a load, and skips the rebuild when the stories'
fingerprint has not changed since the last one (a run that loaded nothing costs one aggregate query).
A full rebuild grows with the warehouse (about 12 s per 20,000 stories here), so once it takes longer
than a run should spend on it, runs leave it to the daily maintenance flow and search reports the
stories it cannot see yet.
"""

from __future__ import annotations

import re
import time
from datetime import date

import duckdb

from warehouse.duckdb.extensions import load_extension
from warehouse.protocol import SearchHit

INDEX_SCHEMA = "fts_main_fact_story"
# A headline match counts on top of the whole-story match: a story *about* the terms beats one that
# merely mentions them in its body.
HEADLINE_WEIGHT = 1.0
_STATE_TABLE = "search_index_state"
_FINGERPRINT = (
    "SELECT count(*)::VARCHAR || ':' || "
    "coalesce(bit_xor(hash(story_key, content_hash, headline)), 0)::VARCHAR FROM fact_story"
)
_WORD = re.compile(r"\w+", re.UNICODE)
# The longest rebuild a run does itself (seconds the previous build took); beyond it the index is rebuilt
# by the daily maintenance flow only, so a run every 15 minutes does not spend minutes indexing.
RUN_REBUILD_BUDGET_S = 30.0
_BUILD_MEMORY_LIMIT = "128MB"  # DuckDB spills the index build to disk beyond this


class SearchIndexMissing(RuntimeError):
    """The warehouse has no search index yet (it was built before search existed, or never loaded)."""


def load_fts(con: duckdb.DuckDBPyConnection) -> None:
    load_extension(con, "fts")


def has_search_index(con: duckdb.DuckDBPyConnection) -> bool:
    return bool(
        con.execute("SELECT count(*) FROM duckdb_schemas() WHERE schema_name = ?", [INDEX_SCHEMA]).fetchone()[0]
    )


def refresh_search_index(
    con: duckdb.DuckDBPyConnection, *, force: bool = False, budget_s: float = RUN_REBUILD_BUDGET_S
) -> bool:
    """Rebuild the BM25 index over headline + body when stories changed since the last build, unless the
    last build took longer than `budget_s` (then the maintenance flow's `force` does it).

    Returns whether it rebuilt. Needs a writable connection; the caller holds the file only for this.
    """
    load_fts(con)
    con.execute(
        f"CREATE TABLE IF NOT EXISTS {_STATE_TABLE} (fingerprint VARCHAR NOT NULL, built_at TIMESTAMPTZ NOT NULL)"
    )
    con.execute(f"ALTER TABLE {_STATE_TABLE} ADD COLUMN IF NOT EXISTS build_seconds DOUBLE")
    fingerprint = con.execute(_FINGERPRINT).fetchone()[0]
    previous = con.execute(f"SELECT fingerprint, build_seconds FROM {_STATE_TABLE}").fetchone()
    if not force and previous and has_search_index(con):
        unchanged = previous[0] == fingerprint
        too_slow_for_a_run = (previous[1] or 0.0) > budget_s
        if unchanged or too_slow_for_a_run:
            return False
    started = time.perf_counter()
    # Bounded, as it comes at the end of a run: on a 100k-story warehouse the build alone peaked at
    # 833 MiB in 17.7 s with DuckDB's defaults, and on one thread at 596 MiB in 10.7 s under 256 MB;
    # measured again later, it grew the process by 326 MB under 256 MB, 179 MB under 128 MB and 125 MB
    # under 64 MB, in 9.4-9.6 s each time (128 MB keeps headroom for larger warehouses).
    # set back afterwards, not RESET: a lake's connection is sized to the cores its process may use
    threads = con.execute("SELECT current_setting('threads')").fetchone()[0]
    con.execute(f"SET memory_limit = '{_BUILD_MEMORY_LIMIT}'")
    con.execute("SET threads = 1")
    try:
        con.execute(
            "PRAGMA create_fts_index('fact_story', 'story_key', 'headline', 'body', "
            "stemmer = 'porter', stopwords = 'english', strip_accents = 1, lower = 1, overwrite = 1)"
        )
    finally:
        con.execute("RESET memory_limit")
        con.execute(f"SET threads = {int(threads)}")
    con.execute(f"DELETE FROM {_STATE_TABLE}")
    con.execute(
        f"INSERT INTO {_STATE_TABLE} (fingerprint, built_at, build_seconds) VALUES (?, now(), ?)",
        [fingerprint, time.perf_counter() - started],
    )
    return True


def unindexed_stories(con: duckdb.DuckDBPyConnection) -> int:
    """Stories loaded after the index was built, which search cannot find until the next rebuild."""
    return con.execute(
        f"SELECT count(*) FROM fact_story WHERE duplicate_of IS NULL "
        f"AND story_key NOT IN (SELECT name FROM {INDEX_SCHEMA}.docs)"
    ).fetchone()[0]


_SEARCH_SQL = f"""
WITH scored AS (
    SELECT story_key,
           {INDEX_SCHEMA}.match_bm25(story_key, $terms) AS story_score,
           {INDEX_SCHEMA}.match_bm25(story_key, $terms, fields := 'headline') AS headline_score
    FROM fact_story
    WHERE duplicate_of IS NULL
)
SELECT s.story_key,
       sc.story_score + {HEADLINE_WEIGHT} * coalesce(sc.headline_score, 0) AS score,
       s.headline,
       src.name AS source,
       strptime(s.date_key::VARCHAR, '%Y%m%d')::DATE AS day,
       s.url,
       coalesce((SELECT list(t.label ORDER BY b.score DESC, t.label) FROM bridge_story_topic b
                 JOIN dim_topic t ON t.topic_key = b.topic_key
                 WHERE b.story_key = s.story_key AND t.scheme = 'iptc'), []) AS topics,
       s.body
FROM scored sc
JOIN fact_story s ON s.story_key = sc.story_key
JOIN dim_source src ON src.source_key = s.source_key
WHERE sc.story_score IS NOT NULL
  AND ($since IS NULL OR s.date_key >= $since)
  AND ($until IS NULL OR s.date_key <= $until)
  AND ($topic IS NULL OR EXISTS (
        SELECT 1 FROM bridge_story_topic b
        JOIN dim_topic t ON t.topic_key = b.topic_key
        LEFT JOIN dim_topic p ON p.topic_key = t.parent_topic_key
        WHERE b.story_key = s.story_key
          AND (lower(t.topic_id) = lower($topic) OR t.label ILIKE $topic || '%'
               OR lower(p.topic_id) = lower($topic) OR p.label ILIKE $topic || '%')))
ORDER BY score DESC, day DESC, s.story_key
LIMIT $limit
"""


def _day_key(day: date | None) -> int | None:
    return int(day.strftime("%Y%m%d")) if day else None


def search(
    con: duckdb.DuckDBPyConnection,
    terms: str,
    *,
    since: date | None = None,
    until: date | None = None,
    topic: str | None = None,
    limit: int = 10,
) -> list[SearchHit]:
    """Stories matching `terms`, best first; wire copies are left out (their original is found).

    `topic` matches an IPTC id (`medtop:15000000`), a label or its start (`sport`, `economy`), and a
    parent topic matches its children's stories. Raises SearchIndexMissing when there is no index.
    """
    load_fts(con)
    if not has_search_index(con):
        raise SearchIndexMissing("the warehouse has no search index yet")
    rows = con.execute(
        _SEARCH_SQL,
        {
            "terms": terms,
            "since": _day_key(since),
            "until": _day_key(until),
            "topic": topic,
            "limit": limit,
        },
    ).fetchall()
    return [
        SearchHit(key, round(score, 4), headline, source, day, url, topics, snippet(body, terms))
        for key, score, headline, source, day, url, topics, body in rows
    ]


def _stem_prefix(term: str) -> str:
    """A crude stand-in for the Porter stem, good enough to find the passage to show."""
    term = term.lower()
    return term if len(term) <= 4 else term[: max(4, len(term) - 3)]


def snippet(body: str, terms: str, width: int = 30) -> str:
    """About `width` words of the body around the first place the terms occur (the start if none do)."""
    words = body.split()
    prefixes = [_stem_prefix(t) for t in _WORD.findall(terms)]

    def matches(word: str) -> bool:
        folded = "".join(_WORD.findall(word.lower()))
        return any(folded.startswith(p) for p in prefixes)

    first = next((i for i, w in enumerate(words) if matches(w)), 0)
    start = max(0, first - width // 3)
    end = min(len(words), start + width)
    text = " ".join(words[start:end])
    return ("… " if start else "") + text + (" …" if end < len(words) else "")
