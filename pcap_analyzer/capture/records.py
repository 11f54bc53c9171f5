"""The row format both decoders fill: a chunk of capture records (``RecordIndex``) becomes one ``PacketBatch``
whose ``COLUMNS`` ``decode`` (vectorised) and ``slowpath`` (dpkt, per packet) write the same way."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

#: PacketBatch columns and their dtypes, in model order (``data`` excluded).
COLUMNS: tuple[tuple[str, Any], ...] = (
    ("ts", np.float64), ("wirelen", np.uint32), ("caplen", np.uint32), ("ip_ver", np.uint8),
    ("src_hi", np.uint64), ("src_lo", np.uint64), ("dst_hi", np.uint64), ("dst_lo", np.uint64),
    ("proto", np.uint8), ("sport", np.uint16), ("dport", np.uint16), ("tcp_flags", np.uint8),
    ("tcp_seq", np.uint32), ("tcp_ack", np.uint32), ("ip_len", np.uint32), ("payload_off", np.int64),
    ("payload_len", np.int32), ("frag", np.bool_),
)
#: Fields ``decode_packet`` returns, in order (the per-frame part of a row).
DECODED = ("ip_ver", "src_hi", "src_lo", "dst_hi", "dst_lo", "proto", "sport", "dport", "tcp_flags",
           "tcp_seq", "tcp_ack", "ip_len", "payload_off", "payload_len", "frag")
NON_IP: tuple[int, ...] = (0,) * (len(DECODED) - 1) + (False,)


@dataclass(frozen=True, slots=True)
class RecordIndex:
    """Where a chunk of packet records sits in the file buffer, and their record-header fields.

    ``head`` optionally holds every frame's first bytes, gathered by the reader together with the record headers
    (a structured array with the fields of ``decode.FRAME_HEAD``), so that decoding need not read them again.
    """

    data_off: np.ndarray  # int64 offset of each frame in the buffer
    caplen: np.ndarray  # uint32
    wirelen: np.ndarray  # uint32
    ts: np.ndarray  # float64 seconds
    linktype: np.ndarray  # int32 link type of each record (pcapng interfaces may differ)
    head: np.ndarray | None = None  # FRAME_HEAD fields of each frame (whole in the buffer), or None

    def __len__(self) -> int:
        return int(self.data_off.shape[0])


def record_columns(index: RecordIndex) -> dict[str, np.ndarray]:
    """Columns for the records of ``index``: record-header fields filled in, the rest zero (a non-IP row)."""
    cols = {name: np.zeros(len(index), dtype=dtype) for name, dtype in COLUMNS}
    cols["ts"][:] = index.ts
    cols["wirelen"][:] = index.wirelen
    cols["caplen"][:] = index.caplen
    return cols


def fill_row(cols: dict[str, np.ndarray], i: int, frame_off: int, decoded: tuple[Any, ...]) -> None:
    """Store one ``decode_packet`` result in row ``i`` (payload offset of an IP row made absolute)."""
    for name, value in zip(DECODED, decoded):
        cols[name][i] = value
    if decoded[0]:
        cols["payload_off"][i] += frame_off
