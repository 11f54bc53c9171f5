"""The labelled scenario corpus (pcaps/): labels.json is well-formed and the captures match their generator.
Also the benchmark inputs (bench/make_capture.py) and harness (bench/run.py)."""
from __future__ import annotations

import importlib.util
import ipaddress
import json
import sys
from collections import defaultdict
from pathlib import Path

import dpkt
import pytest

from conftest import SCENARIOS
from pcap_analyzer.model import INDICATOR_TYPES, VERDICTS

LABELS = SCENARIOS / "labels.json"
INTERNAL = tuple(ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"))


def _labels() -> dict:
    return json.loads(LABELS.read_text(encoding="utf-8"))


def _load(name: str, path: Path):
    """A script that is not part of the package (pcaps/generate.py, bench/*.py) as a module."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


def _endpoints(path: Path) -> tuple[set[str], float]:
    """Every IP address in the capture, and the first timestamp."""
    addrs: set[str] = set()
    first = None
    with path.open("rb") as fh:
        for ts, buf in dpkt.pcap.Reader(fh):
            first = ts if first is None else first
            ip = dpkt.ethernet.Ethernet(buf).data
            if isinstance(ip, (dpkt.ip.IP, dpkt.ip6.IP6)):
                addrs |= {str(ipaddress.ip_address(ip.src)), str(ipaddress.ip_address(ip.dst))}
    return addrs, float(first)


def test_labels_are_well_formed() -> None:
    labels = _labels()
    assert labels["version"] == 1
    captures = labels["captures"]
    assert set(captures) == {p.name for p in SCENARIOS.glob("*.pcap")}, "every capture labelled, every label a file"
    for name, entry in captures.items():
        assert entry["scenario"] and entry["description"], name
        assert entry["hosts"], name
        for host, label in entry["hosts"].items():
            assert any(ipaddress.ip_address(host) in net for net in INTERNAL), (name, host)
            assert label["verdict"] in VERDICTS, (name, host)
            assert set(label["indicators"]) <= set(INDICATOR_TYPES), (name, host)
            assert set(label["absent"]) <= set(INDICATOR_TYPES), (name, host)
            assert not set(label["indicators"]) & set(label["absent"]), (name, host)
            assert host in _endpoints(SCENARIOS / name)[0], f"{name}: labelled host {host} not in the capture"


def test_every_scenario_has_two_variants_that_really_differ() -> None:
    by_scenario: dict[str, list[str]] = defaultdict(list)
    for name, entry in _labels()["captures"].items():
        by_scenario[entry["scenario"]].append(name)
    generated = {s.name for s in _load("corpus_scenarios", SCENARIOS / "generate.py").SCENARIOS} | {"demo_office"}
    assert set(by_scenario) == generated and len(generated) >= 35  # a scenario added to generate.py joins by itself
    for scenario, names in by_scenario.items():
        if scenario == "demo_office":
            continue
        assert sorted(names) == [f"{scenario}_a.pcap", f"{scenario}_b.pcap"], scenario
        (addrs_a, t_a), (addrs_b, t_b) = (_endpoints(SCENARIOS / n) for n in sorted(names))
        assert not addrs_a & addrs_b, f"{scenario}: variants share addresses {addrs_a & addrs_b}"
        assert t_a != t_b, scenario


def test_malicious_and_confounder_labels_say_what_matters() -> None:
    for name, entry in _labels()["captures"].items():
        for host, label in entry["hosts"].items():
            if entry["scenario"].startswith("fallback_"):
                assert label["verdict"] == "escalate" and "failed_then_fallback" in label["indicators"], name
            if entry["scenario"].startswith("benign_"):
                assert label["verdict"] != "escalate" and "failed_then_fallback" in label["absent"], name


def test_regenerating_gives_byte_identical_files(tmp_path: Path) -> None:
    _load("corpus_generate", SCENARIOS / "generate.py").generate(tmp_path)
    produced = sorted(p.name for p in tmp_path.iterdir())
    committed = sorted(p.name for p in SCENARIOS.iterdir() if p.suffix in (".pcap", ".json"))
    assert produced == committed
    for name in produced:
        assert (tmp_path / name).read_bytes() == (SCENARIOS / name).read_bytes(), f"{name} differs from generate.py"


@pytest.mark.parametrize("name", ["fallback_port_a.pcap", "benign_quic_to_tcp_b.pcap"])
def test_tcp_handshakes_have_consistent_seq_ack(name: str) -> None:
    """Every SYN-ACK acknowledges its SYN's ISN + 1 (the generator's TCP model is sound)."""
    syns: dict[tuple, int] = {}
    checked = 0
    with (SCENARIOS / name).open("rb") as fh:
        for _, buf in dpkt.pcap.Reader(fh):
            ip = dpkt.ethernet.Ethernet(buf).data
            tcp = getattr(ip, "data", None)
            if not isinstance(tcp, dpkt.tcp.TCP):
                continue
            key = (ip.src, tcp.sport, ip.dst, tcp.dport)
            if tcp.flags & dpkt.tcp.TH_SYN and not tcp.flags & dpkt.tcp.TH_ACK:
                syns[key] = tcp.seq
            elif tcp.flags & dpkt.tcp.TH_SYN:
                assert tcp.ack == (syns[(ip.dst, tcp.dport, ip.src, tcp.sport)] + 1) % 2**32
                checked += 1
    assert checked > 0


# --- the benchmark inputs (bench/make_capture.py): the same traffic as the Zeek conn.log, valid on the wire --------

def test_bench_capture_is_valid_and_matches_its_conn_log(tmp_path: Path) -> None:
    from pcap_analyzer.community_id import community_id_v1

    bench = _load("bench_make_capture", SCENARIOS.parent / "bench" / "make_capture.py")
    packets = 10_007  # not a multiple of any group: the last group is cut
    capture = bench.write_capture(tmp_path / "mixed.pcap", packets)
    conn = bench.write_conn_log(tmp_path / "zeek" / "conn.log", 300)
    seen, last_ts, span, bad_checksums = 0, 0.0, {}, 0
    with capture.open("rb") as fh:
        for ts, buf in dpkt.pcap.Reader(fh):
            seen += 1
            assert ts >= last_ts
            last_ts = ts
            ip = dpkt.ethernet.Ethernet(buf).data
            l4 = ip.data
            ports = (l4.type, l4.code) if ip.p == 1 else (l4.sport, l4.dport)
            cid = community_id_v1(ip.p, str(ipaddress.ip_address(ip.src)), str(ipaddress.ip_address(ip.dst)), *ports)
            span[cid] = (span.get(cid, (ts, ts))[0], ts)
            if seen % 7 == 0 and ip.p in (6, 17):  # recompute the checksums of a sample
                sums = (ip.sum, l4.sum)
                ip.sum = l4.sum = 0
                again = dpkt.ip.IP(bytes(ip))
                bad_checksums += sums != (again.sum, again.data.sum)
    assert seen == packets
    assert bad_checksums == 0
    lines = [line.split("\t") for line in conn.read_text().splitlines() if not line.startswith("#")]
    header = conn.read_text().splitlines()[6].split("\t")
    assert len(lines) == 300 and all(len(row) == len(header) - 1 for row in lines)
    column = {name: i - 1 for i, name in enumerate(header)}  # "#fields" is not a column
    for row in lines:  # the same connection at the same time: what the Zeek join needs
        first, last = span[row[column["community_id"]]]
        assert float(row[column["ts"]]) == pytest.approx(first, abs=1e-6)
        assert float(row[column["ts"]]) + float(row[column["duration"]]) == pytest.approx(last, abs=1e-5)




def _flow_keys(capture: Path) -> tuple[int, dict[tuple, int]]:
    """(packets, packets per connection 5-tuple, direction-free) of a bench capture."""
    packets, per_flow = 0, defaultdict(int)
    with capture.open("rb") as fh:
        for _, buf in dpkt.pcap.Reader(fh):
            packets += 1
            ip = dpkt.ethernet.Ethernet(buf).data
            l4 = ip.data
            ends = sorted([(ip.src, getattr(l4, "sport", 0)), (ip.dst, getattr(l4, "dport", 0))])
            per_flow[(ip.p, *ends)] += 1
    return packets, per_flow


def test_bench_long_capture_has_the_same_flows_with_more_packets(tmp_path: Path) -> None:
    """The "RSS flat as the capture grows" input: 4x the packets of the same flows (longer TLS/HTTP sessions)."""
    bench = _load("bench_make_capture", SCENARIOS.parent / "bench" / "make_capture.py")
    like = 10_007
    scale, flows = bench.long_flows_plan(4 * like, like)
    assert scale > 1 and flows == bench.flows_in(bench.build_templates(), like)
    short_packets, short = _flow_keys(bench.write_capture(tmp_path / "short.pcap", like))
    long_packets, long = _flow_keys(bench.write_capture(tmp_path / "long.pcap", None, scale, flows))
    assert short_packets == like and len(short) == flows
    assert set(long) == set(short)
    assert 3.5 * like <= long_packets <= 4.5 * like
    tls = [key for key in short if key[0] == 6]
    assert tls and all(long[key] >= 2 * short[key] for key in tls if short[key] > 10)  # whole sessions, longer


def test_bench_harness_reports_missing_modules_and_judges_targets(monkeypatch: pytest.MonkeyPatch) -> None:
    run = _load("bench_run", SCENARIOS.parent / "bench" / "run.py")
    monkeypatch.setitem(run.NEEDS, "flows", ("pcap_analyzer.not_written_yet:FlowTable",))
    assert run.missing("flows") == "pcap_analyzer.not_written_yet"
    monkeypatch.setitem(run.NEEDS, "flows", ("pcap_analyzer.config:no_such_function",))
    assert run.missing("flows") == "pcap_analyzer.config:no_such_function"
    assert run.missing("dpkt") == ""
    gone = run.result_of("flows", "x.pcap", run.Run(run.NOT_BUILT, 0.1, 0.1, 20, "n/a (not built yet: flows)\n", ""))
    assert gone.status == "n/a (not built yet: flows)" and "n/a" in run.table([gone])

    def res(stage: str, packets: int, work: float, rss: float = 100.0, flows: int = 10) -> object:
        return run.Result(stage, "x", packets=packets, work=work, cpu=work, rss_mb=rss, extra={"flows": flows})

    results = {"flows-1M": res("flows", 1_000_000, 1.0), "flows-4M": res("flows", 4_000_000, 4.0, rss=400.0),
               "dissect": res("dissect", 1_000_000, 10.0), "analyze": res("analyze", 1_000_000, 12.0),
               "suricata-none": res("suricata", 1, 1.0), "suricata-rules": res("suricata", 1, 2.5)}
    run.judge(results)
    verdicts = {key: r.verdict for key, r in results.items()}
    assert verdicts == {"flows-1M": "PASS", "flows-4M": "FAIL", "dissect": "FAIL",
                        "analyze": "FAIL",  # within 1.5x of dissect, but 83k packets/s: under 250k per core
                        "suricata-none": "", "suricata-rules": "FAIL"}
    # end to end: packets/s beside the dpkt loop of the same run; the report-writing share of 60 escalating hosts
    results = {"dissect": res("dissect", 1_000_000, 3.0), "analyze": res("analyze", 1_000_000, 3.5),
               "dpkt": res("dpkt", 1_000_000, 10.0), "reports": res("reports", 5000, 1.0)}
    results["reports"].extra.update(writing_share=0.09, analysis_cpu=0.2, writing_cpu=0.09)
    run.judge(results)
    assert results["analyze"].verdict == "PASS" and "dpkt loop 100k = 2.86x" in results["analyze"].target
    assert results["reports"].verdict == "PASS" and "9.0%" in results["reports"].target
    results["reports"].extra["writing_share"] = 0.25
    run.judge(results)
    assert results["reports"].verdict == "FAIL"
    # the streamed read: fast enough, flat on 4x the packets of the same flows; the flow-heavy case per flow
    results = {"dissect": res("dissect", 1_000_000, 5.0), "dissect-4M": res("dissect", 4_000_000, 16.0, rss=120.0),
               "dissect-heavy": res("dissect", 4_000_000, 20.0, rss=300.0, flows=40)}
    results["dissect-heavy"].extra["kb_per_flow"] = 2.5
    run.judge(results)
    assert {key: r.verdict for key, r in results.items()} == {"dissect": "PASS", "dissect-4M": "PASS",
                                                              "dissect-heavy": ""}
    assert "1.20x" in results["dissect-4M"].target and "2.50 KB" in results["dissect-heavy"].target
    results = {"dissect": res("dissect", 1_000_000, 5.0), "dissect-4M": res("dissect", 4_000_000, 16.0, rss=130.0)}
    run.judge(results)
    assert results["dissect-4M"].verdict == "FAIL"  # 1.3x the RSS


def test_bench_stage_runs_in_a_pinned_child_and_reports_figures(tmp_path: Path) -> None:
    bench = _load("bench_make_capture", SCENARIOS.parent / "bench" / "make_capture.py")
    run = _load("bench_run", SCENARIOS.parent / "bench" / "run.py")
    capture = bench.write_capture(tmp_path / "small.pcap", 3000)
    result = run.run_child("dpkt", capture.name, capture)
    assert result.status == "ok", result.status
    assert result.packets == 3000 and result.work > 0 and result.rss_mb > 0
    assert result.extra["last_ts"] > 1_700_000_000
    streamed = run.run_child("dissect", capture.name, capture)  # the streamed read of the pipeline
    assert streamed.status == "ok", streamed.status
    assert streamed.packets == 3000 and streamed.extra["flows"] > 100 and streamed.extra["annotate_cpu"] > 0
    assert streamed.extra["kb_per_flow"] > 0 and streamed.extra["base_mb"] > 0
