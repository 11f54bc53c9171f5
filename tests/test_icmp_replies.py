"""Echo replies that do not mirror their request: a plaintext ICMP channel (icmpsh-style) is a tunnel whatever its
entropy, while an ordinary ping (replies echo the request) is not."""
from __future__ import annotations

import struct

from test_detect_helpers import context

from pcap_analyzer import dissect
from pcap_analyzer.config import load_config
from pcap_analyzer.detect.icmp_tunnel import IcmpTunnel
from pcap_analyzer.model import Flow

H, P = "10.0.0.5", "198.51.100.98"


def _echo(kind: int, ident: int, seq: int, payload: bytes) -> bytes:
    return struct.pack("!BBHHH", kind, 0, 0, ident, seq) + payload


def _flow(pairs: list[tuple[bytes, bytes]]) -> Flow:
    flow = Flow(uid="Ctest", ts=0.0, last_ts=float(len(pairs)), proto="icmp", orig_h=H, orig_p=8, resp_h=P,
                resp_p=0, orig_pkts=len(pairs), resp_pkts=len(pairs))
    flow.orig_datagrams = [_echo(8, 7, i, req) for i, (req, _) in enumerate(pairs)]
    flow.resp_datagrams = [_echo(0, 7, i, rep) for i, (_, rep) in enumerate(pairs)]
    dissect.annotate(flow, load_config())
    return flow


def test_replies_carrying_their_own_text_are_a_tunnel() -> None:
    pairs = [(b"C:\\> whoami output line %d\r\n" % i, b"dir C:\\Users\\%d" % i) for i in range(6)]
    flow = _flow(pairs)
    assert flow.icmp is not None and flow.icmp.replies_differ == 6
    (ind,) = IcmpTunnel().run(context([flow]))
    assert ind.evidence["replies_differ"] == 6 and ind.peer == P


def test_mirrored_replies_are_an_ordinary_ping() -> None:
    pattern = bytes(range(0x10, 0x48))
    flow = _flow([(pattern, pattern)] * 20)
    assert flow.icmp is not None and flow.icmp.replies_differ == 0
    assert IcmpTunnel().run(context([flow])) == []


def test_a_couple_of_odd_replies_are_not_enough() -> None:
    pattern = bytes(range(56))
    pairs = [(pattern, pattern)] * 18 + [(pattern, pattern[:-1] + b"x")] * 2
    assert IcmpTunnel().run(context([_flow(pairs)])) == []
