"""JA4, the TLS client fingerprint of FoxIO's published JA4 specification (technical_details/JA4.md).

``a_b_c``:

* ``a`` - transport ("t" TCP, "q" QUIC, "d" DTLS), version (the highest of supported_versions, else the
  ClientHello's own version: "13", "12", "11", "10", "s3", "s2", "d1", "d2", "d3", unknown "00"), "d" when the
  hello carries a server name (SNI extension) else "i", the number of cipher suites and of extensions (two digits,
  at most 99, SNI and ALPN counted), and the first and last characters of the first ALPN value ("00" without
  one; the first and last hex digits of the value when either character is not ASCII alphanumeric);
* ``b`` - the first 12 hex digits of the SHA-256 of the cipher suites as 4-digit lower-case hex, sorted, joined by
  ","; "000000000000" without any;
* ``c`` - the same hash of the extensions (sorted, SNI and ALPN left out), then "_" and the signature algorithms in
  the order sent (no "_" when the hello has none); "000000000000" without any extension left.

GREASE values (RFC 8701) are ignored everywhere. ``raw`` is JA4_r: the same with the lists unhashed.
"""
from __future__ import annotations

import hashlib
from functools import lru_cache

_GREASE = frozenset(0x0A0A + 0x1010 * i for i in range(16))
_EXT_SNI, _EXT_ALPN, _EXT_SIG_ALGS, _EXT_VERSIONS = 0x0000, 0x0010, 0x000D, 0x002B
_VERSIONS = {0x0304: "13", 0x0303: "12", 0x0302: "11", 0x0301: "10", 0x0300: "s3", 0x0200: "s2", 0x0100: "s1",
             0xFEFF: "d1", 0xFEFD: "d2", 0xFEFC: "d3"}
_EMPTY = "000000000000"


def _u16s(body: bytes) -> list[int]:
    return [int.from_bytes(body[i: i + 2], "big") for i in range(0, len(body) - 1, 2)]


def _list_body(data: bytes, len_bytes: int) -> bytes:
    """The body of a length-prefixed list (cut to what is there when the prefix runs past the end)."""
    return data[len_bytes: len_bytes + int.from_bytes(data[:len_bytes], "big")]


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode("ascii")).hexdigest()[:12] if text else _EMPTY


def _alpn_chars(exts: list[tuple[int, bytes]]) -> str:
    for etype, body in exts:
        if etype != _EXT_ALPN:
            continue
        protocols = _list_body(body, 2)
        first = protocols[1: 1 + protocols[0]] if protocols else b""
        if not first:
            return "00"
        ends = bytes((first[0], first[-1]))
        if ends.isascii() and ends.isalnum():
            return ends.decode("ascii")
        digits = first.hex()
        return digits[0] + digits[-1]
    return "00"


def ja4(transport: str, legacy_version: int, suites: bytes, exts: list[tuple[int, bytes]]) -> tuple[str, str]:
    """(JA4, JA4_r) of a ClientHello: ``transport`` "t", "q" or "d"; ``suites`` the cipher-suite vector body;
    ``exts`` its (type, body) extensions in the order sent."""
    bodies = dict(exts)  # the last of a repeated type, as the extension loops read them
    return _ja4(transport, legacy_version, suites, tuple([etype for etype, _ in exts]), _alpn_chars(exts),
                bodies.get(_EXT_VERSIONS, b""), bodies.get(_EXT_SIG_ALGS, b""))


@lru_cache(maxsize=4096)  # a client sends the same hello fields again and again
def _ja4(transport: str, legacy_version: int, suites: bytes, etypes: tuple[int, ...], alpn: str, versions: bytes,
         sig_alg_list: bytes) -> tuple[str, str]:
    ciphers = [c for c in _u16s(suites) if c not in _GREASE]
    types = [etype for etype in etypes if etype not in _GREASE]
    offered = [v for v in _u16s(_list_body(versions, 1)) if v not in _GREASE]
    version = max(offered) if offered else legacy_version
    sig_algs = [s for s in _u16s(_list_body(sig_alg_list, 2)) if s not in _GREASE]
    head = (f"{transport}{_VERSIONS.get(version, '00')}{'d' if _EXT_SNI in types else 'i'}"
            f"{min(len(ciphers), 99):02d}{min(len(types), 99):02d}{alpn}")
    cipher_list = ",".join(f"{c:04x}" for c in sorted(ciphers))
    ext_list = ",".join(f"{e:04x}" for e in sorted(types) if e not in (_EXT_SNI, _EXT_ALPN))
    if ext_list and sig_algs:
        ext_list += "_" + ",".join(f"{s:04x}" for s in sig_algs)
    return f"{head}_{_hash(cipher_list)}_{_hash(ext_list)}", f"{head}_{cipher_list}_{ext_list}"
