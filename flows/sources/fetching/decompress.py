"""Bounded, incremental decoding of HTTP content codings (gzip, deflate, br, zstd).

httpx decodes gzip and brotli itself with no output limit, so a 1.7 KB brotli body can
expand to gigabytes in memory. The fetcher therefore reads raw bytes (`aiter_raw`) and feeds
them here: every decoder emits at most `limit + 1` bytes in total and never holds more than
one bounded output buffer, so memory stays O(limit) whatever the compression ratio. gzip and
deflate go through the project's one bounded inflater (`transforms.decompress`); this module adds
the streaming protocol, brotli and zstd, and the verdict on an overflow (bomb or merely too large).
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from typing import Protocol

import brotli
import zstandard

from flows.sources.fetching.models import ErrorCode
from transforms.decompress import GZIP_WBITS, BoundedInflater, OutputLimitExceeded

_CHUNK = 64 * 1024
# Compressed input is fed in slices this small so the ratio measured when the cap is hit is
# close to the true one (a bomb is ~1000:1; a slice of 4 KiB against a 1 MiB cap still shows 256:1).
_SLICE = 4 * 1024


class BodyError(Exception):
    """The body cannot be accepted; `code` is the `FetchResult.error` to report."""

    def __init__(self, code: ErrorCode, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else str(code))
        self.code = code
        self.detail = detail


class Decoder(Protocol):
    """Feed raw bytes, get decoded bytes; `finish` flushes and checks the stream was complete."""

    def feed(self, data: bytes) -> bytes: ...

    def finish(self) -> bytes: ...


class _Budget:
    """Counts decoded output against the limit and says whether overflow looks like a bomb."""

    def __init__(self, limit: int, bomb_ratio: int) -> None:
        self.limit = limit
        self.bomb_ratio = bomb_ratio
        self.raw = 0
        self.decoded = 0

    @property
    def room(self) -> int:
        """How many more bytes may be produced, plus one to detect the overflow."""
        return self.limit - self.decoded + 1

    def take(self, out: bytes, pending: int = 0) -> bytes:
        """Count `out`; `pending` is raw input fed but not consumed yet (zlib knows it exactly)."""
        self.decoded += len(out)
        if self.decoded > self.limit:
            raise self.overflow(pending)
        return out

    def overflow(self, pending: int) -> BodyError:
        """The refusal once decoded output is over the limit: a bomb when the ratio is extreme."""
        ratio = self.decoded / max(self.raw - pending, 1)
        code = ErrorCode.DECOMPRESSION_BOMB if ratio >= self.bomb_ratio else ErrorCode.TOO_LARGE
        return BodyError(code, f"decoded body over {self.limit} bytes from {self.raw} raw bytes")


class IdentityDecoder:
    """No content coding: only the size cap applies."""

    def __init__(self, budget: _Budget) -> None:
        self._budget = budget

    def feed(self, data: bytes) -> bytes:
        self._budget.raw += len(data)
        return self._budget.take(data)

    def finish(self) -> bytes:
        return b""


def _is_zlib_header(data: bytes) -> bool:
    return len(data) >= 2 and data[0] & 0x0F == 8 and ((data[0] << 8) | data[1]) % 31 == 0


class _CompressedDecoder:
    """Feeds raw input to `_step` slice by slice, counting raw bytes as they are consumed."""

    _budget: _Budget

    def feed(self, data: bytes) -> bytes:
        parts = []
        for start in range(0, len(data), _SLICE):
            piece = data[start : start + _SLICE]
            self._budget.raw += len(piece)
            parts.append(self._step(piece))
        return b"".join(parts)

    def _step(self, piece: bytes) -> bytes:
        raise NotImplementedError


class ZlibDecoder(_CompressedDecoder):
    """gzip (wbits 31) or deflate (zlib wrapper, falling back to raw deflate as browsers do)."""

    def __init__(self, budget: _Budget, wbits: int) -> None:
        self._budget = budget
        self._wbits = wbits
        self._inflater: BoundedInflater | None = None

    def _step(self, data: bytes) -> bytes:
        if self._inflater is None:
            # Some servers send raw deflate under "deflate"; a zlib header is method 8 and a multiple of 31.
            raw_deflate = self._wbits == zlib.MAX_WBITS and not _is_zlib_header(data)
            self._inflater = BoundedInflater(self._budget.limit, -zlib.MAX_WBITS if raw_deflate else self._wbits)
        inflater = self._inflater
        return self._counted(lambda: inflater.feed(data))

    def _counted(self, inflate: Callable[[], bytes]) -> bytes:
        """The inflater's output counted against the budget, its refusals as the fetcher's errors."""
        try:
            out = inflate()
        except OutputLimitExceeded as over:
            self._budget.decoded = over.produced
            raise self._budget.overflow(over.pending) from None
        except zlib.error as exc:
            raise BodyError(ErrorCode.BAD_ENCODING, str(exc)) from exc
        return self._budget.take(out)

    def finish(self) -> bytes:
        return b"" if self._inflater is None else self._counted(self._inflater.flush)


class BrotliDecoder(_CompressedDecoder):
    """brotli via `Decompressor.process(data, output_buffer_limit=...)` (brotli ≥ 1.2)."""

    def __init__(self, budget: _Budget) -> None:
        self._budget = budget
        self._obj = brotli.Decompressor()

    def _step(self, data: bytes) -> bytes:
        parts = []
        try:
            parts.append(self._budget.take(self._obj.process(data, output_buffer_limit=self._budget.room)))
            while not self._obj.can_accept_more_data():
                parts.append(self._budget.take(self._obj.process(b"", output_buffer_limit=self._budget.room)))
        except brotli.error as exc:
            raise BodyError(ErrorCode.BAD_ENCODING, str(exc)) from exc
        return b"".join(parts)

    def finish(self) -> bytes:
        if self._budget.raw and not self._obj.is_finished():
            raise BodyError(ErrorCode.BAD_ENCODING, "truncated brotli stream")
        return b""


class _ZstdOverflow(Exception):
    """Raised from inside the zstd writer callback to abort decompression at the limit."""


class _ZstdSink:
    def __init__(self, budget: _Budget) -> None:
        self._budget = budget
        self.parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        if self._budget.decoded + len(data) > self._budget.limit:
            self._budget.decoded += len(data)
            raise _ZstdOverflow
        self.parts.append(self._budget.take(bytes(data)))
        return len(data)


class ZstdDecoder(_CompressedDecoder):
    """zstd through a stream writer whose sink aborts at the limit (the zstd API has no max_length)."""

    def __init__(self, budget: _Budget) -> None:
        self._budget = budget
        self._sink = _ZstdSink(budget)
        self._writer = zstandard.ZstdDecompressor().stream_writer(self._sink, write_size=_CHUNK, write_return_read=True)

    def _step(self, data: bytes) -> bytes:
        try:
            self._writer.write(data)
        except _ZstdOverflow:
            self._budget.take(b"")  # decoded is already over the limit: raises the right code
        except zstandard.ZstdError as exc:
            raise BodyError(ErrorCode.BAD_ENCODING, str(exc)) from exc
        out = b"".join(self._sink.parts)
        self._sink.parts.clear()
        return out

    def finish(self) -> bytes:
        return self._step(b"")


def make_decoder(content_encoding: str | None, limit: int, bomb_ratio: int) -> Decoder:
    """The decoder for a `Content-Encoding` header value; unknown or stacked codings are refused."""
    budget = _Budget(limit, bomb_ratio)
    coding = (content_encoding or "identity").strip().lower()
    if coding in ("", "identity"):
        return IdentityDecoder(budget)
    if coding in ("gzip", "x-gzip"):
        return ZlibDecoder(budget, GZIP_WBITS)
    if coding == "deflate":
        return ZlibDecoder(budget, zlib.MAX_WBITS)
    if coding == "br":
        return BrotliDecoder(budget)
    if coding == "zstd":
        return ZstdDecoder(budget)
    raise BodyError(ErrorCode.UNSUPPORTED_ENCODING, coding)


ACCEPT_ENCODING = "gzip, deflate, br, zstd"
