"""Pattern groups: the internal hosts that share a pattern, listed once per pattern, not once per host.

A pattern is one of ``verdict.signatures`` (a shared peer, or a shared indicator signature).  Every pattern that
two or more hosts show is a group; each host then refers to its groups (``HostReport.patterns``) and keeps only a
short sample of the other members (``same_pattern_hosts``, at most ``[report] max_same_pattern_hosts``).  So the
report grows with hosts, never with hosts squared: 12,000 hosts on one pattern are 12,000 names in one group, not
144 million names spread over 12,000 host entries.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ..model import HostReport
from ..report.patterns import group_hosts  # the one host grouping of every report

Signature = tuple[Any, ...]


@dataclass(slots=True)
class PatternGroup:
    """One pattern shared by ``members`` (sorted addresses); ``id`` is "P1", "P2"... (largest group first)."""

    id: str
    signature: str
    members: list[str]

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "signature": self.signature, "count": len(self.members), "members": self.members}


def signature_text(sig: Signature) -> str:
    """A signature as one line: ``peer evil.example`` or ``signature dns_tunnel udp/53 dns``."""
    if sig and sig[0] == "peer":
        return f"peer {sig[1]}"
    _, kind, proto, port, service = (*sig, "", "", "", "")[:5]
    where = f"{proto}/{port}" if port not in (None, "") else str(proto or "")
    return " ".join(str(p) for p in ("signature", kind, where, service) if p not in (None, ""))


def assign(hosts: list[HostReport], sigs: Mapping[str, Iterable[Signature]], cap: int) -> None:
    """Set every host's ``patterns`` (texts of its shared signatures, largest group first) and a sample of at most
    ``cap`` other hosts that share one (``same_pattern_hosts``).  Linear in hosts and signatures."""
    members: dict[str, list[str]] = defaultdict(list)
    for ip in sorted(sigs):
        for text in {signature_text(s) for s in sigs[ip]}:
            members[text].append(ip)
    shared = sorted((t for t, m in members.items() if len(m) > 1), key=lambda t: (-len(members[t]), t))
    of_host: dict[str, list[str]] = defaultdict(list)
    for text in shared:
        for ip in members[text]:
            of_host[ip].append(text)
    for host in hosts:
        host.patterns = of_host.get(host.ip, [])
        sample: set[str] = set()
        for text in host.patterns:
            for ip in members[text][: cap + 1]:  # cap others, plus the host itself
                if ip != host.ip and len(sample) < cap:
                    sample.add(ip)
        host.same_pattern_hosts = sorted(sample)


def pattern_groups(hosts: Iterable[HostReport]) -> list[PatternGroup]:
    """The groups the hosts refer to, largest first, each with its members once."""
    members: dict[str, list[str]] = defaultdict(list)
    for host in sorted(hosts, key=lambda h: h.ip):
        for text in host.patterns:
            members[text].append(host.ip)
    ordered = sorted(members, key=lambda t: (-len(members[t]), t))
    return [PatternGroup(f"P{i}", text, members[text]) for i, text in enumerate(ordered, 1)]



def host_groups(hosts: Iterable[HostReport], pattern_ids: Mapping[str, str]) -> list[dict[str, Any]]:
    """Hosts beyond the detailed ones, grouped as the HTML and the terminal group them (report.patterns: verdict,
    main indicator and its target), each member listed once (in the order given: escalate first, then by score):
    a few bytes per host instead of a full entry."""
    return [{"verdict": g.verdict, "label": g.label, "indicator": g.kind, "target": g.target,
             "patterns": sorted({pattern_ids.get(t, t) for h in g.hosts for t in h.patterns}),
             "max_score": max(h.score for h in g.hosts), "count": len(g.hosts), "members": [h.ip for h in g.hosts]}
            for g in group_hosts(hosts)]
