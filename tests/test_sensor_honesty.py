"""Honest sensor inputs: every log read is listed with its record count, questions the inputs cannot answer are null
("not measurable", never false), every join reports its rate and a low one is a warning. Real Zeek logs of the
shared captures (matching and mismatched)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from clirun import assert_schema_valid, run_cli
from conftest import SCENARIOS, SHARED_PCAPS, SHARED_ZEEK_LOGS

from pcap_analyzer.report.common import QUESTIONS

IODINE = "ndpi-dns-tunnel-iodine"


def zeek_dir(name: str) -> Path:
    folder = SHARED_ZEEK_LOGS / name
    if not folder.is_dir():
        pytest.skip("../shared/zeek-logs is not present beside the repository")
    return folder


def analyze(tmp_path: Path, *args: str | Path) -> tuple[dict, str, str]:
    proc = run_cli("analyze", *args, "-o", tmp_path / "out")
    assert proc.returncode in (0, 1), proc.stderr
    doc = json.loads((tmp_path / "out" / "report.json").read_text())
    assert_schema_valid(doc)
    return (doc, proc.stdout,
            (tmp_path / "out" / "report.html").read_text())


def data_lines(path: Path) -> int:
    return sum(1 for line in path.read_text().splitlines() if line.strip() and not line.startswith("#"))


def test_zeek_logs_alone_answer_null_where_they_cannot_look_and_list_every_log(tmp_path: Path) -> None:
    logs = zeek_dir(IODINE)
    report, _, html = analyze(tmp_path, "--zeek-logs", logs)
    listed = {Path(i["path"]).name: i for i in report["inputs"]}
    assert set(listed) == {p.name for p in logs.iterdir() if p.name in ("conn.log", "dns.log", "weird.log")}
    for name, entry in listed.items():
        assert entry["kind"] == "zeek_log" and entry["lines"] == data_lines(logs / name) > 0
    hosts = [h for h in report["hosts"] if h["indicators"]]
    assert hosts, "the iodine tunnel is seen from dns.log"
    for host in report["hosts"]:
        for question in ("nonstandard_ports", "protocol_switch"):
            got = host["answers"][question]
            assert got["answer"] in (None, True), (host["ip"], question)  # never "no": no payload was seen
            if got["answer"] is None:
                assert "needs payload" in got["note"]
        assert host["answers"]["fail_then_resume"]["answer"] in (False, True)  # conn.log answers it
    tunnel = next(h for h in hosts if any(i["type"] == "dns_tunnel" for i in h["indicators"]))
    assert tunnel["answers"]["unusual_dns"]["answer"] is True
    assert "not measurable" in html


def test_zeek_logs_without_dns_log_cannot_answer_the_dns_question(tmp_path: Path) -> None:
    source = zeek_dir(IODINE)
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "conn.log").write_text((source / "conn.log").read_text())
    report, _, _ = analyze(tmp_path, "--zeek-logs", logs)
    assert report["hosts"] and all(h["answers"]["unusual_dns"]["answer"] is None for h in report["hosts"])
    assert all(h["answers"][q]["answer"] is not False for h in report["hosts"] for q in QUESTIONS[:3])


def test_zeek_join_rate_of_matching_and_mismatched_logs(tmp_path: Path) -> None:
    capture = SHARED_PCAPS / "malicious" / f"{IODINE}.pcap"
    if not capture.is_file():
        pytest.skip("../shared/pcaps is not present")
    report, stdout, _ = analyze(tmp_path, capture, "--zeek-logs", zeek_dir(IODINE))
    (note,) = [n for n in report["notes"] if "Zeek join" in n]
    flows = data_lines(zeek_dir(IODINE) / "conn.log")
    assert not note.startswith("warning") and f"of {flows} (" in note, note
    demo = SCENARIOS / "demo_office.pcap"
    report, stdout, html = analyze(tmp_path, demo, "--zeek-logs", zeek_dir(IODINE))
    (note,) = [n for n in report["notes"] if "Zeek join" in n]
    assert note.startswith("warning: low join rate") and "0 of 29 (0%)" in note
    assert "warning: low join rate, Zeek join: flows that matched a conn.log line: 0 of 29" in stdout
    assert "0 of 29" in html


def test_eve_join_rate_is_reported_and_a_foreign_eve_warns(tmp_path: Path) -> None:
    demo = SCENARIOS / "demo_office.pcap"
    if not demo.is_file():
        pytest.skip("no demo_office.pcap")
    alert = {"event_type": "alert", "timestamp": "2001-01-01T00:00:00.000000+0000", "src_ip": "10.99.0.1",
             "src_port": 1234, "dest_ip": "203.0.113.250", "dest_port": 443, "proto": "TCP",
             "alert": {"signature_id": 1, "signature": "other capture", "rev": 1}}
    eve = tmp_path / "eve.json"
    eve.write_text(json.dumps(alert) + "\n" + json.dumps({"event_type": "flow"}) + "\n")
    report, stdout, _ = analyze(tmp_path, demo, "--eve", eve)
    (note,) = [n for n in report["notes"] if "EVE join" in n]
    assert note.startswith("warning: low join rate") and "0 of 1 (0%)" in note
    assert {"path": str(eve), "kind": "eve", "lines": 2} in report["inputs"]


def test_corroboration_keeps_the_analyzers_narrative(tmp_path: Path) -> None:
    """Problem 4: with --suricata the demo host's reason is the analyzer's story, with Suricata added to it."""
    demo = SCENARIOS / "demo_office.pcap"
    if not demo.is_file():
        pytest.skip("no demo_office.pcap")
    import shutil
    if shutil.which("suricata") is None:
        pytest.skip("suricata not installed")
    report, stdout, _ = analyze(tmp_path, demo, "--suricata")
    host = next(h for h in report["hosts"] if h["verdict"] == "escalate")
    assert any(i["source"] == "suricata" and i["type"] == "failed_then_fallback" for i in host["indicators"])
    reason = host["reasons"][0]
    assert reason.startswith("failed_then_fallback: dns to office-update-svc.com:53 failed (3 attempts, NXDOMAIN), "
                             "then tls to upd-mirror.duckdns.org on tcp/443"), reason
    assert reason.endswith(")") and "(corroborated by suricata sid 10080" in reason
    assert reason[:150] in stdout  # the terminal tells the same story (cut to [report] max_text)


def test_zeek_and_suricata_corroboration_is_added_to_the_reason() -> None:
    from pcap_analyzer.config import default_config
    from pcap_analyzer.model import HostReport, Indicator
    from pcap_analyzer.decide.verdict import judge

    evidence = {"primary": {"peer": "192.0.2.1", "port": 443, "proto": "tcp", "service": "tls", "attempts": 3,
                            "state": "S0"},
                "fallback": {"peer": "203.0.113.9", "port": 8443, "proto": "tcp", "service": "tls"},
                "reasons": ["nonstandard_port"]}
    own = Indicator("failed_then_fallback", "10.0.0.5", 9.0, "203.0.113.9", 8443, "tcp", "1:abc", evidence)
    zeek = Indicator("failed_then_fallback", "10.0.0.5", 1.0, "203.0.113.9", 8443, "tcp", "1:abc",
                     {"zeek": [{"zeek_log": "notice", "note": "FallbackChannels::Failed_Then_Fallback"}]}, "zeek")
    suri = Indicator("failed_then_fallback", "10.0.0.5", 2.0, "203.0.113.9", 8443, "tcp", "1:abc",
                     {"sid": 1008001}, "suricata")
    other = Indicator("failed_then_fallback", "10.0.0.5", 3.0, "198.51.100.1", 80, "tcp", "1:zzz",
                      {"sid": 1008002}, "suricata")  # another channel: no corroboration
    host = judge(HostReport("10.0.0.5", indicators=[zeek, suri, other, own]), default_config())
    assert host.verdict == "escalate"
    assert host.reasons[0] == ("failed_then_fallback: tls to 192.0.2.1:443 failed (3 attempts, S0), then tls to "
                               "203.0.113.9 on tcp/8443 (nonstandard_port) (corroborated by suricata sid 1008001, "
                               "zeek notice FallbackChannels::Failed_Then_Fallback)")
