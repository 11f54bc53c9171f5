"""beaconing: regular check-ins to one peer/port; irregular traffic and infrastructure services don't count."""
from __future__ import annotations

import random

from test_detect_helpers import context, dns_flow, make_flow, tls_flow

from pcap_analyzer.detect.beaconing import Beaconing

H, C2 = "10.0.0.5", "198.51.100.23"


def test_regular_check_ins_fire_with_measured_interval() -> None:
    rng = random.Random(1)
    flows = [tls_flow(H, C2, 8443, ts=100.0 + 30.0 * i + rng.uniform(-0.5, 0.5)) for i in range(8)]
    (ind,) = Beaconing().run(context(flows))
    assert abs(ind.evidence["mean_interval"] - 30.0) < 1.0 and ind.evidence["cv"] < 0.05
    assert ind.evidence["connections"] == 8 and len(ind.uids) == 8


def test_irregular_or_infrastructure_traffic_does_not_fire() -> None:
    rng = random.Random(2)
    browsing = [tls_flow(H, C2, ts=t) for t in sorted(rng.uniform(0, 3600) for _ in range(20))]
    lookups = [dns_flow(H, "203.0.113.53", 10.0 * i, "www.example.com") for i in range(10)]
    internal = [make_flow(H, "10.0.0.9", 8080, ts=10.0 * i, service="http") for i in range(10)]
    assert Beaconing().run(context(browsing + lookups + internal)) == []
