"""Threat-intel files: Zeek Intel framework format, or a plain list of IPs, CIDRs and domains (one per line)."""
from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..measures.domains import suffix_match
from ..errors import InputError
from ..prefixes import PrefixTable, network_text, parse_network
from ..validate import quote

_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?\.)+[a-z0-9-]{2,63}$")
#: Zeek Intel::Type values we can match on flows; others (URL, EMAIL, FILE_HASH...) are skipped.
ZEEK_TYPES = {"Intel::ADDR": "addr", "Intel::SUBNET": "subnet", "Intel::DOMAIN": "domain"}


@dataclass(frozen=True, slots=True)
class IntelEntry:
    indicator: str  # as written in the file (canonical form)
    kind: str  # "addr", "subnet" or "domain"
    source: str = ""
    desc: str = ""


@dataclass
class Intel:
    ips: dict[str, IntelEntry] = field(default_factory=dict)
    cidrs: list[tuple[tuple[int, int, int], IntelEntry]] = field(default_factory=list)  # (prefixes.parse_network)
    domains: dict[str, IntelEntry] = field(default_factory=dict)
    skipped: int = 0  # Zeek rows of a type we do not match on
    _table: PrefixTable[IntelEntry] | None = field(default=None, repr=False, compare=False)  # built from cidrs

    def __len__(self) -> int:
        return len(self.ips) + len(self.cidrs) + len(self.domains)

    def match_ip(self, ip: str) -> IntelEntry | None:
        try:
            addr = ipaddress.ip_address(ip)
        except ValueError:
            return None
        hit = self.ips.get(str(addr))
        if hit is not None or not self.cidrs:
            return hit
        if self._table is None:  # longest-prefix match, O(log n) per address (prefixes.py)
            self._table = PrefixTable(self.cidrs)
        return self._table.lookup(addr)

    def match_domain(self, name: str) -> IntelEntry | None:
        """The entry for ``name`` or for a domain it sits under (label boundary)."""
        zone = suffix_match(name, self.domains.keys()) if self.domains else None
        return self.domains[zone] if zone is not None else None

    def add(self, value: str, kind: str | None, source: str, desc: str, where: str) -> None:
        """Add one indicator; ``kind`` None means guess from the text (plain lists)."""
        value = value.strip()
        self._table = None
        if kind in ("addr", "subnet") or (kind is None and (value[:1].isdigit() or ":" in value)):
            net = parse_network(value)
            if net is None and kind is not None:
                raise InputError(f"{where}: '{quote(value)}' is not an IP address or subnet")
            if net is not None:
                version, start, _ = net
                if "/" not in value or kind == "addr":
                    addr = network_text(version, start, 32 if version == 4 else 128)
                    self.ips[addr] = IntelEntry(addr, "addr", source, desc)
                else:
                    self.cidrs.append((net, IntelEntry(network_text(*net), "subnet", source, desc)))
                return
        name = value.lower().rstrip(".")
        if not _DOMAIN.match(name):
            raise InputError(f"{where}: '{quote(value)}' is not an IP address, CIDR or domain")
        self.domains[name] = IntelEntry(name, "domain", source, desc)


def _zeek_rows(lines: list[str], path: str, intel: Intel) -> None:
    columns: list[str] = []
    for number, line in enumerate(lines, 1):
        if line.startswith("#fields"):
            columns = line.rstrip("\r\n").split("\t")[1:]
            if "indicator" not in columns or "indicator_type" not in columns:
                raise InputError(f"intel: {path}:{number}: #fields needs 'indicator' and 'indicator_type'")
            continue
        if not line.strip() or line.startswith("#"):
            continue
        values = line.rstrip("\r\n").split("\t")
        if len(values) != len(columns):
            raise InputError(f"intel: {path}:{number}: {len(values)} fields where #fields names {len(columns)}")
        row = dict(zip(columns, values))
        kind = ZEEK_TYPES.get(row["indicator_type"])
        if kind is None:
            if not row["indicator_type"].startswith("Intel::"):
                raise InputError(f"intel: {path}:{number}: unknown indicator_type '{quote(row['indicator_type'])}'")
            intel.skipped += 1
            continue
        meta = {k: ("" if v == "-" else v) for k, v in row.items()}
        intel.add(row["indicator"], kind, meta.get("meta.source", ""), meta.get("meta.desc", ""),
                  f"intel: {path}:{number}")


def _plain_rows(lines: list[str], path: str, intel: Intel) -> None:
    source = Path(path).name
    for number, line in enumerate(lines, 1):
        text, _, comment = line.partition("#")
        if text.strip():
            intel.add(text.strip(), None, source, comment.strip(), f"intel: {path}:{number}")


def load_intel(path: str | Path) -> Intel:
    """Read a Zeek Intel file (``#fields indicator indicator_type meta.source ...``) or a plain list.

    Raises InputError (one line) when the file cannot be read, a row is malformed, or it holds no indicator.
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"intel: cannot read {path}: {getattr(exc, 'strerror', None) or exc}") from None
    lines = text.splitlines()
    intel = Intel()
    if any(line.startswith("#fields") for line in lines):
        _zeek_rows(lines, str(path), intel)
    else:
        _plain_rows(lines, str(path), intel)
    if not len(intel):
        raise InputError(f"intel: {path} holds no IP, subnet or domain indicator")
    return intel
