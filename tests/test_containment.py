"""Containment that cannot hurt: exact targets, the never-block list, SID bases, caps with a note, domain rules,
nftables; loaded into real Suricata (`suricata -T`) and checked by real nft (`nft -c -f`) where installed."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from clirun import assert_one_error_line, run_cli
from conftest import SCENARIOS

from pcap_analyzer.config import default_config
from pcap_analyzer.decide.containment import containment, never_block
from pcap_analyzer.model import HostReport, Indicator

NEVER = ("google.com", "microsoft.com", "amazonaws.com", "duckdns.org", "github.com", "office365.com")


def fallback(host: str, peer: str, domain: str = "", ts: float = 1.0) -> Indicator:
    """A failed_then_fallback indicator shaped as the analyzer writes it."""
    return Indicator("failed_then_fallback", host, ts, domain or peer, 443, "tcp", evidence={
        "primary": {"peer": "192.0.2.1", "port": 443, "proto": "tcp", "service": "tls", "attempts": 3, "state": "S0"},
        "fallback": {"peer": peer, "domain": domain, "port": 443, "proto": "tcp", "service": "tls", "attempts": 1},
        "reasons": ["dynamic_dns"]})


def escalated(ip: str, *inds: Indicator) -> HostReport:
    return HostReport(ip=ip, verdict="escalate", indicators=list(inds))


def every_artifact(out: dict) -> str:
    return "\n".join([out["suricata_rules"], out["nftables"], out["zeek_intel"], out["blocklist"],
                      *out["ips"], *out["domains"]])


def test_platforms_cdns_cloud_and_provider_apexes_are_never_blocked(tmp_path: Path) -> None:
    """Problem 1: fallbacks to big platforms and a protocol switch keyed on a registrable domain."""
    hosts = [escalated(f"10.0.0.{i}", fallback(f"10.0.0.{i}", f"203.0.113.{i}", name))
             for i, name in enumerate([*NEVER, "docs.google.com", "k7.duckdns.org"], 1)]
    switch = Indicator("protocol_switch", "10.0.0.50", 5.0, "amazonaws.com", 443, "tcp", evidence={
        "key": "amazonaws.com", "from": {"peer": "203.0.113.70", "service": "http"},
        "to": {"peer": "203.0.113.71", "service": "tls"}})
    tunnel = Indicator("dns_tunnel", "10.0.0.51", 6.0, "duckdns.org", 53, "udp", evidence={"zone": "duckdns.org"})
    resolver = Indicator("beaconing", "10.0.0.52", 7.0, "8.8.8.8", 53, "udp")
    hosts += [escalated("10.0.0.50", switch), escalated("10.0.0.51", tunnel), escalated("10.0.0.52", resolver)]
    out = containment(hosts)
    text = every_artifact(out)
    for apex in NEVER:
        assert not re.search(rf"(?<![\w.-]){re.escape(apex)}(?![\w-])", text), apex  # as a whole name
    assert "docs.google.com" not in text and "8.8.8.8" not in text
    assert out["domains"] == ["k7.duckdns.org"]  # one customer's exact name under a provider stays blockable
    assert "203.0.113.71" in out["ips"] and "203.0.113.70" not in out["ips"]  # the address switched to, no apex
    gone = {s["target"]: s for s in out["suppressed"]}
    assert set(gone) >= {*NEVER, "docs.google.com", "8.8.8.8"}
    assert gone["google.com"]["list"] == "never-block" and gone["google.com"]["entry"] == "*.google.com"
    assert gone["google.com"]["reason"] and gone["docs.google.com"]["entry"] == "*.google.com"
    assert "never the zone" in gone["duckdns.org"]["reason"]
    assert "Google Public DNS" in gone["8.8.8.8"]["reason"]
    assert any("left out by the never-block list" in n for n in out["notes"])
    (tmp_path / "safe.rules").write_text(out["suricata_rules"])
    log = _suricata_test([tmp_path / "safe.rules"], tmp_path)
    assert f"{out['suricata_rules'].count('sid:')} rules successfully loaded, 0 rules failed" in log


def test_never_block_list_covers_each_class_with_a_reason() -> None:
    entries = {e.text: e for e in never_block()}
    for name in ("*.google.com", "*.microsoft.com", "amazonaws.com", "duckdns.org", "akamaiedge.net", "1.1.1.1/32"):
        assert name in entries and entries[name].reason, name


def test_rule_cap_is_shared_between_addresses_and_names_and_noted(tmp_path: Path) -> None:
    """Problem 2: ~1,900 addresses and ~1,400 names gave 100 `drop ip` rules, no domain rule, no note."""
    hosts = [escalated(f"10.1.{i // 250}.{i % 250}", fallback(f"10.1.{i // 250}.{i % 250}",
                                                              f"198.18.{i // 250}.{i % 250}", f"c2-{i}.example"))
             for i in range(1900)]
    out = containment(hosts)
    rules = out["suricata_rules"].splitlines()
    cap = default_config().containment.max_rules
    assert len(rules) == cap
    sids = [int(m) for m in re.findall(r"sid:(\d+);", out["suricata_rules"])]
    assert sids == list(range(out["sid_range"][0], out["sid_range"][0] + cap))
    names = cap // 2 // 3  # half the budget for names (3 rules each), the rest for addresses
    assert sum(r.startswith("drop ip ") for r in rules) == cap - 3 * names
    assert {"dns.query;", "tls.sni;", "http.host;"} <= {w for r in rules for w in r.split() if w.endswith(";")}
    (note,) = [n for n in out["notes"] if "rule cap" in n]
    assert f"{1900 - (cap - 3 * names)} of 1900 addresses" in note and f"{1900 - names} of 1900 names" in note
    assert len(out["blocklist"].splitlines()) == 3800 and out["nftables"].count("198.18.") == 1900
    (tmp_path / "cap.rules").write_text(out["suricata_rules"])
    log = _suricata_test([tmp_path / "cap.rules"], tmp_path)
    assert f"{cap} rules successfully loaded, 0 rules failed" in log


def test_names_match_exactly_and_tunnel_zones_with_their_subdomains() -> None:
    tunnel = Indicator("dns_tunnel", "10.0.0.9", 1.0, "t.example.net", 53, "udp", evidence={"zone": "t.example.net"})
    out = containment([escalated("10.0.0.8", fallback("10.0.0.8", "203.0.113.8", "c2.example.org")),
                       escalated("10.0.0.9", tunnel)])
    rules = out["suricata_rules"]
    assert 'tls.sni; content:"c2.example.org"; startswith; nocase; endswith;' in rules
    assert 'dns.query; dotprefix; content:".t.example.net"; nocase; endswith;' in rules


def test_sid_base_is_configurable_and_validated(tmp_path: Path) -> None:
    hosts = [escalated("10.0.0.8", fallback("10.0.0.8", "203.0.113.8", "c2.example.org"))]
    out = containment(hosts, sid_base=2000000)
    assert out["sid_range"] == [2000000, 2000099] and "sid:2000000;" in out["suricata_rules"]
    report = _saved_demo_report(tmp_path)
    proc = run_cli("contain", report, "-o", tmp_path / "x", "--sid-base", str(2**32 - 10))
    assert "--sid-base" in assert_one_error_line(proc)
    proc = run_cli("contain", report, "-o", tmp_path / "x", "--sid-base", "1008000")  # the shipped rules' block
    assert "holds SID 10080" in assert_one_error_line(proc) and "shipped ruleset" in proc.stderr


def _saved_demo_report(tmp_path: Path) -> Path:
    demo = SCENARIOS / "demo_office.pcap"
    if not demo.is_file():
        pytest.skip("no demo_office.pcap")
    out = tmp_path / "demo"
    proc = run_cli("analyze", demo, "-o", out, "--quiet")
    assert proc.returncode == 1, proc.stderr
    return out / "report.json"


def _suricata_test(rules: list[Path], tmp_path: Path, threshold: Path | None = None) -> str:
    if shutil.which("suricata") is None:
        pytest.skip("suricata not installed")
    log = tmp_path / "suricata-log"
    log.mkdir(exist_ok=True)
    cmd = ["suricata", "-T", "-l", str(log), "--set", "classification-file=/etc/suricata/classification.config"]
    for path in rules:
        cmd += ["-S", str(path)] if len(rules) == 1 else []
    if len(rules) > 1:  # several rule files: through the rule-files list
        cmd += ["--set", f"default-rule-path={rules[0].parent}"] + [
            a for i, p in enumerate(rules) for a in ("--set", f"rule-files.{i}={p.name}")]
    if threshold is not None:
        cmd += ["--set", f"threshold-file={threshold}"]
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
    text = (log / "suricata.log").read_text() if (log / "suricata.log").exists() else ""
    assert run.returncode == 0, run.stderr[-2000:] + run.stdout[-2000:] + text[-2000:]
    return text


@pytest.mark.suricata
def test_contain_from_a_saved_report_loads_in_suricata_and_nft(tmp_path: Path) -> None:
    report = _saved_demo_report(tmp_path)
    proc = run_cli("contain", report, "-o", tmp_path / "block")
    assert proc.returncode == 0, proc.stderr
    assert "contained 1 host(s): 1 addresses, 1 names, 4 Suricata rules" in proc.stdout
    block = tmp_path / "block"
    assert (block / "blocklist.txt").read_text() == "203.0.113.66\nupd-mirror.duckdns.org\n"
    rules = (block / "containment.rules").read_text()
    assert rules.count("sid:") == 4 and "duckdns.org\"" not in rules.replace("upd-mirror.duckdns.org", "")
    log = _suricata_test([block / "containment.rules"], tmp_path)
    assert "4 rules successfully loaded, 0 rules failed" in log
    _nft_check(block / "containment.nft")
    wider = run_cli("contain", report, "-o", tmp_path / "wide", "--verdict", "investigate")
    assert wider.returncode == 0 and "198.51.100.222" in (tmp_path / "wide" / "blocklist.txt").read_text()


@pytest.mark.suricata
def test_two_reports_rules_load_together_with_different_sid_bases(tmp_path: Path) -> None:
    report = _saved_demo_report(tmp_path)
    data = json.loads(report.read_text())
    data["hosts"][0]["indicators"][0]["peer"] = "203.0.113.99"  # a second, different report
    other = tmp_path / "other.json"
    other.write_text(json.dumps(data))
    for name, src, base in (("a", report, "1009000"), ("b", other, "1009100")):
        assert run_cli("contain", src, "-o", tmp_path / name, "--sid-base", base, "-q").returncode == 0
    rules_dir = tmp_path / "rules"
    rules_dir.mkdir()
    for name in ("a", "b"):
        shutil.copy(tmp_path / name / "containment.rules", rules_dir / f"{name}.rules")
    total = sum((rules_dir / f"{n}.rules").read_text().count("sid:") for n in ("a", "b"))
    log = _suricata_test([rules_dir / "a.rules", rules_dir / "b.rules"], tmp_path)
    assert "Duplicate signature" not in log
    assert f"2 rule files processed. {total} rules successfully loaded, 0 rules failed" in log
    same = run_cli("contain", other, "-o", tmp_path / "c", "--sid-base", "1009000", "-q")
    assert same.returncode == 0
    shutil.copy(tmp_path / "c" / "containment.rules", rules_dir / "b.rules")  # same base: the collision is real
    if shutil.which("suricata"):
        clash = subprocess.run(["suricata", "-T", "-l", str(tmp_path / "suricata-log"), "--set",
                                "classification-file=/etc/suricata/classification.config", "--set",
                                f"default-rule-path={rules_dir}", "--set", "rule-files.0=a.rules", "--set",
                                "rule-files.1=b.rules"], capture_output=True, text=True, timeout=180)
        assert "Duplicate signature" in clash.stdout + clash.stderr + \
            (tmp_path / "suricata-log" / "suricata.log").read_text()


def _nft_check(path: Path) -> None:
    nft = shutil.which("nft") or ("/usr/sbin/nft" if Path("/usr/sbin/nft").exists() else None)
    if nft is None:
        pytest.skip("nft not installed (Debian package nftables)")
    run = subprocess.run([nft, "-c", "-f", str(path)], capture_output=True, text=True, timeout=60)
    if run.returncode != 0 and "Operation not permitted" in run.stderr:
        pytest.skip("nft -c needs CAP_NET_ADMIN here")
    assert run.returncode == 0, run.stderr


def test_nftables_file_with_both_families_and_none_passes_nft_check(tmp_path: Path) -> None:
    out = containment([escalated("10.0.0.8", fallback("10.0.0.8", "203.0.113.8"),
                                 fallback("10.0.0.8", "2001:db8::8"))])
    assert "elements = { 203.0.113.8 }" in out["nftables"] and "elements = { 2001:db8::8 }" in out["nftables"]
    (tmp_path / "a.nft").write_text(out["nftables"])
    (tmp_path / "empty.nft").write_text(containment([])["nftables"])
    _nft_check(tmp_path / "a.nft")
    _nft_check(tmp_path / "empty.nft")
