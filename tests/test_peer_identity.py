"""Peer identity: the queried name is who a flow talks to; CNAME targets and shared cloud zones never are."""
from __future__ import annotations

from test_detect_helpers import context, dns_flow, make_flow, tls_flow

from pcap_analyzer.detect.protocol_switch import ProtocolSwitch

H = "10.0.0.5"


def _resolved(ts: float, qname: str, target: str, ip: str):
    return dns_flow(H, "10.0.0.1", ts, qname, answers=[(qname, "CNAME", target), (target, "A", ip)])


def test_telemetry_and_time_sync_behind_one_traffic_manager_are_not_a_switch() -> None:
    flows = [
        _resolved(10.0, "v10.events.data.vendor.example", "telemetry-prod.trafficmanager.net", "198.51.100.8"),
        tls_flow(H, "198.51.100.8", ts=11.0, dur=5.0),
        _resolved(20.0, "time.vendor-os.example", "twc.trafficmanager.net", "198.51.100.9"),
        make_flow(H, "198.51.100.9", 9123, "udp", ts=21.0, orig_datagrams=[b"\x23" + b"\0" * 47]),
        _resolved(30.0, "edge.vendor-cdn.example", "a-0001.a-msedge.msedge.net", "198.51.100.10"),
        make_flow(H, "198.51.100.10", 9124, "udp", ts=31.0, orig_datagrams=[b"\x23" + b"\0" * 47]),
    ]
    assert [i for i in ProtocolSwitch().run(context(flows))] == []


def test_a_switch_to_the_same_queried_name_still_fires() -> None:
    flows = [
        _resolved(10.0, "c2.evil.example", "lb.trafficmanager.net", "198.51.100.20"),
        tls_flow(H, "198.51.100.20", ts=11.0, dur=5.0),
        _resolved(40.0, "backup.evil.example", "other.trafficmanager.net", "198.51.100.21"),
        make_flow(H, "198.51.100.21", 9123, "udp", ts=41.0, orig_datagrams=[b"\x23" + b"\0" * 47]),
    ]
    (switch,) = ProtocolSwitch().run(context(flows))
    assert switch.evidence["key"] == "evil.example"
    assert (switch.evidence["from"]["family"], switch.evidence["to"]["family"]) == ("web", "unknown/udp")
