"""Builders of annotated Flows for the detector tests, and tests of the shared detector helpers (base, index)."""
from __future__ import annotations

import itertools
from typing import Any

from pcap_analyzer.config import Config, default_config
from pcap_analyzer.detect.base import DetectContext, attempts, host_of, is_failed, looks_random
from pcap_analyzer.detect.index import get_index
from pcap_analyzer.homenet import HomeNet
from pcap_analyzer.model import ChannelMeasures, DnsMessage, Flow, IcmpInfo, TlsInfo

_uids = itertools.count(1)
HISTORY = {"SF": "ShADadFf", "S0": "S", "REJ": "Sr", "S1": "ShADad", "OTH": "D"}
RANDOM = ChannelMeasures(nbytes=2000, entropy=7.9, chi2=250.0, chi2_p=0.5, printable=0.37)
TEXT = ChannelMeasures(nbytes=2000, entropy=4.8, chi2=90000.0, chi2_p=0.0, printable=0.99)


def make_flow(orig: str, resp: str, port: int, proto: str = "tcp", ts: float = 1000.0, dur: float = 1.0,
              state: str = "SF", service: str = "", cfg: Config | None = None, **kw: Any) -> Flow:
    """A Flow as flows + dissect + measures would leave it; expected_service from the config's port table."""
    cfg = cfg or default_config()
    working = state in ("SF", "S1", "RSTO", "RSTR") or (proto != "tcp" and state != "S0")
    n = next(_uids)
    defaults: dict[str, Any] = {
        "orig_p": 40000 + n % 20000, "orig_pkts": 5 if working else 1,
        "resp_pkts": 5 if working else (1 if state == "REJ" else 0),
        "orig_bytes": 600 if working else 0, "resp_bytes": 1500 if working else 0,
        "history": HISTORY.get(state, "") if proto == "tcp" else "Dd",
        # retained payload stands for itself (its measures are given); Zeek-log flows pass orig_sample=b""
        "orig_sample": b"\x16" * 64 if working and proto == "tcp" else b"",
        "orig_datagrams": [b"\x16" * 64] if working and proto != "tcp" else [],
        "expected_service": cfg.ports.expected.get(f"{proto}/{port}", ""),
    }
    defaults.update(kw)
    return Flow(uid=f"C{n}", ts=ts, last_ts=ts + dur, proto=proto, orig_h=orig, resp_h=resp,
                resp_p=port, community_id=f"1:cid{n}=", conn_state=state, service=service, **defaults)


def tls_flow(orig: str, resp: str, port: int = 443, sni: str = "", **kw: Any) -> Flow:
    kw.setdefault("orig_measures", RANDOM)
    kw.setdefault("resp_measures", RANDOM)
    return make_flow(orig, resp, port, service="tls", tls=TlsInfo(sni=sni, client_hello=True, server_hello=True), **kw)


def failed(orig: str, resp: str, port: int, ts: float, state: str = "S0", retransmits: int = 2, **kw: Any) -> Flow:
    return make_flow(orig, resp, port, ts=ts, dur=3.0, state=state, retransmits=retransmits, **kw)


def dns_flow(host: str, resolver: str, ts: float, qname: str, qtype: str = "A", rcode: str = "NOERROR",
             answers: list[tuple[str, str, str]] | None = None, respond: bool = True) -> Flow:
    """One DNS exchange (query + response) on its own flow, as a stub resolver's fresh source port gives."""
    query = DnsMessage(ts, False, 7, qname, 1, qtype, -1, "")
    msgs = [query]
    if respond:
        msgs.append(DnsMessage(ts + 0.02, True, 7, qname, 1, qtype, 0 if rcode == "NOERROR" else 3, rcode,
                               answers or []))
    return make_flow(host, resolver, 53, "udp", ts=ts, dur=0.02, state="SF" if respond else "S0", service="dns",
                     dns=msgs, orig_pkts=1, resp_pkts=1 if respond else 0, orig_bytes=40,
                     resp_bytes=80 if respond else 0)


def echo_flow(host: str, peer: str, ts: float, echoes: int, sizes: list[int], ip_in_payload: int = 0,
              measures: ChannelMeasures | None = None) -> Flow:
    return make_flow(host, peer, 0, "icmp", ts=ts, dur=echoes * 1.0, state="OTH", service="icmp",
                     orig_p=8, orig_pkts=echoes, resp_pkts=echoes,
                     icmp=IcmpInfo(echo_requests=echoes, echo_replies=echoes, payload_sizes=sizes,
                                   ip_in_payload=ip_in_payload),
                     orig_measures=measures, resp_measures=measures)


def context(flows: list[Flow], intel: Any = None, cfg: Config | None = None) -> DetectContext:
    cfg = cfg or default_config()
    return DetectContext(flows, HomeNet(cfg.home_net.cidrs), cfg, intel)


# --- tests of base.py / index.py ------------------------------------------------------------------------------

def test_host_is_the_internal_originator_and_outsiders_opening_inward_are_not_a_host() -> None:
    home = HomeNet(["10.0.0.0/8"])
    assert host_of(make_flow("10.0.0.5", "198.51.100.1", 443), home) == "10.0.0.5"
    assert host_of(make_flow("198.51.100.1", "10.0.0.5", 22), home) is None
    assert host_of(make_flow("57.91.202.194", "132.49.141.56", 80), home) == "57.91.202.194"  # no internal side
    reply_first = make_flow("10.0.0.9", "10.0.0.5", 8, "icmp", orig_p=0)  # we saw the echo replies' side first
    assert host_of(reply_first, home) == "10.0.0.5"


def test_failure_covers_timeouts_refusals_unreachables_and_unanswered_udp() -> None:
    cfg = default_config()
    assert is_failed(failed("10.0.0.5", "198.51.100.1", 443, 0.0), cfg)
    assert is_failed(failed("10.0.0.5", "198.51.100.1", 443, 0.0, state="REJ", retransmits=0), cfg)
    assert is_failed(make_flow("10.0.0.5", "198.51.100.1", 443, "udp", state="S0", orig_pkts=4), cfg)
    unreachable = failed("10.0.0.5", "198.51.100.1", 443, 0.0, icmp_errors=[(1.0, "198.51.100.62", 3, 1)])
    assert is_failed(unreachable, cfg)
    assert not is_failed(tls_flow("10.0.0.5", "198.51.100.1"), cfg)
    assert attempts(failed("10.0.0.5", "198.51.100.1", 443, 0.0, retransmits=3)) == 1  # the kernel retrying
    assert attempts(make_flow("10.0.0.5", "198.51.100.1", 443, "udp", state="S0", orig_pkts=5)) == 5


def test_random_payload_needs_enough_bytes_and_randomness() -> None:
    cfg = default_config()
    assert looks_random(make_flow("10.0.0.5", "198.51.100.1", 9999, orig_measures=RANDOM), cfg)
    assert not looks_random(make_flow("10.0.0.5", "198.51.100.1", 9999, orig_measures=TEXT), cfg)
    tiny = ChannelMeasures(nbytes=20, entropy=4.3, chi2_p=0.9)
    assert not looks_random(make_flow("10.0.0.5", "198.51.100.1", 9999, orig_measures=tiny), cfg)


def test_index_names_an_address_by_the_queried_name_only_and_pairs_lookups() -> None:
    answers = [("www.shop.example", "CNAME", "edge.cdn.example"), ("edge.cdn.example", "A", "198.51.100.7")]
    lookup = dns_flow("10.0.0.5", "10.0.0.1", 10.0, "www.shop.example", answers=answers)
    web = tls_flow("10.0.0.5", "198.51.100.7", ts=11.0)
    bare = tls_flow("10.0.0.5", "203.0.113.9", ts=12.0)
    index = get_index(context([lookup, web, bare]))
    assert index.names_of_ip["198.51.100.7"] == {"www.shop.example"}  # the CNAME target is not an identity...
    assert index.cnames_of_ip["198.51.100.7"] == {"edge.cdn.example"}  # ...only information
    assert index.base_domains_for(web) == {"shop.example"}
    assert index.domain_of(bare) == ""
    (only,) = index.lookups["10.0.0.5"]
    assert (only.qname, only.rcode_name, only.addresses) == ("www.shop.example", "NOERROR", ["198.51.100.7"])
    assert index.hosts == ["10.0.0.1", "10.0.0.5"]  # the resolver is an internal host seen in a flow too


def test_shared_cloud_zones_are_no_peer_identity() -> None:
    tm = [("v10.events.data.msft.example", "CNAME", "onedsblobprdwus16.trafficmanager.net"),
          ("onedsblobprdwus16.trafficmanager.net", "A", "198.51.100.8")]
    lookups = [dns_flow("10.0.0.5", "10.0.0.1", 10.0, "v10.events.data.msft.example", answers=tm),
               dns_flow("10.0.0.5", "10.0.0.1", 10.5, "trafficmanager.net",
                        answers=[("trafficmanager.net", "A", "198.51.100.9")]),
               dns_flow("10.0.0.5", "10.0.0.1", 11.0, "blob.store.example",
                        answers=[("blob.store.example", "A", "198.51.100.10")])]
    flows = [tls_flow("10.0.0.5", ip, ts=12.0) for ip in ("198.51.100.8", "198.51.100.9", "198.51.100.10")]
    index = get_index(context(lookups + flows))
    assert index.base_domains_for(flows[0]) == {"msft.example"}  # not trafficmanager.net (a CNAME target)
    assert index.base_domains_for(flows[1]) == set()  # a public suffix (private section) names no one
    assert index.base_domains_for(flows[2], frozenset({"store.example"})) == set()  # a configured shared apex
