"""Limits on what one input may cost, and the one gzip test and decompressor every reader shares.

``[limits]`` in the config (generous defaults; ``--no-limits`` turns them all off):

- ``max_decompressed_bytes``: a gzip input stops decompressing there;
- ``max_gzip_ratio``: ...or once it has expanded more than this many times its compressed size (past
  ``ratio_after_bytes``): a "gzip bomb" (a few MB of zeros or of repeated records that expand to gigabytes) is
  stopped after a fraction of a second instead of filling the disk;
- ``max_records``: a capture stops being read after this many records.

Reaching a limit is not an error: the run goes on with what was read and the capture's warnings say which limit
stopped it (the report is partial and says so).  Gzip is recognised by its magic bytes, never by the file name.
"""
from __future__ import annotations

import math
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from .errors import InputError

if TYPE_CHECKING:
    from .config import Config

GZIP_MAGIC = b"\x1f\x8b"
COPY_BUFFER = 1 << 20


@dataclass(frozen=True, slots=True)
class Limits:
    max_decompressed_bytes: float = math.inf
    max_gzip_ratio: float = math.inf
    ratio_after_bytes: int = 0
    max_records: float = math.inf


NONE = Limits()


def limits_of(cfg: Config) -> Limits:
    """The ``[limits]`` section as Limits (all off when ``enabled = false``; config_schema checks the ranges)."""
    section = cfg.limits
    if not section.enabled:
        return NONE
    return Limits(max_decompressed_bytes=section.max_decompressed_bytes, max_gzip_ratio=section.max_gzip_ratio,
                  ratio_after_bytes=section.ratio_after_bytes, max_records=section.max_records)


def is_gzip(path: str | Path) -> bool:
    """The file starts with the gzip magic bytes (the one gzip test: suffixes lie)."""
    with open(path, "rb") as fh:
        return fh.read(2) == GZIP_MAGIC


def gunzip(src: BinaryIO, dst: BinaryIO, limits: Limits, what: str) -> str:
    """Decompress every gzip member of ``src`` into ``dst`` within ``limits``; returns a warning ("" when the
    whole stream was read).  Corrupt data is an InputError; a truncated stream keeps what was decoded."""
    inflater = zlib.decompressobj(31)
    read = written = 0
    while True:
        block = src.read(COPY_BUFFER)
        if not block:
            try:
                dst.write(inflater.flush())
            except zlib.error as exc:
                raise InputError(f"{what}: corrupt gzip data ({exc})") from None
            return "" if inflater.eof or not read else "gzip stream is truncated; reading what was decompressed"
        read += len(block)
        data = block
        while data:
            try:
                out = inflater.decompress(data, COPY_BUFFER)
            except zlib.error as exc:
                raise InputError(f"{what}: corrupt gzip data ({exc})") from None
            dst.write(out)
            written += len(out)
            stop = _limit_reached(limits, read, written)
            if stop:
                return f"decompression stopped after {written} bytes: {stop} (partial results; --no-limits reads all)"
            data = inflater.unconsumed_tail
            if inflater.eof:  # a next member (concatenated gzip files) or trailing garbage
                rest = inflater.unused_data
                if rest[:2] != GZIP_MAGIC:
                    return "" if not rest.strip(b"\0") else "data after the end of the gzip stream ignored"
                inflater = zlib.decompressobj(31)
                data = rest


def _limit_reached(limits: Limits, read: int, written: int) -> str:
    if written > limits.max_decompressed_bytes:
        return f"[limits] max_decompressed_bytes ({int(limits.max_decompressed_bytes)}) reached"
    if written > limits.ratio_after_bytes and written > limits.max_gzip_ratio * read:
        return f"expanded over [limits] max_gzip_ratio ({limits.max_gzip_ratio:g}) times its compressed size"
    return ""
