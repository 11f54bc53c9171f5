"""Packet builders for the crafted cases of tests/suricata/cases/ (each case's packets.py builds its capture with
them; tests/test_suricata_rules.py writes it with scapy and runs Suricata on it)."""
from __future__ import annotations

import struct

from scapy.all import DNS, DNSQR, ICMP, IP, TCP, UDP, Ether, Packet, Raw

CLIENT, SERVER, INTERNAL_SERVER, RESOLVER = "10.77.0.5", "198.51.100.200", "10.77.0.80", "10.77.0.1"
__all__ = ["CLIENT", "SERVER", "INTERNAL_SERVER", "RESOLVER", "ICMP", "IP", "TCP", "UDP", "Ether", "Packet", "Raw",
           "stamp", "tcp_session", "client_hello", "dns_query", "unreachable"]


def stamp(packets: list[Packet], t0: float = 1_700_000_000.0, step: float = 0.01) -> list[Packet]:
    for i, p in enumerate(packets):
        p.time = t0 + i * step
    return packets


def tcp_session(client: str, server: str, sport: int, dport: int, exchanges: list[tuple[bytes, bytes]]
                ) -> list[Packet]:
    """A complete TCP connection: handshake, (request, response) exchanges each acked, FIN teardown."""
    def seg(src: str, dst: str, sp: int, dp: int, flags: str, seq: int, ack: int, data: bytes = b"") -> Packet:
        return Ether() / IP(src=src, dst=dst) / TCP(sport=sp, dport=dp, flags=flags, seq=seq, ack=ack) / Raw(data)

    c_seq, s_seq = 1000, 5000
    out = [seg(client, server, sport, dport, "S", c_seq, 0),
           seg(server, client, dport, sport, "SA", s_seq, c_seq + 1)]
    c_seq, s_seq = c_seq + 1, s_seq + 1
    out.append(seg(client, server, sport, dport, "A", c_seq, s_seq))
    for request, response in exchanges:
        if request:
            out.append(seg(client, server, sport, dport, "PA", c_seq, s_seq, request))
            c_seq += len(request)
            out.append(seg(server, client, dport, sport, "A", s_seq, c_seq))
        if response:
            out.append(seg(server, client, dport, sport, "PA", s_seq, c_seq, response))
            s_seq += len(response)
            out.append(seg(client, server, sport, dport, "A", c_seq, s_seq))
    out += [seg(client, server, sport, dport, "FA", c_seq, s_seq),
            seg(server, client, dport, sport, "FA", s_seq, c_seq + 1),
            seg(client, server, sport, dport, "A", c_seq + 1, s_seq + 1)]
    return out


def client_hello(sni: str) -> bytes:
    """A TLS 1.2-framed ClientHello with SNI and supported_versions (1.3, 1.2)."""
    name = sni.encode()
    sni_ext = struct.pack("!HHHBH", 0, len(name) + 5, len(name) + 3, 0, len(name)) + name
    versions = struct.pack("!HHB", 43, 5, 4) + b"\x03\x04\x03\x03"
    extensions = sni_ext + versions
    body = (b"\x03\x03" + bytes(32) + b"\x00" + struct.pack("!H", 4) + b"\x13\x01\xc0\x2f" + b"\x01\x00"
            + struct.pack("!H", len(extensions)) + extensions)
    handshake = b"\x01" + len(body).to_bytes(3, "big") + body
    return b"\x16\x03\x01" + struct.pack("!H", len(handshake)) + handshake


def dns_query(src: str, sport: int, name: str, qtype: str = "A") -> Packet:
    return (Ether() / IP(src=src, dst=RESOLVER) / UDP(sport=sport, dport=53)
            / DNS(id=sport, rd=1, qd=DNSQR(qname=name, qtype=qtype)))


def unreachable(code: int, quoted: Packet) -> Packet:
    """ICMP destination unreachable from a router, quoting the client's packet."""
    return Ether() / IP(src="192.0.2.1", dst=CLIENT) / ICMP(type=3, code=code) / IP(src=CLIENT, dst=SERVER) / quoted
