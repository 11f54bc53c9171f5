"""SHA-256 of the captures, computed beside the analysis.

Every report names its captures by SHA-256 (what an investigator records for chain of custody). Hashing is no
part of reading packets, and hashlib releases the GIL while it hashes a block, so a worker thread hashes the files
while the main thread reads them: on a machine with a second core the digests cost no wall-clock time. A gzip
capture is named by the digest of the file the user gave (the compressed one).
"""
from __future__ import annotations

import hashlib
import mmap
import os
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

from ..errors import InputError

#: Bytes hashed per step: large, so the worker needs the GIL rarely, small enough that the pages it maps and then
#: drops stay few.
BLOCK = 16 << 20


def file_sha256(path: str | Path, block: int = BLOCK, stop: threading.Event | None = None) -> str:
    """Hex SHA-256 of the file at ``path``: hashed straight from a read-only map, ``block`` bytes (rounded to whole
    pages) at a time, each block's pages dropped once hashed (no copy, and resident memory stays one block).

    "" when ``stop`` is set before the last block (nobody wants the digest any more)."""
    block = max(mmap.PAGESIZE, block - block % mmap.PAGESIZE)  # whole pages: madvise takes page-aligned offsets
    sha = hashlib.sha256()
    with open(path, "rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        if size:
            with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
                with memoryview(mapped) as view:
                    for off in range(0, size, block):
                        if stop is not None and stop.is_set():
                            return ""
                        sha.update(view[off: off + block])
                        if hasattr(mmap, "MADV_DONTNEED"):
                            mapped.madvise(mmap.MADV_DONTNEED, off, min(block, size - off))
    return sha.hexdigest()


@contextmanager
def hashing(paths: Sequence[str | Path]) -> Iterator[list[Future[str]]]:
    """Start hashing ``paths`` (one after the other, on one worker thread); yields a future per path.

    Leaving the block early (bad input, Ctrl-C) cancels the digests not started yet and stops the running one at
    its next block, so the exit does not wait for a large file to be hashed.
    """
    stop = threading.Event()
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="fallback-hunt-sha256")
    try:
        yield [pool.submit(file_sha256, path, BLOCK, stop) for path in paths]
    finally:
        stop.set()
        pool.shutdown(wait=True, cancel_futures=True)


def result(future: Future[str], path: str | Path) -> str:
    """The digest of ``future``; a file that became unreadable meanwhile is bad input (one line, exit 2)."""
    try:
        return future.result()
    except OSError as exc:
        raise InputError(f"{path}: cannot read for its SHA-256: {exc.strerror or exc}") from None
