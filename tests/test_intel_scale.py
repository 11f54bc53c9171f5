"""Fast intel (issue 13): longest-prefix matching in O(log n), a big list loads in seconds, error lines quote at
most 200 characters of the input.  Intel files are generated here."""
from __future__ import annotations

import ipaddress
import random
import time
from pathlib import Path

import pytest

from pcap_analyzer.errors import InputError
from pcap_analyzer.sources.intel import load_intel
from pcap_analyzer.prefixes import PrefixTable, parse_network


def _intel_file(path: Path, n: int, seed: int = 1) -> Path:
    """``n`` lines: addresses, /24 and /16 networks (nested and overlapping by chance) and domains."""
    r = random.Random(seed)
    with path.open("w") as out:
        for i in range(n):
            k = i % 4
            if k == 0:
                out.write(f"{ipaddress.IPv4Address(r.randrange(1 << 32))}\n")
            elif k == 1:
                out.write(f"{ipaddress.IPv4Address(r.randrange(1 << 32) & ~0xFF)}/24 # feed {i}\n")
            elif k == 2:
                out.write(f"h{i}.bad{i % 977}.example\n")
            else:
                out.write(f"{ipaddress.IPv4Address(r.randrange(1 << 32) & ~0xFFFF)}/16\n")
    return path


def test_longest_prefix_wins_and_matches_a_linear_scan(tmp_path: Path) -> None:
    path = _intel_file(tmp_path / "intel.txt", 4000)
    path.write_text(path.read_text() + "10.0.0.0/8\n10.1.0.0/16\n10.1.2.0/24\n2001:db8::/32\n2001:db8:1::/48\n")
    intel = load_intel(path)
    assert intel.match_ip("10.1.2.3").indicator == "10.1.2.0/24"
    assert intel.match_ip("10.1.3.3").indicator == "10.1.0.0/16"
    assert intel.match_ip("10.2.0.0").indicator == "10.0.0.0/8"
    assert intel.match_ip("2001:db8:1::5").indicator == "2001:db8:1::/48"
    assert intel.match_ip("2001:db8:2::5").indicator == "2001:db8::/32"
    nets = [ipaddress.ip_network(line.split("#")[0].strip()) for line in path.read_text().splitlines() if "/" in line]
    r = random.Random(7)
    for _ in range(400):
        addr = ipaddress.IPv4Address(r.randrange(1 << 32))
        if str(addr) in intel.ips:
            continue
        best = max((n for n in nets if addr in n), key=lambda n: n.prefixlen, default=None)
        got = intel.match_ip(str(addr))
        assert (got.indicator if got else None) == (str(best) if best else None), addr


def test_prefix_table_vectorised_lookup() -> None:
    table = PrefixTable([(parse_network("10.0.0.0/8"), "a"), (parse_network("10.9.0.0/16"), "b")])
    addrs = [int(ipaddress.IPv4Address(a)) for a in ("10.9.1.1", "10.8.1.1", "11.0.0.1", "9.255.255.255")]
    assert table.lookup_many(addrs) == ["b", "a", None, None]


def _lookups_cpu(intel, addrs: list[str]) -> float:
    intel.match_ip(addrs[0])  # builds the table
    start = time.process_time()
    for a in addrs:
        intel.match_ip(a)
    return time.process_time() - start


def test_big_lists_load_fast_and_lookups_do_not_grow_with_the_list(tmp_path: Path) -> None:
    big = _intel_file(tmp_path / "big.txt", 200_000)
    start = time.process_time()
    intel = load_intel(big)
    intel.match_ip("1.2.3.4")
    load = time.process_time() - start
    assert len(intel) > 199_000 and load < 4.0, load  # 1M lines: about 7 s of CPU
    small = load_intel(_intel_file(tmp_path / "small.txt", 400))
    r = random.Random(3)
    addrs = [str(ipaddress.IPv4Address(r.randrange(1 << 32))) for _ in range(20_000)]
    # 500 times the CIDRs, at most a few times the cost per lookup (it was linear: 500 times)
    assert _lookups_cpu(intel, addrs) < 4 * _lookups_cpu(small, addrs) + 0.05


@pytest.mark.parametrize("line", ["x" * 10_000_000, "999.1.2.3/99" + "9" * 10_000])
def test_a_huge_bad_line_is_quoted_short(tmp_path: Path, line: str) -> None:
    path = tmp_path / "intel.txt"
    path.write_text("198.51.100.1\n" + line + "\n")
    with pytest.raises(InputError) as err:
        load_intel(path)
    assert len(str(err.value)) < 400 + len(str(path))
