"""report.html: self-contained, nothing executable from attacker strings, and the case is on the page."""
from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from synthetic_report import EVIL_QNAME, EVIL_SNI, LONG_LABEL, big_report, report

from pcap_analyzer.config import default_config, override
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
            assert name not in ("src", "xlink:href", "srcset", "action"), (tag, name)
            if name == "href":  # in-page anchors only (packet-store links appear only when configured)
                assert tag == "a" and value.startswith("#") and value[1:].replace("-", "").isalnum(), value
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
    crosses = [dict(attrs)["d"] for tag, attrs in page.tags if tag == "path" and ("stroke", RED) in attrs]
    assert len(crosses) == 1 and crosses[0].count("l6 10m0 -10l-6 10") == 5
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


# -- reports at scale ----------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def big_page() -> str:
    return render_html(big_report(), CFG)


def test_big_report_stays_small(big_page):
    assert len(big_page.encode()) < 2_000_000, len(big_page)
    assert len(render_html(big_report(extra=600), CFG).encode()) < 2_500_000  # caps, not the evidence, set the size


def test_toc_anchors_and_grouped_rows(big_page):
    page = parse(big_page)
    ids = {dict(attrs).get("id") for _, attrs in page.tags} - {None}
    hrefs = [dict(attrs)["href"] for tag, attrs in page.tags if tag == "a"]
    assert {"summary", "inputs", "hosts", "containment"} <= ids
    assert all(h[1:] in ids for h in hrefs)  # every link of the table of contents and host table lands somewhere
    assert "#host-10-1-0-58" in hrefs and "host-10-1-0-58" in ids  # a host of its own pattern
    text = " ".join(page.text)
    assert "57 hosts, DNS tunnel under example.net" in text  # one group row (and one TOC entry) for 57 hosts
    assert big_page.count('<details class="group">') == 2  # the tunnel group and the 400 benign hosts
    assert "400 hosts" in text
    assert big_page.count('<details class="host"') == 60 and big_page.count('<details class="host" id=') == 60
    assert big_page.count(" open>") == 3  # the first host of each of the first patterns is open, the rest fold


def test_long_lists_are_capped(big_page):
    text = " ".join(parse(big_page).text)
    assert f"{150 - CFG.report.html_max_items} more in report.json" in text  # 150 bullets per question
    assert "and 44 more" in text  # 56 same-pattern hosts, 12 named
    assert f"{152 - CFG.report.html_max_evidence} more indicators in report.json" in text


def test_entropy_chart_shows_the_most_random_first():
    rep = big_report(tunnel_hosts=1, other_hosts=0, benign_hosts=0, extra=30)
    page = render_html(rep, CFG)
    chart = page[page.index("Payload entropy"):]
    values = [float(v) for v in re.findall(r"out (\d\.\d\d) \(", chart)][: CFG.report.html_max_flows]
    assert values == sorted(values, reverse=True) and values[0] == 7.9


def test_detail_text_is_readable(big_page, page_text):
    for text in (big_page, page_text):
        assert "{'" not in text and "': " not in text  # no Python dict reprs
        assert not re.search(r"(?<!= )\b1[67]\d{8}\.\d+", text)  # no raw epoch seconds (but in display filters)


def test_names_wrap_or_truncate_with_a_css_tooltip(big_page):
    assert "overflow-wrap:anywhere" in big_page and ".cut:hover" in big_page and "text-overflow:ellipsis" in big_page
    assert big_page.count('<span class="cut">') > 60 and LONG_LABEL in big_page


def test_packet_filters_and_configured_links(page_text):
    assert "src host 10.0.0.5 and src port 41000" in page_text and "tcp.srcport == 41000" in page_text
    cfg = override(CFG, {"report": {"links": {
        "Arkime": "https://arkime.example/sessions?expression=communityId=={community_id}"}}})
    page = parse(render_html(report(), cfg))
    links = [dict(a)["href"] for tag, a in page.tags if tag == "a" and dict(a)["href"].startswith("https:")]
    assert "https://arkime.example/sessions?expression=communityId==1%3Atls%3D" in links
