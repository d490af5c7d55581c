"""Where a configured source's fetches may go, and the credentials they may carry.

The fetcher enforces a `NetworkAccess` per request (flows/sources/fetching/guard.py); this builds
it from a source's settings: `allowed_hosts` (plus the source's own host), `allow_private_networks`,
and credentials from the source URL's `user:password@` or, failing that, from
`DATELINE_CREDENTIALS` for the source URL's origin. Credentials are bound to that origin: the
source's requests to any other host (a feed item on a CDN, a redirect) go without them.
"""

from __future__ import annotations

from flows.runtime.settings import credential_urls
from flows.sources.config import Source
from flows.sources.fetching.guard import Credentials, NetworkAccess
from transforms.urls import origin_of


def access_for_url(
    url: str, allowed_hosts: tuple[str, ...] = (), allow_private_networks: bool = False
) -> NetworkAccess:
    """The access of fetches made for a configured URL (a source's, or one given to `dateline extract`)."""
    origin = origin_of(url)
    configured = Credentials.from_url(url)
    if configured is None:
        from_environment = (Credentials.from_url(entry) for entry in credential_urls())
        configured = next((c for c in from_environment if c is not None and c.origin == origin), None)
    return NetworkAccess(allowed_hosts, allow_private_networks, configured)


def access_for(source: Source) -> NetworkAccess:
    """The access of every fetch made for `source`: its own URL, the items it lists, their redirects."""
    allowed = source.allowed_hosts
    if allowed and source.domain:
        allowed = (*allowed, source.domain.lower())
    return access_for_url(source.url or "", allowed, source.allow_private_networks)
