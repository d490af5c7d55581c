"""The one bounded inflater: whole or in pieces, capped, concatenated members, corrupt and truncated input."""

from __future__ import annotations

import gzip
import zlib

import pytest

from transforms.decompress import BoundedInflater, OutputLimitExceeded, gunzip_bounded
from transforms.errors import ParseError

TEXT = b"".join(b"<p>paragraph %d</p>" % n for n in range(2000))


def inflate_in_pieces(raw: bytes, limit: int, piece: int) -> tuple[bytes, BoundedInflater]:
    inflater = BoundedInflater(limit)
    out = b"".join(inflater.feed(raw[i : i + piece]) for i in range(0, len(raw), piece))
    return out + inflater.flush(), inflater


@pytest.mark.parametrize("piece", [1, 7, 4096, 1 << 20])
def test_pieces_of_any_size_give_the_whole_text(piece: int) -> None:
    out, inflater = inflate_in_pieces(gzip.compress(TEXT), len(TEXT), piece)
    assert out == TEXT and inflater.eof


def test_the_cap_is_exact_and_a_bomb_stops_at_it() -> None:
    assert gunzip_bounded(gzip.compress(TEXT), len(TEXT)) == TEXT
    with pytest.raises(ParseError) as refused:
        gunzip_bounded(gzip.compress(TEXT), len(TEXT) - 1)
    assert refused.value.reason == "too_large"
    bomb = gzip.compress(b"\0" * (64 << 20))
    inflater = BoundedInflater(1 << 20)
    with pytest.raises(OutputLimitExceeded) as over:
        inflater.feed(bomb)
    assert over.value.produced == (1 << 20) + 1  # never more than one byte past the cap
    assert 0 < over.value.pending < len(bomb)


@pytest.mark.parametrize("piece", [1, 5, 1 << 20])
def test_concatenated_members_are_read_and_other_trailing_bytes_ignored(piece: int) -> None:
    two = gzip.compress(b"first ") + gzip.compress(b"second")
    assert inflate_in_pieces(two, 100, piece)[0] == b"first second"
    assert inflate_in_pieces(gzip.compress(b"only") + b"\0\0junk", 100, piece)[0] == b"only"
    with pytest.raises(OutputLimitExceeded):  # the cap counts every member
        inflate_in_pieces(two, 8, piece)


def test_corrupt_and_truncated_input() -> None:
    with pytest.raises(ParseError) as refused:
        gunzip_bounded(b"\x1f\x8b\x08\x00not really gzip", 100)
    assert refused.value.reason == "bad_gzip"
    out, inflater = inflate_in_pieces(gzip.compress(TEXT)[:-40], len(TEXT), 4096)
    assert not inflater.eof and TEXT.startswith(out)


def test_zlib_and_raw_deflate_by_wbits() -> None:
    assert BoundedInflater(100, zlib.MAX_WBITS).feed(zlib.compress(b"wrapped")) == b"wrapped"
    packer = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    assert BoundedInflater(100, -zlib.MAX_WBITS).feed(packer.compress(b"raw") + packer.flush()) == b"raw"
