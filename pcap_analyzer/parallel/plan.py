"""Segments: what one task reads.  A capture is one segment, except a big classic pcap on a local (or NFS) path,
which is cut into byte ranges of about ``[parallel] split_bytes`` (at least one per worker).

The cuts are chunk boundaries of the serial read: the record headers are walked here exactly as the reader walks
them (``reader.walk_records``, chunk by chunk, each chunk's size set by the one before), so a range task reads the
very chunks the serial read has there, and drains its flow table at the same packet times.  Only the record
headers are read (the one sequential step of reading a pcap); gzip, pcapng and remote captures are one segment.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from ..capture import reader
from ..config import Config
from ..limits import GZIP_MAGIC, limits_of
from ..model import CaptureInfo
from ..capture.linktypes import SUPPORTED_LINKTYPES
from . import sources


@dataclass(frozen=True, slots=True)
class Segment:
    """What one task reads: capture ``capture`` (its index among the inputs) at ``source`` (a path or a URL), whole
    (``span`` None) or the chunks from byte ``span[0]`` (whose first chunk has ``span[1]`` records) to ``span[2]``."""

    capture: int
    source: str
    span: tuple[int, int, int] | None = None


def plan(captures: list[str], cfg: Config, workers: int) -> list[Segment]:
    """The segments of every capture, in capture order (then byte order)."""
    split = cfg.parallel.split_bytes
    out: list[Segment] = []
    for i, source in enumerate(captures):
        path = sources.local_path(source)
        spans = pcap_spans(path, cfg, split, workers) if path is not None else []
        out += [Segment(i, source, span) for span in spans] if len(spans) > 1 else [Segment(i, source)]
    return out


def pcap_spans(path: Path, cfg: Config, split: int, workers: int) -> list[tuple[int, int, int]]:
    """Byte ranges of a classic pcap file of more than one range's size, cut at the serial read's chunk boundaries;
    [] when it is not to be cut (small, gzip or pcapng, unsupported link type, more records than [limits]
    allows: the limit counts the records of the whole file)."""
    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            magic = fh.read(4)
    except OSError:
        return []  # the task says what is wrong with it
    target = max(min(split, math.ceil(size / max(workers, 1))), 1)
    if size <= target or magic[:2] == GZIP_MAGIC or magic == reader.PCAPNG_MAGIC:
        return []
    mapped = reader.map_nonempty(path)
    if mapped is None:
        return []
    try:
        header = reader.pcap_header(mapped.data, path)
    except Exception:  # noqa: BLE001 - not a pcap: the task reports it as the serial read does
        return []
    if header.linktype not in SUPPORTED_LINKTYPES:
        return []
    return cut(chunk_bounds(mapped, header, cfg), target, limits_of(cfg).max_records)


def chunk_bounds(mapped: reader.MappedFile, header: reader.PcapHeader, cfg: Config) -> list[tuple[int, int, int]]:
    """(start byte, records) of every chunk the serial read makes of the file, and the records before it."""
    chunk, max_caplen = reader.reader_settings(cfg)
    data = mapped.data
    off, limit = reader.PCAP_FILE_HDR, reader.first_chunk(header, chunk, max_caplen)
    bounds: list[tuple[int, int, int]] = []
    seen = 0
    while off < len(data):
        start = off
        offs, off, problem = reader.walk_records(data, header, off, limit, max_caplen)
        if len(offs):
            bounds.append((start, limit, seen))
            seen += len(offs)
            limit = reader.next_limit(chunk, start, off, len(offs))
            mapped.release_before(off)
        if problem or not len(offs):
            break
    bounds.append((len(data), 0, seen))  # the end: the last range reads on to it (and meets any damage there)
    return bounds


def cut(bounds: list[tuple[int, int, int]], target: int, max_records: float) -> list[tuple[int, int, int]]:
    """Ranges of about ``target`` bytes made of whole chunks; [] when the file is one range or over the record
    limit."""
    if bounds[-1][2] > max_records or len(bounds) < 3:
        return []
    spans: list[tuple[int, int, int]] = []
    first = 0
    for k in range(1, len(bounds) - 1):
        if bounds[k][0] - bounds[first][0] >= target:
            spans.append((bounds[first][0], bounds[first][1], bounds[k][0]))
            first = k
    spans.append((bounds[first][0], bounds[first][1], bounds[-1][0]))
    return spans


def input_bytes(captures: list[str]) -> float:
    """The size of the captures (a remote URL counts as infinitely large: it is worth a cluster)."""
    total = 0.0
    for source in captures:
        path = sources.local_path(source)
        try:
            total += path.stat().st_size if path is not None else math.inf
        except OSError:
            pass  # the task says what is wrong with it
    return total


def merge_infos(parts: list[CaptureInfo]) -> CaptureInfo:
    """One capture's CaptureInfo from those of its ranges (in order)."""
    info = CaptureInfo(path=parts[0].path)
    for p in parts:
        info.packets += p.packets
        info.fragments += p.fragments
        info.non_ip += p.non_ip
        if p.first_ts is not None:
            info.first_ts = p.first_ts if info.first_ts is None else min(info.first_ts, p.first_ts)
            info.last_ts = p.last_ts if info.last_ts is None else max(info.last_ts, p.last_ts)
        info.warnings += p.warnings
    return info
