"""Identify each flow's protocol from its retained payload, whatever the port, and parse what it says.

Each dissector module has ``dissect(flow, cfg) -> bool``: it fills its own Flow field and answers whether the
payload is its protocol. They are tried in order per transport; the first that recognises the payload names
``flow.service``. ``flow.expected_service`` is what the responder port implies (``[ports] expected``, extended by
the customary ports of data/service_ports.toml).
"""
from __future__ import annotations

from collections.abc import Callable

from ..apps import expected_ports
from ..config import Config
from ..model import Flow
from . import (banner, bittorrent, dns, dtls, http, icmp, ipsec, kerberos, ntp, openvpn, quic, raknet, rdp, rtp, sip,
               speedtest, ssh, stun, teredo, tls, wireguard)

Dissector = Callable[[Flow, Config], bool]

#: (service name, dissector) in the order they are tried, per transport. "" = the dissector sets the name itself.
#: UDP media follow RFC 7983's first-byte ranges (STUN 0-3, DTLS 20-63, RTP/RTCP 128-191), so their order is free;
#: the dissectors that want every datagram to match (WireGuard, NTP, Teredo) come after the looser ones.
_ORDER: dict[str, tuple[tuple[str, Dissector], ...]] = {
    "tcp": (("tls", tls.dissect), ("ssh", ssh.dissect), ("http", http.dissect), ("dns", dns.dissect),
            ("", banner.dissect), ("rdp", rdp.dissect), ("kerberos", kerberos.dissect),
            ("bittorrent", bittorrent.dissect), ("sip", sip.dissect), ("speedtest", speedtest.dissect),
            ("openvpn", openvpn.dissect), ("stun", stun.dissect)),
    "udp": (("dns", dns.dissect), ("quic", quic.dissect), ("stun", stun.dissect), ("dtls", dtls.dissect),
            ("", rtp.dissect), ("ike", ipsec.dissect_ike), ("kerberos", kerberos.dissect), ("sip", sip.dissect),
            ("bittorrent", bittorrent.dissect), ("raknet", raknet.dissect), ("openvpn", openvpn.dissect),
            ("wireguard", wireguard.dissect),
            ("ntp", ntp.dissect), ("teredo", teredo.dissect)),
    icmp.ICMP_PROTO: (("icmp", icmp.dissect),),
    ipsec.ESP_PROTO: (("esp", ipsec.dissect_esp),),
}


def annotate(flow: Flow, cfg: Config) -> None:
    """Set flow.service / expected_service and the protocol fields (dns, tls, ssh_banners, http, quic, icmp).

    A flow without retained payload (built from Zeek logs, or already annotated and compacted) keeps what it has:
    only expected_service is set.
    """
    annotate_all([flow], cfg)


def annotate_all(flows: list[Flow], cfg: Config) -> None:
    """annotate() of every flow."""
    expected = expected_ports(cfg)
    for flow in flows:
        flow.expected_service = expected.get(f"{flow.proto}/{flow.resp_p}", "")
        if not (flow.orig_sample or flow.resp_sample or flow.orig_datagrams or flow.resp_datagrams):
            continue  # no retained payload (Flow.retains_payload, inlined): keep what the flow has
        flow.service = ""
        flow.app = None
        for service, dissector in _ORDER.get(flow.proto, ()):
            if dissector(flow, cfg):
                flow.service = service or flow.service
                break
        if flow.proto == "udp" and flow.orig_datagrams and flow.service != "dns":
            flow.orig_sizes = tuple([len(d) for d in flow.orig_datagrams])
