"""The raw archive's first layout (one zstd file per body, fsync'd and renamed, then one fsync'd `index.jsonl`
line per fetch), written with the same syscalls as the code that shipped it: the baseline `bench/archive.py`
measures the SQLite store against."""

from __future__ import annotations

import hashlib
import os
from datetime import datetime
from pathlib import Path

import orjson
import zstandard


class LegacyArchiveWriter:
    """`put` fetches into `root` in the first layout, with the same syscalls as the code that shipped."""

    def __init__(self, root: Path, level: int = 3) -> None:
        self.root = Path(root)
        self.objects = self.root / "objects"
        self.index = self.root / "index.jsonl"
        self._level = level
        self.objects.mkdir(parents=True, exist_ok=True)

    def object_path(self, key: str) -> Path:
        return self.objects / key[:2] / f"{key}.zst"

    def put(
        self,
        *,
        url: str,
        final_url: str | None,
        status_code: int | None,
        headers: dict[str, str],
        body: bytes,
        fetched_at: datetime,
    ) -> str:
        key = hashlib.sha256(body).hexdigest()
        target = self.object_path(key)
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_name(f"{key}.{os.getpid()}.tmp")
            with open(tmp, "wb") as out:
                out.write(zstandard.ZstdCompressor(level=self._level).compress(body))
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, target)
        line = orjson.dumps(
            {
                "url": url,
                "final_url": final_url,
                "status": status_code,
                "headers": headers,
                "fetched_at": fetched_at.isoformat(),
                "key": key,
            }
        )
        with open(self.index, "ab") as index:
            index.write(line + b"\n")
            index.flush()
            os.fsync(index.fileno())
        return key
