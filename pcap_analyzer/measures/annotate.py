"""What a flow carries, worked out as soon as it is over: dissect, then measures; then its payload dropped."""
from __future__ import annotations

from .. import dissect
from ..config import Config
from ..gcpause import gc_paused
from ..model import Flow
from . import measures


def annotate(flow_list: list[Flow], cfg: Config, compact_after: bool = False) -> list[Flow]:
    """dissect + measures of ``flow_list`` (in place; returned for convenience), then optionally compact them."""
    with gc_paused():  # also when called on its own (sensor-only flows)
        dissect.annotate_all(flow_list, cfg)
        measures.annotate_all(flow_list, cfg)
    if compact_after:
        compact(flow_list)
    return flow_list


def compact(flow_list: list[Flow]) -> None:
    """Drop the retained payload of annotated flows, recording which directions had any (``*_payload_seen``, read by
    ``detect.facts.has_payload``). Nothing after dissect and measures reads the payload itself."""
    for f in flow_list:
        if f.orig_sample or f.orig_datagrams:
            f.orig_payload_seen = True
            f.orig_sample = b""
            f.orig_datagrams.clear()  # emptied in place: no new list per flow
        if f.resp_sample or f.resp_datagrams:
            f.resp_payload_seen = True
            f.resp_sample = b""
            f.resp_datagrams.clear()
        f.datagram_ts.clear()
        if f.orig_later or f.resp_later:  # never without a head: *_payload_seen is already set
            f.orig_later = f.resp_later = b""
