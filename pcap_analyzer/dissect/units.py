"""The retained payload of a flow as the units application dissectors judge: each UDP (or other datagram protocol)
datagram on its own, and for TCP the first bytes of each direction."""
from __future__ import annotations

from ..model import Flow


def datagrams(flow: Flow) -> list[tuple[bool, bytes]]:
    """(from originator, datagram) of every retained datagram, in capture order when the times were kept."""
    orig, resp = iter(flow.orig_datagrams), iter(flow.resp_datagrams)
    out: list[tuple[bool, bytes]] = []
    if flow.datagram_ts and len(flow.datagram_ts) == len(flow.orig_datagrams) + len(flow.resp_datagrams):
        for _, from_orig in flow.datagram_ts:
            out.append((from_orig, next(orig) if from_orig else next(resp)))
        return out
    return [(True, d) for d in flow.orig_datagrams] + [(False, d) for d in flow.resp_datagrams]


def streams(flow: Flow) -> list[tuple[bool, bytes]]:
    """(from originator, first bytes) of each TCP direction that carried payload."""
    return [(side, sample) for side, sample in ((True, flow.orig_sample), (False, flow.resp_sample)) if sample]


def units(flow: Flow) -> list[tuple[bool, bytes]]:
    """datagrams() for datagram protocols, streams() for TCP."""
    return streams(flow) if flow.proto == "tcp" else datagrams(flow)


def media_packets(flow: Flow, limit: int = 64) -> list[tuple[bool, bytes]]:
    """(from originator, packet): datagrams, or over TCP the RFC 4571 length-framed packets of each direction."""
    if flow.proto != "tcp":
        return datagrams(flow)
    return [(side, pkt) for side, sample in streams(flow) for pkt in framed(sample, limit)]


def framed(sample: bytes, limit: int) -> list[bytes]:
    """The whole packets at the start of a TCP sample framed by a 2-byte length (RFC 4571: RTP, RTCP and ICE-TCP
    STUN over TCP), at most ``limit``."""
    out: list[bytes] = []
    pos = 0
    while len(out) < limit and pos + 2 <= len(sample):
        length = int.from_bytes(sample[pos: pos + 2], "big")
        if not length or pos + 2 + length > len(sample):
            break
        out.append(sample[pos + 2: pos + 2 + length])
        pos += 2 + length
    return out
