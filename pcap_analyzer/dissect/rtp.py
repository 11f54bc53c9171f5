"""RTP and RTCP (RFC 3550, RFC 4585 feedback, RFC 3611 XR) on any port, in UDP datagrams or RFC 4571 framing
over TCP: the media of calls and conferencing.

RTP: version 2, a payload type outside RTCP's range (RFC 5761 4), and per direction one synchronisation source
(SSRC) whose sequence numbers advance. RTCP: version 2, packet types 200-207, and lengths (32-bit words minus one)
that tile the datagram exactly (a compound packet). One stray datagram proves nothing: a flow needs several.
"""
from __future__ import annotations

from collections import Counter, defaultdict

from ..config import Config
from ..model import Flow
from .units import media_packets

_RTCP_TYPES = range(200, 208)
_RTP_MIN = 12


def is_rtcp(data: bytes) -> bool:
    """``data`` is a compound of RTCP packets (version 2, types 200-207) whose lengths tile it exactly."""
    pos = 0
    while pos < len(data):
        if pos + 4 > len(data) or data[pos] >> 6 != 2 or data[pos + 1] not in _RTCP_TYPES:
            return False
        pos += 4 * (int.from_bytes(data[pos + 2: pos + 4], "big") + 1)
    return pos == len(data) and pos > 0


def rtp_header(data: bytes) -> tuple[int, int, int] | None:
    """(payload type, sequence number, SSRC) of an RTP version 2 packet, or None."""
    if len(data) < _RTP_MIN or data[0] >> 6 != 2:
        return None
    ptype = data[1] & 0x7F
    if 72 <= ptype <= 76:  # the RTCP packet types with the marker bit: not RTP
        return None
    if _RTP_MIN + 4 * (data[0] & 0x0F) > len(data):  # CSRC list
        return None
    return ptype, int.from_bytes(data[2:4], "big"), int.from_bytes(data[8:12], "big")


def _advancing(seqs: list[int], max_step: int) -> bool:
    """Sequence numbers that move forward by small steps (wrapping at 2^16), as one source's do."""
    steps = [(b - a) % 65536 for a, b in zip(seqs, seqs[1:])]
    return bool(steps) and sum(1 for s in steps if 0 < s <= max_step) >= 0.8 * len(steps)


def dissect(flow: Flow, cfg: Config) -> bool:
    """Fill flow.app and set flow.service to "rtp" or "rtcp" when enough datagrams are one of them."""
    rcfg = cfg.dissect.rtp
    rtcp = 0
    by_source: dict[tuple[bool, int], list[int]] = defaultdict(list)
    ptypes: Counter[int] = Counter()
    for from_orig, data in media_packets(flow):
        if is_rtcp(data):
            rtcp += 1
            continue
        header = rtp_header(data)
        if header is not None:
            ptype, seq, ssrc = header
            by_source[from_orig, ssrc].append(seq)
            ptypes[ptype] += 1
    sources = [key for key, seqs in by_source.items()
               if len(seqs) >= rcfg.min_packets and _advancing(seqs, rcfg.max_seq_step)]
    rtp = sum(len(by_source[key]) for key in sources)
    if rtp >= rcfg.min_packets and rtp >= rtcp:
        flow.service = "rtp"
    elif rtcp >= rcfg.min_rtcp:
        flow.service = "rtcp"
    else:
        return False
    flow.app = {"protocol": flow.service, "rtp_packets": rtp, "rtcp_packets": rtcp,
                "ssrcs": sorted(f"0x{ssrc:08x}" for _, ssrc in sources),
                "payload_types": sorted(ptypes) if rtp else []}
    return True
