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
    assert [link["kind"] for link in ind.evidence["link"]] == ["adjacent_lookup"]  # the first new name after it
    assert p["kind"] == "nxdomain" and ind.evidence["confidence"] == 0.5


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


# --- causal pairing: how channels fail, why a fallback belongs to a failure ---------------------------------------

from pcap_analyzer.config import default_config, override  # noqa: E402
from pcap_analyzer.detect.failures import failure_kind, is_sinkhole  # noqa: E402
from pcap_analyzer.model import HttpInfo, TlsInfo  # noqa: E402

IMPLANT_JA3 = "6734f37431670b3ab4292b8f60f29984"
BROWSER_JA3 = "b32309a26951912be7dba376398abc3b"


def pairs(flows, cfg=None) -> list[Indicator]:
    found = [i for i in run_all(context(flows, cfg=cfg)) if i.type == "failed_then_fallback"]
    for ind in found:  # every pairing, whatever the test: ordered, linked, explained
        assert ind.evidence["gap"] >= 0 and ind.evidence["primary"]["last_ts"] <= ind.evidence["fallback"]["first_ts"]
        assert ind.evidence["link"] and all(set(link) == {"kind", "detail"} for link in ind.evidence["link"])
        assert 0 < ind.evidence["confidence"] <= 1 and ind.evidence["reasons"]
    return found


def links_of(ind: Indicator) -> list[str]:
    return [link["kind"] for link in ind.evidence["link"]]


def hello_reset(peer: str, ts: float, ja3: str = IMPLANT_JA3, sni: str = "", alert: int = -1, port: int = 443):
    """A ClientHello the responder reset (or answered with a fatal alert): established TCP, no ServerHello."""
    return make_flow(H, peer, port, ts=ts, dur=0.1, state="RSTR", history="ShADar", service="tls", resp_bytes=0,
                     resp_pkts=2, tls=TlsInfo(sni=sni, ja3=ja3, client_hello=True, server_alert=alert))


def tls_with(peer: str, ts: float, ja3: str, sni: str = "", port: int = 443):
    return make_flow(H, peer, port, ts=ts, service="tls", orig_measures=RANDOM, resp_measures=RANDOM,
                     tls=TlsInfo(sni=sni, ja3=ja3, client_hello=True, server_hello=True))


def connect(proxy: str, target: str, ts: float, status: int, agent: str = "Implant/1.0"):
    http = [HttpInfo(ts, True, "CONNECT", f"{target}:443", f"{target}:443", agent),
            HttpInfo(ts, False, status=status)]
    return make_flow(H, proxy, 3128, ts=ts, dur=0.2, service="http", http=http)


def test_every_way_a_channel_fails_has_its_kind() -> None:
    cfg = default_config()
    kinds = {
        "tcp_timeout": failed(H, C2, 443, 1.0), "tcp_refused": failed(H, C2, 443, 1.0, state="REJ"),
        "tcp_handshake": failed(H, C2, 443, 1.0, state="RSTOS0"),
        "udp_unanswered": make_flow(H, C2, 4500, "udp", state="S0", orig_pkts=3, resp_pkts=0),
        "icmp_unreachable": failed(H, C2, 443, 1.0, icmp_errors=[(1.0, "198.51.100.1", 3, 1)]),
        "proxy_refused": connect(R, "c2.example", 1.0, 407),
        "tls_reset": hello_reset(C2, 1.0), "tls_alert": hello_reset(C2, 1.0, alert=40),
    }
    for code in (9, 10, 13):
        assert failure_kind(failed(H, C2, 443, 1.0, icmp_errors=[(1.0, R, 3, code)]), cfg) == "icmp_prohibited"
    v6 = failed("fd00::5", "2001:db8::9", 443, 1.0, ip_ver=6, icmp_errors=[(1.0, "fd00::1", 1, 1)])
    assert failure_kind(v6, cfg) == "icmp_prohibited"
    v6.icmp_errors = [(1.0, "fd00::1", 1, 3)]  # address unreachable: not a policy
    assert failure_kind(v6, cfg) == "icmp_unreachable"
    for kind, flow in kinds.items():
        assert failure_kind(flow, cfg) == kind, kind
    assert failure_kind(connect(R, "c2.example", 1.0, 200), cfg) == ""  # the tunnel was opened
    assert failure_kind(tls_flow(H, C2), cfg) == ""


def test_sinkhole_answers_are_the_shipped_list_plus_the_configured_one() -> None:
    cfg = default_config()
    for address in ("0.0.0.0", "127.0.0.1", "127.0.0.53", "::", "::1", "146.112.61.105", "::ffff:146.112.61.107"):
        assert is_sinkhole(address, cfg), address
    assert not is_sinkhole("198.51.100.7", cfg) and not is_sinkhole("not an address", cfg)
    cfg = override(cfg, {"detect": {"failed_fallback": {"extra_sinkholes": ["198.51.100.0/28"]}}})
    assert is_sinkhole("198.51.100.7", cfg)


def test_a_sinkholed_name_then_a_hard_coded_address() -> None:
    sink = [dns_flow(H, R, 100.0 + 20 * i, "win-update.example", answers=[("win-update.example", "A", "0.0.0.0")])
            for i in range(3)]
    flows = sink + [tls_flow(H, BACKUP, ts=150.0 + 60 * i) for i in range(3)]
    (ind,) = pairs(flows)
    assert ind.evidence["primary"]["kind"] == "sinkhole" and ind.evidence["primary"]["state"] == "SINKHOLE"
    assert links_of(ind) == ["hard_coded_ip"] and ind.evidence["reasons"] == ["bare_ip"]
    assert ind.evidence["confidence"] == 0.7 and ind.evidence["fallback"]["peer"] == BACKUP
    resolved = [dns_flow(H, R, 100.0 + 20 * i, "win-update.example",
                         answers=[("win-update.example", "A", "198.51.100.60")]) for i in range(3)]
    assert pairs(resolved + flows[3:]) == []  # the name resolved: nothing died


def test_a_fallback_never_starts_before_its_primary_failed() -> None:
    # the odd-port channel was already running before the primary's first failure: not a fallback of it
    early = [tls_flow(H, C2, 8443, ts=50.0 + 30.0 * i) for i in range(8)]
    assert pairs(timeouts() + early) == []
    # a fallback that starts between the failures is paired with the failures before it, never with later ones
    late = [tls_flow(H, C2, 8443, ts=115.0 + 30.0 * i) for i in range(4)]
    (ind,) = pairs(timeouts() + late)
    assert ind.evidence["primary"]["attempts"] == 2 and ind.evidence["primary"]["last_ts"] == 113.0
    assert ind.evidence["gap"] == 2.0


def test_internal_services_are_no_primaries_unless_configured() -> None:
    printer = [failed(H, "10.0.0.20", 9100, 100.0 + 5 * i, state="REJ") for i in range(3)]
    flows = printer + [tls_flow(H, BACKUP, ts=120.0)]
    assert pairs(flows) == []
    cfg = override(default_config(), {"detect": {"failed_fallback": {"internal_primaries": True}}})
    (ind,) = pairs(flows, cfg)
    assert ind.evidence["primary"]["peer"] == "10.0.0.20" and links_of(ind) == ["hard_coded_ip"]
    local = [dns_flow(H, R, 100.0 + i, "printer.corp", rcode="NXDOMAIN") for i in range(3)]
    local += [dns_flow(H, R, 103.0 + i, "wpad", rcode="NXDOMAIN") for i in range(3)]
    assert pairs(local + [tls_flow(H, BACKUP, 8443, ts=120.0)]) == []


def test_a_multi_port_probe_burst_is_not_a_failed_channel() -> None:
    burst = [failed(H, C2, port, 100.0 + 0.3 * i, state="REJ") for i, port in enumerate(range(3478, 3484))
             for _ in range(2)]
    assert pairs(burst + [tls_flow(H, C2, 8443, ts=110.0)]) == []
    spread = [failed(H, C2, 443, 100.0 + 30 * i) for i in range(2)] + [failed(H, C2, 80, 160.0 + 30 * i)
                                                                         for i in range(2)]
    found = pairs(spread + [tls_flow(H, C2, 8443, ts=230.0)])  # two ports retried over minutes: real primaries
    assert sorted(i.evidence["primary"]["port"] for i in found) == [80, 443]
    assert all(links_of(i)[0] == "same_peer" for i in found)


def test_a_proxy_refusal_then_the_same_client_elsewhere_is_linked_by_its_user_agent() -> None:
    refused = [connect(R, "c2.example", 100.0 + 20 * i, 403) for i in range(3)]
    direct = [make_flow(H, "91.200.3.4", 8081, ts=170.0 + 30 * i, service="http",
                        http=[HttpInfo(0.0, True, "POST", "/g", "cdn.other.example", "Implant/1.0")]) for i in range(3)]
    names = [dns_flow(H, R, 10.0, "cdn.other.example", answers=[("cdn.other.example", "A", "91.200.3.4")])]
    (ind,) = pairs(names + refused + direct)
    p = ind.evidence["primary"]
    assert (p["kind"], p["peer"], p["port"], p["state"]) == ("proxy_refused", "c2.example", 443, "HTTP 403")
    assert links_of(ind) == ["fingerprint"] and "User-Agent Implant/1.0" in ind.evidence["link"][0]["detail"]
    # the 407 -> credentials -> 200 dance of every proxied Windows client is no refusal
    dance = [connect(R, "c2.example", 100.0 + 20 * i, 407) for i in range(3)] + [connect(R, "c2.example", 161.0, 200)]
    assert pairs(names + dance + direct) == []


def test_a_browser_fingerprint_links_nothing() -> None:
    blocked = [hello_reset(C2, 100.0 + 10 * i, ja3=BROWSER_JA3, sni="blocked.example") for i in range(3)]
    browsing = [tls_with(f"198.51.100.{70 + i}", 90.0 + 20 * i, BROWSER_JA3, f"site{i}.example") for i in range(5)]
    odd = [tls_with(BACKUP, 140.0 + 30 * i, BROWSER_JA3, port=8443) for i in range(3)]
    names = [dns_flow(H, R, 50.0, "media.example", answers=[("media.example", "A", BACKUP)])]
    assert pairs(names + blocked + browsing + odd) == []
    implant = [tls_with(BACKUP, 140.0 + 30 * i, IMPLANT_JA3, port=8443) for i in range(3)]
    reset = [hello_reset(C2, 100.0 + 10 * i, sni="blocked.example") for i in range(3)]
    (ind,) = pairs(names + reset + browsing + implant)
    assert links_of(ind) == ["fingerprint"] and ind.evidence["primary"]["kind"] == "tls_reset"


IMPLANT_JA4 = "t13i040300_8f3a1a9d6b2c_0e5a2c4f1b77"


def test_ja4_links_a_client_whose_ja3_changes_with_every_hello() -> None:
    """A client that shuffles its extension order (as Chrome does since 110) has a new JA3 per hello but one JA4."""
    def shuffled(flow, i):
        flow.tls.ja3, flow.tls.ja4 = f"{i:032x}", IMPLANT_JA4
        return flow

    reset = [shuffled(hello_reset(C2, 100.0 + 10 * i), i) for i in range(3)]
    odd = [shuffled(tls_with(BACKUP, 140.0 + 30 * i, "", port=8443), 10 + i) for i in range(3)]
    names = [dns_flow(H, R, 50.0, "media.example", answers=[("media.example", "A", BACKUP)])]
    (ind,) = pairs(names + reset + odd)
    assert links_of(ind) == ["fingerprint"]
    assert ind.evidence["link"][0]["detail"].startswith(f"JA4 {IMPLANT_JA4} on the failed attempts")
    both = [hello_reset(C2, 100.0 + 10 * i) for i in range(3)] + [
        tls_with(BACKUP, 140.0 + 30 * i, IMPLANT_JA3, port=8443) for i in range(3)]
    for flow in both:
        flow.tls.ja4 = IMPLANT_JA4
    (ind,) = pairs(names + both)  # both match: the evidence names both
    assert f"JA3 {IMPLANT_JA3} and JA4 {IMPLANT_JA4}" in ind.evidence["link"][0]["detail"]
    common = [shuffled(tls_with(f"198.51.100.{70 + i}", 90.0 + 20 * i, "", f"site{i}.example"), 20 + i)
              for i in range(5)]
    assert pairs(names + reset + common + odd) == []  # a JA4 the host uses everywhere links nothing


def udp_unanswered(peer: str, ts: float, sizes: tuple[int, ...], port: int = 9531):
    """A UDP client whose datagrams (of these sizes) get no answer."""
    return make_flow(H, peer, port, "udp", ts=ts, dur=10.0 * len(sizes), state="S0", orig_pkts=len(sizes),
                     resp_pkts=0, orig_bytes=sum(sizes), resp_bytes=0, orig_sizes=sizes, orig_measures=RANDOM)


def stream(peer: str, ts: float, size: int, port: int = 8089):
    """One TCP connection on an odd port carrying one client message of ``size`` bytes (random-looking)."""
    return make_flow(H, peer, port, ts=ts, orig_bytes=size, resp_bytes=64, orig_measures=RANDOM,
                     resp_measures=RANDOM)


def test_the_same_message_sizes_over_another_transport_link_by_payload_shape() -> None:
    names = [dns_flow(H, R, 10.0, "media.example", answers=[("media.example", "A", BACKUP)])]
    primary = [udp_unanswered(C2, 100.0, (212, 36, 36, 36, 212, 36, 36, 36))]
    after = [stream(BACKUP, 200.0 + t, size) for t, size in ((0, 214), (17, 38), (41, 38), (52, 214), (90, 38))]
    (ind,) = pairs(names + primary + after)
    assert links_of(ind) == ["payload_shape"] and ind.evidence["primary"]["kind"] == "udp_unanswered"
    assert ind.evidence["link"][0]["detail"] == ("client messages of 36, 212 bytes: 8 of the 8 failed attempts' "
                                                 "messages and 5 of the fallback's 5")
    assert ind.evidence["confidence"] == 0.5


def test_coincident_message_sizes_link_nothing() -> None:
    names = [dns_flow(H, R, 10.0, "media.example", answers=[("media.example", "A", BACKUP)])]
    one_size = [udp_unanswered(C2, 100.0, (48,) * 6)]  # a single size alike is a coincidence
    after = [stream(BACKUP, 200.0 + 23 * i, size) for i, size in enumerate((48, 48, 48, 48))]
    assert pairs(names + one_size + after) == []
    two_sizes = [udp_unanswered(C2, 100.0, (120, 310, 120, 310))]
    spread = [stream(BACKUP, 200.0 + 23 * i, size)  # two sizes recur once among many: a spread, not a shape
              for i, size in enumerate((118, 305, 700, 88, 1500, 640, 45, 900, 230, 77))]
    assert pairs(names + two_sizes + spread) == []
    shaped = [stream(BACKUP, 200.0 + 23 * i, size) for i, size in enumerate((122, 312, 121, 308, 700))]
    assert links_of(pairs(names + two_sizes + shaped)[0]) == ["payload_shape"]  # the same messages: linked
    refused = [failed(H, C2, 9531, 100.0 + 10 * i, proto="udp", orig_bytes=0) for i in range(3)]
    assert pairs(names + refused + after) == []  # no payload before: no shape to compare


def test_the_same_client_and_cadence_count_on_a_standard_port() -> None:
    names = [dns_flow(H, R, 10.0, "cdn.other.example", answers=[("cdn.other.example", "A", BACKUP)])]
    reset = [hello_reset(C2, 100.0 + 60 * i, sni="c2.example", alert=49) for i in range(3)]
    after = [tls_with(BACKUP, 281.0 + 60 * i, IMPLANT_JA3, "cdn.other.example") for i in range(4)]
    (ind,) = pairs(names + reset + after)
    assert links_of(ind) == ["fingerprint", "cadence"] and ind.evidence["reasons"] == ["standard_port_strong_link"]
    assert ind.evidence["primary"]["kind"] == "tls_alert" and ind.evidence["confidence"] == 0.76
    irregular = [tls_with(BACKUP, 281.0 + t, IMPLANT_JA3, "cdn.other.example") for t in (0.0, 7.0, 200.0, 230.0)]
    assert pairs(names + reset + irregular) == []  # the client alone is not enough on 443


def test_a_backup_name_of_the_same_lineage() -> None:
    dead = [dns_flow(H, R, 100.0 + 10 * i, "sync-cloudapi.com", rcode="NXDOMAIN") for i in range(3)]
    for backup in ("sync-cloudapi.net", "data-cloudbox.com"):  # same label other TLD; same label shape
        flows = dead + [dns_flow(H, R, 135.0, backup, answers=[(backup, "A", BACKUP)]),
                        tls_flow(H, BACKUP, sni=backup, ts=136.0)]
        (ind,) = pairs(flows)
        assert links_of(ind) == ["name_lineage"] and backup in ind.evidence["link"][0]["detail"]
        assert ind.evidence["primary"]["kind"] == "nxdomain"
    other = dead + [dns_flow(H, R, 135.0, "www.news.example", answers=[("www.news.example", "A", BACKUP)]),
                    tls_flow(H, BACKUP, sni="www.news.example", ts=136.0)]
    assert pairs(other) == []  # the next site a user opens is no backup name


def dga_names(rng: random.Random, n: int) -> list[str]:
    return ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(12, 16))) + ".com"
            for _ in range(n)]


def test_a_dga_burst_that_ends_in_one_resolving_name() -> None:
    names = dga_names(random.Random(9), 13)
    burst = [dns_flow(H, R, 100.0 + 0.4 * i, name, rcode="NXDOMAIN") for i, name in enumerate(names[:12])]
    survivor = [dns_flow(H, R, 105.0, names[12], answers=[(names[12], "A", BACKUP)]),
                tls_flow(H, BACKUP, sni=names[12], ts=105.1)]
    (ind,) = pairs(burst + survivor)
    dga = ind.evidence["dga"]
    assert links_of(ind) == ["dga_survivor"] and ind.evidence["primary"]["kind"] == "dga_burst"
    assert dga["count"] == 12 and dga["survivor"] == names[12] and len(dga["names"]) == 5
    assert dga["mean_label_entropy"] >= 3.0 and dga["ratio_to_usual"] >= 5.0
    # a host that misses this much all the time: the burst is its usual
    usual = [dns_flow(H, R, 200.0 + 1.0 * i, name, rcode="NXDOMAIN")  # one a second, for 20 minutes
             for i, name in enumerate(dga_names(random.Random(3), 1200))]
    assert pairs(burst + survivor + usual) == []
    # a search-suffix storm repeats one registered domain
    storm = [dns_flow(H, R, 100.0 + 0.4 * i, f"{name.split('.')[0]}.corp-example.com", rcode="NXDOMAIN")
             for i, name in enumerate(names[:12])]
    assert pairs(storm + survivor) == []


def test_encrypted_dns_taking_over_after_the_resolver_failed() -> None:
    blocked = [make_flow(H, "8.8.8.8", 53, "udp", ts=100.0 + 3 * i, state="S0", service="dns", orig_pkts=1,
                         resp_pkts=0, icmp_errors=[(100.0 + 3 * i, R, 3, 13)]) for i in range(3)]
    doh = [tls_flow(H, "1.1.1.1", sni="cloudflare-dns.com", ts=110.0 + i) for i in range(3)]
    (ind,) = pairs(blocked + doh)
    assert links_of(ind) == ["doh_takeover"] and ind.evidence["primary"]["kind"] == "icmp_prohibited"
    assert ind.evidence["fallback"]["peer"] == "1.1.1.1"
    dot = [tls_flow(H, "9.9.9.9", 853, sni="dns.quad9.net", ts=110.0)]
    refused = [dns_flow(H, R, 100.0 + i, "c2.example", rcode="REFUSED") for i in range(3)]
    (ind,) = pairs(refused + dot)
    assert links_of(ind) == ["doh_takeover"] and ind.evidence["primary"]["kind"] == "dns_refused"
    typos = [dns_flow(H, R, 100.0 + i, "wwww.example.com", rcode="NXDOMAIN") for i in range(3)]
    assert pairs(typos + doh) == []  # NXDOMAIN is an answer: a browser's first DoH lookup after a typo
    already = [tls_flow(H, "1.1.1.1", sni="cloudflare-dns.com", ts=50.0)]
    assert pairs(blocked + already + doh) == []  # DoH was in use before


def test_failure_then_fallback_again_and_again_is_a_cycle() -> None:
    flows = []
    for k in range(3):  # retry the primary twice, fail, run the fallback for a while; three times
        flows += [failed(H, C2, 443, 100.0 + 300 * k + 5 * i) for i in range(2)]
        flows += [tls_flow(H, C2, 8443, ts=120.0 + 300 * k + 40 * i) for i in range(3)]
    (ind,) = pairs(flows)
    assert links_of(ind) == ["same_peer", "cycle"] and ind.evidence["gap"] >= 0


def test_a_quick_failover_between_bare_relays_is_no_hard_coded_fallback() -> None:
    # an app trying one relay twice within a second, then another relay on its odd port: no retries with sleeps
    relay = [make_flow(H, C2, 3478, "udp", ts=100.0 + 0.5 * i, dur=0.2, state="S0", orig_pkts=2, resp_pkts=0)
             for i in range(2)]
    other = [make_flow(H, BACKUP, 3478, "udp", ts=102.0, orig_measures=RANDOM, resp_measures=RANDOM)]
    assert pairs(relay + other) == []
    slow = [make_flow(H, C2, 3478, "udp", ts=100.0 + 20 * i, dur=0.2, state="S0", orig_pkts=2, resp_pkts=0)
            for i in range(2)]
    other = [make_flow(H, BACKUP, 3478, "udp", ts=125.0, orig_measures=RANDOM, resp_measures=RANDOM)]
    (ind,) = pairs(slow + other)  # an implant retrying every 20 s, then its hard-coded backup
    assert links_of(ind) == ["hard_coded_ip"] and ind.evidence["primary"]["kind"] == "udp_unanswered"
