"""The terminal summary at scale: the top N hosts, the rest counted by pattern, nothing cut mid-word."""
from __future__ import annotations

from pathlib import Path

from clirun import run_cli
from synthetic_report import big_report

from pcap_analyzer.config import default_config
from pcap_analyzer.report.summary import cut_words, summary_text

REPO = Path(__file__).resolve().parents[1]
CFG = default_config()


def test_top_n_then_counts_by_pattern():
    lines = summary_text(big_report(), CFG, [Path("out/report.json")]).splitlines()
    hosts = [line for line in lines if line.startswith("  ESCALATE")]
    assert len(hosts) == CFG.report.top == 10
    assert "  ... and 50 more host(s) to look at (report.html groups them):" in lines
    assert any(line.split() == ["47", "escalate", "DNS", "tunnel", "under", "example.net"] for line in lines)
    assert len(lines) < 20


def test_cut_at_a_word_boundary():
    text = "then tls to upd-mirror.duckdns.org on tcp/443 (dynamic_dns); nonstandard port tcp/2222"
    for limit in range(40, len(text)):
        cut = cut_words(text, limit)
        assert len(cut) <= limit and cut.endswith("…")
        assert text.startswith(cut[:-1]) and text[len(cut) - 1] in " ;"  # ends where a word ends
    assert cut_words(text, len(text)) == text


def test_top_flag(tmp_path):
    proc = run_cli("analyze", REPO / "pcaps" / "demo_office.pcap", "-o", tmp_path, "--top", "1")
    assert proc.returncode == 1, proc.stderr
    assert "ESCALATE    192.168.10.21" in proc.stdout and "INVESTIGATE " not in proc.stdout
    assert "... and 1 more host(s) to look at" in proc.stdout
    assert "1 investigate   encrypted traffic on tcp/2222" in " ".join(proc.stdout.split()) or \
        "investigate encrypted traffic on tcp/2222" in " ".join(proc.stdout.split())


def test_patterns_keep_names_whole():
    from pcap_analyzer.model import HostReport, Indicator
    from pcap_analyzer.report.patterns import group_hosts

    def host(ip: str, name: str) -> HostReport:
        fallback = {"peer": "203.0.113.66", "domain": name, "service": "tls"}
        return HostReport(ip=ip, verdict="escalate", indicators=[
            Indicator("dynamic_dns", ip, 1.0, peer=name, evidence={"zone": "duckdns.org"}),
            Indicator("failed_then_fallback", ip, 2.0, peer=name, evidence={"primary": {}, "fallback": fallback})])

    groups = group_hosts([host("10.0.0.1", "a.duckdns.org"), host("10.0.0.2", "b.duckdns.org"),
                          host("10.0.0.3", "a.duckdns.org")])
    assert [(g.label, [h.ip for h in g.hosts]) for g in groups] == [
        ("fallback to a.duckdns.org", ["10.0.0.1", "10.0.0.3"]), ("fallback to b.duckdns.org", ["10.0.0.2"])]
