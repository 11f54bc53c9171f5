"""Registered domains and label-boundary suffix matching."""
from __future__ import annotations

import pytest

from pcap_analyzer.domains import base_domain, multi_label_suffixes, suffix_match


@pytest.mark.parametrize("name, expected", [
    ("www.example.com", "example.com"),
    ("A.B.Example.COM.", "example.com"),
    ("example.com", "example.com"),
    ("com", "com"),
    ("", ""),
    ("mail.example.co.uk", "example.co.uk"),
    ("deep.sub.shop.com.au", "shop.com.au"),
    ("co.uk", "co.uk"),
    ("x.y.co.example", "co.example"),  # "co" is only special under a listed suffix
    ("4.3.2.1.in-addr.arpa", "1.in-addr.arpa"),
])
def test_base_domain(name, expected):
    assert base_domain(name) == expected


def test_shipped_suffix_list():
    suffixes = multi_label_suffixes()
    assert {"co.uk", "com.au", "co.jp"} <= suffixes
    assert all(s == s.lower() and "." in s and not s.endswith(".") for s in suffixes)


def test_suffix_match_label_boundary():
    zones = {"duckdns.org", "no-ip.com", "dyn.example.co.uk"}
    assert suffix_match("x.duckdns.org", zones) == "duckdns.org"
    assert suffix_match("A.B.DuckDNS.org.", zones) == "duckdns.org"
    assert suffix_match("duckdns.org", zones) == "duckdns.org"
    assert suffix_match("notduckdns.org", zones) is None
    assert suffix_match("duckdns.org.evil.com", zones) is None
    assert suffix_match("h.dyn.example.co.uk", zones) == "dyn.example.co.uk"
    assert suffix_match("", zones) is None


def test_suffix_match_most_specific():
    assert suffix_match("a.b.example.com", {"example.com", "b.example.com"}) == "b.example.com"
