"""Capture files: classic pcap (both byte orders, micro/nanosecond), pcapng, gzip of either.

``read_capture`` checks the file before returning (bad input raises ``InputError`` before any packet), then yields
``PacketBatch`` chunks of ``reader.chunk_packets`` records.  The file is memory-mapped and every batch's ``data``
is the map (a uint8 array), so ``payload_off`` is an offset in the (decompressed) file.  Record headers are walked
here (pcap: one tight loop over the 16-byte headers, then one gather of every record header together with the
start of its frame; pcapng: block by block, any number of interfaces and link types); each chunk is then decoded
by ``decode.py`` (vectorised, handing rare frames to ``slowpath.py``), or entirely by ``slowpath.py`` with
``fast=False``.  Pages of chunks already handed out are released, so resident memory does not grow with the file.

Damage after the file header (a record cut short, an absurd caplen, a broken pcapng block) stops reading there:
the packets before it are kept and a warning is added to ``info.warnings``.  A file with a valid header and no
packets is valid: it yields nothing and gets a warning.  The file's SHA-256 (``info.sha256``) is not computed
here: ``digest.py`` hashes the captures beside the reading.
"""
from __future__ import annotations

import mmap
import os
import struct
import sys
import tempfile
from dataclasses import dataclass, fields
from itertools import repeat
from pathlib import Path
from typing import BinaryIO, Callable, Iterator

import numpy as np

from . import decode
from ..config import Config
from ..errors import InputError
from ..limits import GZIP_MAGIC, NONE as NO_LIMITS, Limits, gunzip, limits_of
from ..model import CaptureInfo, PacketBatch
from .linktypes import SUPPORTED_LINKTYPES
from .records import RecordIndex

PCAPNG_MAGIC = b"\x0a\x0d\x0d\x0a"
#: classic pcap magic (as read little-endian) -> (byte order of the file, nanosecond timestamps)
PCAP_MAGICS = {
    0xA1B2C3D4: ("<", False), 0xD4C3B2A1: (">", False),
    0xA1B23C4D: ("<", True), 0x4D3CB2A1: (">", True),
}
PCAP_FILE_HDR = 24
PCAP_REC_HDR = 16
PCAPNG_BOM = 0x1A2B3C4D
PCAPNG_SHB, PCAPNG_IDB, PCAPNG_OPB, PCAPNG_SPB, PCAPNG_EPB = 0x0A0D0D0A, 1, 2, 3, 6
PCAPNG_BLOCK_MIN = 12
#: Fixed part of the block bodies we read: IDB link type/snaplen, EPB/OPB packet header, SPB original length.
PCAPNG_MIN_BODY = {PCAPNG_IDB: 8, PCAPNG_EPB: 20, PCAPNG_OPB: 20, PCAPNG_SPB: 4}
OPT_ENDOFOPT, OPT_IF_TSRESOL, OPT_IF_TSOFFSET = 0, 9, 14
DEFAULT_TSRESOL = 6
LINKTYPE_MASK = 0xFFFF
#: Turns a chunk of records into a PacketBatch: ``decode.decode_chunk`` (vectorised) or ``decode.slow_records`` (dpkt).
Decoder = Callable[[np.ndarray, RecordIndex], PacketBatch]
CHUNK_BYTES = 64 << 20  # file bytes per chunk at most (about: the size of the records walked so far decides)
NATIVE_ORDER = "<" if sys.byteorder == "little" else ">"


@dataclass(frozen=True, slots=True)
class PcapHeader:
    order: str  # struct byte order of the file: "<" or ">"
    nano: bool
    snaplen: int
    linktype: int


@dataclass(frozen=True, slots=True)
class Interface:
    """A pcapng interface: link type and timestamp units."""

    linktype: int
    snaplen: int
    units: int  # timestamp units per second
    offset: int  # seconds added to every timestamp (if_tsoffset)


def read_capture(path: str | Path, cfg: Config, info: CaptureInfo, *, fast: bool = True,
                 decoder: Decoder | None = None) -> Iterator[PacketBatch]:
    """Yield PacketBatch chunks of the capture at ``path``; fill ``info`` as they go (complete at the end).

    ``fast=False`` decodes every packet with dpkt (``slowpath.decode_records``), for reference and tests.
    ``decoder`` replaces the decoder (e.g. one that also keeps each chunk's RecordIndex, to cut packets out).
    """
    path = Path(path)
    chunk, max_caplen = reader_settings(cfg)
    limits = limits_of(cfg)
    mapped = map_file(path, info, limits)
    if mapped is None:
        raise InputError(f"{path}: empty file, not a capture")
    data = mapped.data
    decoder = decoder or (decode.decode_chunk if fast else decode.slow_records)
    if bytes(data[:4]) == PCAPNG_MAGIC:
        pcapng_check(data, path)
        return account(info, pcapng_batches(mapped, chunk, max_caplen, info, decoder), limits)
    header = pcap_header(data, path)
    if header.linktype not in SUPPORTED_LINKTYPES:
        info.warnings.append(unsupported_linktype(header.linktype))
    return account(info, pcap_batches(mapped, header, chunk, max_caplen, info, decoder), limits)


def reader_settings(cfg: Config) -> tuple[int, int]:
    return cfg.reader.chunk_packets, cfg.reader.max_caplen


class MappedFile:
    """A capture mapped read-only: ``data`` is a uint8 array over the whole file (what ``payload_off`` indexes)."""

    def __init__(self, path: str | Path) -> None:
        with open(path, "rb") as fh:
            self._map = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
        self.data = np.frombuffer(self._map, dtype=np.uint8)
        self._released = 0

    def release_before(self, off: int) -> None:
        """Let the kernel drop the pages before ``off``: resident memory stays about one chunk, however big the
        file.  Pages touched again later (an old batch's payload) are simply read back from the file."""
        end = off - off % mmap.PAGESIZE
        if end > self._released:
            if hasattr(mmap, "MADV_DONTNEED"):
                self._map.madvise(mmap.MADV_DONTNEED, self._released, end - self._released)
            self._released = end


def map_file(path: Path, info: CaptureInfo, limits: Limits = NO_LIMITS) -> MappedFile | None:
    """Map the capture (decompressing gzip to a temporary file first, within ``limits``); None when it is empty."""
    try:
        with path.open("rb") as fh:
            if fh.read(2) == GZIP_MAGIC:
                fh.seek(0)
                return map_gunzipped(fh, path, info, limits)
        return map_nonempty(path)
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory, not a capture") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read or decompress: {exc.strerror or exc}") from None


def map_nonempty(path: str | Path) -> MappedFile | None:
    return MappedFile(path) if os.path.getsize(path) else None


def map_gunzipped(fh: BinaryIO, path: Path, info: CaptureInfo, limits: Limits = NO_LIMITS) -> MappedFile | None:
    """Decompress to a temporary file (within ``limits``), map it, and remove the file (the mapping stays valid).
    The file is removed however this ends: errors, Ctrl-C and SIGTERM (signals.py) unwind through ``finally``."""
    with tempfile.NamedTemporaryFile(prefix="fallback-hunt-", suffix=".pcap", delete=False) as tmp:
        try:
            warning = gunzip(fh, tmp, limits, str(path))
            if warning:
                info.warnings.append(warning)
            tmp.flush()
            return map_nonempty(tmp.name)
        finally:
            os.unlink(tmp.name)


def pcap_header(data: np.ndarray, path: Path) -> PcapHeader:
    magic = bytes(data[:4])
    if len(magic) < 4 or struct.unpack("<I", magic)[0] not in PCAP_MAGICS:
        raise InputError(f"{path}: not a pcap, pcapng or gzip capture (starts with {magic.hex() or 'nothing'})")
    if len(data) < PCAP_FILE_HDR:
        raise InputError(f"{path}: truncated pcap file header ({len(data)} of {PCAP_FILE_HDR} bytes)")
    order, nano = PCAP_MAGICS[struct.unpack("<I", magic)[0]]
    _major, _minor, _zone, _sigfigs, snaplen, linktype = struct.unpack(order + "HHiIII", bytes(data[4:24]))
    return PcapHeader(order, nano, snaplen, linktype & LINKTYPE_MASK)  # upper bits: FCS length and flags


def first_rows(batch: PacketBatch, n: int) -> PacketBatch:
    """The batch's first ``n`` rows (the same data buffer)."""
    return PacketBatch(**{f.name: getattr(batch, f.name)[:n] for f in fields(batch) if f.name != "data"},
                       data=batch.data)


def account(info: CaptureInfo, batches: Iterator[PacketBatch], limits: Limits = NO_LIMITS
            ) -> Iterator[PacketBatch]:
    """Count packets, fragments, non-IP rows and the time span in ``info`` as batches go by; stop after
    ``limits.max_records`` records (with a warning: the results are partial)."""
    for batch in batches:
        room = limits.max_records - info.packets
        if len(batch) > room:
            batch = first_rows(batch, int(room))
            info.warnings.append(f"reading stopped after {int(limits.max_records)} records: [limits] max_records "
                                 "reached (partial results; --no-limits reads all)")
            room = 0
        if len(batch):
            info.packets += len(batch)
            info.fragments += int(np.count_nonzero(batch.frag))
            info.non_ip += int(np.count_nonzero(batch.ip_ver == 0))
            lo, hi = float(batch.ts.min()), float(batch.ts.max())
            info.first_ts = lo if info.first_ts is None else min(info.first_ts, lo)
            info.last_ts = hi if info.last_ts is None else max(info.last_ts, hi)
            yield batch
        if room <= 0:
            break
    if not info.packets and not info.warnings:
        info.warnings.append("the capture holds no packets")


def pcap_batches(mapped: MappedFile, header: PcapHeader, chunk: int, max_caplen: int, info: CaptureInfo,
                 decoder: Decoder, span: tuple[int, int, int] | None = None) -> Iterator[PacketBatch]:
    """The chunks of the file; ``span`` = (start, records of the first chunk, end): only the chunks from byte
    ``start`` to byte ``end``, both chunk boundaries of the whole file's walk (``first_chunk``, ``next_limit``), so
    a range reads exactly the chunks the whole file's read has there (parallel/plan.py)."""
    data = mapped.data
    off, limit, end = span or (PCAP_FILE_HDR, first_chunk(header, chunk, max_caplen), len(data))
    while True:
        start = off
        rec_offs, off, problem = walk_records(data, header, off, limit, max_caplen)
        if len(rec_offs):
            limit = next_limit(chunk, start, off, len(rec_offs))
            yield decoder(data, pcap_index(data, header, rec_offs))
            mapped.release_before(off)
        if problem:
            return warn(info, problem)
        if off >= end:
            return


def first_chunk(header: PcapHeader, chunk: int, max_caplen: int) -> int:
    """Records in a classic pcap file's first chunk."""
    return chunk_records(chunk, PCAP_REC_HDR + max(min(header.snaplen, max_caplen), 1))


def next_limit(chunk: int, start: int, end: int, records: int) -> int:
    """Records in the chunk after one of ``records`` records from byte ``start`` to byte ``end``."""
    return chunk_records(chunk, (end - start) / records)


def chunk_records(chunk: int, record_bytes: float) -> int:
    """Records per chunk: ``chunk``, fewer when records are large, so a chunk spans about CHUNK_BYTES of the file
    (what the mapping keeps resident: 65,536 records of 64 KB would be 4 GB of a 4 GB file in one chunk)."""
    return int(min(chunk, max(CHUNK_BYTES // max(record_bytes, 1.0), 16)))


def walk_records(data: np.ndarray, header: PcapHeader, off: int, limit: int,
                 max_caplen: int) -> tuple[np.ndarray, int, str]:
    """Offsets of up to ``limit`` record headers from ``off``: (offsets, next offset, problem or "").

    The one sequential step of the fast path (each record's place depends on the previous caplen), so the loop
    body is kept minimal: a caplen is one index into a 32-bit view of the file (one view per alignment), and
    nothing is checked inside the loop.  The walk ends after ``limit`` records or at the first record whose caplen
    field lies past the end of the file (IndexError); the checks then run on whole arrays: the caplens are the
    gaps between offsets, the first too large one stops the chunk there (the records walked after it are garbage
    and dropped), and only the last record can run past the end of the file.
    """
    size = len(data)
    bound = max(header.snaplen, max_caplen)
    caplens = caplen_words(data)
    offs: list[int] = []
    append = offs.append
    cut_short = False
    try:
        if header.order == NATIVE_ORDER:
            for _ in repeat(None, limit):
                append(off)
                off += PCAP_REC_HDR + caplens[off & 3][off >> 2]
        else:  # the views read native order: re-read those bytes in the file's
            file_order = "big" if header.order == ">" else "little"
            for _ in repeat(None, limit):
                append(off)
                off += PCAP_REC_HDR + int.from_bytes(caplens[off & 3][off >> 2].to_bytes(4, sys.byteorder),
                                                     file_order)
    except IndexError:  # no whole record header at ``off`` (a clean end when off == size)
        offs.pop()
        cut_short = off < size
    starts = np.fromiter(offs, dtype=np.int64, count=len(offs))
    if not starts.shape[0]:
        return starts, off, f"record header cut short at byte {off}" if cut_short else ""
    sizes = np.empty_like(starts)  # of each record: header and caplen
    np.subtract(starts[1:], starts[:-1], out=sizes[:-1])
    sizes[-1] = off - starts[-1]
    if int(sizes.max()) > PCAP_REC_HDR + bound:
        first = int(np.argmax(sizes > PCAP_REC_HDR + bound))
        off = int(starts[first])
        return starts[:first], off, record_problem(off, int(sizes[first]) - PCAP_REC_HDR, bound, size)
    if off > size:  # the last record announced more bytes than the file holds
        last = int(starts[-1])
        return starts[:-1], last, record_problem(last, int(sizes[-1]) - PCAP_REC_HDR, bound, size)
    return starts, off, f"record header cut short at byte {off}" if cut_short else ""


def caplen_words(data: np.ndarray) -> tuple[memoryview, ...]:
    """Four native 32-bit views of ``data`` from bytes 8..11: the caplen field of a record header at byte ``off``
    is ``caplen_words(data)[off & 3][off >> 2]`` (IndexError when it does not lie wholly inside ``data``)."""
    view = memoryview(data)
    size = len(data)
    return tuple(view[k: k + max(0, size - k) // 4 * 4].cast("I") for k in range(8, 12))


def record_problem(off: int, caplen: int, bound: int, size: int) -> str:
    if caplen > bound:
        return f"absurd caplen {caplen} at byte {off}"
    if off + PCAP_REC_HDR > size:
        return f"record header cut short at byte {off}"
    return f"record at byte {off} cut short ({caplen} bytes announced, {size - off - PCAP_REC_HDR} present)"


def pcap_index(data: np.ndarray, header: PcapHeader, rec_offs: np.ndarray) -> RecordIndex:
    """Gather the record headers of every record at once, with the frame headers the decoder reads
    (``RecordIndex.head``) where the buffer holds them all: both sit in the same cache lines.

    Each pair of 32-bit fields (seconds and fraction, caplen and wirelen) is read as one 64-bit word.
    """
    record, with_head = RECORD_LAYOUTS[header.order]
    head = int(rec_offs[-1]) + with_head.itemsize <= len(data)
    fields = decode.gather(data, rec_offs, with_head if head else record)
    sec, frac = word_halves(fields["stamp"], header.order)
    caplen, wirelen = word_halves(fields["lens"], header.order)
    ts = frac.astype(np.float64)
    ts /= 1e9 if header.nano else 1e6
    ts += sec  # seconds + fraction / units
    return RecordIndex(
        data_off=rec_offs + PCAP_REC_HDR,
        caplen=caplen,
        wirelen=wirelen,
        ts=ts,
        linktype=np.full(len(rec_offs), header.linktype, dtype=np.int32),
        head=fields if head else None,
    )


def record_layouts(order: str) -> tuple[np.dtype, np.dtype]:
    """Layouts of a pcap record header (two 64-bit words: time stamp, lengths) alone and followed by the frame
    header the decoder reads (``decode.FRAME_HEAD``)."""
    record = np.dtype({"names": ["stamp", "lens"], "formats": [order + "u8"] * 2, "offsets": [0, 8],
                       "itemsize": PCAP_REC_HDR})
    return record, decode.with_frame_head(record)


RECORD_LAYOUTS = {order: record_layouts(order) for order in ("<", ">")}


def word_halves(words: np.ndarray, order: str) -> tuple[np.ndarray, np.ndarray]:
    """The two uint32 fields stored one after the other in ``words`` (64-bit, read in the file's byte order)."""
    words = words.astype(np.uint64)
    low, high = words.astype(np.uint32), (words >> 32).astype(np.uint32)
    return (low, high) if order == "<" else (high, low)


def pcapng_batches(mapped: MappedFile, chunk: int, max_caplen: int, info: CaptureInfo,
                   decoder: Decoder) -> Iterator[PacketBatch]:
    records: list[tuple[int, int, int, float, int]] = []
    for record in pcapng_records(mapped.data, max_caplen, info):
        records.append(record)
        if len(records) == chunk or record[0] - records[0][0] > CHUNK_BYTES:  # large records: fewer per chunk
            yield decoder(mapped.data, pcapng_index(records))
            mapped.release_before(records[-1][0])
            records = []
    if records:
        yield decoder(mapped.data, pcapng_index(records))


def pcapng_index(records: list[tuple[int, int, int, float, int]]) -> RecordIndex:
    off, caplen, wirelen, ts, linktype = zip(*records)
    return RecordIndex(np.array(off, dtype=np.int64), np.array(caplen, dtype=np.uint32),
                       np.array(wirelen, dtype=np.uint32), np.array(ts, dtype=np.float64),
                       np.array(linktype, dtype=np.int32))


def pcapng_check(data: np.ndarray, path: Path) -> None:
    """The first block must be a whole section header block with a byte-order magic."""
    if len(data) < PCAPNG_BLOCK_MIN + 4:
        raise InputError(f"{path}: truncated pcapng section header ({len(data)} bytes)")
    order = section_order(bytes(data[8:12]))
    if not order:
        raise InputError(f"{path}: pcapng section header has a bad byte-order magic")
    length = struct.unpack(order + "I", bytes(data[4:8]))[0]
    if length < PCAPNG_BLOCK_MIN or length % 4 or length > len(data):
        raise InputError(f"{path}: pcapng section header has a bad length {length}")


def section_order(bom: bytes) -> str:
    """Struct byte order of a pcapng section from its byte-order magic, "" when it is not one."""
    return {struct.pack("<I", PCAPNG_BOM): "<", struct.pack(">I", PCAPNG_BOM): ">"}.get(bom, "")


def pcapng_records(data: np.ndarray, max_caplen: int,
                   info: CaptureInfo) -> Iterator[tuple[int, int, int, float, int]]:
    """Walk pcapng blocks: (frame offset, caplen, wirelen, ts, link type) of every packet block.

    Simple packet blocks have no timestamp: they get the previous packet's.
    """
    view = memoryview(data)
    size = len(data)
    off, order = 0, "<"
    interfaces: list[Interface] = []
    last_ts = 0.0
    while off < size:
        if off + PCAPNG_BLOCK_MIN > size:
            return warn(info, f"pcapng block header cut short at byte {off}")
        if bytes(view[off: off + 4]) == PCAPNG_MAGIC:
            order = section_order(bytes(view[off + 8: off + 12]))
            if not order:
                return warn(info, f"pcapng section header with a bad byte-order magic at byte {off}")
            interfaces = []
        btype, blen = struct.unpack_from(order + "II", view, off)
        if blen < PCAPNG_BLOCK_MIN or blen % 4 or off + blen > size:
            return warn(info, f"pcapng block at byte {off} has a bad or cut-short length {blen}")
        body, end = off + 8, off + blen - 4
        if end - body < PCAPNG_MIN_BODY.get(btype, 0):
            return warn(info, f"pcapng block of type {btype} at byte {off} is too short ({blen} bytes)")
        if btype == PCAPNG_IDB:
            interfaces.append(pcapng_interface(view, order, body, end))
            if interfaces[-1].linktype not in SUPPORTED_LINKTYPES:
                info.warnings.append(unsupported_linktype(interfaces[-1].linktype))
        elif btype in (PCAPNG_EPB, PCAPNG_OPB, PCAPNG_SPB):
            if btype == PCAPNG_SPB:
                if_id, ts_raw, wirelen = 0, None, struct.unpack_from(order + "I", view, body)[0]
                frame = body + 4
                caplen = max(0, min(wirelen, end - frame))
            else:
                fields = struct.unpack_from(order + ("IIIII" if btype == PCAPNG_EPB else "HHIIII"), view, body)
                if btype == PCAPNG_OPB:
                    fields = fields[:1] + fields[2:]  # drop the drops counter
                if_id, ts_hi, ts_lo, caplen, wirelen = fields
                ts_raw = (ts_hi << 32) | ts_lo
                frame = body + 20
            if if_id >= len(interfaces):
                return warn(info, f"pcapng packet block at byte {off} refers to undeclared interface {if_id}")
            iface = interfaces[if_id]
            if frame + caplen > end or caplen > max(iface.snaplen, max_caplen):
                return warn(info, f"pcapng packet block at byte {off} has an absurd caplen {caplen}")
            if ts_raw is not None:
                last_ts = iface.offset + ts_raw // iface.units + (ts_raw % iface.units) / iface.units
            yield frame, caplen, wirelen, last_ts, iface.linktype
        off += blen


def unsupported_linktype(linktype: int) -> str:
    return f"link type {linktype} is not decoded; its packets count as non-IP"


def warn(info: CaptureInfo, problem: str) -> None:
    info.warnings.append(f"{problem}; kept the packets before it")


def pcapng_interface(view: memoryview, order: str, body: int, end: int) -> Interface:
    """Parse an Interface Description Block body (link type, snaplen, if_tsresol, if_tsoffset)."""
    linktype, _reserved, snaplen = struct.unpack_from(order + "HHI", view, body)
    resol, tsoffset = DEFAULT_TSRESOL, 0
    opt = body + 8
    while opt + 4 <= end:
        code, length = struct.unpack_from(order + "HH", view, opt)
        if code == OPT_ENDOFOPT or opt + 4 + length > end:
            break
        if code == OPT_IF_TSRESOL and length >= 1:
            resol = view[opt + 4]
        elif code == OPT_IF_TSOFFSET and length >= 8:
            tsoffset = struct.unpack_from(order + "q", view, opt + 4)[0]
        opt += 4 + (length + 3) // 4 * 4
    units = 2 ** (resol & 0x7F) if resol & 0x80 else 10 ** resol
    return Interface(linktype, snaplen, units, tsoffset)
