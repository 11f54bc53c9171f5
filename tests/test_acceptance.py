"""End to end: labelled scenarios get their verdicts and indicators; the real malicious captures show what
SOURCES.md names; nothing in the real benign captures escalates."""
from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

import pytest
from conftest import SCENARIOS, SHARED_PCAPS, SHARED_ZEEK_LOGS, shared_captures

from pcap_analyzer.config import default_config, override
from pcap_analyzer.decide.containment import containment
from pcap_analyzer.homenet import HomeNet
from pcap_analyzer.model import HostReport

LABELS = SCENARIOS / "labels.json"


@lru_cache(maxsize=None)
def analyze_capture(path: Path) -> tuple[HostReport, ...]:
    """The whole analysis of one capture with the default config: pipeline.analyze, or (while the pipeline cannot
    be imported) the same steps in order."""
    cfg = default_config()
    home = HomeNet(cfg.home_net.cidrs)
    try:
        from pcap_analyzer.pipeline import analyze
    except ImportError:
        return tuple(_steps(path, cfg, home))
    return tuple(analyze([path], cfg, home).hosts)


def _steps(path: Path, cfg: dict, home: HomeNet) -> list[HostReport]:
    from pcap_analyzer import detect, dissect, flows
    from pcap_analyzer.measures import measures
    from pcap_analyzer.capture import reader
    from pcap_analyzer.decide import verdict
    from pcap_analyzer.detect.base import DetectContext
    from pcap_analyzer.model import CaptureInfo

    table = flows.FlowTable(cfg)
    for batch in reader.read_capture(path, cfg, CaptureInfo(path=str(path))):
        table.add(batch)
    flow_list = table.finish()
    dissect.annotate_all(flow_list, cfg)
    measures.annotate_all(flow_list, cfg)
    ctx = DetectContext(flow_list, home, cfg)
    return verdict.build_hosts(detect.run_all(ctx), ctx)


def hosts_by_ip(path: Path) -> dict[str, HostReport]:
    return {h.ip: h for h in analyze_capture(path)}


def labelled() -> list[tuple[str, dict]]:
    if not LABELS.is_file():
        return []
    return sorted(json.loads(LABELS.read_text(encoding="utf-8"))["captures"].items())


def expected_from_sources() -> list[tuple[str, str]]:
    """(capture stem, indicator) pairs from the "What each malicious capture should show" list in SOURCES.md."""
    sources = SHARED_PCAPS / "SOURCES.md"
    if not sources.is_file():
        return []
    stems = {p.name.split(".")[0] for p in shared_captures("malicious")}
    pairs = []
    for names, kind in re.findall(r"^- (.+?): `(\w+)`", sources.read_text(encoding="utf-8"), re.M):
        pairs += [(stem, kind) for stem in re.findall(r"[\w.-]+", names) if stem in stems]
    return pairs


@pytest.mark.parametrize("capture, label", labelled(), ids=[name for name, _ in labelled()])
def test_scenario_hosts_get_their_labelled_verdict_and_indicators(capture: str, label: dict) -> None:
    hosts = hosts_by_ip(SCENARIOS / capture)
    for ip, want in label["hosts"].items():
        assert ip in hosts, f"{capture}: no report for {ip}"
        host = hosts[ip]
        kinds = {ind.type for ind in host.indicators}
        assert host.verdict == want["verdict"], f"{capture} {ip}: {host.verdict} ({host.reasons}), {sorted(kinds)}"
        assert set(want["indicators"]) <= kinds, f"{capture} {ip}: missing {set(want['indicators']) - kinds}"
        assert not set(want["absent"]) & kinds, f"{capture} {ip}: has {set(want['absent']) & kinds}"
        assert set(host.answers) == {"nonstandard_ports", "protocol_switch", "unusual_dns", "fail_then_resume"}
        if "failed_then_fallback" in want["indicators"]:
            assert host.channels and host.answers["fail_then_resume"]["answer"], f"{capture} {ip}: no channels"


def test_escalated_scenarios_name_checkable_channels() -> None:
    """A fallback's primary / fallback carry real times and the community ID of a real flow of that channel."""
    checked = 0
    for capture, label in labelled():
        for ip, want in label["hosts"].items():
            if "failed_then_fallback" not in want["indicators"]:
                continue
            host = hosts_by_ip(SCENARIOS / capture)[ip]
            (ind, *_) = [i for i in host.indicators if i.type == "failed_then_fallback"]
            primary, fallback = ind.evidence["primary"], ind.evidence["fallback"]
            assert primary["attempts"] >= 2 and primary["last_ts"] <= fallback["first_ts"], capture
            assert fallback["attempts"] >= 1 and fallback["community_id"].startswith("1:"), capture
            assert ind.evidence["reasons"], capture
            checked += 1
    if not checked:
        pytest.skip("no labelled scenario corpus")


def test_demo_office_containment_blocks_the_fallback_only() -> None:
    path = SCENARIOS / "demo_office.pcap"
    if not path.is_file():
        pytest.skip("no demo_office.pcap")
    hosts = list(analyze_capture(path))
    out = containment(hosts)
    assert [h.ip for h in hosts if h.verdict == "escalate"] == out["hosts"]
    assert any(d.endswith(".duckdns.org") for d in out["domains"]), out["domains"]
    assert not {h.ip for h in hosts} & set(out["ips"])  # never block our own hosts
    escalated = [h for h in hosts if h.verdict == "escalate"]
    assert all(h.same_pattern_hosts == [] for h in escalated)  # one fallback host in the office: no siblings


def test_sources_md_names_an_indicator_for_each_tunnel_and_port_capture() -> None:
    if not (SHARED_PCAPS / "SOURCES.md").is_file():
        pytest.skip("../shared/pcaps is not present")
    pairs = expected_from_sources()
    assert {kind for _, kind in pairs} >= {"dns_tunnel", "icmp_tunnel", "nonstandard_port_encrypted"}
    assert len({stem for stem, _ in pairs}) >= 6


@pytest.mark.parametrize("stem, kind", expected_from_sources(), ids=lambda v: str(v))
def test_malicious_shared_captures_show_their_indicator(stem: str, kind: str) -> None:
    (path,) = [p for p in shared_captures("malicious") if p.name.split(".")[0] == stem]
    kinds = {ind.type for host in analyze_capture(path) for ind in host.indicators}
    assert kind in kinds, f"{stem}: {sorted(kinds)}"


@pytest.mark.parametrize("path", shared_captures("benign"), ids=lambda p: p.name)
def test_no_host_in_a_benign_shared_capture_escalates(path: Path) -> None:
    escalated = {h.ip: h.reasons for h in analyze_capture(path) if h.verdict == "escalate"}
    assert escalated == {}


def zeek_log_dirs(kind: str) -> list[Path]:
    """../shared/zeek-logs/<capture stem>/ for the shared captures of one kind."""
    folders = [SHARED_ZEEK_LOGS / p.name.split(".")[0] for p in shared_captures(kind)]
    return [d for d in folders if (d / "conn.log").is_file()]


@lru_cache(maxsize=None)
def analyze_logs(folder: Path) -> tuple[HostReport, ...]:
    """Sensor-only mode: the same analysis from Zeek logs alone (no payload)."""
    from pcap_analyzer.pipeline import analyze

    cfg = default_config()
    return tuple(analyze([], cfg, HomeNet(cfg.home_net.cidrs), zeek_dir=folder).hosts)


@pytest.mark.parametrize("folder", zeek_log_dirs("benign"), ids=lambda p: p.name)
def test_no_host_escalates_from_the_zeek_logs_of_a_benign_capture(folder: Path) -> None:
    escalated = {h.ip: h.reasons for h in analyze_logs(folder) if h.verdict == "escalate"}
    assert escalated == {}


@pytest.mark.parametrize("stem", sorted({s for s, k in expected_from_sources() if k == "dns_tunnel"}))
def test_dns_tunnels_show_from_zeek_logs_alone(stem: str) -> None:
    kinds = {i.type for h in analyze_logs(SHARED_ZEEK_LOGS / stem) for i in h.indicators}
    assert "dns_tunnel" in kinds, f"{stem}: {sorted(kinds)}"


def first_dns_queries(src: Path, dst: Path, queries: int) -> None:
    """Copy ``src`` up to its ``queries``-th DNS query (udp/53) into ``dst``: a short session of the same tunnel."""
    import dpkt

    with src.open("rb") as fh, dst.open("wb") as out:
        reader = dpkt.pcap.Reader(fh)
        writer = dpkt.pcap.Writer(out, linktype=reader.datalink())
        seen = 0
        for ts, buf in reader:
            writer.writepkt(buf, ts)
            udp = getattr(getattr(dpkt.ethernet.Ethernet(buf), "data", None), "data", None)
            seen += isinstance(udp, dpkt.udp.UDP) and udp.dport == 53
            if seen >= queries:
                break


@pytest.mark.parametrize("stem", sorted({s for s, k in expected_from_sources() if k == "dns_tunnel"}))
def test_dns_tunnels_show_in_a_short_session_of_ten_queries(stem: str, tmp_path: Path) -> None:
    (src,) = [p for p in shared_captures("malicious") if p.name.split(".")[0] == stem]
    short = tmp_path / f"{stem}-10.pcap"
    first_dns_queries(src, short, 10)
    kinds = {i.type for h in analyze_capture(short) for i in h.indicators}
    assert "dns_tunnel" in kinds, f"{stem} (10 queries): {sorted(kinds)}"


# ---------------------------------------------------------------------------------------------------------------
# Streaming: flows annotated and compacted as soon as they are over give the same results as annotating them all
# at the end with their payload still there.
# ---------------------------------------------------------------------------------------------------------------

def _every_capture() -> list[Path]:
    found = sorted(SCENARIOS.glob("*.pcap*"))
    if SHARED_PCAPS.is_dir():
        found += sorted(p for p in SHARED_PCAPS.rglob("*") if p.suffix in (".pcap", ".pcapng", ".gz"))
    return found


def _run(captures: list[Path], stream: bool, chunk: int | None = None, zeek_dir: Path | None = None):
    """(report.json without its time, report.html without its time, per-flow annotations, error) of one run."""
    from datetime import datetime, timezone

    from pcap_analyzer.detect.facts import has_payload
    from pcap_analyzer.errors import InputError
    from pcap_analyzer.pipeline import analyze
    from pcap_analyzer.report.html import render_html
    from pcap_analyzer.report.json_report import report_json

    cfg = override(default_config(), {"pipeline": {"stream": stream, "annotate_batch": 3}})  # tiny batches: many
    if chunk:  # annotate + compact rounds
        cfg = override(cfg, {"reader": {"chunk_packets": chunk}})  # many chunks: drain() after each
    try:
        report = analyze(captures, cfg, HomeNet(cfg.home_net.cidrs), zeek_dir=zeek_dir)
    except InputError as exc:
        return None, None, None, str(exc)
    when = datetime(2026, 1, 1, tzinfo=timezone.utc)
    flows = [(f.uid, f.ts, f.conn_state, f.history, f.service, f.expected_service, repr(f.dns), repr(f.tls),
              f.ssh_banners, repr(f.http), f.quic, repr(f.icmp), repr(f.orig_measures), repr(f.resp_measures),
              has_payload(f)) for f in report.flows]
    return report_json(report, when), render_html(report, cfg, when), flows, None


@pytest.mark.parametrize("capture", _every_capture(), ids=lambda p: p.name)
def test_streamed_pipeline_gives_the_same_results(capture: Path) -> None:
    whole = _run([capture], stream=False)
    streamed = _run([capture], stream=True, chunk=64)
    assert streamed[3] == whole[3]  # the same error, if any
    assert streamed[0] == whole[0]
    assert _shown(whole, streamed)[2] == streamed[2]
    assert streamed[1] == whole[1]


def _shown(whole: tuple, streamed: tuple) -> tuple:
    """``whole`` with only the flows ``streamed`` has: over the flow store (bounded.py) a report holds the flows its
    writers show, in the same order and with the same fields (test_flow_store checks which)."""
    if whole[2] is None or streamed[2] is None:
        return whole
    shown = {flow[0] for flow in streamed[2]}
    return (*whole[:2], [flow for flow in whole[2] if flow[0] in shown], *whole[3:])


def _with_zeek_logs() -> list[tuple[Path, Path]]:
    """(capture, its Zeek log folder) pairs from ../shared."""
    if not SHARED_ZEEK_LOGS.is_dir():
        return []
    return [(capture, logs) for capture in _every_capture() if SHARED_PCAPS in capture.parents
            for logs in [SHARED_ZEEK_LOGS / capture.name.split(".")[0]] if logs.is_dir()]


@pytest.mark.parametrize("capture,logs", _with_zeek_logs(), ids=lambda p: p.name)
def test_streamed_pipeline_with_zeek_logs_gives_the_same_results(capture: Path, logs: Path) -> None:
    whole = _run([capture], stream=False, zeek_dir=logs)
    streamed = _run([capture], stream=True, chunk=64, zeek_dir=logs)
    assert streamed == _shown(whole, streamed)


def test_streamed_pipeline_across_captures_and_payload_dropped() -> None:
    from pcap_analyzer.pipeline import read_flows

    captures = sorted(SCENARIOS.glob("*.pcap"))  # one flow table across files whose clocks go back and forth
    for order in (captures, captures[::-1]):
        streamed = _run(order, stream=True, chunk=50)
        assert streamed[:3] == _shown(_run(order, stream=False), streamed)[:3]
    captures = captures[:4]
    cfg = override(default_config(), {"pipeline": {"stream": True, "annotate_batch": 2}})
    _, flows = read_flows(captures, cfg)
    assert flows and not any(f.orig_sample or f.resp_sample or f.orig_datagrams or f.resp_datagrams or f.datagram_ts
                             for f in flows)
    assert any(f.orig_payload_seen for f in flows) and any(f.service for f in flows)
    assert [(f.ts, f.uid) for f in flows] == sorted((f.ts, f.uid) for f in flows)


def test_streamed_pipeline_with_a_packet_from_the_future(tmp_path: Path) -> None:
    """One packet with a bogus timestamp far ahead (a damaged or merged capture) must not end every open flow."""
    import dpkt

    source = max(SCENARIOS.glob("*.pcap"), key=lambda p: p.stat().st_size)
    with source.open("rb") as fh:
        reader = dpkt.pcap.Reader(fh)
        records, link = list(reader), reader.datalink()
    middle = len(records) // 2
    ts, frame = records[middle]
    records.insert(middle, (ts + 10_000_000.0, frame))  # a copy of a real packet, 116 days ahead
    damaged = tmp_path / "future.pcap"
    with damaged.open("wb") as fh:
        writer = dpkt.pcap.Writer(fh, linktype=link)
        for when, buf in records:
            writer.writepkt(buf, ts=when)
    streamed = _run([damaged], stream=True, chunk=16)
    assert streamed[:3] == _shown(_run([damaged], stream=False), streamed)[:3]
