"""The one bounded inflater: gzip (or zlib / raw deflate) with a cap on what it may produce.

A compressed document is hostile input like any other: 50 KB of gzip can inflate to gigabytes.
Everything that inflates zlib streams (`.gz` documents and sitemaps, `.gz` files read by
`dateline extract`, gzip/deflate HTTP bodies in the fetcher) goes through `BoundedInflater`,
which never produces more than `limit + 1` bytes in total and never holds more than one
bounded output buffer, whatever the ratio. Input may arrive whole or in pieces (a file or a
response body read chunk by chunk). Concatenated gzip members are read one after the other,
as `gzip` and curl do; anything else after the end of the stream is ignored, as zlib does.
"""

from __future__ import annotations

import zlib

from transforms.errors import ParseError

GZIP_WBITS = 16 + zlib.MAX_WBITS
_GZIP_MAGIC = b"\x1f\x8b"


class OutputLimitExceeded(Exception):
    """More than `limit` bytes came out; `pending` is the input fed but not consumed yet."""

    def __init__(self, limit: int, produced: int, pending: int) -> None:
        super().__init__(f"more than {limit} bytes once decompressed")
        self.limit = limit
        self.produced = produced
        self.pending = pending


class BoundedInflater:
    """Incremental zlib inflation (`wbits` as in `zlib.decompressobj`) capped at `limit` output bytes.

    `feed` raises `OutputLimitExceeded` past the cap and `zlib.error` on corrupt input; `eof` says
    whether the stream ended properly (a truncated one simply stops producing)."""

    def __init__(self, limit: int, wbits: int = GZIP_WBITS) -> None:
        self.limit = limit
        self.produced = 0
        self._wbits = wbits
        self._obj = zlib.decompressobj(wbits)
        self._trailer = b""  # bytes after a gzip member, until they show whether another member follows
        self._ignoring = False  # what follows the stream is not another gzip member

    @property
    def eof(self) -> bool:
        return self._obj.eof

    def feed(self, data: bytes) -> bytes:
        """The output for this piece of input."""
        parts = []
        while data:
            if self._obj.eof:
                data = self._next_member(data)
                continue
            out = self._obj.decompress(data, self.limit - self.produced + 1)
            parts.append(self._count(out, pending=len(self._obj.unconsumed_tail)))
            data = self._obj.unconsumed_tail or self._obj.unused_data
        return b"".join(parts)

    def flush(self) -> bytes:
        """What the stream still holds once all input is fed."""
        return self._count(self._obj.flush(self.limit - self.produced + 1), pending=0)

    def _next_member(self, data: bytes) -> bytes:
        """After a gzip member: the input left for the next member (b"" when there is none or not yet)."""
        if self._ignoring:
            return b""
        self._trailer += data
        if self._wbits != GZIP_WBITS or not self._trailer.startswith(_GZIP_MAGIC[: len(self._trailer)]):
            self._ignoring, self._trailer = True, b""
            return b""
        if len(self._trailer) < len(_GZIP_MAGIC):
            return b""
        data, self._trailer = self._trailer, b""
        self._obj = zlib.decompressobj(self._wbits)
        return data

    def _count(self, out: bytes, pending: int) -> bytes:
        self.produced += len(out)
        if self.produced > self.limit:
            raise OutputLimitExceeded(self.limit, self.produced, pending)
        return out


def gunzip_bounded(content: bytes, limit: int) -> bytes:
    """A gzip document's content; ParseError "bad_gzip" when corrupt, "too_large" past `limit` bytes."""
    inflater = BoundedInflater(limit)
    try:
        return inflater.feed(content) + inflater.flush()
    except zlib.error as error:
        raise ParseError("bad_gzip", str(error)) from None
    except OutputLimitExceeded as error:
        raise ParseError("too_large", str(error)) from None
