#!/usr/bin/env python3
"""Write the labelled scenario corpus: small, realistic captures of C2 fallback and of its benign look-alikes.

Usage:
    python pcaps/generate.py [--out pcaps]

Writes one ``<scenario>_<variant>.pcap`` per row of ``SCENARIOS`` (variants ``a`` and ``b`` differ in timing,
ports, providers, domains and addresses), ``demo_office.pcap`` and ``labels.json`` (what each internal host must
be judged: verdict, indicators that must appear, indicators that must not).  The output is deterministic: fixed
seeds and fixed base timestamps, so regenerating gives byte-identical files (``tests/test_corpus.py`` checks it).

Layout of this file, top to bottom:
  * payload builders (TLS, SSH, HTTP, QUIC, WireGuard/OpenVPN, encoded DNS labels): plain bytes, no scapy;
  * ``Capture``: collects scapy frames with timestamps and knows how the protocols behave on the wire
    (TCP handshake/teardown with proper seq/ack, SYN retransmits with Linux-like 1-2-4 s backoff, RST for a
    refused port, ICMP unreachable quoting the original IP header + 8 bytes, DNS query/response, ICMP echo);
  * one builder per scenario, each reading a ``Variant`` (the knobs that differ between _a and _b);
  * ``SCENARIOS``: the table (name, description, verdict, indicators, absent, builder, variants);
  * ``demo_office`` and ``main``.
"""
from __future__ import annotations

import argparse
import base64
import hashlib
import ipaddress
import json
import random
import struct
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from scapy.layers.dns import DNS, DNSQR, DNSRR
from scapy.layers.inet import ICMP, IP, TCP, UDP
from scapy.layers.inet6 import ICMPv6DestUnreach, IPv6
from scapy.layers.l2 import Ether
from scapy.packet import Packet, Raw
from scapy.utils import wrpcap

GATEWAY_MAC = "00:1b:21:3a:4f:01"
MSS = 1448  # payload per TCP segment (1500 MTU, 20 IP + 32 TCP with timestamps)
EPHEMERAL = (49152, 65535)


# ---------------------------------------------------------------------------------------------------------------
# Payload builders (bytes only)
# ---------------------------------------------------------------------------------------------------------------

def _u8(v: int) -> bytes:
    return struct.pack("!B", v)


def _u16(v: int) -> bytes:
    return struct.pack("!H", v)


def _u24(v: int) -> bytes:
    return struct.pack("!I", v)[1:]


def _vec8(b: bytes) -> bytes:
    return _u8(len(b)) + b


def _vec16(b: bytes) -> bytes:
    return _u16(len(b)) + b


def _tls_ext(ext_type: int, body: bytes) -> bytes:
    return _u16(ext_type) + _vec16(body)


def _tls_record(content_type: int, body: bytes, version: int = 0x0303) -> bytes:
    return _u8(content_type) + _u16(version) + _vec16(body)


CLIENT_CIPHERS = (0x1301, 0x1302, 0x1303, 0xC02B, 0xC02F, 0xC02C, 0xC030, 0xCCA9, 0xCCA8, 0xC013, 0xC014,
                  0x009C, 0x009D, 0x002F, 0x0035)
SIG_ALGS = (0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601)


def tls_client_hello(rng: random.Random, sni: str = "", alpn: tuple[str, ...] = ("h2", "http/1.1"),
                     shuffle: bool = False) -> bytes:
    """A TLS 1.3-capable ClientHello record (record version 1.0, as browsers send), with SNI when given;
    ``shuffle``: the extensions in a random order, as Chrome sends them since version 110 (a new JA3 every time)."""
    exts = []
    if sni:
        name = sni.encode()
        exts.append(_tls_ext(0x0000, _vec16(_u8(0) + _vec16(name))))
    exts.append(_tls_ext(0x0017, b""))  # extended_master_secret
    exts.append(_tls_ext(0xFF01, b"\x00"))  # renegotiation_info
    exts.append(_tls_ext(0x000A, _vec16(b"".join(_u16(g) for g in (0x001D, 0x0017, 0x0018)))))  # supported_groups
    exts.append(_tls_ext(0x000B, _vec8(b"\x00")))  # ec_point_formats
    if alpn:
        exts.append(_tls_ext(0x0010, _vec16(b"".join(_vec8(p.encode()) for p in alpn))))
    exts.append(_tls_ext(0x000D, _vec16(b"".join(_u16(s) for s in SIG_ALGS))))
    exts.append(_tls_ext(0x002B, _vec8(_u16(0x0304) + _u16(0x0303))))  # supported_versions
    exts.append(_tls_ext(0x0033, _vec16(_u16(0x001D) + _vec16(rng.randbytes(32)))))  # key_share x25519
    if shuffle:
        rng.shuffle(exts)
    body = (_u16(0x0303) + rng.randbytes(32) + _vec8(rng.randbytes(32))
            + _vec16(b"".join(_u16(c) for c in CLIENT_CIPHERS)) + _vec8(b"\x00") + _vec16(b"".join(exts)))
    return _tls_record(0x16, b"\x01" + _u24(len(body)) + body, version=0x0301)


def tls_server_flight(rng: random.Random) -> bytes:
    """TLS 1.3 server flight: ServerHello, ChangeCipherSpec, encrypted handshake (EncryptedExtensions..Finished)."""
    exts = _tls_ext(0x002B, _u16(0x0304)) + _tls_ext(0x0033, _u16(0x001D) + _vec16(rng.randbytes(32)))
    body = _u16(0x0303) + rng.randbytes(32) + _vec8(rng.randbytes(32)) + _u16(0x1301) + b"\x00" + _vec16(exts)
    hello = _tls_record(0x16, b"\x02" + _u24(len(body)) + body)
    return hello + _tls_record(0x14, b"\x01") + tls_app_data(rng, rng.randint(2400, 3800))


def tls_client_finish(rng: random.Random) -> bytes:
    return _tls_record(0x14, b"\x01") + tls_app_data(rng, 53)


def tls_app_data(rng: random.Random, size: int) -> bytes:
    """Encrypted application data: records of at most 16 KiB of random bytes."""
    out = b""
    while size > 0:
        n = min(size, 16384)
        out += _tls_record(0x17, rng.randbytes(n))
        size -= n
    return out


def ssh_kexinit(rng: random.Random) -> bytes:
    """An unencrypted SSH binary packet carrying SSH_MSG_KEXINIT."""
    lists = ("curve25519-sha256,ecdh-sha2-nistp256,diffie-hellman-group14-sha256", "ssh-ed25519,rsa-sha2-512",
             "chacha20-poly1305@openssh.com,aes256-gcm@openssh.com",
             "chacha20-poly1305@openssh.com,aes256-gcm@openssh.com",
             "hmac-sha2-256-etm@openssh.com", "hmac-sha2-256-etm@openssh.com", "none,zlib@openssh.com",
             "none,zlib@openssh.com", "", "")
    payload = b"\x14" + rng.randbytes(16) + b"".join(struct.pack("!I", len(s)) + s.encode() for s in lists)
    payload += b"\x00" + b"\x00\x00\x00\x00"
    pad = 8 - (len(payload) + 5) % 8 + 8
    return struct.pack("!IB", len(payload) + pad + 1, pad) + payload + bytes(pad)


def http_request(method: str, host: str, uri: str, agent: str, body: bytes = b"") -> bytes:
    head = f"{method} {uri} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: {agent}\r\nAccept: */*\r\n"
    if body:
        head += f"Content-Type: application/octet-stream\r\nContent-Length: {len(body)}\r\n"
    return (head + "Connection: close\r\n\r\n").encode() + body


def http_response(body: bytes, ctype: str = "text/html") -> bytes:
    head = f"HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Type: {ctype}\r\nContent-Length: {len(body)}\r\n\r\n"
    return head.encode() + body


def quic_initial(rng: random.Random, dcid: bytes, size: int = 1200) -> bytes:
    """A QUIC v1 Initial long-header packet (protected payload is opaque random bytes), padded to ``size``."""
    scid = rng.randbytes(8)
    pn = rng.randbytes(4)
    head_len = 1 + 4 + 1 + len(dcid) + 1 + len(scid) + 1 + 2
    length = size - head_len  # packet number + protected payload
    return (b"\xc3" + struct.pack("!I", 1) + _vec8(dcid) + _vec8(scid) + b"\x00"
            + struct.pack("!H", 0x4000 | length) + pn + rng.randbytes(length - len(pn)))


def wireguard_message(rng: random.Random, kind: int, counter: int = 0, size: int = 0) -> bytes:
    """WireGuard: 1 handshake initiation (148 B), 2 response (92 B), 4 transport data (16 B header + ``size``)."""
    if kind == 1:
        return b"\x01\x00\x00\x00" + rng.randbytes(144)
    if kind == 2:
        return b"\x02\x00\x00\x00" + rng.randbytes(88)
    return b"\x04\x00\x00\x00" + rng.randbytes(4) + struct.pack("<Q", counter) + rng.randbytes(size)


def openvpn_message(rng: random.Random, opcode: int, size: int = 0) -> bytes:
    """OpenVPN over UDP (no tls-auth): 7 HARD_RESET_CLIENT_V2, 8 HARD_RESET_SERVER_V2, 9 DATA_V2 + ``size`` bytes."""
    if opcode == 7:  # session id, empty ACK array, message packet-id 0
        return _u8(7 << 3) + rng.randbytes(8) + b"\x00" + struct.pack("!I", 0)
    if opcode == 8:  # session id, ACK of the client's packet 0 + its session id, message packet-id 0
        return _u8(8 << 3) + rng.randbytes(8) + b"\x01" + struct.pack("!I", 0) + rng.randbytes(8) + struct.pack("!I", 0)
    return _u8(9 << 3) + b"\x00\x00\x01" + rng.randbytes(size)  # peer-id 1, encrypted packet


def encoded_label(rng: random.Random, nbytes: int, encoding: str) -> str:
    """Random bytes encoded as tunnels do it (base32 / base64url / hex), split into DNS labels of <= 60 chars."""
    raw = rng.randbytes(nbytes)
    if encoding == "base32":
        text = base64.b32encode(raw).decode().rstrip("=").lower()
    elif encoding == "base64":
        text = base64.urlsafe_b64encode(raw).decode().rstrip("=").replace("_", "-").replace("-", "0")
    else:
        text = raw.hex()
    return ".".join(text[i:i + 60] for i in range(0, len(text), 60))


def inner_ipv4_packet(rng: random.Random, src: str, dst: str, size: int) -> bytes:
    """An IPv4/TCP packet as an IP-over-ICMP tunnel carries it."""
    return bytes(IP(src=src, dst=dst, id=rng.randint(0, 0xFFFF), ttl=64)
                 / TCP(sport=rng.randint(*EPHEMERAL), dport=22, flags="PA", seq=rng.getrandbits(32),
                       ack=rng.getrandbits(32), window=501)
                 / Raw(rng.randbytes(size)))


# ---------------------------------------------------------------------------------------------------------------
# Capture: frames on the wire
# ---------------------------------------------------------------------------------------------------------------

INTERNAL_NETS = tuple(ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"))


def is_internal(ip: str) -> bool:
    """RFC 1918 / ULA (``is_private`` would also count the documentation ranges used for C2 peers)."""
    addr = ipaddress.ip_address(ip)
    return any(addr in net for net in INTERNAL_NETS if net.version == addr.version)


def mac_of(ip: str) -> str:
    """Internal hosts have their own MAC; everything outside is behind the gateway."""
    if not is_internal(ip):
        return GATEWAY_MAC
    digest = hashlib.sha256(ip.encode()).digest()
    return "02:" + ":".join(f"{b:02x}" for b in digest[:5])


class Capture:
    """Frames of one capture, with a seeded RNG; ``write`` sorts them by time and writes a pcap."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.frames: list[tuple[int, int, Packet]] = []  # (microseconds, insertion order, frame)

    # -- framing -------------------------------------------------------------------------------------------------
    def ip(self, src: str, dst: str) -> Packet:
        ttl = 64 if is_internal(src) else self.rng.choice((47, 52, 54, 57))
        if ":" in src:
            return Ether(src=mac_of(src), dst=mac_of(dst)) / IPv6(src=src, dst=dst, hlim=ttl)
        return Ether(src=mac_of(src), dst=mac_of(dst)) / IP(src=src, dst=dst, ttl=ttl, id=self.rng.randint(1, 0xFFFF))

    def emit(self, t: float, frame: Packet) -> None:
        self.frames.append((round(t * 1_000_000), len(self.frames), frame))

    def write(self, path: Path) -> int:
        frames = []
        for usec, _, frame in sorted(self.frames, key=lambda f: (f[0], f[1])):
            frame.time = usec / 1_000_000
            frames.append(frame)
        wrpcap(str(path), frames)
        return len(frames)

    def jitter(self, base: float, fraction: float = 0.1) -> float:
        return base * (1 + self.rng.uniform(-fraction, fraction))

    def ephemeral(self) -> int:
        return self.rng.randint(*EPHEMERAL)

    # -- TCP -----------------------------------------------------------------------------------------------------
    def _tcp(self, t: float, src: str, dst: str, sport: int, dport: int, flags: str, seq: int, ack: int,
             payload: bytes = b"", syn: bool = False) -> None:
        opts = [("MSS", 1460), ("NOP", None), ("WScale", 7), ("SAckOK", b"")] if syn else []
        seg = TCP(sport=sport, dport=dport, flags=flags, seq=seq % 2**32, ack=ack % 2**32, window=64240 if syn else 502,
                  options=opts)
        self.emit(t, self.ip(src, dst) / seg / Raw(payload) if payload else self.ip(src, dst) / seg)

    def tcp_timeout(self, t: float, cli: str, srv: str, dport: int, retries: int = 3) -> float:
        """SYN never answered: the SYN and its retransmissions (1, 2, 4 s backoff). Zeek: S0."""
        sport, isn = self.ephemeral(), self.rng.getrandbits(32)
        delay = 1.0
        for _ in range(retries + 1):
            self._tcp(t, cli, srv, sport, dport, "S", isn, 0, syn=True)
            t += delay
            delay *= 2
        return t

    def tcp_refused(self, t: float, cli: str, srv: str, dport: int, rtt: float) -> float:
        """SYN answered by RST-ACK. Zeek: REJ."""
        sport, isn = self.ephemeral(), self.rng.getrandbits(32)
        self._tcp(t, cli, srv, sport, dport, "S", isn, 0, syn=True)
        self._tcp(t + rtt, srv, cli, dport, sport, "RA", 0, isn + 1)
        return t + rtt

    def tcp_unreachable(self, t: float, cli: str, srv: str, dport: int, rtt: float, reporter: str,
                        code: int) -> float:
        """SYN answered by ICMP destination unreachable (``code``) from ``reporter``, quoting IP header + 8 bytes."""
        sport, isn = self.ephemeral(), self.rng.getrandbits(32)
        self._tcp(t, cli, srv, sport, dport, "S", isn, 0, syn=True)
        syn = self.frames[-1][2]
        quoted = bytes(syn[IP])[:28]
        self.emit(t + rtt, self.ip(reporter, cli) / ICMP(type=3, code=code) / Raw(quoted))
        return t + rtt

    def tcp_session(self, t: float, cli: str, srv: str, dport: int, rtt: float,
                    exchanges: list[tuple[bool, bytes]], close: str = "fin", idle: list[float] | None = None) -> float:
        """Handshake, then each (from_client, message) as MSS-sized segments acked by the peer, then teardown.

        ``close``: "fin" (client FIN, server FIN, client ACK) or "rst" (client RST). ``idle``: seconds of silence
        before each exchange (a long-lived channel). Returns the end time.
        """
        sport = self.ephemeral()
        seq = {True: self.rng.getrandbits(32), False: self.rng.getrandbits(32)}  # next seq per side (client=True)
        self._tcp(t, cli, srv, sport, dport, "S", seq[True], 0, syn=True)
        self._tcp(t + rtt, srv, cli, dport, sport, "SA", seq[False], seq[True] + 1, syn=True)
        seq[True] += 1
        seq[False] += 1
        t += rtt + 0.0002
        self._tcp(t, cli, srv, sport, dport, "A", seq[True], seq[False])

        def send(from_cli: bool, flags: str, payload: bytes, at: float) -> None:
            a, b = (cli, srv) if from_cli else (srv, cli)
            pa, pb = (sport, dport) if from_cli else (dport, sport)
            self._tcp(at, a, b, pa, pb, flags, seq[from_cli], seq[not from_cli], payload)
            seq[from_cli] += len(payload)

        # Times are as seen by a sensor next to the client: the server's packets answer after a full RTT.
        for i, (from_cli, message) in enumerate(exchanges):
            t += (idle[i] if idle else 0.0) + (0.001 if from_cli else rtt + self.rng.uniform(0.001, 0.02))
            for i in range(0, len(message), MSS):
                send(from_cli, "PA", message[i:i + MSS], t)
                t += 0.0003
            send(not from_cli, "A", b"", t + (rtt if from_cli else 0.0002))
        t += self.rng.uniform(0.05, 0.3)
        if close == "rst":
            send(True, "R", b"", t)
            return t
        send(True, "FA", b"", t)
        seq[True] += 1
        send(False, "FA", b"", t + rtt)
        seq[False] += 1
        send(True, "A", b"", t + rtt + 0.0002)
        return t + rtt

    def tls_session(self, t: float, cli: str, srv: str, dport: int, rtt: float, sni: str,
                    data: list[tuple[bool, int]], close: str = "fin") -> float:
        """TLS 1.3 handshake then application data records of the given sizes."""
        rng = self.rng
        exchanges = [(True, tls_client_hello(rng, sni)), (False, tls_server_flight(rng)),
                     (True, tls_client_finish(rng))]
        exchanges += [(c, tls_app_data(rng, n)) for c, n in data]
        return self.tcp_session(t, cli, srv, dport, rtt, exchanges, close)

    # -- UDP, DNS, ICMP --------------------------------------------------------------------------------------------
    def udp(self, t: float, src: str, dst: str, sport: int, dport: int, payload: bytes) -> None:
        self.emit(t, self.ip(src, dst) / UDP(sport=sport, dport=dport) / Raw(payload))

    def dns(self, t: float, cli: str, resolver: str, qname: str, qtype: str | int,
            answers: list[tuple[str | int, object]], rcode: int = 0, delay: float = 0.02) -> float:
        """One query and its response. ``answers``: (type, rdata); CNAME chains name the previous target."""
        sport, tid = self.ephemeral(), self.rng.randint(0, 0xFFFF)
        question = DNSQR(qname=qname, qtype=qtype)
        self.emit(t, self.ip(cli, resolver) / UDP(sport=sport, dport=53) / DNS(id=tid, rd=1, qd=[question]))
        records, owner = [], qname
        for rtype, rdata in answers:
            records.append(DNSRR(rrname=owner, type=rtype, ttl=self.rng.choice((60, 300, 3600)), rdata=rdata))
            if rtype == "CNAME":
                owner = str(rdata)
        response = DNS(id=tid, qr=1, rd=1, ra=1, rcode=rcode, qd=[question], an=records)
        self.emit(t + delay, self.ip(resolver, cli) / UDP(sport=53, dport=sport) / DNS(bytes(response.compress())))
        return t + delay

    def echo(self, t: float, cli: str, srv: str, ident: int, seq: int, payload: bytes, reply: bytes | None,
             rtt: float) -> None:
        self.emit(t, self.ip(cli, srv) / ICMP(type=8, id=ident, seq=seq) / Raw(payload))
        if reply is not None:
            self.emit(t + rtt, self.ip(srv, cli) / ICMP(type=0, id=ident, seq=seq) / Raw(reply))


# ---------------------------------------------------------------------------------------------------------------
# Scenario builders: each reads one Variant
# ---------------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Variant:
    """The knobs that make _a and _b differ. Builders use the fields their scenario needs."""

    seed: int
    t0: float  # first packet time
    host: str  # the internal host the label is about
    resolver: str
    primary: str  # primary C2 / server address
    fallback: str = ""  # where the fallback channel goes ("" = same as primary)
    primary_port: int = 443
    fallback_port: int = 443
    domain: str = ""  # primary name
    fallback_domain: str = ""  # backup name (dynamic DNS, tunnel zone, ...)
    interval: float = 30.0  # beacon period, seconds
    attempts: int = 4  # failed attempts before falling back
    beacons: int = 10
    rtt: float = 0.04
    app: str = "tls"  # application protocol of the working channel: tls / http / wireguard / openvpn
    encoding: str = "base32"  # DNS tunnel label encoding
    qtype: str = "TXT"  # DNS tunnel record type
    failure: str = "timeout"  # how the primary fails: timeout / refused / unreachable / nxdomain
    host6: str = ""
    server6: str = ""
    agent: str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0"
    shuffle: bool = False  # the implant's TLS library sends its ClientHello extensions in a random order

    @property
    def peer(self) -> str:
        return self.fallback or self.primary


def fail_primary(cap: Capture, v: Variant, t: float) -> float:
    """``v.attempts`` failed attempts of the primary channel (TCP to v.primary:v.primary_port), app retry gaps."""
    for _ in range(v.attempts):
        if v.failure == "timeout":
            t = cap.tcp_timeout(t, v.host, v.primary, v.primary_port)
        elif v.failure == "refused":
            t = cap.tcp_refused(t, v.host, v.primary, v.primary_port, v.rtt)
        else:  # unreachable: the C2's upstream router answers for it
            router = str(ipaddress.ip_address(v.primary) - 37)
            t = cap.tcp_unreachable(t, v.host, v.primary, v.primary_port, v.rtt, router, code=1)
        t += cap.jitter(5.0, 0.3)
    return t


def resolve(cap: Capture, v: Variant, t: float, name: str, addrs: list[str], qtype: str = "A") -> float:
    return cap.dns(t, v.host, v.resolver, name, qtype, [(qtype, a) for a in addrs]) + 0.002


def tls_beacons(cap: Capture, v: Variant, t: float, peer: str, port: int, sni: str) -> float:
    for _ in range(v.beacons):
        cap.tls_session(t, v.host, peer, port, v.rtt, sni,
                        [(True, cap.rng.randint(180, 900)), (False, cap.rng.randint(60, 2400))])
        t += cap.jitter(v.interval, 0.03)
    return t


def build_fallback_tls(cap: Capture, v: Variant) -> None:
    """Primary fails, then TLS beacons to v.peer:v.fallback_port (SNI v.domain; none for a bare IP)."""
    t = fail_primary(cap, v, v.t0)
    tls_beacons(cap, v, t, v.peer, v.fallback_port, sni=v.domain)


def build_fallback_dyndns(cap: Capture, v: Variant) -> None:
    t = v.t0
    for _ in range(v.attempts):
        t = cap.dns(t, v.host, v.resolver, v.domain, "A", [], rcode=3) + cap.jitter(10.0, 0.2)
    t = resolve(cap, v, t, v.fallback_domain, [v.fallback])
    if v.app == "http":
        http_beacons(cap, v, t, v.fallback, v.fallback_port, v.fallback_domain)
    else:
        tls_beacons(cap, v, t, v.fallback, v.fallback_port, sni=v.fallback_domain)


def build_fallback_dns_tunnel(cap: Capture, v: Variant) -> None:
    t = fail_primary(cap, v, v.t0)
    for _ in range(v.beacons):
        qname = f"{encoded_label(cap.rng, cap.rng.randint(24, 48), v.encoding)}.{v.fallback_domain}"
        if v.qtype == "TXT":
            answer = [("TXT", [base64.b64encode(cap.rng.randbytes(cap.rng.randint(40, 160)))])]
        elif v.qtype == "NULL":
            answer = [(10, cap.rng.randbytes(cap.rng.randint(60, 200)))]
        else:  # CNAME: data comes back encoded in the target name
            answer = [("CNAME", f"{encoded_label(cap.rng, 20, v.encoding)}.{v.fallback_domain}")]
        t = cap.dns(t, v.host, v.resolver, qname, 10 if v.qtype == "NULL" else v.qtype, answer,
                    delay=cap.rng.uniform(0.03, 0.12))
        t += cap.jitter(v.interval, 0.5)


def build_fallback_icmp_tunnel(cap: Capture, v: Variant) -> None:
    t = fail_primary(cap, v, v.t0)
    ident = cap.rng.randint(1, 0xFFFF)
    for seq in range(1, v.beacons + 1):
        size = cap.rng.randint(200, 1200)
        if seq % 3 == 1:  # an IP packet inside the echo payload, the other way too
            out = inner_ipv4_packet(cap.rng, "10.8.0.2", "10.8.0.1", size)
            back = inner_ipv4_packet(cap.rng, "10.8.0.1", "10.8.0.2", cap.rng.randint(100, 1200))
        else:
            out, back = cap.rng.randbytes(size), cap.rng.randbytes(cap.rng.randint(64, 1200))
        cap.echo(t, v.host, v.peer, ident, seq, out, back, v.rtt)
        t += cap.jitter(v.interval, 0.4)


def build_fallback_tcp53(cap: Capture, v: Variant) -> None:
    t = fail_primary(cap, v, v.t0)
    for _ in range(v.beacons):
        rng = cap.rng
        exchanges = [(True, rng.randbytes(rng.randint(300, 1200))), (False, rng.randbytes(rng.randint(200, 3000))),
                     (True, rng.randbytes(rng.randint(40, 400)))]
        cap.tcp_session(t, v.host, v.peer, v.fallback_port, v.rtt, exchanges)
        t += cap.jitter(v.interval, 0.05)


def http_beacons(cap: Capture, v: Variant, t: float, peer: str, port: int, host: str) -> float:
    rng = cap.rng
    for i in range(v.beacons):
        if i % 3 == 2:
            request = http_request("POST", host, "/submit.php", v.agent, rng.randbytes(rng.randint(100, 600)))
        else:
            page = rng.choice(("index", "news", "img"))
            request = http_request("GET", host, f"/{page}.php?id={rng.getrandbits(32):08x}", v.agent)
        body = base64.b64encode(rng.randbytes(rng.randint(40, 600)))
        cap.tcp_session(t, v.host, peer, port, v.rtt, [(True, request), (False, http_response(body))])
        t += cap.jitter(v.interval, 0.03)
    return t


def build_fallback_http_odd_port(cap: Capture, v: Variant) -> None:
    t = fail_primary(cap, v, v.t0)
    http_beacons(cap, v, t, v.peer, v.fallback_port, v.peer)


def browse(cap: Capture, v: Variant, t: float, server: str, sni: str, port: int = 443) -> float:
    """An ordinary page load: a few TLS requests and bigger responses."""
    rng = cap.rng
    data = [(c, rng.randint(300, 700) if c else rng.randint(1500, 30000)) for c in (True, False, True, False)]
    return cap.tls_session(t, v.host, server, port, v.rtt, sni, data)


def build_quic_to_tcp(cap: Capture, v: Variant) -> None:
    t = resolve(cap, v, v.t0, v.domain, [v.primary])
    sport, dcid, delay = cap.ephemeral(), cap.rng.randbytes(8), 0.3
    for _ in range(v.attempts):  # QUIC Initial retransmitted with backoff, never answered (UDP/443 blocked)
        cap.udp(t, v.host, v.primary, sport, 443, quic_initial(cap.rng, dcid))
        t += delay
        delay *= 2
    browse(cap, v, t, v.primary, v.domain)


def build_happy_eyeballs(cap: Capture, v: Variant) -> None:
    t = cap.dns(v.t0, v.host, v.resolver, v.domain, "AAAA", [("AAAA", v.server6)])
    t = cap.dns(t + 0.001, v.host, v.resolver, v.domain, "A", [("A", v.primary)])
    cap.tcp_timeout(t + 0.001, v.host6, v.server6, 443, retries=1)  # IPv6 path is broken
    browse(cap, v, t + 0.251, v.primary, v.domain)  # RFC 8305: IPv4 attempt 250 ms later wins


def build_cdn_failover(cap: Capture, v: Variant) -> None:
    t = cap.dns(v.t0, v.host, v.resolver, v.domain, "A", [("A", v.primary), ("A", v.fallback)])
    if v.failure == "timeout":
        cap.tcp_timeout(t + 0.001, v.host, v.primary, 443, retries=1)
        t += 2.0
    else:
        t = cap.tcp_refused(t + 0.001, v.host, v.primary, 443, v.rtt)
    browse(cap, v, t + 0.01, v.fallback, v.domain)


def build_vpn_udp(cap: Capture, v: Variant) -> None:
    rng, t, sport = cap.rng, v.t0, cap.rng.randint(*EPHEMERAL)
    wireguard = v.app == "wireguard"

    def out(n: int, kind: int = 4, counter: int = 0) -> bytes:
        return wireguard_message(rng, kind, counter, n) if wireguard else openvpn_message(rng, 9, n + 24)

    if wireguard:
        cap.udp(t, v.host, v.primary, sport, v.primary_port, wireguard_message(rng, 1))
        cap.udp(t + v.rtt, v.primary, v.host, v.primary_port, sport, wireguard_message(rng, 2))
    else:
        cap.udp(t, v.host, v.primary, sport, v.primary_port, openvpn_message(rng, 7))
        cap.udp(t + v.rtt, v.primary, v.host, v.primary_port, sport, openvpn_message(rng, 8))
    t += v.rtt + 0.01
    for counter in range(v.beacons):
        cap.udp(t, v.host, v.primary, sport, v.primary_port, out(rng.choice((16, 96, 560, 1380)), counter=counter))
        cap.udp(t + v.rtt, v.primary, v.host, v.primary_port, sport, out(rng.choice((16, 128, 1380)), counter=counter))
        t += rng.expovariate(1 / v.interval)


def build_ssh_high_port(cap: Capture, v: Variant) -> None:
    rng = cap.rng
    exchanges = [(True, b"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u2\r\n"),
                 (False, b"SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.4\r\n"),
                 (True, ssh_kexinit(rng)), (False, ssh_kexinit(rng))]
    exchanges += [(i % 2 == 0, rng.randbytes(rng.choice((36, 52, 68, 100, 500, 1200)))) for i in range(v.beacons)]
    cap.tcp_session(v.t0, v.host, v.primary, v.primary_port, v.rtt, exchanges)


def build_nas_dyndns(cap: Capture, v: Variant) -> None:
    t = resolve(cap, v, v.t0, v.domain, [v.primary])
    for _ in range(v.attempts):
        t = browse(cap, v, t + 0.01, v.primary, v.domain, v.primary_port) + cap.jitter(v.interval, 0.5)


def build_office_web(cap: Capture, v: Variant) -> None:
    """Ordinary office host: look up a few sites and browse them."""
    t = v.t0
    for name, ip in zip(v.domain.split(","), v.primary.split(",")):
        t = resolve(cap, v, t, name, [ip])
        t = browse(cap, v, t, ip, name) + cap.jitter(v.interval, 0.5)


# ---------------------------------------------------------------------------------------------------------------
# Causal pairing scenarios: every way a channel fails, every kind of fallback, combined differently each time, and
# the benign twins that must not pair (an internal service failing, a multi-port probe burst, telemetry blocked by
# a proxy). Each reads a PairingVariant.
# ---------------------------------------------------------------------------------------------------------------

IMPLANT_AGENT = "Mozilla/4.0 (compatible; MSIE 8.0; Windows NT 6.1; Trident/4.0)"


@dataclass(frozen=True)
class PairingVariant(Variant):
    """Variant knobs of the pairing scenarios."""

    proxy: str = ""  # explicit web proxy (CONNECT)
    proxy_port: int = 3128
    status: int = 403  # the proxy's refusal
    sinkhole: str = "0.0.0.0"  # what the resolver answers for a sinkholed name
    alert: int = 40  # TLS alert description (40 handshake_failure, 49 access_denied)
    icmp_code: int = 13  # ICMP unreachable code of a policy refusal
    reporter: str = ""  # the firewall that sends ICMP errors
    dns_server: str = ""  # external resolver the host is configured with
    doh: str = ""  # public resolver address and name the fallback uses, and its port (443 DoH, 853 DoT)
    doh_name: str = ""
    doh_port: int = 443
    sites: tuple[tuple[str, str], ...] = ()  # ordinary browsing: (name, address)
    names: int = 16  # DGA burst size
    tlds: tuple[str, ...] = ("com", "net")
    cycle: bool = False  # the primary is retried (and fails) while the fallback runs


def refused_after_hello(cap: Capture, t: float, cli: str, srv: str, dport: int, rtt: float, hello: bytes,
                        answer: bytes = b"") -> float:
    """Handshake, the client's first message, then the responder resets the connection (after ``answer``)."""
    sport, cs, ss = cap.ephemeral(), cap.rng.getrandbits(32), cap.rng.getrandbits(32)
    cap._tcp(t, cli, srv, sport, dport, "S", cs, 0, syn=True)
    cap._tcp(t + rtt, srv, cli, dport, sport, "SA", ss, cs + 1, syn=True)
    cs, ss, t = cs + 1, ss + 1, t + rtt + 0.0002
    cap._tcp(t, cli, srv, sport, dport, "A", cs, ss)
    cap._tcp(t + 0.001, cli, srv, sport, dport, "PA", cs, ss, hello)
    cs, t = cs + len(hello), t + 0.001 + rtt
    if answer:
        cap._tcp(t, srv, cli, dport, sport, "PA", ss, cs, answer)
        ss, t = ss + len(answer), t + 0.0005
    cap._tcp(t, srv, cli, dport, sport, "RA", ss, cs)
    return t


def tls_alert_record(description: int) -> bytes:
    return _tls_record(0x15, bytes([2, description]), version=0x0303)


def implant_tls(cap: Capture, v: Variant, t: float, peer: str, port: int, sni: str) -> float:
    """One implant check-in over TLS: its own ClientHello (no ALPN: another JA3 than the browsers')."""
    rng = cap.rng
    exchanges = [(True, tls_client_hello(rng, sni, alpn=(), shuffle=v.shuffle)), (False, tls_server_flight(rng)),
                 (True, tls_client_finish(rng)), (True, tls_app_data(rng, rng.randint(200, 700))),
                 (False, tls_app_data(rng, rng.randint(80, 1500)))]
    return cap.tcp_session(t, v.host, peer, port, v.rtt, exchanges)


def implant_http(cap: Capture, v: Variant, t: float, peer: str, port: int, host: str) -> float:
    rng = cap.rng
    uri = f"/api/{rng.getrandbits(24):06x}"
    request = http_request("POST", host, uri, v.agent, rng.randbytes(rng.randint(80, 300)))
    return cap.tcp_session(t, v.host, peer, port, v.rtt, [(True, request),
                                                        (False, http_response(base64.b64encode(rng.randbytes(64))))])


def resolve_any(cap: Capture, v: Variant, t: float, name: str, addr: str) -> float:
    return resolve(cap, v, t, name, [addr], "AAAA" if ":" in addr else "A")


def check_ins(cap: Capture, v: Variant, t: float, peer: str, port: int, name: str, count: int) -> float:
    for _ in range(count):
        if v.app == "http":
            implant_http(cap, v, t, peer, port, name or peer)
        else:
            implant_tls(cap, v, t, peer, port, name)
        t += cap.jitter(v.interval, 0.03)
    return t


def browse_sites(cap: Capture, v: PairingVariant, t: float) -> float:
    for name, ip in v.sites:
        t = resolve(cap, v, t, name, [ip])
        t = browse(cap, v, t + 0.01, ip, name) + cap.jitter(8.0, 0.3)
    return t


def connect_via_proxy(cap: Capture, v: PairingVariant, t: float, target: str, agent: str, status: int) -> float:
    request = (f"CONNECT {target}:443 HTTP/1.1\r\nHost: {target}:443\r\nUser-Agent: {agent}\r\n"
               "Proxy-Connection: keep-alive\r\n\r\n").encode()
    reason = {200: "Connection established", 403: "Forbidden", 407: "Proxy Authentication Required"}[status]
    answer = f"HTTP/1.1 {status} {reason}\r\nContent-Length: 0\r\n\r\n".encode()
    exchanges = [(True, request), (False, answer)]
    if status == 200:  # the browser's TLS inside the tunnel
        exchanges += [(True, tls_client_hello(cap.rng, target)), (False, tls_server_flight(cap.rng))]
    return cap.tcp_session(t, v.host, v.proxy, v.proxy_port, v.rtt, exchanges)


def build_proxy_backup_name(cap: Capture, v: PairingVariant) -> None:
    """The proxy refuses the implant's CONNECT to its C2 name; the implant goes direct to a backup name: the same
    label under another TLD."""
    t = browse_sites(cap, v, v.t0)
    for _ in range(v.attempts):
        t = connect_via_proxy(cap, v, t, v.domain, v.agent, v.status) + cap.jitter(15.0, 0.3)
    t = resolve(cap, v, t, v.fallback_domain, [v.fallback])
    check_ins(cap, v, t + 0.01, v.fallback, v.fallback_port, v.fallback_domain, v.beacons)


def build_sinkhole_hard_ip(cap: Capture, v: PairingVariant) -> None:
    """The C2 name resolves to a sinkhole / block page; the implant falls back to its hard-coded address."""
    t = browse_sites(cap, v, v.t0)
    for _ in range(v.attempts):
        t = cap.dns(t, v.host, v.resolver, v.domain, "A", [("A", v.sinkhole)]) + cap.jitter(12.0, 0.3)
    check_ins(cap, v, t, v.fallback, v.fallback_port, "", v.beacons)


def dga_name(rng: random.Random, tlds: tuple[str, ...]) -> str:
    letters = "abcdefghijklmnopqrstuvwxyz"
    return "".join(rng.choice(letters) for _ in range(rng.randint(12, 16))) + "." + rng.choice(tlds)


def build_dga_burst(cap: Capture, v: PairingVariant) -> None:
    """A domain-generation burst: one-shot NXDOMAIN names in quick succession until one resolves, then check-ins."""
    t = browse_sites(cap, v, v.t0)
    t = cap.dns(t, v.host, v.resolver, "wwww.example-typo.com", "A", [], rcode=3) + 30.0  # the host's usual miss
    for _ in range(v.names):
        t = cap.dns(t, v.host, v.resolver, dga_name(cap.rng, v.tlds), "A", [], rcode=3) + cap.rng.uniform(0.1, 0.6)
    survivor = dga_name(cap.rng, v.tlds)
    t = resolve(cap, v, t, survivor, [v.fallback])
    check_ins(cap, v, t + 0.01, v.fallback, v.fallback_port, survivor, v.beacons)


def dns_prohibited(cap: Capture, v: PairingVariant, t: float, qname: str) -> float:
    """A query to the external resolver, answered by the firewall's ICMP "administratively prohibited"."""
    query = cap.ip(v.host, v.dns_server) / UDP(sport=cap.ephemeral(), dport=53) / DNS(
        id=cap.rng.randint(0, 0xFFFF), rd=1, qd=[DNSQR(qname=qname, qtype="A")])
    cap.emit(t, query)
    cap.emit(t + 0.001, cap.ip(v.reporter, v.host) / ICMP(type=3, code=v.icmp_code) / Raw(bytes(query[IP])[:28]))
    return t + 0.001


def build_dns_doh(cap: Capture, v: PairingVariant) -> None:
    """The host's DNS fails by policy (ICMP prohibited on the external resolver, or REFUSED), then encrypted DNS to
    a public resolver takes over and the implant checks in on 443."""
    t = browse_sites(cap, v, v.t0)
    for _ in range(v.attempts):
        if v.dns_server:
            t = dns_prohibited(cap, v, t, v.domain) + cap.jitter(3.0, 0.3)
        else:
            t = cap.dns(t, v.host, v.resolver, v.domain, "A", [], rcode=5) + cap.jitter(3.0, 0.3)
    for _ in range(3):  # the lookups now ride DoH / DoT
        t = cap.tls_session(t + 0.2, v.host, v.doh, v.doh_port, v.rtt, v.doh_name,
                            [(True, 120), (False, 240), (True, 120), (False, 260)])
    check_ins(cap, v, t + 0.05, v.fallback, v.fallback_port, v.domain, v.beacons)


def build_tls_reset_cadence(cap: Capture, v: PairingVariant) -> None:
    """An inline filter resets the implant's TLS right after its ClientHello, at the implant's check-in period;
    the same client (JA3) then checks in with another server at the same period."""
    t = browse_sites(cap, v, v.t0)
    t = resolve(cap, v, t, v.fallback_domain, [v.fallback]) + 20.0  # the backup was resolved at start-up
    for _ in range(v.attempts):
        refused_after_hello(cap, t, v.host, v.primary, v.primary_port, v.rtt,
                            tls_client_hello(cap.rng, v.domain, alpn=()))
        t += cap.jitter(v.interval, 0.03)
    t = check_ins(cap, v, t, v.fallback, v.fallback_port, v.fallback_domain, v.beacons // 2)
    if v.cycle:  # the implant tries its primary again, is reset again, and goes back to the backup
        for _ in range(2):
            refused_after_hello(cap, t, v.host, v.primary, v.primary_port, v.rtt,
                                tls_client_hello(cap.rng, v.domain, alpn=()))
            t += cap.jitter(v.interval, 0.03)
    check_ins(cap, v, t, v.fallback, v.fallback_port, v.fallback_domain, v.beacons - v.beacons // 2)


def build_tls_alert_fingerprint(cap: Capture, v: PairingVariant) -> None:
    """An inspecting firewall answers the implant's ClientHello with a fatal alert; the implant then reaches a
    server it had resolved long before, on an odd port, with the same ClientHello (linked by JA3 only)."""
    t = resolve(cap, v, v.t0, v.fallback_domain, [v.fallback])
    t = browse_sites(cap, v, t + 300.0)
    for _ in range(v.attempts):
        refused_after_hello(cap, t, v.host, v.primary, v.primary_port, v.rtt,
                            tls_client_hello(cap.rng, v.domain, alpn=()), tls_alert_record(v.alert))
        t += cap.jitter(6.0, 0.4)
    check_ins(cap, v, t + cap.jitter(9.0, 0.2), v.fallback, v.fallback_port, v.fallback_domain, v.beacons)


def build_tls_reset_ja4(cap: Capture, v: PairingVariant) -> None:
    """An inline filter resets the implant's TLS right after its ClientHello; the implant then reaches a server it
    had resolved long before, on an odd port. Its TLS library shuffles the extension order of every hello (a new
    JA3 each time): linked only by JA4, which sorts them."""
    t = resolve(cap, v, v.t0, v.fallback_domain, [v.fallback])
    t = browse_sites(cap, v, t + 300.0)
    for _ in range(v.attempts):
        refused_after_hello(cap, t, v.host, v.primary, v.primary_port, v.rtt,
                            tls_client_hello(cap.rng, v.domain, alpn=(), shuffle=True))
        t += cap.jitter(7.0, 0.45)
    check_ins(cap, v, t + cap.jitter(11.0, 0.2), v.fallback, v.fallback_port, v.fallback_domain, v.beacons)


def tcp_prohibited6(cap: Capture, v: PairingVariant, t: float) -> float:
    """SYN to the C2's IPv6 address, answered by ICMPv6 destination unreachable code 1 (administratively
    prohibited) from the firewall."""
    sport, isn = cap.ephemeral(), cap.rng.getrandbits(32)
    cap._tcp(t, v.host6, v.server6, sport, v.primary_port, "S", isn, 0, syn=True)
    quoted = bytes(cap.frames[-1][2][IPv6])
    cap.emit(t + v.rtt, cap.ip(v.reporter, v.host6) / ICMPv6DestUnreach(code=1) / Raw(quoted))
    return t + v.rtt


def build_prohibited_backup_name(cap: Capture, v: PairingVariant) -> None:
    """The C2 name's server is refused by policy (ICMPv6 prohibited) or the name SERVFAILs; a backup name with the
    same label under another TLD takes over."""
    t = browse_sites(cap, v, v.t0)
    if v.server6:
        t = cap.dns(t, v.host6, v.resolver, v.domain, "AAAA", [("AAAA", v.server6)]) + 0.01
    for _ in range(v.attempts):
        if v.server6:
            t = tcp_prohibited6(cap, v, t)
        else:
            t = cap.dns(t, v.host, v.resolver, v.domain, "A", [], rcode=2)
        t += cap.jitter(8.0, 0.3)
    t = resolve_any(cap, v, t, v.fallback_domain, v.fallback)
    check_ins(cap, v, t + 0.01, v.fallback, v.fallback_port, v.fallback_domain, v.beacons)


def build_internal_service_fail(cap: Capture, v: PairingVariant) -> None:
    """An internal service (PBX over SIP/UDP, or a printer) does not answer; then ordinary use, including TLS to an
    address the host did not look up in this capture."""
    t = v.t0
    for _ in range(v.attempts):
        if v.app == "sip":
            register = (f"REGISTER sip:{v.primary} SIP/2.0\r\nVia: SIP/2.0/UDP {v.host}:5060\r\n"
                        f"From: <sip:204@{v.primary}>\r\nTo: <sip:204@{v.primary}>\r\n"
                        f"Call-ID: {cap.rng.getrandbits(64):x}"
                        "\r\nCSeq: 1 REGISTER\r\nContent-Length: 0\r\n\r\n").encode()
            cap.udp(t, v.host, v.primary, 5060, v.primary_port, register)
        else:
            cap.tcp_refused(t, v.host, v.primary, v.primary_port, 0.001)
        t += cap.jitter(4.0, 0.3)
    t = browse(cap, v, t + 1.0, v.fallback, "") + 2.0
    browse_sites(cap, v, t)


def build_port_probe_burst(cap: Capture, v: PairingVariant) -> None:
    """A NAT-type test / port probe: many ports of one server fail within seconds; then the app works with that
    server on 443."""
    t = v.t0
    for i in range(v.attempts):
        port = v.primary_port + i
        if v.app == "udp":
            sport = cap.ephemeral()
            for _ in range(2):
                cap.udp(t, v.host, v.primary, sport, port, cap.rng.randbytes(20))
                t += 0.05
        else:
            cap.tcp_refused(t, v.host, v.primary, port, v.rtt)
        t += cap.rng.uniform(0.1, 0.4)
    t = browse(cap, v, t + 1.5, v.primary, "")
    browse_sites(cap, v, t + 3.0)


def build_proxy_blocked_telemetry(cap: Capture, v: PairingVariant) -> None:
    """The proxy refuses the OS telemetry agent's CONNECTs; the user keeps browsing (through the proxy and
    direct): unrelated names, another client, nothing links the two."""
    t = v.t0
    for _ in range(v.attempts):
        t = connect_via_proxy(cap, v, t, v.domain, v.agent, v.status) + cap.jitter(20.0, 0.3)
    for name, _ in v.sites[:2]:
        t = connect_via_proxy(cap, v, t, name, "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/119.0", 200) + 3.0
    browse_sites(cap, v, t)
# Benign twins of real apps that fail over (calls, VPN clients, mail, time sync, consoles): each fails the way that
# app does in real life, and none of it is a fallback channel.
# ---------------------------------------------------------------------------------------------------------------

STUN_COOKIE = b"\x21\x12\xa4\x42"


def stun_message(txid: bytes, response: bool = False, mapped: tuple[str, int] = ("0.0.0.0", 0)) -> bytes:
    """A STUN Binding request (no attributes), or its success response with an XOR-MAPPED-ADDRESS (RFC 8489)."""
    if not response:
        return b"\x00\x01\x00\x00" + STUN_COOKIE + txid
    addr, port = mapped
    xport = port ^ 0x2112
    xaddr = bytes(a ^ b for a, b in zip(ipaddress.ip_address(addr).packed, STUN_COOKIE))
    attr = b"\x00\x20\x00\x08\x00\x01" + struct.pack("!H", xport) + xaddr
    return b"\x01\x01" + struct.pack("!H", len(attr)) + STUN_COOKIE + txid + attr


def ntp_packet(rng: random.Random, server: bool) -> bytes:
    """An NTPv4 client request (mode 3) or server reply (mode 4, stratum 2), 48 bytes."""
    if not server:
        return bytes([0x23]) + bytes(39) + rng.randbytes(8)
    return bytes([0x24, 2, 6, 0xE9]) + rng.randbytes(44)


def openvpn_reset(session: bytes, packet_id: int) -> bytes:
    """An OpenVPN P_CONTROL_HARD_RESET_CLIENT_V2 (no tls-auth): session id, empty ACK array, packet id."""
    return _u8(7 << 3) + session + b"\x00" + struct.pack("!I", packet_id)


def build_call_turn_fallback(cap: Capture, v: Variant) -> None:
    """A call client's STUN checks to the relay's UDP 3478 go unanswered (UDP blocked), so it relays over TURN over
    TLS on 443 to the same server, then keeps the call there."""
    rng = cap.rng
    t = resolve(cap, v, v.t0, v.domain, [v.primary])
    sport = cap.ephemeral()
    for _ in range(v.attempts):
        cap.udp(t, v.host, v.primary, sport, 3478, stun_message(rng.randbytes(12)))
        t += cap.jitter(0.5, 0.2)
    t += 1.0
    data = [(i % 2 == 0, rng.choice((120, 180, 240, 900))) for i in range(v.beacons)]
    cap.tls_session(t, v.host, v.primary, 443, v.rtt, v.domain, data)


def build_vpn_tcp_fallback(cap: Capture, v: Variant) -> None:
    """An OpenVPN client's resets to UDP 1194 go unanswered, so it connects over TCP 443 (length-framed packets)."""
    rng = cap.rng
    t = resolve(cap, v, v.t0, v.domain, [v.primary])
    sport, session = cap.ephemeral(), rng.randbytes(8)
    for packet_id in range(v.attempts):
        cap.udp(t, v.host, v.primary, sport, 1194, openvpn_reset(session, 0))
        t += 2.0 * (packet_id + 1)

    def framed(packet: bytes) -> bytes:
        return struct.pack("!H", len(packet)) + packet

    exchanges = [(True, framed(openvpn_reset(rng.randbytes(8), 0))), (False, framed(openvpn_message(rng, 8)))]
    exchanges += [(i % 2 == 0, framed(openvpn_message(rng, 9, rng.choice((100, 400, 1200)))))
                  for i in range(v.beacons)]
    cap.tcp_session(t, v.host, v.primary, 443, v.rtt, exchanges)


def build_mail_starttls(cap: Capture, v: Variant) -> None:
    """A mail client's IMAPS (993) connections time out, so it falls back to IMAP with STARTTLS on 143 of the same
    server."""
    rng = cap.rng
    t = resolve(cap, v, v.t0, v.domain, [v.primary])
    for _ in range(v.attempts):
        t = cap.tcp_timeout(t, v.host, v.primary, 993, retries=2) + cap.jitter(2.0, 0.3)
    exchanges = [(False, b"* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] ready\r\n"),
                 (True, b"a1 CAPABILITY\r\n"),
                 (False, b"* CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED\r\na1 OK done\r\n"),
                 (True, b"a2 STARTTLS\r\n"), (False, b"a2 OK begin TLS\r\n"),
                 (True, tls_client_hello(rng, v.domain)), (False, tls_server_flight(rng)),
                 (True, tls_client_finish(rng))]
    exchanges += [(i % 2 == 0, tls_app_data(rng, rng.choice((60, 200, 1500)))) for i in range(v.beacons)]
    cap.tcp_session(t, v.host, v.primary, 143, v.rtt, exchanges)


def build_ntp_pool(cap: Capture, v: Variant) -> None:
    """An NTP client rotates through pool servers: the first it picked does not answer its requests, the next
    ones do (and keep answering at the poll interval)."""
    rng = cap.rng
    servers = [v.primary] + [str(ipaddress.ip_address(v.fallback) + i) for i in range(3)]
    t = resolve(cap, v, v.t0, v.domain, servers)
    sport = cap.ephemeral()
    for _ in range(v.attempts):
        cap.udp(t, v.host, v.primary, sport, 123, ntp_packet(rng, False))
        t += cap.jitter(2.0, 0.2)
    for _ in range(v.beacons):
        for server in servers[1:]:
            cap.udp(t, v.host, server, sport, 123, ntp_packet(rng, False))
            cap.udp(t + v.rtt, server, v.host, 123, sport, ntp_packet(rng, True))
            t += 0.05
        t += cap.jitter(v.interval, 0.05)


def build_console(cap: Capture, v: Variant) -> None:
    """A game console: its UDP game traffic to a peer's 3074 gets no answer (strict NAT), it checks its mapping
    with STUN on 3478, then the session goes through the service's relay over TLS on 443 (a name it looked up)."""
    rng = cap.rng
    sport, t = 3074, v.t0
    for _ in range(v.attempts):
        cap.udp(t, v.host, v.primary, sport, 3074, rng.randbytes(rng.choice((64, 120, 300))))
        t += cap.jitter(1.0, 0.2)
    stun_server = str(ipaddress.ip_address(v.fallback) + 7)
    txid = rng.randbytes(12)
    cap.udp(t, v.host, stun_server, sport, 3478, stun_message(txid))
    cap.udp(t + v.rtt, stun_server, v.host, 3478, sport, stun_message(txid, True, ("198.18.0.9", 3074)))
    t = resolve(cap, v, t + 0.5, v.domain, [v.fallback])
    data = [(i % 2 == 0, rng.choice((90, 300, 1200))) for i in range(v.beacons)]
    cap.tls_session(t, v.host, v.fallback, 443, v.rtt, v.domain, data)


# ---------------------------------------------------------------------------------------------------------------
# The table
# ---------------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    verdict: str
    indicators: tuple[str, ...]
    absent: tuple[str, ...]
    build: Callable[[Capture, Variant], None]
    variants: dict[str, Variant] = field(default_factory=dict)


T0 = 1_700_000_000.0  # 2023-11-14 22:13:20 UTC: base of every capture's clock
CONFOUNDER_ABSENT = ("failed_then_fallback",)

SCENARIOS: tuple[Scenario, ...] = (
    Scenario("fallback_port", "TLS to the C2 IP on 443 times out (S0 with SYN retransmits), then periodic TLS "
             "beacons to the same IP on a non-standard port", "escalate",
             ("failed_then_fallback", "nonstandard_port_encrypted", "beaconing"), (), build_fallback_tls, {
                 "a": Variant(101, T0 + 3600, "10.20.3.14", "10.20.0.2", "198.51.100.23", fallback_port=8443,
                              interval=30.0, attempts=4),
                 "b": Variant(102, T0 + 90_000, "192.168.77.45", "192.168.77.1", "203.0.113.180", fallback_port=4443,
                              interval=61.0, attempts=3, rtt=0.11)}),
    Scenario("fallback_backup_ip", "primary C2 IP refuses (RST, REJ) repeatedly, then TLS without SNI to a different "
             "bare IP that no DNS answer contains", "escalate",
             ("failed_then_fallback",), (), build_fallback_tls, {
                 "a": Variant(111, T0 + 7200, "10.4.8.20", "10.4.0.53", "198.51.100.77", "203.0.113.9",
                              fallback_port=443, failure="refused", attempts=5, interval=45.0, beacons=6),
                 "b": Variant(112, T0 + 180_000, "172.16.30.101", "1.1.1.1", "45.77.12.200", "185.243.115.84",
                              primary_port=8443, fallback_port=9443, failure="refused", attempts=4, interval=20.0,
                              beacons=8, rtt=0.09)}),
    Scenario("fallback_dyndns", "the primary C2 domain gets NXDOMAIN repeatedly, then a backup domain under a "
             "dynamic-DNS provider resolves and the host talks to that IP", "escalate",
             ("failed_then_fallback", "dynamic_dns"), (), build_fallback_dyndns, {
                 "a": Variant(121, T0 + 10_800, "10.1.2.3", "10.1.0.2", "", "198.51.100.140", fallback_port=443,
                              domain="update-cdn-sync.com", fallback_domain="k7sync.duckdns.org", attempts=3,
                              interval=60.0, beacons=6),
                 "b": Variant(122, T0 + 270_000, "192.168.1.66", "8.8.8.8", "", "203.0.113.61", fallback_port=8081,
                              domain="telemetry-gw.net", fallback_domain="srv-backup.ddns.net", attempts=4,
                              interval=25.0, beacons=8, app="http", rtt=0.08)}),
    Scenario("fallback_dns_tunnel", "primary C2 over TCP fails, then a DNS tunnel: encoded high-entropy unique "
             "subdomains of one zone in TXT/NULL/CNAME queries", "escalate",
             ("failed_then_fallback", "dns_tunnel"), (), build_fallback_dns_tunnel, {
                 "a": Variant(131, T0 + 14_400, "10.10.5.50", "10.10.0.10", "198.51.100.200", failure="refused",
                              fallback_domain="t.cloudsvc-metrics.com", encoding="base32", qtype="TXT", beacons=30,
                              interval=1.5),
                 "b": Variant(132, T0 + 360_000, "192.168.40.12", "9.9.9.9", "203.0.113.45", primary_port=8443,
                              failure="timeout", attempts=3, fallback_domain="ns1.pixel-track.org", encoding="hex",
                              qtype="NULL", beacons=22, interval=3.0)}),
    Scenario("fallback_icmp_tunnel", "primary fails with ICMP destination unreachable, then an ICMP echo tunnel with "
             "large varying high-entropy payloads, some carrying an IPv4 packet", "escalate",
             ("failed_then_fallback", "icmp_tunnel"), (), build_fallback_icmp_tunnel, {
                 "a": Variant(141, T0 + 18_000, "10.3.3.33", "10.3.0.1", "198.51.100.99", "198.51.100.98",
                              failure="unreachable", attempts=3, beacons=24, interval=2.0),
                 "b": Variant(142, T0 + 450_000, "172.20.1.7", "172.20.0.2", "203.0.113.222", "192.0.2.150",
                              primary_port=8443, failure="unreachable", attempts=4, beacons=30, interval=0.8,
                              rtt=0.12)}),
    Scenario("fallback_tcp53", "primary TLS on 443 fails, then raw high-entropy non-DNS TCP on port 53 to the C2 IP",
             "escalate", ("failed_then_fallback", "protocol_port_mismatch"), (), build_fallback_tcp53, {
                 "a": Variant(151, T0 + 21_600, "10.9.9.21", "10.9.0.2", "198.51.100.53", fallback_port=53,
                              attempts=3, beacons=6, interval=40.0),
                 "b": Variant(152, T0 + 540_000, "192.168.5.150", "192.168.5.1", "203.0.113.35", fallback_port=53,
                              failure="refused", attempts=5, beacons=8, interval=15.0, rtt=0.07)}),
    Scenario("fallback_tls_8080", "primary HTTPS refused, then TLS (ClientHello/ServerHello + encrypted records) on "
             "8080, an HTTP port", "escalate", ("failed_then_fallback", "protocol_port_mismatch"), (),
             build_fallback_tls, {
                 "a": Variant(161, T0 + 25_200, "10.50.1.9", "10.50.0.2", "198.51.100.8", fallback_port=8080,
                              domain="cdn-assets-eu.com", failure="refused", attempts=4, beacons=6, interval=50.0),
                 "b": Variant(162, T0 + 630_000, "172.17.4.44", "172.17.0.53", "203.0.113.88", fallback_port=8080,
                              domain="api.weather-hub.net", failure="refused", attempts=6, beacons=8, interval=12.0,
                              rtt=0.1)}),
    Scenario("fallback_http_odd_port", "primary fails, then periodic cleartext HTTP beacons (GET/POST) to a non-web "
             "port", "escalate", ("failed_then_fallback", "beaconing"), (), build_fallback_http_odd_port, {
                 "a": Variant(171, T0 + 28_800, "10.7.7.70", "10.7.0.1", "198.51.100.44", fallback_port=4444,
                              attempts=3, beacons=10, interval=20.0),
                 "b": Variant(172, T0 + 720_000, "192.168.3.33", "192.168.3.1", "203.0.113.101", "203.0.113.102",
                              fallback_port=1337, failure="refused", attempts=5, beacons=12, interval=35.0,
                              agent="curl/7.88.1")}),
    Scenario("benign_quic_to_tcp", "QUIC to a web server on udp/443 gets no answer, then TLS on tcp/443 to the same "
             "server (browser falling back from HTTP/3)", "benign", (), CONFOUNDER_ABSENT, build_quic_to_tcp, {
                 "a": Variant(181, T0 + 32_400, "10.2.2.2", "10.2.0.1", "198.51.100.150", domain="www.example-news.com",
                              attempts=4),
                 "b": Variant(182, T0 + 810_000, "192.168.8.8", "192.168.8.1", "203.0.113.15",
                              domain="video.streamsite.net", attempts=5, rtt=0.02)}),
    Scenario("benign_happy_eyeballs", "AAAA + A lookup, the IPv6 TCP/443 attempt fails, IPv4 TCP/443 to the same "
             "name works (RFC 8305)", "benign", (), CONFOUNDER_ABSENT, build_happy_eyeballs, {
                 "a": Variant(191, T0 + 36_000, "10.6.0.25", "10.6.0.1", "198.51.100.180",
                              domain="www.shop-example.com", host6="fd00:6::25", server6="2001:db8:100::180"),
                 "b": Variant(192, T0 + 900_000, "192.168.20.9", "192.168.20.1", "203.0.113.190",
                              domain="docs.example.org", host6="fd20:20::9", server6="2001:db8:beef::10", rtt=0.09)}),
    Scenario("benign_cdn_failover", "a name resolves to two IPs, the first refuses or times out on 443, the second "
             "works on 443 with the same SNI", "benign", (), CONFOUNDER_ABSENT, build_cdn_failover, {
                 "a": Variant(201, T0 + 39_600, "10.11.1.11", "10.11.0.1", "198.51.100.60", "198.51.100.61",
                              domain="static.cdn-example.net", failure="timeout"),
                 "b": Variant(202, T0 + 990_000, "172.18.2.22", "1.0.0.1", "203.0.113.70", "192.0.2.71",
                              domain="assets.mediacdn.io", failure="refused", rtt=0.03)}),
    Scenario("benign_vpn_udp", "a long-lived high-entropy UDP VPN session (WireGuard or OpenVPN style)", "investigate",
             (), CONFOUNDER_ABSENT, build_vpn_udp, {
                 "a": Variant(211, T0 + 43_200, "10.12.0.5", "10.12.0.1", "198.51.100.210", primary_port=51820,
                              app="wireguard", beacons=80, interval=4.0),
                 "b": Variant(212, T0 + 1_080_000, "192.168.50.5", "192.168.50.1", "203.0.113.240", primary_port=1194,
                              app="openvpn", beacons=60, interval=6.0, rtt=0.06)}),
    Scenario("benign_ssh_high_port", "SSH (banners, KEXINIT, encrypted packets) to an external server on a high port",
             "investigate", ("nonstandard_port_encrypted",), CONFOUNDER_ABSENT, build_ssh_high_port, {
                 "a": Variant(221, T0 + 46_800, "10.13.0.13", "10.13.0.1", "198.51.100.22", primary_port=2222,
                              beacons=40),
                 "b": Variant(222, T0 + 1_170_000, "192.168.60.6", "192.168.60.1", "203.0.113.122", primary_port=22022,
                              beacons=60, rtt=0.15)}),
    Scenario("benign_nas_dyndns", "a home NAS name under a dynamic-DNS provider is looked up and used over TLS, "
             "no failures", "investigate", ("dynamic_dns",), CONFOUNDER_ABSENT, build_nas_dyndns, {
                 "a": Variant(231, T0 + 50_400, "10.14.0.14", "10.14.0.1", "198.51.100.234", primary_port=443,
                              domain="familynas.duckdns.org", attempts=2, interval=20.0),
                 "b": Variant(232, T0 + 1_260_000, "192.168.70.7", "192.168.70.1", "203.0.113.177", primary_port=5001,
                              domain="homestorage.hopto.org", attempts=3, interval=45.0, rtt=0.05)}),
)

#: benign twins of the real apps that fail over (../shared/pcaps/apps): each must stay what the app is
APP_ABSENT = ("failed_then_fallback", "protocol_switch")
APP_TWINS: tuple[Scenario, ...] = (
    Scenario("benign_call_turn", "a call's STUN checks to the relay's UDP 3478 go unanswered, then the call relays "
             "over TURN over TLS on 443 to the same server", "benign", (),
             (*APP_ABSENT, "nonstandard_port_encrypted"), build_call_turn_fallback, {
                 "a": Variant(241, T0 + 54_000, "10.15.0.15", "10.15.0.1", "198.51.100.101",
                              domain="relay.meet-calls.example", attempts=6, beacons=40),
                 "b": Variant(242, T0 + 1_350_000, "192.168.80.8", "192.168.80.1", "203.0.113.201",
                              domain="turn.voice-app.example", attempts=9, beacons=60, rtt=0.09)}),
    Scenario("benign_vpn_tcp_fallback", "an OpenVPN client's resets to UDP 1194 go unanswered, then it connects over "
             "TCP 443 to the same server: a VPN (policy question), never a fallback", "investigate",
             ("nonstandard_port_encrypted",), APP_ABSENT, build_vpn_tcp_fallback, {
                 "a": Variant(251, T0 + 57_600, "10.16.0.16", "10.16.0.1", "198.51.100.102",
                              domain="vpn.corp-remote.example", attempts=3, beacons=30),
                 "b": Variant(252, T0 + 1_440_000, "192.168.90.9", "192.168.90.1", "203.0.113.202",
                              domain="gw.tunnel-provider.example", attempts=5, beacons=50, rtt=0.07)}),
    Scenario("benign_mail_starttls", "a mail client's IMAPS connections on 993 time out, then it uses IMAP with "
             "STARTTLS on 143 of the same server", "benign", (), (*APP_ABSENT, "nonstandard_port_encrypted"),
             build_mail_starttls, {
                 "a": Variant(261, T0 + 61_200, "10.17.0.17", "10.17.0.1", "198.51.100.103",
                              domain="imap.mail-host.example", attempts=3, beacons=12),
                 "b": Variant(262, T0 + 1_530_000, "192.168.100.10", "192.168.100.1", "203.0.113.203",
                              domain="mail.small-isp.example", attempts=2, beacons=20, rtt=0.06)}),
    Scenario("benign_ntp_pool", "an NTP client's first pool server does not answer, the next pool servers do",
             "benign", (), (*APP_ABSENT, "beaconing"), build_ntp_pool, {
                 "a": Variant(271, T0 + 64_800, "10.18.0.18", "10.18.0.1", "198.51.100.104", "198.51.100.110",
                              domain="pool.ntp.org", attempts=4, beacons=8, interval=64.0),
                 "b": Variant(272, T0 + 1_620_000, "192.168.110.11", "192.168.110.1", "203.0.113.204",
                              "203.0.113.210", domain="2.debian.pool.ntp.org", attempts=6, beacons=6,
                              interval=128.0, rtt=0.03)}),
    Scenario("benign_console", "a game console's UDP 3074 game traffic gets no answer, it checks its NAT with STUN, "
             "then plays through the service's relay over TLS on 443", "benign", (),
             (*APP_ABSENT, "nonstandard_port_encrypted"), build_console, {
                 "a": Variant(281, T0 + 68_400, "10.19.0.19", "10.19.0.1", "198.51.100.105", "198.51.100.120",
                              domain="relay.console-net.example", attempts=5, beacons=30),
                 "b": Variant(282, T0 + 1_710_000, "192.168.120.12", "192.168.120.1", "203.0.113.205",
                              "203.0.113.220", domain="play.game-network.example", attempts=8, beacons=45,
                              rtt=0.12)}),
)
SCENARIOS = SCENARIOS + APP_TWINS


def pairing_scenarios() -> tuple[Scenario, ...]:
    """Causal pairing: each failure kind and each fallback kind at least once, in changing combinations, and the
    benign twins that must not pair."""
    PV, T = PairingVariant, T0 + 3_000_000
    benign = "benign"
    return (
        Scenario("fallback_proxy_backup_name", "the web proxy refuses the implant's CONNECT to its C2 name (403 / "
                 "407), then the implant goes direct to a backup name: the same label under another TLD",
                 "escalate", ("failed_then_fallback",), (), build_proxy_backup_name, {
                     "a": PV(301, T, "10.31.0.21", "10.31.0.2", "", "198.51.100.131", domain="sync-cloudapi.com",
                             fallback_domain="sync-cloudapi.net", attempts=3, interval=40.0, beacons=6,
                             proxy="10.31.0.8", proxy_port=3128, status=403, agent=IMPLANT_AGENT,
                             sites=(("www.example-news.com", "198.51.100.31"),)),
                     "b": PV(302, T + 100_000, "172.22.5.40", "172.22.5.2", "", "203.0.113.141", fallback_port=80,
                             app="http", domain="metrics-relay.org", fallback_domain="metrics-relay.info", attempts=4,
                             interval=25.0, beacons=8, proxy="172.22.5.5", proxy_port=8080, status=407,
                             agent="WinHTTP-Agent/1.1", sites=(("docs.example.org", "203.0.113.33"),), rtt=0.08)}),
        Scenario("fallback_sinkhole_hard_ip", "the C2 name resolves to a sinkhole (0.0.0.0) or a DNS-filter block "
                 "page, then the implant checks in with a hard-coded address on a standard port", "escalate",
                 ("failed_then_fallback",), (), build_sinkhole_hard_ip, {
                     "a": PV(311, T + 200_000, "10.32.1.5", "10.32.0.2", "", "203.0.113.212",
                             domain="win-update-check.com", sinkhole="0.0.0.0", attempts=3, interval=30.0, beacons=6,
                             sites=(("www.example-news.com", "203.0.113.31"),)),
                     "b": PV(312, T + 300_000, "192.168.32.9", "192.168.32.1", "", "198.51.100.213", fallback_port=80,
                             app="http", domain="cdn-telemetry-edge.net", sinkhole="146.112.61.105", attempts=2,
                             interval=50.0, beacons=6, agent="curl/8.4.0", rtt=0.06,
                             sites=(("mail.example.org", "198.51.100.32"),))}),
        Scenario("fallback_dga_burst", "a burst of one-shot random NXDOMAIN names (far above the host's usual misses) "
                 "ends in one name that resolves; the implant checks in with it on a standard port", "escalate",
                 ("failed_then_fallback",), (), build_dga_burst, {
                     "a": PV(321, T + 400_000, "10.33.2.8", "10.33.0.2", "", "198.51.100.77", names=16,
                             tlds=("com", "net"), interval=60.0, beacons=5,
                             sites=(("docs.example.net", "198.51.100.33"),)),
                     "b": PV(322, T + 500_000, "172.23.9.9", "172.23.0.53", "", "203.0.113.78", fallback_port=80,
                             app="http", names=24, tlds=("top", "xyz", "info"), interval=30.0, beacons=6, rtt=0.09,
                             sites=(("www.shop-example.com", "203.0.113.34"),))}),
        Scenario("fallback_dns_doh", "the host's DNS fails by policy (ICMP administratively prohibited from the "
                 "firewall, or REFUSED), then DNS-over-HTTPS / DNS-over-TLS to a public resolver takes over",
                 "escalate",
                 ("failed_then_fallback",), (), build_dns_doh, {
                     "a": PV(331, T + 600_000, "10.34.0.44", "10.34.0.2", "", "198.51.100.144",
                             domain="beacon-svc-cloud.com", dns_server="8.8.8.8", reporter="10.34.0.1", icmp_code=13,
                             doh="1.1.1.1", doh_name="cloudflare-dns.com", doh_port=443, attempts=3, beacons=5,
                             interval=45.0, sites=(("www.example-news.com", "198.51.100.35"),)),
                     "b": PV(332, T + 700_000, "192.168.34.70", "192.168.34.1", "", "203.0.113.145",
                             domain="cdn-telemetry-hub.com", doh="9.9.9.9", doh_name="dns.quad9.net", doh_port=853,
                             attempts=3, beacons=5, interval=35.0, rtt=0.07,
                             sites=(("docs.example.org", "203.0.113.36"),))}),
        Scenario("fallback_tls_reset_cadence", "an inline filter resets the implant's TLS right after its "
                 "ClientHello, at its check-in period; the same client (JA3) then checks in with another server on "
                 "443 at the same period", "escalate", ("failed_then_fallback",), (), build_tls_reset_cadence, {
                     "a": PV(341, T + 800_000, "10.35.3.3", "10.35.0.2", "198.51.100.151", "203.0.113.152",
                             domain="api.telemetry-hub.io", fallback_domain="static.photo-share.net", attempts=4,
                             interval=30.0, beacons=6, sites=(("www.example-news.com", "198.51.100.36"),)),
                     "b": PV(342, T + 900_000, "172.24.6.6", "172.24.0.2", "203.0.113.161", "198.51.100.162",
                             domain="update.contoso-sync.com", fallback_domain="cdn.imagehostpro.net", attempts=3,
                             interval=45.0, beacons=6, cycle=True, rtt=0.05,
                             sites=(("mail.example.org", "203.0.113.37"),))}),
        Scenario("fallback_tls_alert_fingerprint", "an inspecting firewall answers the implant's ClientHello with a "
                 "fatal alert; the implant then reaches a server it resolved long before, on an odd port: linked "
                 "only by its client fingerprint (JA3)", "escalate",
                 ("failed_then_fallback", "nonstandard_port_encrypted"), (), build_tls_alert_fingerprint, {
                     "a": PV(351, T + 1_000_000, "10.36.4.4", "10.36.0.2", "198.51.100.171", "203.0.113.172",
                             fallback_port=8443, domain="login.secure-portal.com", fallback_domain="files.mybackup.org",
                             alert=40, attempts=3, beacons=6, interval=40.0,
                             sites=(("docs.example.net", "198.51.100.37"),)),
                     "b": PV(352, T + 1_100_000, "192.168.36.36", "192.168.36.1", "203.0.113.181", "198.51.100.182",
                             fallback_port=9443, domain="auth.cloud-gate.net", fallback_domain="sync.notesapp.io",
                             alert=49, attempts=4, beacons=8, interval=25.0, rtt=0.1,
                             sites=(("www.shop-example.com", "203.0.113.38"),))}),
        Scenario("fallback_prohibited_backup_name", "the C2 server is refused by policy (ICMPv6 administratively "
                 "prohibited) or its name SERVFAILs, then a backup name with the same label under another TLD takes "
                 "over", "escalate", ("failed_then_fallback",), (), build_prohibited_backup_name, {
                     "a": PV(361, T + 1_200_000, "fd37::5", "fd37::53", "", "2001:db8:37:1::9",
                             domain="relay-node7.com", fallback_domain="relay-node7.org", host6="fd37::5",
                             server6="2001:db8:37::7", reporter="fd37::1", attempts=3, beacons=5, interval=60.0),
                     "b": PV(362, T + 1_300_000, "172.25.7.7", "172.25.0.2", "", "203.0.113.195", fallback_port=8080,
                             app="http", domain="node-relay-eu.net", fallback_domain="node-relay-eu.biz", attempts=3,
                             beacons=6, interval=20.0, agent="Go-http-client/1.1", rtt=0.06,
                             sites=(("docs.example.org", "203.0.113.39"),))}),
        Scenario("benign_internal_service_fail", "an internal service (PBX over SIP, a printer) does not answer, then "
                 "ordinary browsing, including TLS to an address not looked up in the capture", benign, (),
                 CONFOUNDER_ABSENT, build_internal_service_fail, {
                     "a": PV(371, T + 1_400_000, "10.38.0.38", "10.38.0.2", "10.38.0.5", "198.51.100.201",
                             primary_port=5060, app="sip", attempts=4,
                             sites=(("www.example-news.com", "198.51.100.202"),)),
                     "b": PV(372, T + 1_500_000, "192.168.38.8", "192.168.38.1", "192.168.38.20", "203.0.113.203",
                             primary_port=9100, app="tcp", attempts=3,
                             sites=(("mail.example.org", "203.0.113.204"),))}),
        Scenario("benign_port_probe_burst", "a NAT-type test / port probe: many ports of one server fail within "
                 "seconds, then the app works with that server on 443", benign, (), CONFOUNDER_ABSENT,
                 build_port_probe_burst, {
                     "a": PV(381, T + 1_600_000, "10.39.0.39", "10.39.0.2", "198.51.100.211", primary_port=3478,
                             app="udp", attempts=6, sites=(("docs.example.net", "198.51.100.212"),)),
                     "b": PV(382, T + 1_700_000, "172.26.0.26", "172.26.0.2", "203.0.113.221", primary_port=5000,
                             app="tcp", attempts=8, rtt=0.05, sites=(("www.shop-example.com", "203.0.113.222"),))}),
        Scenario("benign_proxy_blocked_telemetry", "the proxy refuses the OS telemetry agent's CONNECTs (403 / 407), "
                 "the user keeps browsing through the proxy and direct: nothing links the two", benign, (),
                 CONFOUNDER_ABSENT, build_proxy_blocked_telemetry, {
                     "a": PV(391, T + 1_800_000, "10.40.0.40", "10.40.0.2", "", domain="v10.events.data.microsoft.com",
                             proxy="10.40.0.8", proxy_port=3128, status=403, agent="Microsoft-Windows-Telemetry/10.0",
                             attempts=4, sites=(("www.example-news.com", "198.51.100.231"),
                                                ("docs.example.net", "198.51.100.232"))),
                     "b": PV(392, T + 1_900_000, "192.168.41.41", "192.168.41.1", "",
                             domain="settings-win.data.microsoft.com", proxy="192.168.41.8", proxy_port=8080,
                             status=407, agent="MSDW", attempts=3, rtt=0.03,
                             sites=(("www.shop-example.com", "203.0.113.233"),
                                    ("mail.example.org", "203.0.113.234")))}),
    )


SCENARIOS = SCENARIOS + pairing_scenarios()


# ---------------------------------------------------------------------------------------------------------------
# Beacons and long channels (issue 9): their own builders and table rows, added to SCENARIOS below
# ---------------------------------------------------------------------------------------------------------------

def build_idle_then_active(cap: Capture, v: Variant) -> None:
    """One long TCP channel on an odd port: cleartext keepalives both ways every v.interval s (more than the
    analyzer's head sample of either side), then v.beacons exchanges of random bytes a second apart (the tunnel carries data)."""
    rng, exchanges, idle = cap.rng, [], []
    for i in range(v.attempts):  # keepalives, both ways
        ping = f"KA {i:05d} node={v.host} state=idle uptime={i * int(v.interval)} ".encode()
        exchanges += [(True, ping.ljust(96, b".")), (False, f"KA-ACK {i:05d} ok ".encode().ljust(80, b"."))]
        idle += [cap.jitter(v.interval, 0.05), 0.0]
    for _ in range(v.beacons):
        exchanges += [(True, rng.randbytes(rng.randint(400, 1400))), (False, rng.randbytes(rng.randint(200, 1400)))]
        idle += [cap.jitter(1.0, 0.5), 0.0]
    cap.tcp_session(v.t0, v.host, v.primary, v.primary_port, v.rtt, exchanges, idle=idle)


def build_fast_reconnect(cap: Capture, v: Variant) -> None:
    """A C2 loop that reconnects every ~v.interval s (under 5 s): working, then refused on its channel, then the same
    loop on a backup address and port."""
    t = v.t0
    for _ in range(v.beacons):
        cap.tls_session(t, v.host, v.primary, v.primary_port, v.rtt, "",
                        [(True, cap.rng.randint(90, 140)), (False, cap.rng.randint(40, 80))])
        t += cap.jitter(v.interval, 0.04)
    for _ in range(v.attempts):
        cap.tcp_refused(t, v.host, v.primary, v.primary_port, v.rtt)
        t += cap.jitter(v.interval, 0.04)
    for _ in range(v.beacons):
        cap.tls_session(t, v.host, v.fallback, v.fallback_port, v.rtt, "",
                        [(True, cap.rng.randint(90, 140)), (False, cap.rng.randint(40, 80))])
        t += cap.jitter(v.interval, 0.04)


def build_cleartext_heartbeat(cap: Capture, v: Variant) -> None:
    """Short TCP connections every v.interval s on an odd port carrying a home-made text protocol."""
    t = v.t0
    for seq in range(v.beacons):
        beat = f"HB|id={v.host.replace('.', '-')}|seq={seq}|os=win10|user=svc|st=idle|\r\n".encode()
        reply = f"OK|seq={seq}|cmd=none|next={int(v.interval)}|\r\n".encode()
        cap.tcp_session(t, v.host, v.primary, v.primary_port, v.rtt, [(True, beat), (False, reply)])
        t += cap.jitter(v.interval, 0.05)


def build_ntp_polling(cap: Capture, v: Variant) -> None:
    """An NTP client polling its pool servers every v.interval s (RFC 5905 poll interval), after one lookup."""
    servers = v.primary.split(",")
    t = resolve(cap, v, v.t0, v.domain, servers)
    sport = 123
    for i in range(v.beacons):
        for server in servers:
            cap.udp(t, v.host, server, sport, 123, ntp_packet(cap.rng, False))
            cap.udp(t + v.rtt, server, v.host, 123, sport, ntp_packet(cap.rng, True))
        t += cap.jitter(v.interval, 0.02)


def build_periodic_service(cap: Capture, v: Variant) -> None:
    """An OS connectivity check (HTTP on 80, v.app == "http") or a push-service heartbeat (TLS on 443) every
    v.interval s, to a name resolved first."""
    t = resolve(cap, v, v.t0, v.domain, [v.primary])
    for _ in range(v.beacons):
        if v.app == "http":
            request = http_request("GET", v.domain, "/connecttest.txt", "Microsoft NCSI")
            cap.tcp_session(t, v.host, v.primary, 80, v.rtt, [(True, request),
                                                             (False, http_response(b"Microsoft Connect Test",
                                                                                   "text/plain"))])
        else:
            cap.tls_session(t, v.host, v.primary, 443, v.rtt, v.domain,
                            [(True, cap.rng.randint(40, 60)), (False, cap.rng.randint(40, 60))])
        t += cap.jitter(v.interval, 0.03)


def beacon_scenarios() -> tuple[Scenario, ...]:
    return (
        # the analyzer flags it nonstandard_port_encrypted (tests/test_beacon_scenarios.py); the label lists no
        # indicator, as Zeek has no payload entropy to see it with (like benign_vpn_udp)
        Scenario("c2_idle_then_active", "one long TCP channel on an odd port idles with cleartext keepalives (more "
                 "than the head sample), then carries random-looking data: measured on its active part",
                 "investigate", (), CONFOUNDER_ABSENT, build_idle_then_active, {
                     "a": Variant(241, T0 + 1_350_000, "10.15.0.15", "10.15.0.1", "198.51.100.241", primary_port=7443,
                                  attempts=60, interval=20.0, beacons=40),
                     "b": Variant(242, T0 + 1_440_000, "192.168.80.8", "192.168.80.1", "203.0.113.242",
                                  primary_port=9001, attempts=80, interval=12.0, beacons=60, rtt=0.09)}),
        Scenario("c2_fast_reconnect", "a C2 loop reconnecting every ~2 s over TLS without SNI is refused on its "
                 "channel, then the same loop goes on to a backup address and port", "escalate",
                 ("failed_then_fallback", "beaconing"), (), build_fast_reconnect, {
                     "a": Variant(251, T0 + 1_530_000, "10.16.0.16", "10.16.0.1", "198.51.100.251", "198.51.100.252",
                                  primary_port=443, fallback_port=8443, interval=2.0, beacons=20, attempts=6),
                     "b": Variant(252, T0 + 1_620_000, "172.21.3.3", "172.21.0.1", "203.0.113.251", "192.0.2.252",
                                  primary_port=443, fallback_port=4443, interval=1.5, beacons=30, attempts=8,
                                  rtt=0.07)}),
        Scenario("c2_cleartext_heartbeat", "short TCP connections at a regular interval on an odd port carrying a "
                 "printable home-made protocol no dissector knows", "investigate", ("beaconing",),
                 CONFOUNDER_ABSENT, build_cleartext_heartbeat, {
                     "a": Variant(261, T0 + 1_710_000, "10.17.0.17", "10.17.0.1", "198.51.100.17", primary_port=7001,
                                  interval=20.0, beacons=15),
                     "b": Variant(262, T0 + 1_800_000, "192.168.90.9", "192.168.90.1", "203.0.113.19",
                                  primary_port=31337, interval=45.0, beacons=10, rtt=0.12)}),
        Scenario("benign_ntp_polling", "an NTP client polling two pool servers at its poll interval", "benign", (),
                 ("beaconing", "failed_then_fallback", "protocol_switch"), build_ntp_polling, {
                     "a": Variant(271, T0 + 1_890_000, "10.18.0.18", "10.18.0.1", "198.51.100.123,198.51.100.124",
                                  domain="2.debian.pool.ntp.org", interval=64.0, beacons=12),
                     "b": Variant(272, T0 + 1_980_000, "192.168.100.10", "192.168.100.1",
                                  "203.0.113.123,192.0.2.124", domain="time.windows.com", interval=128.0, beacons=8,
                                  rtt=0.03)}),
        Scenario("benign_periodic_service", "an OS connectivity check (HTTP) or a push-service heartbeat (TLS) at a "
                 "fixed interval to a known service name", "benign", (),
                 ("beaconing", "failed_then_fallback", "protocol_switch"), build_periodic_service, {
                     "a": Variant(281, T0 + 2_070_000, "10.19.0.19", "10.19.0.1", "198.51.100.81",
                                  domain="www.msftconnecttest.com", app="http", interval=30.0, beacons=12),
                     "b": Variant(282, T0 + 2_160_000, "192.168.110.11", "192.168.110.1", "203.0.113.82",
                                  domain="client.wns.windows.com", interval=60.0, beacons=10, rtt=0.06)}),
    )


SCENARIOS += beacon_scenarios()


# ---------------------------------------------------------------------------------------------------------------
# Payload shape (issue 9): a fallback linked only by the sizes of the implant's messages, and its coincidental twin;
# a fallback linked only by JA4 (the implant's hellos shuffle their extensions, so JA3 changes every time)
# ---------------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ShapeVariant(PairingVariant):
    """Message sizes: the failed channel's (cycled through ``attempts`` datagrams) and the later channel's."""

    sizes: tuple[int, ...] = ()
    later_sizes: tuple[int, ...] = ()


def text_bytes(rng: random.Random, size: int) -> bytes:
    """``size`` bytes of printable words, ending in CRLF (a log line, a chat message)."""
    words = b" ".join(rng.choice((b"user", b"ok", b"join", b"level", b"msg", b"info", b"sync", b"id")) for _ in
                      range(size))
    return words[:max(size - 2, 0)] + b"\r\n"[:size]


def build_payload_shape(cap: Capture, v: ShapeVariant) -> None:
    """A UDP implant's reports and polls go unanswered (egress UDP blocked); it carries the same messages over TCP to
    a server it resolved at start-up, one per connection behind a 2-byte length: linked only by the message sizes."""
    rng = cap.rng
    t = resolve(cap, v, v.t0, v.fallback_domain, [v.fallback])
    t = browse_sites(cap, v, t + 200.0)
    sport = cap.ephemeral()
    for i in range(v.attempts):
        cap.udp(t, v.host, v.primary, sport, v.primary_port, rng.randbytes(v.sizes[i % len(v.sizes)]))
        t += cap.jitter(v.interval, 0.3)
    t += cap.jitter(25.0, 0.2)
    for size in v.later_sizes:
        message = struct.pack("!H", size) + rng.randbytes(size)
        cap.tcp_session(t, v.host, v.fallback, v.fallback_port, v.rtt,
                        [(True, message), (False, rng.randbytes(rng.randint(16, 90)))])
        t += cap.jitter(v.interval * 1.7, 0.4)


def build_coincident_shape(cap: Capture, v: ShapeVariant) -> None:
    """An app's log lines to a dead external collector go unanswered; later the user works in an unrelated text
    protocol on an odd port (a game server's chat, resolved at start-up) whose messages happen to have one of those
    sizes, or both among many others."""
    rng = cap.rng
    t = resolve(cap, v, v.t0, v.fallback_domain, [v.fallback])
    t = browse_sites(cap, v, t + 200.0)
    sport = cap.ephemeral()
    for i in range(v.attempts):
        cap.udp(t, v.host, v.primary, sport, v.primary_port, text_bytes(rng, v.sizes[i % len(v.sizes)]))
        t += cap.jitter(v.interval, 0.3)
    t += cap.jitter(25.0, 0.2)
    pauses = (8.0, 141.0, 33.0, 11.0, 96.0, 64.0, 14.0, 185.0, 27.0, 51.0)  # a person at a keyboard: no period
    for i, size in enumerate(v.later_sizes):
        cap.tcp_session(t, v.host, v.fallback, v.fallback_port, v.rtt,
                        [(True, text_bytes(rng, size)), (False, text_bytes(rng, rng.randint(20, 400)))])
        t += cap.jitter(pauses[i % len(pauses)], 0.2)


def shape_scenarios() -> tuple[Scenario, ...]:
    SV, T = ShapeVariant, T0 + 5_000_000
    return (
        Scenario("fallback_payload_shape", "a UDP implant's reports and polls get no answer; the same messages (two "
                 "sizes, now behind a 2-byte length) go over TCP on an odd port to a server resolved long before: "
                 "linked only by payload shape", "escalate",
                 ("failed_then_fallback", "nonstandard_port_encrypted"), (), build_payload_shape, {
                     "a": SV(401, T, "10.41.0.41", "10.41.0.2", "198.51.100.41", "203.0.113.42", primary_port=9531,
                             fallback_port=8089, fallback_domain="assets.pixel-vault.net", attempts=12,
                             interval=15.0, sizes=(212, 36, 36, 36), later_sizes=(212, 36, 36, 212, 36, 36, 36),
                             sites=(("www.example-news.com", "198.51.100.43"),)),
                     "b": SV(402, T + 100_000, "192.168.41.14", "192.168.41.1", "203.0.113.51", "198.51.100.52",
                             primary_port=6200, fallback_port=2087, fallback_domain="cdn.quickshare-drive.org",
                             attempts=9, interval=22.0, sizes=(540, 96, 96), later_sizes=(540, 96, 96, 96, 540, 96),
                             rtt=0.07, sites=(("docs.example.org", "203.0.113.53"),))}),
        Scenario("benign_coincident_shape", "log lines to a dead external collector go unanswered; later an unrelated "
                 "text protocol on an odd port carries messages of one of those sizes, or of both among many others: "
                 "a coincidence, no fallback", "benign", (), CONFOUNDER_ABSENT, build_coincident_shape, {
                     "a": SV(411, T + 200_000, "10.42.0.42", "10.42.0.2", "198.51.100.61", "203.0.113.62",
                             primary_port=514, fallback_port=4000, fallback_domain="chat.retro-mud.net", attempts=8,
                             interval=12.0, sizes=(120, 310), later_sizes=(121, 77, 450, 39, 260, 980, 64),
                             sites=(("www.example-news.com", "198.51.100.63"),)),
                     "b": SV(412, T + 300_000, "172.27.4.4", "172.27.0.2", "203.0.113.71", "198.51.100.72",
                             primary_port=514, fallback_port=7777, fallback_domain="chat.hobby-net.org", attempts=6,
                             interval=18.0, sizes=(120, 310),
                             later_sizes=(118, 305, 700, 88, 1500, 640, 45, 900, 230, 77), rtt=0.06,
                             sites=(("mail.example.org", "203.0.113.73"),))}),
        Scenario("fallback_tls_reset_ja4", "an inline filter resets the implant's TLS right after its ClientHello; "
                 "it then reaches a server resolved long before on an odd port. Its hellos shuffle their extension "
                 "order (a new JA3 each time): linked only by JA4", "escalate",
                 ("failed_then_fallback", "nonstandard_port_encrypted"), (), build_tls_reset_ja4, {
                     "a": PairingVariant(441, T + 400_000, "10.45.0.45", "10.45.0.2", "198.51.100.141",
                                         "203.0.113.142", fallback_port=8843, domain="gw.cloud-metrics.com",
                                         fallback_domain="img.snapgallery.net", attempts=3, beacons=6, interval=35.0,
                                         shuffle=True, sites=(("www.example-news.com", "198.51.100.143"),)),
                     "b": PairingVariant(442, T + 500_000, "192.168.45.45", "192.168.45.1", "203.0.113.151",
                                         "198.51.100.152", fallback_port=10443, domain="api.update-relay.org",
                                         fallback_domain="files.docs-share.io", attempts=4, beacons=8, interval=50.0,
                                         shuffle=True, rtt=0.08, sites=(("docs.example.org", "203.0.113.153"),))}),
    )


SCENARIOS += shape_scenarios()


# ---------------------------------------------------------------------------------------------------------------
# App twins that fail over (issue 9): push services, captive portals
# ---------------------------------------------------------------------------------------------------------------

def build_push_fallback(cap: Capture, v: Variant) -> None:
    """A push client's persistent connection on its own port (APNs 5223, FCM 5228) times out at the firewall, so
    it opens the documented fallback on 443 to the same service name and keeps it with heartbeats."""
    t = resolve(cap, v, v.t0, v.domain, [v.primary, v.peer])
    for _ in range(v.attempts):
        t = cap.tcp_timeout(t, v.host, v.primary, v.primary_port, retries=2) + cap.jitter(3.0, 0.3)
    heartbeats = [(i % 2 == 0, cap.rng.randint(40, 120)) for i in range(v.beacons)]
    cap.tls_session(t, v.host, v.peer, 443, v.rtt, v.domain, heartbeats)


def build_captive_portal(cap: Capture, v: PairingVariant) -> None:
    """Guest Wi-Fi before login: the portal resets every HTTPS connection right after the ClientHello and answers
    the OS connectivity check with a redirect; the user logs in on the portal (a new name on 443, same browser),
    then the connectivity check succeeds and the sites that were reset work."""
    rng = cap.rng
    probe, portal = v.domain, v.fallback_domain
    t = v.t0
    for name, addr in v.sites:
        t = resolve(cap, v, t, name, [addr])
        for _ in range(v.attempts):
            refused_after_hello(cap, t, v.host, addr, 443, v.rtt, tls_client_hello(rng, name))
            t += cap.jitter(1.5, 0.3)
    t = resolve(cap, v, t, probe, [v.primary])
    redirect = (f"HTTP/1.1 302 Found\r\nLocation: https://{portal}/login?ssid=guest\r\nContent-Length: 0\r\n"
                "Connection: close\r\n\r\n").encode()
    t = cap.tcp_session(t, v.host, v.primary, 80, v.rtt, [(True, http_request("GET", probe, "/hotspot-detect.html",
                                                                              v.agent)), (False, redirect)])
    t = resolve(cap, v, t + 0.2, portal, [v.fallback])
    t = cap.tls_session(t + 0.05, v.host, v.fallback, 443, v.rtt, portal,
                        [(True, 420), (False, 9000), (True, 700), (False, 1200)]) + cap.jitter(20.0, 0.3)
    ok = http_response(b"<HTML><HEAD><TITLE>Success</TITLE></HEAD><BODY>Success</BODY></HTML>")
    t = cap.tcp_session(t, v.host, v.primary, 80, v.rtt, [(True, http_request("GET", probe, "/hotspot-detect.html",
                                                                              v.agent)), (False, ok)])
    for name, addr in v.sites:
        t = browse(cap, v, t + cap.jitter(4.0, 0.3), addr, name)


def app_failover_twins() -> tuple[Scenario, ...]:
    PV, T = PairingVariant, T0 + 5_500_000
    return (
        Scenario("benign_push_fallback", "a push client's connections on its own port (APNs 5223, FCM 5228) time out, "
                 "then it keeps its connection on 443 to the same service name: one service, no fallback", "benign",
                 (), (*APP_ABSENT, "nonstandard_port_encrypted"), build_push_fallback, {
                     "a": Variant(421, T, "10.43.0.43", "10.43.0.2", "198.51.100.81", "198.51.100.82",
                                  primary_port=5223, domain="7-courier.push.apple.com", attempts=3, beacons=12),
                     "b": Variant(422, T + 100_000, "192.168.43.43", "192.168.43.1", "203.0.113.83",
                                  primary_port=5228, domain="mtalk.google.com", attempts=4, beacons=16, rtt=0.05)}),
        Scenario("benign_captive_portal", "guest Wi-Fi before login: HTTPS reset right after the ClientHello, the "
                 "connectivity check redirected; the user logs in on the portal (a new name on 443, the same "
                 "browser), then the sites work", "benign", (), (*APP_ABSENT, "nonstandard_port_encrypted"),
                 build_captive_portal, {
                     "a": PV(431, T + 200_000, "10.44.0.44", "10.44.0.1", "198.51.100.91", "198.51.100.92",
                             domain="captive.apple.com", fallback_domain="login.guest-wifi.example", attempts=2,
                             sites=(("www.example-news.com", "198.51.100.93"), ("mail.example.org", "198.51.100.94"))),
                     "b": PV(432, T + 300_000, "172.28.5.5", "172.28.0.1", "203.0.113.95", "203.0.113.96",
                             domain="connectivitycheck.gstatic.com", fallback_domain="portal.hotel-stay.example",
                             attempts=3, rtt=0.06, agent="Dalvik/2.1.0 (Linux; U; Android 13)",
                             sites=(("docs.example.net", "203.0.113.97"),))}),
    )


SCENARIOS += app_failover_twins()


def demo_office() -> list[tuple[Variant, Callable[[Capture, Variant], None], dict[str, object]]]:
    """One office network: a host with the dynamic-DNS fallback, one SSH user on a high port, ordinary browsers."""
    t, resolver = T0 + 2_000_000, "192.168.10.2"
    benign = {"verdict": "benign", "indicators": [], "absent": list(CONFOUNDER_ABSENT)}
    browsers = (  # host, sites it visits (name,name / ip,ip)
        ("192.168.10.40", "www.example-news.com,mail.example.org", "198.51.100.31,198.51.100.32"),
        ("192.168.10.41", "mail.example.org,docs.example.net", "198.51.100.32,203.0.113.33"),
        ("192.168.10.42", "docs.example.net,www.example-news.com", "203.0.113.33,198.51.100.31"),
        ("192.168.10.43", "www.example-news.com,docs.example.net,mail.example.org",
         "198.51.100.31,203.0.113.33,198.51.100.32"),
    )
    rows: list[tuple[Variant, Callable[[Capture, Variant], None], dict[str, object]]] = [
        (Variant(0, t + 40, "192.168.10.21", resolver, "", "203.0.113.66", fallback_port=443,
                 domain="office-update-svc.com", fallback_domain="upd-mirror.duckdns.org", attempts=3, interval=45.0,
                 beacons=6),
         build_fallback_dyndns,
         {"verdict": "escalate", "indicators": ["failed_then_fallback", "dynamic_dns"], "absent": []}),
        (Variant(0, t + 95, "192.168.10.34", resolver, "198.51.100.222", primary_port=2222, beacons=30),
         build_ssh_high_port,
         {"verdict": "investigate", "indicators": ["nonstandard_port_encrypted"], "absent": list(CONFOUNDER_ABSENT)}),
    ]
    rows += [(Variant(0, t + 7 * i, host, resolver, ips, domain=names, interval=40.0), build_office_web, benign)
             for i, (host, names, ips) in enumerate(browsers)]
    return rows


def generate(out: Path) -> dict[str, object]:
    """Write every capture and labels.json into ``out``; returns the labels."""
    out.mkdir(parents=True, exist_ok=True)
    captures: dict[str, object] = {}
    for sc in SCENARIOS:
        for suffix, variant in sc.variants.items():
            cap = Capture(variant.seed)
            sc.build(cap, variant)
            name = f"{sc.name}_{suffix}.pcap"
            cap.write(out / name)
            captures[name] = {"scenario": sc.name, "description": sc.description,
                              "hosts": {variant.host: {"verdict": sc.verdict, "indicators": list(sc.indicators),
                                                       "absent": list(sc.absent)}}}
    cap = Capture(1000)
    hosts: dict[str, object] = {}
    for variant, build, label in demo_office():
        build(cap, variant)
        hosts[variant.host] = label
    cap.write(out / "demo_office.pcap")
    captures["demo_office.pcap"] = {"scenario": "demo_office", "description": "an office: one host falls back to a "
                                    "dynamic-DNS C2 after NXDOMAIN, one uses SSH on 2222, four browse the web",
                                    "hosts": hosts}
    labels = {"version": 1, "captures": captures}
    (out / "labels.json").write_text(json.dumps(labels, indent=1, sort_keys=False) + "\n", encoding="utf-8")
    return labels


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent,
                        help="output folder (default: this script's folder, pcaps/)")
    args = parser.parse_args(argv)
    labels = generate(args.out)
    print(f"wrote {len(labels['captures'])} captures and labels.json to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
