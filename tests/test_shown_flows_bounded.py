"""What the reports keep of the flow store is bounded per host (stored.shown_flows): the evidence flows the
indicators name, and for each host report.html gives a section a view made from every flow of that host (its
timeline, its biggest or evidence flows), not the host's flows. The pages are those written from every flow.

A synthetic store: one host with thousands of flows (lookups of distinct names, failed connections, connections
opened towards it from outside, which are stored in their originators' buckets, echo replies it sent to an internal
host, stored in that host's bucket), more hosts to look at than report.html details."""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from pcap_analyzer import groups, stored
from pcap_analyzer.config import default_config, override
from pcap_analyzer.flows.store import FlowStore, bucket_of
from pcap_analyzer.homenet import HomeNet
from pcap_analyzer.model import ChannelMeasures, DnsMessage, Flow, HostReport, Indicator, Report
from pcap_analyzer.report.html import render_html
from pcap_analyzer.report.json_report import report_json

WHEN = datetime(2026, 1, 1, tzinfo=timezone.utc)
T0 = 1_700_000_000.0
BUSY, QUIET, THIRD, HIDDEN = "10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4"  # HIDDEN: past html_max_rows
BUCKETS = 8


def _flows(lookups: int) -> list[Flow]:
    """``lookups`` DNS lookups of BUSY (and as many failed connections, and inbound ones) plus a few of the others."""
    out = []
    for i in range(lookups):
        ts = T0 + i * 0.5
        out.append(Flow(uid=f"Cdns{i:06d}", ts=ts, last_ts=ts + 0.01, proto="udp", orig_h=BUSY, orig_p=30000 + i % 9000,
                        resp_h="10.0.0.53", resp_p=53, community_id=f"1:dns{i}=", orig_pkts=1, resp_pkts=1,
                        orig_bytes=40, resp_bytes=80, conn_state="SF", service="dns",
                        dns=[DnsMessage(ts, False, i % 65536, f"n{i}.example.com", 1, "A", -1, ""),
                             DnsMessage(ts + 0.01, True, i % 65536, f"n{i}.example.com", 1, "A",
                                        3 if i % 3 == 0 else 0, "NXDOMAIN" if i % 3 == 0 else "NOERROR")]))
        out.append(Flow(uid=f"Cfail{i:06d}", ts=ts + 0.1, last_ts=ts + 3.1, proto="tcp", orig_h=BUSY,
                        orig_p=40000 + i % 20000, resp_h=f"203.0.{i % 200}.{i % 250 + 1}", resp_p=443,
                        community_id=f"1:fail{i}=", orig_pkts=3, conn_state="S0", history="S"))
        # inbound, from many outside hosts (their buckets), equal sizes in runs: the biggest are picked in pass order
        out.append(Flow(uid=f"Cin{i:06d}", ts=ts + 0.2, last_ts=ts + 1.2, proto="tcp",
                        orig_h=f"198.51.{i % 100}.{i % 7 + 1}", orig_p=50000 + i % 10000, resp_h=BUSY, resp_p=22,
                        community_id=f"1:in{i}=", orig_pkts=8, resp_pkts=8, orig_bytes=1000 * (i % 5),
                        resp_bytes=2000, conn_state="SF", history="ShADadFf",
                        orig_measures=ChannelMeasures(1000, 4.0 + (i % 4) / 2, 300.0, 0.2, 0.5)))
    for i in range(20):  # echo replies BUSY sent to THIRD: stored in THIRD's bucket
        ts = T0 + 2 + i * 10
        out.append(Flow(uid=f"Cecho{i:03d}", ts=ts, last_ts=ts + 0.001, proto="icmp", orig_h=BUSY, orig_p=0,
                        resp_h=THIRD, resp_p=0, community_id=f"1:echo{i}=", orig_pkts=1, orig_bytes=64,
                        conn_state="OTH"))
    for n, ip in enumerate((QUIET, THIRD, HIDDEN)):
        for i in range(30):
            ts = T0 + 1 + n + i * 7
            out.append(Flow(uid=f"Cweb{n}{i:03d}", ts=ts, last_ts=ts + 2, proto="tcp", orig_h=ip, orig_p=45000 + i,
                            resp_h="192.0.2.80", resp_p=8443, community_id=f"1:web{n}-{i}=", orig_pkts=10,
                            resp_pkts=10, orig_bytes=5000 + i, resp_bytes=9000, conn_state="SF", service="tls",
                            history="ShADadFf", orig_measures=ChannelMeasures(5000, 7.9, 250.0, 0.5, 0.4)))
    return sorted(out, key=lambda f: (f.ts, f.uid))


def _hosts() -> list[HostReport]:
    """BUSY's indicator names no flow (its section then shows its biggest flows); the others name one of theirs."""
    def ind(host: str, kind: str, cid: str, uid: str) -> Indicator:
        return Indicator(kind, host, T0 + 30, peer="192.0.2.80", port=8443, proto="tcp", community_id=cid,
                         uids=[uid] if uid else [])
    return [
        HostReport(BUSY, "escalate", 9.0, [ind(BUSY, "failed_then_fallback", "", "")], reasons=["many failures"]),
        HostReport(QUIET, "escalate", 8.0, [ind(QUIET, "nonstandard_port_encrypted", "1:web0-5=", "Cweb0005")],
                   reasons=["odd port"]),
        HostReport(THIRD, "investigate", 3.0, [ind(THIRD, "beaconing", "1:web1-10=", "Cweb1010")], reasons=["beacon"]),
        HostReport(HIDDEN, "investigate", 2.0, [ind(HIDDEN, "beaconing", "1:web2-20=", "Cweb2020")],
                   reasons=["beacon"]),
    ]


def _stored(tmp_path: Path, flow_list: list[Flow]) -> FlowStore:
    store = FlowStore(tmp_path / "store", BUCKETS, 997)
    home = HomeNet(["10.0.0.0/8"])
    facts = groups.Facts()
    for start in range(0, len(flow_list), 500):
        part = flow_list[start:start + 500]
        store.add(part, facts.add(part, home))
    store.close()
    return store


@pytest.mark.parametrize("lookups", [40, 1500])
def test_the_pages_need_a_bounded_view_per_host_not_its_flows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                               lookups: int) -> None:
    cfg = override(default_config(), {"report": {"html_max_rows": 3}})
    flow_list, hosts = _flows(lookups), _hosts()
    store = _stored(tmp_path, flow_list)
    # the store splits BUSY's flows as the analysis does: inbound ones and its echo replies are in other buckets
    placed = {b: set(store.read([b]).column("uid").to_pylist()) for b in store.filled()}
    elsewhere = {u for b, uids in placed.items() if b != bucket_of(BUSY, BUCKETS) for u in uids}
    assert {"Cecho000", "Cin000001"} <= elsewhere
    made: dict[str, int] = {}  # host -> flows its view was made from

    def counted(host: HostReport, flows: list[Flow], index: dict, cfg_: object) -> object:
        made[host.ip] = len(flows)
        return host_view(host, flows, index, cfg_)
    host_view = stored.host_view
    monkeypatch.setattr(stored, "host_view", counted)
    evidence, views = stored.shown_flows(store, hosts, cfg)

    every = Report(inputs=[], hosts=hosts, flows=flow_list)
    kept = Report(inputs=[], hosts=hosts, flows=evidence, views=views, flow_count=len(flow_list))
    assert render_html(kept, cfg, WHEN) == render_html(every, cfg, WHEN)
    assert report_json(kept, WHEN) == report_json(every, WHEN)
    # what stays: the flows the indicators name, and a view for each of the html_max_rows hosts shown
    assert [f.uid for f in evidence] == ["Cweb0005", "Cweb1010", "Cweb2020"]
    assert sorted(views) == [BUSY, QUIET, THIRD]
    assert all(len(v.flows) <= cfg.report.html_max_flows for v in views.values())
    # BUSY's indicator names no flow: its section shows its biggest measured flows, inbound ones of other buckets
    shown = [f.uid for f in views[BUSY].flows]
    assert len(shown) == cfg.report.html_max_flows and all(u.startswith("Cin") for u in shown)
    assert set(shown) & elsewhere
    # a view is made from its host's flows alone: every flow BUSY opened and those of its bucket; of the flows
    # towards it stored elsewhere only the html_max_flows biggest
    opened = sum(f.orig_h == BUSY for f in flow_list)
    inbound = [f.uid for f in flow_list if f.resp_h == BUSY]
    at_home = sum(u not in elsewhere for u in inbound)
    assert made[BUSY] == opened + at_home + min(len(inbound) - at_home, cfg.report.html_max_flows)
    assert made[QUIET] == 30 and made[THIRD] == 50  # its own flows and BUSY's echo replies to it


def test_a_bigger_capture_keeps_the_same_views_size(tmp_path: Path) -> None:
    """The report's share of a host's flows does not grow with them: the views of 10x the flows are as large."""
    cfg = override(default_config(), {"report": {"html_max_rows": 3}})
    sizes = []
    for lookups in (1200, 4800):
        evidence, views = stored.shown_flows(_stored(tmp_path / str(lookups), _flows(lookups)), _hosts(), cfg)
        sizes.append((len(evidence), sum(len(v.flows) for v in views.values()),
                      sum(len(v.timeline) for v in views.values())))
    (small_flows, small_view, small_text), (big_flows, big_view, big_text) = sizes
    assert big_flows == small_flows and big_view == small_view
    assert big_text < small_text * 1.5  # the marks are sampled (html_max_marks), the names capped
