"""TLS handshake records: ClientHello / ServerHello, SNI, versions, ALPN and the JA3 fingerprint.

JA3 (github.com/salesforce/ja3): ``SSLVersion,Ciphers,Extensions,EllipticCurves,EllipticCurvePointFormats`` from
the ClientHello, decimal values joined by "-", GREASE values (RFC 8701: 0x0a0a, 0x1a1a, ... 0xfafa) removed;
the fingerprint is the md5 hex of that string. JA4 (dissect/ja4.py) is computed from the same ClientHello. Only the
payload's first handshake records are read (no decryption).
"""
from __future__ import annotations

import hashlib
import struct
from functools import lru_cache

from ..config import Config
from ..model import Flow, TlsInfo
from .ja4 import ja4
from .text import escape_text

_HANDSHAKE = 22
_CHANGE_CIPHER_SPEC, _ALERT, _APPLICATION_DATA = 20, 21, 23
_FATAL = 2
_CONTENT_TYPES = frozenset({20, 21, 22, 23})  # change_cipher_spec, alert, handshake, application_data
_CLIENT_HELLO = 1
_SERVER_HELLO = 2
_MAX_RECORD = 16384 + 2048  # RFC 8446 5.2: ciphertext limit
_EXT_SNI, _EXT_GROUPS, _EXT_POINT_FORMATS, _EXT_ALPN, _EXT_VERSIONS = 0, 10, 11, 16, 43

VERSION_NAMES = {0x0300: "SSLv3", 0x0301: "TLSv10", 0x0302: "TLSv11", 0x0303: "TLSv12", 0x0304: "TLSv13"}


class _Short(Exception):
    """Internal: a field runs past the end of its container."""


def _vector(data: bytes, pos: int, len_bytes: int) -> tuple[bytes, int]:
    """The length-prefixed vector at ``pos``, and the position after it."""
    start = pos + len_bytes
    if start > len(data):
        raise _Short
    if len_bytes == 1:
        end = start + data[pos]
    elif len_bytes == 2:
        end = start + ((data[pos] << 8) | data[pos + 1])
    else:
        end = start + int.from_bytes(data[pos:start], "big")
    if end > len(data):
        raise _Short
    return data[start:end], end


#: RFC 8701 GREASE values: 0x0a0a, 0x1a1a, ... 0xfafa
_GREASE = frozenset(0x0A0A + 0x1010 * i for i in range(16))


def is_grease(value: int) -> bool:
    return value in _GREASE


def version_name(value: int) -> str:
    return VERSION_NAMES.get(value, f"0x{value:04x}")


def looks_like_handshake(sample: bytes) -> bool:
    """A TLS handshake record header carrying a ClientHello or ServerHello starts the sample."""
    return (
        len(sample) >= 6
        and sample[0] == _HANDSHAKE
        and sample[1] == 3
        and sample[2] <= 4
        and 4 <= int.from_bytes(sample[3:5], "big") <= _MAX_RECORD
        and sample[5] in (_CLIENT_HELLO, _SERVER_HELLO)
    )


def looks_like_sslv2_hello(sample: bytes) -> bool:
    """An SSLv2-format ClientHello (2-byte header with the top bit set) offering SSLv2..TLS 1.2."""
    return (
        len(sample) >= 5
        and sample[0] & 0x80 != 0
        and sample[2] == _CLIENT_HELLO
        and int.from_bytes(sample[3:5], "big") in (0x0002, *VERSION_NAMES)
    )


def looks_like_record_stream(sample: bytes) -> bool:
    """The sample is a chain of TLS records (any content type) from its first byte: a connection whose handshake
    the capture missed. Every complete record must be followed by another valid record header."""
    pos = 0
    while pos + 5 <= len(sample):
        length = int.from_bytes(sample[pos + 3: pos + 5], "big")
        if not (sample[pos] in _CONTENT_TYPES and sample[pos + 1] == 3 and sample[pos + 2] <= 4
                and 0 < length <= _MAX_RECORD):
            return False
        pos += 5 + length
    return pos > 0


def _handshake_stream(sample: bytes) -> bytes:
    """The leading handshake records' bodies, reassembled (the last one may be cut by the sample bound)."""
    parts = []
    pos, size = 0, len(sample)
    while pos + 5 <= size and sample[pos] == _HANDSHAKE and sample[pos + 1] == 3:
        length = (sample[pos + 3] << 8) | sample[pos + 4]
        parts.append(sample[pos + 5: pos + 5 + length])
        pos += 5 + length
    return parts[0] if len(parts) == 1 else b"".join(parts)


def handshake_messages(sample: bytes) -> list[tuple[int, bytes]]:
    """(type, body) of the handshake messages in the leading handshake records (records reassembled)."""
    data, out, pos = _handshake_stream(sample), [], 0
    while pos + 4 <= len(data):
        end = pos + 4 + ((data[pos + 1] << 16) | (data[pos + 2] << 8) | data[pos + 3])
        if end > len(data):
            break  # cut by the sample bound
        out.append((data[pos], data[pos + 4: end]))
        pos = end
    return out


def _extensions(hello: bytes, pos: int) -> list[tuple[int, bytes]]:
    """(type, body) of the extension block at ``pos`` that ends a hello (none when the hello stops before it)."""
    size = len(hello)
    if pos >= size:
        return []
    if pos + 2 > size:
        raise _Short
    end = pos + 2 + ((hello[pos] << 8) | hello[pos + 1])
    if end > size:
        raise _Short
    out = []
    pos += 2
    while pos + 4 <= end:
        etype = (hello[pos] << 8) | hello[pos + 1]
        start = pos + 4
        pos = start + ((hello[pos + 2] << 8) | hello[pos + 3])
        if pos > end:
            raise _Short
        out.append((etype, hello[start:pos]))
    return out


def _ints(items: bytes, width: int) -> list[int]:
    """A vector body of 1- or 2-byte big-endian integers."""
    return list(struct.unpack_from(f"!{len(items) // width}{'H' if width == 2 else 'B'}", items))


def _sni(data: bytes) -> str:
    names, _ = _vector(data, 0, 2)
    pos = 0
    while pos + 3 <= len(names):
        name, end = _vector(names, pos + 1, 2)
        if names[pos] == 0:  # host_name
            return escape_text(name).lower()
        pos = end
    return ""


def _alpn(data: bytes) -> list[str]:
    return list(_alpn_names(data))


@lru_cache(maxsize=1024)  # clients offer the same few lists ("h2", "http/1.1")
def _alpn_names(data: bytes) -> tuple[str, ...]:
    protocols, _ = _vector(data, 0, 2)
    out, pos = [], 0
    while pos < len(protocols):
        name, pos = _vector(protocols, pos, 1)
        out.append(escape_text(name))
    return tuple(out)


def _dashed(values: list[int] | tuple[int, ...]) -> str:
    return "-".join([str(v) for v in values if v not in _GREASE])


#: JA3 (string, md5) by the ClientHello fields it is made of: a client sends the same fields again and again.
_JA3_CACHE: dict[tuple[int, bytes, tuple[int, ...], bytes, bytes], tuple[str, str]] = {}
_JA3_CACHE_SIZE = 4096


def _ja3(legacy_version: int, suites: bytes, etypes: tuple[int, ...], curves: bytes, point_formats: bytes
         ) -> tuple[str, str]:
    """(JA3 string, JA3 md5) from the raw cipher-suite, group and point-format vector bodies."""
    key = (legacy_version, suites, etypes, curves, point_formats)
    found = _JA3_CACHE.get(key)
    if found is None:
        fields = (_ints(suites, 2), etypes, _ints(curves, 2), _ints(point_formats, 1))
        text = ",".join([str(legacy_version), *(_dashed(values) for values in fields)])
        found = (text, hashlib.md5(text.encode("ascii")).hexdigest())
        if len(_JA3_CACHE) >= _JA3_CACHE_SIZE:
            _JA3_CACHE.clear()
        _JA3_CACHE[key] = found
    return found


def parse_client_hello(body: bytes, info: TlsInfo, transport: str = "t") -> None:
    """Fill ``info`` from a ClientHello body (``transport`` "t" TLS over TCP, "d" DTLS, "q" QUIC: JA4's first
    character)."""
    size = len(body)
    legacy_version = int.from_bytes(body[:2], "big")
    if size < 35:
        raise _Short
    pos = 35 + body[34]  # after version, random and session id
    if transport == "d":  # DTLS: the HelloVerifyRequest cookie follows the session id
        if pos >= size:
            raise _Short
        pos += 1 + body[pos]
    if pos + 2 > size:
        raise _Short
    suites_start = pos + 2
    pos = suites_start + ((body[pos] << 8) | body[pos + 1])
    if pos >= size:  # the suites run past the end, or the compression methods' length is missing
        raise _Short
    suites = body[suites_start:pos]
    pos += 1 + body[pos]  # compression methods
    if pos > size:
        raise _Short
    exts = _extensions(body, pos)
    curves = point_formats = b""
    offered = [legacy_version]
    for etype, edata in exts:
        if etype == _EXT_SNI and edata:
            info.sni = _sni(edata)
        elif etype == _EXT_GROUPS:
            curves = _vector(edata, 0, 2)[0]
        elif etype == _EXT_POINT_FORMATS:
            point_formats = _vector(edata, 0, 1)[0]
        elif etype == _EXT_ALPN:
            info.alpn = _alpn(edata)
        elif etype == _EXT_VERSIONS:
            offered = [v for v in _ints(_vector(edata, 0, 1)[0], 2) if v not in _GREASE] or offered
    info.client_hello = True
    info.ja3_string, info.ja3 = _ja3(legacy_version, suites, tuple([etype for etype, _ in exts]), curves,
                                     point_formats)
    info.ja4, info.ja4_raw = ja4(transport, legacy_version, suites, exts)
    if not info.version:
        info.version = version_name(max(offered))


def client_hello_ja4(body: bytes, transport: str) -> str:
    """JA4 of a ClientHello body carried by another transport (DTLS "d"); "" when it is cut or malformed."""
    info = TlsInfo()
    try:
        parse_client_hello(body, info, transport)
    except _Short:
        return ""
    return info.ja4


def parse_server_hello(body: bytes, info: TlsInfo) -> None:
    version = int.from_bytes(body[:2], "big")
    _, pos = _vector(body, 34, 1)  # session id, after version and random
    for etype, edata in _extensions(body, pos + 3):  # after cipher suite and compression method
        if etype == _EXT_VERSIONS and len(edata) == 2:
            version = int.from_bytes(edata, "big")
        elif etype == _EXT_ALPN:
            info.alpn = _alpn(edata)
    info.server_hello = True
    info.version = version_name(version)  # the negotiated version wins over the offered one


def fatal_alert(sample: bytes) -> int:
    """The description code of the first cleartext fatal alert record (level 2) in a responder's record chain, read
    up to the first application data or ChangeCipherSpec record (alerts after those are encrypted); -1 when none."""
    pos = 0
    while pos + 5 <= len(sample):
        ctype, length = sample[pos], int.from_bytes(sample[pos + 3: pos + 5], "big")
        if sample[pos + 1] != 3 or ctype not in _CONTENT_TYPES or ctype in (_CHANGE_CIPHER_SPEC, _APPLICATION_DATA):
            return -1
        if ctype == _ALERT:
            body = sample[pos + 5: pos + 5 + length]
            return body[1] if length == 2 and len(body) == 2 and body[0] == _FATAL else -1
        pos += 5 + length
    return -1


def parse_tls(orig_sample: bytes, resp_sample: bytes) -> TlsInfo | None:
    """TlsInfo from the first ClientHello / ServerHello of either direction, or None when the payload is not TLS.
    A hello cut or malformed mid-way gives the fields read so far; an SSLv2-format hello, or a record stream whose
    handshake the capture missed, gives an empty TlsInfo (client_hello and server_hello False)."""
    info = TlsInfo()
    seen = looks_like_sslv2_hello(orig_sample)
    for sample in (resp_sample, orig_sample):  # ServerHello first: its version is the negotiated one
        if not looks_like_handshake(sample):
            continue
        seen = True
        data = _handshake_stream(sample)
        pos, size = 0, len(data)
        while pos + 4 <= size and not (info.client_hello and info.server_hello):
            msg_type = data[pos]
            end = pos + 4 + ((data[pos + 1] << 16) | (data[pos + 2] << 8) | data[pos + 3])
            if end > size:
                break  # cut by the sample bound
            try:
                if msg_type == _CLIENT_HELLO and not info.client_hello:
                    parse_client_hello(data[pos + 4: end], info)
                elif msg_type == _SERVER_HELLO and not info.server_hello:
                    parse_server_hello(data[pos + 4: end], info)
            except _Short:
                pass  # cut or malformed hello: keep what was read
            pos = end
    if not seen:
        seen = any(looks_like_record_stream(sample) for sample in (orig_sample, resp_sample) if sample)
    if seen and info.client_hello and not info.server_hello:
        info.server_alert = fatal_alert(resp_sample)  # an inspecting firewall refusing the handshake
    return info if seen else None


def dissect(flow: Flow, cfg: Config) -> bool:
    """Fill flow.tls when a TCP payload starts with TLS (a hello, or records of a connection seen mid-stream)."""
    if flow.proto != "tcp":
        return False
    info = parse_tls(flow.orig_sample, flow.resp_sample)
    if info is None:
        return False
    flow.tls = info
    return True
