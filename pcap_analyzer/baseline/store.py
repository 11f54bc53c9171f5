"""The baseline store: an SQLite database with a versioned schema. Each update is one transaction, so an
interrupted update leaves the store as it was before it."""
from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError
from .observe import HostObservations

#: schema migrations; the store's ``PRAGMA user_version`` is how many of them it has applied
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE host_item (
        host TEXT NOT NULL, kind TEXT NOT NULL, value TEXT NOT NULL,
        first_seen REAL NOT NULL, last_seen REAL NOT NULL, count INTEGER NOT NULL,
        PRIMARY KEY (host, kind, value)
    ) WITHOUT ROWID;
    CREATE INDEX host_item_by_value ON host_item (kind, value);
    CREATE TABLE host_stats (
        host TEXT PRIMARY KEY, flows INTEGER NOT NULL, failed INTEGER NOT NULL,
        first_seen REAL NOT NULL, last_seen REAL NOT NULL, updates INTEGER NOT NULL
    );
    CREATE TABLE updates (
        id INTEGER PRIMARY KEY, at REAL NOT NULL, source TEXT NOT NULL, hosts INTEGER NOT NULL,
        first_ts REAL, last_ts REAL
    );
    """,
)


@dataclass(frozen=True)
class Prevalence:
    """What the whole network has seen of one (kind, value)."""

    hosts: int
    first_seen: float
    last_seen: float

    @property
    def days(self) -> float:
        return (self.last_seen - self.first_seen) / 86400.0


@dataclass(frozen=True)
class HostProfile:
    host: str
    flows: int
    failed: int
    first_seen: float
    last_seen: float
    updates: int
    items: tuple[tuple[str, str, float, float, int], ...]  # (kind, value, first_seen, last_seen, count)

    @property
    def failure_rate(self) -> float:
        return self.failed / self.flows if self.flows else 0.0


class BaselineStore:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def update(self, observed: dict[str, HostObservations], source: str) -> int:
        """Add one analysis' observations, in one transaction; returns the number of hosts updated."""
        with self.conn:  # commits on success, rolls back on any error (or an interruption)
            for host, obs in observed.items():
                self.conn.executemany(
                    "INSERT INTO host_item VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (host, kind, value) DO UPDATE SET "
                    "first_seen = min(first_seen, excluded.first_seen), last_seen = max(last_seen, excluded.last_seen),"
                    " count = count + excluded.count",
                    [(host, kind, value, first, last, int(count)) for (kind, value), (first, last, count)
                     in obs.items.items()])
                if obs.first_ts is not None and obs.last_ts is not None:
                    self.conn.execute(
                        "INSERT INTO host_stats VALUES (?, ?, ?, ?, ?, 1) ON CONFLICT (host) DO UPDATE SET "
                        "flows = flows + excluded.flows, failed = failed + excluded.failed, "
                        "first_seen = min(first_seen, excluded.first_seen), "
                        "last_seen = max(last_seen, excluded.last_seen), updates = updates + 1",
                        (host, obs.flows, obs.failed, obs.first_ts, obs.last_ts))
            firsts = [o.first_ts for o in observed.values() if o.first_ts is not None]
            lasts = [o.last_ts for o in observed.values() if o.last_ts is not None]
            self.conn.execute("INSERT INTO updates (at, source, hosts, first_ts, last_ts) VALUES (?, ?, ?, ?, ?)",
                              (time.time(), source[:500], len(observed), min(firsts, default=None),
                               max(lasts, default=None)))
        return len(observed)

    def known_items(self, host: str) -> set[tuple[str, str]]:
        return {(k, v) for k, v in self.conn.execute("SELECT kind, value FROM host_item WHERE host = ?", (host,))}

    def prevalence(self, kind: str, value: str) -> Prevalence | None:
        row = self.conn.execute("SELECT count(*), min(first_seen), max(last_seen) FROM host_item "
                                "WHERE kind = ? AND value = ?", (kind, value)).fetchone()
        return Prevalence(int(row[0]), float(row[1]), float(row[2])) if row and row[0] else None

    def profile(self, host: str) -> HostProfile | None:
        stats = self.conn.execute("SELECT flows, failed, first_seen, last_seen, updates FROM host_stats "
                                  "WHERE host = ?", (host,)).fetchone()
        if stats is None:
            return None
        items = tuple(self.conn.execute("SELECT kind, value, first_seen, last_seen, count FROM host_item "
                                        "WHERE host = ? ORDER BY kind, count DESC, value", (host,)))
        return HostProfile(host, int(stats[0]), int(stats[1]), float(stats[2]), float(stats[3]), int(stats[4]),
                           items)

    def update_count(self) -> int:
        return int(self.conn.execute("SELECT count(*) FROM updates").fetchone()[0])


def migrate(conn: sqlite3.Connection) -> None:
    """Apply the migrations the store lacks, each with its version bump in one transaction."""
    version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    if version > len(MIGRATIONS):
        raise InputError(f"baseline store schema version {version} is newer than this fallback-hunt knows "
                         f"({len(MIGRATIONS)}); upgrade fallback-hunt")
    for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
        conn.executescript(f"BEGIN;\n{script}\nPRAGMA user_version = {number};\nCOMMIT;")


@contextmanager
def open_store(path: Path, create: bool = False) -> Iterator[BaselineStore]:
    """The store at ``path``, migrated to the current schema; ``create`` makes a new one when it is missing."""
    path = Path(path)
    if path.is_dir():
        raise InputError(f"--db {path}: is a directory, not a baseline database")
    if not create and not path.exists():
        raise InputError(f"--db {path}: no such baseline database (create it with 'fallback-hunt baseline update')")
    try:
        conn = sqlite3.connect(path, isolation_level="DEFERRED")
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            migrate(conn)
            yield BaselineStore(conn)
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise InputError(f"--db {path}: not a usable baseline database ({str(exc)[:200]})") from None
