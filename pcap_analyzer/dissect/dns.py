"""DNS messages (RFC 1035) over UDP datagrams and TCP (2-byte length framing), hand-parsed.

Hostile input is the normal case here (tunnels, fuzzed captures): parsing never raises and never loops.
Compression pointers must point strictly backwards (so a chain always terminates), names are capped at 255
bytes, and a record that runs past the end stops the parse, keeping what was read so far.
Names are attacker-controlled text: lower-cased ASCII, no trailing dot, any byte outside printable ASCII
(and the dot and backslash inside a label) written as ``\\xNN``.
"""
from __future__ import annotations

import re
import socket
import struct

from ..config import Config
from ..model import DnsMessage, Flow
from .text import escape_text

_HEADER = struct.Struct("!HHHHHH")
_HEADER4 = struct.Struct("!HHHH")  # id, flags, qdcount, ancount
_QTAIL = struct.Struct("!HH")  # qtype, qclass
_RR = struct.Struct("!HHIH")  # type, class, ttl, rdlength
_MAX_NAME = 255  # RFC 1035 2.3.4
_VALID_OPCODES = frozenset({0, 1, 2, 4, 5, 6})  # QUERY, IQUERY, STATUS, NOTIFY, UPDATE, DSO
_VALID_CLASSES = frozenset({1, 3, 4, 254, 255})  # IN, CH, HS, NONE, ANY (mDNS sets the top bit: masked off)

TYPE_NAMES: dict[int, str] = {
    1: "A", 2: "NS", 5: "CNAME", 6: "SOA", 10: "NULL", 12: "PTR", 13: "HINFO", 15: "MX", 16: "TXT",
    17: "RP", 18: "AFSDB", 24: "SIG", 25: "KEY", 28: "AAAA", 29: "LOC", 33: "SRV", 35: "NAPTR", 39: "DNAME",
    41: "OPT", 43: "DS", 46: "RRSIG", 47: "NSEC", 48: "DNSKEY", 50: "NSEC3", 51: "NSEC3PARAM", 52: "TLSA",
    64: "SVCB", 65: "HTTPS", 99: "SPF", 249: "TKEY", 250: "TSIG", 251: "IXFR", 252: "AXFR", 255: "ANY",
    256: "URI", 257: "CAA",
}
RCODE_NAMES: dict[int, str] = {
    0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP", 5: "REFUSED", 6: "YXDOMAIN",
    7: "YXRRSET", 8: "NXRRSET", 9: "NOTAUTH", 10: "NOTZONE",
}
_NAME_RDATA = frozenset({2, 5, 12, 39})  # NS, CNAME, PTR, DNAME

_LABEL_CHARS = [
    chr(b).lower() if 0x21 <= b <= 0x7E and b not in (0x2E, 0x5C) else f"\\x{b:02x}" for b in range(256)
]
_NAME_UNSAFE = re.compile(rb"[^\x21-\x5b\x5d-\x7e]")  # anything _LABEL_CHARS escapes, except the dot


class _Truncated(Exception):
    """Internal: the message ends (or turns invalid) before the field being read."""


def type_name(qtype: int) -> str:
    return TYPE_NAMES.get(qtype, f"TYPE{qtype}")


def _name_text(labels: list[bytes]) -> str:
    joined = b".".join(labels)
    if not _NAME_UNSAFE.search(joined) and joined.count(b".") == len(labels) - 1:  # no dot inside a label
        return joined.decode("ascii").lower()
    return ".".join(["".join([_LABEL_CHARS[b] for b in label]) for label in labels])


def _read_name(data: bytes, off: int, names: dict[int, str] | None = None) -> tuple[str, int]:
    """Decode the (possibly compressed) name at ``off``; returns (text, offset after the name in place).

    ``names`` (one dict per message) remembers the text of every name decoded so far by the offset it started at:
    a name that is just a pointer to one of them (the usual answer name) is looked up instead of decoded again.
    Decoding from a pointer's target is the same as decoding a name that starts there, so the text is the same.
    """
    size = len(data)
    if names is not None and off + 1 < size and data[off] >= 0xC0:
        target = ((data[off] & 0x3F) << 8) | data[off + 1]
        if target < off:
            known = names.get(target)
            if known is not None:
                return known, off + 2
    start = off
    labels: list[bytes] = []
    total = 0
    end = -1  # where the name ends in place (after the first pointer)
    floor = off  # a pointer must go strictly below every position already visited
    while off < size:
        length = data[off]
        if length == 0:
            text = _name_text(labels)
            if names is not None:
                names[start] = text
            return text, (off + 1 if end < 0 else end)
        if length >= 0xC0:
            if off + 1 >= size:
                break
            target = ((length & 0x3F) << 8) | data[off + 1]
            if end < 0:
                end = off + 2
            if target >= floor:
                break  # forward or self pointer: a loop
            off = floor = target
            continue
        total += length + 1
        if length & 0xC0 or off + 1 + length > size or total > _MAX_NAME:
            break  # 0x40 / 0x80 (obsolete label types), label past the end, name too long
        off += 1 + length
        labels.append(data[off - length: off])
    raise _Truncated


def _rdata_text(data: bytes, off: int, rtype: int, rdlen: int, names: dict[int, str] | None = None) -> str:
    rdata = data[off: off + rdlen]
    if rtype == 1 and rdlen == 4:
        return socket.inet_ntop(socket.AF_INET, rdata)
    if rtype == 28 and rdlen == 16:
        return socket.inet_ntop(socket.AF_INET6, rdata)
    if rtype in _NAME_RDATA:
        return _read_name(data, off, names)[0]
    if rtype == 15 and rdlen >= 3:
        return f"{int.from_bytes(rdata[:2], 'big')} {_read_name(data, off + 2, names)[0]}"
    if rtype == 33 and rdlen >= 7:
        prio, weight, port = struct.unpack_from("!HHH", rdata)
        return f"{prio} {weight} {port} {_read_name(data, off + 6, names)[0]}"
    if rtype == 6:
        mname, pos = _read_name(data, off, names)
        rname, pos = _read_name(data, pos, names)
        if pos + 20 > off + rdlen:
            raise _Truncated
        return " ".join([mname, rname, *(str(v) for v in struct.unpack_from("!IIIII", data, pos))])
    if rtype in (16, 99):  # TXT / SPF: one or more <length><bytes> strings
        parts, pos = [], 0
        while pos < rdlen:
            n = rdata[pos]
            parts.append(escape_text(rdata[pos + 1: pos + 1 + n]))
            pos += 1 + n
        return " ".join(parts)
    return rdata.hex()  # NULL and everything binary


#: What ``_parse`` made of a message, by its bytes after the ID (the ID and the time are per message): lookups recur
#: (one name asked by many hosts, again and again), so most messages are parsed once. Short messages only (at most
#: _CACHED_BYTES), at most _CACHED_MESSAGES of them (then the cache starts afresh): a tunnel's unique messages cost
#: a dictionary insert each, and memory stays small. None: not DNS.
_CACHE: dict[bytes, tuple[bool, str, int, str, int, str, tuple[tuple[str, str, str], ...]] | None] = {}
_CACHED_BYTES = 512
_CACHED_MESSAGES = 16384


def parse_dns(data: bytes, ts: float = 0.0) -> DnsMessage | None:
    """One DNS message, or None when ``data`` is not DNS. Malformed records after a valid question give a partial
    message (the answers read so far). Never raises."""
    if len(data) > _CACHED_BYTES or len(data) < 12:
        return _parse(data, ts)
    key = bytes(data[2:])
    try:
        known = _CACHE[key]
    except KeyError:
        msg = _parse(data, ts)
        if len(_CACHE) >= _CACHED_MESSAGES:
            _CACHE.clear()
        _CACHE[key] = None if msg is None else (msg.is_response, msg.qname, msg.qtype, msg.qtype_name, msg.rcode,
                                                msg.rcode_name, tuple(msg.answers))
        return msg
    if known is None:
        return None
    return DnsMessage(ts, known[0], (data[0] << 8) | data[1], *known[1:6], list(known[6]))


def _parse(data: bytes, ts: float) -> DnsMessage | None:
    """parse_dns without the cache."""
    size = len(data)
    if size < 12:
        return None
    trans_id, flags, qdcount, ancount = _HEADER4.unpack_from(data)
    is_response = flags >= 0x8000
    if (flags >> 11) & 0xF not in _VALID_OPCODES or not (qdcount or (is_response and ancount)):
        return None  # a question, or (mDNS) a response with answers only
    names: dict[int, str] = {}
    qname, qtype, off = "", 0, 12
    if qdcount:
        try:
            qname, off = _read_name(data, 12, names)
        except _Truncated:
            return None
        if off + 4 > size:
            return None
        qtype, qclass = _QTAIL.unpack_from(data, off)
        if qclass & 0x7FFF not in _VALID_CLASSES:
            return None
        off += 4
    if is_response:
        rcode = flags & 0xF
        msg = DnsMessage(ts, True, trans_id, qname, qtype, TYPE_NAMES.get(qtype) or f"TYPE{qtype}", rcode,
                         RCODE_NAMES.get(rcode) or f"RCODE{rcode}")
    else:
        msg = DnsMessage(ts, False, trans_id, qname, qtype, TYPE_NAMES.get(qtype) or f"TYPE{qtype}", -1, "")
    if not ancount:
        return msg
    answers = msg.answers
    try:
        for _ in range(qdcount - 1):  # rare; skip further questions
            off = _read_name(data, off, names)[1] + 4
        for _ in range(ancount):
            rrname, off = _read_name(data, off, names)
            if off + 10 > size:
                break
            rtype, _rclass, _ttl, rdlen = _RR.unpack_from(data, off)
            off += 10
            if off + rdlen > size:
                break
            rdata = _rdata_text(data, off, rtype, rdlen, names)
            answers.append((rrname, TYPE_NAMES.get(rtype) or f"TYPE{rtype}", rdata))
            off += rdlen
    except (_Truncated, ValueError, IndexError):
        pass  # partial message: keep the answers read so far
    return msg


def parse_dns_stream(sample: bytes, ts: float = 0.0, limit: int | None = None) -> list[DnsMessage]:
    """DNS over TCP: messages each preceded by a 2-byte length. Stops at the first frame that is not DNS; the
    last frame may be cut by the sample bound (it is parsed as far as it goes)."""
    out: list[DnsMessage] = []
    off = 0
    while off + 2 <= len(sample) and (limit is None or len(out) < limit):
        length = int.from_bytes(sample[off: off + 2], "big")
        if length < _HEADER.size:
            break
        msg = parse_dns(sample[off + 2: off + 2 + length], ts)
        if msg is None:
            break
        out.append(msg)
        off += 2 + length
    return out


def _datagrams_in_order(flow: Flow) -> list[tuple[float, bytes]]:
    """Retained datagrams of both directions in capture order, with their timestamps."""
    if len(flow.datagram_ts) != len(flow.orig_datagrams) + len(flow.resp_datagrams):
        return [(flow.ts, d) for d in flow.orig_datagrams] + [(flow.ts, d) for d in flow.resp_datagrams]
    orig, resp = iter(flow.orig_datagrams), iter(flow.resp_datagrams)
    return [(ts, next(orig) if from_orig else next(resp)) for ts, from_orig in flow.datagram_ts]


def dissect(flow: Flow, cfg: Config) -> bool:
    """Fill flow.dns when the payload is DNS (UDP: the first and at least half of the retained datagrams parse;
    TCP: framed messages open a direction); True when it is."""
    limit = cfg.flows.max_dns_messages
    if flow.proto == "tcp":
        msgs = parse_dns_stream(flow.orig_sample, flow.ts, limit) + parse_dns_stream(flow.resp_sample, flow.ts, limit)
        msgs.sort(key=lambda m: m.is_response)
    elif flow.proto == "udp":
        datagrams = _datagrams_in_order(flow)
        first = parse_dns(datagrams[0][1], datagrams[0][0]) if datagrams else None
        if first is None:
            return False  # every datagram of a DNS flow is a message: the first decides cheaply
        msgs = [first, *(m for m in (parse_dns(d, ts) for ts, d in datagrams[1:]) if m is not None)]
        if 2 * len(msgs) < len(datagrams):
            return False  # a chance parse among mostly non-DNS datagrams
    else:
        return False
    if not msgs:
        return False
    flow.dns = msgs[:limit]
    return True
