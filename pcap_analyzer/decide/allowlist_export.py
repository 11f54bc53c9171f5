"""The allowlist in the other engines' forms: an Input-framework file for the Zeek package (read by
zeek_scripts/allowlist.zeek) and Suricata ``threshold.config`` suppress lines for the shipped ruleset."""
from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from pathlib import Path

from .allowlist import Entry
from ..homenet import HomeNet


def zeek_input(entries: Iterable[Entry]) -> str:
    """The allowlist for the Zeek package: an Input-framework table file (FallbackChannels::allowlist_file).

    Columns: entry (a network, name, ``*.zone`` or ``host->peer``), kind, indicators (``*`` = every type), reason.
    Fingerprint entries are left out (the package's findings carry no JA3/JA4), with a comment line saying so.
    """
    rows = ["#separator \\x09", "#fields\tentry\tkind\tindicators\treason"]
    skipped = 0
    for e in entries:
        if e.kind in ("ja3", "ja4"):
            skipped += 1
            continue
        scope = ",".join(sorted(e.indicators)) or "*"
        reason = " ".join(e.reason.split()) or "-"
        rows.append(f"{e.text}\t{e.kind}\t{scope}\t{reason}")
    if skipped:
        rows.insert(1, f"# {skipped} JA3/JA4 entries left out: the Zeek package's findings carry no fingerprint")
    return "\n".join(rows) + "\n"


def ruleset_sids(rules: Path) -> list[tuple[int, str]]:
    """(sid, fallback_indicator) of every rule of the shipped ruleset."""
    out = []
    for line in rules.read_text(encoding="utf-8").splitlines():
        sid = re.search(r"\bsid:\s*(\d+)\s*;", line)
        kind = re.search(r"fallback_indicator\s+([a-z_]+)", line)
        if sid and not line.lstrip().startswith("#"):
            out.append((int(sid.group(1)), kind.group(1) if kind else ""))
    return out


def suricata_threshold(entries: Iterable[Entry], rules: Path, home: HomeNet | None) -> str:
    """The allowlist as Suricata ``threshold.config`` suppress lines for the shipped ruleset's SIDs.

    An address / network entry suppresses the rules of its scope: ``track by_src`` for an internal network (the
    host side), ``track by_dst`` for an external one (the peer side). Names, fingerprints and pairs have no
    threshold.config form and are listed as comments.
    """
    sids = ruleset_sids(rules)
    lines = ["# fallback-hunt allowlist as Suricata suppress lines (threshold-file in suricata.yaml).",
             f"# For the rules of {rules.name}."]
    for e in entries:
        if e.kind != "cidr":
            lines.append(f"# not expressible here ({e.kind}): {e.text} # {e.reason}")
            continue
        network = ipaddress.ip_network(e.value)
        track = "by_src" if home is not None and home.is_internal(str(network.network_address)) else "by_dst"
        lines.append(f"# {e.text}: {e.reason} ({e.where})")
        lines += [f"suppress gen_id 1, sig_id {sid}, track {track}, ip {e.value}"
                  for sid, kind in sids if not e.indicators or kind in e.indicators]
    return "\n".join(lines) + "\n"
