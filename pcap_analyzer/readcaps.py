"""Captures read into annotated flows: one flow table across every capture (a connection may span files), flows
annotated (dissect + measures) and compacted in batches as soon as they are over (``stream_flows``), or all at the
end (``[pipeline] stream = false``).  The serial read of ``pipeline``, the flow store's reader (``bounded``) and the
parallel engine's host partitions (``parallel/partition.py``) all read through it."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from . import flows, memtrim
from .capture import digest, reader
from .config import Config
from .gcpause import gc_paused
from .measures.annotate import annotate
from .model import CaptureInfo, Flow, PacketBatch, capture_order

#: Called with (capture path, packets read from it so far) after every chunk.
Progress = Callable[[str, int], None]


def read_serial(captures: Sequence[Path], cfg: Config, progress: Progress | None = None,
                keep: Callable[[PacketBatch], PacketBatch] | None = None, hashed: bool = True
                ) -> tuple[list[CaptureInfo], list[Flow]]:
    """Every capture read into one flow table in this process (a connection may span files); one CaptureInfo per
    capture; the flows annotated, sorted by start time. ``keep`` and ``hashed``: as ``stream_flows`` takes them."""
    with gc_paused():
        done: list[Flow] = []  # annotated and compacted
        inputs, rest = stream_flows(captures, cfg, done.extend, progress, keep=keep, hashed=hashed)
        if rest is not None:  # not streamed
            return inputs, rest
        done.sort(key=capture_order)  # as finish() orders them: sorted runs, merged cheaply
        return inputs, done


def stream_flows(captures: Sequence[Path], cfg: Config, sink: Callable[[list[Flow]], None],
                 progress: Progress | None = None, keep: Callable[[PacketBatch], PacketBatch] | None = None,
                 hashed: bool = True, unfinished: Callable[[int], None] | None = None
                 ) -> tuple[list[CaptureInfo], list[Flow] | None]:
    """Read the captures into one flow table; streamed (the default), every batch of flows that are over goes to
    ``sink`` annotated and compacted (batches in no global order), and the second item is None; not streamed, no
    batch goes to ``sink`` and the second item is every annotated flow, sorted by start time.  ``keep``: what of
    each chunk the flow table gets (parallel/partition.py); ``hashed`` False: no SHA-256 (``sha256`` left empty).
    Streamed, ``unfinished`` hears before every batch how many flows the table still holds (open, or over and not
    drained; 0 before the last batch, which holds them all)."""
    stream = cfg.pipeline.stream
    batch_flows = max(cfg.pipeline.annotate_batch, 1)
    table = flows.FlowTable(cfg)
    inputs = []
    waiting: list[Flow] = []  # over, not annotated yet
    with digest.hashing(captures if hashed else []) as digests:  # the SHA-256s, on a thread while the reads run
        for path, sha256 in zip(captures, digests if hashed else [None] * len(captures)):
            info = CaptureInfo(path=str(path))
            seen = 0
            for batch in reader.read_capture(path, cfg, info):
                table.add(batch if keep is None else keep(batch))
                seen += len(batch)
                if stream and len(batch):
                    # "now" for idle timeouts is the chunk's OLDEST packet time, not the newest packet seen: a
                    # capture given after a later one (or a packet with a bogus future time) must not make every
                    # open flow look idle; a flow is over only if no later packet could still join it.
                    waiting += table.drain(float(batch.ts.min()))
                    if unfinished is not None:
                        unfinished(table.unfinished())
                    if len(waiting) >= batch_flows:
                        sink(annotate(waiting, cfg, compact_after=True))
                        waiting = []
                if progress is not None:
                    progress(str(path), seen)
            if sha256 is not None:
                info.sha256 = digest.result(sha256, path)
            inputs.append(info)
    rest = waiting + table.finish()
    if not stream:
        return inputs, annotate(rest, cfg)
    if unfinished is not None:
        unfinished(0)
    rest = annotate(rest, cfg, compact_after=True)
    memtrim.release()  # the payload of every flow that was still open, just dropped, before the sink copies them
    sink(rest)
    return inputs, None
