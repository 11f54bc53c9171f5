"""failed_then_fallback evidence on real and labelled captures: every pairing is causal (never a negative gap),
linked (``link`` says why) and names how its primary failed (``kind``); the labelled scenarios show the link and
failure kind they were built with; real application traffic never pairs."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import REPO, SCENARIOS, shared_captures
from test_acceptance import analyze_capture, labelled

from pcap_analyzer.config import default_config
from pcap_analyzer.detect.failures import FAILURE_KINDS
from pcap_analyzer.model import Indicator

LINK_KINDS = set(default_config().detect.failed_fallback.link_weights)

#: capture -> (how the primary failed, a link the pairing must show)
EXPECTED = {
    "fallback_port": ("tcp_timeout", "same_peer"),
    "fallback_backup_ip": ("tcp_refused", "hard_coded_ip"),
    "fallback_dyndns": ("nxdomain", "adjacent_lookup"),
    "demo_office": ("nxdomain", "adjacent_lookup"),
    "fallback_dns_tunnel_a": ("tcp_refused", "follows_failure"),
    "fallback_dns_tunnel_b": ("tcp_timeout", "follows_failure"),
    "fallback_icmp_tunnel": ("icmp_unreachable", "follows_failure"),
    "fallback_tcp53_a": ("tcp_timeout", "same_peer"),
    "fallback_tcp53_b": ("tcp_refused", "same_peer"),
    "fallback_tls_8080": ("tcp_refused", "same_peer"),
    "fallback_http_odd_port_a": ("tcp_timeout", "same_peer"),
    "fallback_http_odd_port_b": ("tcp_refused", "hard_coded_ip"),
    "fallback_proxy_backup_name": ("proxy_refused", "name_lineage"),
    "fallback_sinkhole_hard_ip": ("sinkhole", "hard_coded_ip"),
    "fallback_dga_burst": ("dga_burst", "dga_survivor"),
    "fallback_dns_doh_a": ("icmp_prohibited", "doh_takeover"),
    "fallback_dns_doh_b": ("dns_refused", "doh_takeover"),
    "fallback_tls_reset_cadence": ("tls_reset", "cadence"),
    "fallback_tls_alert_fingerprint": ("tls_alert", "fingerprint"),
    "fallback_prohibited_backup_name_a": ("icmp_prohibited", "name_lineage"),
    "fallback_prohibited_backup_name_b": ("servfail", "name_lineage"),
    "c2_fast_reconnect": ("tcp_refused", "hard_coded_ip"),
    "fallback_payload_shape": ("udp_unanswered", "payload_shape"),
    "fallback_tls_reset_ja4": ("tls_reset", "fingerprint"),
}


def test_the_report_schema_names_every_failure_kind() -> None:
    schema = json.loads((REPO / "pcap_analyzer" / "data" / "report.schema.json").read_text(encoding="utf-8"))
    assert tuple(schema["$defs"]["channel"]["properties"]["kind"]["enum"]) == FAILURE_KINDS


def expected(capture: str) -> tuple[str, str]:
    """A new fallback scenario states here how its primary fails and what links its fallback."""
    stem = capture.removesuffix(".pcap")
    return EXPECTED.get(stem) or EXPECTED[stem.rsplit("_", 1)[0]]


def fallbacks(path: Path) -> list[tuple[str, Indicator]]:
    return [(host.ip, ind) for host in analyze_capture(path) for ind in host.indicators
            if ind.type == "failed_then_fallback" and ind.source == "analyzer"]


def assert_causal_and_linked(ind: Indicator, where: str) -> None:
    ev = ind.evidence
    primary, fallback = ev["primary"], ev["fallback"]
    assert ev["gap"] >= 0 and primary["last_ts"] <= fallback["first_ts"], f"{where}: negative gap {ev['gap']}"
    assert primary["first_ts"] <= primary["last_ts"] and primary["attempts"] >= 2, where
    assert primary["kind"] in FAILURE_KINDS, f"{where}: {primary['kind']}"
    assert ev["link"] and {link["kind"] for link in ev["link"]} <= LINK_KINDS, f"{where}: {ev['link']}"
    assert all(link["detail"] for link in ev["link"]), where
    assert 0 < ev["confidence"] <= 1 and ev["reasons"], where


@pytest.mark.parametrize("capture, label", labelled(), ids=[name for name, _ in labelled()])
def test_labelled_pairings_show_their_failure_kind_and_link(capture: str, label: dict) -> None:
    found = fallbacks(SCENARIOS / capture)
    for host, ind in found:
        assert_causal_and_linked(ind, f"{capture} {host}")
    for host, want in label["hosts"].items():
        mine = [ind for ip, ind in found if ip == host]
        if "failed_then_fallback" not in want["indicators"]:
            pair = (mine[0].evidence["primary"], mine[0].evidence["fallback"]) if mine else None
            assert not mine, f"{capture} {host}: paired {pair}"
            continue
        kind, link = expected(capture)
        shown = [(i.evidence["primary"]["kind"], i.evidence["link"]) for i in mine]
        assert any(ind.evidence["primary"]["kind"] == kind and link in [lk["kind"] for lk in ind.evidence["link"]]
                   for ind in mine), f"{capture} {host}: {shown}"


@pytest.mark.parametrize("variant", ["a", "b"])
def test_a_fallback_linked_only_by_its_payload_shape(variant: str) -> None:
    """Another peer, name, transport and cadence: only the implant's message sizes tie the TCP channel to the UDP
    one that got no answer (its twin, benign_coincident_shape, has sizes alike by chance and does not pair)."""
    ((_, ind),) = fallbacks(SCENARIOS / f"fallback_payload_shape_{variant}.pcap")
    assert [link["kind"] for link in ind.evidence["link"]] == ["payload_shape"]
    assert ind.evidence["link"][0]["detail"].startswith("client messages of ")
    assert (ind.evidence["primary"]["proto"], ind.evidence["fallback"]["proto"]) == ("udp", "tcp")
    assert ind.evidence["confidence"] == default_config().detect.failed_fallback.link_weights["payload_shape"]
    assert fallbacks(SCENARIOS / f"benign_coincident_shape_{variant}.pcap") == []


@pytest.mark.parametrize("variant", ["a", "b"])
def test_a_fallback_linked_only_by_ja4(variant: str) -> None:
    """The implant shuffles its ClientHello extensions: every hello has its own JA3, the JA4 (sorted) is one."""
    hosts = analyze_capture(SCENARIOS / f"fallback_tls_reset_ja4_{variant}.pcap")
    (ind,) = [i for h in hosts for i in h.indicators if i.type == "failed_then_fallback"]
    assert [link["kind"] for link in ind.evidence["link"]] == ["fingerprint"]
    assert ind.evidence["link"][0]["detail"].startswith("JA4 t13d1508") and "JA3" not in ind.evidence["link"][0]["detail"]
    odd = [i for h in hosts for i in h.indicators if i.type == "nonstandard_port_encrypted"]
    assert len({i.evidence["ja3"] for i in odd}) == len(odd) > 1 and len({i.evidence["ja4"] for i in odd}) == 1


@pytest.mark.parametrize("path", shared_captures("apps"), ids=lambda p: p.name)
def test_real_applications_never_pair_a_failure_with_a_fallback(path: Path) -> None:
    found = fallbacks(path)
    assert not found, f"{path.name}: {[(h, i.evidence['primary'], i.evidence['fallback']) for h, i in found]}"


@pytest.mark.parametrize("path", shared_captures("benign") + shared_captures("malicious"), ids=lambda p: p.name)
def test_every_pairing_on_the_shared_captures_is_causal_and_linked(path: Path) -> None:
    for host, ind in fallbacks(path):
        assert_causal_and_linked(ind, f"{path.name} {host}")
