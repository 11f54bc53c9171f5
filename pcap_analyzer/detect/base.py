"""The one interface every detector implements, the context they all read, and how an indicator is built."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from ..config import Config
from ..homenet import HomeNet
from ..model import Flow, Indicator
from .facts import is_icmp

if TYPE_CHECKING:  # types only: these modules import this one
    from ..sources.intel import Intel
    from .beaconing import Series
    from .failures import Channel
    from .index import DetectIndex

ECHO_REPLY_TYPES = (0, 129)  # ICMP / ICMPv6 echo reply
#: (host, peer or "", port, proto) -> [(ts, service)] of recognised app flows, by time (``app_context``).
AppSiblings = dict[tuple[str, str, int, str], list[tuple[float, str]]]


@dataclass
class DetectContext:
    """What the detectors read: the flows, the home net, the config and the intel; and what they work out once per
    run and share (built on first use by the function named beside each, then kept here)."""

    flows: list[Flow]
    home: HomeNet
    cfg: Config
    intel: Intel | None = None
    #: every indicator found so far: phase one's when phase two runs (``detect.run_all``)
    indicators: list[Indicator] = field(default_factory=list)
    #: DNS lookups, names and flows by host (``index.get_index``)
    index: DetectIndex | None = None
    #: series that score as beacons (``beaconing.beacon_series``)
    beacon_series: list[Series] | None = None
    #: host -> its primary candidates: channels that kept failing (``failures.failed_channels``)
    failed_channels: dict[str, list[Channel]] = field(default_factory=dict)
    #: recognised app flows by host, peer and port (``app_context.app_service``)
    app_siblings: AppSiblings | None = None
    #: host -> [(ts, name)] it looked up or told a server (``app_context``)
    host_names: dict[str, list[tuple[float, str]]] | None = None
    #: seconds the whole capture spans, given when the flows are some hosts' only (``bounded``, the flow store)
    capture_window: float | None = None
    #: ports where encryption is the norm (``nonstandard_port``, from ``apps.standard_encrypted_ports``)
    standard_encrypted_ports: frozenset[str] | None = None


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

    def predicate(self) -> Callable[[Flow, DetectContext], bool]:
        """The per-flow test of one run: ``matches``, or (a subclass's choice) one that remembers its answers."""
        return self.matches

    def run(self, ctx: DetectContext) -> list[Indicator]:
        out: list[Indicator] = []
        matches = self.predicate()
        for flow in ctx.flows:
            if matches(flow, ctx):  # the rare match first: host_of only for those
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
