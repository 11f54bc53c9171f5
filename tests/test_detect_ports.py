"""nonstandard_port_encrypted and protocol_port_mismatch on synthetic flows."""
from __future__ import annotations

from test_detect_helpers import RANDOM, TEXT, context, make_flow, tls_flow

from pcap_analyzer.detect.nonstandard_port import NonstandardPort
from pcap_analyzer.detect.port_mismatch import PortMismatch

H, C2 = "10.0.0.5", "198.51.100.23"


def fired(detector, *flows) -> list[tuple[str, int]]:
    return [(i.proto, i.port) for i in detector.run(context(list(flows)))]


def test_encrypted_off_its_well_known_ports_is_nonstandard() -> None:
    assert fired(NonstandardPort(), tls_flow(H, C2, 80)) == [("tcp", 80)]  # TLS ClientHello on 80
    assert fired(NonstandardPort(), tls_flow(H, C2, 8443)) == [("tcp", 8443)]  # alternate port, not IANA https
    ssh = make_flow(H, C2, 2222, service="ssh", ssh_banners=["SSH-2.0-OpenSSH_9.2"])
    assert fired(NonstandardPort(), ssh) == [("tcp", 2222)]
    sslh = make_flow(H, C2, 443, service="ssh")  # SSH multiplexed on the HTTPS port: another family
    assert fired(NonstandardPort(), sslh) == [("tcp", 443)]
    vpn = make_flow(H, C2, 51820, "udp", orig_measures=RANDOM)
    assert fired(NonstandardPort(), vpn) == [("udp", 51820)]


def test_ordinary_encrypted_and_cleartext_traffic_is_not_nonstandard() -> None:
    assert fired(NonstandardPort(), tls_flow(H, C2, 443), make_flow(H, C2, 22, service="ssh")) == []
    assert fired(NonstandardPort(), make_flow(H, C2, 443, "udp", service="quic")) == []
    assert fired(NonstandardPort(), make_flow(H, C2, 4444, service="http", orig_measures=TEXT)) == []
    assert fired(NonstandardPort(), make_flow(H, C2, 9999, orig_measures=TEXT)) == []
    assert fired(NonstandardPort(), tls_flow(H, C2, 8443, state="S0")) == []  # never established


def test_mismatch_when_the_port_implies_another_protocol() -> None:
    assert fired(PortMismatch(), tls_flow(H, C2, 8080)) == [("tcp", 8080)]  # TLS on an HTTP port
    assert fired(PortMismatch(), make_flow(H, C2, 443, service="http")) == [("tcp", 443)]
    raw53 = make_flow(H, C2, 53, orig_measures=RANDOM, resp_measures=RANDOM)  # raw data, not DNS, on tcp/53
    assert fired(PortMismatch(), raw53) == [("tcp", 53)]


def test_no_mismatch_for_matching_unknowable_or_mid_stream_traffic() -> None:
    assert fired(PortMismatch(), tls_flow(H, C2, 443), make_flow(H, C2, 8080, service="http")) == []
    assert fired(PortMismatch(), make_flow(H, C2, 445, orig_measures=TEXT)) == []  # smb: no dissector, no claim
    assert fired(PortMismatch(), make_flow(H, C2, 80, history="DdA", orig_measures=TEXT)) == []  # mid-stream
    assert fired(PortMismatch(), make_flow(H, C2, 443, orig_measures=RANDOM)) == []  # TLS records, start missed
    assert fired(PortMismatch(), make_flow(H, C2, 9999, service="http")) == []  # port implies nothing
    from_zeek_log = make_flow(H, C2, 53, orig_sample=b"")  # sensor-only: no payload, nothing to judge
    assert fired(PortMismatch(), from_zeek_log) == []


def test_remembered_answers_are_the_per_flow_answers_on_real_captures() -> None:
    """by_service answers a recognised flow from the answer for its port and service: on every flow of the
    scenario and shared captures that is what the detector's own test says, and it is asked far less often."""
    from conftest import SCENARIOS, shared_captures
    from pcap_analyzer.config import default_config
    from pcap_analyzer.detect.app_context import by_service
    from pcap_analyzer.detect.base import DetectContext
    from pcap_analyzer.homenet import HomeNet
    from pcap_analyzer.pipeline import read_flows

    cfg = default_config()
    captures = sorted(SCENARIOS.glob("*.pcap")) + [p for kind in ("apps", "benign", "malicious")
                                                   for p in shared_captures(kind)]
    flow_list = read_flows(captures, cfg)[1]
    ctx = DetectContext(flow_list, HomeNet(cfg.home_net.cidrs), cfg)
    for detector in (NonstandardPort(), PortMismatch()):
        asked: list[int] = []
        remembered = by_service(lambda flow, c: asked.append(1) or detector.matches(flow, c))
        assert [remembered(f, ctx) for f in flow_list] == [detector.matches(f, ctx) for f in flow_list]
        assert any(detector.matches(f, ctx) for f in flow_list)  # both answers occur
        assert len(asked) < len(flow_list) / 2
