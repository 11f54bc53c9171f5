"""The allowlist: parsing, matching, expiry, application to indicators / verdicts / containment (at analysis and on a
saved report), and its forms for the Zeek package and for Suricata (threshold.config in real `suricata -T`)."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from datetime import date
from ipaddress import ip_network
from pathlib import Path

import pytest
from clirun import assert_one_error_line, assert_schema_valid, run_cli
from conftest import REPO, SCENARIOS

from pcap_analyzer.decide import allowlist, allowlist_export
from pcap_analyzer import feeds
from pcap_analyzer.errors import InputError
from pcap_analyzer.homenet import HomeNet
from pcap_analyzer.model import Indicator
from pcap_analyzer.sources.suricata import rules_path

DEMO = SCENARIOS / "demo_office.pcap"


def ind(kind: str = "beaconing", host: str = "10.0.0.5", peer: str = "203.0.113.7", **evidence: object) -> Indicator:
    return Indicator(kind, host, 1.0, peer, 443, "tcp", evidence=dict(evidence))


def entry(line: str) -> allowlist.Entry:
    parsed = allowlist.parse_line(line, "test:1")
    assert parsed is not None
    return parsed


def test_every_entry_kind_parses_with_scope_expiry_and_reason() -> None:
    assert entry("203.0.113.0/24 # lab").kind == "cidr"
    assert entry("198.51.100.7 # one").value == "198.51.100.7/32"
    assert (entry("Updates.Example.com. # x").kind, entry("Updates.Example.com. # x").value) == \
        ("domain", "updates.example.com")
    assert entry("*.example.com # x").text == "*.example.com"
    assert entry("ja3:" + "A" * 32 + " # x").text == "ja3:" + "a" * 32
    assert entry("ja4:t13d1516h2_8daaf6152771_02713d6af862 # x").kind == "ja4"
    pair = entry("10.0.0.5->*.example.com indicator=beaconing,dynamic_dns expires=2031-01-31 # backup agent")
    assert (pair.kind, pair.host, pair.value) == ("pair", "10.0.0.5/32", "*.example.com")
    assert pair.indicators == {"beaconing", "dynamic_dns"} and pair.expires == date(2031, 1, 31)
    assert pair.reason == "backup agent" and allowlist.parse_line("   # only a comment", "t:2") is None


@pytest.mark.parametrize("line, words", [
    ("example.com", "no reason"),
    ("example.com #   ", "no reason"),
    ("example.com colour=blue # x", "unknown option"),
    ("example.com indicator=nope # x", "unknown indicator type nope"),
    ("example.com expires=2031-13-01 # x", "not a date"),
    ("not_a_name! # x", "is not an address"),
    ("ja3:xyz # x", "not a JA3"),
    ("host->example.com # x", "not an address or network"),
])
def test_malformed_lines_name_the_file_and_line(line: str, words: str) -> None:
    with pytest.raises(InputError, match=f"test:1: .*{words}"):
        allowlist.parse_line(line, "test:1")


def test_exact_names_wildcards_networks_fingerprints_pairs_and_scope_match() -> None:
    fallback = ind("failed_then_fallback", peer="c2.example.com",
                   primary={"peer": "192.0.2.1", "domain": "ok.example.org", "ja3": "b" * 32},
                   fallback={"peer": "203.0.113.7", "domain": "c2.example.com", "ja3": "a" * 32})
    assert allowlist.matches(entry("c2.example.com # x"), fallback)
    assert not allowlist.matches(entry("example.com # x"), fallback)  # a plain name is that name only
    assert allowlist.matches(entry("*.example.com # x"), fallback)
    assert allowlist.matches(entry("*.c2.example.com # x"), fallback)  # the zone itself is covered
    assert not allowlist.matches(entry("*.ple.com # x"), fallback)  # label boundary
    assert not allowlist.matches(entry("ok.example.org # x"), fallback)  # never the failed primary
    assert not allowlist.matches(entry("ja3:" + "b" * 32 + " # x"), fallback)
    assert allowlist.matches(entry("ja3:" + "a" * 32 + " # x"), fallback)
    assert allowlist.matches(entry("203.0.113.0/24 # x"), fallback)  # the peer
    assert allowlist.matches(entry("10.0.0.0/24 # x"), fallback)  # the host
    assert allowlist.matches(entry("10.0.0.5->203.0.113.7 # x"), fallback)
    assert not allowlist.matches(entry("10.0.0.6->203.0.113.7 # x"), fallback)
    assert not allowlist.matches(entry("10.0.0.5->*.example.org # x"), fallback)
    assert allowlist.matches(entry("*.example.com indicator=failed_then_fallback # x"), fallback)
    assert not allowlist.matches(entry("*.example.com indicator=beaconing # x"), fallback)


def test_expired_entries_are_not_applied_and_say_so() -> None:
    allow = allowlist.Allowlist.build([("f", [entry("203.0.113.7 expires=2020-01-01 # old"),
                                              entry("198.51.100.0/24 expires=2999-01-01 # still")])],
                                      today=date(2026, 1, 1))
    kept, gone = allow.apply([ind(peer="203.0.113.7"), ind(peer="198.51.100.9")])
    assert [i.peer for i in kept] == ["203.0.113.7"]
    assert gone[0]["entry"] == "198.51.100.0/24" and gone[0]["reason"] == "still" and gone[0]["where"] == "test:1"
    assert allow.notes() == ["allowlist entry 203.0.113.7/32 (test:1) expired on 2020-01-01; not applied"]


def test_shipped_lists_are_the_feeds_copies_read_whole() -> None:
    """The shipped default and never-block lists are generated from feeds/ (pcap_analyzer.feeds format); the
    allowlist reader takes every entry of them, with the note as the reason."""
    for name, feed in ((allowlist.DEFAULT_FILE, "allowlist_default"), (allowlist.NEVER_BLOCK_FILE, "never_block")):
        ours = allowlist.shipped(name)
        theirs = feeds.load(feed)
        assert [e.text for e in ours] == [str(ip_network(f.value)) if f.is_network else f.value for f in theirs]
        assert all(e.reason and ";" not in e.reason for e in ours)
        assert [sorted(e.indicators) for e in ours] == [sorted(f.indicators) for f in theirs]


def _analyze_demo(tmp_path: Path, *extra: str | Path) -> dict:
    if not DEMO.is_file():
        pytest.skip("no demo_office.pcap")
    proc = run_cli("analyze", DEMO, "-o", tmp_path / "out", "--quiet", *extra)
    assert proc.returncode in (0, 1), proc.stderr
    doc = json.loads((tmp_path / "out" / "report.json").read_text())
    assert_schema_valid(doc)
    return doc


def test_allowlist_applies_to_indicators_verdicts_and_containment_of_the_demo(tmp_path: Path) -> None:
    """The demo's escalated host falls back to upd-mirror.duckdns.org: allowlisting that name (with a reason)
    suppresses the fallback and dynamic-DNS indicators, the host drops to benign (its beacon stays, a lead), the name
    leaves containment, and the report says what was suppressed and why (JSON and HTML)."""
    before = _analyze_demo(tmp_path)
    assert before["hosts"][0]["verdict"] == "escalate" and before["suppressed"] == []
    allow = tmp_path / "allow.txt"
    allow.write_text("# ours\nupd-mirror.duckdns.org # the vendor's mirror, approved in CHG-1234\n")
    after = _analyze_demo(tmp_path, "--allowlist", allow)
    host = next(h for h in after["hosts"] if h["ip"] == "192.168.10.21")
    assert {i["type"] for i in host["indicators"]} == {"beaconing"}
    assert host["verdict"] == "benign" and host["reasons"][0].startswith("no indicator for the verdict")  # a lead
    gone = [s for s in after["suppressed"] if s["what"] == "indicator"]
    assert {s["type"] for s in gone} == {"failed_then_fallback", "dynamic_dns"}
    assert all(s["reason"] == "the vendor's mirror, approved in CHG-1234" and s["where"] == f"{allow}:2"
               for s in gone)
    assert after["containment"]["domains"] == [] and after["containment"]["hosts"] == []
    html = (tmp_path / "out" / "report.html").read_text()
    assert "Suppressed by the allowlist" in html and "approved in CHG-1234" in html


def test_allowlist_reapplied_to_a_saved_report_by_contain(tmp_path: Path) -> None:
    _analyze_demo(tmp_path)
    allow = tmp_path / "allow.txt"
    allow.write_text("192.168.10.21->203.0.113.66 indicator=beaconing # the demo host's beacon is a backup job\n"
                     "*.duckdns.org indicator=dynamic_dns,failed_then_fallback expires=2001-01-01 # expired\n")
    proc = run_cli("contain", tmp_path / "out" / "report.json", "-o", tmp_path / "c", "--allowlist", allow)
    assert proc.returncode == 0, proc.stderr
    assert "suppressed: 1 indicator(s)" in proc.stdout and "expired on 2001-01-01; not applied" in proc.stdout
    doc = json.loads((tmp_path / "c" / "report.allowlisted.json").read_text())
    assert_schema_valid(doc)
    host = next(h for h in doc["hosts"] if h["ip"] == "192.168.10.21")
    assert host["verdict"] == "escalate" and "beaconing" not in {i["type"] for i in host["indicators"]}
    (gone,) = doc["suppressed"]
    assert (gone["type"], gone["entry"], gone["kind"]) == ("beaconing", "192.168.10.21/32->203.0.113.66/32", "pair")
    allow.write_text("*.duckdns.org # every dynamic name of this provider is approved here\n")
    proc = run_cli("contain", tmp_path / "out" / "report.json", "-o", tmp_path / "d", "--allowlist", allow)
    assert "192.168.10.21: escalate -> benign (2 indicator(s) allowlisted)" in proc.stdout
    assert (tmp_path / "d" / "blocklist.txt").read_text() == ""
    bad = tmp_path / "bad.txt"
    bad.write_text("*.duckdns.org\n")
    assert "bad.txt:1: entry '*.duckdns.org' has no reason" in assert_one_error_line(
        run_cli("contain", tmp_path / "out" / "report.json", "-o", tmp_path / "e", "--allowlist", bad))


def test_zeek_input_file_has_the_package_columns() -> None:
    entries = allowlist.parse("10.0.0.0/8 indicator=beaconing # lab\n*.example.com # cdn\n"
                              "10.0.0.5->203.0.113.7 # pair\nja3:" + "a" * 32 + " # agent\n", "t")
    lines = allowlist_export.zeek_input(entries).splitlines()
    assert lines[0] == "#separator \\x09" and lines[-4] == "#fields\tentry\tkind\tindicators\treason"
    assert lines[-3:] == ["10.0.0.0/8\tcidr\tbeaconing\tlab", "*.example.com\twildcard\t*\tcdn",
                          "10.0.0.5/32->203.0.113.7/32\tpair\t*\tpair"]
    assert "1 JA3/JA4 entries left out" in lines[1]
    script = (REPO / "zeek_scripts" / "allowlist.zeek").read_text()
    assert all(re.search(rf"^\s+{col}: string;$", script, re.M) for col in ("entry", "kind", "indicators", "reason"))


@pytest.mark.suricata
def test_threshold_config_suppresses_the_shipped_rules_in_real_suricata(tmp_path: Path) -> None:
    if shutil.which("suricata") is None:
        pytest.skip("suricata not installed")
    entries = allowlist.parse("203.0.113.0/24 indicator=dns_tunnel # lab resolver\n"
                              "10.9.0.0/16 # scanner subnet\n*.example.com # cdn\n", "t")
    text = allowlist_export.suricata_threshold(entries, rules_path(), HomeNet(["10.0.0.0/8"]))
    suppress = [line for line in text.splitlines() if line.startswith("suppress ")]
    tunnel_sids = [line for line in rules_path().read_text().splitlines()
                   if "fallback_indicator dns_tunnel" in line and not line.startswith("#")]
    by_dst = [line for line in suppress if "by_dst, ip 203.0.113.0/24" in line]
    assert len(by_dst) == len(tunnel_sids) > 0
    assert all("track by_src, ip 10.9.0.0/16" in line for line in suppress if "10.9." in line)
    assert "# not expressible here (wildcard): *.example.com" in text
    threshold = tmp_path / "threshold.config"
    threshold.write_text(text)
    log = tmp_path / "log"
    log.mkdir()
    run = subprocess.run(["suricata", "-T", "-S", str(rules_path()), "-l", str(log), "--set",
                          "classification-file=/etc/suricata/classification.config", "--set",
                          f"threshold-file={threshold}"], capture_output=True, text=True, timeout=180)
    out = (log / "suricata.log").read_text()
    assert run.returncode == 0, run.stderr[-2000:] + out[-2000:]
    assert f"Threshold config parsed: {len(suppress)} rule(s) found" in out


def test_the_index_finds_what_a_scan_of_every_entry_finds() -> None:
    """The lookup index (thousands of feed entries) agrees with matching every entry in file order."""
    text = "".join(f"10.{i}.0.0/16 indicator=beaconing # n{i}\n" for i in range(0, 40, 3))
    text += "".join(f"*.z{i}.example # z{i}\nh{i}.z{i}.example # h{i}\n" for i in range(0, 40, 4))
    text += "198.51.100.0/24 # peer net\n2001:db8::/32 # v6\n10.5.0.0/16->*.z8.example # pair\nja3:" + "c" * 32 + \
        " # fp\n"
    entries = allowlist.parse(text, "t")
    index = allowlist.Index(entries)
    checked = 0
    for i in range(40):
        for peer in (f"h{i}.z{i}.example", f"q.z{i}.example", f"z{i}.example", f"198.51.100.{i}", f"2001:db8::{i}",
                     f"203.0.113.{i}"):
            for kind in ("beaconing", "dynamic_dns"):
                one = ind(kind, host=f"10.{i}.1.1", peer=peer, ja3="c" * 32 if i % 7 == 0 else "")
                scan = next((e for e in entries if allowlist.matches(e, one)), None)
                assert index.first_match(one) == scan, (kind, one.host, peer)
                checked += scan is not None
    assert checked > 100
