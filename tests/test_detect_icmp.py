"""icmp_tunnel: IP inside echo payloads, or large varying random payloads; an ordinary ping is not a tunnel."""
from __future__ import annotations

from test_detect_helpers import RANDOM, TEXT, context, echo_flow

from pcap_analyzer.detect.icmp_tunnel import IcmpTunnel

H, P = "10.0.0.5", "198.51.100.98"


def test_ip_packets_inside_echo_payloads_fire_even_for_a_few_echoes() -> None:
    (ind,) = IcmpTunnel().run(context([echo_flow(H, P, 10.0, 3, [84, 84, 84], ip_in_payload=1)]))
    assert (ind.host, ind.peer, ind.evidence["ip_in_payload"]) == (H, P, 1)


def test_large_varying_random_payloads_fire() -> None:
    sizes = [200, 950, 1200, 433, 780, 1010, 250, 640, 870, 300]
    (ind,) = IcmpTunnel().run(context([echo_flow(H, P, 10.0, 10, sizes, measures=RANDOM)]))
    assert ind.evidence["payload_sizes"] == sorted(sizes)


def test_ordinary_ping_is_not_a_tunnel() -> None:
    assert IcmpTunnel().run(context([echo_flow(H, P, 10.0, 30, [56] * 30, measures=TEXT)])) == []
    # random-looking but fixed small size (some pings fill with random bytes): no
    assert IcmpTunnel().run(context([echo_flow(H, P, 10.0, 30, [56] * 30, measures=RANDOM)])) == []
