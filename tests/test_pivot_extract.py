"""Pivot to packets: each flow's BPF filter (real tcpdump) and display filter (real tshark) select exactly its packets,
and `fallback-hunt extract` cuts exactly those packets out with the analyzer's own reader."""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import dpkt
import pytest
from clirun import assert_one_error_line, run_cli

from pcap_analyzer import pipeline
from pcap_analyzer.config import default_config
from pcap_analyzer.pivot import evidence_keys
from pcap_analyzer.homenet import HomeNet
from pcap_analyzer.pivot import bpf_filter, display_filter, links

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "pcaps" / "demo_office.pcap"
IPV6 = REPO / "pcaps" / "benign_happy_eyeballs_a.pcap"  # IPv6 and IPv4 attempts of one name
ICMP = REPO / "pcaps" / "fallback_icmp_tunnel_a.pcap"
CFG = default_config()
needs_tshark = pytest.mark.skipif(shutil.which("tshark") is None, reason="tshark is not installed")
needs_tcpdump = pytest.mark.skipif(shutil.which("tcpdump") is None,
                                   reason="tcpdump is not installed (.ci/install-sysdeps installs it)")


def analysed(path: Path):
    return pipeline.analyze([path], CFG, HomeNet(CFG.home_net.cidrs))


def every_flow(path: Path):
    """Every flow of the capture (an analysis' report holds only the flows its writers show)."""
    return pipeline.read_flows([path], CFG)[1]


def tshark_frames(path: Path, dfilter: str) -> list[tuple[str, str]]:
    """(epoch time, frame length) of every frame tshark selects."""
    out = subprocess.run(["tshark", "-n", "-r", str(path), "-Y", dfilter, "-T", "fields", "-e", "frame.time_epoch",
                          "-e", "frame.len"], capture_output=True, text=True, check=True, timeout=60).stdout
    return [tuple(line.split("\t")) for line in out.splitlines() if line]


def tcpdump_count(path: Path, bpf: str) -> int:
    out = subprocess.run(["tcpdump", "-n", "-r", str(path), bpf], capture_output=True, text=True, check=True,
                         timeout=60).stdout
    return len(out.splitlines())


@needs_tshark
@pytest.mark.parametrize("capture", [DEMO, IPV6, ICMP], ids=lambda p: p.stem)
def test_display_filter_selects_exactly_the_flow(capture):
    flows = every_flow(capture)
    checked = 0
    for flow in flows:
        frames = tshark_frames(capture, display_filter(flow))
        assert len(frames) == flow.orig_pkts + flow.resp_pkts, (flow, display_filter(flow))
        checked += 1
    assert checked == len(flows) > 3


@needs_tcpdump
@pytest.mark.parametrize("capture", [DEMO, IPV6, ICMP], ids=lambda p: p.stem)
def test_bpf_filter_selects_the_flow_and_nothing_else(capture):
    """BPF cannot bound time: it selects the flow's packets plus those of a later flow on the same 5-tuple."""
    flows = every_flow(capture)
    for flow in flows:
        same = [f for f in flows if bpf_filter(f) == bpf_filter(flow)]
        assert tcpdump_count(capture, bpf_filter(flow)) == sum(f.orig_pkts + f.resp_pkts for f in same), flow


def test_filters_name_both_directions():
    flow = every_flow(DEMO)[0]
    bpf, dfilter = bpf_filter(flow), display_filter(flow)
    for text in (flow.orig_h, flow.resp_h, str(flow.orig_p), str(flow.resp_p)):
        assert bpf.count(text) >= 2 and dfilter.count(text) >= 2


def test_links_quote_the_community_id():
    assert links("1:ab+c/d=", {"Arkime": "https://a.example/sessions?expression=communityId=={community_id}"}) == [
        ("Arkime", "https://a.example/sessions?expression=communityId==1%3Aab%2Bc%2Fd%3D")]
    assert links("", {"Arkime": "x"}) == []


@needs_tshark
def test_extract_by_community_id_is_exactly_the_flow(tmp_path):
    report = analysed(DEMO)
    escalated = next(h for h in report.hosts if h.verdict == "escalate")
    cid = next(i.community_id for i in escalated.indicators if i.type == "beaconing")
    flows = [f for f in report.flows if f.community_id == cid]
    out = tmp_path / "evidence.pcap"
    proc = run_cli("extract", DEMO, "--community-id", cid, "-o", out)
    assert proc.returncode == 0, proc.stderr
    assert f"{sum(f.orig_pkts + f.resp_pkts for f in flows)} packets of {len(flows)} flows" in proc.stdout
    cut = tshark_frames(out, "frame")
    wanted = [frame for f in flows for frame in tshark_frames(DEMO, display_filter(f))]
    assert sorted(cut) == sorted(wanted) and len(cut) == flows[0].orig_pkts + flows[0].resp_pkts
    with out.open("rb") as fh:  # dpkt reads it too, frame for frame the same bytes as the original
        ours = [bytes(buf) for _, buf in dpkt.pcap.Reader(fh)]
    with DEMO.open("rb") as fh:
        keys = {(f.orig_p, f.resp_p) for f in flows}
        original = [bytes(buf) for _, buf in dpkt.pcap.Reader(fh)
                    if isinstance(getattr(dpkt.ethernet.Ethernet(buf).data, "data", None), dpkt.tcp.TCP)
                    and {(dpkt.ethernet.Ethernet(buf).data.data.sport, dpkt.ethernet.Ethernet(buf).data.data.dport),
                         (dpkt.ethernet.Ethernet(buf).data.data.dport, dpkt.ethernet.Ethernet(buf).data.data.sport)}
                    & keys]
    assert ours == original


@needs_tshark
def test_extract_host_from_report_equals_reanalysis(tmp_path):
    out_dir = tmp_path / "out"
    assert run_cli("analyze", DEMO, "-o", out_dir, "-q").returncode == 1
    doc = json.loads((out_dir / "report.json").read_text())
    host = next(h for h in doc["hosts"] if h["verdict"] == "escalate")
    a, b = tmp_path / "a.pcap", tmp_path / "b.pcap"
    assert run_cli("extract", DEMO, "--host", host["ip"], "--report", out_dir / "report.json", "-o", a).returncode == 0
    assert run_cli("extract", DEMO, "--host", host["ip"], "-o", b).returncode == 0
    assert a.read_bytes() == b.read_bytes()
    report = analysed(DEMO)
    keys = evidence_keys(host)
    flows = [f for f in report.flows if keys & {f.uid, f.community_id}]
    assert len(flows) >= 3  # the failed lookups, the fallback TLS sessions, the dynamic-DNS lookup
    assert len(tshark_frames(a, "frame")) == sum(f.orig_pkts + f.resp_pkts for f in flows)
    assert {r[0] for r in tshark_frames(a, "frame")} == {
        r[0] for f in flows for r in tshark_frames(DEMO, display_filter(f))}


def test_extract_verdict_covers_every_escalated_host(tmp_path):
    out = tmp_path / "v.pcap"
    proc = run_cli("extract", DEMO, "--verdict", "escalate", "-o", out)
    assert proc.returncode == 0, proc.stderr
    with out.open("rb") as fh:
        hosts = {str(__import__("ipaddress").ip_address(dpkt.ethernet.Ethernet(buf).data.src))
                 for _, buf in dpkt.pcap.Reader(fh)}
    assert "192.168.10.21" in hosts and "192.168.10.34" not in hosts  # the escalated host, not the investigated one


def test_extract_errors_are_one_line(tmp_path):
    assert "needs --community-id" in assert_one_error_line(run_cli("extract", DEMO, "-o", tmp_path / "x.pcap"))
    line = assert_one_error_line(run_cli("extract", DEMO, "--community-id", "1:nope=", "-o", tmp_path / "x.pcap"))
    assert "no flow matches" in line and not (tmp_path / "x.pcap").exists()
    assert "not an IP" in assert_one_error_line(run_cli("extract", DEMO, "--host", "nohost", "-o", tmp_path / "x"))
    assert_one_error_line(run_cli("extract", DEMO, "--host", "10.0.0.1", "--report", DEMO, "-o", tmp_path / "x"))
    assert_one_error_line(run_cli("extract", DEMO, "--community-id", "x", "-o", DEMO))


@needs_tshark
def test_report_json_evidence_flows_carry_working_filters(tmp_path):
    assert run_cli("analyze", DEMO, "-o", tmp_path, "-q").returncode == 1
    doc = json.loads((tmp_path / "report.json").read_text())
    host = next(h for h in doc["hosts"] if h["verdict"] == "escalate")
    flows = host["evidence_flows"]
    assert {f["community_id"] for f in flows} >= {i["community_id"] for i in host["indicators"]}
    for flow in flows[:4]:
        frames = tshark_frames(DEMO, flow["display_filter"])
        assert frames and all(flow["first_ts"] - 1e-6 <= float(t) <= flow["last_ts"] + 1e-6 for t, _ in frames)
        assert flow["bpf"].startswith(f"{flow['proto']} and ")
    assert all(h["evidence_flows"] == [] for h in doc["hosts"] if h["verdict"] == "benign")


def test_links_config_is_checked_before_reading(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[report]\nlinks = { Arkime = "javascript:alert(1)" }\n')
    line = assert_one_error_line(run_cli("analyze", DEMO, "-o", tmp_path / "out", "--config", bad))
    assert "report.links.Arkime" in line and not (tmp_path / "out").exists()
    good = tmp_path / "good.toml"
    good.write_text('[report]\nlinks = { Arkime = "https://arkime.example/s?expression=communityId=={community_id}" }\n')
    assert run_cli("analyze", DEMO, "-o", tmp_path / "out", "--config", good, "-q").returncode == 1
    assert "https://arkime.example/s?expression=communityId==1%3A" in (tmp_path / "out" / "report.html").read_text()
