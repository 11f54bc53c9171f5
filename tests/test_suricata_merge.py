"""pcap_analyzer.sources.suricata: finding and running Suricata, reading EVE, and joining alerts to the analyzer's
flows."""
from __future__ import annotations

import copy
import gzip
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from conftest import SCENARIOS
from pcap_analyzer import flows
from pcap_analyzer.capture import reader
from pcap_analyzer.sources import suricata
from pcap_analyzer.config import load_config, override
from pcap_analyzer.errors import InputError
from pcap_analyzer.homenet import HomeNet
from pcap_analyzer.model import CaptureInfo, Flow

CFG = load_config()
HOME = HomeNet(CFG.home_net.cidrs)
needs_suricata = pytest.mark.skipif(not suricata.available(), reason="the suricata binary is not installed")


def capture_flows(path: Path) -> list[Flow]:
    table = flows.FlowTable(CFG)
    for batch in reader.read_capture(path, CFG, CaptureInfo(path=str(path))):
        table.add(batch)
    return table.finish()


def scenario(name: str) -> Path:
    path = SCENARIOS / name
    if not path.is_file():
        pytest.skip(f"{path} is not present")
    return path


Run = tuple[list[dict[str, Any]], list[Flow], set[str]]


@pytest.fixture(scope="module", params=[
    ("fallback_dyndns_a.pcap", {"dynamic_dns", "failed_then_fallback"}),  # UDP (DNS)
    ("fallback_icmp_tunnel_b.pcap", {"icmp_tunnel", "failed_then_fallback"}),  # ICMP echo: type/code as ports
    ("fallback_port_b.pcap", {"nonstandard_port_encrypted", "failed_then_fallback"}),  # TCP
], ids=lambda p: p[0])
def scenario_run(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Run:
    """Real Suricata on a scenario capture, the analyzer's flows of the same capture, the indicator types due."""
    if not suricata.available():
        pytest.skip("the suricata binary is not installed")
    name, expected = request.param
    capture = scenario(name)
    eve = suricata.run_suricata([capture], tmp_path_factory.mktemp("eve"), CFG)
    return suricata.read_eve(eve), capture_flows(capture), expected


# ---- locating and running ----------------------------------------------------------------------------------------

def test_available_is_false_without_the_binary(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    assert suricata.available() is False
    with pytest.raises(InputError, match="not installed"):
        suricata.run_suricata([tmp_path / "x.pcap"], tmp_path / "out", CFG)


def test_shipped_files_are_found() -> None:
    assert suricata.rules_path().name == "fallback-channels.rules" and suricata.rules_path().is_file()
    assert suricata.config_path().name == "suricata.yaml" and suricata.config_path().is_file()


def test_rules_folder_from_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    copy_dir = tmp_path / "rules"
    shutil.copytree(suricata.rules_dir(), copy_dir)
    monkeypatch.setenv(suricata.RULES_ENV, str(copy_dir))
    assert suricata.rules_path() == copy_dir / "fallback-channels.rules"


def test_home_net_reaches_suricata(tmp_path: Path) -> None:
    cmd = suricata.suricata_command(tmp_path / "c.pcap", tmp_path, CFG, HomeNet(["203.0.113.0/24", "fd00::/8"]))
    assert "vars.address-groups.HOME_NET=[203.0.113.0/24,fd00::/8]" in cmd


@needs_suricata
def test_bad_capture_is_one_line_input_error(tmp_path: Path) -> None:
    bad = tmp_path / "notes.pcap"
    bad.write_text("this is not a capture\n")
    with pytest.raises(InputError) as err:
        suricata.run_suricata([bad], tmp_path / "out", CFG)
    assert "\n" not in str(err.value) and "notes.pcap" in str(err.value)


@pytest.mark.parametrize("script, timeout, message", [
    ("echo 'E: detect: rule file broken' >&2; exit 1", 30.0, "failed on .*: detect: rule file broken"),
    ("while :; do :; done", 0.3, "gave up on"),  # shell builtins only: works whatever PATH is
])
def test_suricata_failures_are_one_line_input_errors(tmp_path: Path, script: str, timeout: float, message: str
                                                     ) -> None:
    fake = tmp_path / "fake-suricata"
    fake.write_text(f"#!/bin/sh\n{script}\n")
    fake.chmod(0o755)
    cfg = override(CFG, {"suricata": {"binary": str(fake), "timeout": timeout}})
    capture = tmp_path / "c.pcap"
    capture.write_bytes(bytes.fromhex("d4c3b2a1020004000000000000000000ffff000001000000"))
    with pytest.raises(InputError, match=message) as err:
        suricata.run_suricata([capture], tmp_path / "out", cfg)
    assert "\n" not in str(err.value)


@needs_suricata
def test_gzip_capture_gives_the_same_alerts(tmp_path: Path) -> None:
    capture = scenario("fallback_tls_8080_a.pcap")
    packed = tmp_path / "c.pcap.gz"
    packed.write_bytes(gzip.compress(capture.read_bytes()))
    plain = suricata.read_eve(suricata.run_suricata([capture], tmp_path / "plain", CFG))
    unpacked = suricata.read_eve(suricata.run_suricata([packed], tmp_path / "gz", CFG))
    sids = sorted(a["alert"]["signature_id"] for a in plain)
    assert sids and sids == sorted(a["alert"]["signature_id"] for a in unpacked)


@needs_suricata
def test_several_captures_one_eve(tmp_path: Path) -> None:
    captures = [scenario("fallback_tls_8080_a.pcap"), scenario("fallback_tcp53_a.pcap")]
    alerts = suricata.read_eve(suricata.run_suricata(captures, tmp_path, CFG))
    assert {1008023, 1008018} <= {a["alert"]["signature_id"] for a in alerts}  # TLS on 8080, not DNS on 53


# ---- reading EVE ---------------------------------------------------------------------------------------------------

ALERT = {"timestamp": "2023-11-15T05:13:41.040350+0000", "event_type": "alert", "src_ip": "10.0.0.5",
         "src_port": 40000, "dest_ip": "198.51.100.7", "dest_port": 8080, "proto": "TCP",
         "community_id": "1:abc=", "alert": {"signature_id": 1008020, "rev": 1, "signature": "x", "severity": 2,
                                             "metadata": {"fallback_indicator": ["nonstandard_port_encrypted"]}}}


def write_lines(path: Path, lines: list[str], end: str = "\n") -> Path:
    path.write_text("\n".join(lines) + end)
    return path


def test_read_eve_keeps_alerts_skips_blanks_and_a_cut_last_line(tmp_path: Path) -> None:
    flow_event = json.dumps({"event_type": "flow", "src_ip": "10.0.0.5"})
    eve = write_lines(tmp_path / "eve.json", [json.dumps(ALERT), "", flow_event, "  ", json.dumps(ALERT)[:40]], end="")
    assert suricata.read_eve(eve) == [ALERT]


@pytest.mark.parametrize("content, message", [
    ("{\"event_type\": \"alert\"\nnot json at all\n", "line 1: not JSON"),
    ("\n\nnot an EVE file", "line 3: not JSON"),  # no event before it: not a cut-off last line
    ("[1, 2]\n", "line 1: not a JSON object"),
    (json.dumps({"event_type": "alert", "alert": {}}) + "\n", "missing or non-integer signature_id"),
])
def test_read_eve_refuses_a_file_without_any_event(tmp_path: Path, content: str, message: str) -> None:
    eve = tmp_path / "eve.json"
    eve.write_text(content)
    with pytest.raises(InputError, match=message):
        suricata.read_eve(eve)


def _hostile(**changes: object) -> str:
    event = json.loads(json.dumps(ALERT))
    for key, value in changes.items():
        target = event["alert"] if key in ("signature_id", "rev", "metadata") else event
        target[key] = value
    return json.dumps(event)


def test_read_eve_skips_bad_lines_and_counts_them(tmp_path: Path) -> None:
    """Every malformed line of issue 13 is skipped with a counted note; the good alerts are kept and merged."""
    deep = "[" * 100_000 + "]" * 100_000
    lines = [json.dumps(ALERT), "null", "[1, 2]", "not json", deep, _hostile(signature_id="x"),
             _hostile(signature_id=[1]), _hostile(rev={"a": 1}), '{"event_type": "alert", "alert": {"signature_id": '
             + "9" * 5000 + "}}", _hostile(metadata=["fallback_indicator"]), _hostile(metadata="x"),
             _hostile(dns=[1, 2]), _hostile(tls=["a"]), _hostile(src_port="http"), json.dumps(ALERT)]
    eve = write_lines(tmp_path / "eve.json", lines)
    notes: list[str] = []
    alerts = suricata.read_eve(eve, notes, slim=True)
    assert len(alerts) == 6  # the two good ones and the four whose odd parts are only left out
    (note,) = notes
    assert "9 lines skipped" in note and "3 not JSON" in note and "2 not a JSON object" in note
    assert "non-integer signature_id" in note and "non-integer rev" in note and "non-integer src_port" in note
    inds = suricata.alert_indicators(alerts, [], HOME, CFG)
    assert {i.type for i in inds} == {"nonstandard_port_encrypted"} and inds[0].evidence["count"] == 4


def test_read_eve_rejects_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read"):
        suricata.read_eve(tmp_path / "missing.json")
    binary = tmp_path / "capture.pcap"
    binary.write_bytes(b"\xd4\xc3\xb2\xa1\x02\x00\x04\x00" + bytes(range(256)))
    with pytest.raises(InputError):
        suricata.read_eve(binary)


# ---- alerts -> indicators --------------------------------------------------------------------------------------------

def test_real_alerts_join_flows_on_community_id(scenario_run: Run) -> None:
    alerts, flow_list, expected = scenario_run
    by_uid = {f.uid: f for f in flow_list}
    indicators = suricata.alert_indicators(alerts, flow_list, HOME, CFG)
    assert expected <= {i.type for i in indicators}
    for ind in indicators:
        flow = by_uid[ind.evidence["flow_uid"]]
        assert ind.uids == [flow.uid] and ind.community_id == flow.community_id
        assert ind.source == "suricata" and HOME.is_internal(ind.host) and ind.host == flow.orig_h
        assert ind.peer == (ind.evidence["domain"] if flow.resp_p == 53 else flow.resp_h) and ind.port == flow.resp_p
        assert ind.proto == flow.proto
        assert ind.evidence["sid"] in range(1008000, 1008100) and ind.evidence["rev"] >= 1
        assert ind.evidence["signature"].startswith("FALLBACK-HUNT") and ind.evidence["severity"]
    assert all(a["community_id"] in {f.community_id for f in flow_list} for a in alerts)
    for dyn in (i for i in indicators if i.type == "dynamic_dns"):  # DNS alerts: the peer is the name asked for
        assert dyn.peer == dyn.evidence["domain"] and dyn.peer.endswith((".duckdns.org", ".ddns.net"))


def test_five_tuple_fallback_finds_the_same_flows(scenario_run: Run) -> None:
    alerts, flow_list, _ = scenario_run
    stripped = copy.deepcopy(alerts)
    for alert in stripped:
        del alert["community_id"]
    joined = [i.uids for i in suricata.alert_indicators(alerts, flow_list, HOME, CFG)]
    assert joined and joined == [i.uids for i in suricata.alert_indicators(stripped, flow_list, HOME, CFG)]


def _flow(**kw: Any) -> Flow:
    base = dict(uid="C1", ts=1700000000.0, last_ts=1700000010.0, proto="tcp", orig_h="10.0.0.5", orig_p=40000,
                resp_h="198.51.100.7", resp_p=8080, community_id="1:abc=")
    return Flow(**{**base, **kw})


def _alert(**kw: Any) -> dict[str, Any]:
    alert = copy.deepcopy(ALERT)
    alert["timestamp"] = "2023-11-14T22:13:25.000000+0000"  # 1700000005
    alert.update(kw)
    return alert


def test_foreign_rules_are_skipped_and_repeats_merge() -> None:
    foreign = _alert(alert={"signature_id": 2000001, "rev": 3, "signature": "ET something", "metadata": {}})
    out = suricata.alert_indicators([_alert(), _alert(), foreign], [_flow()], HOME, CFG)
    assert len(out) == 1 and out[0].evidence["count"] == 2 and out[0].type == "nonstandard_port_encrypted"


def test_unjoined_alert_and_inbound_direction() -> None:
    """No flow matches: the internal side comes from the alert even when it is the destination."""
    inbound = _alert(src_ip="203.0.113.9", src_port=443, dest_ip="10.0.0.5", dest_port=40001, community_id="1:zzz=",
                     direction="to_client")
    (ind,) = suricata.alert_indicators([inbound], [_flow()], HOME, CFG)
    assert (ind.host, ind.peer, ind.port, ind.uids, ind.evidence["flow_uid"]) == ("10.0.0.5", "203.0.113.9", 443, [], "")


def test_five_tuple_join_respects_time() -> None:
    """A reused 5-tuple: the alert joins the flow whose span contains it, not one far away in time."""
    early = _flow(uid="Cearly", community_id="")
    late = _flow(uid="Clate", community_id="", ts=1700009000.0, last_ts=1700009010.0)
    (ind,) = suricata.alert_indicators([_alert(community_id="")], [late, early], HOME, CFG)
    assert ind.uids == ["Cearly"]
    far = _alert(community_id="", timestamp="2023-11-15T05:13:41.000000+0000")
    (ind,) = suricata.alert_indicators([far], [late, early], HOME, CFG)
    assert ind.uids == []


def test_bad_alert_timestamp_is_input_error() -> None:
    with pytest.raises(InputError, match="timestamp"):
        suricata.alert_indicators([_alert(timestamp="yesterday")], [_flow()], HOME, CFG)
