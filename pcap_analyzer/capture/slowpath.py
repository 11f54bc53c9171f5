"""Per-packet decoding with dpkt: the reference path, and the fallback for what the vectorised path does not handle.

``decode_packet(buf, linktype)`` turns one captured frame into one ``PacketBatch`` row (offsets relative to the
frame).  ``decode_records`` decodes a chunk of records (a ``RecordIndex``) into a ``PacketBatch`` that way.
``reader.read_capture(..., fast=False)`` reads a whole capture this way; file formats live in ``reader.py``, the
link-type and header constants in ``linktypes.py``.

Row conventions (the vectorised path in ``decode.py`` follows exactly the same rules):

* Link layers: Ethernet with stacked 802.1Q/802.1ad/QinQ tags, PPPoE session (IPv4/IPv6 over PPP), Linux SLL and
  SLL2, raw IP (version nibble decides), BSD null/loopback (family in either byte order).  Anything else is a
  non-IP row (``ip_ver == 0``, only ts/wirelen/caplen set, ``payload_off`` 0).
* An IPv4 header needs ``ihl >= 5`` and all ``ihl * 4`` bytes captured; an IPv6 header its 40 bytes.  The IP
  packet ends at ``ip_len`` (Ethernet padding is not payload) or at the end of the capture, whichever is first;
  ``ip_len == 0`` (segmentation offload) means "to the end of the capture".
* IPv6 extension headers (hop-by-hop, routing, destination options, fragment, AH) are walked; ``proto`` is the
  protocol after them.  A chain cut short by the capture leaves ``proto`` at the header that could not be read.
* Fragments (more-fragments set, or a non-zero offset) have ``frag`` set; only a first fragment (offset 0) gets
  L4 fields.  Non-first fragments have no ports and ``payload_len == 0``.
* GRE (plain IPv4/IPv6 inside, transparent Ethernet bridging, ERSPAN type II/III, Aruba 802.11) and IP-in-IP /
  IPv6-in-IP are decapsulated: the row describes the innermost IP packet (as Zeek's conn.log does), while
  ``wirelen``/``caplen`` stay the outer frame's.  A tunnel without an IP packet inside keeps the outer row.  The
  outer packet must not be a fragment (no reassembly), so tunnelled fragments stay outer rows.
* L4 fields need the whole fixed L4 header inside the IP packet: TCP 20 bytes with data offset >= 5, UDP 8 bytes,
  ICMP/ICMPv6 8 bytes (type in ``sport``, code in ``dport``; payload after the 8-byte header, so an echo's
  payload excludes id/seq and an error's payload starts with the quoted IP header).  Otherwise ports/flags are 0
  and ``payload_len`` is 0.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any

import dpkt
import numpy as np

from ..model import PacketBatch
from .linktypes import (
    AF_INET, AF_INET6, ERSPAN2_HDR, ERSPAN3_HDR, ERSPAN3_SUBHDR, ETHERTYPE_IPV4, ETHERTYPE_IPV6,
    ETHERTYPE_PPPOE_SESSION, ETH_HDR, GRE_PROTOS_ARUBA, GRE_PROTO_ERSPAN2, GRE_PROTO_ERSPAN3, GRE_PROTO_TEB,
    ICMP_HDR, IPPROTO_GRE, IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_IPIP, IPPROTO_IPV6, IPPROTO_TCP, IPPROTO_UDP,
    IPV4_MAPPED, IPV6_AH, IPV6_EXT_HEADERS, IPV6_EXT_MIN, IPV6_FRAGMENT, IPV6_HDR, LINKTYPE_ETHERNET,
    LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2, LLC_SNAP, LLC_SNAP_HDR, MAX_ENCAPSULATION, NULL_HDR, NULL_LINKTYPES,
    PPPOE_HDR, PPP_IPV4, PPP_IPV6, RAW_LINKTYPES, SLL2_HDR, SLL_HDR, TCP_FLAGS_MASK, TCP_HDR, UDP_HDR,
    VLAN_ETHERTYPES, VLAN_TAG, WLAN_ADDR4, WLAN_DS_BITS, WLAN_HDR, WLAN_HTC, WLAN_ORDER, WLAN_PROTECTED, WLAN_QOS,
    WLAN_SUBTYPE_QOS, WLAN_TYPE_DATA,
)


#: PacketBatch columns and their dtypes, in model order (``data`` excluded).
COLUMNS: tuple[tuple[str, Any], ...] = (
    ("ts", np.float64), ("wirelen", np.uint32), ("caplen", np.uint32), ("ip_ver", np.uint8),
    ("src_hi", np.uint64), ("src_lo", np.uint64), ("dst_hi", np.uint64), ("dst_lo", np.uint64),
    ("proto", np.uint8), ("sport", np.uint16), ("dport", np.uint16), ("tcp_flags", np.uint8),
    ("tcp_seq", np.uint32), ("tcp_ack", np.uint32), ("ip_len", np.uint32), ("payload_off", np.int64),
    ("payload_len", np.int32), ("frag", np.bool_),
)
#: Fields ``decode_packet`` returns, in order (the per-frame part of a row).
DECODED = ("ip_ver", "src_hi", "src_lo", "dst_hi", "dst_lo", "proto", "sport", "dport", "tcp_flags",
           "tcp_seq", "tcp_ack", "ip_len", "payload_off", "payload_len", "frag")
NON_IP: tuple[int, ...] = (0,) * (len(DECODED) - 1) + (False,)


@dataclass(frozen=True, slots=True)
class RecordIndex:
    """Where a chunk of packet records sits in the file buffer, and their record-header fields.

    ``head`` optionally holds every frame's first bytes, gathered by the reader together with the record headers
    (a structured array with the fields of ``decode.FRAME_HEAD``), so that decoding need not read them again.
    """

    data_off: np.ndarray  # int64 offset of each frame in the buffer
    caplen: np.ndarray  # uint32
    wirelen: np.ndarray  # uint32
    ts: np.ndarray  # float64 seconds
    linktype: np.ndarray  # int32 link type of each record (pcapng interfaces may differ)
    head: np.ndarray | None = None  # FRAME_HEAD fields of each frame (whole in the buffer), or None

    def __len__(self) -> int:
        return int(self.data_off.shape[0])


def record_columns(index: RecordIndex) -> dict[str, np.ndarray]:
    """Columns for the records of ``index``: record-header fields filled in, the rest zero (a non-IP row)."""
    cols = {name: np.zeros(len(index), dtype=dtype) for name, dtype in COLUMNS}
    cols["ts"][:] = index.ts
    cols["wirelen"][:] = index.wirelen
    cols["caplen"][:] = index.caplen
    return cols


def fill_row(cols: dict[str, np.ndarray], i: int, frame_off: int, decoded: tuple[Any, ...]) -> None:
    """Store one ``decode_packet`` result in row ``i`` (payload offset of an IP row made absolute)."""
    for name, value in zip(DECODED, decoded):
        cols[name][i] = value
    if decoded[0]:
        cols["payload_off"][i] += frame_off


def decode_records(data: Any, index: RecordIndex) -> PacketBatch:
    """Decode every record of ``index`` packet by packet."""
    cols = record_columns(index)
    view = memoryview(data)
    for i, (off, caplen, linktype) in enumerate(zip(index.data_off.tolist(), index.caplen.tolist(),
                                                    index.linktype.tolist())):
        fill_row(cols, i, off, decode_packet(bytes(view[off: off + caplen]), linktype))
    return PacketBatch(**cols, data=data)


def decode_packet(buf: bytes, linktype: int) -> tuple[Any, ...]:
    """Decode one frame into the ``DECODED`` fields; ``payload_off`` is relative to the frame start."""
    l3, ethertype = link_layer(buf, linktype)
    return network(buf, l3, ethertype, 0)


def network(buf: bytes, l3: int, ethertype: int, depth: int) -> tuple[Any, ...]:
    """The row of the network packet at ``l3`` (``depth``: encapsulations opened so far)."""
    if ethertype == ETHERTYPE_IPV4:
        return decode_ipv4(buf, l3, depth)
    if ethertype == ETHERTYPE_IPV6:
        return decode_ipv6(buf, l3, depth)
    return NON_IP


def link_layer(buf: bytes, linktype: int) -> tuple[int, int]:
    """(offset of the network header, its ethertype) or (0, 0) when there is no IP inside."""
    n = len(buf)
    if linktype == LINKTYPE_ETHERNET:
        return ethernet(buf, 0)
    if linktype == LINKTYPE_LINUX_SLL and n >= SLL_HDR:
        return SLL_HDR, struct.unpack_from("!H", buf, 14)[0]
    if linktype == LINKTYPE_LINUX_SLL2 and n >= SLL2_HDR:
        return SLL2_HDR, struct.unpack_from("!H", buf, 0)[0]
    if linktype in RAW_LINKTYPES:
        return 0, version_ethertype(buf, 0)
    if linktype in NULL_LINKTYPES and n >= NULL_HDR:
        family = struct.unpack_from("<I", buf, 0)[0]
        if family > 0xFFFF:
            family = struct.unpack_from(">I", buf, 0)[0]
        if family == AF_INET:
            return NULL_HDR, ETHERTYPE_IPV4
        if family in AF_INET6:
            return NULL_HDR, ETHERTYPE_IPV6
    return 0, 0


def version_ethertype(buf: bytes, off: int) -> int:
    """Ethertype implied by the IP version nibble at ``off`` (raw IP link types)."""
    if off >= len(buf):
        return 0
    return {4: ETHERTYPE_IPV4, 6: ETHERTYPE_IPV6}.get(buf[off] >> 4, 0)


def ethernet(buf: bytes, off: int) -> tuple[int, int]:
    """Walk an Ethernet header at ``off`` (stacked VLAN tags, PPPoE session)."""
    if len(buf) < off + ETH_HDR:
        return 0, 0
    ethertype = struct.unpack_from("!H", buf, off + 12)[0]
    off += ETH_HDR
    while ethertype in VLAN_ETHERTYPES and len(buf) >= off + VLAN_TAG:
        ethertype = struct.unpack_from("!H", buf, off + 2)[0]
        off += VLAN_TAG
    if ethertype == ETHERTYPE_PPPOE_SESSION and len(buf) >= off + PPPOE_HDR + 2:
        ppp = struct.unpack_from("!H", buf, off + PPPOE_HDR)[0]
        off += PPPOE_HDR + 2
        ethertype = {PPP_IPV4: ETHERTYPE_IPV4, PPP_IPV6: ETHERTYPE_IPV6}.get(ppp, 0)
    if ethertype in VLAN_ETHERTYPES:
        return 0, 0
    return off, ethertype


def ip_end(l3: int, ip_len: int, caplen: int) -> int:
    """End of the IP packet inside the captured frame (``ip_len`` 0 = segmentation offload = to the end)."""
    return caplen if ip_len == 0 else min(l3 + ip_len, caplen)


def decode_ipv4(buf: bytes, l3: int, depth: int) -> tuple[Any, ...]:
    if len(buf) < l3 + 20 or buf[l3] >> 4 != 4:
        return NON_IP
    ip = dpkt.ip.IP.__new__(dpkt.ip.IP)
    dpkt.Packet.unpack(ip, buf[l3: l3 + 20])  # fixed header only; options and L4 are handled below
    hl = ip.hl * 4
    if hl < 20 or len(buf) < l3 + hl:
        return NON_IP
    end = ip_end(l3, ip.len, len(buf))
    src = IPV4_MAPPED | struct.unpack("!I", ip.src)[0]
    dst = IPV4_MAPPED | struct.unpack("!I", ip.dst)[0]
    frag = bool(ip.mf) or ip.offset != 0
    head = (4, 0, src, 0, dst)
    return transport(buf, head, ip.p, l3 + hl, end, ip.len, frag, ip.offset == 0, depth)


def decode_ipv6(buf: bytes, l3: int, depth: int) -> tuple[Any, ...]:
    if len(buf) < l3 + IPV6_HDR or buf[l3] >> 4 != 6:
        return NON_IP
    ip6 = dpkt.ip6.IP6.__new__(dpkt.ip6.IP6)
    dpkt.Packet.unpack(ip6, buf[l3: l3 + IPV6_HDR])  # fixed header; the extension chain is walked below
    src_hi, src_lo = struct.unpack("!QQ", ip6.src)
    dst_hi, dst_lo = struct.unpack("!QQ", ip6.dst)
    ip_len = IPV6_HDR + ip6.plen
    end = ip_end(l3, ip6.plen and ip_len, len(buf))
    nxt, off, frag, first = ip6.nxt, l3 + IPV6_HDR, False, True
    while nxt in IPV6_EXT_HEADERS:
        if end < off + IPV6_EXT_MIN:
            return (6, src_hi, src_lo, dst_hi, dst_lo, nxt, 0, 0, 0, 0, 0, ip_len, off, 0, frag)
        if nxt == IPV6_FRAGMENT:
            ext = dpkt.ip6.IP6FragmentHeader(buf[off: off + IPV6_EXT_MIN])
            frag = frag or bool(ext.m_flag) or ext.frag_off != 0
            first = first and ext.frag_off == 0
            length = IPV6_EXT_MIN
        elif nxt == IPV6_AH:
            length = (buf[off + 1] + 2) * 4
        else:  # hop-by-hop, routing, destination options: length in 8-byte units (options are not parsed)
            length = (buf[off + 1] + 1) * 8
        nxt, off = buf[off], off + length
    head = (6, src_hi, src_lo, dst_hi, dst_lo)
    return transport(buf, head, nxt, off, end, ip_len, frag, first, depth)


def transport(buf: bytes, head: tuple[int, ...], proto: int, l4: int, end: int, ip_len: int, frag: bool,
              first: bool, depth: int) -> tuple[Any, ...]:
    """Finish a row from the L4 header at ``l4`` (IP packet ends at ``end``)."""
    no_l4 = (*head, proto, 0, 0, 0, 0, 0, ip_len, l4, 0, frag)
    if not first or l4 > end:
        return no_l4
    if depth < MAX_ENCAPSULATION and not frag:
        inner = decapsulate(buf[:end], proto, l4, depth)
        if inner[0]:  # an IP packet inside; otherwise the row describes the outer packet
            return inner
    seg = buf[l4:end]
    if proto == IPPROTO_TCP and len(seg) >= TCP_HDR:
        try:
            tcp = dpkt.tcp.TCP(seg)
        except dpkt.UnpackError:  # data offset < 5
            return no_l4
        return (*head, proto, tcp.sport, tcp.dport, tcp.flags & TCP_FLAGS_MASK, tcp.seq, tcp.ack, ip_len,
                l4 + tcp.off * 4, len(tcp.data), frag)
    if proto == IPPROTO_UDP and len(seg) >= UDP_HDR:
        udp = dpkt.udp.UDP(seg)
        return (*head, proto, udp.sport, udp.dport, 0, 0, 0, ip_len, l4 + UDP_HDR, len(seg) - UDP_HDR, frag)
    if proto in (IPPROTO_ICMP, IPPROTO_ICMPV6) and len(seg) >= ICMP_HDR:
        icmp = dpkt.icmp.ICMP(seg[:4])
        return (*head, proto, icmp.type, icmp.code, 0, 0, 0, ip_len, l4 + ICMP_HDR, len(seg) - ICMP_HDR, frag)
    return no_l4


def decapsulate(buf: bytes, proto: int, l4: int, depth: int) -> tuple[Any, ...]:
    """The row of the packet inside an IP-in-IP or GRE tunnel; NON_IP when there is none we can open."""
    if proto in (IPPROTO_IPIP, IPPROTO_IPV6):
        return network(buf, l4, ETHERTYPE_IPV4 if proto == IPPROTO_IPIP else ETHERTYPE_IPV6, depth + 1)
    if proto != IPPROTO_GRE or len(buf) < l4 + 4:
        return NON_IP
    gre = dpkt.gre.GRE.__new__(dpkt.gre.GRE)
    dpkt.Packet.unpack(gre, buf[l4: l4 + 4])
    if gre.v != 0 or gre.flags & dpkt.gre.GRE_RP:
        return NON_IP
    present = (dpkt.gre.GRE_CP, dpkt.gre.GRE_KP, dpkt.gre.GRE_SP)
    off = l4 + 4 + 4 * sum(bool(gre.flags & bit) for bit in present)
    if gre.p in (ETHERTYPE_IPV4, ETHERTYPE_IPV6):
        return network(buf, off, gre.p, depth + 1)
    if gre.p in GRE_PROTOS_ARUBA:
        return network(buf, *wlan_data(buf, off), depth + 1)
    if gre.p == GRE_PROTO_ERSPAN2:
        off += ERSPAN2_HDR
    elif gre.p == GRE_PROTO_ERSPAN3 and len(buf) >= off + ERSPAN3_HDR:
        off += ERSPAN3_HDR + ERSPAN3_SUBHDR * (buf[off + 11] & 1)
    elif gre.p != GRE_PROTO_TEB:
        return NON_IP
    return network(buf, *ethernet(buf, off), depth + 1)


def wlan_data(buf: bytes, off: int) -> tuple[int, int]:
    """An unprotected 802.11 data frame carrying LLC/SNAP at ``off``: (network header offset, ethertype)."""
    if len(buf) < off + WLAN_HDR:
        return 0, 0
    fc_type, fc_flags = buf[off], buf[off + 1]
    if (fc_type >> 2) & 3 != WLAN_TYPE_DATA or fc_flags & WLAN_PROTECTED:
        return 0, 0
    qos = fc_type & WLAN_SUBTYPE_QOS
    hdr = WLAN_HDR + WLAN_ADDR4 * (fc_flags & WLAN_DS_BITS == WLAN_DS_BITS) + WLAN_QOS * bool(qos)
    hdr += WLAN_HTC * bool(qos and fc_flags & WLAN_ORDER)
    snap = off + hdr
    if len(buf) < snap + LLC_SNAP_HDR or buf[snap: snap + 3] != LLC_SNAP:
        return 0, 0
    return snap + LLC_SNAP_HDR, struct.unpack_from("!H", buf, snap + 6)[0]

