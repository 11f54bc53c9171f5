"""fallback.log: Zeek's TSV format, read back by zat and by a zeek-cut equivalent (awk on #fields)."""
from __future__ import annotations

import shutil
import subprocess

import pandas as pd
import pytest
from synthetic_report import EVIL_QNAME, T0, report
from zat.log_to_dataframe import LogToDataFrame

from pcap_analyzer.config import default_config
from pcap_analyzer.model import Flow, HostReport, Indicator, Report
from pcap_analyzer.report.fallback_log import FIELDS, fallback_log, write_fallback_log, zeek_escape

CFG = default_config()
NAMES = [name for name, _ in FIELDS]


def rows(text: str) -> list[list[str]]:
    return [line.split("\t") for line in text.splitlines() if not line.startswith("#")]


def test_header_is_zeeks(tmp_path):
    text = fallback_log(report(), CFG, now=T0)
    head = text.splitlines()
    assert head[0] == "#separator \\x09"
    assert head[1:5] == ["#set_separator\t,", "#empty_field\t(empty)", "#unset_field\t-", "#path\tfallback"]
    assert head[5].startswith("#open\t") and len(head[5].split("\t")[1]) == len("2023-11-14-22-13-20")
    assert head[6].split("\t") == ["#fields", *NAMES]
    assert head[7].split("\t") == ["#types", "time", "string", "string", "addr", "port", "addr", "port",
                                   "string", "string", "string", "string"]
    assert head[-1].startswith("#close\t") and text.endswith("\n")
    assert all(len(r) == len(NAMES) for r in rows(text))


def test_one_row_per_indicator_joined_to_its_flow():
    rep = report()
    got = rows(fallback_log(rep, CFG))
    assert len(got) == sum(len(h.indicators) for h in rep.hosts)
    by_type = {r[NAMES.index("indicator")]: dict(zip(NAMES, r)) for r in got}
    fb = by_type["failed_then_fallback"]
    # the 4-tuple comes from the flow the indicator's uid names (the DNS flow), not from the indicator
    assert (fb["id.orig_h"], fb["id.orig_p"], fb["id.resp_h"], fb["id.resp_p"]) == \
        ("10.0.0.5", "5353", "198.51.100.7", "53")
    assert fb["uid"] == "CzeekDNS1" and fb["community_id"] == "1:dns="
    assert fb["primary"] == "203.0.113.10:443 tcp/tls S0"  # as the Zeek package writes channels
    assert fb["fallback"] == f"{EVIL_QNAME}:53 udp/dns"  # its domain is what it resolved
    assert fb["ts"] == f"{T0 + 55:.6f}"
    dyn = by_type["dynamic_dns"]  # no flow to join: host, unset port, the peer only if it is an address
    assert (dyn["id.orig_h"], dyn["id.orig_p"], dyn["id.resp_h"], dyn["id.resp_p"]) == ("10.0.0.9", "-", "-", "53")
    assert dyn["uid"] == "-" and dyn["primary"] == "home.dyndns.example:53 udp/-"
    assert dyn["fallback"] == "(empty)" and dyn["detail"] == "(empty)"
    assert [float(r[0]) for r in got] == sorted(float(r[0]) for r in got)


def test_zeek_escaping():
    assert zeek_escape("") == "(empty)"
    assert zeek_escape("-") == "\\x2d"
    assert zeek_escape("(empty)") == "\\x28empty)"
    assert zeek_escape("a\tb\nc\\d\x7f") == "a\\x09b\\x0ac\\x5cd\\x7f"
    assert zeek_escape("bücher.example") == "bücher.example"  # valid UTF-8 passes, as with LogAscii::enable_utf_8
    assert zeek_escape(b"\xff\xfeab".decode("utf-8", "surrogateescape")) == "\\xff\\xfeab"
    rep = report()  # an evidence key with a tab in it must not add a column
    assert all(len(r) == len(NAMES) for r in rows(fallback_log(rep, CFG)))
    assert any("txt\\x09records=8" in r[-1] for r in rows(fallback_log(rep, CFG)))


def _plain_report() -> Report:
    """Values that zat (pandas.read_csv) reads back unchanged: no escapes, no '#' or quotes."""
    flows = [Flow(uid=f"C{i}", ts=T0 + i, last_ts=T0 + i + 1, proto="udp", orig_h="10.1.0.2", orig_p=1000 + i,
                  resp_h="2001:db8::5", resp_p=53, community_id=f"1:cid{i}=") for i in range(3)]
    inds = [Indicator("dns_tunnel", "10.1.0.2", T0 + i, peer="2001:db8::5", port=53, proto="udp",
                      community_id=f"1:cid{i}=", evidence={"qname": f"q{i}.t.example", "entropy": 4.5},
                      uids=[f"C{i}"]) for i in range(3)]
    return Report(inputs=[], hosts=[HostReport("10.1.0.2", "escalate", 7.0, inds)], flows=flows)


def test_zat_reads_it_back(tmp_path):
    path = tmp_path / "fallback.log"
    write_fallback_log(_plain_report(), CFG, path)
    df = LogToDataFrame().create_dataframe(str(path), ts_index=False)
    assert list(df.columns) == NAMES and len(df) == 3
    assert list(df["ts"]) == [pd.to_datetime(T0 + i, unit="s") for i in range(3)]
    assert list(df["uid"]) == ["C0", "C1", "C2"]
    assert list(df["community_id"].astype(str)) == ["1:cid0=", "1:cid1=", "1:cid2="]
    assert list(df["id.orig_p"]) == [1000, 1001, 1002] and list(df["id.resp_p"]) == [53, 53, 53]
    assert set(df["id.resp_h"].astype(str)) == {"2001:db8::5"}
    assert list(df["detail"].astype(str)) == [f"qname=q{i}.t.example; entropy=4.5" for i in range(3)]
    assert list(df["primary"].astype(str)) == ["2001:db8::5:53 udp/-"] * 3
    assert list(df["fallback"].astype(str)) == ["(empty)"] * 3


@pytest.mark.skipif(shutil.which("awk") is None, reason="awk not installed")
def test_zeek_cut_equivalent(tmp_path):
    path = tmp_path / "fallback.log"
    write_fallback_log(report(), CFG, path)
    # zeek-cut id.orig_h indicator: find the columns by name in #fields, print them for every data row
    awk = ('BEGIN{FS=OFS="\\t"} /^#fields/{for(i=2;i<=NF;i++)col[$i]=i-1; next} /^#/{next} '
           '{print $col["id.orig_h"], $col["indicator"]}')
    out = subprocess.run(["awk", awk, str(path)], capture_output=True, text=True, check=True).stdout
    assert sorted(out.splitlines()) == sorted(["10.0.0.5\tfailed_then_fallback", "10.0.0.5\tdns_tunnel",
                                               "10.0.0.5\tnonstandard_port_encrypted", "10.0.0.9\tdynamic_dns"])


@pytest.mark.skipif(shutil.which("zeek-cut") is None, reason="zeek-cut not installed (it comes with Zeek)")
def test_real_zeek_cut_reads_it(tmp_path):
    path = tmp_path / "fallback.log"
    write_fallback_log(report(), CFG, path)
    out = subprocess.run(["zeek-cut", "id.orig_h", "indicator"], stdin=path.open("rb"), capture_output=True,
                         text=True, check=True).stdout
    assert sorted(out.splitlines()) == sorted(["10.0.0.5\tfailed_then_fallback", "10.0.0.5\tdns_tunnel",
                                               "10.0.0.5\tnonstandard_port_encrypted", "10.0.0.9\tdynamic_dns"])
