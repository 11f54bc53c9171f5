"""Report writing scales with the report, not faster than it: one-pass escaping that writes exactly what the old
character-by-character escapers wrote, report.json built once and encoded in one walk (the same bytes as
``json.dumps(..., indent=2)``), and report.html rendering a bounded number of rows per host whatever the evidence.
No timing asserts: the properties that make writing cheap are checked instead (make bench measures the share)."""
from __future__ import annotations

import enum
import json
import math
import random
import re
from datetime import datetime, timezone

import numpy as np
import pytest
from synthetic_report import big_report, report

from pcap_analyzer.config import default_config
from pcap_analyzer.report import common
from pcap_analyzer.report import html as html_report
from pcap_analyzer.report import json_report, json_stream
from pcap_analyzer.report.common import display, escape_surrogates, escape_text, hex_escape, shorten
from pcap_analyzer.report.fallback_log import zeek_escape

CFG = default_config()
GENERATED = datetime(2026, 12, 6, 1, 0, tzinfo=timezone.utc)


# -- the escapers: the old per-character code is the oracle ------------------------------------------------------

def old_zeek_escape(text: str) -> str:
    if not text:
        return "(empty)"
    if text in ("-", "(empty)"):
        return f"\\x{ord(text[0]):02x}{text[1:]}"
    return "".join(hex_escape(c) if ord(c) < 0x20 or c in "\x7f\\" or 0xD800 <= ord(c) <= 0xDFFF else c for c in text)


def old_surrogates(text: str) -> str:
    return "".join(hex_escape(c) if 0xD800 <= ord(c) <= 0xDFFF else c for c in text)


def old_display(value, limit: int) -> str:
    return shorten(escape_text(str(value)), limit)


#: every control character, DEL, backslash, every lone surrogate, Latin-1, bidi controls, CJK, astral characters
SPECIAL = [chr(c) for c in (*range(0x00, 0x21), 0x5C, 0x7F, *range(0x80, 0x100), 0x202E, 0x2028, 0xFEFF, 0x4E2D,
                            0x1F600, 0x10FFFF)] + [chr(c) for c in range(0xD800, 0xE000)]


def corpus(n: int = 3000, seed: int = 12) -> list[str]:
    """Every special character alone, then random strings mixing them with plain ASCII (seeded: reproducible)."""
    rng = random.Random(seed)
    plain_ascii = [chr(c) for c in range(0x21, 0x7F)]
    out = ["", "-", "(empty)", "--", "(empty", "\\", "a\\b", *SPECIAL]
    for _ in range(n):
        pool = SPECIAL if rng.random() < 0.5 else plain_ascii
        out.append("".join(rng.choice(pool if rng.random() < 0.3 else plain_ascii) for _ in range(rng.randint(1, 40))))
    out.append(b"\xff\xfe\x80ab\xc3".decode("utf-8", "surrogateescape"))
    return out


def test_zeek_escape_matches_the_per_character_escaper():
    strings = corpus()
    assert [zeek_escape(s) for s in strings] == [old_zeek_escape(s) for s in strings]
    every = "".join(chr(c) for c in range(0x110000))  # every code point at once, surrogates included
    assert zeek_escape(every) == old_zeek_escape(every)


def test_surrogate_escape_matches_the_per_character_escaper():
    strings = corpus(seed=13)
    assert [escape_surrogates(s) for s in strings] == [old_surrogates(s) for s in strings]
    clean = "bücher.example \t\\"
    assert escape_surrogates(clean) is clean  # the fast path: no copy of a clean string


@pytest.mark.parametrize("limit", [0, 1, 2, 5, 17, 200])
def test_display_cuts_before_escaping_with_the_same_result(limit):
    strings = corpus(800, seed=limit)
    assert [display(s, limit) for s in strings] == [old_display(s, limit) for s in strings]


# -- report.json: one walk, the same bytes ---------------------------------------------------------------------

class Colour(enum.IntEnum):
    RED = 3


class Name(str):
    pass


def values(seed: int) -> list:
    """Nested values of every kind report.json's builder can meet (plain() turns them into JSON data)."""
    rng = random.Random(seed)
    leaves = [0, -1, 2 ** 70, 1.5, -0.0, 1e-7, 1e300, math.nan, math.inf, -math.inf, True, False, None, "", "x",
              "quote\"back\\slash\n", "bücher", "\ud800lone", np.float64(2.5), np.int64(7), np.bool_(True),
              np.float32(math.nan), b"\x00\xff", bytearray(b"ab"), Colour.RED, Name("sub"), datetime(2026, 1, 1)]

    def make(depth: int):
        roll = rng.random()
        if depth > 3 or roll < 0.4:
            return rng.choice(leaves)
        size = rng.randint(0, 4)
        if roll < 0.6:
            return [make(depth + 1) for _ in range(size)]
        if roll < 0.7:
            return tuple(make(depth + 1) for _ in range(size))
        if roll < 0.8:
            return {rng.choice(["a", "b", "c", "ü", ""]) for _ in range(size)} | {rng.randint(0, 5)}
        keys = [rng.choice(["k", "ts", 1, 1.5, True, None, "1", "ü"]) for _ in range(size)]
        return {k: make(depth + 1) for k in keys}

    return [make(0) for _ in range(300)]


@pytest.mark.parametrize("seed", range(4))
def test_one_walk_encoder_writes_what_json_dumps_writes(seed):
    for value in values(seed):
        assert json_stream.dumps(value, json_report.plain) == json.dumps(json_report.plain(value), indent=2,
                                                                         allow_nan=False)
        if isinstance(value, dict):
            assert "".join(json_stream.chunks(value, json_report.plain)) == json.dumps(
                json_report.plain(value), indent=2, allow_nan=False) + "\n"


def scaled_report():
    return big_report(tunnel_hosts=6, other_hosts=2, benign_hosts=30, extra=20)


@pytest.mark.parametrize("make", [report, scaled_report], ids=["small", "scaled"])
def test_report_text_is_byte_identical_to_the_indented_dump(make):
    rep = make()
    text = "".join(json_report.report_text(rep, GENERATED))
    assert text == json.dumps(json_report.report_json(rep, GENERATED), indent=2, allow_nan=False) + "\n"
    assert text == "".join(json_report.report_text(rep, GENERATED, max_hosts=10 ** 6)) or len(rep.hosts) > 1000


def test_report_tree_is_built_once_and_never_copied(tmp_path, monkeypatch):
    """write_json builds each host entry once and streams it: no plain() copy of the tree, no second build."""
    rep = scaled_report()
    built, copied = [], []
    host_json, plain = json_report.host_json, json_report.plain

    def counting_host_json(host, *args, **kwargs):
        built.append(host.ip)
        return host_json(host, *args, **kwargs)

    def counting_plain(value):
        if isinstance(value, (dict, list)):
            copied.append(type(value).__name__)
        return plain(value)

    monkeypatch.setattr(json_report, "host_json", counting_host_json)
    monkeypatch.setattr(json_report, "plain", counting_plain)
    pieces = list(json_report.report_text(rep, GENERATED))
    assert sorted(built) == sorted(h.ip for h in rep.hosts) and len(built) == len(set(built))  # each host once
    assert copied == []  # the tree is encoded as it is, never copied into plain data first
    assert len(pieces) > len(rep.hosts)  # streamed: one piece per host (and per other list element), not one string
    json_report.write_json(rep, tmp_path / "report.json")
    assert len(built) == 2 * len(rep.hosts)  # writing it again builds it once more, not twice more


# -- report.html: rows per host are capped, whatever the evidence ----------------------------------------------

def counted(module, name: str, run) -> tuple[object, int]:
    """``run()``'s result and how many times it called ``module.name``."""
    calls = 0
    real = getattr(module, name)

    def counting(*args):
        nonlocal calls
        calls += 1
        return real(*args)

    setattr(module, name, counting)
    try:
        return run(), calls
    finally:
        setattr(module, name, real)


def rendered_cells(rep) -> tuple[str, int]:
    """The page and how many values went through the escaper (its work)."""
    return counted(html_report, "display", lambda: html_report.render_html(rep, CFG, GENERATED))


def test_html_rows_are_capped_and_say_how_many_more():
    rc = CFG.report
    small, small_work = rendered_cells(big_report(tunnel_hosts=3, other_hosts=1, benign_hosts=5, extra=40))
    large, large_work = rendered_cells(big_report(tunnel_hosts=3, other_hosts=1, benign_hosts=5, extra=2000))
    # 50x the evidence per host, about the same number of values rendered (timeline labels placed where they fit)
    assert large_work <= 1.05 * small_work, (small_work, large_work)
    for page, extra in ((small, 40), (large, 2000)):
        for host in page.split('<details class="host"')[1:]:
            evidence = host[host.index("<h3>Evidence</h3>"):host.index("<h3>Packets</h3>")]
            assert evidence.count("<tr>") == 1 + rc.html_max_evidence  # the header and the capped rows
            assert f"{extra + 2 - rc.html_max_evidence} more indicators in report.json." in evidence
            answers = host[host.index("<h3>The four questions</h3>"):host.index("<h3>Evidence</h3>")]
            assert re.findall(r"<li>", answers).count("<li>") <= 4 * rc.html_max_items
            assert f"{extra - rc.html_max_items} more in report.json" in answers


def test_containment_lines_by_word_match_the_per_host_scan():
    lines = [("suricata", f'drop ip $HOME_NET any -> [198.51.100.{k % 7}] any (msg:"x {k}.evil.example"; '
                          f"sid:{9000000 + k};)") for k in range(200)]
    lines += [("zeek_intel", f"198.51.100.{k}\tIntel::ADDR\tfallback-hunt") for k in range(7)]
    index = html_report.ContainmentLines(lines)
    for peers in ({"198.51.100.3"}, {"5.evil.example", "198.51.100.6"}, {"nothing"}, set(), {"any", "x"}):
        assert index.mentioning(peers) == [(s, line) for s, line in lines
                                           if peers & set(re.split(r"[^\w.:-]+", line))]


# -- an indicator's details are made only as far as they are shown ---------------------------------------------

def old_human(key, value) -> str:
    if isinstance(value, dict):
        return "(" + ", ".join(f"{k} {old_human(str(k), v)}" for k, v in value.items()
                               if v not in ("", None, [], {})) + ")"
    if isinstance(value, (list, tuple, set, frozenset)):
        return ", ".join(old_human(key, v) for v in value)
    if (key == "ts" or key.endswith("_ts")) and isinstance(value, (int, float)) and not isinstance(value, bool):
        return common.iso_time(value)
    return str(value)


def old_evidence_text(evidence) -> str:
    return "; ".join(f"{k}={old_human(str(k), v)}" for k, v in evidence.items() if v not in ("", None, [], {}))


def evidences(seed: int) -> list[dict]:
    rng = random.Random(seed)
    words = ["", " ", ";", "; ", "x" * 30, "evil.example", "b\u00fccher", 1_700_000_000.25, 7, True, None, [], {}]

    def make(depth: int):
        roll = rng.random()
        if depth > 2 or roll < 0.5:
            return rng.choice(words)
        if roll < 0.75:
            return [make(depth + 1) for _ in range(rng.randint(0, 12))]
        return {rng.choice(["ts", "peer", "a b", "last_ts", "n"]): make(depth + 1) for _ in range(rng.randint(0, 5))}

    return [{rng.choice(["ts", "zone", "connections", "x", "first_ts"]) + str(k): make(0)
             for k in range(rng.randint(0, 6))} for _ in range(150)]


@pytest.mark.parametrize("limit", [0, 1, 40, 401])
def test_bounded_evidence_text_cuts_as_the_whole_text_does(limit):
    for evidence in evidences(limit):
        whole = old_evidence_text(evidence)
        assert common.evidence_text(evidence) == whole
        start = common.evidence_text(evidence, limit)
        assert whole.startswith(start) and (start == whole or len(start.rstrip("; ")) > limit)
        assert shorten(start, limit) == shorten(whole, limit)
        assert display(start.strip("; "), limit - 1 if limit else 0) == display(whole.strip("; "),
                                                                                limit - 1 if limit else 0)


def test_details_of_huge_evidence_are_made_only_as_far_as_shown():
    connections = [{"peer": f"192.0.2.{k % 250}", "port": 443, "ts": 1_700_000_000.0 + k} for k in range(100_000)]
    evidence = {"zone": "duckdns.org", "connections": connections}
    start, made = counted(common, "_human_scalar", lambda: common.evidence_text(evidence, 400))
    assert made < 100  # a few connections' worth, not 300,000 values
    head = {"zone": "duckdns.org", "connections": connections[:50]}  # the start of the whole text, made the old way
    assert old_evidence_text(head).startswith(start) and len(start) > 400
