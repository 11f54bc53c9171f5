"""dns_tunnel: data carried in DNS names and records (iodine, dnscat2, dns2tcp...).

Judged per name, so that a short session fires too: a query type almost only tunnels use (NULL), names whose part
below the registered domain is long and high-entropy (encoded data), and, per zone, many distinct subdomains asked
with data-carrying record types (TXT/CNAME/MX/NULL).
"""
from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from functools import lru_cache, partial

from ..config_schema import DetectConfig, DnsTunnelConfig
from ..homenet import is_broadcast
from ..measures.domains import base_domain, suffix_match
from ..measures.measures import entropy, name_measures
from ..model import Indicator
from .base import DetectContext, indicator
from .index import DnsLookup, get_index

#: name shapes remembered during one run (a few hundred bytes each)
SHAPES_KEPT = 8192


def has_real_tld(qname: str) -> bool:
    tld = qname.rsplit(".", 1)[-1]
    return "." in qname and (tld.isalpha() or tld.startswith("xn--"))


def zone_of(lookup: DnsLookup) -> str:
    """The registered domain a name sits under; names without a real (alphabetic) TLD, as dnscat2 sends straight to
    its server, are grouped by the resolver they went to ("@resolver")."""
    if has_real_tld(lookup.qname):
        return base_domain(lookup.qname)
    return f"@{lookup.resolver}"


def name_shape(qname: str) -> dict[str, float | int | str]:
    """measures.name_measures; a name without a real TLD has no registered domain, so all of it is "subdomain"."""
    shape = name_measures(qname)
    if not has_real_tld(qname):
        chars = qname.replace(".", "")
        shape.update(sub_length=len(chars), entropy=entropy(chars.encode("utf-8", "surrogateescape")))
    return shape


def is_encoded(shape: dict, tcfg: DnsTunnelConfig) -> bool:
    """The subdomain part looks like encoded data rather than words."""
    return (int(shape["sub_length"]) >= tcfg.min_sub_length and int(shape["longest_label"]) >= tcfg.min_label
            and float(shape["entropy"]) >= tcfg.min_entropy)


class DnsTunnel:
    name = "dns_tunnel"

    def run(self, ctx: DetectContext) -> list[Indicator]:
        index = get_index(ctx)
        ignored_zone = lru_cache(maxsize=1 << 16)(partial(suffix_match, suffixes=frozenset(
            ctx.cfg.detect.dns_tunnel.ignore_zones)))  # names recur
        shape_of = lru_cache(maxsize=SHAPES_KEPT)(name_shape)  # names recur across hosts (read, never changed)
        out: list[Indicator] = []
        for host, lookups in index.lookups.items():
            zones: dict[str, list[DnsLookup]] = defaultdict(list)
            for lookup in lookups:
                if lookup.qname and not is_broadcast(lookup.resolver) and ignored_zone(lookup.qname) is None:
                    zones[zone_of(lookup)].append(lookup)
            for zone, items in zones.items():
                ind = self._judge(host, zone, items, ctx.cfg.detect, shape_of)
                if ind is not None:
                    out.append(ind)
        return out

    def _judge(self, host: str, zone: str, items: list[DnsLookup], dcfg: DetectConfig,
               shape_of: Callable[[str], dict[str, float | int | str]] = name_shape) -> Indicator | None:
        tcfg = dcfg.dns_tunnel
        names = sorted({lk.qname for lk in items})
        measures = {n: shape_of(n) for n in names}
        encoded = [n for n in names if is_encoded(measures[n], tcfg)]
        standalone = sorted({lk.qtype_name for lk in items if lk.qtype_name in tcfg.standalone_qtypes})
        tunnel_types = sum(1 for lk in items if lk.qtype_name in tcfg.tunnel_qtypes)
        reasons = []
        if standalone:
            reasons.append(f"query type {'/'.join(standalone)}")
        if len(encoded) >= tcfg.min_encoded_names:
            reasons.append(f"{len(encoded)} encoded names")
        if len(names) >= tcfg.min_unique and tunnel_types / len(items) >= tcfg.tunnel_qtype_ratio:
            reasons.append(f"{len(names)} distinct names, {tunnel_types} data-carrying record types")
        if not reasons:
            return None
        qtypes = Counter(lk.qtype_name for lk in items)
        first = items[0]
        examples = (encoded or names)[: dcfg.max_examples]
        evidence = {
            "zone": "" if zone.startswith("@") else zone,
            "resolver": first.resolver,
            "reasons": reasons,
            "queries": len(items),
            "unique_names": len(names),
            "encoded_names": len(encoded),
            "qtypes": dict(sorted(qtypes.items())),
            "first_ts": first.ts,
            "last_ts": items[-1].ts,
            "duration": items[-1].ts - first.ts,
            "max_name_length": max(int(m["length"]) for m in measures.values()),
            "max_name_entropy": round(max(float(m["entropy"]) for m in measures.values()), 3),
            "examples": examples,
        }
        ind = indicator(self.name, host, first.flow, evidence, peer=evidence["zone"] or first.resolver, ts=first.ts)
        ind.uids = list(dict.fromkeys([*ind.uids, *(lk.flow.uid for lk in items)]))
        return ind
