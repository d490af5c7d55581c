"""HTTP fetching that news sites welcome and hostile servers cannot hurt.

Public API (what the ingest flow calls)::

    from flows.sources.fetching import Fetcher, FetchRequest, FetchResult, FetchSettings, RawArchive

    settings = FetchSettings(state_dir=warehouse_dir / "state")      # robots cache across runs
    archive = RawArchive(warehouse_dir / "archive")                  # every body, once, zstd
    async with Fetcher(settings, archive) as fetcher:
        results = await fetcher.fetch_many([FetchRequest(url, etag=..., last_modified=...), ...])

- `Fetcher.fetch_many(requests) -> list[FetchResult]`: results in input order; never raises for
  a bad URL or a bad response. `Fetcher.fetch(request) -> FetchResult` does one.
- `FetchResult`: `url, final_url, status_code, body (decoded, <= max_body_bytes, 2xx only),
  content_type, headers, etag, last_modified, elapsed_ms, bytes (wire bytes), attempts,
  not_modified, error (stable code, see `ErrorCode`; `http_<status>` for 4xx/5xx), detail,
  archive_key`. Store `etag`/`last_modified` per URL and pass them back next run: an unchanged
  feed then costs one conditional request answered 304 (`not_modified=True`, no body).
- `RawArchive(root)`: one SQLite file, `root/archive.sqlite` (a folder of the first, file-per-body layout
  is imported on first open). `prepare(...) -> PreparedFetch` hashes and compresses a body on any
  thread; `store(batch)` commits a batch in one transaction (`ArchiveUnavailable` when it cannot);
  `get(key) -> bytes` (verified, else `ArchiveCorrupt`); `iter_entries(since) -> Iterator[ArchiveEntry]`
  (latest entry per URL), which is what `dateline reparse` reads, with no network. The fetcher
  stores each `fetch_many` batch once, before it returns: a result's `archive_key` is always durable,
  and an archive that cannot be written leaves `archive_key` None with `detail` "archive failed: ...".
  Any `archive.Archive` will do: a lake in an object store keeps its archive there
  (`object_archive.ObjectStoreArchive`; `flows.runtime.settings.configured_archive` picks one).

Bounds per request (defaults in `FetchSettings`): network deadline 30 s per attempt across all
redirect hops and the whole body; decoded body <= 10 MiB, enforced while streaming and while
decompressing gzip/deflate/br/zstd (ratio >= 100 at the cap is reported as `decompression_bomb`);
<= 5 redirects, loops detected, http(s) only; binary bodies refused from the header or the
first 1 KiB; <= 4 attempts with backoff and Retry-After (a Retry-After over 60 s ends the
retries). Worst-case time per URL: attempts x deadline plus the sleeps between them. Memory
per request in flight: at most about 2 x max_body_bytes (the chunks and their final join) plus
one 64 KiB decoder window, whatever the compression ratio; at most `max_connections` (16) are
in flight, so about 320 MiB in the very worst case; finished results keep their bodies until
the caller drops them, and their compressed archive copies until their batch is stored. Per
host: 2 in flight, starts spaced by `max(min_delay_s, Crawl-delay)`; with `Fetcher(shared=...)` (runs
started by Prefect workers, `shared_hosts`) both hold across every worker, not only per process.
robots.txt per RFC 9309, cached 24 h under `state_dir/robots/`.

Where a request may go is its `FetchRequest.access` (`guard.NetworkAccess`, built per source by
`flows.sources.access.access_for`): public addresses only unless `allow_private_networks`, an optional
host allow-list, and Basic credentials bound to one origin. Checked on every hop and on the
connection itself; see `guard` and docs/security.md. URLs never carry credentials past the fetcher.
"""

from flows.sources.fetching.archive import ArchiveCorrupt, ArchiveEntry, ArchiveUnavailable, PreparedFetch, RawArchive
from flows.sources.fetching.client import Fetcher
from flows.sources.fetching.models import ErrorCode, FetchRequest, FetchResult
from flows.sources.fetching.settings import DEFAULT_USER_AGENT, FetchSettings

__all__ = [
    "DEFAULT_USER_AGENT",
    "ArchiveCorrupt",
    "ArchiveEntry",
    "ArchiveUnavailable",
    "ErrorCode",
    "FetchRequest",
    "FetchResult",
    "FetchSettings",
    "Fetcher",
    "PreparedFetch",
    "RawArchive",
]
