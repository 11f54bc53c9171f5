"""Registered domains and label-boundary suffix matching."""
from __future__ import annotations

import pytest

from pcap_analyzer.measures.domains import base_domain, is_public_suffix, suffix_list, suffix_match


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
    # the private section: cloud, CDN and dynamic-DNS zones are split per tenant
    ("a.b.tenant1.trafficmanager.net", "tenant1.trafficmanager.net"),
    ("myhost.duckdns.org", "myhost.duckdns.org"),
    ("x.example.cloudfront.net", "example.cloudfront.net"),
    ("trafficmanager.net", "trafficmanager.net"),
])
def test_base_domain(name, expected):
    assert base_domain(name) == expected


def test_tenants_of_one_cloud_zone_are_different_domains():
    assert base_domain("telemetry.tenant1.trafficmanager.net") != base_domain("time.tenant2.trafficmanager.net")
    assert base_domain("a.tenant1.cloudapp.net") == base_domain("b.tenant1.cloudapp.net")


def test_public_suffixes_name_no_one():
    assert is_public_suffix("com") and is_public_suffix("co.uk")
    assert is_public_suffix("trafficmanager.net") and is_public_suffix("duckdns.org")
    assert not is_public_suffix("example.com") and not is_public_suffix("x.duckdns.org")
    assert not is_public_suffix("")


def test_bundled_list_is_offline_and_has_both_sections(monkeypatch):
    import socket

    def no_network(*args, **kwargs):
        raise AssertionError("the suffix list must not touch the network")

    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    suffix_list.cache_clear()
    psl = suffix_list()
    assert psl.is_public("co.uk")  # ICANN section
    assert psl.is_public("blob.core.windows.net")  # private section


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
