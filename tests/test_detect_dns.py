"""dns_tunnel and dynamic_dns on synthetic lookups: short sessions fire on per-name evidence, ordinary names don't."""
from __future__ import annotations

import base64
import random

from test_detect_helpers import context, dns_flow, tls_flow

from pcap_analyzer.detect.dns_tunnel import DnsTunnel
from pcap_analyzer.detect.dyndns import DynDns

H, R = "10.0.0.5", "10.0.0.1"


def lookups(names: list[str], qtype: str = "A", start: float = 100.0, gap: float = 1.0) -> list:
    return [dns_flow(H, R, start + i * gap, n, qtype) for i, n in enumerate(names)]


def b32(rng: random.Random, n: int) -> str:
    return base64.b32encode(rng.randbytes(n)).decode().rstrip("=").lower()


def test_a_single_null_query_is_a_tunnel() -> None:
    (ind,) = DnsTunnel().run(context(lookups(["vaaaakardli.pirate.sea"], "NULL")))
    assert ind.peer == "pirate.sea" and ind.evidence["qtypes"] == {"NULL": 1}
    assert any("NULL" in r for r in ind.evidence["reasons"])


def test_ten_encoded_txt_queries_under_one_zone_are_a_tunnel() -> None:
    rng = random.Random(7)
    names = [f"{b32(rng, 25)}.t.example-zone.com" for _ in range(10)]
    (ind,) = DnsTunnel().run(context(lookups(names, "TXT")))
    assert ind.evidence["zone"] == "example-zone.com"
    assert ind.evidence["encoded_names"] == 10 and ind.evidence["queries"] == 10
    assert ind.evidence["examples"][0].endswith(".t.example-zone.com")


def test_hex_names_without_a_real_tld_group_by_resolver() -> None:
    rng = random.Random(3)
    names = [f"dnscat.{rng.randbytes(30).hex()}.{rng.randbytes(12).hex()}" for _ in range(6)]
    (ind,) = DnsTunnel().run(context(lookups(names, "CNAME")))
    assert ind.evidence["zone"] == "" and ind.peer == R and ind.evidence["encoded_names"] == 6


def test_ordinary_browsing_names_are_not_a_tunnel() -> None:
    names = ["www.example.com", "static.example.com", "fonts.gstatic.com", "e1234.dscb.akamaiedge.net",
             "r3---sn-4g5e6nzz.googlevideo.com", "clients4.google.com", "mail.example.org",
             "_dmarc.example.org", "api.weather-hub.net", "www.wikipedia.org", "upload.wikimedia.org"]
    assert DnsTunnel().run(context(lookups(names) + lookups(names[:4], "TXT", start=500.0))) == []


def test_many_distinct_subdomains_need_data_carrying_types() -> None:
    plain = [f"host{i}.corp-example.com" for i in range(12)]
    assert DnsTunnel().run(context(lookups(plain))) == []  # A lookups of many hosts: an inventory, not a tunnel
    (ind,) = DnsTunnel().run(context(lookups(plain, "TXT")))
    assert ind.evidence["unique_names"] == 12


def test_dynamic_dns_lookup_and_connection() -> None:
    answers = [("k7sync.duckdns.org", "A", "198.51.100.140")]
    flows = [dns_flow(H, R, 10.0, "k7sync.duckdns.org", answers=answers), tls_flow(H, "198.51.100.140", ts=11.0)]
    (ind,) = DynDns().run(context(flows))
    assert (ind.peer, ind.evidence["zone"], ind.evidence["lookups"]) == ("k7sync.duckdns.org", "duckdns.org", 1)
    assert ind.evidence["addresses"] == ["198.51.100.140"]
    assert [c["port"] for c in ind.evidence["connections"]] == [443] and ind.evidence["connection_count"] == 1
    assert flows[1].uid in ind.uids


def test_dynamic_dns_matches_on_label_boundaries_and_sni() -> None:
    assert DynDns().run(context(lookups(["www.notduckdns.org"]))) == []
    (ind,) = DynDns().run(context([tls_flow(H, "203.0.113.7", sni="nas.hopto.org")]))
    assert ind.evidence["zone"] == "hopto.org" and ind.evidence["lookups"] == 0


def test_multicast_dns_reverse_lookups_and_ignored_zones_are_not_judged() -> None:
    mdns = [dns_flow(H, "224.0.0.251", 10.0 + i, f"device-{i}._airplay._tcp.local", "TXT") for i in range(12)]
    rng = random.Random(9)
    av = lookups([f"{b32(rng, 25)}.avqs.mcafee.com" for _ in range(5)])
    assert DnsTunnel().run(context(mdns + av)) == []
