"""Real applications are not fallback channels: the apps/ acceptance corpus (../shared/pcaps/apps/), and the app
knowledge behind it (pcap_analyzer/apps.py, detect/app_context.py, the verdict's cap on VPN / remote-access / P2P
tools) on synthetic flows."""
from __future__ import annotations

import pytest
from conftest import shared_captures
from test_acceptance import analyze_capture
from test_detect_helpers import RANDOM, context, failed, make_flow, tls_flow

from pcap_analyzer import apps
from pcap_analyzer.config import default_config
from pcap_analyzer.detect import run_all
from pcap_analyzer.detect.failed_fallback import FailedFallback
from pcap_analyzer.detect.nonstandard_port import NonstandardPort
from pcap_analyzer.detect.port_mismatch import PortMismatch
from pcap_analyzer.detect.protocol_switch import ProtocolSwitch
from pcap_analyzer.model import Flow
from pcap_analyzer.decide.verdict import build_hosts, indicator_app_class

CFG = default_config()
EXPECTED = apps.expected_ports(CFG)
H, PEER = "10.0.0.5", "198.51.100.23"

#: SOURCES.md: the VPN, remote-access and P2P captures that may be `investigate`, with the recognised protocol and
#: the tool class their indicators must carry
POLICY_TOOLS = {
    "ndpi-openvpn": ("openvpn", "VPN"),
    "ndpi-wireguard": ("wireguard", "VPN"),
    "ndpi-mullvad_wireguard": ("wireguard", "VPN"),
    "ndpi-protonvpn": ("wireguard", "VPN"),
    "ndpi-anyconnect-vpn": ("dtls", "VPN"),
    "ndpi-ipsec_isakmp_esp": ("ike", "VPN"),
    "ndpi-anydesk": ("tls", "remote access"),
    "ndpi-bittorrent": ("bittorrent", "P2P"),
}
#: not reached yet, each for a stated reason (strict: the day one passes, the suite says so and it leaves the list)
PENDING: dict[str, str] = {}
APP_CAPTURES = shared_captures("apps")


def _stem(path) -> str:
    return path.name.split(".")[0]


def _params(pending_ones: tuple[str, ...]):
    out = []
    for path in APP_CAPTURES:
        stem = _stem(path)
        pending = PENDING[stem] if stem in pending_ones else None
        marks = [pytest.mark.xfail(reason=pending, strict=True)] if pending else []
        out.append(pytest.param(path, marks=marks, id=path.name))
    return out or [pytest.param(None, marks=pytest.mark.skip(reason="../shared/pcaps/apps/ is not present"))]


@pytest.mark.parametrize("path", _params(()))
def test_no_app_host_escalates(path) -> None:
    escalated = {h.ip: h.reasons for h in analyze_capture(path) if h.verdict == "escalate"}
    assert not escalated, escalated


@pytest.mark.parametrize("path", _params(tuple(PENDING)))
def test_only_vpn_remote_access_and_p2p_tools_are_investigated(path) -> None:
    hosts = [h for h in analyze_capture(path) if h.verdict != "benign"]
    if _stem(path) not in POLICY_TOOLS:
        assert not hosts, {h.ip: h.reasons for h in hosts}
        return
    service, cls = POLICY_TOOLS[_stem(path)]
    classed = [i for h in hosts for i in h.indicators if i.evidence.get("app_class") == cls]
    assert classed, f"no indicator names the {cls} tool"
    assert any(i.evidence.get("service") == service for i in classed)
    capped = [h for h in hosts if all(indicator_app_class(i, CFG) for i in h.indicators)]
    assert capped and all(cls in " ".join(h.reasons) and "policy question" in " ".join(h.reasons) for h in capped)


# -- app knowledge on synthetic flows --------------------------------------------------------------------------

def app_flow(port: int, service: str, proto: str = "udp", app: dict | None = None, ts: float = 1000.0,
             host: str = H, peer: str = PEER, **kw) -> Flow:
    kw.setdefault("orig_measures", RANDOM)
    return make_flow(host, peer, port, proto, ts=ts, service=service, app=app,
                     expected_service=EXPECTED.get(f"{proto}/{port}", ""), **kw)


def fired(detector, *flows: Flow) -> list[tuple[str, int, str]]:
    return [(i.proto, i.port, i.evidence.get("app_class", "")) for i in detector.run(context(list(flows)))]


def test_same_service_ports_from_the_data_file() -> None:
    assert apps.same_service("tcp/993", "tcp/143") and apps.same_service("tcp/995", "tcp/110")
    assert apps.same_service("tcp/465", "tcp/587") and apps.same_service("tcp/5223", "tcp/443")
    assert apps.same_service("udp/3478", "tcp/443")  # TURN over TLS when UDP is blocked
    assert not apps.same_service("tcp/443", "tcp/443")  # one port: another protocol there is a switch
    assert not apps.same_service("tcp/993", "tcp/8443") and not apps.same_service("udp/53", "tcp/853")


def test_customary_ports_extend_the_config_and_carry_their_source() -> None:
    assert EXPECTED["udp/3478"] == "stun" and EXPECTED["tcp/3389"] == "rdp" and EXPECTED["udp/88"] == "kerberos"
    assert EXPECTED["tcp/443"] == "tls"  # the config's own table wins
    standard = apps.standard_encrypted_ports(CFG)
    assert {"tcp/5223", "tcp/5061", "tcp/5349"} <= standard
    assert not {"udp/1194", "udp/51820", "tcp/7070", "tcp/8080"} & standard  # VPN, remote access, speed test
    zoom = apps.port_entries("udp", 8805)
    assert zoom[0].app == "Zoom" and "Zoom" in zoom[0].source
    assert all(entry.source for entry in apps.port_entries("udp", 3478))


def test_known_app_protocols_on_customary_or_dynamic_ports_are_no_indicator() -> None:
    stun_high = app_flow(41107, "stun")  # an ICE candidate on a dynamic port
    rtp = app_flow(29070, "rtp")
    srtp = app_flow(50004, "dtls", app={"protocol": "dtls", "srtp": True})
    kerberos = app_flow(88, "kerberos", "tcp")
    rdp = app_flow(3389, "rdp", "tcp")
    zoom = make_flow(H, PEER, 8801, "udp", orig_measures=RANDOM)  # Zoom's own media protocol, documented port
    flows = [stun_high, rtp, srtp, kerberos, rdp, zoom]
    assert fired(NonstandardPort(), *flows) == [] and fired(PortMismatch(), *flows) == []
    stun_low = app_flow(53, "stun")  # STUN on the DNS port is no call
    assert fired(PortMismatch(), stun_low) == [("udp", 53, "media")]
    random_high = make_flow(H, PEER, 41107, "udp", orig_measures=RANDOM)  # unrecognised: still an indicator
    assert fired(NonstandardPort(), random_high) == [("udp", 41107, "")]
    rdp_elsewhere = app_flow(33890, "rdp", "tcp")  # RDP does not negotiate ports: off 3389 it is odd
    assert not apps.ordinary_app(rdp_elsewhere, CFG) and apps.ordinary_app(rdp, CFG)


def test_policy_tools_are_reported_with_their_class_even_on_their_own_port() -> None:
    wireguard = app_flow(51820, "wireguard")
    openvpn = app_flow(13680, "openvpn")
    anyconnect = app_flow(443, "dtls", app={"protocol": "dtls", "srtp": False})
    anydesk = tls_flow(H, PEER, 7070)
    assert fired(NonstandardPort(), wireguard, openvpn, anyconnect, anydesk) == [
        ("udp", 51820, "VPN"), ("udp", 13680, "VPN"), ("udp", 443, "VPN"), ("tcp", 7070, "remote access")]


def test_an_unrecognised_second_socket_inherits_its_siblings_protocol() -> None:
    rtp = app_flow(29070, "rtp", ts=1000.0)
    same_call = make_flow(H, PEER, 29070, "udp", ts=1100.0, orig_measures=RANDOM)
    much_later = make_flow(H, PEER, 29070, "udp", ts=5000.0, orig_measures=RANDOM)
    assert fired(NonstandardPort(), rtp, same_call) == []
    assert fired(NonstandardPort(), rtp, much_later) == [("udp", 29070, "")]


def test_a_vendor_domain_vouches_for_its_ports() -> None:
    from test_detect_helpers import dns_flow
    lookup = dns_flow(H, "10.0.0.1", 990.0, "assetgame.roblox.com",
                      answers=[("assetgame.roblox.com", "A", "128.116.1.1")])
    game = make_flow(H, PEER, 53385, "udp", ts=1000.0, orig_measures=RANDOM)
    assert fired(NonstandardPort(), lookup, game) == []
    assert fired(NonstandardPort(), game) == [("udp", 53385, "")]  # without the name, random UDP is an indicator


def test_ports_of_one_service_are_not_a_switch_nor_a_fallback() -> None:
    imaps_fails = [failed(H, PEER, 993, ts=100.0 + 10 * i, expected_service="tls") for i in range(3)]
    starttls = make_flow(H, PEER, 143, ts=200.0, service="imap", expected_service="imap")
    assert FailedFallback().run(context(imaps_fails + [starttls])) == []
    imaps = tls_flow(H, PEER, 993, ts=100.0)
    assert ProtocolSwitch().run(context([imaps, starttls])) == []
    ice = [failed(H, f"198.51.100.{30 + i}", 40000 + i, ts=100.0 + i, proto="udp", state="S0", orig_pkts=5,
                  service="stun") for i in range(3)]
    relay = app_flow(3478, "stun", ts=110.0, peer="198.51.100.99")
    assert FailedFallback().run(context(ice + [relay])) == []


def test_a_host_with_only_policy_tools_is_at_most_investigate_and_says_which() -> None:
    peers = [failed(H, f"203.0.113.{i}", 6881 + i, ts=100.0 + i) for i in range(3)]  # peers that are gone
    torrent = app_flow(51413, "bittorrent", "tcp", ts=120.0, peer="203.0.113.90")
    vpn = app_flow(13680, "openvpn", ts=130.0, peer="203.0.113.91")
    ctx = context(peers + [torrent, vpn])
    (host,) = [h for h in build_hosts(run_all(ctx), ctx) if h.ip == H]
    assert host.verdict == "investigate"
    assert {i.type for i in host.indicators} >= {"nonstandard_port_encrypted"}
    assert all("P2P / VPN tool in use" in r for r in host.reasons)


def test_the_cap_does_not_hide_a_c2_indicator_beside_a_tool() -> None:
    vpn = app_flow(13680, "openvpn", ts=130.0, peer="203.0.113.91")
    c2 = [failed(H, PEER, 443, ts=100.0 + 10 * i) for i in range(3)] + [tls_flow(H, PEER, 8443, ts=140.0)]
    ctx = context(c2 + [vpn])
    (host,) = [h for h in build_hosts(run_all(ctx), ctx) if h.ip == H]
    assert host.verdict == "escalate" and not any("policy question" in r for r in host.reasons)
