"""Data types shared by every stage of the pipeline.

reader -> PacketBatch -> flows -> Flow -> dissect / measures -> Flow (annotated)
-> detect -> Indicator -> verdict -> HostReport -> report writers.

Nothing here does work; each stage owns its own module.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import registry

#: Indicator type names. Other tools (Zeek package, Suricata rule metadata, fallback.log readers) use the same names.
INDICATOR_TYPES: tuple[str, ...] = registry.names()  # data/indicators.toml, in its order

VERDICTS: tuple[str, ...] = ("escalate", "investigate", "benign")


@dataclass(slots=True)
class PacketBatch:
    """A chunk of decoded packets, one row per packet, as parallel numpy columns.

    Addresses are 128-bit, split in two uint64 halves; IPv4 is stored IPv4-mapped (::ffff:a.b.c.d), so
    ``hi == 0`` and ``lo == 0x0000FFFF00000000 | v4``.  Rows with ``ip_ver == 0`` are not IP (or not decodable)
    and are counted but ignored by the flow stage.  For ICMP/ICMPv6, ``sport`` is the ICMP type and ``dport``
    the ICMP code.  ``payload_off`` indexes ``data`` (the whole file buffer or a chunk buffer) and
    ``payload_len`` is the L4 payload length actually captured (never beyond caplen).
    """

    ts: np.ndarray  # float64 seconds
    wirelen: np.ndarray  # uint32 original length on the wire
    caplen: np.ndarray  # uint32 captured length
    ip_ver: np.ndarray  # uint8: 0, 4 or 6
    src_hi: np.ndarray  # uint64
    src_lo: np.ndarray  # uint64
    dst_hi: np.ndarray  # uint64
    dst_lo: np.ndarray  # uint64
    proto: np.ndarray  # uint8 L4 protocol after IPv6 extension headers
    sport: np.ndarray  # uint16 (ICMP: type)
    dport: np.ndarray  # uint16 (ICMP: code)
    tcp_flags: np.ndarray  # uint8 (0 for non-TCP)
    tcp_seq: np.ndarray  # uint32
    tcp_ack: np.ndarray  # uint32
    ip_len: np.ndarray  # uint32 IP total length (header + payload) as the header claims
    payload_off: np.ndarray  # int64 offset of the L4 payload in ``data``
    payload_len: np.ndarray  # int32 captured L4 payload length
    frag: np.ndarray  # bool: packet is an IP fragment (first with MF, or non-first)
    data: Any  # bytes-like buffer (np.memmap / bytes) that payload_off indexes

    def __len__(self) -> int:
        return int(self.ts.shape[0])

    def payload(self, i: int) -> bytes:
        off = int(self.payload_off[i])
        return bytes(self.data[off: off + int(self.payload_len[i])])


@dataclass(slots=True)
class CaptureInfo:
    """What the reader learnt about one input file (report.json ``inputs``)."""

    path: str
    sha256: str = ""
    packets: int = 0
    first_ts: float | None = None
    last_ts: float | None = None
    fragments: int = 0
    non_ip: int = 0
    warnings: list[str] = field(default_factory=list)


@dataclass(slots=True)
class LogInfo:
    """A log file read beside (or instead of) the captures: a Zeek log or a Suricata EVE file (report.json
    ``inputs``, with ``kind``)."""

    path: str
    kind: str  # "zeek_log" or "eve"
    lines: int = 0  # records (data lines; Zeek header and comment lines not counted)


@dataclass(slots=True)
class DnsMessage:
    ts: float
    is_response: bool
    trans_id: int
    qname: str  # lower-cased, no trailing dot; attacker-controlled
    qtype: int
    qtype_name: str  # "A", "TXT", "NULL", ... or "TYPE<n>"
    rcode: int  # -1 for queries
    rcode_name: str  # "NOERROR", "NXDOMAIN", ...
    answers: list[tuple[str, str, str]] = field(default_factory=list)  # (rrname, type name, rdata text)


@dataclass(slots=True)
class TlsInfo:
    version: str = ""  # negotiated (ServerHello) or offered (ClientHello) e.g. "TLSv12"
    sni: str = ""
    ja3: str = ""  # md5 hex
    ja3_string: str = ""
    ja4: str = ""  # FoxIO JA4 (dissect/ja4.py), e.g. "t13d1516h2_8daaf6152771_e5627efa2ab1"
    ja4_raw: str = ""  # JA4_r: the same with the sorted lists unhashed
    client_hello: bool = False
    server_hello: bool = False
    alpn: list[str] = field(default_factory=list)
    # description code of a fatal alert (level 2) the responder sent in cleartext before any application data or
    # ChangeCipherSpec (40 handshake_failure, 49 access_denied, ...); -1 when none was seen
    server_alert: int = -1


@dataclass(slots=True)
class HttpInfo:
    ts: float
    is_request: bool
    method: str = ""
    uri: str = ""
    host: str = ""
    user_agent: str = ""
    status: int = 0
    version: str = ""


@dataclass(slots=True)
class IcmpInfo:
    echo_requests: int = 0
    echo_replies: int = 0
    payload_sizes: list[int] = field(default_factory=list)  # bounded sample
    ip_in_payload: int = 0  # echo payloads that start with a plausible IPv4/IPv6 header
    unreachable: int = 0
    replies_differ: int = 0  # echo replies whose payload is not their request's (ping mirrors it): data both ways


@dataclass(slots=True)
class ChannelMeasures:
    """Randomness measures of one flow direction's retained payload."""

    nbytes: int = 0
    entropy: float = 0.0  # Shannon, bits per byte (0..8)
    chi2: float = 0.0  # chi-square statistic against uniform bytes
    chi2_p: float = 1.0  # p-value; near 1 = looks uniformly random, near 0 = structured
    printable: float = 0.0  # fraction of printable ASCII bytes


@dataclass(slots=True)
class Flow:
    """A bidirectional connection, Zeek conn.log semantics where Zeek has them."""

    uid: str
    ts: float
    last_ts: float
    proto: str  # "tcp", "udp", "icmp", or the IP protocol number as text
    orig_h: str
    orig_p: int
    resp_h: str
    resp_p: int
    community_id: str = ""
    ip_ver: int = 4
    orig_pkts: int = 0
    resp_pkts: int = 0
    orig_ip_bytes: int = 0
    resp_ip_bytes: int = 0
    orig_bytes: int = 0  # payload bytes, like Zeek's orig_bytes
    resp_bytes: int = 0
    conn_state: str = "OTH"
    history: str = ""
    fragments: int = 0
    retransmits: int = 0  # originator SYN retransmissions (failed-attempt evidence)
    # Retained payload (bounded): the first bytes of each direction, and the first datagrams for UDP/ICMP.
    orig_sample: bytes = b""
    resp_sample: bytes = b""
    orig_datagrams: list[bytes] = field(default_factory=list)
    resp_datagrams: list[bytes] = field(default_factory=list)
    datagram_ts: list[tuple[float, bool]] = field(default_factory=list)  # (ts, from_orig) per retained datagram
    # ICMP errors (unreachable etc.) that refer to this flow: (ts, reporter ip, type, code)
    icmp_errors: list[tuple[float, str, int, int]] = field(default_factory=list)
    # A bounded sample of the payload past the retained head, spread over the rest of the flow's life (its pieces
    # joined in flow order; flows/retain.py): what an idle-then-active channel carries once it is active.
    orig_later: bytes = b""
    resp_later: bytes = b""
    # Filled by dissect/
    # the sizes of the client's retained UDP datagrams, in order (kept after compaction: detect/payload_shape.py)
    orig_sizes: tuple[int, ...] = ()
    service: str = ""  # "dns", "tls", "ssh", "http", "quic", "icmp", "" when unknown
    expected_service: str = ""  # what the responder port implies ("" when the port implies nothing)
    dns: list[DnsMessage] = field(default_factory=list)
    tls: TlsInfo | None = None
    ssh_banners: list[str] = field(default_factory=list)
    http: list[HttpInfo] = field(default_factory=list)
    quic: dict[str, Any] | None = None
    icmp: IcmpInfo | None = None
    # What an application dissector (dissect/stun.py, wireguard.py, ...) read: {"protocol": ..., counts and fields}
    app: dict[str, Any] | None = None
    # Filled by measures
    orig_measures: ChannelMeasures | None = None
    resp_measures: ChannelMeasures | None = None
    # the same measures of the sample past the head (orig_later / resp_later), None when too little was sampled
    orig_later_measures: ChannelMeasures | None = None
    resp_later_measures: ChannelMeasures | None = None
    # Filled by zeek/suricata merge
    zeek_uids: list[str] = field(default_factory=list)
    # Set when the retained payload is dropped after dissect + measures (pipeline compaction): whether each
    # direction had retained payload (a sample, or datagrams) before it was dropped.
    orig_payload_seen: bool = False
    resp_payload_seen: bool = False

    @property
    def duration(self) -> float:
        return self.last_ts - self.ts

    @property
    def retains_payload(self) -> bool:
        """Payload is retained now: a capture's flow before compaction (Zeek-log and compacted flows have none)."""
        return bool(self.orig_sample or self.resp_sample or self.orig_datagrams or self.resp_datagrams
                    or self.orig_later or self.resp_later)



def capture_order(flow: Flow) -> tuple[float, str]:
    """The order of one pass over every flow: first packet's time, then uid (unique, so the order is total)."""
    return flow.ts, flow.uid


@dataclass(slots=True)
class Indicator:
    """One piece of typed evidence about an internal host."""

    type: str  # one of INDICATOR_TYPES
    host: str  # the internal host it is about
    ts: float
    peer: str = ""  # external IP or domain
    port: int | None = None
    proto: str = ""
    community_id: str = ""
    evidence: dict[str, Any] = field(default_factory=dict)
    source: str = "analyzer"  # "analyzer", "suricata" or "zeek"
    uids: list[str] = field(default_factory=list)  # Zeek uids / analyzer flow uids

    def to_json(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "ts": self.ts,
            "peer": self.peer,
            "port": self.port,
            "proto": self.proto,
            "community_id": self.community_id,
            "source": self.source,
            "uids": list(self.uids),
            "evidence": self.evidence,
        }


@dataclass(slots=True)
class HostReport:
    ip: str
    verdict: str = "benign"
    score: float = 0.0
    indicators: list[Indicator] = field(default_factory=list)
    # question -> {"answer": bool, or None when the inputs cannot answer it, "evidence": [...]}
    answers: dict[str, dict[str, Any]] = field(default_factory=dict)
    channels: list[dict[str, Any]] = field(default_factory=list)  # [{"primary": {...}, "fallback": {...}}]
    reasons: list[str] = field(default_factory=list)  # why this verdict, in words
    same_pattern_hosts: list[str] = field(default_factory=list)  # a capped sample (patterns.assign)
    patterns: list[str] = field(default_factory=list)  # the shared patterns it shows (patterns.signature_text)


@dataclass(slots=True)
class HostView:
    """What a host's report.html section draws from the host's flows (report/html.host_view): the timeline and the
    flows of its entropy chart and packet filters. Made while the host's flows are at hand (bounded.py reads them
    back one host at a time), so the report need not keep every flow of every host it shows."""

    timeline: str  # the timeline SVG and the names looked up, as HTML
    flows: list[Flow]  # the host's evidence flows (or its biggest), at most [report] html_max_flows


@dataclass(slots=True)
class Report:
    inputs: list[CaptureInfo]
    hosts: list[HostReport]
    flows: list[Flow]
    notes: list[str] = field(default_factory=list)  # e.g. "suricata not installed"
    containment: dict[str, Any] = field(default_factory=dict)  # block rules, Zeek intel lines
    suppressed: list[dict[str, Any]] = field(default_factory=list)  # what the allowlist / never-block list left out
    logs: list[LogInfo] = field(default_factory=list)  # Zeek logs and EVE files read
    # Flows analysed: len(flows) when ``flows`` is every flow; analysed over the flow store (bounded.py), ``flows``
    # holds only the evidence flows the reports join (by uid and Community ID)
    flow_count: int | None = None
    # report.html's host sections, made as their hosts' flows were read back (bounded.py); None: made from ``flows``
    views: dict[str, HostView] | None = None

    @property
    def total_flows(self) -> int:
        return len(self.flows) if self.flow_count is None else self.flow_count
