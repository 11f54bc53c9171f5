"""``--flows-out DIR``: every flow of the run as Parquet files with Zeek conn.log's columns first.

The conn.log columns keep Zeek's names (``id.orig_h`` ...), so a query written for Zeek's conn.log in DuckDB,
pandas or Spark reads these files too; the analyzer's own columns follow (``host``: the internal host the flow is
about, the dissected DNS / HTTP / TLS / ICMP parts as nested columns, the payload measures, ``quic`` and ``app`` as
JSON text). Payload itself is never written. One file per written table: ``flows-00000.parquet``, ...
Read them all with ``SELECT * FROM read_parquet('DIR/*.parquet')``.
"""
from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ..errors import InputError

#: conn.log column <- flow store column (None: computed)
CONN_COLUMNS: tuple[tuple[str, str | None], ...] = (
    ("ts", "ts"), ("uid", "uid"), ("id.orig_h", "orig_h"), ("id.orig_p", "orig_p"), ("id.resp_h", "resp_h"),
    ("id.resp_p", "resp_p"), ("proto", "proto"), ("service", "service"), ("duration", None),
    ("orig_bytes", "orig_bytes"), ("resp_bytes", "resp_bytes"), ("conn_state", "conn_state"), ("history", "history"),
    ("orig_pkts", "orig_pkts"), ("orig_ip_bytes", "orig_ip_bytes"), ("resp_pkts", "resp_pkts"),
    ("resp_ip_bytes", "resp_ip_bytes"), ("community_id", "community_id"),
)
#: the analyzer's columns after them, as stored
ANALYZER_COLUMNS: tuple[str, ...] = (
    "host", "last_ts", "expected_service", "ip_ver", "fragments", "retransmits", "orig_payload_seen",
    "resp_payload_seen", "orig_sizes", "icmp_errors", "dns", "tls", "ssh_banners", "http", "quic", "icmp", "app",
    "orig_measures", "resp_measures", "orig_later_measures", "resp_later_measures", "zeek_uids",
)


def conn_table(stored: pa.Table) -> pa.Table:
    """The conn.log-like view of a stored table (flows/store.STORE_SCHEMA)."""
    arrays, names = [], []
    for name, source in CONN_COLUMNS:
        arrays.append(pc.subtract(stored.column("last_ts"), stored.column("ts")) if source is None
                      else stored.column(source))
        names.append(name)
    for name in ANALYZER_COLUMNS:
        arrays.append(stored.column(name))
        names.append(name)
    return pa.Table.from_arrays(arrays, names=names)


class FlowsOut:
    """Writes conn.log-like Parquet files into a fresh directory (emptied of earlier ``flows-*.parquet``)."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        try:
            if self.directory.exists() and not self.directory.is_dir():
                raise InputError(f"--flows-out {self.directory}: exists and is not a directory")
            self.directory.mkdir(parents=True, exist_ok=True)
            for old in self.directory.glob("flows-*.parquet"):
                old.unlink()
        except OSError as exc:
            raise InputError(f"--flows-out {self.directory}: {exc.strerror or exc}") from None
        self.files = 0
        self.rows = 0

    def write(self, stored: pa.Table) -> None:
        if not stored.num_rows:
            return
        path = self.directory / f"flows-{self.files:05d}.parquet"
        try:
            pq.write_table(conn_table(stored), path, compression="zstd")
        except OSError as exc:
            path.unlink(missing_ok=True)
            raise InputError(f"--flows-out {self.directory}: {exc}") from None
        self.files += 1
        self.rows += stored.num_rows
