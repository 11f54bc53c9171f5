"""Host verdicts, the four answers, channels, same-pattern hosts, corroboration, and containment output."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from test_detect_helpers import context, dns_flow, failed, make_flow, tls_flow

from pcap_analyzer.config import default_config
from pcap_analyzer.decide.containment import containment
from pcap_analyzer.detect import run_all
from pcap_analyzer.sources.intel import load_intel
from pcap_analyzer.model import Indicator
from pcap_analyzer.decide.verdict import QUESTIONS, build_hosts

CONTAINMENT_SID_BASE = default_config().containment.sid_base

C2 = "198.51.100.23"


def fallback_flows(host: str, c2: str = C2, port: int = 8443) -> list:
    return [failed(host, c2, 443, 100.0 + 10 * i) for i in range(3)] + \
        [tls_flow(host, c2, port, ts=200.0 + 30 * i) for i in range(6)]


def hosts_of(flows: list, extra: list[Indicator] | None = None) -> dict:
    ctx = context(flows)
    return {h.ip: h for h in build_hosts(run_all(ctx) + (extra or []), ctx)}


def test_fallback_escalates_with_channels_answers_and_same_pattern_hosts() -> None:
    www = [("www.example.com", "A", "192.0.2.80")]
    browsing = [dns_flow("10.0.0.7", "10.0.0.1", 50.0, "www.example.com", answers=www),
                tls_flow("10.0.0.7", "192.0.2.80", sni="www.example.com", ts=51.0)]
    hosts = hosts_of(fallback_flows("10.0.0.5") + fallback_flows("10.0.0.6") + browsing)
    a, b, quiet = hosts["10.0.0.5"], hosts["10.0.0.6"], hosts["10.0.0.7"]
    assert (a.verdict, b.verdict, quiet.verdict) == ("escalate", "escalate", "benign")
    assert hosts["10.0.0.1"].verdict == "benign"  # the resolver is an internal host seen in a flow: reported too
    assert a.channels == [{"primary": a.channels[0]["primary"], "fallback": a.channels[0]["fallback"]}]
    assert a.channels[0]["fallback"]["port"] == 8443 and a.channels[0]["primary"]["port"] == 443
    assert tuple(a.answers) == QUESTIONS and tuple(quiet.answers) == QUESTIONS
    assert a.answers["nonstandard_ports"]["answer"] and a.answers["fail_then_resume"]["answer"]
    assert not a.answers["unusual_dns"]["answer"] and not quiet.answers["nonstandard_ports"]["answer"]
    (base,) = [e for e in a.answers["nonstandard_ports"]["evidence"] if e.startswith("baseline:")]
    assert "flagged: tcp/8443 tls (6 flows; 6 from other hosts)" in base and "other hosts use tcp/8443 tls (6)" in base
    assert a.same_pattern_hosts == ["10.0.0.6"] and quiet.same_pattern_hosts == []
    assert a.score > 0 and quiet.score == 0 and a.reasons and quiet.reasons == ["no indicator"]


def test_lone_indicators_investigate_and_one_odd_channel_does_not_escalate() -> None:
    ssh = make_flow("10.0.0.5", C2, 2222, service="ssh")
    # sslh: TLS then SSH on the same server port; SSH on 443 gives several indicator types, all on one channel
    sslh = [tls_flow("10.0.0.6", "192.0.2.230", ts=10.0), make_flow("10.0.0.6", "192.0.2.230", 443, ts=20.0,
                                                                     service="ssh")]
    hosts = hosts_of([ssh] + sslh)
    assert hosts["10.0.0.5"].verdict == "investigate"
    assert hosts["10.0.0.6"].verdict == "investigate"
    assert {i.type for i in hosts["10.0.0.6"].indicators} >= {"nonstandard_port_encrypted", "protocol_switch"}


def test_evasive_indicators_on_several_channels_escalate() -> None:
    flows = [make_flow("10.0.0.5", C2, 2222, service="ssh"), make_flow("10.0.0.5", "192.0.2.9", 443, service="http")]
    assert hosts_of(flows)["10.0.0.5"].verdict == "escalate"


def test_corroborating_sources_add_a_bonus_but_never_a_second_type() -> None:
    ssh = make_flow("10.0.0.5", C2, 2222, service="ssh")
    alone = hosts_of([ssh])["10.0.0.5"]
    same = Indicator("nonstandard_port_encrypted", "10.0.0.5", ssh.ts, C2, 2222, "tcp", source="suricata")
    twice = Indicator("nonstandard_port_encrypted", "10.0.0.5", ssh.ts, C2, 2222, "tcp", source="suricata")
    portless = Indicator("protocol_port_mismatch", "10.0.0.5", ssh.ts, C2, None, "", source="zeek")
    corroborated = hosts_of([ssh], [same, twice, portless])["10.0.0.5"]  # same peer: no second channel
    assert corroborated.verdict == "investigate" and alone.score < corroborated.score
    vcfg = default_config().verdict  # one bonus for suricata's copy; zeek's other type counted once
    assert corroborated.score == alone.score * (1 + vcfg.corroboration_bonus) + vcfg.weights["protocol_port_mismatch"]
    zeek_only = Indicator("failed_then_fallback", "10.0.0.9", 5.0, C2, 8443, "tcp", source="zeek")
    hosts = hosts_of([ssh], [zeek_only])  # an external fallback finding without primary/fallback evidence
    assert hosts["10.0.0.9"].verdict == "escalate" and hosts["10.0.0.9"].channels == []


def test_containment_blocks_escalated_fallback_peers_only() -> None:
    browsing = [tls_flow("10.0.0.7", "192.0.2.80", 8443, ts=51.0)]  # investigate only: not blocked
    hosts = list(hosts_of(fallback_flows("10.0.0.5") + browsing).values())
    out = containment(hosts)
    assert out["hosts"] == ["10.0.0.5"] and out["ips"] == [C2] and "192.0.2.80" not in out["blocklist"]
    assert out["blocklist"] == f"{C2}\n"
    assert out["zeek_intel"].splitlines() == ["#fields\tindicator\tindicator_type\tmeta.source\tmeta.desc",
                                               f"{C2}\tIntel::ADDR\tfallback-hunt\t"
                                               "beaconing,failed_then_fallback,nonstandard_port_encrypted"]
    (rule,) = out["suricata_rules"].splitlines()
    assert rule.startswith(f"drop ip $HOME_NET any -> [{C2}] any") and f"sid:{CONTAINMENT_SID_BASE};" in rule
    assert "metadata: fallback_indicator failed_then_fallback;" in rule
    assert containment([h for h in hosts if h.verdict != "escalate"])["suricata_rules"] == ""


def test_containment_blocks_tunnel_and_dyndns_domains_not_resolvers() -> None:
    h, r = "10.0.0.5", "9.9.9.9"
    flows = [dns_flow(h, r, 100.0 + i, "c2.example", rcode="NXDOMAIN") for i in range(3)]
    flows += [dns_flow(h, r, 120.0, "k7.duckdns.org", answers=[("k7.duckdns.org", "A", "203.0.113.61")]),
              make_flow(h, "203.0.113.61", 8081, ts=121.0, service="http")]
    out = containment(list(hosts_of(flows).values()))
    assert out["domains"] == ["k7.duckdns.org"] and out["ips"] == ["203.0.113.61"] and r not in out["blocklist"]
    assert 'dns.query; content:"k7.duckdns.org"; startswith; nocase; endswith;' in out["suricata_rules"]


@pytest.mark.suricata
def test_containment_rules_load_in_suricata(tmp_path: Path) -> None:
    if shutil.which("suricata") is None:
        pytest.skip("suricata not installed")
    h = "10.0.0.5"
    flows = fallback_flows(h) + [dns_flow(h, "10.0.0.1", 300.0, "k7.duckdns.org")]
    rules = tmp_path / "containment.rules"
    rules.write_text(containment(list(hosts_of(flows).values()))["suricata_rules"])
    assert rules.read_text().count("sid:") == 4  # drop ip, and dns.query / tls.sni / http.host for the name
    (tmp_path / "log").mkdir()
    run = subprocess.run(["suricata", "-T", "-S", str(rules), "-l", str(tmp_path / "log"),
                          "--set", "classification-file=/etc/suricata/classification.config"],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:] + run.stdout[-2000:]
    log = (tmp_path / "log" / "suricata.log").read_text()
    assert "4 rules successfully loaded, 0 rules failed" in log


def test_intel_match_escalates_only_over_an_alternate_channel(tmp_path: Path) -> None:
    (tmp_path / "intel.txt").write_text(f"{C2}\n")
    intel = load_intel(tmp_path / "intel.txt")
    odd = tls_flow("10.0.0.5", C2, 8443)  # TLS on an alternate port to a listed address
    plain = tls_flow("10.0.0.6", C2, 443)  # the ordinary port: a lone intel match
    ctx = context([odd, plain], intel)
    hosts = {h.ip: h for h in build_hosts(run_all(ctx), ctx)}
    assert hosts["10.0.0.5"].verdict == "escalate"
    assert any("intel match" in r for r in hosts["10.0.0.5"].reasons)
    assert hosts["10.0.0.6"].verdict == "investigate"


def test_a_brief_unidentified_udp_exchange_is_a_lead_and_a_lasting_one_is_not() -> None:
    from pcap_analyzer.config import default_config
    from pcap_analyzer.model import Indicator
    from pcap_analyzer.decide.verdict import is_lead

    cfg = default_config()

    def udp(seconds: float, service: str = "", **extra) -> Indicator:
        return Indicator("nonstandard_port_encrypted", "10.0.0.5", 100.0, "203.0.113.9", 9011, "udp",
                         evidence={"service": service, "first_ts": 100.0, "last_ts": 100.0 + seconds, **extra})

    assert is_lead(udp(1.0), cfg)  # a game's matchmaking burst
    assert not is_lead(udp(600.0), cfg)  # a channel that lasts
    assert not is_lead(udp(1.0, "wireguard"), cfg)  # identified: judged as what it is (a VPN)
    assert not is_lead(udp(1.0, cleartext=True), cfg)  # promoted by its evidence
    tcp = udp(1.0)
    tcp.proto = "tcp"
    assert not is_lead(tcp, cfg)  # TLS or SSH on an odd TCP port stays an indicator
    zeek = udp(1.0)
    zeek.source = "zeek"
    assert not is_lead(zeek, cfg)  # another engine's finding: its flow was not measured here
