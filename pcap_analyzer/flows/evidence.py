"""The evidence flows of a report analysed over the flow store, on disk: what the writers join to the indicators
(by uid and Community ID) without holding a Flow object per evidence flow.

An indicator may name every connection of a series (beaconing names them all), so the evidence grows with the
capture; report.json lists each as an evidence flow with its packet filters. ``EvidenceFlows`` writes the selected
rows to an Arrow file in its own temporary directory and keeps per row only its uid and Community ID (Arrow
strings), their hashes and its place (about 100 bytes; a Flow object is ~2.8 KB); ``EvidenceIndex`` answers the writers' lookups as ``report.common.flow_index`` does
(the first flow in pass order, by time then uid, that has the key), materialising the rows asked for in one batch
(``many``: one host's evidence in report.json). The flow each indicator joins (``indicator_flow``: fallback.log,
``--events``) is made once up front (``anchor``): one per indicator, not one per flow.
"""
from __future__ import annotations

import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..model import Flow
from .arrow import from_table

BATCH = 4096  # rows materialised at a time when the flows are walked in order


class EvidenceFlows(Sequence[Flow]):
    """Selected flows, appended a table at a time (``add``), then ``close``d: a sequence of Flows in pass order
    (made as they are walked) and ``flow_index``, the writers' uid / Community ID lookup
    (``report.common.flow_index`` takes it as it is)."""

    def __init__(self, workdir: Path | None = None) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="fallback-hunt-evidence-", dir=workdir)
        self.path = Path(self._tmp.name) / "evidence.arrow"
        self._writer: pa.ipc.RecordBatchFileWriter | None = None
        self._uids: list[pa.Array] = []
        self._cids: list[pa.Array] = []
        self._ts: list[np.ndarray] = []
        self.rows = 0
        self._starts: list[int] = []  # first row of each record batch of the file
        self._reader: pa.ipc.RecordBatchFileReader | None = None
        self.flow_index = EvidenceIndex(self)
        self._order = np.zeros(0, dtype=np.int64)  # rows in pass order (ts, uid)

    def add(self, table: pa.Table) -> None:
        if not table.num_rows:
            return
        if self._writer is None:
            self._writer = pa.ipc.new_file(str(self.path), table.schema)
        table = table.combine_chunks()  # one record batch: a lookup reads only the batches it needs
        self._writer.write_table(table, max_chunksize=table.num_rows)
        self._starts.append(self.rows)
        self._uids.append(table.column("uid").combine_chunks())
        self._cids.append(table.column("community_id").combine_chunks())
        self._ts.append(table.column("ts").to_numpy())
        self.rows += table.num_rows

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None
            # read back batch by batch into memory freed after each lookup (a memory map would keep every page read)
            self._reader = pa.ipc.open_file(pa.OSFile(str(self.path)))
        uids = pa.chunked_array(self._uids, pa.string()).combine_chunks()
        cids = pa.chunked_array(self._cids, pa.string()).combine_chunks()
        ts = np.concatenate(self._ts) if self._ts else np.zeros(0)
        self._uids, self._cids, self._ts = [], [], []
        order = pc.sort_indices(pa.table({"ts": ts, "uid": uids}), sort_keys=[("ts", "ascending"),
                                                                              ("uid", "ascending")])
        self._order = order.to_numpy().astype(np.int64)
        rank = np.empty_like(self._order)
        rank[self._order] = np.arange(len(self._order), dtype=np.int64)
        self.flow_index.build(uids, cids, rank)

    def __len__(self) -> int:
        return self.rows

    def __getitem__(self, i):  # type: ignore[no-untyped-def]
        if isinstance(i, slice):
            return [self.take([int(r)])[0] for r in self._order[i]]
        return self.take([int(self._order[i])])[0]

    def __iter__(self) -> Iterator[Flow]:
        for start in range(0, self.rows, BATCH):
            yield from self.take(self._order[start:start + BATCH].tolist())

    def take(self, rows: Sequence[int]) -> list[Flow]:
        """The Flows of ``rows`` (places in the file), in that order: only the record batches holding them are read
        (from the file, into memory freed after the call)."""
        if not len(rows) or self._reader is None:
            return []
        wanted = np.asarray(rows, dtype=np.int64)
        starts = np.asarray(self._starts, dtype=np.int64)
        batch_of = np.searchsorted(starts, wanted, "right") - 1
        out: list[Flow | None] = [None] * len(wanted)
        for b in np.unique(batch_of).tolist():
            at = np.flatnonzero(batch_of == b)
            batch = self._reader.get_batch(b).take(pa.array(wanted[at] - starts[b], type=pa.int64()))
            for i, flow in zip(at.tolist(), from_table(pa.Table.from_batches([batch]))):
                out[i] = flow
        return out  # type: ignore[return-value]


class EvidenceIndex(Mapping[str, Flow]):
    """uid or Community ID -> the first evidence flow in pass order that has it (``report.common.flow_index``)."""

    def __init__(self, flows: EvidenceFlows) -> None:
        self._flows = flows
        self._hashes = np.zeros(0, dtype=np.int64)  # key hashes, sorted; a key's entries by time
        self._rows = np.zeros(0, dtype=np.int64)
        self._uids: pa.Array = pa.array([], pa.string())
        self._cids: pa.Array = pa.array([], pa.string())
        self._anchors: dict[str, int] = {}  # key -> row, of the flows made up front
        self._made: dict[int, Flow] = {}  # row -> its Flow, made up front

    def build(self, uids: pa.Array, cids: pa.Array, rank: np.ndarray) -> None:
        """Index the rows: ``rank``, each row's place in pass order."""
        self._uids, self._cids = uids, cids
        n = len(uids)
        cid_list = cids.to_pylist()
        has_cid = np.fromiter((bool(c) for c in cid_list), dtype=bool, count=n)
        keys = np.concatenate([np.fromiter((hash(k) for k in uids.to_pylist()), dtype=np.int64, count=n),
                               np.fromiter((hash(c) for c in cid_list), dtype=np.int64, count=n)[has_cid]])
        rows = np.concatenate([np.arange(n, dtype=np.int64), np.flatnonzero(has_cid)])
        order = np.lexsort((rank[rows], keys))  # by key, then pass order
        self._hashes, self._rows = keys[order], rows[order]

    def row(self, key: str) -> int | None:
        """The place of the first flow (pass order) whose uid or Community ID is ``key``; None: none."""
        if not key or not len(self._hashes):
            return None
        h = hash(key)
        lo, hi = np.searchsorted(self._hashes, h, "left"), np.searchsorted(self._hashes, h, "right")
        for r in self._rows[lo:hi].tolist():
            if self._uids[r].as_py() == key or self._cids[r].as_py() == key:
                return r
        return None

    def many(self, keys: Iterable[str]) -> list[Flow | None]:
        """The flow of each key (None: none), made in one batch; one Flow object per flow."""
        rows = [self._anchors[k] if k in self._anchors else self.row(k) for k in keys]
        wanted = sorted({r for r in rows if r is not None and r not in self._made})
        made = dict(zip(wanted, self._flows.take(wanted)))
        return [None if r is None else self._made[r] if r in self._made else made[r] for r in rows]

    def anchor(self, keys: Iterable[str]) -> None:
        """Make and keep the flows of ``keys`` (those the indicators join on): looked up one at a time later."""
        keys = list(dict.fromkeys(keys))
        for key, flow in zip(keys, self.many(keys)):
            if flow is not None:
                r = self._anchors[key] = self.row(key)  # type: ignore[assignment]
                self._made.setdefault(r, flow)

    def __getitem__(self, key: str) -> Flow:
        r = self._anchors[key] if key in self._anchors else self.row(key)
        if r is None:
            raise KeyError(key)
        return self._made[r] if r in self._made else self._flows.take([r])[0]

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and (key in self._anchors or self.row(key) is not None)

    def __iter__(self) -> Iterator[str]:
        seen: set[str] = set()
        for column in (self._uids, self._cids):
            for key in column.to_pylist():
                if key and key not in seen:
                    seen.add(key)
                    yield key

    def __len__(self) -> int:
        return sum(1 for _ in self)
