"""Vectorised link/IP/L4 header decoding of a chunk of capture records.

Every step works on whole columns: header bytes are gathered from the file map at computed offsets with fancy
indexing.  The common frame - untagged Ethernet, IPv4 without options - is decoded from one wide gather of all
its headers (``ethernet_ipv4``, in cache-sized blocks); the others layer by layer (``decode_rows``).  The rules
are those of ``slowpath`` (see its docstring); frames that need rare handling - PPPoE, IPv6 extension headers,
tunnels (GRE, IP-in-IP) - are decoded there, one by one, inside the chunk.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..model import PacketBatch
from .linktypes import (
    AF_INET, AF_INET6, ETH_HDR, ETHERTYPE_IPV4, ETHERTYPE_IPV6, ETHERTYPE_PPPOE_SESSION, ICMP_HDR, IPPROTO_GRE,
    IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_IPIP, IPPROTO_IPV6, IPPROTO_TCP, IPPROTO_UDP, IPV4_MAPPED,
    IPV6_EXT_HEADERS, IPV6_HDR, LINKTYPE_ETHERNET, LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2, NULL_HDR,
    NULL_LINKTYPES, RAW_LINKTYPES, SLL2_HDR, SLL_HDR, SUPPORTED_LINKTYPES, TCP_FLAGS_MASK, TCP_HDR, UDP_HDR,
    VLAN_ETHERTYPES, VLAN_TAG,
)
from .records import DECODED, RecordIndex, fill_row, record_columns

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
#: The common frame's headers in one gather, as big-endian words (from the frame start): untagged Ethernet type,
#: IPv4 without options (20 bytes), then the first 16 bytes of the L4 header (TCP up to its flags).
FRAME_HEAD = np.dtype({"names": ["eth_ip", "frag_proto", "addrs", "ports_seq", "ack_flags"],
                       "formats": [">u8", ">u4", ">u8", ">u8", ">u8"], "offsets": [12, 20, 26, 34, 42],
                       "itemsize": 50})
IPV4_HDR = 20
IPV4_MF = 0x2000
IPV4_OFFSET = 0x1FFF
#: IP protocols whose packets go through the slow path (tunnels it opens, IPv6 extension headers it walks).
SLOW_PROTOS = (IPPROTO_IPIP, IPPROTO_IPV6, IPPROTO_GRE)
SLOW_NEXT_HEADERS = (*SLOW_PROTOS, *sorted(IPV6_EXT_HEADERS))
VLAN_TYPES = tuple(sorted(VLAN_ETHERTYPES))
ICMP_PROTOS = (IPPROTO_ICMP, IPPROTO_ICMPV6)
AF_INET6_VALUES = tuple(sorted(AF_INET6))
#: Ethernet type IPv4 and an IPv4 version/header-length byte of 0x45 (no options), as in ``FRAME_HEAD``.
ETH_IPV4_PLAIN = ETHERTYPE_IPV4 << 8 | 0x45
L4_START = ETH_HDR + IPV4_HDR
MAX_INT32 = (1 << 31) - 1
#: Rows decoded together by ``plain_ipv4``: its temporaries then stay in the CPU's L2 cache (much faster).
BLOCK_ROWS = 8192


def decode_chunk(data: Any, index: RecordIndex) -> PacketBatch:
    """Decode the records of ``index`` (of one link type, as in a classic pcap file; others go the slow way).

    Ethernet frames carrying IPv4 without options (and no tunnel) are decoded from one wide gather per frame
    (``ethernet_ipv4``); every other frame goes through ``decode_rows``.
    """
    if not len(index) or int(index.linktype[0]) not in LINKTYPES:
        return slow_records(data, index)
    linktype = int(index.linktype[0])
    start = index.data_off
    end = start + index.caplen.astype(np.int64)
    if linktype == LINKTYPE_ETHERNET:
        cols, rows = ethernet_ipv4(data, index, start)
    else:
        cols, rows = record_columns(index), np.arange(len(index))
    if rows.size:
        decode_rows(data, cols, index, rows, start[rows], end[rows], linktype)
    return PacketBatch(**cols, data=data)


def slow_records(data: Any, index: RecordIndex) -> PacketBatch:
    """Every record of ``index`` decoded one by one with dpkt (``slowpath.decode_records``): link types this module
    does not decode, and ``reader.read_capture(..., fast=False)``. dpkt is imported on this first use only."""
    from .slowpath import decode_records

    return decode_records(data, index)


def decode_rows(data: Any, cols: dict[str, np.ndarray], index: RecordIndex, rows: np.ndarray, start: np.ndarray,
                end: np.ndarray, linktype: int) -> None:
    """Decode the frames ``rows`` (starting at ``start``, ending at ``end``) into ``cols``, where they are still
    non-IP rows: layer by layer on the vectorised path, and rare frames one by one on the slow path."""
    l3, ethertype, slow = link_layer(data, start, end, linktype)
    slow |= index.linktype[rows] != linktype
    ethertype[slow] = 0
    v4 = np.flatnonzero(ethertype == ETHERTYPE_IPV4)
    v6 = np.flatnonzero(ethertype == ETHERTYPE_IPV6)
    slow[v4[ipv4(data, cols, rows[v4], l3[v4], end[v4])]] = True
    slow[v6[ipv6(data, cols, rows[v6], l3[v6], end[v6])]] = True
    rare = np.flatnonzero(slow).tolist()
    if not rare:
        return
    from .slowpath import decode_packet  # dpkt, imported only when a chunk has a rare frame

    for j in rare:
        i, off = int(rows[j]), int(start[j])
        fill_row(cols, i, off, decode_packet(bytes(data[off: int(end[j])]), int(index.linktype[i])))


def ethernet_ipv4(data: Any, index: RecordIndex, start: np.ndarray) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Columns of an Ethernet chunk with its common frames decoded, and the rows left to ``decode_rows``.

    The common frame is untagged Ethernet + IPv4 with a 20-byte header, not a tunnel.  One gather of
    ``FRAME_HEAD`` per frame (or ``index.head``, gathered by the reader) holds all its L3 and L4 fields; they are
    decoded by ``plain_ipv4`` in blocks of ``BLOCK_ROWS`` rows, so that the temporaries stay in the CPU cache.
    """
    n = len(index)
    size = data.shape[0]
    width = FRAME_HEAD.itemsize
    if size < width or int(index.caplen.max()) > MAX_INT32:  # tiny buffer, or frame lengths beyond int32
        return record_columns(index), np.arange(n)
    usable = index.linktype == LINKTYPE_ETHERNET
    hdr = index.head
    if hdr is None:
        pos = start
        if int(start.max()) > size - width:  # near the end of the buffer: gather what fits
            fits = start <= size - width
            usable &= fits
            pos = np.where(fits, start, 0)
        hdr = gather(data, pos, FRAME_HEAD)
    cols: dict[str, np.ndarray] = {}
    for lo in range(0, n, BLOCK_ROWS):
        part = slice(lo, lo + BLOCK_ROWS)
        for name, values in plain_ipv4(hdr[part], index.caplen[part], start[part], usable[part]).items():
            if name not in cols:
                cols[name] = np.empty(n, dtype=values.dtype)
            cols[name][part] = values
    rest = np.flatnonzero(~cols.pop("common"))
    for name in DECODED:
        cols[name][rest] = 0
    cols.update(ts=np.asarray(index.ts, dtype=np.float64), wirelen=np.asarray(index.wirelen, dtype=np.uint32),
                caplen=np.asarray(index.caplen, dtype=np.uint32))
    return cols, rest


def plain_ipv4(hdr: np.ndarray, caplen: np.ndarray, start: np.ndarray, usable: np.ndarray) -> dict[str, np.ndarray]:
    """The ``DECODED`` columns of frames read as untagged Ethernet + IPv4 without options, and ``common``: the rows
    that are such frames (``usable`` ones only), not tunnels.  The other rows hold garbage, to be reset.

    ``hdr`` holds the ``FRAME_HEAD`` fields: five big-endian words, each one pass over the rows.  The L4 fields
    are only used where the rules of ``ipv4`` and ``transport`` say they exist.
    """
    n = hdr.shape[0]
    caplen = caplen.astype(np.int32)
    eth_ip = hdr["eth_ip"].astype(np.uint64)  # ethertype, version/IHL, TOS, total length, id
    frag_proto = hdr["frag_proto"].astype(np.uint32)  # flags/fragment offset, TTL, protocol
    proto = frag_proto.astype(np.uint8)
    common = (eth_ip >> 40 == ETH_IPV4_PLAIN) & (caplen >= L4_START) & ~one_of(proto, SLOW_PROTOS) & usable
    ip_len = (eth_ip >> 16 & 0xFFFF).astype(np.int32)
    ip_end = np.where(ip_len == 0, caplen, np.minimum(ip_len + ETH_HDR, caplen))  # relative to the frame
    room = np.where(frag_proto & IPV4_OFFSET << 16 == 0, ip_end - L4_START, -1)  # -1: not a first fragment
    ack_flags = hdr["ack_flags"].astype(np.uint64)  # TCP ack, data offset, flags (and 2 bytes more)
    doff = (ack_flags >> 26 & 0x3C).astype(np.int32)  # TCP data offset in bytes
    tcp = (proto == IPPROTO_TCP) & (room >= TCP_HDR) & (doff >= TCP_HDR)
    udp = (proto == IPPROTO_UDP) & (room >= UDP_HDR)
    icmp = one_of(proto, ICMP_PROTOS) & (room >= ICMP_HDR)
    l4 = tcp | udp | icmp  # rows with L4 fields
    l4_hdr = np.where(tcp, doff, UDP_HDR)  # UDP_HDR == ICMP_HDR
    l4_hdr *= l4
    ports_seq = hdr["ports_seq"].astype(np.uint64)
    ports = (ports_seq >> 32).astype(np.uint32) * l4
    sport, dport = (ports >> 16).astype(np.uint16), ports.astype(np.uint16)
    if icmp.any():  # type and code instead of ports
        rows = np.flatnonzero(icmp)
        sport[rows], dport[rows] = sport[rows] >> 8, sport[rows] & 0xFF
    addrs = hdr["addrs"].astype(np.uint64)
    return {
        "common": common,
        "ip_ver": np.full(n, 4, dtype=np.uint8),
        "src_hi": np.zeros(n, dtype=np.uint64),
        "src_lo": addrs >> 32 | np.uint64(IPV4_MAPPED),
        "dst_hi": np.zeros(n, dtype=np.uint64),
        "dst_lo": addrs & 0xFFFFFFFF | np.uint64(IPV4_MAPPED),
        "proto": proto,
        "sport": sport,
        "dport": dport,
        "tcp_flags": (ack_flags >> 16 & TCP_FLAGS_MASK).astype(np.uint8) * tcp,
        "tcp_seq": ports_seq.astype(np.uint32) * tcp,
        "tcp_ack": (ack_flags >> 32).astype(np.uint32) * tcp,
        "ip_len": ip_len.astype(np.uint32),
        "payload_off": start + (l4_hdr + L4_START),
        "payload_len": np.maximum(ip_end - L4_START - l4_hdr, 0) * l4,
        "frag": frag_proto & (IPV4_MF | IPV4_OFFSET) << 16 != 0,
    }


def with_frame_head(layout: np.dtype) -> np.dtype:
    """``layout`` followed by ``FRAME_HEAD``: record header and frame header in one gather (``RecordIndex.head``)."""
    names = [*layout.names, *FRAME_HEAD.names]
    fields = [layout.fields[name] for name in layout.names]
    fields += [(dtype, layout.itemsize + off) for dtype, off in (FRAME_HEAD.fields[name] for name in FRAME_HEAD.names)]
    return np.dtype({"names": names, "formats": [dtype for dtype, _ in fields], "offsets": [off for _, off in fields],
                     "itemsize": layout.itemsize + FRAME_HEAD.itemsize})


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
