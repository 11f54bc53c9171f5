"""A small hand-made Report for the report-writer tests: one escalated host that failed on TLS/443 and fell back
to DNS, one host to investigate, one benign one. Attacker-controlled strings carry markup and quotes on purpose."""
from __future__ import annotations

from pcap_analyzer.model import ChannelMeasures, CaptureInfo, DnsMessage, Flow, HostReport, Indicator, Report, TlsInfo

T0 = 1_700_000_000.0
EVIL_QNAME = 'x<script>alert("q")</script>\'.evil.example'
EVIL_SNI = '"><script>alert(1)</script><img src=x onerror="alert(2)">'


def _failed(i: int) -> Flow:
    return Flow(uid=f"Ffail{i}", ts=T0 + 10 * i, last_ts=T0 + 10 * i + 3, proto="tcp", orig_h="10.0.0.5",
                orig_p=40000 + i, resp_h="203.0.113.10", resp_p=443, community_id=f"1:fail{i}=", orig_pkts=3,
                conn_state="S0", history="S")


def report() -> Report:
    failed = [_failed(i) for i in range(5)]
    dns = Flow(uid="Fdns", ts=T0 + 55, last_ts=T0 + 120, proto="udp", orig_h="10.0.0.5", orig_p=5353,
               resp_h="198.51.100.7", resp_p=53, community_id="1:dns=", orig_pkts=40, resp_pkts=40,
               orig_bytes=4000, resp_bytes=6000, conn_state="SF", service="dns",
               dns=[DnsMessage(T0 + 55 + k, False, k, f"{k:04x}{EVIL_QNAME}", 16, "TXT", -1, "") for k in range(8)],
               orig_measures=ChannelMeasures(4000, 5.1, 900.0, 0.0, 0.97),
               resp_measures=ChannelMeasures(6000, 7.9, 240.0, 0.6, 0.4), zeek_uids=["CzeekDNS1"])
    tls = Flow(uid="Ftls", ts=T0 + 130, last_ts=T0 + 200, proto="tcp", orig_h="10.0.0.5", orig_p=41000,
               resp_h="198.51.100.8", resp_p=8443, community_id="1:tls=", orig_pkts=20, resp_pkts=20,
               orig_bytes=3000, resp_bytes=9000, conn_state="SF", service="tls", tls=TlsInfo(sni=EVIL_SNI),
               orig_measures=ChannelMeasures(3000, 7.95, 250.0, 0.5, 0.38))
    primary = {"peer": "203.0.113.10", "port": 443, "proto": "tcp", "service": "tls", "domain": "", "state": "S0",
               "attempts": 5, "first_ts": T0, "last_ts": T0 + 43, "community_id": "1:fail0="}
    fallback = {"peer": "198.51.100.7", "port": 53, "proto": "udp", "service": "dns", "domain": EVIL_QNAME,
                "state": "SF", "attempts": 1, "first_ts": T0 + 55, "last_ts": T0 + 120, "community_id": "1:dns="}
    escalated = HostReport(
        ip="10.0.0.5", verdict="escalate", score=9.5,
        indicators=[
            Indicator("failed_then_fallback", "10.0.0.5", T0 + 55, peer="198.51.100.7", port=53, proto="udp",
                      community_id="1:dns=", evidence={"primary": primary, "fallback": fallback}, uids=["CzeekDNS1"]),
            Indicator("dns_tunnel", "10.0.0.5", T0 + 60, peer="evil.example", port=53, proto="udp",
                      community_id="1:dns=", evidence={"qname": EVIL_QNAME, "entropy": 4.2, "txt\trecords": 8}),
            Indicator("nonstandard_port_encrypted", "10.0.0.5", T0 + 130, peer="198.51.100.8", port=8443,
                      proto="tcp", community_id="1:tls=", evidence={"sni": EVIL_SNI, "service": "tls"},
                      source="suricata", uids=["Ftls"]),
        ],
        answers={
            "nonstandard_ports": {"answer": True, "evidence": [f"TLS on 8443/tcp, SNI {EVIL_SNI}"]},
            "protocol_switch": {"answer": True, "evidence": ["tls/443 -> dns/53"]},
            "unusual_dns": {"answer": True, "evidence": [f"TXT tunnel {EVIL_QNAME}"]},
            "fail_then_resume": {"answer": True, "evidence": ["5 failed attempts to 203.0.113.10:443, then DNS"]},
        },
        channels=[{"primary": primary, "fallback": fallback}],
        reasons=["5 failed TLS attempts, then a DNS TXT channel", f"tunnel name {EVIL_QNAME}"],
        same_pattern_hosts=["10.0.0.6"],
    )
    investigate = HostReport(
        ip="10.0.0.9", verdict="investigate", score=3.0,
        indicators=[Indicator("dynamic_dns", "10.0.0.9", T0 + 5, peer="home.dyndns.example", port=53, proto="udp")],
        reasons=["looked up a dynamic DNS name"],
    )
    benign = HostReport(ip="10.0.0.20", verdict="benign", score=0.5)
    info = CaptureInfo(path="/captures/office.pcap", sha256="ab" * 32, packets=1234, first_ts=T0, last_ts=T0 + 200,
                       warnings=["/captures/office.pcap: record 99 cut short; kept the packets before it"])
    return Report(inputs=[info], hosts=[benign, investigate, escalated], flows=[*failed, dns, tls],
                  notes=["Suricata was requested but is not installed"],
                  containment={"hosts": ["10.0.0.5"], "ips": ["198.51.100.7"], "sid_range": [9000000, 9000999],
                               "suricata_rules":
                                   "drop ip $HOME_NET any -> [198.51.100.7] any (msg:\"x\"; sid:9000000;)\n",
                               "zeek_intel": "198.51.100.7\tIntel::ADDR\tfallback-hunt\n"})
