"""Vectorised link/IP/L4 header decoding of a chunk of capture records.

Every step works on whole columns: header bytes are gathered from the file map at computed offsets with fancy
indexing.  The rules are those of ``slowpath`` (see its docstring); frames that need rare handling - PPPoE,
IPv6 extension headers, tunnels (GRE, IP-in-IP) - are decoded there, one by one, inside the chunk.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .model import PacketBatch
from .slowpath import (
    AF_INET, AF_INET6, ETH_HDR, ETHERTYPE_IPV4, ETHERTYPE_IPV6, ETHERTYPE_PPPOE_SESSION, ICMP_HDR, IPPROTO_GRE,
    IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_IPIP, IPPROTO_IPV6, IPPROTO_TCP, IPPROTO_UDP, IPV4_MAPPED, IPV6_EXT_HEADERS,
    IPV6_HDR, LINKTYPE_ETHERNET, LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2, NULL_HDR, NULL_LINKTYPES, RAW_LINKTYPES,
    SLL2_HDR, SLL_HDR, SUPPORTED_LINKTYPES, TCP_FLAGS_MASK, TCP_HDR, UDP_HDR, VLAN_ETHERTYPES, VLAN_TAG, RecordIndex,
    decode_packet, decode_records, fill_row, record_columns,
)

#: Link types decoded here (every one the slow path knows).
LINKTYPES: frozenset[int] = SUPPORTED_LINKTYPES
# Header layouts (network byte order) gathered in one copy per packet.
BE16 = np.dtype(">u2")
U8 = np.dtype("u1")
LE32 = np.dtype("<u4")
IPV4_LAYOUT = np.dtype([("vihl", "u1"), ("tos", "u1"), ("len", ">u2"), ("id", ">u2"), ("frag", ">u2"),
                        ("ttl", "u1"), ("proto", "u1"), ("sum", ">u2"), ("src", ">u4"), ("dst", ">u4")])
IPV6_LAYOUT = np.dtype([("vtc", "u1"), ("tc_flow", "V3"), ("plen", ">u2"), ("nxt", "u1"), ("hlim", "u1"),
                        ("src_hi", ">u8"), ("src_lo", ">u8"), ("dst_hi", ">u8"), ("dst_lo", ">u8")])
TCP_LAYOUT = np.dtype([("sport", ">u2"), ("dport", ">u2"), ("seq", ">u4"), ("ack", ">u4"), ("off", "u1"),
                       ("flags", "u1")])
PORTS_LAYOUT = np.dtype([("sport", ">u2"), ("dport", ">u2")])
ICMP_LAYOUT = np.dtype([("type", "u1"), ("code", "u1")])
IPV4_HDR = 20
IPV4_MF = 0x2000
IPV4_OFFSET = 0x1FFF
#: IP protocols whose packets go through the slow path (tunnels it opens, IPv6 extension headers it walks).
SLOW_PROTOS = (IPPROTO_IPIP, IPPROTO_IPV6, IPPROTO_GRE)
SLOW_NEXT_HEADERS = (*SLOW_PROTOS, *sorted(IPV6_EXT_HEADERS))
VLAN_TYPES = tuple(sorted(VLAN_ETHERTYPES))
ICMP_PROTOS = (IPPROTO_ICMP, IPPROTO_ICMPV6)
AF_INET6_VALUES = tuple(sorted(AF_INET6))


def decode_chunk(data: Any, index: RecordIndex) -> PacketBatch:
    """Decode the records of ``index`` (of one link type, as in a classic pcap file; others go the slow way)."""
    if not len(index) or int(index.linktype[0]) not in LINKTYPES:
        return decode_records(data, index)
    cols = record_columns(index)
    linktype = int(index.linktype[0])
    start = index.data_off
    end = start + index.caplen.astype(np.int64)
    l3, ethertype, slow = link_layer(data, start, end, linktype)
    slow |= index.linktype != linktype
    ethertype[slow] = 0
    v4 = np.flatnonzero(ethertype == ETHERTYPE_IPV4)
    v6 = np.flatnonzero(ethertype == ETHERTYPE_IPV6)
    slow[v4[ipv4(data, cols, v4, l3[v4], end[v4])]] = True
    slow[v6[ipv6(data, cols, v6, l3[v6], end[v6])]] = True
    for i in np.flatnonzero(slow).tolist():
        off = int(start[i])
        fill_row(cols, i, off, decode_packet(bytes(data[off: int(end[i])]), int(index.linktype[i])))
    return PacketBatch(**cols, data=data)


def gather(data: Any, pos: np.ndarray, layout: np.dtype) -> np.ndarray:
    """The header ``layout`` (a numpy dtype, usually structured) read at each byte offset of ``pos``.

    One copy of ``layout.itemsize`` bytes per row through an overlapping void view of the buffer; callers make
    sure every ``pos + itemsize`` lies inside the buffer.
    """
    width = layout.itemsize
    rows = np.ndarray(shape=(max(0, data.shape[0] - width + 1),), dtype=np.dtype((np.void, width)), buffer=data,
                      strides=(1,))
    return rows[pos].view(layout)


def one_of(values: np.ndarray, choices: tuple[int, ...]) -> np.ndarray:
    """``np.isin`` for a handful of choices, without its sorting (much cheaper on big chunks)."""
    mask = values == choices[0]
    for choice in choices[1:]:
        mask |= values == choice
    return mask


def field_at(data: Any, pos: np.ndarray, ok: np.ndarray, layout: np.dtype) -> np.ndarray:
    """The ``layout`` value at ``pos`` for the rows where ``ok``, 0 for the others (as int64)."""
    return np.where(ok, gather(data, np.where(ok, pos, 0), layout), 0).astype(np.int64)


def link_layer(data: Any, start: np.ndarray, end: np.ndarray,
               linktype: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(network header offset, ethertype (0 = not IP), needs the slow path) for every frame."""
    caplen = end - start
    slow = np.zeros(start.shape[0], dtype=bool)
    if linktype == LINKTYPE_ETHERNET:
        l3 = start + ETH_HDR
        ethertype = field_at(data, l3 - 2, caplen >= ETH_HDR, BE16)
        tagged = np.flatnonzero(one_of(ethertype, VLAN_TYPES))
        while tagged.size:  # stacked 802.1Q / 802.1ad tags, one layer per pass
            whole = l3[tagged] + VLAN_TAG <= end[tagged]
            ethertype[tagged[~whole]] = 0
            tagged = tagged[whole]
            ethertype[tagged] = gather(data, l3[tagged] + 2, BE16)
            l3[tagged] += VLAN_TAG
            tagged = tagged[one_of(ethertype[tagged], VLAN_TYPES)]
        return l3, ethertype, ethertype == ETHERTYPE_PPPOE_SESSION
    if linktype in (LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2):
        hdr, type_at = (SLL_HDR, SLL_HDR - 2) if linktype == LINKTYPE_LINUX_SLL else (SLL2_HDR, 0)
        return start + hdr, field_at(data, start + type_at, caplen >= hdr, BE16), slow
    if linktype in RAW_LINKTYPES:
        version = field_at(data, start, caplen >= 1, U8) >> 4
        return start, np.select([version == 4, version == 6], [ETHERTYPE_IPV4, ETHERTYPE_IPV6], 0), slow
    if linktype in NULL_LINKTYPES:
        family = field_at(data, start, caplen >= NULL_HDR, LE32)
        family = np.where(family > 0xFFFF, family.astype(np.uint32).byteswap(), family)  # either byte order
        ethertype = np.select([family == AF_INET, one_of(family, AF_INET6_VALUES)], [ETHERTYPE_IPV4, ETHERTYPE_IPV6], 0)
        return start + NULL_HDR, ethertype, slow
    raise ValueError(f"link type {linktype} is not decoded here")


def ip_end(l3: np.ndarray, ip_len: np.ndarray, end: np.ndarray) -> np.ndarray:
    """End of each IP packet in the capture (``ip_len`` 0 = segmentation offload = to the end of the frame)."""
    return np.where(ip_len == 0, end, np.minimum(l3 + ip_len, end))


def ipv4(data: Any, cols: dict[str, np.ndarray], rows: np.ndarray, l3: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Decode the IPv4 frames ``rows``; returns a mask (over ``rows``) of those the slow path must redo."""
    keep = np.flatnonzero(l3 + IPV4_HDR <= end)
    hdr = gather(data, l3[keep], IPV4_LAYOUT)
    ihl = (hdr["vihl"] & 0x0F).astype(np.int64) * 4
    good = (hdr["vihl"] >> 4 == 4) & (ihl >= IPV4_HDR) & (l3[keep] + ihl <= end[keep])
    if not good.all():  # rare: filtering structured rows is costly
        keep, hdr, ihl = keep[good], hdr[good], ihl[good]
    r, l3, end = rows[keep], l3[keep], end[keep]
    ip_len = hdr["len"].astype(np.int64)
    offset = hdr["frag"] & IPV4_OFFSET
    proto = hdr["proto"]
    cols["ip_ver"][r] = 4
    cols["src_lo"][r] = IPV4_MAPPED | hdr["src"].astype(np.uint64)
    cols["dst_lo"][r] = IPV4_MAPPED | hdr["dst"].astype(np.uint64)
    cols["proto"][r] = proto
    cols["ip_len"][r] = ip_len
    cols["frag"][r] = (hdr["frag"] & IPV4_MF != 0) | (offset != 0)
    transport(data, cols, r, proto, l3 + ihl, ip_end(l3, ip_len, end), offset == 0)
    slow = np.zeros(rows.shape[0], dtype=bool)
    slow[keep] = one_of(proto, SLOW_PROTOS)
    return slow


def ipv6(data: Any, cols: dict[str, np.ndarray], rows: np.ndarray, l3: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Decode the IPv6 frames ``rows``; returns a mask (over ``rows``) of those the slow path must redo."""
    keep = np.flatnonzero(l3 + IPV6_HDR <= end)
    hdr = gather(data, l3[keep], IPV6_LAYOUT)
    good = hdr["vtc"] >> 4 == 6
    if not good.all():
        keep, hdr = keep[good], hdr[good]
    r, l3, end = rows[keep], l3[keep], end[keep]
    plen = hdr["plen"].astype(np.int64)
    ip_len = IPV6_HDR + plen
    nxt = hdr["nxt"]
    cols["ip_ver"][r] = 6
    for name in ("src_hi", "src_lo", "dst_hi", "dst_lo"):
        cols[name][r] = hdr[name]
    cols["proto"][r] = nxt
    cols["ip_len"][r] = ip_len
    transport(data, cols, r, nxt, l3 + IPV6_HDR, ip_end(l3, np.where(plen == 0, 0, ip_len), end),
              np.ones(r.shape[0], dtype=bool))
    slow = np.zeros(rows.shape[0], dtype=bool)
    slow[keep] = one_of(nxt, SLOW_NEXT_HEADERS)
    return slow


def transport(data: Any, cols: dict[str, np.ndarray], rows: np.ndarray, proto: np.ndarray, l4: np.ndarray,
              end: np.ndarray, first: np.ndarray) -> None:
    """Ports, TCP fields and payload of IP packets whose L4 header starts at ``l4`` and which end at ``end``."""
    cols["payload_off"][rows] = l4
    room = np.where(first, end - l4, -1)  # non-first fragments carry no L4 header
    tcp = np.flatnonzero((proto == IPPROTO_TCP) & (room >= TCP_HDR))
    hdr = gather(data, l4[tcp], TCP_LAYOUT)
    doff = (hdr["off"] >> 4).astype(np.int64) * 4
    ok = doff >= TCP_HDR
    if not ok.all():
        tcp, hdr, doff = tcp[ok], hdr[ok], doff[ok]
    r = rows[tcp]
    for name in ("sport", "dport"):
        cols[name][r] = hdr[name]
    cols["tcp_seq"][r] = hdr["seq"]
    cols["tcp_ack"][r] = hdr["ack"]
    cols["tcp_flags"][r] = hdr["flags"] & TCP_FLAGS_MASK
    payload(cols, r, l4[tcp] + doff, end[tcp])
    udp = np.flatnonzero((proto == IPPROTO_UDP) & (room >= UDP_HDR))
    hdr = gather(data, l4[udp], PORTS_LAYOUT)
    for name in ("sport", "dport"):
        cols[name][rows[udp]] = hdr[name]
    payload(cols, rows[udp], l4[udp] + UDP_HDR, end[udp])
    icmp = np.flatnonzero(one_of(proto, ICMP_PROTOS) & (room >= ICMP_HDR))
    hdr = gather(data, l4[icmp], ICMP_LAYOUT)
    cols["sport"][rows[icmp]] = hdr["type"]
    cols["dport"][rows[icmp]] = hdr["code"]
    payload(cols, rows[icmp], l4[icmp] + ICMP_HDR, end[icmp])


def payload(cols: dict[str, np.ndarray], rows: np.ndarray, start: np.ndarray, end: np.ndarray) -> None:
    cols["payload_off"][rows] = start
    cols["payload_len"][rows] = np.maximum(0, end - start)
