"""One story, one URL: normalisation that drops tracking noise, and the page's own canonical URL.

`normalise_url` changes only what never changes the resource: scheme and host case, default
ports, the fragment, an empty path, credentials (`user:password@`, which must never be stored),
and known tracking parameters (`utm_*`, click ids, mailing
list ids, ...). Everything else is kept byte for byte and in order: sorting or re-encoding a
query can change what a server returns, so "sort nothing else".

`choose_canonical` is the one rule for which declared URL a page is known by; the HTML reader
collects the declarations (`transforms.parsers.html.facets`).
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import unquote, unquote_plus, urljoin, urlsplit, urlunsplit

TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "gclsrc",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "yclid",
        "twclid",
        "ttclid",
        "li_fat_id",
        "igshid",
        "mc_cid",
        "mc_eid",
        "_ga",
        "_gl",
        "_hsenc",
        "_hsmi",
        "mkt_tok",
        "oly_anon_id",
        "oly_enc_id",
        "vero_id",
        "wt_mc",
        "cmpid",
        "ocid",
        "ito",
        "at_medium",
        "at_campaign",
        "ref_src",
        "ref_url",
        "spm",
    }
)
TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "hsa_")
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _is_tracking(pair: str) -> bool:
    name = unquote_plus(pair.split("=", 1)[0]).strip().lower()
    return name in TRACKING_PARAMS or name.startswith(TRACKING_PREFIXES)


def split_userinfo(url: str) -> tuple[str, tuple[str, str] | None]:
    """The URL without its `user:password@` part, and that part (percent-decoded), or None.

    Never raises: a URL that cannot be parsed comes back unchanged with no credentials.
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return url, None
    if "@" not in parts.netloc:
        return url, None
    userinfo, _, hostport = parts.netloc.rpartition("@")
    username, _, password = userinfo.partition(":")
    return urlunsplit(parts._replace(netloc=hostport)), (unquote(username), unquote(password))


def without_userinfo(url: str) -> str:
    """The URL as it may be stored, logged or shown: credentials removed, nothing else touched."""
    return split_userinfo(url)[0]


def origin_of(url: str) -> str:
    """`scheme://host[:port]` (lower case, default port dropped, no credentials): what robots.txt and
    configured credentials apply to."""
    try:
        parts = urlsplit(url)
        return f"{parts.scheme.lower()}://{_host_port(parts.scheme.lower(), parts.hostname, parts.port)}"
    except ValueError:
        return ""


def _host_port(scheme: str, hostname: str | None, port: int | None) -> str:
    """Lower-case host (IPv6 in brackets), with the port unless it is the scheme's default."""
    host = (hostname or "").lower()
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    return host if port is None or port == _DEFAULT_PORTS.get(scheme) else f"{host}:{port}"


def normalise_url(url: str) -> str:
    """The URL with tracking parameters, fragment, default port and host case removed.

    Never raises: input that is not a parsable absolute URL comes back stripped of whitespace.
    """
    url = url.strip()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return url
    if not parts.scheme or not parts.netloc:
        return url
    scheme = parts.scheme.lower()
    netloc = _host_port(scheme, parts.hostname, port)
    query = "&".join(pair for pair in parts.query.split("&") if pair and not _is_tracking(pair))
    path = parts.path or ("/" if scheme in _DEFAULT_PORTS else "")
    return urlunsplit((scheme, netloc, path, query, ""))


def choose_canonical(candidates: Iterable[str | None], fetched_url: str | None) -> str | None:
    """The first usable URL a page declares for itself (rel=canonical, og:url, ...), made absolute.

    A canonical pointing at the site's home page from a deeper page is a common template bug
    that would merge every story into one; it is ignored, as is anything not http(s).
    Returns None when nothing usable is declared.
    """
    fetched_path = urlsplit(fetched_url or "").path
    for candidate in candidates:
        if not candidate or not candidate.strip():
            continue
        absolute = urljoin(fetched_url or "", candidate.strip())
        try:
            parts = urlsplit(absolute)
        except ValueError:  # "http://[::1" and other broken declarations
            continue
        if parts.scheme not in ("http", "https") or not parts.netloc:
            continue
        if parts.path in ("", "/") and fetched_path not in ("", "/"):
            continue
        return absolute
    return None
