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


LONG_LABEL = "a" * 63  # a DNS label of the longest length: names that push tables off the page


def big_report(tunnel_hosts: int = 57, other_hosts: int = 3, benign_hosts: int = 400, extra: int = 150) -> Report:
    """A report at scale: ``tunnel_hosts`` hosts share one pattern (failed TLS, then a DNS tunnel under example.net),
    ``other_hosts`` escalate on other channels, each with ``extra`` more indicators and flows (odd-port TLS) and
    about 300 bullets in its four questions; long names everywhere."""
    hosts, flows = [], []
    for n in range(tunnel_hosts + other_hosts):
        ip = f"10.1.{n // 200}.{n % 200 + 1}"
        tunnel = n < tunnel_hosts
        zone = "example.net" if tunnel else f"c2.example-{n}.org"
        qname = f"{LONG_LABEL}.{n:04x}.{zone}"
        t0 = T0 + 3600 * n
        fail = [Flow(uid=f"F{n}f{i}", ts=t0 + i, last_ts=t0 + i + 3, proto="tcp", orig_h=ip, orig_p=40000 + i,
                     resp_h="203.0.113.10", resp_p=443, community_id=f"1:{n}f{i}=", orig_pkts=3, conn_state="S0",
                     history="S") for i in range(5)]
        dns = Flow(uid=f"F{n}d", ts=t0 + 10, last_ts=t0 + 900, proto="udp", orig_h=ip, orig_p=5353,
                   resp_h="198.51.100.7", resp_p=53, community_id=f"1:{n}d=", orig_pkts=300, resp_pkts=300,
                   orig_bytes=40000, resp_bytes=60000, conn_state="SF", service="dns",
                   dns=[DnsMessage(t0 + 10 + k, False, k, f"{k:04x}.{qname}", 16, "TXT", -1, "") for k in range(300)],
                   orig_measures=ChannelMeasures(4000, 5.1, 900.0, 0.0, 0.97),
                   resp_measures=ChannelMeasures(6000, 6.9, 240.0, 0.6, 0.4))
        odd = [Flow(uid=f"F{n}o{i}", ts=t0 + 20 + i, last_ts=t0 + 21 + i, proto="tcp", orig_h=ip, orig_p=50000 + i,
                    resp_h=f"192.0.2.{i % 250 + 1}", resp_p=8000 + i, community_id=f"1:{n}o{i}=", orig_pkts=9,
                    resp_pkts=9, orig_bytes=900, resp_bytes=900, conn_state="SF", service="tls",
                    tls=TlsInfo(sni=f"{LONG_LABEL}.{i}.{zone}"),
                    orig_measures=ChannelMeasures(900, 7.0 + (i % 10) / 10, 250.0, 0.5, 0.38))
               for i in range(extra)]
        flows += [*fail, dns, *odd]
        primary = {"peer": "203.0.113.10", "port": 443, "proto": "tcp", "service": "tls", "domain": "",
                   "state": "S0", "attempts": 5, "first_ts": t0, "last_ts": t0 + 7, "community_id": f"1:{n}f0="}
        fallback = {"peer": "198.51.100.7", "port": 53, "proto": "udp", "service": "dns", "domain": zone,
                    "state": "SF", "attempts": 1, "first_ts": t0 + 10, "last_ts": t0 + 900, "community_id": f"1:{n}d="}
        inds = [Indicator("failed_then_fallback", ip, t0 + 10, peer=zone, port=53, proto="udp",
                          community_id=f"1:{n}d=", uids=[f"F{n}d"],
                          evidence={"primary": primary, "fallback": fallback, "reasons": ["dns_tunnel"]}),
                Indicator("dns_tunnel" if tunnel else "icmp_tunnel", ip, t0 + 11, peer=zone, port=53, proto="udp",
                          community_id=f"1:{n}d=", uids=[f"F{n}d"],
                          evidence={"zone": zone, "queries": 300, "duration": 890.0, "examples": [qname] * 5})]
        inds += [Indicator("nonstandard_port_encrypted", ip, f.ts, peer=f.resp_h, port=f.resp_p, proto="tcp",
                           community_id=f.community_id, uids=[f.uid], evidence={"service": "tls", "sni": f.tls.sni,
                                                                                "first_ts": f.ts, "last_ts": f.last_ts})
                 for f in odd]
        bullets = [f"nonstandard_port_encrypted (analyzer): tcp/{f.resp_p} {f.resp_h} [{f.community_id}]" for f in odd]
        hosts.append(HostReport(
            ip=ip, verdict="escalate", score=70.0 + n % 7, indicators=inds,
            answers={"nonstandard_ports": {"answer": True, "evidence": bullets},
                     "protocol_switch": {"answer": True, "evidence": bullets},
                     "unusual_dns": {"answer": True, "evidence": [f"dns_tunnel under {zone}", qname, qname]},
                     "fail_then_resume": {"answer": True, "evidence": ["5 failed attempts on 203.0.113.10:443"]}},
            channels=[{"primary": primary, "fallback": fallback}],
            reasons=[f"failed_then_fallback: tls to 203.0.113.10:443 failed (5 attempts, S0), then dns to {zone} "
                     "on udp/53 (dns_tunnel)", f"DNS tunnel under {zone} lasts: 300 queries over 890 s"],
        ))
    names = [h.ip for h in hosts]
    for h in hosts[:tunnel_hosts]:
        h.same_pattern_hosts = [x for x in names[:tunnel_hosts] if x != h.ip]
    hosts += [HostReport(ip=f"10.2.{k // 250}.{k % 250 + 1}", reasons=["no indicator"]) for k in range(benign_hosts)]
    info = CaptureInfo(path="/captures/big.pcap", sha256="cd" * 32, packets=400_000, first_ts=T0,
                       last_ts=T0 + 3600 * 61)
    return Report(inputs=[info], hosts=hosts, flows=flows, notes=[])
