"""Identify each flow's protocol from its retained payload, whatever the port, and parse what it says.

Each dissector module has ``dissect(flow, cfg) -> bool``: it fills its own Flow field and answers whether the
payload is its protocol. They are tried in order per transport; the first that recognises the payload names
``flow.service``. ``flow.expected_service`` is what the responder port implies (``[ports] expected``).
"""
from __future__ import annotations

from collections.abc import Callable

from ..config import Config
from ..model import Flow
from . import banner, dns, http, icmp, quic, ssh, tls

Dissector = Callable[[Flow, Config], bool]

#: (service name, dissector) in the order they are tried, per transport. "" = the dissector sets the name itself.
_ORDER: dict[str, tuple[tuple[str, Dissector], ...]] = {
    "tcp": (("tls", tls.dissect), ("ssh", ssh.dissect), ("http", http.dissect), ("dns", dns.dissect),
            ("", banner.dissect)),
    "udp": (("dns", dns.dissect), ("quic", quic.dissect)),
    icmp.ICMP_PROTO: (("icmp", icmp.dissect),),
}


def annotate(flow: Flow, cfg: Config) -> None:
    """Set flow.service / expected_service and the protocol fields (dns, tls, ssh_banners, http, quic, icmp).

    A flow without retained payload (built from Zeek logs, or already annotated and compacted) keeps what it has:
    only expected_service is set.
    """
    annotate_all([flow], cfg)


def annotate_all(flows: list[Flow], cfg: Config) -> None:
    """annotate() of every flow."""
    expected = cfg["ports"]["expected"]
    for flow in flows:
        flow.expected_service = expected.get(f"{flow.proto}/{flow.resp_p}", "")
        if not (flow.orig_sample or flow.resp_sample or flow.orig_datagrams or flow.resp_datagrams):
            continue  # no retained payload (Flow.retains_payload, inlined): keep what the flow has
        flow.service = ""
        for service, dissector in _ORDER.get(flow.proto, ()):
            if dissector(flow, cfg):
                flow.service = service or flow.service
                break
