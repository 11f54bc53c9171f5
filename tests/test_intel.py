"""Threat-intel files: Zeek Intel format and plain lists; bad files are one-line InputErrors."""
from __future__ import annotations

from pathlib import Path

import pytest
from test_detect_helpers import context, dns_flow, make_flow, tls_flow

from pcap_analyzer.detect.intel_match import IntelMatch
from pcap_analyzer.errors import InputError
from pcap_analyzer.sources.intel import load_intel

ZEEK = ("#separator \\x09\n#fields\tindicator\tindicator_type\tmeta.source\tmeta.desc\n"
        "198.51.100.23\tIntel::ADDR\tfeed-a\tknown C2\n"
        "evil-sync.example\tIntel::DOMAIN\tfeed-b\t-\n"
        "203.0.113.0/24\tIntel::SUBNET\tfeed-c\tbulletproof host\n"
        "http://x.example/a\tIntel::URL\tfeed-d\tskipped\n")


def write(tmp_path: Path, text: str | bytes) -> Path:
    path = tmp_path / "intel.txt"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return path


def test_zeek_intel_file(tmp_path: Path) -> None:
    intel = load_intel(write(tmp_path, ZEEK))
    assert intel.match_ip("198.51.100.23").desc == "known C2"
    assert intel.match_ip("203.0.113.77").source == "feed-c"
    assert intel.match_ip("192.0.2.1") is None
    hit = intel.match_domain("cdn.evil-sync.example")
    assert (hit.indicator, hit.source, hit.desc) == ("evil-sync.example", "feed-b", "")
    assert intel.match_domain("notevil-sync.example") is None
    assert intel.skipped == 1 and len(intel) == 3


def test_plain_list_with_comments(tmp_path: Path) -> None:
    intel = load_intel(write(tmp_path, "# my list\n198.51.100.23  # C2\n2001:db8::/32\nBad.Example.\n\n"))
    assert intel.match_ip("198.51.100.23").desc == "C2"
    assert intel.match_ip("2001:db8::1").kind == "subnet"
    assert intel.match_domain("bad.example").indicator == "bad.example"


@pytest.mark.parametrize("text, words", [
    ("", "no IP"),
    ("# only comments\n", "no IP"),
    ("not a domain!\n", ":1:"),
    ("#fields\tindicator\tindicator_type\n1.2.3.4\tIntel::ADDR\textra\n", "fields"),
    ("#fields\tindicator\tindicator_type\n1.2.3.4\tADDR\n", "indicator_type"),
    ("#fields\tindicator\tindicator_type\nnot-an-ip\tIntel::ADDR\n", "not an IP"),
    ("#fields\tfoo\tbar\n", "#fields needs"),
    (b"\xff\xfe\x00binary", "cannot read"),
])
def test_bad_files_are_one_line_input_errors(tmp_path: Path, text: str | bytes, words: str) -> None:
    with pytest.raises(InputError) as err:
        load_intel(write(tmp_path, text))
    assert words in str(err.value) and "\n" not in str(err.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read"):
        load_intel(tmp_path / "absent.txt")


def test_intel_match_on_address_sni_and_lookup(tmp_path: Path) -> None:
    intel = load_intel(write(tmp_path, ZEEK))
    h = "10.0.0.5"
    flows = [tls_flow(h, "198.51.100.23", 8443), tls_flow(h, "192.0.2.8", sni="api.evil-sync.example"),
             dns_flow(h, "10.0.0.1", 5.0, "www.evil-sync.example"), make_flow(h, "192.0.2.9", 443)]
    found = {i.peer: i for i in IntelMatch().run(context(flows, intel))}
    assert set(found) == {"198.51.100.23", "api.evil-sync.example", "www.evil-sync.example"}
    assert found["198.51.100.23"].evidence["intel_desc"] == "known C2"
    assert found["198.51.100.23"].evidence["connections"][0]["port"] == 8443
    assert IntelMatch().run(context(flows)) == []  # no intel file, no matches
