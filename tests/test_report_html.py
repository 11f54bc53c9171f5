"""report.html: self-contained, nothing executable from attacker strings, and the case is on the page."""
from __future__ import annotations

from html.parser import HTMLParser

import pytest
from synthetic_report import EVIL_QNAME, EVIL_SNI, report

from pcap_analyzer.config import default_config
from pcap_analyzer.model import Report
from pcap_analyzer.report.common import QUESTION_TEXT, escape_text
from pcap_analyzer.report.html import RED, GREEN, render_html, write_html

CFG = default_config()


class Page(HTMLParser):
    """Every tag with its attributes, and all text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))

    handle_startendtag = handle_starttag

    def handle_data(self, data):
        self.text.append(data)


def parse(text: str) -> Page:
    page = Page()
    page.feed(text)
    page.close()
    return page


@pytest.fixture(scope="module")
def page_text() -> str:
    return render_html(report(), CFG)


def test_attacker_strings_stay_text(page_text):
    page = parse(page_text)
    assert "script" not in {tag for tag, _ in page.tags}
    for tag, attrs in page.tags:
        for name, value in attrs:
            assert not name.startswith("on"), (tag, name)
            assert "alert" not in (value or ""), (tag, name, value)
    text = "".join(page.text)
    assert EVIL_QNAME in text and EVIL_SNI[:40] in text  # shown, as text
    assert "<script>" not in page_text


def test_self_contained(page_text):
    page = parse(page_text)
    tags = {tag for tag, _ in page.tags}
    assert not tags & {"script", "link", "img", "iframe", "object", "embed", "image", "use", "foreignobject"}
    for tag, attrs in page.tags:
        for name, value in attrs:
            assert name not in ("src", "href", "xlink:href", "srcset", "action"), (tag, name)
            if name != "xmlns":
                assert "http" not in (value or ""), (tag, name, value)
    assert "@import" not in page_text and "url(" not in page_text


def test_the_case_is_on_the_page(page_text):
    page = parse(page_text)
    text = " ".join(page.text)
    for question in QUESTION_TEXT.values():
        assert question in text
    assert "10.0.0.6" in text  # same pattern
    assert 'drop ip $HOME_NET any -> [198.51.100.7] any (msg:"x"; sid:9000000;)' in text  # containment
    assert "9000000, 9000999" in text
    assert "Suricata was requested but is not installed" in text
    assert "record 99 cut short" in text  # input warnings
    svgs = page_text.count("<svg")
    assert svgs == 3  # timelines of both non-benign hosts, entropy of the one with measured payload
    assert "198.51.100.7\tIntel::ADDR\tfallback-hunt" in text  # Zeek intel lines keep their tabs
    # timeline: the five failed attempts as red crosses, the DNS channel as a green bar, DNS ticks
    crosses = sum(1 for tag, attrs in page.tags if tag == "line" and ("stroke", RED) in attrs
                  and ("stroke-width", "2") in attrs)
    assert crosses == 2 * 5
    assert any(tag == "rect" and ("fill", GREEN) in attrs for tag, attrs in page.tags)
    assert "primary 203.0.113.10:443/tcp" in text and "198.51.100.7:53/udp" in text
    # entropy: the 0..8 bits/byte scale and the measured values
    for bits in ("0", "2", "4", "6", "8"):
        assert bits in page.text
    assert "in 7.90 (6000 B)" in text and "out 7.95 (3000 B)" in text
    # summary: escalated host first
    assert text.index("10.0.0.5") < text.index("10.0.0.9") < text.index("10.0.0.20")


def test_empty_report_renders(tmp_path):
    path = tmp_path / "report.html"
    write_html(Report(inputs=[], hosts=[], flows=[]), CFG, path)
    page = parse(path.read_text())
    assert "Nothing to contain." in " ".join(page.text)
    assert path.read_text().startswith("<!DOCTYPE html>")


def test_display_text_escapes_what_could_fool_a_reader():
    invalid = b"ab\xff".decode("utf-8", "surrogateescape")
    assert escape_text("evil\u202egnp.exe") == "evil\\xe2\\x80\\xaegnp.exe"  # right-to-left override
    assert escape_text("a\x1b[31mb\tc") == "a\\x1b[31mb\\x09c"
    assert escape_text(invalid) == "ab\\xff"
    assert escape_text("bücher.example") == "bücher.example"
    page = render_html(Report(inputs=[], hosts=[], flows=[], notes=[f"note \u202e {invalid}"]), CFG)
    assert "\u202e" not in page and "note \\xe2\\x80\\xae ab\\xff" in page
