"""The one interface every detector implements, the context they all read, and the flow facts they share."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from ..config import Config
from ..homenet import HomeNet, is_broadcast  # noqa: F401 (is_broadcast: detectors import it from here)
from ..model import Flow, Indicator

ECHO_REPLY_TYPES = (0, 129)  # ICMP / ICMPv6 echo reply


@dataclass
class DetectContext:
    flows: list[Flow]
    home: HomeNet
    cfg: Config
    intel: Any = None  # intel.Intel | None
    extra: dict[str, Any] = field(default_factory=dict)  # shared indexes a detector builds once (e.g. DNS by host)


class Detector(Protocol):
    #: the indicator type it emits (model.INDICATOR_TYPES)
    name: str
    #: optional class attribute: 2 for a correlator that reads phase one's indicators (detect/__init__.py); 1 if absent

    def run(self, ctx: DetectContext) -> list[Indicator]: ...


def host_of(flow: Flow, home: HomeNet) -> str | None:
    """The internal host a flow is about: its originator, unless an external host opened it towards an internal one.

    When neither side is internal (a capture from a network outside --home-net) the originator is the host.
    ICMP echo flows are about the host that sends the echo requests.
    """
    orig, resp = flow.orig_h, flow.resp_h
    if is_icmp(flow) and flow.orig_p in ECHO_REPLY_TYPES:
        orig, resp = resp, orig
    if home.is_internal(orig) or not home.is_internal(resp):
        return orig
    return None


def is_icmp(flow: Flow) -> bool:
    return flow.proto in ("icmp", "icmp6", "ipv6-icmp")


def channel(flow: Flow) -> tuple[str, int, str]:
    """(peer, port, proto): what "the same channel" means across detectors."""
    return flow.resp_h, flow.resp_p, flow.proto


def family(service: str, cfg: Config) -> str:
    """Service family: QUIC, TLS and HTTP are all "web"; other services are their own family."""
    return cfg.detect.service_family.get(service, service)


def looks_random(flow: Flow, cfg: Config) -> bool:
    """Either direction's retained payload looks uniformly random (encrypted or compressed): its head, or the sample
    of the rest of its life (a channel that idled before it carried data)."""
    dcfg = cfg.detect
    for m in (flow.orig_measures, flow.resp_measures, flow.orig_later_measures, flow.resp_later_measures):
        if m is not None and m.nbytes >= dcfg.random_min_bytes and (
                m.entropy >= dcfg.random_entropy or m.chi2_p >= dcfg.random_chi2_p):
            return True
    return False


def is_encrypted(flow: Flow, cfg: Config) -> bool:
    """An encrypted protocol recognised from payload, or unrecognised payload that looks random."""
    if flow.service in cfg.detect.encrypted_services:
        return True
    return not flow.service and looks_random(flow, cfg)


def is_failed(flow: Flow, cfg: Config) -> bool:
    """A connection attempt that got no working communication (rejected, unanswered, ICMP unreachable)."""
    if flow.established:
        return False
    if flow.icmp_errors:
        return True
    if flow.proto == "tcp":
        return flow.conn_state in cfg.detect.failed_tcp_states
    if flow.proto == "udp":
        return flow.orig_pkts > 0 and flow.resp_pkts == 0
    return False


def has_payload(flow: Flow) -> bool:
    """Payload bytes were retained for the originator (a capture; Zeek logs alone carry none), possibly dropped
    since (pipeline.compact keeps that fact in ``orig_payload_seen``)."""
    return flow.orig_payload_seen or bool(flow.orig_sample or flow.orig_datagrams)


def attempts(flow: Flow) -> int:
    """Tries the application made: one per TCP connection (SYN retransmissions are the kernel's, not a retry);
    one per datagram of a UDP flow (UDP has no retransmission: every repeat is the application's)."""
    return max(flow.orig_pkts, 1) if flow.proto == "udp" else 1


def port_key(flow: Flow) -> str:
    """"proto/port" of the responder, as the config's port lists spell it."""
    return f"{flow.proto}/{flow.resp_p}"


def standard_port(flow: Flow) -> bool:
    """The responder port implies the service actually seen (or implies one and nothing contradicts it)."""
    return bool(flow.expected_service) and (not flow.service or flow.service == flow.expected_service)


def indicator(kind: str, host: str, flow: Flow, evidence: dict[str, Any], peer: str = "",
              ts: float | None = None) -> Indicator:
    """An analyzer Indicator about ``host`` anchored on ``flow``."""
    return Indicator(
        type=kind, host=host, ts=flow.ts if ts is None else ts, peer=peer or flow.resp_h, port=flow.resp_p,
        proto=flow.proto, community_id=flow.community_id, evidence=evidence, uids=[flow.uid, *flow.zeek_uids],
    )


def flow_evidence(flow: Flow) -> dict:
    """The measured facts about one flow that the port detectors report."""
    ev: dict = {
        "service": flow.service, "expected_service": flow.expected_service, "port": flow.resp_p, "proto": flow.proto,
        "state": flow.conn_state, "orig_bytes": flow.orig_bytes, "resp_bytes": flow.resp_bytes,
        "first_ts": flow.ts, "last_ts": flow.last_ts, "community_id": flow.community_id,
    }
    for side, m in (("orig", flow.orig_measures), ("resp", flow.resp_measures),
                    ("orig_later", flow.orig_later_measures), ("resp_later", flow.resp_later_measures)):
        if m is not None:
            ev[f"{side}_entropy"] = round(m.entropy, 3)
            ev[f"{side}_chi2_p"] = round(m.chi2_p, 4)
    if flow.tls is not None:
        ev["sni"] = flow.tls.sni
        ev["ja3"] = flow.tls.ja3
        if flow.tls.ja4:
            ev["ja4"] = flow.tls.ja4
    if flow.ssh_banners:
        ev["ssh_banners"] = list(flow.ssh_banners)
    return ev


class FlowDetector:
    """A detector that judges each flow of an internal host on its own (``matches``) and reports its measured facts
    (``flow_evidence``); subclasses set ``name`` and ``matches``."""

    name = ""

    def matches(self, flow: Flow, ctx: DetectContext) -> bool:
        raise NotImplementedError

    def evidence(self, flow: Flow, ctx: DetectContext) -> dict:
        """Evidence a subclass adds to flow_evidence ({} by default)."""
        return {}

    def run(self, ctx: DetectContext) -> list[Indicator]:
        out: list[Indicator] = []
        for flow in ctx.flows:
            if self.matches(flow, ctx):  # the rare match first: host_of only for those
                host = host_of(flow, ctx.home)
                if host is not None:
                    out.append(indicator(self.name, host, flow, {**flow_evidence(flow), **self.evidence(flow, ctx)}))
        return out


def add_connection(ind: Indicator, flow: Flow, limit: int) -> None:
    """Count ``flow`` as one more connection of ``ind``: evidence ``connection_count``, the first ``limit`` flows in
    ``connections`` (peer, port, proto, service, state, ts, community_id), and its uid."""
    ind.evidence["connection_count"] = ind.evidence.get("connection_count", 0) + 1
    shown = ind.evidence.setdefault("connections", [])
    if len(shown) < limit:
        shown.append({"peer": flow.resp_h, "port": flow.resp_p, "proto": flow.proto, "service": flow.service,
                      "state": flow.conn_state, "ts": flow.ts, "community_id": flow.community_id})
    if flow.uid not in ind.uids:
        ind.uids.append(flow.uid)
