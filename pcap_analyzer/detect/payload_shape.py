"""The ``payload_shape`` link: the failed primary and its fallback carry the same client messages.

An implant that loses its channel sends the same check-in, poll and report over the next one, so the sizes of its
messages recur: each UDP datagram (``Flow.orig_sizes``, kept from the dissect stage) or each TCP connection's
client payload (``orig_bytes``: one check-in per connection). Two sizes are alike within
``shape_tolerance_bytes`` or ``shape_tolerance_ratio`` (a length prefix added when a datagram protocol moves to a
stream, a header that grew).

One size alike is a coincidence (every protocol has a 48- or 60-byte message), and a spread of sizes matches
anything once, so the link needs ``shape_min_sizes`` distinct sizes of the failed attempts found again on the
fallback, and those sizes must make up ``shape_min_share`` of the messages on each side. Name primaries (failed
lookups) and proxy refusals carry the resolver's or the proxy's messages, not the implant's: they have no shape.
"""
from __future__ import annotations

from ..config_schema import FailedFallbackConfig
from ..model import Flow
from .failures import DNS_KINDS, Channel


def message_sizes(flow: Flow) -> list[int]:
    """The client's message sizes on a flow: its UDP datagrams, or its TCP connection's payload."""
    if flow.proto == "udp":
        return [size for size in flow.orig_sizes if size > 0]
    return [flow.orig_bytes] if flow.proto == "tcp" and flow.orig_bytes > 0 else []


def _alike(a: int, b: int, fcfg: FailedFallbackConfig) -> bool:
    return abs(a - b) <= max(fcfg.shape_tolerance_bytes, fcfg.shape_tolerance_ratio * max(a, b))


def _distinct(sizes: list[int], fcfg: FailedFallbackConfig) -> list[int]:
    """One size per run of alike sizes (the smallest of the run)."""
    out: list[int] = []
    for size in sorted(sizes):
        if not out or not _alike(out[-1], size, fcfg):
            out.append(size)
    return out


def shape_link(primary: Channel, fallback: list[Flow], fcfg: FailedFallbackConfig) -> str:
    """Why the fallback's messages are the failed attempts' ("" when they are not, or cannot be told)."""
    if primary.service == "dns" or primary.kind in DNS_KINDS or primary.kind == "proxy_refused":
        return ""
    before = [size for _, _, _, flow, _ in primary.tries for size in message_sizes(flow)]
    after = [size for flow in fallback for size in message_sizes(flow)]
    if not before or not after:
        return ""
    matched = [size for size in _distinct(before, fcfg) if any(_alike(size, other, fcfg) for other in after)]
    if len(matched) < fcfg.shape_min_sizes:
        return ""
    share = fcfg.shape_min_share
    hits_before = sum(1 for size in before if any(_alike(size, m, fcfg) for m in matched))
    hits_after = sum(1 for size in after if any(_alike(size, m, fcfg) for m in matched))
    if hits_before < share * len(before) or hits_after < share * len(after):
        return ""
    return (f"client messages of {', '.join(str(size) for size in matched)} bytes: {hits_before} of the "
            f"{len(before)} failed attempts' messages and {hits_after} of the fallback's {len(after)}")
