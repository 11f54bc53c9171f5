"""The flow store (bounded.py): detection per group of hosts over stored flows gives the results of one pass over
every flow, the reports get the flows they show, and --flows-out is conn.log-like Parquet DuckDB reads."""
from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import pytest

from conftest import REPO, SCENARIOS, SHARED_PCAPS
from pcap_analyzer.config import default_config, override
from pcap_analyzer.flows.store import FlowStore, bucket_of
from pcap_analyzer.homenet import HomeNet
from pcap_analyzer.pipeline import analyze, read_flows
from pcap_analyzer.report.common import flow_index, flows_by_host
from pcap_analyzer.report.html import detailed_hosts, host_view, render_html
from pcap_analyzer.report.json_report import report_json

WHEN = datetime(2026, 1, 1, tzinfo=timezone.utc)


def _sets() -> list[tuple[str, list[Path]]]:
    """Several captures analysed as one (many hosts, so many buckets and groups)."""
    out = [("scenarios", sorted(SCENARIOS.glob("*.pcap")))]
    for corpus in ("malicious", "benign"):
        found = sorted(p for p in (SHARED_PCAPS / corpus).glob("*") if p.suffix in (".pcap", ".pcapng", ".gz"))
        if found:
            out.append((corpus, found))
    return out


def _run(captures: list[Path], **pipeline: object):
    cfg = override(default_config(), {"pipeline": pipeline})
    report = analyze(captures, cfg, HomeNet(cfg.home_net.cidrs))
    return report, report_json(report, WHEN), render_html(report, cfg, WHEN)


@pytest.mark.parametrize("name,captures", _sets(), ids=[n for n, _ in _sets()])
def test_groups_of_hosts_give_the_results_of_one_pass(name: str, captures: list[Path]) -> None:
    whole, whole_json, whole_html = _run(captures, store=False)
    # every bucket its own group, and buckets of few hosts: cross-host facts must come from the Facts pass
    grouped, grouped_json, grouped_html = _run(captures, store_buckets=16, store_bucket_capture_mb=0.0,
                                               store_group_flows=1, store_flush_flows=7)
    assert grouped_json == whole_json
    assert grouped_html == whole_html
    # the default: every flow fits one group, so the flows are held as they are (bounded.Held), never stored
    held, held_json, held_html = _run(captures, store_flush_flows=1)
    assert (held_json, held_html) == (whole_json, whole_html)
    assert [f.uid for f in held.flows] == [f.uid for f in grouped.flows]
    assert {ip: v.timeline for ip, v in held.views.items()} == {ip: v.timeline for ip, v in grouped.views.items()}
    assert grouped.flow_count == len(whole.flows) and grouped.total_flows == whole.total_flows
    # Report.flows: only the evidence the writers join, a strict subset when some host is benign
    shown = {f.uid for f in grouped.flows}
    assert [f.uid for f in whole.flows if f.uid in shown] == [f.uid for f in grouped.flows]
    assert flow_index(grouped.flows).keys() <= flow_index(whole.flows).keys()
    # report.html's hosts: views made from every flow of theirs, as the writer makes them from every flow
    cfg, index, by_host = default_config(), flow_index(whole.flows), flows_by_host(whole.flows)
    detailed = detailed_hosts(whole.hosts, cfg)
    assert whole.views is None and sorted(grouped.views) == sorted(h.ip for h in detailed)
    for host in detailed:
        want, got = host_view(host, by_host.get(host.ip, []), index, cfg), grouped.views[host.ip]
        assert got.timeline == want.timeline and [f.uid for f in got.flows] == [f.uid for f in want.flows]
    for host in whole.hosts:
        for ind in host.indicators:
            assert any(uid in shown for uid in ind.uids if uid.startswith("C")) or not ind.uids
    if any(h.verdict == "benign" and not h.indicators for h in whole.hosts):
        assert len(grouped.flows) < len(whole.flows)


def test_flows_are_held_while_they_fit_one_group_then_all_go_to_the_store(monkeypatch: pytest.MonkeyPatch) -> None:
    stored: list[int] = []
    original = FlowStore.add
    monkeypatch.setattr(FlowStore, "add", lambda self, flows, hosts: stored.append(len(flows)) or
                        original(self, flows, hosts))
    captures = sorted(SCENARIOS.glob("fallback_*.pcap"))
    held = _run(captures, annotate_batch=1)
    assert stored == [] and held[0].flow_count > 10
    spilled = _run(captures, annotate_batch=1, store_group_flows=10)
    assert len(stored) > 1 and sum(stored) == held[0].flow_count  # what was held, then every later batch
    assert spilled[1:] == held[1:]


def test_pyarrow_is_imported_only_once_flows_leave_memory(tmp_path: Path) -> None:
    """The flow store is Arrow, and pyarrow's import is about 70 ms of every run: a capture whose flows are held
    never imports it; one that spills to the store, or --flows-out, does, and the reports are the same."""
    captures = [str(p) for p in sorted(SCENARIOS.glob("fallback_*.pcap"))]
    probe = ("import json, sys\n"
             "from pcap_analyzer.cli import main\n"
             "rc = main(sys.argv[1:])\n"
             "print(json.dumps([rc, 'pyarrow' in sys.modules]))\n")
    (tmp_path / "spill.toml").write_text("[pipeline]\nstore_group_flows = 10\n")
    runs = {}
    for name, extra in (("held", []), ("spilled", ["--config", str(tmp_path / "spill.toml")]),
                        ("flows-out", ["--flows-out", str(tmp_path / "flows")])):
        out = tmp_path / name
        proc = subprocess.run([sys.executable, "-c", probe, "analyze", *captures, "-o", str(out), "-q", *extra],
                              capture_output=True, text=True, cwd=REPO)
        rc, imported = json.loads(proc.stdout.splitlines()[-1])
        report = json.loads((out / "report.json").read_text())
        runs[name] = (rc, imported, [(h["ip"], h["verdict"], h["score"]) for h in report["hosts"]])
    assert runs["held"][1] is False
    assert runs["spilled"][1] is True and runs["flows-out"][1] is True
    assert runs["held"][0] == 1 and any(v == "escalate" for _, v, _ in runs["held"][2])
    assert runs["spilled"][::2] == runs["flows-out"][::2] == runs["held"][::2]


def test_store_keeps_a_host_in_one_bucket(tmp_path: Path) -> None:
    flow_list = read_flows([SCENARIOS / "demo_office.pcap"], default_config())[1]
    store = FlowStore(tmp_path, 8, 5)
    hosts = [f.orig_h for f in flow_list]
    store.add(flow_list, hosts)
    store.close()
    assert store.total == len(flow_list) == int(store.rows.sum())
    for group in store.groups(1):
        table = store.read(group)
        assert set(table.column("bucket").to_pylist()) <= set(group)
        assert all(bucket_of(h, 8) in group for h in table.column("host").to_pylist())
    assert sum(t.num_rows for t in store.tables()) == len(flow_list)


def test_flows_out_is_conn_log_parquet_duckdb_reads(tmp_path: Path) -> None:
    capture = SCENARIOS / "demo_office.pcap"
    out, flows_dir = tmp_path / "out", tmp_path / "flows"
    proc = subprocess.run([sys.executable, "-m", "pcap_analyzer", "analyze", str(capture), "-o", str(out),
                           "--flows-out", str(flows_dir), "--quiet"], capture_output=True, text=True, cwd=REPO)
    assert proc.returncode in (0, 1), proc.stderr
    report = json.loads((out / "report.json").read_text())
    con = duckdb.connect()
    rows = con.execute(f"SELECT count(*), count(DISTINCT uid), sum(orig_pkts + resp_pkts) "
                       f"FROM read_parquet('{flows_dir}/*.parquet')").fetchone()
    cfg = default_config()
    flow_list = read_flows([capture], cfg)[1]
    assert rows == (len(flow_list), len(flow_list), report["inputs"][0]["packets"])
    columns = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM read_parquet('{flows_dir}/*.parquet')").fetchall()]
    assert columns[:18] == ["ts", "uid", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "proto", "service",
                            "duration", "orig_bytes", "resp_bytes", "conn_state", "history", "orig_pkts",
                            "orig_ip_bytes", "resp_pkts", "resp_ip_bytes", "community_id"]
    # the escalated host's evidence flow, found by the report's Community ID, as an analyst would
    host = next(h for h in report["hosts"] if h["verdict"] == "escalate")
    ind = next(i for i in host["indicators"] if i["type"] == "failed_then_fallback")
    cid = ind["community_id"]
    found = con.execute(f"""SELECT "id.orig_h", "id.resp_p", proto, tls.sni, host FROM read_parquet('{flows_dir}/*.parquet')
                            WHERE community_id = ? ORDER BY ts""", [cid]).fetchall()
    flow = next(f for f in flow_list if f.community_id == cid)
    assert found[0] == (flow.orig_h, flow.resp_p, flow.proto, flow.tls.sni if flow.tls else None, host["ip"])
    dns = con.execute(f"""SELECT count(*) FROM (SELECT unnest(dns) AS m FROM read_parquet('{flows_dir}/*.parquet'))
                          WHERE m.rcode_name = 'NXDOMAIN'""").fetchone()[0]
    assert dns == sum(1 for f in flow_list for m in f.dns if m.rcode_name == "NXDOMAIN") > 0
    # a second run replaces the files, it does not add to them
    subprocess.run([sys.executable, "-m", "pcap_analyzer", "analyze", str(capture), "-o", str(out),
                    "--flows-out", str(flows_dir), "--quiet"], capture_output=True, text=True, cwd=REPO)
    assert con.execute(f"SELECT count(*) FROM read_parquet('{flows_dir}/*.parquet')").fetchone()[0] == len(flow_list)


def test_flows_out_refuses_a_file(tmp_path: Path) -> None:
    target = tmp_path / "flows"
    target.write_text("")
    proc = subprocess.run([sys.executable, "-m", "pcap_analyzer", "analyze", str(SCENARIOS / "demo_office.pcap"),
                           "-o", str(tmp_path / "out"), "--flows-out", str(target)], capture_output=True, text=True,
                          cwd=REPO)
    assert proc.returncode == 2 and "not a directory" in proc.stderr and "Traceback" not in proc.stderr


def test_facts_are_what_one_pass_over_every_flow_gives() -> None:
    from pcap_analyzer.groups import Facts
    from pcap_analyzer.detect.base import DetectContext
    from pcap_analyzer.detect.beaconing import capture_window
    from pcap_analyzer.detect.index import build_index
    from pcap_analyzer.decide.verdict import usage

    cfg = default_config()
    home = HomeNet(cfg.home_net.cidrs)
    flow_list = read_flows(sorted(SCENARIOS.glob("fallback_*.pcap")), cfg)[1]
    facts = Facts()
    for start in range(0, len(flow_list), 5):
        facts.add(flow_list[start:start + 5], home)
    index = build_index(DetectContext(flow_list, home, cfg))
    assert facts.flows == len(flow_list)
    assert facts.window == capture_window(flow_list) > 0
    assert facts.usage == usage(flow_list) and facts.usage
    assert sorted(facts.hosts) == index.hosts
    assert dict(facts.names_of_ip) == index.names_of_ip and index.names_of_ip
    assert dict(facts.cnames_of_ip) == index.cnames_of_ip
    # partial facts of parts read apart, merged in any order, are those of one pass; ``usage`` then counts in the
    # order of one pass over the flows sorted by start time (most_common's ties follow it)
    parts = [Facts() for _ in range(3)]
    for n, flow in enumerate(reversed(flow_list)):
        parts[n % 3].add([flow], home)
    merged = Facts()
    for part in reversed(parts):
        merged.merge(part)
    merged.settle()
    facts.settle()
    assert list(merged.usage.items()) == list(facts.usage.items()) == list(usage(flow_list).items())
    assert (merged.hosts, merged.names_of_ip, merged.cnames_of_ip) == (facts.hosts, facts.names_of_ip,
                                                                       facts.cnames_of_ip)
    assert (merged.flows, merged.window) == (facts.flows, facts.window)
