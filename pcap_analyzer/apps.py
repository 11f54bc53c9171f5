"""What the analyzer knows about real applications: the customary ports of services and apps
(data/service_ports.toml), which ports are one service, and the tool class of a recognised protocol ([apps] in the
config: media, VPN, remote access, P2P...).

Detectors ask three questions here: is this flow's protocol customary on its port (``customary``), is it an
ordinary app protocol doing what it does (``ordinary_app``), and are two ports one service (``same_service``).
"""
from __future__ import annotations

import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from .config import Config
from .model import Flow


@dataclass(frozen=True)
class PortEntry:
    """One [[port]] entry, for one proto and port range."""

    proto: str
    first: int
    last: int
    services: tuple[str, ...]
    app: str
    app_class: str
    domains: tuple[str, ...]
    encrypted: bool
    expect: bool
    source: str

    @property
    def width(self) -> int:
        return self.last - self.first + 1


def _span(spec: str) -> tuple[str, int, int]:
    """"udp/8801-8810" -> ("udp", 8801, 8810)."""
    proto, ports = spec.split("/")
    first, _, last = ports.partition("-")
    return proto, int(first), int(last or first)


@lru_cache(maxsize=1)
def _data() -> tuple[tuple[PortEntry, ...], tuple[frozenset[str], ...]]:
    text = resources.files("pcap_analyzer").joinpath("data/service_ports.toml").read_text(encoding="utf-8")
    data = tomllib.loads(text)
    entries = []
    for item in data.get("port", []):
        for spec in item["ports"]:
            proto, first, last = _span(spec)
            entries.append(PortEntry(proto, first, last, tuple(item["services"]), item.get("app", ""),
                                     item.get("class", ""), tuple(item.get("domains", ())),
                                     bool(item.get("encrypted", False)),
                                     bool(item.get("expect", False)), item["source"]))
    groups = tuple(frozenset(g["ports"]) for g in data.get("same_service", []))
    return tuple(entries), groups


@lru_cache(maxsize=4096)
def port_entries(proto: str, port: int) -> tuple[PortEntry, ...]:
    """The entries that cover proto/port, narrowest first."""
    return tuple(sorted((e for e in _data()[0] if e.proto == proto and e.first <= port <= e.last),
                        key=lambda e: e.width))


def expected_ports(cfg: Config) -> dict[str, str]:
    """[ports] expected, extended by the data file's ``expect`` entries (the config wins where both name a port)."""
    out = {f"{e.proto}/{e.first}": e.services[0] for e in _data()[0] if e.expect and e.width == 1}
    out.update(cfg.ports.expected)
    return out


def standard_encrypted_ports(cfg: Config) -> frozenset[str]:
    """[detect] standard_encrypted_ports, extended by the data file's single ports registered for an encrypted
    protocol the dissectors name (TLS, DTLS: 5061 sips, 5349 turns, 5223 APNs...), not for a policy-class tool."""
    encrypted = set(cfg.detect.encrypted_services) | {"dtls"}
    extra = {f"{e.proto}/{e.first}" for e in _data()[0]
             if e.width == 1 and encrypted & set(e.services) and not is_policy_class(e.app_class, cfg)}
    return frozenset(cfg.detect.standard_encrypted_ports) | extra


def customary(flow: Flow, cfg: Config, service: str | None = None,
              linked: Callable[[PortEntry], bool] | None = None) -> PortEntry | None:
    """The entry that makes this flow's protocol customary on its responder port, or None.

    A recognised service is customary where an entry lists it. Unrecognised payload is customary only on an
    ``encrypted`` entry that names a vendor protocol ("") and is at most [apps] max_unrecognised_range ports wide:
    a vendor's wide UDP range cannot vouch for any random bytes. ``linked(entry)`` says whether the host reached
    the entry's vendor domains around the flow: then an ``encrypted`` entry vouches for any payload.
    """
    service = flow.service if service is None else service
    for entry in port_entries(flow.proto, flow.resp_p):
        if service and service in entry.services:
            return entry
        if (not service and "" in entry.services and entry.encrypted
                and entry.width <= cfg.apps.max_unrecognised_range):
            return entry
    for entry in port_entries(flow.proto, flow.resp_p):
        if entry.encrypted and entry.domains and linked is not None and linked(entry):
            return entry
    return None


def app_class(flow: Flow, cfg: Config, service: str | None = None) -> str:
    """The tool class of the flow's protocol ("" when nothing is known): [apps] classes by service, plain DTLS
    (no SRTP keys) as [apps] dtls_without_srtp, else the class of the customary-port entry."""
    acfg = cfg.apps
    service = flow.service if service is None else service
    if service == "dtls" and flow.app is not None and not flow.app.get("srtp", False):
        return acfg.dtls_without_srtp
    if service in acfg.classes:
        return acfg.classes[service]
    entry = customary(flow, cfg, service)
    return entry.app_class if entry is not None else ""


def is_policy_class(app_cls: str, cfg: Config) -> bool:
    """VPN, remote access, P2P...: tools whose use is a policy question for the analyst, not a C2 sign."""
    return app_cls in cfg.apps.policy_classes


def ordinary_app(flow: Flow, cfg: Config, service: str | None = None) -> bool:
    """A recognised app protocol of an ordinary class (media, voice, time, authentication...) on its customary
    port, or of a class that negotiates its ports ([apps] dynamic_port_classes: call media, games) on a registered /
    dynamic port (>= [apps] min_app_port): what calls and conferencing do. RDP or Kerberos elsewhere stays odd."""
    service = flow.service if service is None else service
    if not service:
        return False
    acfg = cfg.apps
    cls = app_class(flow, cfg, service)
    if cls not in acfg.ordinary_classes:
        return False
    if customary(flow, cfg, service) is not None:
        return True
    return cls in acfg.dynamic_port_classes and flow.resp_p >= acfg.min_app_port


def same_service(a: str, b: str) -> bool:
    """Two distinct responder ports ("proto/port") that are one service (993 and 143, 5223 and 443...): a client
    moving between them is not switching protocol or channel. A port with itself is False: another protocol on the
    same port (TLS then SSH on 443) is a switch, which these ports do not excuse."""
    return a != b and any(a in group and b in group for group in _data()[1])
