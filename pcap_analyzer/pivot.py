"""From a flow to its packets: a BPF filter (tcpdump, Arkime, Security Onion), a Wireshark/tshark display filter,
and links to packet stores by Community ID.

A TCP/UDP flow is selected exactly by its two endpoints in both directions; the display filter also bounds the time
(``frame.time_epoch``), so a 5-tuple reused later in the capture is left out (BPF cannot filter on time). An ICMP
flow is selected by its two addresses and its two ICMP types (the echo identifier is not kept per flow).
"""
from __future__ import annotations

import math
import shlex
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

from .model import Flow, capture_order

L4 = {"tcp": "tcp", "udp": "udp"}


def _is_v6(addr: str) -> bool:
    """An address in text form is IPv6 exactly when it has a colon (a flow's addresses are valid addresses)."""
    return ":" in addr


def _bpf_side(src: str, sport: int, dst: str, dport: int) -> str:
    return f"src host {src} and src port {sport} and dst host {dst} and dst port {dport}"


def inspect_command(captures: Sequence[str], community_id: str) -> str:
    """The shell command of the T2 deep dive into one flow (``fallback-hunt inspect``), quoted for a POSIX shell."""
    return shlex.join(["fallback-hunt", "inspect", *captures, "--community-id", community_id])


def bpf_filter(flow: Flow) -> str:
    """A BPF filter selecting the flow's packets, both directions."""
    a, b = flow.orig_h, flow.resp_h
    if flow.proto in L4:
        return (f"{flow.proto} and (({_bpf_side(a, flow.orig_p, b, flow.resp_p)}) or "
                f"({_bpf_side(b, flow.resp_p, a, flow.orig_p)}))")
    if flow.proto == "icmp":
        icmp, type_at = ("icmp6", "ip6[40]") if _is_v6(a) else ("icmp", "icmp[0]")
        types = " or ".join(f"{type_at} == {t}" for t in sorted({flow.orig_p, flow.resp_p}))
        return f"{icmp} and host {a} and host {b} and ({types})"
    return f"host {a} and host {b}"


def display_filter(flow: Flow) -> str:
    """A Wireshark / tshark display filter selecting the flow's packets (both directions, within its time span)."""
    ip = "ipv6" if _is_v6(flow.orig_h) else "ip"
    a, b = flow.orig_h, flow.resp_h
    first, last = math.floor(flow.ts * 1e6) / 1e6, math.ceil(flow.last_ts * 1e6) / 1e6
    when = f"frame.time_epoch >= {first:.6f} && frame.time_epoch <= {last:.6f}"
    if flow.proto in L4:
        p = flow.proto
        return (f"(({ip}.src == {a} && {p}.srcport == {flow.orig_p} && {ip}.dst == {b} && {p}.dstport == "
                f"{flow.resp_p}) || ({ip}.src == {b} && {p}.srcport == {flow.resp_p} && {ip}.dst == {a} && "
                f"{p}.dstport == {flow.orig_p})) && {when}")
    if flow.proto == "icmp":
        icmp = "icmpv6" if ip == "ipv6" else "icmp"
        types = " || ".join(f"{icmp}.type == {t}" for t in sorted({flow.orig_p, flow.resp_p}))
        return f"{ip}.addr == {a} && {ip}.addr == {b} && ({types}) && {when}"
    return f"{ip}.addr == {a} && {ip}.addr == {b} && {when}"


def pivot(flow: Flow) -> dict[str, Any]:
    """Everything an analyst needs to find one flow's packets elsewhere."""
    return {
        "uid": flow.uid,
        "community_id": flow.community_id,
        "proto": flow.proto,
        "orig_h": flow.orig_h,
        "orig_p": flow.orig_p,
        "resp_h": flow.resp_h,
        "resp_p": flow.resp_p,
        "first_ts": flow.ts,
        "last_ts": flow.last_ts,
        "bpf": bpf_filter(flow),
        "display_filter": display_filter(flow),
    }


def evidence_keys(host: dict[str, Any]) -> set[str]:
    """The uids and Community IDs a host's evidence points at (indicators and fallback channels), report.json form."""
    keys: set[str] = set()
    for ind in host.get("indicators") or []:
        keys.update(str(u) for u in ind.get("uids") or [])
        if ind.get("community_id"):
            keys.add(str(ind["community_id"]))
    for chan in host.get("channels") or []:
        for side in ("primary", "fallback"):
            if isinstance(chan.get(side), dict) and chan[side].get("community_id"):
                keys.add(str(chan[side]["community_id"]))
    return keys


def evidence_flows(keys: set[str], index: Mapping[str, Flow]) -> list[Flow]:
    """The flows ``keys`` name in a flow index (uid or Community ID -> flow), each once, in time order. An index that
    makes its flows when asked (flows/evidence.py) makes them in one batch (``many``)."""
    many = getattr(index, "many", None)
    flows = many(keys) if many is not None else (index.get(k) for k in keys)
    found = {id(f): f for f in flows if f is not None}
    return sorted(found.values(), key=capture_order)


def links(community_id: str, templates: dict[str, str]) -> list[tuple[str, str]]:
    """(name, URL) per configured template; ``{community_id}`` in a template is replaced by the URL-quoted ID."""
    if not community_id:
        return []
    value = quote(community_id, safe="")
    return [(name, template.replace("{community_id}", value)) for name, template in templates.items()]
