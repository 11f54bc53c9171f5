"""Host partitions: every worker reads the whole captures and keeps the packets of its share of the hosts.

With a few workers on one machine, reading a capture is cheap next to what follows it (the flow table, dissection,
measures, detection), and that part splits by host with no boundary to stitch: partition ``k`` of ``n`` decodes
every chunk (the serial read's own chunks, drained at the same times) but gives its flow table only the packets of
the flow keys it owns, so every flow it makes is the serial read's, and most flows are already where their host is
detected (``hosts``).  A key belongs to the partition of the host it is most likely about (``host_of``): the internal
endpoint when only one is; else, for TCP and UDP, the endpoint on the higher port (the client's ephemeral port); else
the lower address.  A flow whose host lands elsewhere is moved by the shuffle, as a range's flows are.

An ICMP error also goes to the partition of the key it quotes (the flow table ties it back to that flow there); the
flows it makes of its own key in a partition that does not own that key are dropped (``foreign``).
"""
from __future__ import annotations

import ipaddress
import socket
import zlib
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from ..flows.protocol import PORTED
from ..flows.records import addr_packed, addr_text
from ..flows.icmp import IPV4_MAPPED, quoted_key
from ..flows import FlowTable
from ..capture import digest
from ..config import Config
from ..detect.facts import is_icmp
from ..readcaps import read_serial
from ..homenet import HomeNet
from ..model import CaptureInfo, Flow, PacketBatch
from . import codec, sources
from .engine import Dask, Inline
from .segment import icmp_error_rows

Progress = Callable[[str, int], None]


class Partitioner:
    """The partition of flow keys among ``parts``: per address, whether it is internal and the bucket of its text
    (``flows.store.bucket_of``, so that with as many groups of hosts as partitions a host's group is its
    partition's); IPv4 addresses in sorted arrays, looked up for whole columns at once."""

    def __init__(self, home: HomeNet, parts: int) -> None:
        self.home, self.parts = home, parts
        self._v4 = np.zeros(0, dtype=np.uint64)  # known IPv4-mapped low halves, sorted
        self._v4_internal = np.zeros(0, dtype=bool)
        self._v4_part = np.zeros(0, dtype=np.int64)
        self._v6: dict[tuple[int, int], tuple[bool, int]] = {}

    def _facts(self, hi: int, lo: int) -> tuple[bool, int]:
        text = addr_text(addr_packed(hi, lo))
        return self.home.is_internal(text), zlib.crc32(text.encode("utf-8", "surrogatepass")) % self.parts

    def _new_low_halves(self, lows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(internal, partition) of addresses whose high half is 0: IPv4-mapped ones against the IPv4 networks
        (as ``HomeNet.is_internal`` tests them), any other (``::1``) through its text."""
        inside = np.zeros(lows.shape[0], dtype=bool)
        parts = np.zeros(lows.shape[0], dtype=np.int64)
        mapped = (lows >> np.uint64(32)) == np.uint64(0xFFFF)
        v4 = lows[mapped] & np.uint64(0xFFFFFFFF)
        hit = np.zeros(v4.shape[0], dtype=bool)
        for net in self.home.networks:
            if net.version == 4:
                hit |= (v4 & np.uint64(int(net.netmask))) == np.uint64(int(net.network_address))
        inside[mapped] = hit
        parts[mapped] = [zlib.crc32(socket.inet_ntoa(x.to_bytes(4, "big")).encode()) % self.parts
                         for x in v4.tolist()]
        for i in np.flatnonzero(~mapped).tolist():
            inside[i], parts[i] = self._facts(0, int(lows[i]))
        return inside, parts

    def _lookup(self, hi: np.ndarray, lo: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(internal, partition) of every address."""
        internal = np.zeros(hi.shape[0], dtype=bool)
        part = np.zeros(hi.shape[0], dtype=np.int64)
        v4 = hi == 0
        lo4 = lo[v4]
        at = np.searchsorted(self._v4, lo4)
        known = at < self._v4.shape[0]
        known[known] = self._v4[at[known]] == lo4[known]
        if not known.all():
            new = np.unique(lo4[~known])
            inside, parts = self._new_low_halves(new)
            keys = np.concatenate([self._v4, new])
            order = np.argsort(keys, kind="stable")
            self._v4 = keys[order]
            self._v4_internal = np.concatenate([self._v4_internal, inside])[order]
            self._v4_part = np.concatenate([self._v4_part, parts])[order]
            at = np.searchsorted(self._v4, lo4)
        internal[v4], part[v4] = self._v4_internal[at], self._v4_part[at]
        v6 = np.flatnonzero(~v4)
        if v6.shape[0]:  # IPv6: each distinct address once, through a dict
            hi6, lo6 = hi[v6], lo[v6]
            order = np.lexsort((lo6, hi6))
            first = np.ones(order.shape[0], dtype=bool)
            first[1:] = (hi6[order][1:] != hi6[order][:-1]) | (lo6[order][1:] != lo6[order][:-1])
            group = np.empty(order.shape[0], dtype=np.int64)
            group[order] = np.cumsum(first) - 1
            facts = []
            for h, l in zip(hi6[order][first].tolist(), lo6[order][first].tolist()):
                got = self._v6.get((h, l))
                if got is None:
                    got = self._v6[(h, l)] = self._facts(h, l)
                facts.append(got)
            internal[v6] = np.array([f[0] for f in facts], dtype=bool)[group]
            part[v6] = np.array([f[1] for f in facts], dtype=np.int64)[group]
        return internal, part

    def of_keys(self, proto: np.ndarray, a_hi: np.ndarray, a_lo: np.ndarray, b_hi: np.ndarray, b_lo: np.ndarray,
                pa: np.ndarray, pb: np.ndarray) -> np.ndarray:
        """The partition of each key (a function of the unordered pair of endpoints)."""
        n = proto.shape[0]
        internal, part = self._lookup(np.concatenate([a_hi, b_hi]).astype(np.uint64),
                                      np.concatenate([a_lo, b_lo]).astype(np.uint64))
        ia, ib = internal[:n], internal[n:]
        ported = np.isin(proto, PORTED) & (pa != pb)
        lower_a = (a_hi < b_hi) | ((a_hi == b_hi) & (a_lo <= b_lo))
        take_a = np.where(ia != ib, ia, np.where(ported, pa > pb, lower_a))
        return np.where(take_a, part[:n], part[n:])

    def of_flow(self, flow: Flow) -> int:
        """The partition of a flow's key, for a protocol without ports (an ICMP error's own flow)."""
        ends = [address_halves(flow.orig_h), address_halves(flow.resp_h)]
        hi = np.array([e[0] for e in ends], dtype=np.uint64)
        lo = np.array([e[1] for e in ends], dtype=np.uint64)
        zero = np.zeros(1, dtype=np.int64)
        return int(self.of_keys(np.zeros(1, dtype=np.uint64), hi[:1], lo[:1], hi[1:], lo[1:], zero, zero)[0])

    def keep(self, batch: PacketBatch, part: int) -> tuple[PacketBatch, bool]:
        """``batch`` with the packets of other partitions' keys made unusable for the flow table (not IP), and
        whether an ICMP error of another partition's key was kept (it quotes a key of this one)."""
        rows = FlowTable.usable_rows(batch)
        b = batch  # of_keys takes either order of the ends: the packets' own is the key's
        mine = self.of_keys(b.proto[rows], b.src_hi[rows], b.src_lo[rows], b.dst_hi[rows], b.dst_lo[rows],
                            b.sport[rows], b.dport[rows]) == part
        foreign = False
        for row in icmp_error_rows(batch, rows[~mine]).tolist():
            off, ln = int(batch.payload_off[row]), int(batch.payload_len[row])
            key = quoted_key(bytes(batch.data[off: off + ln]))
            if key and int(self.of_keys(*(np.array([v], dtype=np.uint64) for v in key))[0]) == part:
                mine[np.searchsorted(rows, row)] = True
                foreign = True
        ip_ver = np.zeros_like(batch.ip_ver)
        ip_ver[rows[mine]] = batch.ip_ver[rows[mine]]
        return replace(batch, ip_ver=ip_ver), foreign


def address_halves(text: str) -> tuple[int, int]:
    """The (hi, lo) halves of an address as packets carry it (IPv4 mapped into IPv6)."""
    addr = ipaddress.ip_address(text)
    value = int(addr) | (IPV4_MAPPED if addr.version == 4 else 0)
    return value >> 64, value & 0xFFFFFFFFFFFFFFFF


@dataclass(slots=True)
class PartitionResult:
    """What the client gathers from a partition (its flows are the task's second result: ``codec.FlowBatch``):
    one CaptureInfo per capture (every partition reads every packet: the first one's are kept) and how many flows
    it made."""

    infos: list[CaptureInfo]
    flows: int


def read_partition(names: list[str], part: int, parts: int, cfg: Config, home: HomeNet
                   ) -> tuple[PartitionResult, codec.FlowBatch]:
    """Partition ``part`` of ``parts`` of the captures ``names`` (local paths, read in order into one flow table,
    as the serial read reads them): its flows, annotated, sorted by (start time, uid)."""
    chooser = Partitioner(home, parts)
    foreign = False

    def keep(batch: PacketBatch) -> PacketBatch:
        nonlocal foreign
        kept, quoted = chooser.keep(batch, part)
        foreign |= quoted
        return kept

    infos, flows = read_serial([Path(n) for n in names], cfg, keep=keep, hashed=False)  # sorted by start time
    if foreign:  # the own flows of ICMP errors kept for the key they quote
        flows = [f for f in flows if not is_icmp(f) or chooser.of_flow(f) == part]
    return PartitionResult(infos, len(flows)), codec.FlowBatch(flows)


def usable(names: list[str], cfg: Config, workers: int) -> bool:
    """Whether the captures are read by host partitions: at most ``[parallel] partition_workers`` workers (more
    than one), and every capture a local (or NFS) path: each worker reads every capture."""
    return 1 < workers <= cfg.parallel.partition_workers and all(not sources.is_url(n) for n in names)


@dataclass
class Partitions:
    """The partitions read (what ``hosts.on_hosts`` takes, as it takes ``read.Segments``): each partition's flows
    (futures of ``codec.FlowBatch``, left on the workers ``at``), the captures' SHA-256s (futures)."""

    names: list[str]
    results: list[PartitionResult]
    flows: list[Any]
    at: list[Any]
    digests: list[Any]
    cids: frozenset[str] = frozenset()  # no key is cut: nothing is replayed
    replayed: tuple[Flow, ...] = ()

    @property
    def flow_count(self) -> int:
        return sum(r.flows for r in self.results)

    def infos(self, eng: Inline | Dask) -> list[CaptureInfo]:
        """One CaptureInfo per capture."""
        out = self.results[0].infos
        for info, name, sha in zip(out, self.names, self.digests):
            info.path, info.sha256 = name, digest.result(sha, name) if sha is not None else ""
        return out


def read_partitions(eng: Inline | Dask, names: list[str], cfg: Config, home: HomeNet, parts: int,
                    progress: Progress | None, hashed: list[Future[str] | None]) -> Partitions:
    """One task per partition, each on a worker of its own while there are enough; the SHA-256s hashed here."""
    slots = eng.slots()
    tasks = [eng.submit(read_partition, names, k, parts, cfg, home, near=(slots[k % len(slots)],) if slots[0]
                        else None) for k in range(parts)]
    split = eng.split(tasks, 2)
    results: list[PartitionResult] = eng.gather([s[0] for s in split])
    at = eng.where(tasks)
    eng.release(tasks)
    if progress is not None:
        for name, info in zip(names, results[0].infos):
            progress(name, info.packets)
    return Partitions(names, results, [s[1] for s in split], at, hashed)
