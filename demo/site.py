"""The synthetic news site on 127.0.0.1, the static-host proxy, and the sample-corpus writer.

Everything served comes from `demo.corpus`, which computes story i from (seed, i);
this module only does the I/O: HTTP, files and the command line.

- `serve_demo_site(stories, outlets, port, seed)`: outlets under http://127.0.0.1:PORT/<slug>/
  with feeds, a sitemap index per outlet listing monthly news sitemaps, robots.txt and exactly
  `stories` article pages; runs in a daemon thread, for tests and benchmarks.
- `serve_static_hosts(root, port)`: a forward proxy for plain-http absolute-form requests that
  answers `GET http://www.meridian-daily.example/rss.xml` from root/www.meridian-daily.example/rss.xml,
  so the real samples can be fetched over HTTP (point HTTP_PROXY or httpx's `proxy=` at it).
- `write_samples(out_dir)`: regenerates samples/ byte-identically.
- `demo_site_command`: the `dateline demo-site` command (blocking).
"""

from __future__ import annotations

import hashlib
import mimetypes
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

import typer

from demo.corpus.feeds import render_robots
from demo.corpus.samples import sample_files
from demo.corpus.site import CONTENT_TYPES, Document, feed_path, render_outlet_path
from demo.corpus.story import CorpusConfig, corpus_outlets, outlet_base_url

Resolver = Callable[[str | None, str], Document | None]
_KEPT_IN_SAMPLES = {"README.md"}


# ---------------------------------------------------------------- HTTP plumbing


def _etag(body: bytes) -> str:
    return '"' + hashlib.blake2b(body, digest_size=10).hexdigest() + '"'


def _not_modified(headers, etag: str, modified: datetime | None) -> bool:
    """RFC 9110 conditional GET: If-None-Match wins over If-Modified-Since."""
    match = headers.get("If-None-Match")
    if match is not None:
        return etag in {tag.strip() for tag in match.split(",")} or match.strip() == "*"
    since = headers.get("If-Modified-Since")
    if since and modified is not None:
        try:
            return modified.replace(microsecond=0) <= parsedate_to_datetime(since)
        except (TypeError, ValueError):
            return False
    return False


class _Handler(BaseHTTPRequestHandler):
    """Answers from `server.resolve(host, path)`; one write per response, keep-alive, no logging."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: _Server

    def do_GET(self) -> None:
        self._answer(with_body=True)

    def do_HEAD(self) -> None:
        self._answer(with_body=False)

    def do_CONNECT(self) -> None:
        self._send(405, b"only plain-http absolute-form requests are proxied\n", "text/plain; charset=utf-8")

    def _answer(self, with_body: bool) -> None:
        target = urlsplit(self.path)
        host = target.hostname if target.scheme else None
        try:
            document = self.server.resolve(host or None, target.path or "/")
        except Exception as error:  # a generator bug must show up as a 500, not a dropped connection
            self._send(500, f"{type(error).__name__}: {error}\n".encode(), "text/plain; charset=utf-8")
            return
        if document is None:
            self._send(404, b"not found\n", "text/plain; charset=utf-8", with_body)
            return
        etag = _etag(document.body)
        extra = {"ETag": etag}
        if document.last_modified is not None:
            extra["Last-Modified"] = format_datetime(document.last_modified.astimezone(UTC), usegmt=True)
        if _not_modified(self.headers, etag, document.last_modified):
            self._send(304, b"", None, False, extra)
            return
        self._send(200, document.body, document.content_type, with_body, extra)

    def _send(
        self,
        status: int,
        body: bytes,
        content_type: str | None,
        with_body: bool = True,
        extra: dict[str, str] | None = None,
    ) -> None:
        lines = [f"HTTP/1.1 {status} {self.responses.get(status, ('',))[0]}", f"Content-Length: {len(body)}"]
        if content_type:
            lines.append(f"Content-Type: {content_type}")
        lines += [f"{key}: {value}" for key, value in (extra or {}).items()]
        lines.append("Server: dateline-demo")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        self.wfile.write(head + body if with_body and status != 304 else head)
        self.log_request(status)

    def log_message(self, format: str, *args: object) -> None:
        """Silent: benchmarks send hundreds of thousands of requests."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def __init__(self, port: int, resolve: Resolver) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.resolve = resolve


@dataclass
class RunningServer:
    """A server answering in a background thread; `close()` stops it and frees the port."""

    server: _Server
    thread: threading.Thread
    base_url: str

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

    def __enter__(self) -> RunningServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _start(port: int, resolve: Resolver) -> tuple[_Server, threading.Thread, str]:
    server = _Server(port, resolve)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
    thread.start()
    return server, thread, f"http://127.0.0.1:{server.server_address[1]}"


# ---------------------------------------------------------------- the live demo site


@dataclass
class DemoSite(RunningServer):
    """The synthetic site: outlets under base_url/<slug>/."""

    config: CorpusConfig

    def outlet_urls(self) -> list[str]:
        return [outlet_base_url(self.config, site) for site in corpus_outlets(self.config)]

    def sources_toml(self, include_feeds: bool = True) -> str:
        """A sources file for this site: one sitemap source per outlet (its index), plus its feed."""
        lines = [
            f"# Written by `dateline demo-site` for {self.config.stories} stories, "
            f"{self.config.outlets} outlets, seed {self.config.seed}, at {self.base_url}",
            "# Every article page is listed in the monthly sitemaps that each sitemap index points to.",
        ]
        for site in corpus_outlets(self.config):
            base = outlet_base_url(self.config, site)
            lines += [
                "",
                "[[source]]",
                f'name = "{site.slug}"',
                'kind = "sitemap"',
                f'url = "{base}/sitemap-index.xml"',
                LOCAL_SITE,
            ]
            if include_feeds:
                lines += [
                    "",
                    "[[source]]",
                    f'name = "{site.slug}-feed"',
                    'kind = "feed"',
                    f'url = "{base}{feed_path(site)}"',
                    LOCAL_SITE,
                ]
        return "\n".join(lines) + "\n"


# the site runs on 127.0.0.1, which the network guard refuses unless a source allows private networks
LOCAL_SITE = "allow_private_networks = true"


def _demo_resolver(cfg: CorpusConfig) -> Resolver:
    outlets = {site.slug: k for k, site in enumerate(corpus_outlets(cfg))}

    def resolve(_host: str | None, path: str) -> Document | None:
        if path == "/robots.txt":
            sitemaps = [f"{outlet_base_url(cfg, s)}/sitemap-index.xml" for s in corpus_outlets(cfg)]
            text = render_robots(sitemaps, [f"/{slug}/search" for slug in outlets])
            return Document(CONTENT_TYPES["txt"], text.encode())
        slug, _, rest = path.lstrip("/").partition("/")
        if slug not in outlets:
            return None
        return render_outlet_path(cfg, outlets[slug], "/" + rest)

    return resolve


def serve_demo_site(stories: int, outlets: int = 3, port: int = 0, seed: int = 7, days: int = 182) -> DemoSite:
    """Start the synthetic site on 127.0.0.1:`port` (0 picks a free port) in a background thread."""
    if stories < 0 or not 1 <= outlets <= 80:
        raise ValueError("stories must be >= 0 and outlets between 1 and 80")
    holder: dict[str, Resolver] = {}
    server, thread, base = _start(port, lambda host, path: holder["resolve"](host, path))
    cfg = CorpusConfig(seed=seed, stories=stories, outlets=outlets, days=days, base_url=base)
    holder["resolve"] = _demo_resolver(cfg)
    return DemoSite(server=server, thread=thread, base_url=base, config=cfg)


# ---------------------------------------------------------------- static hosts (forward proxy over samples/)


def _content_type(path: Path) -> str:
    name = path.name
    if name == "rss.xml" or name.endswith(".rss"):
        return CONTENT_TYPES["rss"]
    if name == "atom.xml" or name.endswith(".atom"):
        return CONTENT_TYPES["atom"]
    kind = {".html": "html", ".htm": "html", ".xml": "xml", ".txt": "txt"}.get(path.suffix)
    if kind:
        return CONTENT_TYPES[kind]
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


def _static_resolver(root: Path) -> Resolver:
    root = root.resolve()

    def resolve(host: str | None, path: str) -> Document | None:
        if not host:
            return None
        target = (root / host / path.lstrip("/")).resolve()
        if not target.is_relative_to(root / host) or not target.is_file():
            return None
        stat = target.stat()
        modified = datetime.fromtimestamp(int(stat.st_mtime), tz=UTC)
        return Document(_content_type(target), target.read_bytes(), modified)

    return resolve


@dataclass
class StaticHosts(RunningServer):
    """A forward proxy that serves root/<host>/<path>; use `proxy_url` as HTTP_PROXY."""

    root: Path

    @property
    def proxy_url(self) -> str:
        return self.base_url


def serve_static_hosts(root: Path, port: int = 0) -> StaticHosts:
    """Serve saved sites (e.g. samples/) to clients that use this server as their HTTP proxy."""
    server, thread, base = _start(port, _static_resolver(Path(root)))
    return StaticHosts(server=server, thread=thread, base_url=base, root=Path(root))


# ---------------------------------------------------------------- samples


def write_samples(out_dir: Path) -> dict[str, int]:
    """Regenerate the sample corpus under `out_dir`, deleting generated files that are no longer produced."""
    out_dir = Path(out_dir)
    written: set[Path] = set()
    for relative, data in sample_files():
        target = out_dir / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists() or target.read_bytes() != data:
            target.write_bytes(data)
        written.add(target)
    for stale in sorted(p for p in out_dir.rglob("*") if p.is_file()):
        if stale not in written and stale.name not in _KEPT_IN_SAMPLES:
            stale.unlink()
    for folder in sorted((p for p in out_dir.rglob("*") if p.is_dir()), reverse=True):
        if not any(folder.iterdir()):
            folder.rmdir()
    return {"files": len(written), "bytes": sum(p.stat().st_size for p in written)}


# ---------------------------------------------------------------- command line


def run_demo_site(stories: int, outlets: int, port: int, seed: int, sources_out: Path | None) -> None:
    """Serve a deterministic synthetic news site on 127.0.0.1 until interrupted."""
    site = serve_demo_site(stories, outlets=outlets, port=port, seed=seed)
    typer.echo(f"Synthetic news site: {stories} stories, {outlets} outlets at {site.base_url}/")
    for url in site.outlet_urls():
        typer.echo(f"  {url}/  (sitemap: {url}/sitemap-index.xml)")
    if sources_out is not None:
        sources_out.write_text(site.sources_toml(), encoding="utf-8")
        typer.echo(f"Wrote {sources_out}: run `dateline run --sources {sources_out}`")
    typer.echo("Press Ctrl+C to stop.")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        typer.echo("Stopped.")
    finally:
        site.close()


cli = typer.Typer(
    add_completion=False, help="The sample corpus and saved-site proxy (`dateline demo-site` serves the site)."
)


@cli.command("write-samples")
def write_samples_command(
    out_dir: Annotated[Path, typer.Argument(help="Usually samples/")] = Path("samples"),
) -> None:
    """Regenerate the bundled sample corpus (byte-identical for an unchanged generator)."""
    summary = write_samples(out_dir)
    typer.echo(f"Wrote {summary['files']} files ({summary['bytes']:,} bytes) under {out_dir}")


@cli.command("static-hosts")
def static_hosts_command(
    root: Annotated[Path, typer.Argument(help="Folder of <host>/<path> files, e.g. samples/")] = Path("samples"),
    port: Annotated[int, typer.Option("--port")] = 8766,
) -> None:
    """Serve saved sites as an HTTP forward proxy (set HTTP_PROXY to the printed URL)."""
    hosts = serve_static_hosts(root, port)
    typer.echo(f"HTTP_PROXY={hosts.proxy_url}  (serving {root.resolve()}/<host>/...)")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        hosts.close()


if __name__ == "__main__":
    cli()
