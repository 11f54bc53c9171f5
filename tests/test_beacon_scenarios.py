"""The beacon and long-channel scenarios of pcaps/ (generate.py, beacon_scenarios): the evidence, end to end."""
from __future__ import annotations

import pytest
from conftest import SCENARIOS
from test_acceptance import hosts_by_ip

from pcap_analyzer.config import default_config

CFG = default_config()


def _only(capture: str, host: str, kind: str) -> list:
    return [i for i in hosts_by_ip(SCENARIOS / capture)[host].indicators if i.type == kind]


@pytest.mark.parametrize("capture, host, port", [("c2_idle_then_active_a.pcap", "10.15.0.15", 7443),
                                                 ("c2_idle_then_active_b.pcap", "192.168.80.8", 9001)])
def test_idle_then_active_tunnel_is_measured_on_its_active_part(capture: str, host: str, port: int) -> None:
    (ind,) = _only(capture, host, "nonstandard_port_encrypted")
    ev = ind.evidence
    assert ind.port == port
    assert ev["orig_entropy"] < 4.0 and ev["resp_entropy"] < 4.0  # the keepalives filled both heads
    assert ev["orig_later_entropy"] > CFG.detect.random_entropy  # the sample past the head: random bytes


@pytest.mark.parametrize("capture, host, old, new", [
    ("c2_fast_reconnect_a.pcap", "10.16.0.16", ("198.51.100.251", 443), ("198.51.100.252", 8443)),
    ("c2_fast_reconnect_b.pcap", "172.21.3.3", ("203.0.113.251", 443), ("192.0.2.252", 4443))])
def test_sub_five_second_loop_is_a_beacon_that_moved(capture: str, host: str, old: tuple, new: tuple) -> None:
    beacons = _only(capture, host, "beaconing")
    working = [i for i in beacons if (i.peer, i.port) == old and i.evidence["outcome"] == "working"]
    failed = [i for i in beacons if (i.peer, i.port) == old and i.evidence["outcome"] == "failed"]
    (moved,) = [i for i in beacons if (i.peer, i.port) == new]
    assert len(working) == 1 and len(failed) == 1  # the refused attempts are timed apart from the working loop
    for ind in beacons:
        assert ind.evidence["median_interval"] < 5.0
        assert ind.evidence["score"] >= ind.evidence["threshold"] == CFG.detect.beaconing.min_score
        assert set(ind.evidence["components"]) == {"dispersion", "skew", "size", "count", "coverage"}
    target = working[0].evidence["reappeared_on"]
    assert (target["peer"], target["port"]) == new and target["gap"] > 0
    source = moved.evidence["reappeared_from"]
    assert (source["peer"], source["port"], source["outcome"]) == (*old, "failed") and source["gap"] > 0
    host_report = hosts_by_ip(SCENARIOS / capture)[host]
    assert any("reappeared on" in e for e in host_report.answers["fail_then_resume"]["evidence"])


@pytest.mark.parametrize("capture, host, port", [("c2_cleartext_heartbeat_a.pcap", "10.17.0.17", 7001),
                                                 ("c2_cleartext_heartbeat_b.pcap", "192.168.90.9", 31337)])
def test_cleartext_heartbeat_on_an_odd_port(capture: str, host: str, port: int) -> None:
    (ind,) = _only(capture, host, "beaconing")
    ev = ind.evidence
    assert ev["cleartext"] is True and ev["port"] == port and ev["service"] == ""
    assert ev["printable"] >= CFG.detect.beaconing.cleartext_printable
    assert ev["components"]["dispersion"] > 0.9 and ev["components"]["size"] > 0.9
    assert hosts_by_ip(SCENARIOS / capture)[host].verdict == "investigate"


@pytest.mark.parametrize("capture", ["benign_ntp_polling_a.pcap", "benign_ntp_polling_b.pcap",
                                     "benign_periodic_service_a.pcap", "benign_periodic_service_b.pcap"])
def test_known_periodic_services_stay_silent(capture: str) -> None:
    for host in hosts_by_ip(SCENARIOS / capture).values():
        assert host.verdict == "benign" and host.indicators == [], (host.ip, host.reasons)
