"""The flow store: flows that are over, as Arrow record batches on disk, one file per bucket of hosts.

A flow's bucket is a stable hash (CRC-32) of the host it is about, modulo the bucket count, so every flow of one
host lands in one file: detection loads a group of buckets (a group of hosts with every flow of theirs) at a time,
and memory holds that group, not every flow. Batches are gathered until ``flush_rows`` flows wait, then split by
bucket and appended to the bucket files (Arrow IPC files, uncompressed: read back through a memory map without a
copy, so a pass over a few columns, ``stored.shown_flows``, touches only those). Besides FLOW_SCHEMA's columns a
stored table has ``host`` (the internal host the flow is about; null when none) and ``bucket``.
"""
from __future__ import annotations

import resource
import zlib
from collections.abc import Collection, Iterator, Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa

from ..memtrim import release
from ..model import Flow
from .arrow import FLOW_SCHEMA, to_table

#: A stored table: a Flow per row, the host it is about and its bucket.
STORE_SCHEMA = FLOW_SCHEMA.append(pa.field("host", pa.string())).append(pa.field("bucket", pa.int32()))


def bucket_of(key: str, buckets: int) -> int:
    """The bucket of a host (stable across runs and processes, unlike ``hash``)."""
    return zlib.crc32(key.encode("utf-8", "surrogatepass")) % buckets


def stored_table(flow_list: Sequence[Flow], hosts: Sequence[str | None], buckets: Sequence[int]) -> pa.Table:
    """The flows as a table of STORE_SCHEMA."""
    table = to_table(flow_list)
    table = table.append_column(STORE_SCHEMA.field("host"), pa.array(hosts, type=pa.string()))
    return table.append_column(STORE_SCHEMA.field("bucket"), pa.array(buckets, type=pa.int32()))


class FlowStore:
    """Flows appended in batches (``add``), then read back a group of buckets at a time (``groups``, ``read``)."""

    def __init__(self, directory: Path, buckets: int, flush_rows: int) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.buckets = _open_files_for(max(int(buckets), 1))
        self.flush_rows = max(int(flush_rows), 1)
        self.rows = np.zeros(self.buckets, dtype=np.int64)  # flows written per bucket
        self._pending: list[pa.Table] = []
        self._pending_rows = 0
        self._writers: dict[int, pa.ipc.RecordBatchFileWriter] = {}
        self._bucket_cache: dict[str, int] = {}

    def path(self, bucket: int) -> Path:
        return self.directory / f"bucket-{bucket:04d}.arrow"

    def add(self, flow_list: Sequence[Flow], hosts: Sequence[str | None]) -> None:
        """Store flows, each with the host it is about (None: none; its originator then picks the bucket)."""
        if not flow_list:
            return
        cache, n = self._bucket_cache, self.buckets
        buckets = []
        for flow, host in zip(flow_list, hosts):
            key = flow.orig_h if host is None else host
            b = cache.get(key)
            if b is None:
                b = cache[key] = bucket_of(key, n)
            buckets.append(b)
        self._pending.append(stored_table(flow_list, hosts, buckets))
        self._pending_rows += self._pending[-1].num_rows
        if self._pending_rows >= self.flush_rows:
            self.flush()

    def flush(self) -> None:
        """Write the waiting flows to their bucket files."""
        if not self._pending:
            return
        release()  # what was freed since (payload of flows that ended) goes back before the batch is copied
        self._write(self._take_pending())
        release()  # and the batch's pages, before the next batch is gathered

    def _take_pending(self) -> list[pa.ChunkedArray]:
        """The columns of the flows waiting to be written (STORE_SCHEMA's order; ``bucket`` last), taken from the
        store, so that they are referenced from this list alone."""
        pending, self._pending, self._pending_rows = self._pending, [], 0
        return pa.concat_tables(pending).columns

    def _write(self, columns: list[pa.ChunkedArray]) -> None:
        """The flows of ``columns`` (STORE_SCHEMA's) appended to their bucket files."""
        bucket = columns[-1].to_numpy()
        table = _sorted(columns, pa.array(np.argsort(bucket, kind="stable")))
        counts = np.bincount(bucket, minlength=self.buckets)
        start = 0
        for b in np.flatnonzero(counts).tolist():
            part = table.slice(start, int(counts[b]))
            start += int(counts[b])
            writer = self._writers.get(b)
            if writer is None:
                writer = self._writers[b] = pa.ipc.new_file(str(self.path(b)), STORE_SCHEMA)
            writer.write_table(part)
        self.rows += counts

    def close(self) -> None:
        """Flush and close the bucket files (reading needs them closed)."""
        self.flush()
        for writer in self._writers.values():
            writer.close()
        self._writers.clear()
        self._bucket_cache.clear()

    @property
    def total(self) -> int:
        return int(self.rows.sum()) + self._pending_rows

    def groups(self, max_rows: int, also: Collection[int] = ()) -> list[list[int]]:
        """The non-empty buckets (and those of ``also``) in consecutive groups of at most ``max_rows`` flows (a bigger
        bucket alone)."""
        out: list[list[int]] = []
        size = 0
        for b in sorted(set(np.flatnonzero(self.rows).tolist()) | set(also)):
            rows = int(self.rows[b])
            if not out or size + rows > max_rows:
                out.append([])
                size = 0
            out[-1].append(b)
            size += rows
        return out

    def parts(self, buckets: Sequence[int], rows: int) -> list[list[int]]:
        """``buckets`` in consecutive parts of at least ``rows`` flows (the last may have fewer)."""
        out: list[list[int]] = [[]]
        size = 0
        for b in buckets:
            if size >= rows:
                out.append([])
                size = 0
            out[-1].append(b)
            size += int(self.rows[b])
        return out

    def read(self, buckets: Sequence[int]) -> pa.Table:
        """The stored flows of ``buckets`` (STORE_SCHEMA), bucket by bucket in write order."""
        tables = [_read_file(self.path(b)) for b in buckets if self.rows[b]]
        return pa.concat_tables(tables) if tables else STORE_SCHEMA.empty_table()

    def filled(self) -> list[int]:
        """The buckets holding flows."""
        return np.flatnonzero(self.rows).tolist()

    def tables(self) -> Iterator[pa.Table]:
        """Every non-empty bucket's table, one at a time."""
        for b in self.filled():
            yield _read_file(self.path(b))


def _sorted(columns: list[pa.ChunkedArray], order: pa.Array) -> pa.Table:
    """The table of ``columns`` in the ``order`` of its rows, sorted a column at a time: each column's chunks are
    freed as soon as its sorted copy is made, so the batch waiting to be written is held about once, not twice
    (``Table.take`` makes every sorted column while every unsorted one is still referenced)."""
    for i in range(len(columns)):
        columns[i] = columns[i].take(order)
    return pa.Table.from_arrays(columns, schema=STORE_SCHEMA)


def _open_files_for(buckets: int, spare: int = 64) -> int:
    """The bucket count to use: ``buckets``, each an open file while the capture is read; the soft limit on open
    files is raised towards the hard one when needed, and the count lowered to what it allows."""
    try:
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft != resource.RLIM_INFINITY and soft < buckets + spare:
            want = buckets + spare if hard == resource.RLIM_INFINITY else min(hard, buckets + spare)
            resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
            soft = want
    except (ValueError, OSError):
        return min(buckets, 64)
    return buckets if soft == resource.RLIM_INFINITY else max(1, min(buckets, soft - spare))


def _read_file(path: Path) -> pa.Table:
    """A bucket file's table, its buffers in the file's memory map (kept mapped while they are referenced)."""
    return pa.ipc.open_file(pa.memory_map(str(path))).read_all()
