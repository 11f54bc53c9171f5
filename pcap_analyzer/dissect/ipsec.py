"""IPsec: IKE (RFC 2408 ISAKMP / IKEv1, RFC 7296 IKEv2) on any UDP port, NAT traversal on 4500 (RFC 3948: IKE
after a 4-byte zero non-ESP marker, ESP in UDP, 1-byte keepalives), and ESP itself (IP protocol 50).

An IKE header is 28 bytes: a non-zero initiator SPI, the responder SPI, next payload, version 1.0 or 2.0, an
exchange type of that version, flags, message id and a length equal to the message's. ESP is an SPI (1-255 are
reserved) and a sequence number that advances; one SPI per direction.
"""
from __future__ import annotations

from collections import defaultdict

from ..config import Config
from ..model import Flow
from .units import datagrams

ESP_PROTO = "50"
_IKE_HEADER = 28
_EXCHANGES = {0x10: frozenset((1, 2, 3, 4, 5, 6, 32, 33)), 0x20: frozenset((34, 35, 36, 37, 38))}
_NON_ESP_MARKER = b"\0\0\0\0"


def ike_version(data: bytes) -> int:
    """1 or 2 when ``data`` is exactly one IKE message, else 0."""
    if len(data) < _IKE_HEADER or data[0:8] == b"\0" * 8:
        return 0
    version = data[17]
    if version not in _EXCHANGES or data[18] not in _EXCHANGES[version]:
        return 0
    return version >> 4 if int.from_bytes(data[24:28], "big") == len(data) else 0


def esp_header(data: bytes) -> tuple[bytes, int] | None:
    """(SPI, sequence number) of an ESP packet, or None."""
    if len(data) < 16 or int.from_bytes(data[0:4], "big") < 256:
        return None
    return data[0:4], int.from_bytes(data[4:8], "big")


def _esp_consistent(packets: list[tuple[bool, bytes]], min_packets: int) -> bool:
    """One SPI per direction with advancing sequence numbers, over at least ``min_packets`` packets."""
    by_side: dict[bool, list[tuple[bytes, int]]] = defaultdict(list)
    for side, data in packets:
        header = esp_header(data)
        if header is None:
            return False
        by_side[side].append(header)
    if sum(map(len, by_side.values())) < min_packets:
        return False
    for headers in by_side.values():
        seqs = [seq for _, seq in headers]
        if len({spi for spi, _ in headers}) != 1 or any(b <= a for a, b in zip(seqs, seqs[1:])):
            return False
    return True


def dissect_ike(flow: Flow, cfg: Config) -> bool:
    """Fill flow.app when a UDP flow carries IKE (plain, or behind the non-ESP marker), possibly with ESP-in-UDP
    and NAT keepalives beside it; flow.service becomes "ike"."""
    if flow.proto != "udp":
        return False
    versions: set[int] = set()
    esp: list[tuple[bool, bytes]] = []
    keepalives = 0
    for side, data in datagrams(flow):
        if data == b"\xff":
            keepalives += 1
            continue
        inner = data[4:] if data.startswith(_NON_ESP_MARKER) else data
        version = ike_version(inner)
        if version:
            versions.add(version)
        elif not data.startswith(_NON_ESP_MARKER):
            esp.append((side, data))
    in_udp = bool(esp) and _esp_consistent(esp, 1)
    if not versions and not (in_udp and len(esp) >= cfg.dissect.ipsec.min_esp_packets
                             and flow.resp_p == 4500):
        return False
    flow.app = {"protocol": "ike", "ike_versions": sorted(versions), "esp_in_udp": len(esp) if in_udp else 0,
                "keepalives": keepalives}
    return True


def dissect_esp(flow: Flow, cfg: Config) -> bool:
    """Fill flow.app when an IP protocol 50 flow has one SPI per direction and advancing sequence numbers."""
    if not _esp_consistent(datagrams(flow), 1):
        return False
    flow.app = {"protocol": "esp", "packets": len(flow.orig_datagrams) + len(flow.resp_datagrams)}
    return True
