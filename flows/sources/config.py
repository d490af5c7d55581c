"""Load and validate `sources.toml`, failing with one line that names the problem and where.

A scheduled run that silently skips a mistyped source is worse than one that refuses to
start, so every check here raises `ConfigError` before any fetching begins.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from transforms.keys import stable_key

WARC_SUFFIXES = (".warc", ".warc.gz")


@dataclass(frozen=True, slots=True)
class Kind:
    """The schema of one source kind: the `flows.sources` module whose `read(source, context)` yields its work,
    and where it reads from ("url", "path", "url_or_path", or "run": the run's own data, not configurable).
    Adding a kind is one line here and its module."""

    reader: str
    location: str


KINDS: dict[str, Kind] = {
    "feed": Kind("web", "url"),
    "sitemap": Kind("web", "url"),
    "page": Kind("web", "url"),
    "file": Kind("files", "path"),
    "warc": Kind("warc", "url_or_path"),
    # the run's own raw archive, read by `dateline reparse` (flows/sources/archive.py); not configurable
    "archive": Kind("archive", "run"),
}
_KNOWN_KEYS = {
    "name",
    "kind",
    "url",
    "path",
    "language",
    "section",
    "tags",
    "schedule",
    "max_items",
    "timezone",
    "allowed_hosts",
    "allow_private_networks",
}


class ConfigError(ValueError):
    """A sources file that cannot be used; the message is the one line the user sees."""


@dataclass(frozen=True, slots=True)
class Source:
    """One configured source. `url` is set for feed/sitemap/page, `path` (a glob) for file; warc takes either.
    `max_items` caps the work items the whole source hands out in one run (every feed, sitemap child, file
    or WARC record of it together), not each document it reads."""

    name: str
    kind: str
    url: str | None = None
    path: str | None = None
    language: str | None = None
    section: str | None = None
    tags: tuple[str, ...] = ()
    schedule: str | None = None
    max_items: int | None = None
    timezone: str | None = None
    # the network guard (flows/sources/fetching/guard.py): hosts this source may reach besides its own
    # (empty: any public host), and whether loopback, private and link-local addresses are allowed
    allowed_hosts: tuple[str, ...] = ()
    allow_private_networks: bool = False

    @property
    def location(self) -> str:
        """What the source reads: its URL or its file glob."""
        return self.url or self.path or ""

    @property
    def domain(self) -> str | None:
        return urlsplit(self.url).hostname if self.url else None


def shard_of(name: str, shards: int) -> int:
    """The shard (0 .. shards-1) a source belongs to: a hash of its name, the same on every host and in
    every run, so each worker's deployment fetches its own sources and no feed is fetched by two."""
    return stable_key(name) % shards


@dataclass(frozen=True, slots=True)
class SourcesConfig:
    sources: tuple[Source, ...] = field(default_factory=tuple)
    base_dir: Path = Path(".")

    def shard(self, index: int, shards: int) -> SourcesConfig:
        """The sources of shard `index` of `shards`: those without a schedule of their own (a scheduled
        source has its own deployment) whose name hashes to `index`. Together the shards hold each
        unscheduled source exactly once, and adding a source moves no other one."""
        if not 0 <= index < shards:
            raise ConfigError(f"shard {index} of {shards}: a shard is a number from 0 to {shards - 1}")
        chosen = tuple(s for s in self.sources if not s.schedule and shard_of(s.name, shards) == index)
        return SourcesConfig(chosen, self.base_dir)


def _location(table: dict, accepted: str, label: str, kind: str) -> tuple[str | None, str | None]:
    """The source's (url, path): exactly one of them, of a shape its kind reads."""
    url, path = table.get("url"), table.get("path")
    if accepted == "path" or (accepted == "url_or_path" and url is None):
        if not isinstance(path, str) or not path:
            needs = "'path' (a file or glob)" if accepted == "path" else "'path' (a file or glob) or 'url'"
            raise ConfigError(f"{label}: kind '{kind}' needs {needs}")
        if url is not None:
            raise ConfigError(f"{label}: give 'url' or 'path', not both")
        return None, path
    if not isinstance(url, str) or not url:
        raise ConfigError(f"{label}: kind '{kind}' needs 'url'")
    if urlsplit(url).scheme not in ("http", "https"):
        raise ConfigError(f"{label}: url must be http(s), got {url!r}")
    return url, None


def _source_from_table(table: dict, index: int, where: str) -> Source:
    label = f"{where}: source #{index + 1}"
    if not isinstance(table, dict):
        raise ConfigError(f"{label}: expected a [[source]] table")
    unknown = set(table) - _KNOWN_KEYS
    if unknown:
        raise ConfigError(f"{label}: unknown key(s) {', '.join(sorted(unknown))}")
    name = table.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ConfigError(f"{label}: missing 'name'")
    label = f"{where}: source '{name}'"
    kind = table.get("kind")
    if kind not in KINDS:
        configurable = ", ".join(name for name, known in KINDS.items() if known.location != "run")
        raise ConfigError(f"{label}: unknown kind {kind!r} (expected one of {configurable})")
    if KINDS[kind].location == "run":
        raise ConfigError(f"{label}: kind '{kind}' is what `dateline reparse` reads; it cannot be configured")
    url, path = _location(table, KINDS[kind].location, label, kind)
    max_items = table.get("max_items")
    if max_items is not None and (not isinstance(max_items, int) or max_items < 1):
        raise ConfigError(f"{label}: max_items must be a positive integer")
    tags = table.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise ConfigError(f"{label}: tags must be a list of strings")
    allowed_hosts = table.get("allowed_hosts", [])
    if not isinstance(allowed_hosts, list) or not all(
        isinstance(h, str) and h.strip(" .*") and not any(c in h for c in "/:@ ") for h in allowed_hosts
    ):
        raise ConfigError(f'{label}: allowed_hosts must be a list of host names (e.g. "cdn.example.com")')
    allow_private = table.get("allow_private_networks", False)
    if not isinstance(allow_private, bool):
        raise ConfigError(f"{label}: allow_private_networks must be true or false")
    return Source(
        name=name.strip(),
        kind=kind,
        url=url,
        path=path,
        language=table.get("language"),
        section=table.get("section"),
        tags=tuple(tags),
        schedule=table.get("schedule"),
        max_items=max_items,
        timezone=table.get("timezone"),
        allowed_hosts=tuple(h.strip().lstrip("*.").rstrip(".").lower() for h in allowed_hosts),
        allow_private_networks=allow_private,
    )


def parse_sources(text: str, *, where: str = "sources.toml", base_dir: Path = Path(".")) -> SourcesConfig:
    """Validate the TOML text of a sources file."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{where}: TOML syntax error: {error}") from None
    tables = data.get("source", [])
    if not isinstance(tables, list):
        raise ConfigError(f"{where}: 'source' must be an array of tables ([[source]])")
    sources = tuple(_source_from_table(table, i, where) for i, table in enumerate(tables))
    seen: set[str] = set()
    for source in sources:
        if source.name in seen:
            raise ConfigError(f"{where}: duplicate source name '{source.name}'")
        seen.add(source.name)
    return SourcesConfig(sources=sources, base_dir=base_dir)


def load_sources(path: Path) -> SourcesConfig:
    """Read a sources file; relative file globs resolve against the file's folder."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError(f"{path}: cannot read sources file ({error.strerror or error})") from None
    return parse_sources(text, where=str(path), base_dir=path.resolve().parent)


def adhoc_source(location: str) -> Source:
    """A source for `dateline run --source URL_OR_PATH`, named after its location (stable across runs,
    distinct per location). A path is keyed on its absolute form, so the same file given from another
    folder (`../shared/x.txt`, `x.txt`) is the same source. URLs are sniffed at fetch time: feed,
    sitemap, article or front page; a name ending in .warc or .warc.gz is a web archive."""
    is_url = urlsplit(location).scheme in ("http", "https")
    if not is_url:
        location = os.path.abspath(os.path.expanduser(location))
    name = f"adhoc:{location}"
    if urlsplit(location).path.lower().endswith(WARC_SUFFIXES):
        return Source(name=name, kind="warc", url=location) if is_url else Source(name=name, kind="warc", path=location)
    return Source(name=name, kind="page", url=location) if is_url else Source(name=name, kind="file", path=location)
