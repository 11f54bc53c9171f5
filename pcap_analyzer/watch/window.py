"""The sliding window: the lines of the last ``seconds`` of log time (by the newest line seen), bounded in count,
written out as a Zeek log directory for the analysis."""
from __future__ import annotations

import json
from collections import deque
from datetime import datetime
from dataclasses import dataclass, field
from pathlib import Path

from .follow import EVE, Chunk

Row = tuple[float, str, str, bytes]  # (ts, kind, file signature, line)


def _tsv_ts_index(header: list[bytes]) -> int | None:
    for line in header:
        if line.startswith(b"#fields\t"):
            names = line.rstrip(b"\r").split(b"\t")[1:]
            return names.index(b"ts") if b"ts" in names else None
    return None


def _json_ts(line: bytes) -> float | None:
    try:
        record = json.loads(line)
        value = record.get("ts", record.get("timestamp"))
    except (ValueError, AttributeError):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
        except ValueError:
            return None
    return None


@dataclass
class Window:
    seconds: float
    max_rows: int
    rows: deque[Row] = field(default_factory=deque)
    headers: dict[str, list[bytes]] = field(default_factory=dict)  # TSV header lines per file signature
    newest: float = float("-inf")
    dropped: int = 0  # lines pushed out by max_rows before their time

    def add(self, chunk: Chunk) -> int:
        """Take a chunk's lines (header lines remembered per file); returns the data lines taken."""
        taken = 0
        header = self.headers.get(chunk.signature)
        for line in chunk.lines:
            if not line.strip():
                continue
            if line.startswith(b"#"):
                if not line.startswith(b"#close"):
                    header = self.headers.setdefault(chunk.signature, [])
                    if not any(h == line for h in header):
                        header.append(line)
                continue
            ts = self._ts(line, header)
            if ts is None:
                ts = self.newest if self.newest != float("-inf") else 0.0
            self.newest = max(self.newest, ts)
            self.rows.append((ts, chunk.kind, chunk.signature, line))
            taken += 1
        self.trim()
        return taken

    @staticmethod
    def _ts(line: bytes, header: list[bytes] | None) -> float | None:
        if line.startswith(b"{"):
            return _json_ts(line)
        index = _tsv_ts_index(header or [])
        if index is None:
            return None
        parts = line.split(b"\t")
        try:
            return float(parts[index])
        except (IndexError, ValueError):
            return None

    def trim(self) -> None:
        """Forget lines older than the window (by the newest line's time) and lines over max_rows."""
        horizon = self.newest - self.seconds
        if any(r[0] < horizon for r in self.rows):
            self.rows = deque(r for r in self.rows if r[0] >= horizon)
        while len(self.rows) > self.max_rows:
            self.rows.popleft()
            self.dropped += 1
        live = {r[2] for r in self.rows}
        for sig in [s for s in self.headers if s not in live]:
            del self.headers[sig]

    def write(self, folder: Path) -> tuple[Path, Path | None]:
        """The window as a Zeek log directory (one file per source file) and an EVE file (or None)."""
        folder.mkdir(parents=True, exist_ok=True)
        groups: dict[tuple[str, str], list[bytes]] = {}
        for _, kind, sig, line in sorted(self.rows, key=lambda r: r[0]):
            groups.setdefault((kind, sig), []).append(line)
        eve = None
        for n, ((kind, sig), lines) in enumerate(sorted(groups.items())):
            if kind == EVE:
                eve = folder / "eve.json"
                with eve.open("ab") as f:
                    f.write(b"\n".join(lines) + b"\n")
                continue
            header = self.headers.get(sig, [])
            name = f"{kind}.w{n}.log"
            (folder / name).write_bytes(b"\n".join([*header, *lines]) + b"\n")
        return folder, eve

    def to_state(self) -> dict:
        return {"seconds": self.seconds, "newest": self.newest if self.rows else None, "dropped": self.dropped,
                "headers": {s: [h.decode("latin-1") for h in hs] for s, hs in self.headers.items()},
                "rows": [[ts, kind, sig, line.decode("latin-1")] for ts, kind, sig, line in self.rows]}

    @classmethod
    def from_state(cls, state: dict, seconds: float, max_rows: int) -> "Window":
        window = cls(seconds, max_rows)
        window.headers = {s: [h.encode("latin-1") for h in hs] for s, hs in state.get("headers", {}).items()}
        window.rows = deque((float(ts), kind, sig, line.encode("latin-1")) for ts, kind, sig, line
                            in state.get("rows", []))
        window.newest = max((r[0] for r in window.rows), default=float("-inf"))
        window.dropped = int(state.get("dropped", 0))
        window.trim()
        return window
