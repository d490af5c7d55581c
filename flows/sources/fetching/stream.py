"""A download read as a file: forward, with a bounded window back, so a record reader can step back a little.

A WARC reader reads a file front to back, but on a damaged record it steps back to the record before it
and scans forward for the next record boundary. Over HTTP the file is never held whole: the last
`window` bytes stay in memory, a step back within them costs nothing, and a step further back (or a
download that has to start again) opens the download anew at that offset, by `Range` where the server
honours it and otherwise from the start, skipping what comes before. Memory is the window plus one
chunk of the network, whatever the file's size (`peak_buffered` shows it).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator

from flows.sources.fetching.models import DownloadError

# Opens the download at an offset: (the offset its bytes actually start at, which is 0 when the server ignores
# Range; the bytes; a function that closes it).
Opener = Callable[[int], tuple[int, Iterator[bytes], Callable[[], None]]]


class WindowedStream(io.RawIOBase):
    """The download as a read-only file positioned at `start`. A download that stops short reads as the end of
    the file; `error` then says why."""

    def __init__(self, open_at: Opener, start: int, window: int) -> None:
        super().__init__()
        self._open_at = open_at
        self._window = window
        self._buffer = bytearray()
        self._buffer_start = start  # file offset of self._buffer[0]
        self._position = start
        self._chunks: Iterator[bytes] = iter(())
        self._close_download: Callable[[], None] = lambda: None
        self._ended = False
        self.error: DownloadError | None = None
        self.peak_buffered = 0
        self._reopen(start)

    @property
    def received_to(self) -> int:
        """The file offset just past the last byte received."""
        return self._buffer_start + len(self._buffer)

    def _reopen(self, offset: int) -> None:
        self._close_download()
        begins, self._chunks, self._close_download = self._open_at(offset)
        self._buffer.clear()
        self._buffer_start = begins
        self._ended = False

    def _pull(self) -> bool:
        """One more chunk into the buffer, the oldest bytes beyond the window (and behind the position) dropped;
        False at the end of the download."""
        if self._ended:
            return False
        try:
            chunk = next(self._chunks, b"")
        except DownloadError as error:
            self.error, chunk = error, b""
        if not chunk:
            self._ended = True
            return False
        self._buffer += chunk
        self.peak_buffered = max(self.peak_buffered, len(self._buffer))
        excess = min(len(self._buffer) - self._window, self._position - self._buffer_start)
        if excess > 0:
            del self._buffer[:excess]
            self._buffer_start += excess
        return True

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_CUR:
            offset += self._position
        elif whence != io.SEEK_SET:
            raise io.UnsupportedOperation("a download has no known end to seek from")
        if offset < self._buffer_start:
            self._reopen(offset)
        self._position = offset
        return offset

    def readinto(self, target) -> int:
        """As many bytes as asked for, fewer only at the end of the download (a short read means the end)."""
        view = memoryview(target).cast("B")
        copied = 0
        while copied < len(view):
            if self._position >= self.received_to and not self._pull():
                break
            start = self._position - self._buffer_start
            taken = self._buffer[start : start + len(view) - copied]
            view[copied : copied + len(taken)] = taken
            copied += len(taken)
            self._position += len(taken)
        return copied

    def close(self) -> None:
        if not self.closed:
            self._close_download()
            self._buffer.clear()
        super().close()
