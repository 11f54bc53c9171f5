"""Application dissectors (dissect/stun.py, wireguard.py, ...) on the real captures of ../shared/pcaps/apps/,
checked against tshark's own dissection of the same packets, and on mutated payloads."""
from __future__ import annotations

import functools
import random
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import SHARED_PCAPS

from pcap_analyzer import dissect, flows
from pcap_analyzer.capture import reader
from pcap_analyzer.config import default_config
from pcap_analyzer.model import CaptureInfo, Flow

APPS = SHARED_PCAPS / "apps"
Conversation = frozenset[tuple[str, int]]


def annotated(name: str) -> tuple[Flow, ...]:
    """The capture's flows as the analyzer's reader, flow table and dissectors leave them."""
    return annotated_capture(APPS / name)


@functools.lru_cache(maxsize=None)
def annotated_capture(path: Path) -> tuple[Flow, ...]:
    """annotated() of any shared capture."""
    if not path.is_file():
        pytest.skip(f"{path} is not present (../shared/pcaps/)")
    cfg = default_config()
    table = flows.FlowTable(cfg)
    for batch in reader.read_capture(path, cfg, CaptureInfo(path=str(path))):
        table.add(batch)
    found = table.finish()
    dissect.annotate_all(found, cfg)
    return tuple(found)


def ours(name: str, service: str) -> set[Conversation]:
    return {frozenset({(f.orig_h, f.orig_p), (f.resp_h, f.resp_p)}) for f in annotated(name) if f.service == service}


def tshark_conversations(name: str, display_filter: str, *args: str) -> set[Conversation]:
    """Conversations (address, port pairs) of the packets tshark decodes as matching ``display_filter`` (packets
    quoted inside ICMP errors excluded)."""
    if shutil.which("tshark") is None:
        pytest.skip("tshark is not installed")
    fields = ["ip.src", "ipv6.src", "ip.dst", "ipv6.dst", "udp.srcport", "tcp.srcport", "udp.dstport", "tcp.dstport"]
    cmd = ["tshark", "-r", str(APPS / name), *args, "-Y", f"({display_filter}) && !icmp && !icmpv6", "-T", "fields"]
    for field in fields:
        cmd += ["-e", field]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    found = set()
    for line in out.splitlines():
        src4, src6, dst4, dst6, usport, tsport, udport, tdport = line.split("\t")
        sport, dport = usport or tsport, udport or tdport
        if sport and dport:
            found.add(frozenset({(src4 or src6, int(sport)), (dst4 or dst6, int(dport))}))
    return found


HEURISTIC_RTP = ("--enable-heuristic", "rtp_udp")
#: (capture, our service, tshark display filter, tshark options): the conversations must be the same
AGREE = [
    ("ndpi-stun.pcap", "stun", "stun", ()),
    ("ndpi-stun_zoom.pcapng", "stun", "stun", ()),
    ("ndpi-stun_wa_call.pcapng", "stun", "stun", ()),
    ("ndpi-stun_google_meet.pcapng", "stun", "stun", ()),
    ("ndpi-telegram_videocall.pcapng", "stun", "stun", ()),
    ("ndpi-skype-conference-call.pcap", "stun", "stun", ()),
    ("ndpi-wireguard.pcap", "wireguard", "wg", ()),
    ("ndpi-mullvad_wireguard.pcap", "wireguard", "wg", ()),
    ("ndpi-rtp.pcapng", "rtp", "rtp", HEURISTIC_RTP),
    ("ndpi-line.pcap", "rtp", "rtp", HEURISTIC_RTP),
    ("ndpi-discord.pcap", "rtp", "rtp", HEURISTIC_RTP),
    ("ndpi-ipsec_isakmp_esp.pcap", "ike", "isakmp", ()),
    ("ndpi-kerberos-login.pcap", "kerberos", "kerberos", ()),
    ("ndpi-rdp.pcap", "rdp", "rdp", ()),
    ("ndpi-bittorrent.pcap", "bittorrent", "bittorrent", ()),
    ("ndpi-sip.pcap", "sip", "sip", ()),
    ("ndpi-anyconnect-vpn.pcap", "dtls", "dtls", ()),
    ("ndpi-roblox.pcapng", "raknet", "raknet", ()),
]


@pytest.mark.parametrize("name, service, display_filter, options", AGREE, ids=[f"{c[0]}:{c[1]}" for c in AGREE])
def test_dissector_finds_the_conversations_tshark_finds(name: str, service: str, display_filter: str,
                                                        options: tuple[str, ...]) -> None:
    mine = ours(name, service)
    assert mine, f"no {service} flow recognised in {name}"
    assert mine == tshark_conversations(name, display_filter, *options)


def test_openvpn_on_any_port_is_what_tshark_decodes_as_openvpn() -> None:
    """tshark decodes OpenVPN on 1194 only; told the other ports, it agrees with every flow we call OpenVPN (two
    flows it decodes are one-sided fragments we leave unrecognised)."""
    name = "ndpi-openvpn.pcap"
    decode = [arg for spec in ("udp.port==1234", "udp.port==13680", "tcp.port==443", "udp.port==443")
              for arg in ("-d", f"{spec},openvpn")]
    mine = ours(name, "openvpn")
    assert len(mine) >= 6 and mine <= tshark_conversations(name, "openvpn", *decode)
    handshakes = [f.app for f in annotated(name) if f.service == "openvpn" and f.app["handshake"]]
    assert {app["transport"] for app in handshakes} == {"tcp", "udp"}


def _app(name: str, service: str) -> list[dict]:
    return [f.app for f in annotated(name) if f.service == service and f.app is not None]


def test_what_the_dissectors_read() -> None:
    turn = _app("ndpi-stun.pcap", "stun")
    assert any(a["turn"] and "allocate" in a["methods"] for a in turn)  # TURN relays, not only binding checks
    assert any(a["channel_data"] for a in turn)
    (anyconnect,) = _app("ndpi-anyconnect-vpn.pcap", "dtls")
    assert anyconnect["versions"] == ["DTLS-pre-RFC"] and not anyconnect["srtp"] and anyconnect["handshakes"]
    zoom = _app("ndpi-stun_zoom.pcapng", "stun")
    assert all(a["methods"] == ["binding"] for a in zoom)
    wg = _app("ndpi-wireguard.pcap", "wireguard")
    assert sum(a.get("handshake_initiation", 0) for a in wg) >= 2 and all(a.get("transport_data") for a in wg)
    kerberos = set().union(*(a["messages"] for a in _app("ndpi-kerberos-login.pcap", "kerberos")))
    assert kerberos == {"tgs_req", "tgs_rep"}  # what tshark reads there: message types 12 and 13
    ike = _app("ndpi-ipsec_isakmp_esp.pcap", "ike")
    assert any(a["esp_in_udp"] for a in ike) and {v for a in ike for v in a["ike_versions"]} == {2}
    rtp = _app("ndpi-line.pcap", "rtp")
    assert all(a["ssrcs"] and a["rtp_packets"] >= 4 for a in rtp)
    assert all(a["kinds"] == ["handshake"] for a in _app("ndpi-bittorrent.pcap", "bittorrent"))
    assert {f.service for f in annotated("ndpi-ookla.pcap") if f.resp_p == 8080} >= {"speedtest"}


@pytest.mark.parametrize("name", ["ndpi-youtube_quic.pcap", "ndpi-ssdp-m-search.pcap", "ndpi-netflix.pcap",
                                  "ndpi-dropbox.pcap", "ndpi-smb_deletefile.pcap", "ndpi-netbios.pcap"])
def test_no_app_protocol_where_there_is_none(name: str) -> None:
    """QUIC short headers, SSDP, LAN discovery broadcasts (Dropbox, Spotify "SpotUdp"), SMB and NetBIOS are none of
    the application protocols (they once passed for OpenVPN resets)."""
    classes = default_config().apps.classes
    assert {f.service for f in annotated(name)} & set(classes) == set()


def test_mutated_app_payloads_never_raise() -> None:
    """Real app datagrams, mutated and cut, through every dissector: recognised or not, never an exception."""
    seeds = [d for name in ("ndpi-stun.pcap", "ndpi-wireguard.pcap", "ndpi-openvpn.pcap", "ndpi-kerberos-login.pcap",
                            "ndpi-ipsec_isakmp_esp.pcap", "ndpi-line.pcap", "ndpi-anyconnect-vpn.pcap")
             for f in annotated(name) for d in (f.orig_datagrams[:2] + [f.orig_sample[:600]]) if d]
    rng = random.Random(9)
    cfg = default_config()
    for _ in range(300):
        picked = []
        for _ in range(3):
            data = bytearray(rng.choice(seeds))
            for _ in range(rng.randint(0, 5)):
                data[rng.randrange(len(data))] = rng.randrange(256)
            picked.append(bytes(data[: rng.randrange(0, len(data) + 1)]))
        for proto in ("udp", "tcp", "50"):
            flow = Flow(uid="m", ts=0.0, last_ts=1.0, proto=proto, orig_h="10.0.0.1", orig_p=40000,
                        resp_h="192.0.2.1", resp_p=rng.choice([443, 3478, 4500, 88, 1194]))
            if proto == "tcp":
                flow.orig_sample, flow.resp_sample = picked[0], picked[1]
            else:
                flow.orig_datagrams, flow.resp_datagrams = picked[:2], picked[2:]
            dissect.annotate(flow, cfg)


def _datagram_flow(proto: str, port: int, orig: list[bytes], resp: list[bytes]) -> Flow:
    flow = Flow(uid="s", ts=0.0, last_ts=1.0, proto=proto, orig_h="10.0.0.1", orig_p=40000, resp_h="192.0.2.1",
                resp_p=port, orig_datagrams=orig, resp_datagrams=resp)
    dissect.annotate(flow, default_config())
    return flow


def test_protocols_without_a_shared_capture() -> None:
    """Teredo, ESP and NTP have no capture in ../shared: built from their RFCs' layouts (scapy for the inner
    IPv6 packet)."""
    from scapy.layers.inet6 import ICMPv6EchoRequest, IPv6

    inner = bytes(IPv6(src="2001::1", dst="2001:db8::2") / ICMPv6EchoRequest(data=b"x" * 24))
    origin = b"\0\0" + bytes(6)  # origin indication header
    teredo = _datagram_flow("udp", 3544, [inner, origin + inner], [inner])
    assert (teredo.service, teredo.app) == ("teredo", {"protocol": "teredo", "packets": 3})
    not_teredo = _datagram_flow("udp", 3544, [inner[:-1]], [])  # the IPv6 length no longer fits
    assert not_teredo.service == ""

    spi = bytes.fromhex("c0ffee01")
    esp = _datagram_flow("50", 0, [spi + seq.to_bytes(4, "big") + bytes(range(24)) for seq in range(1, 6)], [])
    assert esp.service == "esp" and esp.app["packets"] == 5
    replayed = _datagram_flow("50", 0, [spi + (1).to_bytes(4, "big") + bytes(24)] * 3, [])
    assert replayed.service == ""  # sequence numbers must advance

    request = bytes([0x23]) + bytes(47)  # NTPv4, mode 3
    reply = bytes([0x24, 2, 6, 0xE9]) + bytes(44)  # mode 4, stratum 2
    ntp = _datagram_flow("udp", 123, [request], [reply])
    assert ntp.service == "ntp" and ntp.app["modes"] == ["client", "server"] and ntp.app["versions"] == [4]
    lone = _datagram_flow("udp", 123, [request], [])
    assert lone.service == ""  # one unanswered 48-byte datagram is not enough


def test_ntp_extension_fields_mac_and_echo():
    """After the 48-byte header come only whole RFC 7822 extension fields and an optional MAC, and a server reply
    echoes the transmit timestamp of the request it answers: random datagrams with NTP-like first bytes are not NTP."""
    sent = bytes(range(8))
    request = bytes([0x23]) + bytes(39) + sent  # NTPv4 client, transmit timestamp = sent
    reply = bytes([0x24, 2, 6, 0xE9]) + bytes(20) + sent + bytes(16)  # origin timestamp = sent
    nts_fields = (0x0104).to_bytes(2, "big") + (36).to_bytes(2, "big") + bytes(32)  # a unique-identifier field
    nts_fields += (0x0404).to_bytes(2, "big") + (104).to_bytes(2, "big") + bytes(100)  # an authenticator field
    mac = (7).to_bytes(4, "big") + bytes(20)  # key id + SHA-1 digest
    for tail in (b"", mac, nts_fields, nts_fields + mac):
        flow = _datagram_flow("udp", 123, [request + tail], [reply + tail])
        assert flow.service == "ntp", tail
    unanswered = reply[:24] + bytes(8) + reply[32:]  # the reply's origin timestamp is not the request's
    assert _datagram_flow("udp", 123, [request], [unanswered]).service == ""
    for tail in (bytes(12), bytes(2) + (17).to_bytes(2, "big") + bytes(32), bytes(2) + (64).to_bytes(2, "big")
                 + bytes(28)):  # too short for a field; a length not a multiple of 4; a field past the datagram
        assert _datagram_flow("udp", 123, [request + tail, request + tail], []).service == "", tail
    rng = random.Random(123)
    noise = [[bytes([0x23]) + rng.randbytes(size - 1) for _ in range(3)] for size in (100, 500, 1200, 1400)]
    assert [_datagram_flow("udp", 123, datagrams, []).service for datagrams in noise] == [""] * 4
