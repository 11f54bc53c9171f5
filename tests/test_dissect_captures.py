"""Dissectors on payloads of real captures (../shared/pcaps), extracted by a plain dpkt loop (not our reader)."""
from __future__ import annotations

import shutil
import socket
import subprocess
from pathlib import Path

import dpkt
import pytest

from conftest import SHARED_PCAPS, shared_captures, zeek_log_rows
from pcap_analyzer import dissect
from pcap_analyzer.measures import measures
from pcap_analyzer.config import default_config
from pcap_analyzer.dissect.dns import parse_dns, parse_dns_stream
from pcap_analyzer.model import Flow

_PROTO = {dpkt.ip.IP_PROTO_TCP: "tcp", dpkt.ip.IP_PROTO_UDP: "udp", dpkt.ip.IP_PROTO_ICMP: "icmp",
          dpkt.ip.IP_PROTO_ICMP6: "icmp"}


KNOWN_SERVICES = {"", "dns", "tls", "ssh", "http", "quic", "icmp", "smtp", "ftp", "pop3", "imap", "irc",
                  # application protocols (dissect/stun.py ... ; [apps] classes)
                  "stun", "dtls", "rtp", "rtcp", "sip", "wireguard", "openvpn", "ike", "esp", "teredo", "rdp",
                  "kerberos", "bittorrent", "ntp", "speedtest", "raknet"}


def _reader(f):
    try:
        return dpkt.pcap.Reader(f)
    except ValueError:
        f.seek(0)
        return dpkt.pcapng.Reader(f)


def _packets(path: Path):
    """(ts, ip packet) of every Ethernet/IP packet, in file order."""
    with open(path, "rb") as f:
        for ts, buf in _reader(f):
            try:
                ip = dpkt.ethernet.Ethernet(buf).data
            except (dpkt.UnpackError, IndexError):
                continue
            if isinstance(ip, (dpkt.ip.IP, dpkt.ip6.IP6)) and getattr(ip, "p", None) in _PROTO:
                yield float(ts), ip


def _addr(ip, attr: str) -> str:
    raw = getattr(ip, attr)
    return socket.inet_ntop(socket.AF_INET6 if len(raw) == 16 else socket.AF_INET, raw)


def capture_flows(path: Path) -> list[Flow]:
    """Bidirectional flows (originator = first sender) with every payload retained, like the flow stage would."""
    flows: dict[tuple, Flow] = {}
    for ts, ip in _packets(path):
        proto = _PROTO[ip.p]
        l4 = ip.data
        if isinstance(l4, bytes):  # a later fragment: no L4 header
            continue
        src, dst = _addr(ip, "src"), _addr(ip, "dst")
        sport, dport = (l4.sport, l4.dport) if proto in ("tcp", "udp") else (0, 0)
        key = (proto, *sorted([(src, sport), (dst, dport)]))
        flow = flows.get(key)
        if flow is None:
            flow = flows[key] = Flow(uid=f"F{len(flows)}", ts=ts, last_ts=ts, proto=proto, orig_h=src,
                                     orig_p=sport, resp_h=dst, resp_p=dport, ip_ver=6 if ip.v == 6 else 4)
        from_orig = (src, sport) == (flow.orig_h, flow.orig_p)
        if proto == "tcp":
            if from_orig:
                flow.orig_sample += bytes(l4.data)
            else:
                flow.resp_sample += bytes(l4.data)
        else:  # UDP payload, or the whole ICMP message including its 8-byte header
            datagram = bytes(l4.data) if proto == "udp" else bytes(l4)
            (flow.orig_datagrams if from_orig else flow.resp_datagrams).append(datagram)
            flow.datagram_ts.append((ts, from_orig))
    return list(flows.values())


def annotated(name: str) -> list[Flow]:
    path = next(p for kind in ("benign", "malicious", "malformed") for p in shared_captures(kind) if p.name == name)
    flows = capture_flows(path)
    dissect.annotate_all(flows, default_config())
    measures.annotate_all(flows, default_config())
    return flows


@pytest.fixture(autouse=True)
def _need_shared(shared_pcaps):
    return shared_pcaps


def _tshark_client_hellos(path: Path, decode_as: str) -> dict[int, list[str]]:
    """tshark's own JA3 (md5, full string) and SNI of every ClientHello, by client port."""
    if shutil.which("tshark") is None:
        pytest.skip("tshark is not installed")
    out = subprocess.run(
        ["tshark", "-r", str(path), "-d", decode_as, "-Y", "tls.handshake.type == 1", "-T", "fields",
         "-e", "tcp.srcport", "-e", "tls.handshake.ja3", "-e", "tls.handshake.ja3_full",
         "-e", "tls.handshake.extensions_server_name"],
        capture_output=True, text=True, timeout=60, check=True,
    ).stdout
    return {int(line.split("\t")[0]): line.split("\t")[1:] for line in out.splitlines() if line}


def test_tls_on_port_80_with_ja3_matching_tshark():
    path = SHARED_PCAPS / "malicious" / "ndpi-tls_port_80.pcapng"
    [flow] = [f for f in annotated(path.name) if f.proto == "tcp"]
    assert (flow.resp_p, flow.service, flow.expected_service) == (80, "tls", "http")
    assert flow.tls.client_hello and flow.tls.server_hello  # this client sends no SNI
    assert flow.tls.ja3_string.count(",") == 4
    assert _tshark_client_hellos(path, "tcp.port==80,tls") == {
        flow.orig_p: [flow.tls.ja3, flow.tls.ja3_string, flow.tls.sni]}


@pytest.mark.parametrize("kind, name", [("malicious", "ndpi-emotet.pcap"), ("benign", "zeek-smtp.pcap"),
                                        ("benign", "zeek-tls-tls-1.2-stream-keylog.pcap")])
def test_ja3_and_sni_match_tshark(kind, name):
    ours = {f.orig_p: [f.tls.ja3, f.tls.ja3_string, f.tls.sni] for f in annotated(name)
            if f.tls is not None and f.tls.client_hello}
    assert ours and ours == _tshark_client_hellos(SHARED_PCAPS / kind / name, "tcp.port==443,tls")


def _zeek_log(capture: str, log: str) -> list[dict[str, str]]:
    path = SHARED_PCAPS.parent / "zeek-logs" / capture / log
    if not path.is_file():
        pytest.skip(f"no Zeek {log} for {capture}")
    return zeek_log_rows(path)


@pytest.mark.parametrize("name", ["zeek-tls-tls-1.2-stream-keylog", "zeek-tls-ssl.v3",
                                  "zeek-ssl-and-ssh-using-sslh"])
def test_tls_version_and_sni_agree_with_zeek(name):
    ours = {f.orig_p: f.tls for f in annotated(f"{name}.pcap") if f.service == "tls"}
    zeek = {int(row["id.orig_p"]): row for row in _zeek_log(name, "ssl.log")}
    assert ours and set(ours) == set(zeek)
    for port, row in zeek.items():
        assert ours[port].version == row["version"]
        assert ours[port].sni == ("" if row["server_name"] == "-" else row["server_name"])


def test_ssh_banners_and_sslh_multiplexing_on_one_port():
    ssh_flows = [f for f in annotated("zeek-ssh-ssh.pcap") if f.service == "ssh"]
    assert ssh_flows and all(b.startswith("SSH-") for f in ssh_flows for b in f.ssh_banners)
    zeek = {int(row["id.orig_p"]): row for row in _zeek_log("zeek-ssh-ssh", "ssh.log")}
    ours = {f.orig_p: f.ssh_banners for f in ssh_flows}
    for port, row in zeek.items():
        assert ours[port] == [row["client"], row["server"]]
    sslh = annotated("zeek-ssl-and-ssh-using-sslh.pcap")
    ports = {f.resp_p for f in sslh if f.service in ("ssh", "tls")}
    assert {f.service for f in sslh if f.resp_p in ports} >= {"ssh", "tls"} and len(ports) == 1


def test_http_requests_and_responses():
    flows = [f for f in annotated("zeek-http-bro.org.pcap") if f.service == "http"]
    requests = [m for f in flows for m in f.http if m.is_request]
    responses = [m for f in flows for m in f.http if not m.is_request]
    assert requests and responses
    assert all(m.method and m.uri.startswith("/") and m.host for m in requests)
    assert all(100 <= m.status <= 599 for m in responses)


def test_line_protocols_by_opening_exchange():
    assert "smtp" in {f.service for f in annotated("zeek-smtp.pcap")}
    assert {f.service for f in annotated("zeek-irc-more-commands.pcap")} == {"irc"}


@pytest.mark.parametrize("name", ["zeek-quic-firefox-102.13.0esr-blog-cloudflare-com.pcap",
                                  "zeek-quic-quic_win11_firefox_google.pcap"])
def test_quic_initial(name):
    flows = [f for f in annotated(name) if f.service == "quic"]
    assert flows
    for f in flows:
        assert f.quic["version"] == 1 and f.quic["initial"] and f.quic["initial_orig"] >= 1
        assert 0 <= f.quic["dcid_len"] <= 20 and 0 <= f.quic["scid_len"] <= 20
    assert not [f for f in annotated(name) if f.service == "dns" and f.resp_p == 443]


def test_icmp_tunnel_carries_ip_packets():
    flows = [f for f in annotated("ndpi-icmp-tunnel.pcap") if f.service == "icmp"]
    tunnel = max(flows, key=lambda f: f.icmp.echo_requests + f.icmp.echo_replies)
    echoes = tunnel.icmp.echo_requests + tunnel.icmp.echo_replies
    assert echoes > 10 and tunnel.icmp.ip_in_payload >= 0.9 * echoes
    assert tunnel.orig_measures is not None and tunnel.orig_measures.nbytes > 0


def test_iodine_null_and_encoded_queries():
    msgs = [m for f in annotated("ndpi-dns-tunnel-iodine.pcap") if f.service == "dns" for m in f.dns]
    assert {"NULL"} <= {m.qtype_name for m in msgs}
    assert any(m.is_response and any(t == "NULL" for _, t, _ in m.answers) for m in msgs)
    assert max(measures.name_measures(m.qname)["longest_label"] for m in msgs) > 40
    assert all(m.qname == m.qname.lower() and not m.qname.endswith(".") for m in msgs)


def test_dnscat2_cname_txt_mx():
    msgs = [m for f in annotated("ndpi-dns_exfiltration.pcap") if f.service == "dns" for m in f.dns]
    answer_types = {t for m in msgs if m.is_response for _, t, _ in m.answers}
    assert {"CNAME", "TXT", "MX"} <= answer_types
    assert all(m.answers[0][0] == m.qname for m in msgs if m.is_response and m.answers)


def test_suricata_null_record_and_txt_tunnel():
    null = [m for f in annotated("suricata-verify-dns-udp-null.pcap") for m in f.dns]
    assert any(t == "NULL" for m in null for _, t, _ in m.answers)
    txt = [m for f in annotated("suricata-verify-dns-bug-1158.pcap") if f.service == "dns" for m in f.dns]
    assert any(m.qtype_name == "TXT" for m in txt)


@pytest.mark.parametrize("path", [p for p in shared_captures("malformed") if p.name.startswith("zeek-dns")],
                         ids=lambda p: p.name)
def test_malformed_dns_never_raises(path):
    datagrams = []
    for _, ip in _packets(path):
        datagrams.append(bytes(ip.data.data))
    assert datagrams
    for d in datagrams:
        parse_dns(d)
        parse_dns_stream(d)
        for cut in range(0, len(d), 7):  # every truncation too
            parse_dns(d[:cut])
    flows = capture_flows(path)
    dissect.annotate_all(flows, default_config())


def test_every_shared_capture_annotates_without_error():
    for kind in ("benign", "malicious"):
        for path in shared_captures(kind):
            if path.suffix == ".gz":
                continue
            flows = capture_flows(path)
            dissect.annotate_all(flows, default_config())
            measures.annotate_all(flows, default_config())
            assert {f.service for f in flows} <= KNOWN_SERVICES, path.name
            for f in flows:
                for m in (f.orig_measures, f.resp_measures):
                    assert m is None or (0 <= m.entropy <= 8 and 0 <= m.chi2_p <= 1 and 0 <= m.printable <= 1)
