"""Zeek logs through zat (pcap_analyzer.sources.zeeklogs): real Zeek 7 logs of the shared captures, JSON and .gz
variants, hostile field values, the join to the analyzer's flows, Zeek findings as indicators and sensor-only flows."""
from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from conftest import SHARED_PCAPS, SHARED_ZEEK_LOGS
from pcap_analyzer.sources import zeekfindings, zeekflows, zeekjoin, zeeklogs
from pcap_analyzer.config import load_config
from pcap_analyzer.errors import InputError
from pcap_analyzer.homenet import HomeNet
from pcap_analyzer.model import CaptureInfo, Flow

CFG = load_config()
HOME = HomeNet(CFG.home_net.cidrs)
LOG_DIRS = sorted(p for p in SHARED_ZEEK_LOGS.iterdir() if p.is_dir()) if SHARED_ZEEK_LOGS.is_dir() else []
needs_shared = pytest.mark.skipif(not LOG_DIRS, reason="../shared/zeek-logs is not present beside the repository")


def data_lines(path: Path) -> list[list[str]]:
    """The data rows of a Zeek TSV log, split on tabs, read without zat."""
    return [line.rstrip("\n").split("\t") for line in path.read_text().splitlines(keepends=True)
            if line.strip() and not line.startswith("#")]


def header_fields(path: Path) -> tuple[list[str], list[str]]:
    lines = path.read_text().splitlines()
    names = next(line for line in lines if line.startswith("#fields")).split("\t")[1:]
    types = next(line for line in lines if line.startswith("#types")).split("\t")[1:]
    return names, types


def write_tsv(path: Path, log: str, columns: list[tuple[str, str]], rows: list[list[str]]) -> Path:
    """A Zeek TSV log as Zeek writes it (header, rows, #close)."""
    head = ["#separator \\x09", "#set_separator\t,", "#empty_field\t(empty)", "#unset_field\t-", f"#path\t{log}",
            "#open\t2026-01-01-00-00-00", "#fields\t" + "\t".join(n for n, _ in columns),
            "#types\t" + "\t".join(t for _, t in columns)]
    path.write_text("\n".join([*head, *("\t".join(r) for r in rows), "#close\t2026-01-01-00-00-01"]) + "\n")
    return path


def tsv_to_json(src: Path, dst: Path) -> Path:
    """Zeek's JSON writer's view of a TSV log: unset fields omitted, numbers as numbers, sets as lists."""
    names, types = header_fields(src)
    out = []
    for row in data_lines(src):
        rec: dict[str, object] = {}
        for name, zeek_type, value in zip(names, types, row):
            if value == "-":
                continue
            if zeek_type in ("time", "interval", "double"):
                rec[name] = float(value)
            elif zeek_type in ("count", "int", "port"):
                rec[name] = int(value)
            elif zeek_type == "bool":
                rec[name] = value == "T"
            elif zeek_type.startswith(("set[", "vector[")):
                rec[name] = [] if value == "(empty)" else value.split(",")
            else:
                rec[name] = value
        out.append(json.dumps(rec))
    dst.write_text("\n".join(out) + "\n")
    return dst


def gzipped(src: Path, dst: Path) -> Path:
    dst.write_bytes(gzip.compress(src.read_bytes()))
    return dst


def flow_view(flows: list[Flow]) -> list[tuple]:
    return [(f.uid, round(f.ts, 6), round(f.last_ts, 6), f.proto, f.orig_h, f.orig_p, f.resp_h, f.resp_p,
             f.community_id, f.conn_state, f.history, f.service, f.orig_bytes, f.resp_bytes, f.orig_pkts,
             f.resp_pkts, [(m.qname, m.qtype_name, m.rcode_name, m.answers) for m in f.dns],
             f.tls.sni if f.tls else None) for f in flows]


# ------------------------------------------------------------------------------------------ real Zeek 7 logs


@needs_shared
@pytest.mark.parametrize("folder", LOG_DIRS, ids=lambda p: p.name)
def test_every_conn_log_loads_with_one_flow_per_line(folder: Path) -> None:
    logs = zeeklogs.read_logs(folder)
    rows = data_lines(folder / "conn.log")
    assert logs.conn is not None and len(logs.conn) == len(rows)
    flows = zeekflows.flows_from_logs(logs, CFG)
    assert len(flows) == len(rows)
    assert [f.uid for f in flows] == [r[1] for r in rows]
    assert all(f.community_id.startswith("1:") for f in flows)
    for name in ("dns", "ssl", "notice", "weird"):
        if (folder / f"{name}.log").exists():
            assert len(getattr(logs, name)) == len(data_lines(folder / f"{name}.log"))


@needs_shared
def test_sensor_only_flows_carry_dns_and_tls_from_the_logs() -> None:
    flows = zeekflows.flows_from_logs(zeeklogs.read_logs(SHARED_ZEEK_LOGS / "ndpi-tls_port_80"), CFG)
    (flow,) = flows
    assert (flow.service, flow.conn_state, flow.history, flow.resp_p) == ("tls", "S1", "ShDd", 80)
    assert flow.tls is not None and flow.tls.version == "TLSv12" and flow.tls.sni == ""
    dns_flows = zeekflows.flows_from_logs(zeeklogs.read_logs(SHARED_ZEEK_LOGS / "suricata-verify-dns-udp-null"), CFG)
    messages = [m for f in dns_flows for m in f.dns]
    assert any(m.qtype_name == "NULL" for m in messages)
    assert {m.is_response for m in messages} == {False, True}
    assert all(m.rcode == -1 for m in messages if not m.is_response)


def analyzer_flows(capture: Path) -> list[Flow]:
    reader = pytest.importorskip("pcap_analyzer.capture.reader")
    flows_mod = pytest.importorskip("pcap_analyzer.flows")
    table = flows_mod.FlowTable(CFG)
    for batch in reader.read_capture(capture, CFG, CaptureInfo(str(capture))):
        table.add(batch)
    return table.finish()


def shared_capture(name: str) -> Path | None:
    for kind in ("benign", "malicious"):
        for p in (SHARED_PCAPS / kind).glob(f"{name}.pcap*"):
            return p
    return None


@needs_shared
@pytest.mark.parametrize("folder", LOG_DIRS, ids=lambda p: p.name)
def test_conn_log_joins_the_analyzer_flows_of_the_same_capture(folder: Path) -> None:
    capture = shared_capture(folder.name)
    if capture is None:
        pytest.skip(f"no capture for {folder.name}")
    flows = analyzer_flows(capture)
    zeekjoin.attach_uids(flows, zeeklogs.read_logs(folder))
    joined = {u for f in flows for u in f.zeek_uids}
    conn_uids = {r[1] for r in data_lines(folder / "conn.log")}
    assert joined <= conn_uids
    assert len(joined) >= 0.95 * len(conn_uids), f"only {len(joined)}/{len(conn_uids)} conn.log lines joined"


@needs_shared
def test_join_falls_back_to_the_five_tuple_without_community_id(tmp_path: Path) -> None:
    folder = SHARED_ZEEK_LOGS / "zeek-http-bro.org"
    capture = shared_capture(folder.name)
    if capture is None:
        pytest.skip("capture missing")
    names, types = header_fields(folder / "conn.log")
    keep = [i for i, n in enumerate(names) if n != "community_id"]
    write_tsv(tmp_path / "conn.log", "conn", [(names[i], types[i]) for i in keep],
              [[row[i] for i in keep] for row in data_lines(folder / "conn.log")])
    with_cid, without_cid = analyzer_flows(capture), analyzer_flows(capture)
    zeekjoin.attach_uids(with_cid, zeeklogs.read_logs(folder))
    zeekjoin.attach_uids(without_cid, zeeklogs.read_logs(tmp_path))
    assert [f.zeek_uids for f in without_cid] == [f.zeek_uids for f in with_cid]
    assert any(f.zeek_uids for f in with_cid)


# ------------------------------------------------------------------------------------- formats and pitfalls


@needs_shared
@pytest.mark.parametrize("variant", ["json", "tsv.gz", "json.gz"])
def test_json_and_gz_read_the_same_as_tsv(tmp_path: Path, variant: str) -> None:
    source = SHARED_ZEEK_LOGS / "ndpi-emotet"  # conn + ssl, sets, unset fields
    folder = tmp_path / variant
    folder.mkdir()
    for name in ("conn", "ssl"):
        src = source / f"{name}.log"
        if variant.startswith("json"):
            src = tsv_to_json(src, tmp_path / f"{name}.json.log")
        target = folder / f"{name}.log"
        if variant.endswith(".gz"):
            gzipped(src, folder / f"{name}.log.gz")
        else:
            target.write_bytes(src.read_bytes())
    expected = flow_view(zeekflows.flows_from_logs(zeeklogs.read_logs(source), CFG))
    assert flow_view(zeekflows.flows_from_logs(zeeklogs.read_logs(folder), CFG)) == expected


DNS_COLUMNS = [("ts", "time"), ("uid", "string"), ("id.orig_h", "addr"), ("id.orig_p", "port"),
               ("id.resp_h", "addr"), ("id.resp_p", "port"), ("proto", "enum"), ("trans_id", "count"),
               ("rtt", "interval"), ("query", "string"), ("qtype", "count"), ("qtype_name", "string"),
               ("rcode", "count"), ("rcode_name", "string"), ("answers", "vector[string]")]


def test_hostile_field_text_is_kept_literally(tmp_path: Path) -> None:
    """'#', '"' and NA-like words are ordinary characters in Zeek TSV; zat's read_csv defaults would eat them."""
    hostile = ['a#b.example.com', 'say"hi".example.com', 'NA', 'null', 'nan', '"', '#close']
    rows = [[f"1700000000.{i:06d}", f"Cq{i}", "10.0.0.1", "5353", "10.0.0.2", "53", "udp", str(i), "0.01", q, "1",
             "A", "0", "NOERROR", "1.2.3.4"] for i, q in enumerate(hostile)]
    write_tsv(tmp_path / "dns.log", "dns", DNS_COLUMNS, rows)
    logs = zeeklogs.read_logs(tmp_path)
    assert list(logs.dns["query"]) == hostile
    assert list(logs.dns["uid"]) == [f"Cq{i}" for i in range(len(hostile))]


def test_unset_and_empty_fields(tmp_path: Path) -> None:
    rows = [["1700000000.5", "Cx", "10.0.0.1", "40000", "10.0.0.2", "53", "udp", "7", "-", "example.com", "16",
             "TXT", "-", "-", "(empty)"]]
    write_tsv(tmp_path / "dns.log", "dns", DNS_COLUMNS, rows)
    messages = zeekflows._dns_by_uid(zeeklogs.read_logs(tmp_path).dns)["Cx"]
    assert [(m.is_response, m.qname, m.qtype_name, m.answers) for m in messages] == [(False, "example.com", "TXT", [])]


@pytest.mark.parametrize("block", [7, 64, 1 << 24])
@pytest.mark.parametrize("ending", [b"\n", b""], ids=["newline", "no-final-newline"])
def test_tsv_counts_block_by_block_match_a_line_by_line_count(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                              block: int, ending: bytes) -> None:
    """The data lines and the misshapen ones of a TSV log are counted over blocks of whole lines (a 1M-line conn.log
    made a 1.2 GB running count of its tabs: 2.75 GB peak, 20 s): with blocks of 7 and 64 bytes (most lines longer
    than a block) and one block, the counts are those of a plain line-by-line count."""
    source = SHARED_ZEEK_LOGS / "zeek-wikipedia" / "conn.log"
    if not source.is_file():
        pytest.skip("../shared/zeek-logs is not present")
    lines = source.read_bytes().splitlines()
    data = [i for i, ln in enumerate(lines) if ln and not ln.startswith(b"#")]
    lines[data[2]] = b"\t".join(lines[data[2]].split(b"\t")[:3])
    lines[data[5]] += b"\tmore"
    lines.insert(data[7], b"")  # a blank line is not a misshapen one
    lines[-1] = lines[data[-1]] + b"\t"  # the last line (no #close), misshapen and maybe without its newline
    log = tmp_path / "conn.log"
    log.write_bytes(b"\n".join(lines) + ending)
    names = next(ln for ln in lines if ln.startswith(b"#fields")).split(b"\t")[1:]
    header = next(i for i, ln in enumerate(lines) if not ln.startswith(b"#"))
    expected = sum(1 for ln in lines if ln and not ln.startswith(b"#") and ln.count(b"\t") != len(names) - 1)
    monkeypatch.setattr(zeeklogs, "SCAN_BYTES", block)
    assert zeeklogs._tsv_layout(log) == ([n.decode() for n in names], header, len(lines) - header)
    assert zeeklogs._misshapen_rows(log, len(names)) == expected == 3


def test_a_large_tsv_log_is_read_in_bounded_memory(tmp_path: Path) -> None:
    """A conn.log of 600,000 lines (96 MB) is read in a child process: its peak RSS stays far below the 2.75 GB a
    million lines took with the whole-file tab count (now about 700 MB for a million lines, pandas' frame included)."""
    import subprocess
    import sys

    row = ("1700000000.000000\tC{:016d}\t10.0.0.1\t1024\t192.0.2.1\t443\ttcp\tssl\t0.1\t10\t20\tSF\tT\tF\t0"
           "\tShADadFf\t5\t300\t5\t400\t(empty)\t1:abcdefghijklmnopqrstuvwxyz0=\t-\n")
    fields = ["ts", "uid", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "proto", "service", "duration",
              "orig_bytes", "resp_bytes", "conn_state", "local_orig", "local_resp", "missed_bytes", "history",
              "orig_pkts", "orig_ip_bytes", "resp_pkts", "resp_ip_bytes", "tunnel_parents", "community_id",
              "speculative_service"]
    types = ["time", "string", "addr", "port", "addr", "port", "enum", "string", "interval", "count", "count",
             "string", "bool", "bool", "count", "string", "count", "count", "count", "count", "set[string]",
             "string", "string"]
    with (tmp_path / "conn.log").open("w") as out:
        out.write("#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tconn\n")
        out.write("#fields\t" + "\t".join(fields) + "\n#types\t" + "\t".join(types) + "\n")
        out.writelines(row.format(i) for i in range(600_000))
    code = ("import resource, sys; from pathlib import Path; from pcap_analyzer.sources import zeeklogs; "
            "logs = zeeklogs.read_logs(Path(sys.argv[1])); "
            "print(len(logs.conn), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)")
    rows, peak_mb = map(int, subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True,
                                             text=True, check=True, timeout=300).stdout.split())
    assert rows == 600_000
    assert peak_mb < 900, peak_mb  # the whole-file count alone was 8 bytes per byte of the log: 770 MB here


def test_header_only_log_has_no_rows(tmp_path: Path) -> None:
    write_tsv(tmp_path / "conn.log", "conn", [("ts", "time"), ("uid", "string")], [])
    logs = zeeklogs.read_logs(tmp_path)
    assert logs.conn is not None and len(logs.conn) == 0
    assert zeekflows.flows_from_logs(logs, CFG) == []


@pytest.mark.parametrize(("setup", "message"), [
    (lambda d: d / "missing", "does not exist"),
    (lambda d: (d / "file.txt").write_text("x") and d / "file.txt", "not a directory"),
    (lambda d: d, "has no Zeek logs"),
])
def test_bad_directory_is_one_line_input_error(tmp_path: Path, setup, message: str) -> None:
    with pytest.raises(InputError, match=message) as err:
        zeeklogs.read_logs(setup(tmp_path))
    assert "\n" not in str(err.value)


@pytest.mark.parametrize(("name", "content", "message"), [
    ("conn.log", b"hello world\n", "not a Zeek log"),
    ("conn.log", b"#separator \\x09\n#path\tconn\n1\t2\n", "without a #fields header"),  # zat would loop forever
    ("conn.log.gz", b"not gzip at all", "not a Zeek log"),  # gzip is known by its magic bytes, not the name
    ("conn.log.gz", b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03" + b"\xff" * 64, "corrupt gzip data"),
    ("conn.log", b'{"ts": "2024-01-01T00:00:00Z", "uid": "C1"}\n', "unreadable Zeek log"),
    ("conn.log", b'{"ts": 1.0, "uid": \n', "unreadable Zeek log"),
])
def test_unreadable_log_is_one_line_input_error(tmp_path: Path, name: str, content: bytes, message: str) -> None:
    (tmp_path / name).write_bytes(content)
    with pytest.raises(InputError, match=message) as err:
        zeeklogs.read_logs(tmp_path)
    assert "\n" not in str(err.value)


def test_bad_value_in_typed_column_is_input_error(tmp_path: Path) -> None:
    write_tsv(tmp_path / "conn.log", "conn", [("ts", "time"), ("uid", "string"), ("orig_bytes", "count")],
              [["1700000000.0", "C1", "lots"]])
    with pytest.raises(InputError, match="unreadable"):
        zeeklogs.read_logs(tmp_path)


# ---------------------------------------------------------------------------------------------- indicators


FALLBACK_COLUMNS = [("ts", "time"), ("uid", "string"), ("community_id", "string"), ("id.orig_h", "addr"),
                    ("id.orig_p", "port"), ("id.resp_h", "addr"), ("id.resp_p", "port"), ("indicator", "string"),
                    ("primary", "string"), ("fallback", "string"), ("detail", "string")]
NOTICE_COLUMNS = [("ts", "time"), ("uid", "string"), ("id.orig_h", "addr"), ("id.orig_p", "port"),
                  ("id.resp_h", "addr"), ("id.resp_p", "port"), ("proto", "enum"), ("note", "enum"),
                  ("msg", "string"), ("sub", "string"), ("src", "addr"), ("dst", "addr"), ("p", "port"),
                  ("community_id", "string")]


def synthetic_findings(folder: Path) -> None:
    write_tsv(folder / "fallback.log", "fallback", FALLBACK_COLUMNS, [
        ["1700000100.0", "CTun1", "1:tun", "10.1.1.1", "5353", "10.1.0.53", "53", "dns_tunnel", "dns t.example",
         "(empty)", "40 queries"],
        ["1700000200.0", "CFb1", "1:fb", "10.1.1.1", "50000", "203.0.113.9", "8443", "failed_then_fallback",
         "203.0.113.9:443 tcp/- S0", "203.0.113.9:8443 tcp/ssl", "3 failed attempts"],
        ["1700000300.0", "CX", "-", "10.1.1.1", "1", "203.0.113.1", "1", "not_an_indicator", "x", "y", "z"],
    ])
    write_tsv(folder / "notice.log", "notice", NOTICE_COLUMNS, [
        ["1700000100.0", "CTun1", "10.1.1.1", "5353", "10.1.0.53", "53", "udp", "FallbackChannels::DNS_Tunnel",
         "dns_tunnel: dns t.example", "40 queries", "10.1.1.1", "10.1.0.53", "53", "1:tun"],
        ["1700000400.0", "CSsl", "10.1.1.2", "40000", "198.51.100.7", "8080", "tcp", "ProtocolDetector::Protocol_Found",
         "SSL on port 8080/tcp", "SSL", "10.1.1.2", "198.51.100.7", "8080", "-"],
        ["1700000500.0", "CHttp", "10.1.1.3", "40001", "198.51.100.8", "4444", "tcp",
         "ProtocolDetector::Server_Found", "HTTP server", "HTTP", "198.51.100.8", "198.51.100.8", "4444", "-"],
        ["1700000600.0", "CScan", "10.1.1.4", "1", "198.51.100.9", "1", "tcp", "Scan::Port_Scan", "scan", "-",
         "10.1.1.4", "-", "-", "-"],
    ])
    write_tsv(folder / "conn.log", "conn", [("ts", "time"), ("uid", "string"), ("id.orig_h", "addr"),
                                            ("id.orig_p", "port"), ("id.resp_h", "addr"), ("id.resp_p", "port"),
                                            ("proto", "enum"), ("community_id", "string")], [
        ["1700000400.0", "CSsl", "10.1.1.2", "40000", "198.51.100.7", "8080", "tcp", "1:ssl"],
    ])
    write_tsv(folder / "weird.log", "weird", [("ts", "time"), ("uid", "string"), ("name", "string")], [
        ["1700000400.1", "CSsl", "bad_TCP_checksum"], ["1700000700.0", "CAlone", "dns_unmatched_msg"],
    ])


def test_zeek_findings_become_indicators(tmp_path: Path) -> None:
    synthetic_findings(tmp_path)
    flow = Flow(uid="Canalyzer", ts=1700000399.9, last_ts=1700000401.0, proto="tcp", orig_h="10.1.1.2",
                orig_p=40000, resp_h="198.51.100.7", resp_p=8080, community_id="1:ssl")
    indicators = zeekfindings.zeek_indicators(zeeklogs.read_logs(tmp_path), [flow], HOME, CFG)
    by_type = {i.type: i for i in indicators}
    assert sorted(by_type) == ["dns_tunnel", "failed_then_fallback", "nonstandard_port_encrypted",
                               "protocol_port_mismatch"]
    assert len(indicators) == 4  # the dns_tunnel line and its notice are one indicator
    assert all(i.source == "zeek" for i in indicators)
    tunnel = by_type["dns_tunnel"]
    assert [e["zeek_log"] for e in tunnel.evidence["zeek"]] == ["fallback", "notice"]
    fallback = by_type["failed_then_fallback"]
    assert (fallback.host, fallback.peer, fallback.port, fallback.community_id) == ("10.1.1.1", "203.0.113.9", 8443,
                                                                                     "1:fb")
    assert fallback.evidence["zeek"][0]["fallback"] == "203.0.113.9:8443 tcp/ssl"
    ssl = by_type["nonstandard_port_encrypted"]  # joined to the analyzer flow through conn.log's community_id
    assert ssl.uids == ["CSsl", "Canalyzer"] and ssl.community_id == "1:ssl" and not ssl.evidence["zeek_only"]
    assert ssl.evidence["zeek_weird"] == ["bad_TCP_checksum"]
    assert by_type["protocol_port_mismatch"].evidence["zeek_only"]
    assert (by_type["protocol_port_mismatch"].host, by_type["protocol_port_mismatch"].port) == ("10.1.1.3", 4444)


@needs_shared
def test_protocol_detector_notice_of_a_real_capture_joins_its_flow() -> None:
    folder = SHARED_ZEEK_LOGS / "ndpi-tls_port_80"
    capture = shared_capture(folder.name)
    if capture is None:
        pytest.skip("capture missing")
    flows = analyzer_flows(capture)
    logs = zeeklogs.read_logs(folder)
    zeekjoin.attach_uids(flows, logs)
    (indicator,) = zeekfindings.zeek_indicators(logs, flows, HOME, CFG)  # Protocol_Found + Server_Found: one finding
    assert indicator.type == "nonstandard_port_encrypted" and indicator.port == 80
    assert not indicator.evidence["zeek_only"]
    assert any(f.uid in indicator.uids for f in flows)
    assert len(indicator.evidence["zeek"]) == 2


def test_without_findings_there_are_no_indicators(tmp_path: Path) -> None:
    write_tsv(tmp_path / "conn.log", "conn", [("ts", "time"), ("uid", "string")], [["1700000000.0", "C1"]])
    assert zeekfindings.zeek_indicators(zeeklogs.read_logs(tmp_path), [], HOME, CFG) == []


def test_json_lines_that_are_not_objects_are_skipped_and_counted(tmp_path: Path) -> None:
    """issue 13: a JSON log line that is null, an array, damaged or nested too deep is skipped with a count."""
    good = '{"ts": 1700000000.5, "uid": "C1", "id.orig_h": "10.0.0.1", "id.orig_p": 1, "id.resp_h": "1.1.1.1", ' \
           '"id.resp_p": 53, "proto": "udp"}'
    (tmp_path / "conn.log").write_text("\n".join([good, "null", "[1, 2]", "{broken", "[" * 100_000, good]) + "\n")
    logs = zeeklogs.read_logs(tmp_path)
    assert len(logs.conn) == 2
    (note,) = logs.notes
    assert "4 lines skipped" in note and "2 not JSON" in note and "2 not a JSON object" in note


def test_tsv_lines_with_the_wrong_field_count_are_skipped_and_counted(tmp_path: Path) -> None:
    """issue 13: a TSV line cut short or with extra fields (a damaged or hand-edited log) is skipped with a count,
    not read into shifted columns and not fatal; the other lines are read as they are."""
    source = SHARED_ZEEK_LOGS / "zeek-wikipedia" / "conn.log"
    if not source.is_file():
        pytest.skip("../shared/zeek-logs is not present")
    lines = source.read_text().splitlines()
    data = [i for i, ln in enumerate(lines) if ln and not ln.startswith("#")]
    damaged = list(lines)
    damaged[data[1]] = "\t".join(lines[data[1]].split("\t")[:5])  # cut short
    damaged[data[3]] = lines[data[3]] + "\textra\tfields"  # too long
    (tmp_path / "conn.log").write_text("\n".join(damaged) + "\n")
    whole = zeeklogs.read_logs(source.parent)
    logs = zeeklogs.read_logs(tmp_path)
    assert len(logs.conn) == len(whole.conn) - 2
    (note,) = logs.notes
    assert "2 lines skipped" in note and "tab-separated fields" in note
    kept = set(logs.conn["uid"])  # uid is the second column
    assert lines[data[1]].split("\t")[1] not in kept and lines[data[2]].split("\t")[1] in kept
