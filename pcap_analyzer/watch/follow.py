"""Reading the new complete lines of log files that Zeek rotates (renamed, then possibly gzip-compressed).

A file is known by its signature: its ``#open`` header line (Zeek TSV) or its first line (JSON logs, EVE), which a
rename or a compression does not change. The offset kept for a signature is counted in decompressed bytes, so a log
renamed to ``conn.<stamp>.log`` and later compressed to ``conn.<stamp>.log.gz`` is read on from where it was left,
neither twice nor with a gap.
"""
from __future__ import annotations

import gzip
import hashlib
import zlib
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

#: Zeek logs the analysis reads, and the kind name of a followed EVE file
LOG_KINDS = ("conn", "dns", "ssl", "notice", "weird", "fallback")
EVE = "eve"
#: bytes read at the most from one file in one poll (the rest waits for the next poll)
READ_LIMIT = 64 << 20


def log_kind(path: Path) -> str | None:
    """conn.log, conn.json, conn.<stamp>.log(.gz) ... -> "conn"; None for files the analysis does not read."""
    base = path.name.removesuffix(".gz")
    if not base.endswith((".log", ".json")):
        return None
    kind = base.split(".", 1)[0]
    return kind if kind in LOG_KINDS else None


def _open(path: Path):  # noqa: ANN202 - a binary file object
    return gzip.open(path, "rb") if path.name.endswith(".gz") else path.open("rb")


def signature(path: Path) -> str | None:
    """The file's identity, or None while it has no complete identifying line yet."""
    try:
        with _open(path) as f:
            head = f.read(4096)
    except (OSError, EOFError, zlib.error):
        return None  # being written or compressed right now: try again at the next poll
    lines = head.split(b"\n")[:-1]  # complete lines only
    if not lines:
        return None
    key = next((ln for ln in lines if ln.startswith(b"#open")), None) if lines[0].startswith(b"#") else lines[0]
    if key is None:
        return None
    return hashlib.sha1(key + b"|" + path.name.split(".", 1)[0].encode()).hexdigest()


@dataclass
class Chunk:
    """New complete lines of one file."""

    kind: str
    path: Path
    signature: str
    lines: list[bytes]


@dataclass
class Follower:
    """Offsets per file signature (bounded: the oldest forgotten first), and how to read on."""

    offsets: OrderedDict[str, int] = field(default_factory=OrderedDict)
    max_known: int = 10000

    def poll(self, files: list[tuple[str, Path]]) -> list[Chunk]:
        """New complete lines of ``files`` ((kind, path), oldest first), each file read on from its offset."""
        out = []
        for kind, path in files:
            sig = signature(path)
            if sig is None:
                continue
            offset = self.offsets.get(sig, 0)
            try:
                with _open(path) as f:
                    f.seek(offset) if not path.name.endswith(".gz") else _skip(f, offset)
                    data = f.read(READ_LIMIT)
            except (OSError, EOFError, zlib.error):
                continue  # a truncated archive being written: read it at the next poll
            end = data.rfind(b"\n") + 1
            if end:
                out.append(Chunk(kind, path, sig, data[:end].split(b"\n")[:-1]))
            self.offsets[sig] = offset + end
            self.offsets.move_to_end(sig)
        while len(self.offsets) > self.max_known:
            self.offsets.popitem(last=False)
        return out


def _skip(f, count: int) -> None:  # noqa: ANN001 - gzip file
    while count > 0:
        got = len(f.read(min(count, 1 << 20)))
        if not got:
            break
        count -= got


def candidates(directory: Path, eve: Path | None) -> list[tuple[str, Path]]:
    """The files to follow, oldest first (rotated archives before the live log)."""
    found = []
    for path in directory.iterdir():
        kind = log_kind(path)
        if kind is not None and path.is_file():
            try:
                found.append((path.stat().st_mtime, kind, path))
            except OSError:
                continue
    files = [(kind, path) for _, kind, path in sorted(found, key=lambda t: (t[0], t[2].name))]
    if eve is not None and eve.is_file():
        files.append((EVE, eve))
    return files
