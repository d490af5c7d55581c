"""The network guard: which hosts and addresses a fetch may reach, checked where the socket is opened.

A feed, a sitemap or a redirect names URLs chosen by whoever wrote it, so by default a fetch may
only reach public (globally routable) addresses: loopback, RFC 1918, link-local (cloud metadata at
169.254.169.254), CGNAT, unique-local, multicast, unspecified and reserved ranges are refused, and
so are IPv6 forms that embed an IPv4 address (mapped `::ffff:a.b.c.d`, compatible `::a.b.c.d`,
NAT64 `64:ff9b::/96`, 6to4 `2002::/16`, Teredo) when the embedded address is not public.

The check runs twice, for two different reasons:
- lexically, on every redirect hop before anything is sent (`NetworkAccess.refusal`): an IP
  literal in any spelling `inet_aton` accepts (`127.1`, `0x7f000001`, `2130706433`) or a
  `localhost` name is refused at once with a clear detail, and `allowed_hosts` is enforced;
- on the connection itself (`GuardedBackend.connect_tcp`): the host is resolved once, every
  address it resolves to must be public, the socket is opened to one of those vetted addresses
  (TLS still verifies the certificate for the original name, and Host/SNI are unchanged), and the
  peer address of the open socket is checked again. A name that resolves to a public address for
  the check and a private one for the connection (DNS rebinding) cannot slip between the two,
  because there is only one resolution, and pooled connections were all vetted when opened.

Behind an HTTP proxy (HTTP_PROXY/HTTPS_PROXY) the proxy opens the connections, so only the lexical
check applies: the proxy is the operator's egress control. Sources that must reach private
networks (intranet feeds, the demo site, tests) say `allow_private_networks = true`; their
fetches use a client without the connection guard, so connections they open are never pooled
with the guarded ones.
"""

from __future__ import annotations

import asyncio
import base64
import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass, field

import httpcore
import httpx
from httpx._utils import get_environment_proxies  # httpx's own reading of HTTP(S)_PROXY and NO_PROXY

from transforms.urls import origin_of, split_userinfo

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")
_LOCAL_NAMES = ("localhost", "localhost.localdomain")


class AddressRefused(Exception):
    """A connection the guard would not open; the message is the `etl_fetch` detail."""


def _embedded_ipv4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address carries, which is where its packets really go."""
    embedded = [address.ipv4_mapped, address.sixtofour]
    if address.teredo is not None:
        embedded.extend(address.teredo)
    if address in _NAT64 or (address in _IPV4_COMPATIBLE and int(address) > 1):
        embedded.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return [a for a in embedded if a is not None]


def is_public_address(address: IPAddress) -> bool:
    """True for a globally routable unicast address (and any IPv4 address it embeds)."""
    if not address.is_global or address.is_multicast:
        return False
    if isinstance(address, ipaddress.IPv6Address):
        return all(is_public_address(inner) for inner in _embedded_ipv4(address))
    return True


def literal_address(host: str) -> IPAddress | None:
    """The address a host name spells literally, in any form a resolver would accept, else None."""
    host = host.strip("[]")
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    try:  # inet_aton's legacy forms: 127.1, 0x7f.0.0.1, 2130706433, 017700000001
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except OSError:
        return None


@dataclass(frozen=True, slots=True)
class Credentials:
    """HTTP Basic credentials bound to the one origin (`scheme://host:port`) they were configured for."""

    origin: str
    username: str
    password: str = field(repr=False)

    @classmethod
    def from_url(cls, url: str | None) -> Credentials | None:
        """The `user:password@` of a configured URL, bound to that URL's origin; None without one."""
        if not url:
            return None
        clean, userinfo = split_userinfo(url)
        if userinfo is None:
            return None
        username, password = userinfo
        return cls(origin_of(clean), username, password)

    def header_for(self, url: str) -> str | None:
        """The Authorization header value for a request to `url`: only on the configured origin."""
        if origin_of(url) != self.origin:
            return None
        token = base64.b64encode(f"{self.username}:{self.password}".encode()).decode("ascii")
        return f"Basic {token}"


def _host_matches(host: str, allowed: str) -> bool:
    return host == allowed or host.endswith("." + allowed)


@dataclass(frozen=True, slots=True)
class NetworkAccess:
    """Where one source's fetches may go, and the credentials they may carry.

    `allowed_hosts` empty means any public host (feeds and news sitemaps legitimately point at
    other domains); otherwise a host must equal an entry or be a subdomain of one.
    """

    allowed_hosts: tuple[str, ...] = ()
    allow_private_networks: bool = False
    credentials: Credentials | None = None

    def refusal(self, host: str) -> tuple[str, str] | None:
        """(error code, detail) when a hop to `host` must not be attempted, else None."""
        host = host.lower().rstrip(".")
        if self.allowed_hosts and not any(_host_matches(host, allowed) for allowed in self.allowed_hosts):
            return "host_not_allowed", f"{host} is not in this source's allowed_hosts"
        if self.allow_private_networks:
            return None
        address = literal_address(host)
        if host in _LOCAL_NAMES or host.endswith(".localhost") or (address and not is_public_address(address)):
            return "private_address", f"{host} is not a public address (set allow_private_networks = true to allow it)"
        return None


PUBLIC_ONLY = NetworkAccess()


def _refuse_unless_public(host: str, addresses: Iterable[IPAddress]) -> None:
    for address in addresses:
        if not is_public_address(address):
            raise AddressRefused(
                f"{host} resolves to {address}, not a public address (set allow_private_networks = true to allow it)"
            )


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend, opening TCP connections only to vetted public addresses."""

    def __init__(self) -> None:
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await self._resolve(host, port, timeout)
        _refuse_unless_public(host, addresses)
        failure: Exception | None = None
        for address in addresses:
            try:
                stream = await self._inner.connect_tcp(str(address), port, timeout, local_address, socket_options)
            except httpcore.ConnectError as error:  # next address, as a resolver-driven connect would
                failure = error
                continue
            peer = stream.get_extra_info("server_addr")
            try:
                if not peer:
                    raise AddressRefused(f"cannot tell which address the connection to {host} reached")
                _refuse_unless_public(host, [ipaddress.ip_address(str(peer[0]).split("%", 1)[0])])
            except AddressRefused:
                await stream.aclose()
                raise
            return stream
        raise failure or httpcore.ConnectError(f"no address for {host}")

    @staticmethod
    async def _resolve(host: str, port: int, timeout: float | None) -> list[IPAddress]:
        """Every address `host` resolves to (once, for both the check and the connection), in resolver order."""
        try:
            async with asyncio.timeout(timeout):
                infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except TimeoutError as error:
            raise httpcore.ConnectTimeout(f"resolving {host} took over {timeout}s") from error
        except OSError as error:
            raise httpcore.ConnectError(f"cannot resolve {host}: {error}") from error
        unique = dict.fromkeys(ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos)
        return list(unique)

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise AddressRefused("unix sockets are not fetched")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's own transport, with its connection pool opening sockets through `GuardedBackend`.

    httpx 0.28 takes no network backend (encode/httpx#3749 would add one), so the pool httpx
    built is replaced by the same httpcore pool with the guarded backend; requests still go
    through httpx's request conversion and exception mapping unchanged.
    """

    def __init__(self, *, http2: bool, limits: httpx.Limits) -> None:
        super().__init__(http2=http2, limits=limits)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            http1=True,
            http2=http2,
            network_backend=GuardedBackend(),
        )


def proxy_mounts(http2: bool, limits: httpx.Limits) -> dict[str, httpx.AsyncBaseTransport | None]:
    """The environment's proxies as httpx mounts (None: direct, through the client's own transport).

    Giving a client its own transport turns off httpx's reading of HTTP(S)_PROXY, so this restores it.
    """
    return {
        pattern: None if proxy is None else httpx.AsyncHTTPTransport(proxy=proxy, http2=http2, limits=limits)
        for pattern, proxy in get_environment_proxies().items()
    }
