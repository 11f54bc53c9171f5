"""App knowledge the detectors share (pcap_analyzer/apps.py), applied to a run: the service an unrecognised flow
inherits from a recognised sibling, and the app evidence an indicator carries.

A sibling is a flow of the same host to the same port and transport whose payload a dissector recognised as an
app protocol ([apps] classes), starting within [apps] attribution_window seconds, to the same peer (a second socket
of one call, a media flow whose first datagrams were lost) or on a port customary for that protocol (a speed test's
parallel connections). Ordinary TLS / HTTP siblings are not inherited: raw bytes beside TLS stay suspicious.

A vendor's documented domains (data/service_ports.toml) link a flow on the vendor's ports to the vendor when the
host reached one of them (DNS, SNI, HTTP Host) within the same window.
"""
from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from .. import apps
from ..measures.domains import suffix_match
from ..model import Flow
from .base import AppSiblings, DetectContext, host_of
from .facts import established
from .index import get_index, told_names

def _siblings(ctx: DetectContext) -> AppSiblings:
    """(host, peer or "", port, proto) -> [(ts, service)] of recognised app flows ("" peer: customary port)."""
    table = ctx.app_siblings
    if table is None:
        classes = ctx.cfg.apps.classes
        table = defaultdict(list)
        for flow in ctx.flows:
            if flow.service in classes:
                table[flow.orig_h, flow.resp_h, flow.resp_p, flow.proto].append((flow.ts, flow.service))
                if apps.customary(flow, ctx.cfg) is not None:
                    table[flow.orig_h, "", flow.resp_p, flow.proto].append((flow.ts, flow.service))
        for items in table.values():
            items.sort()
        ctx.app_siblings = table
    return table


def _nearest(items: list[tuple[float, str]], ts: float, window: float) -> str:
    i = bisect.bisect_left(items, (ts, ""))
    near = [items[j] for j in (i - 1, i) if 0 <= j < len(items)]
    when, what = min(near, key=lambda item: abs(item[0] - ts))
    return what if abs(when - ts) <= window else ""


def app_service(flow: Flow, ctx: DetectContext) -> str:
    """flow.service, or for an unrecognised flow the app protocol of its nearest recognised sibling ("" if none)."""
    if flow.service:
        return flow.service
    window = ctx.cfg.apps.attribution_window
    table = _siblings(ctx)
    for peer in (flow.resp_h, ""):
        items = table.get((flow.orig_h, peer, flow.resp_p, flow.proto))
        found = _nearest(items, flow.ts, window) if items else ""
        if found:
            return found
    return ""


def _host_names(ctx: DetectContext) -> dict[str, list[tuple[float, str]]]:
    """host -> [(ts, name)] of the names it looked up or told a server (SNI, Host), by time."""
    names = ctx.host_names
    if names is None:
        index = get_index(ctx)
        names = defaultdict(list)
        for host, lookups in index.lookups.items():
            names[host].extend((lk.ts, lk.qname) for lk in lookups if lk.qname)
        for host, flows in index.by_host.items():
            names[host].extend((f.ts, name) for f in flows for name in told_names(f))
        for items in names.values():
            items.sort()
        ctx.host_names = names
    return names


def vendor_linked(flow: Flow, entry: apps.PortEntry, ctx: DetectContext) -> bool:
    """The flow's host reached one of the entry's vendor domains within [apps] attribution_window of the flow."""
    host = host_of(flow, ctx.home)
    if host is None or not entry.domains:
        return False
    window = ctx.cfg.apps.attribution_window
    items = _host_names(ctx).get(host, [])
    lo = bisect.bisect_left(items, (flow.ts - window, ""))
    hi = bisect.bisect_right(items, (flow.ts + window, "\uffff"))
    zones = frozenset(entry.domains)
    return any(suffix_match(name, zones) is not None for _, name in items[lo:hi])


def customary(flow: Flow, ctx: DetectContext) -> apps.PortEntry | None:
    """apps.customary of the flow's (possibly inherited) service, with its vendor's domains as a link."""
    return apps.customary(flow, ctx.cfg, app_service(flow, ctx), lambda entry: vendor_linked(flow, entry, ctx))


def app_class(flow: Flow, ctx: DetectContext) -> str:
    """apps.app_class of the flow's (possibly inherited) service."""
    return apps.app_class(flow, ctx.cfg, app_service(flow, ctx))


def ordinary_app(flow: Flow, ctx: DetectContext) -> bool:
    """apps.ordinary_app of the flow's (possibly inherited) service."""
    return apps.ordinary_app(flow, ctx.cfg, app_service(flow, ctx))


def app_evidence(flow: Flow, ctx: DetectContext) -> dict[str, Any]:
    """{"app_service", "app_class", "app", "customary_port"} for an indicator's evidence ({} when nothing is known)."""
    service = app_service(flow, ctx)
    out: dict[str, Any] = {}
    cls = apps.app_class(flow, ctx.cfg, service)
    if cls:
        out["app_class"] = cls
    if service and service != flow.service:
        out["app_service"] = service  # inherited from a recognised sibling flow
    if flow.app is not None:
        out["app"] = dict(flow.app)
    entry = customary(flow, ctx)
    if entry is not None:
        out["customary_port"] = {"app": entry.app, "source": entry.source}
    return out


@lru_cache(maxsize=4096)
def _vendor_port(proto: str, port: int) -> bool:
    """An entry of proto/port names vendor domains for encrypted payload: ``customary`` may then ask whether the
    flow's host reached them (``vendor_linked``), an answer of the flow's own."""
    return any(entry.encrypted and entry.domains for entry in apps.port_entries(proto, port))


def service_key(flow: Flow) -> tuple[str, int, str, str, bool] | None:
    """(proto, port, service, expected service, established): all that this module's answers about a flow
    (``app_service``, ``app_class``, ``ordinary_app``, ``customary``) depend on when the flow's own service is
    recognised; None when they depend on more: an unrecognised flow (it may inherit a sibling's service, and its
    measures count), DTLS (its SRTP keys), a port whose vendor entry the host's lookups can link."""
    service = flow.service
    if not service or service == "dtls" or _vendor_port(flow.proto, flow.resp_p):
        return None
    return flow.proto, flow.resp_p, service, flow.expected_service, established(flow)


def by_service(judge: Callable[[Flow, DetectContext], bool]) -> Callable[[Flow, DetectContext], bool]:
    """``judge`` (a per-flow test of a port detector that reads no more of a recognised flow than ``service_key``)
    remembering its answer per key: tens of thousands of flows, a few dozen distinct answers."""
    known: dict[tuple[str, int, str, str, bool], bool] = {}

    def remembered(flow: Flow, ctx: DetectContext) -> bool:
        key = service_key(flow)
        if key is None:
            return judge(flow, ctx)
        found = known.get(key)
        if found is None:
            found = known[key] = judge(flow, ctx)
        return found

    return remembered
