"""DTLS (RFC 6347, RFC 9147) on any port, and whether its handshake negotiates SRTP keys (DTLS-SRTP, RFC 5764:
the ``use_srtp`` extension), which is how WebRTC and conferencing media start; plain DTLS is what VPN clients
(AnyConnect, OpenConnect) and some games use. The client's first ClientHello gives its JA4 (``app["ja4"]``, transport
"d").

A DTLS 1.0/1.2 record header is 13 bytes: content type 20-23, version 0xFEFF or 0xFEFD (or 0x0100), epoch,
48-bit sequence number and a length the datagram covers. DTLS 1.3 encrypted records use the unified header (first bits 001).
"""
from __future__ import annotations

from ..config import Config
from ..model import Flow
from .tls import client_hello_ja4
from .units import datagrams

_TYPES = frozenset((20, 21, 22, 23))
#: 0x0100 is OpenSSL's pre-RFC DTLS (DTLS1_BAD_VER), still spoken by Cisco AnyConnect gateways
_VERSIONS = {0xFEFF: "DTLSv10", 0xFEFD: "DTLSv12", 0xFEFC: "DTLSv13", 0x0100: "DTLS-pre-RFC"}
_USE_SRTP = 0x000E
_HEADER = 13


def records(data: bytes) -> list[tuple[int, int, bytes]] | None:
    """[(content type, version, fragment)] when ``data`` is exactly a run of DTLS 1.0/1.2 records, else None."""
    out = []
    pos = 0
    while pos < len(data):
        if pos + _HEADER > len(data) or data[pos] not in _TYPES:
            return None
        version = int.from_bytes(data[pos + 1: pos + 3], "big")
        length = int.from_bytes(data[pos + 11: pos + 13], "big")
        end = pos + _HEADER + length
        if version not in _VERSIONS or end > len(data):
            return None
        out.append((data[pos], version, data[pos + _HEADER: end]))
        pos = end
    return out or None


def _hello_extensions(fragment: bytes) -> set[int]:
    """Extension types of a ClientHello / ServerHello handshake fragment (empty when it is cut short)."""
    if len(fragment) < 12 or fragment[0] not in (1, 2):
        return set()
    pos = 12 + 2 + 32  # handshake header, version, random
    try:
        pos += 1 + fragment[pos]  # session id
        if fragment[0] == 1:
            pos += 1 + fragment[pos]  # cookie
            pos += 2 + int.from_bytes(fragment[pos: pos + 2], "big")  # cipher suites
            pos += 1 + fragment[pos]  # compression methods
        else:
            pos += 3  # cipher suite, compression method
        end = min(len(fragment), pos + 2 + int.from_bytes(fragment[pos: pos + 2], "big"))
        pos += 2
    except IndexError:
        return set()
    found = set()
    while pos + 4 <= end:
        found.add(int.from_bytes(fragment[pos: pos + 2], "big"))
        pos += 4 + int.from_bytes(fragment[pos + 2: pos + 4], "big")
    return found


def _client_hello_ja4(fragment: bytes) -> str:
    """JA4 (DTLS, "d") of an unfragmented ClientHello handshake fragment ("" for anything else)."""
    if len(fragment) < 12 or fragment[0] != 1:
        return ""
    length = int.from_bytes(fragment[1:4], "big")
    if int.from_bytes(fragment[6:9], "big") != 0 or int.from_bytes(fragment[9:12], "big") != length:
        return ""  # a piece of a fragmented hello
    return client_hello_ja4(fragment[12: 12 + length], "d")


def dissect(flow: Flow, cfg: Config) -> bool:
    """Fill flow.app when datagrams are DTLS records with a handshake (or DTLS records both ways)."""
    if flow.proto != "udp":
        return False
    handshakes = total = 0
    versions: set[str] = set()
    extensions: set[int] = set()
    sides: set[bool] = set()
    ja4 = ""
    for from_orig, data in datagrams(flow):
        found = records(data)
        if found is None:
            continue
        total += 1
        sides.add(from_orig)
        for ctype, version, fragment in found:
            versions.add(_VERSIONS[version])
            if ctype == 22:
                handshakes += 1
                extensions |= _hello_extensions(fragment)
                if from_orig and not ja4:
                    ja4 = _client_hello_ja4(fragment)
    if not handshakes and (total < 2 or len(sides) < 2):
        return False
    flow.app = {"protocol": "dtls", "records": total, "handshakes": handshakes, "versions": sorted(versions),
                "srtp": _USE_SRTP in extensions}
    if ja4:
        flow.app["ja4"] = ja4
    return True
