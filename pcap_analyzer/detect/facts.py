"""Facts about one flow that several layers read: the detectors, the verdict, the report and the baseline.

Each is defined here once: whether a flow worked (``established``) or failed (``is_failed``) and how many tries it
was (``attempts``), whether it carried payload (``has_payload``) that looks encrypted (``looks_random``,
``is_encrypted``), whether it speaks its port's service (``standard_port``), and what "the same channel", "the same
port" and "the same service family" mean (``channel``, ``port_key``, ``family``).
"""
from __future__ import annotations

from ..config import Config
from ..model import Flow

#: Zeek conn_state values of a TCP connection whose handshake completed.
ESTABLISHED_TCP_STATES = ("SF", "S1", "S2", "S3", "RSTO", "RSTR")


def is_icmp(flow: Flow) -> bool:
    return flow.proto in ("icmp", "icmp6", "ipv6-icmp")


def established(flow: Flow) -> bool:
    """Working communication: data or packets seen both ways."""
    if flow.proto == "tcp":
        return flow.conn_state in ESTABLISHED_TCP_STATES and (flow.orig_bytes + flow.resp_bytes) > 0
    return flow.orig_pkts > 0 and flow.resp_pkts > 0


def is_failed(flow: Flow, cfg: Config) -> bool:
    """A connection attempt that got no working communication (rejected, unanswered, ICMP unreachable)."""
    if established(flow):
        return False
    if flow.icmp_errors:
        return True
    if flow.proto == "tcp":
        return flow.conn_state in cfg.detect.failed_tcp_states
    if flow.proto == "udp":
        return flow.orig_pkts > 0 and flow.resp_pkts == 0
    return False


def attempts(flow: Flow) -> int:
    """Tries the application made: one per TCP connection (SYN retransmissions are the kernel's, not a retry);
    one per datagram of a UDP flow (UDP has no retransmission: every repeat is the application's)."""
    return max(flow.orig_pkts, 1) if flow.proto == "udp" else 1


def has_payload(flow: Flow) -> bool:
    """Payload bytes were retained for the originator (a capture; Zeek logs alone carry none), possibly dropped
    since (measures.annotate.compact keeps that fact in ``orig_payload_seen``)."""
    return flow.orig_payload_seen or bool(flow.orig_sample or flow.orig_datagrams)


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


def standard_port(flow: Flow) -> bool:
    """The responder port implies the service actually seen (or implies one and nothing contradicts it)."""
    return bool(flow.expected_service) and (not flow.service or flow.service == flow.expected_service)


def channel(flow: Flow) -> tuple[str, int, str]:
    """(peer, port, proto): what "the same channel" means across detectors."""
    return flow.resp_h, flow.resp_p, flow.proto


def port_key(flow: Flow) -> str:
    """"proto/port" of the responder, as the config's port lists spell it."""
    return f"{flow.proto}/{flow.resp_p}"


def family(service: str, cfg: Config) -> str:
    """Service family: QUIC, TLS and HTTP are all "web"; other services are their own family."""
    return cfg.detect.service_family.get(service, service)
