"""failed_then_fallback and protocol_switch: the fallback patterns fire, the normal client fallbacks do not."""
from __future__ import annotations

import base64
import random

from test_detect_helpers import RANDOM, context, dns_flow, echo_flow, failed, make_flow, tls_flow

from pcap_analyzer.detect import run_all
from pcap_analyzer.model import Indicator

H, R, C2, BACKUP = "10.0.0.5", "10.0.0.1", "198.51.100.23", "203.0.113.9"


def of_type(flows, kind: str) -> list[Indicator]:
    return [i for i in run_all(context(flows)) if i.type == kind]


def timeouts(peer: str = C2, port: int = 443, n: int = 3, state: str = "S0") -> list:
    return [failed(H, peer, port, 100.0 + 10.0 * i, state=state) for i in range(n)]


def test_port_fallback_to_the_same_ip_has_checkable_primary_and_fallback() -> None:
    beacons = [tls_flow(H, C2, 8443, ts=200.0 + 30.0 * i) for i in range(6)]
    (ind,) = of_type(timeouts() + beacons, "failed_then_fallback")
    p, f = ind.evidence["primary"], ind.evidence["fallback"]
    assert (p["peer"], p["port"], p["proto"], p["state"], p["attempts"]) == (C2, 443, "tcp", "S0", 3)
    assert (f["peer"], f["port"], f["service"], f["attempts"]) == (C2, 8443, "tls", 6)
    assert f["first_ts"] == 200.0 and f["community_id"] == beacons[0].community_id and p["last_ts"] == 123.0
    assert "nonstandard_port_encrypted" in ind.evidence["reasons"]
    assert set(f) == {"peer", "port", "proto", "service", "domain", "state", "attempts", "first_ts", "last_ts",
                      "community_id"}
    assert set(p) == set(f) | {"kind"} and p["kind"] == "tcp_timeout"
    assert [link["kind"] for link in ind.evidence["link"]] == ["same_peer"] and ind.evidence["confidence"] == 0.9
    assert ind.evidence["gap"] == 77.0


def test_backup_bare_ip_on_the_standard_port() -> None:
    flows = timeouts(state="REJ") + [tls_flow(H, BACKUP, ts=200.0 + 45.0 * i) for i in range(4)]
    (ind,) = of_type(flows, "failed_then_fallback")
    assert ind.evidence["fallback"]["peer"] == BACKUP and ind.evidence["reasons"] == ["bare_ip"]


def test_nxdomain_primary_then_dynamic_dns_backup() -> None:
    flows = [dns_flow(H, R, 100.0 + 10 * i, "update-sync.example", rcode="NXDOMAIN") for i in range(3)]
    flows += [dns_flow(H, R, 140.0, "k7.duckdns.org", answers=[("k7.duckdns.org", "A", "198.51.100.140")])]
    flows += [tls_flow(H, "198.51.100.140", sni="k7.duckdns.org", ts=141.0 + 60 * i) for i in range(3)]
    (ind,) = of_type(flows, "failed_then_fallback")
    p, f = ind.evidence["primary"], ind.evidence["fallback"]
    assert (p["peer"], p["service"], p["state"], p["attempts"]) == ("update-sync.example", "dns", "NXDOMAIN", 3)
    assert (f["peer"], f["domain"], f["port"]) == ("198.51.100.140", "k7.duckdns.org", 443)
    assert "dynamic_dns" in ind.evidence["reasons"] and ind.peer == "k7.duckdns.org"


def test_dns_tunnel_and_icmp_tunnel_fallbacks() -> None:
    rng = random.Random(5)
    names = [f"{base64.b32encode(rng.randbytes(20)).decode().lower().rstrip('=')}.t.metrics-zone.com" for _ in range(8)]
    tunnel = [dns_flow(H, R, 200.0 + 2 * i, n, "TXT") for i, n in enumerate(names)]
    (ind,) = of_type(timeouts() + tunnel, "failed_then_fallback")
    assert ind.evidence["fallback"]["domain"] == "metrics-zone.com" and ind.evidence["fallback"]["service"] == "dns"
    assert ind.evidence["fallback"]["attempts"] == 8
    unreachable = [failed(H, C2, 443, 100.0 + 5 * i, icmp_errors=[(100.0 + 5 * i, "198.51.100.1", 3, 1)])
                   for i in range(3)]
    echo = echo_flow(H, "198.51.100.98", 130.0, 20, [200, 900, 1200, 640], ip_in_payload=5, measures=RANDOM)
    (ind,) = of_type(unreachable + [echo], "failed_then_fallback")
    assert ind.evidence["fallback"]["proto"] == "icmp" and "icmp_tunnel" in ind.evidence["reasons"]


def test_raw_tcp_53_to_the_c2_is_a_fallback_and_a_protocol_switch() -> None:
    raw = [make_flow(H, C2, 53, ts=200.0 + 40 * i, orig_measures=RANDOM, resp_measures=RANDOM) for i in range(4)]
    found = run_all(context(timeouts() + raw))
    kinds = {i.type for i in found}
    assert {"failed_then_fallback", "protocol_port_mismatch", "protocol_switch"} <= kinds
    (switch,) = [i for i in found if i.type == "protocol_switch"]
    assert (switch.evidence["from"]["family"], switch.evidence["to"]["family"]) == ("web", "unknown/tcp")
    assert switch.evidence["from"]["port"] == 443 and switch.evidence["to"]["port"] == 53


def test_browser_fallbacks_are_not_fallback_channels() -> None:
    www = [("www.news.example", "A", "198.51.100.150")]
    quic = [dns_flow(H, R, 99.0, "www.news.example", answers=www),
            make_flow(H, "198.51.100.150", 443, "udp", ts=100.0, dur=4.5, state="S0", service="quic", orig_pkts=4),
            tls_flow(H, "198.51.100.150", sni="www.news.example", ts=105.0)]
    v6 = [dns_flow(H, R, 99.0, "shop.example", "AAAA", answers=[("shop.example", "AAAA", "2001:db8::180")]),
          dns_flow(H, R, 99.0, "shop.example", answers=[("shop.example", "A", "198.51.100.180")]),
          failed("fd00::5", "2001:db8::180", 443, 99.1, retransmits=1),
          failed(H, "2001:db8::180", 443, 99.1, retransmits=1),  # same host, both families (dual-stack stub)
          tls_flow(H, "198.51.100.180", sni="shop.example", ts=99.35)]
    cdn = [dns_flow(H, R, 99.0, "static.cdn.example", answers=[("static.cdn.example", "A", "198.51.100.60"),
                                                                  ("static.cdn.example", "A", "198.51.100.61")]),
           failed(H, "198.51.100.60", 443, 99.1, retransmits=1), failed(H, "198.51.100.60", 443, 102.0),
           tls_flow(H, "198.51.100.61", sni="static.cdn.example", ts=104.0)]
    for flows in (quic, v6, cdn):
        found = run_all(context(flows))
        assert [i.type for i in found if i.type in ("failed_then_fallback", "protocol_switch")] == []


def test_one_failure_or_an_ordinary_next_connection_is_not_a_fallback() -> None:
    once = [failed(H, C2, 443, 100.0, retransmits=4), tls_flow(H, BACKUP, 8443, ts=120.0)]  # one dead connection
    assert of_type(once, "failed_then_fallback") == []
    resolved = [dns_flow(H, R, 150.0, "mail.example.org", answers=[("mail.example.org", "A", BACKUP)]),
                tls_flow(H, BACKUP, sni="mail.example.org", ts=151.0)]
    assert of_type(timeouts() + resolved, "failed_then_fallback") == []  # a named server on 443: ordinary
    late = [tls_flow(H, BACKUP, 8443, ts=100.0 + 3600.0)]
    assert of_type(timeouts() + late, "failed_then_fallback") == []  # outside the window


def test_a_scanner_is_not_falling_back() -> None:
    scan = [failed(H, f"198.51.100.{i}", port, 100.0 + i) for i in range(1, 9) for port in (80, 443)]
    assert of_type(scan + [tls_flow(H, BACKUP, 8443, ts=150.0)], "failed_then_fallback") == []


def test_services_on_their_own_ports_are_not_a_switch() -> None:
    server = "192.0.2.131"
    flows = [make_flow(H, server, 22, ts=10.0, service="ssh"), make_flow(H, server, 21, ts=30.0, service="ftp")]
    assert of_type(flows, "protocol_switch") == []
    flows.append(make_flow(H, server, 53, ts=50.0, orig_measures=RANDOM))  # then raw data on tcp/53: a switch
    (switch,) = of_type(flows, "protocol_switch")  # one, from the protocol used last (FTP)
    assert switch.evidence["to"]["port"] == 53 and switch.evidence["from"]["family"] == "ftp"


def test_a_bare_ip_after_a_named_server_failed_is_not_a_fallback() -> None:
    named = [dns_flow(H, R, 99.0, "www.shop.example", answers=[("www.shop.example", "A", C2)])]
    assert of_type(named + timeouts() + [tls_flow(H, BACKUP, ts=200.0)], "failed_then_fallback") == []


def test_an_address_literal_in_host_or_sni_is_still_a_bare_ip() -> None:
    from pcap_analyzer.detect.index import told_names
    from pcap_analyzer.model import HttpInfo

    literal = make_flow(H, "91.200.3.4", 80, service="http", http=[HttpInfo(0.0, True, "POST", "/g", "91.200.3.4:80")])
    assert told_names(literal) == []
    assert told_names(tls_flow(H, "203.0.113.7", sni="[2001:db8::7]")) == []
    named = make_flow(H, "91.200.3.4", 80, service="http", http=[HttpInfo(0.0, True, "GET", "/", "Updates.Example.COM:8080")])
    assert told_names(named) == ["updates.example.com"]
    # S0 retries to one hard-coded address, then plain HTTP on a standard port to another hard-coded address
    flows = [failed(H, "185.100.1.2", 8443, ts=1000.0 + 20 * i) for i in range(3)]
    flows += [make_flow(H, "91.200.3.4", 80, ts=1100.0 + 30 * i, service="http",
                        http=[HttpInfo(0.0, True, "POST", "/g", "91.200.3.4")]) for i in range(3)]
    (ind,) = [i for i in run_all(context(flows)) if i.type == "failed_then_fallback"]
    assert "bare_ip" in ind.evidence["reasons"] and ind.evidence["fallback"]["peer"] == "91.200.3.4"
