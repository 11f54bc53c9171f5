"""The task that reads one segment: flows made, drained, annotated and compacted as ``pipeline.read_flows`` makes
them (the same chunks, the same drain times), returned as a ``codec.FlowBatch`` (Flow objects on the worker, an
Arrow table when they move), with what stitching needs:
the keys still open at the segment's end (``tail``: hash and Community ID), the hash of every key it saw (an ICMP
error counts for the key it quotes too), and each chunk's drain time.  The per-packet key index (``KeyIndex``: the
record headers and key hash of every packet) stays with the task's worker; ``select`` cuts the packets of given
keys out of it, for the replay of the keys a boundary cut (``stitch``)."""
from __future__ import annotations

from dataclasses import dataclass, field, fields

import numpy as np

from ..measures.annotate import annotate
from ..capture import decode, reader
from ..community_id import community_ids_batch
from ..config import Config
from ..flows import FlowTable
from ..flows.chunk import canonical_keys
from ..flows.grouping import mix
from ..community_id import ICMP, ICMP6
from ..flows.icmp import ICMP_ERRORS, ICMP_HDR, quoted_key
from ..gcpause import gc_paused
from ..limits import limits_of
from ..model import CaptureInfo, Flow, PacketBatch, capture_order
from ..capture.slowpath import RecordIndex
from . import codec, sources
from .plan import Segment


@dataclass(slots=True)
class SegmentResult:
    """What the client gathers from a segment (its flows are the task's second result: ``codec.FlowBatch``)."""

    segment: Segment
    info: CaptureInfo
    flows: int  # how many
    nows: list[float]  # drain time of each chunk (its oldest packet), in chunk order
    tail_hashes: np.ndarray  # uint64 key hashes of the flows open at the end
    tail_cids: list[str]  # their Community IDs
    seen: np.ndarray  # sorted unique uint64 hashes of every key seen (own, or quoted by an ICMP error)


@dataclass(slots=True)
class KeyIndex:
    """Per chunk: the record headers of its usable packets and the key hash each counts for (an ICMP error twice:
    its own key, the quoted one)."""

    segment: Segment
    records: list[RecordIndex] = field(default_factory=list)
    hashes: list[np.ndarray] = field(default_factory=list)


def key_hash(cols: list[np.ndarray]) -> np.ndarray:
    """A 64-bit hash of flow keys given as the columns proto, a_hi, a_lo, b_hi, b_lo, pa, pb (``chunk.KEY``)."""
    h = np.zeros(len(cols[0]), dtype=np.uint64)
    for c in cols:
        h = mix(h, np.asarray(c).astype(np.uint64))
    return h


def read_segment(seg: Segment, cfg: Config) -> tuple[SegmentResult, codec.FlowBatch, KeyIndex]:
    """Read ``seg``: what the client gathers, its flows (sorted by start time) and the key index."""
    with gc_paused(), sources.fetched(seg.source) as path:
        return _read_segment(seg, path, cfg)


def _read_segment(seg: Segment, path, cfg: Config) -> tuple[SegmentResult, codec.FlowBatch, KeyIndex]:
    stream = cfg.pipeline.stream
    batch_flows = max(cfg.pipeline.annotate_batch, 1)
    info = CaptureInfo(path=seg.source)
    index = KeyIndex(seg)
    table = FlowTable(cfg)
    done: list[Flow] = []
    waiting: list[Flow] = []
    nows: list[float] = []
    seen: list[np.ndarray] = []
    for batch in batches(seg, path, cfg, info, index):
        table.add(batch)
        hashes = index_chunk(batch, index)
        seen.append(hashes)
        nows.append(float(batch.ts.min()))
        if stream:
            waiting += table.drain(nows[-1])
            if len(waiting) >= batch_flows:
                done += annotate(waiting, cfg, compact_after=True)
                waiting = []
    keys, one_way = table.open_keys()
    rest = waiting + table.finish()
    done += annotate(rest, cfg, compact_after=stream)
    done.sort(key=capture_order)
    cids, _ = community_ids_batch(*keys[:, :7].T, one_way) if len(keys) else ([], None)
    tail = key_hash(list(keys.T)) if len(keys) else np.zeros(0, dtype=np.uint64)
    seen_all = np.unique(np.concatenate(seen)) if seen else np.zeros(0, dtype=np.uint64)
    return SegmentResult(seg, info, len(done), nows, tail, list(cids), seen_all), codec.FlowBatch(done), index


def batches(seg: Segment, path, cfg: Config, info: CaptureInfo, index: KeyIndex):
    """The segment's chunks, as the serial read makes them; each chunk's record headers are kept in ``index``."""

    def keeping(data, records: RecordIndex) -> PacketBatch:
        index.records.append(RecordIndex(records.data_off, records.caplen, records.wirelen, records.ts,
                                         records.linktype))
        return decode.decode_chunk(data, records)

    if seg.span is None:
        return reader.read_capture(path, cfg, info, decoder=keeping)
    chunk, max_caplen = reader.reader_settings(cfg)
    limits = limits_of(cfg)
    mapped = reader.map_file(path, info, limits)
    header = reader.pcap_header(mapped.data, path)
    return reader.account(info, reader.pcap_batches(mapped, header, chunk, max_caplen, info, keeping, seg.span),
                          limits)


def index_chunk(batch: PacketBatch, index: KeyIndex) -> np.ndarray:
    """Key hash of every usable packet of the chunk (0: not usable) and of the key each ICMP error quotes, into
    ``index``; returns the hashes seen."""
    rows = FlowTable.usable_rows(batch)
    k = canonical_keys(batch, rows)
    own = np.zeros(len(batch), dtype=np.uint64)
    own[rows] = key_hash([k.proto, k.a_hi, k.a_lo, k.b_hi, k.b_lo, k.pa, k.pb])
    quoted = np.zeros(len(batch), dtype=np.uint64)
    for row in icmp_error_rows(batch, rows).tolist():
        off, ln = int(batch.payload_off[row]), int(batch.payload_len[row])
        key = quoted_key(bytes(batch.data[off: off + ln]))
        if key:
            quoted[row] = key_hash([np.array([v]) for v in key])[0]
    index.hashes.append(np.stack([own, quoted], axis=1))
    return np.unique(np.concatenate([own[rows], quoted[quoted != 0]]))


def icmp_error_rows(batch: PacketBatch, rows: np.ndarray) -> np.ndarray:
    """The rows (of ``rows``) that are ICMP errors quoting a packet."""
    err = np.zeros(rows.shape[0], dtype=bool)
    for proto, types in ICMP_ERRORS.items():
        err |= (batch.proto[rows] == proto) & np.isin(batch.sport[rows], list(types))
    return rows[err]


def select(index: KeyIndex, cfg: Config, wanted: np.ndarray) -> dict[int, PacketBatch]:
    """The packets of the keys ``wanted`` (hashes), per chunk number, as self-contained batches (their payload
    copied out of the capture): what the replay of those keys reads."""
    out: dict[int, PacketBatch] = {}
    with gc_paused(), sources.fetched(index.segment.source) as path:
        mapped = reader.map_file(path, CaptureInfo(path=str(path)), limits_of(cfg))
        for n, (records, hashes) in enumerate(zip(index.records, index.hashes)):
            rows = np.flatnonzero(np.isin(hashes, wanted).any(axis=1) & (hashes[:, 0] != 0))
            if rows.shape[0]:
                sub = RecordIndex(records.data_off[rows], records.caplen[rows], records.wirelen[rows],
                                  records.ts[rows], records.linktype[rows])
                out[n] = detached(decode.decode_chunk(mapped.data, sub))
    return out


def detached(batch: PacketBatch) -> PacketBatch:
    """``batch`` with its payloads (an ICMP message's with its header: the flow table keeps whole messages) copied
    into a buffer of its own, payload_off re-pointed: small and picklable."""
    head = np.isin(batch.proto, (ICMP, ICMP6)) * ICMP_HDR
    head = np.minimum(head, batch.payload_off)
    start = batch.payload_off - head
    length = head + batch.payload_len.astype(np.int64)
    view = memoryview(np.ascontiguousarray(batch.data)).cast("B")
    data = np.frombuffer(b"".join(view[a: a + n] for a, n in zip(start.tolist(), length.tolist())), dtype=np.uint8)
    offs = np.cumsum(length) - length + head
    cols = {f.name: getattr(batch, f.name) for f in fields(batch) if f.name not in ("data", "payload_off")}
    return PacketBatch(**cols, payload_off=offs, data=data)
