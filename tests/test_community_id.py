"""Community ID v1 against the spec's published baseline and against Zeek 7's conn.log of the shared captures."""
from __future__ import annotations

import ipaddress

import numpy as np
import pytest

from conftest import SHARED_ZEEK_LOGS, zeek_log_rows
from pcap_analyzer.community_id import community_id_mapped, community_id_v1, community_ids_batch, icmp_ports
from pcap_analyzer.errors import InputError

A6 = "fe80:0001:0203:0405:0607:0809:0A0B:0C0D"
B6 = "fe80:1011:1213:1415:1617:1819:1A1B:1C1D"

# corelight/community-id-spec, baseline/README.md: (proto, saddr, daddr, sport, dport, seed 0, seed 1)
SPEC_VECTORS = [
    (6, "1.2.3.4", "5.6.7.8", 1122, 3344, "1:wCb3OG7yAFWelaUydu0D+125CLM=", "1:HhA1B+6CoLbiKPEs5nhNYN4XWfk="),
    (6, "5.6.7.8", "1.2.3.4", 3344, 1122, "1:wCb3OG7yAFWelaUydu0D+125CLM=", "1:HhA1B+6CoLbiKPEs5nhNYN4XWfk="),
    (17, "1.2.3.4", "5.6.7.8", 1122, 3344, "1:0Mu9InQx6z4ZiCZM/7HXi2WMhOg=", "1:OShq+iKDAMVouh/4bMxB9Sz4amw="),
    (17, "5.6.7.8", "1.2.3.4", 3344, 1122, "1:0Mu9InQx6z4ZiCZM/7HXi2WMhOg=", "1:OShq+iKDAMVouh/4bMxB9Sz4amw="),
    (132, "1.2.3.4", "5.6.7.8", 1122, 3344, "1:EKt4MsxuyaE6mL+hmrEkQ9csDD8=", "1:uitchpn5MMGAQKBJh7bIr/bAr7s="),
    (132, "5.6.7.8", "1.2.3.4", 3344, 1122, "1:EKt4MsxuyaE6mL+hmrEkQ9csDD8=", "1:uitchpn5MMGAQKBJh7bIr/bAr7s="),
    (1, "1.2.3.4", "5.6.7.8", 8, 0, "1:crodRHL2FEsHjbv3UkRrfbs4bZ0=", "1:9pr4ZGTICiuZoIh90RRYE2RyXpU="),
    (1, "5.6.7.8", "1.2.3.4", 0, 0, "1:crodRHL2FEsHjbv3UkRrfbs4bZ0=", "1:9pr4ZGTICiuZoIh90RRYE2RyXpU="),
    (1, "1.2.3.4", "5.6.7.8", 11, 0, "1:f/YiSyWqczrTgfUCZlBUnvHRcPk=", "1:1DD7cWGC/Yg91YGsQeni8du3pIA="),
    (58, A6, B6, 128, 0, "1:0bf7hyMJUwt3fMED7z8LIfRpBeo=", "1:IO27GQzPuCtNnwFvjWALMHu5tJE="),
    (58, B6, A6, 129, 0, "1:0bf7hyMJUwt3fMED7z8LIfRpBeo=", "1:IO27GQzPuCtNnwFvjWALMHu5tJE="),
    (58, A6, B6, 146, 0, "1:fYC8+pz24E+EhANP1EZhpX0Dw10=", "1:Cv4IKJe56BNkF0MBW2YxQ3Nwc3s="),
    (46, "1.2.3.4", "5.6.7.8", 0, 0, "1:ikv3kmf89luf73WPz1jOs49S768=", "1:/buhqeOmaRCopOZFy9HnoJd5XW8="),
    (46, "5.6.7.8", "1.2.3.4", 0, 0, "1:ikv3kmf89luf73WPz1jOs49S768=", "1:/buhqeOmaRCopOZFy9HnoJd5XW8="),
    (46, A6, B6, 0, 0, "1:wQ/2mwrnXP4lmJcHdGL5ePjR+e0=", "1:j6EyyfBzL4vWKHFXgUqb5Az3OxM="),
    (46, B6, A6, 0, 0, "1:wQ/2mwrnXP4lmJcHdGL5ePjR+e0=", "1:j6EyyfBzL4vWKHFXgUqb5Az3OxM="),
]

# baseline_deflt.json (real packets of the spec's combined.pcap): ICMPv6 neighbour discovery, unreachable, IPv6 TCP
SPEC_PCAP_VECTORS = [
    (58, "fe80::200:86ff:fe05:80da", "fe80::260:97ff:fe07:69ea", 135, 136, "1:dGHyGvjMfljg6Bppwm3bg0LO8TY="),
    (58, "fe80::260:97ff:fe07:69ea", "fe80::200:86ff:fe05:80da", 136, 135, "1:dGHyGvjMfljg6Bppwm3bg0LO8TY="),
    (58, "3ffe:501:410:0:2c0:dfff:fe47:33e", "3ffe:507:0:1:200:86ff:fe05:80da", 1, 4,
     "1:hLZd0XGWojozrvxqE0dWB1iM6R0="),
    (58, "fe80::200:86ff:fe05:80da", "ff02::2", 133, 134, "1:hO+sN4H+MG5MY/8hIrXPqc4ZQz0="),
    (1, "192.168.0.89", "192.168.0.1", 8, 0, "1:X0snYXpgwiv9TZtqg64sgzUn6Dk="),
    (6, "2001:470:e5bf:dead:4957:2174:e82c:4887", "2607:f8b0:400c:c03::1a", 63943, 25,
     "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4="),
    (17, "8.8.8.8", "192.168.1.52", 53, 54585, "1:d/FP5EW3wiY1vCndhwleRRKHowQ="),
]


@pytest.mark.parametrize("proto,saddr,daddr,sport,dport,seed0,seed1", SPEC_VECTORS)
def test_spec_table(proto: int, saddr: str, daddr: str, sport: int, dport: int, seed0: str, seed1: str) -> None:
    assert community_id_v1(proto, saddr, daddr, sport, dport) == seed0
    assert community_id_v1(proto, saddr, daddr, sport, dport, seed=1) == seed1


@pytest.mark.parametrize("proto,saddr,daddr,sport,dport,expected", SPEC_PCAP_VECTORS)
def test_spec_pcap_baseline(proto: int, saddr: str, daddr: str, sport: int, dport: int, expected: str) -> None:
    assert community_id_v1(proto, saddr, daddr, sport, dport) == expected


def test_icmp_mapping() -> None:
    assert icmp_ports(1, 8, 0) == (8, 0, False)
    assert icmp_ports(1, 0, 0) == (0, 8, False)
    assert icmp_ports(1, 3, 1) == (3, 1, True)
    assert icmp_ports(58, 135, 0) == (135, 136, False)
    assert icmp_ports(58, 1, 4) == (1, 4, True)


def test_one_way_icmp_is_not_reordered() -> None:
    there = community_id_v1(1, "10.0.0.2", "10.0.0.1", 3, 3)
    back = community_id_v1(1, "10.0.0.1", "10.0.0.2", 3, 3)
    assert there != back


def test_same_address_orders_ports_like_zeek_and_suricata() -> None:
    # Zeek 7 logged this loopback SMB connection (zeek-smb-smb2_100_small_files) with this ID; the ports are compared
    # as the little-endian reading of their network-order bytes, so 34884 (0x8844 -> 0x4488) sorts before 445.
    expected = "1:naSBKluJ+COSK5iDnwXej3dNc/0="
    assert community_id_v1(6, "127.0.0.1", "127.0.0.1", 34884, 445) == expected
    assert community_id_v1(6, "127.0.0.1", "127.0.0.1", 445, 34884) == expected
    assert community_id_mapped(6, "127.0.0.1", "127.0.0.1", 445, 34884) == expected


def _halves(text: str) -> tuple[int, int]:
    ip = ipaddress.ip_address(text)
    value = (0xFFFF << 32 | int(ip)) if ip.version == 4 else int(ip)
    return value >> 64, value & (2**64 - 1)


def test_batch_matches_one_by_one() -> None:
    """The flow table's batch path (numpy-packed inputs, addresses as 128-bit halves) against the spec vectors."""
    vectors = [v[:5] for v in SPEC_VECTORS] + [v[:5] for v in SPEC_PCAP_VECTORS] + [
        (6, "127.0.0.1", "127.0.0.1", 34884, 445), (6, "127.0.0.1", "127.0.0.1", 445, 34884)]
    mapped = [(p, s, d, *icmp_ports(p, sp, dp)) if p in (1, 58) else (p, s, d, sp, dp, False)
              for p, s, d, sp, dp in vectors]
    cols = list(zip(*[(p, *_halves(s), *_halves(d), sp, dp, one_way) for p, s, d, sp, dp, one_way in mapped]))
    ids, digests = community_ids_batch(*[np.array(c, dtype=np.uint64 if i in (1, 2, 3, 4) else np.int64)
                                         for i, c in enumerate(cols[:7])], np.array(cols[7], dtype=bool))
    assert ids == [community_id_v1(*v) for v in vectors]
    assert digests.shape == (len(vectors), 20)


@pytest.mark.parametrize("saddr,daddr", [("1.2.3", "5.6.7.8"), ("1.2.3.4", "::1")])
def test_bad_input_is_one_line_error(saddr: str, daddr: str) -> None:
    with pytest.raises(InputError):
        community_id_v1(6, saddr, daddr, 1, 2)


def _conn_rows() -> list[dict[str, str]]:
    return [row for log in sorted(SHARED_ZEEK_LOGS.glob("*/conn.log")) for row in zeek_log_rows(log)]


def test_every_zeek_conn_log_line() -> None:
    rows = _conn_rows()
    if not rows:
        pytest.skip("../shared/zeek-logs is not present")
    protos = {"tcp": 6, "udp": 17, "icmp": 1}
    bad = []
    for r in rows:
        proto = protos[r["proto"]]
        if proto == 1 and ":" in r["id.orig_h"]:
            proto = 58
        got = community_id_v1(proto, r["id.orig_h"], r["id.resp_h"], int(r["id.orig_p"]), int(r["id.resp_p"]))
        if got != r["community_id"]:
            bad.append((r["uid"], got, r["community_id"]))
    assert len(rows) > 500
    assert bad == []
