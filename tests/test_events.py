"""--events NDJSON (ECS field names, validated against data/events.schema.json) and fallback.log as Zeek JSON."""
from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
from clirun import run_cli
from synthetic_report import EVIL_QNAME, report as synthetic

from pcap_analyzer import attack
from pcap_analyzer.config import default_config
from pcap_analyzer.model import INDICATOR_TYPES, Indicator
from pcap_analyzer.report.events import events
from pcap_analyzer.report.fallback_log import FIELDS, fallback_log_json

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "pcaps" / "demo_office.pcap"
CFG = default_config()
SCHEMA = json.loads(resources.files("pcap_analyzer").joinpath("data/events.schema.json").read_text())
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


def get(event: dict, dotted: str):
    for part in dotted.split("."):
        event = event[part]
    return event


@pytest.fixture(scope="module")
def demo_events(tmp_path_factory) -> list[dict]:
    out = tmp_path_factory.mktemp("events")
    proc = run_cli("analyze", DEMO, "-o", out / "r", "--events", out / "events.ndjson", "--log-format", "json", "-q")
    assert proc.returncode == 1, proc.stderr
    (out / "r" / "fallback.log").rename(out / "fallback.json")
    return [json.loads(line) for line in (out / "events.ndjson").read_text(encoding="utf-8").splitlines()]


def test_every_event_validates_against_the_ecs_types(demo_events):
    for event in demo_events:
        VALIDATOR.validate(event)


def test_schema_catches_wrong_ecs_types():
    good = next(e for e in events(synthetic(), CFG) if e["event"]["kind"] == "alert")
    for dotted, bad in (("source.ip", "not-an-ip"), ("destination.port", "443"), ("@timestamp", 1700000000.0),
                        ("event.kind", "signal"), ("threat.technique.id", ["T1571"])):
        broken = json.loads(json.dumps(good))
        parent, _, leaf = dotted.rpartition(".")
        (get(broken, parent) if parent else broken)[leaf] = bad
        assert not VALIDATOR.is_valid(broken), dotted


def test_one_event_per_indicator_and_per_host_verdict(demo_events):
    doc_hosts = [e for e in demo_events if e["event"]["kind"] == "enrichment"]
    alerts = [e for e in demo_events if e["event"]["kind"] == "alert"]
    assert [e["source"]["ip"] for e in doc_hosts] == ["192.168.10.21", "192.168.10.34"]
    assert doc_hosts[0]["fallback_hunt"]["verdict"] == "escalate" and "office-update-svc.com" in doc_hosts[0]["message"]
    assert len(alerts) == 4  # dynamic_dns, beaconing, failed_then_fallback, nonstandard_port_encrypted
    fallback = next(e for e in alerts if e["rule"]["name"] == "failed_then_fallback")
    assert fallback["destination"] == {"ip": "203.0.113.66", "port": 443}
    assert fallback["network"]["transport"] == "tcp" and fallback["network"]["community_id"].startswith("1:")
    assert fallback["tls"]["client"]["server_name"] == "upd-mirror.duckdns.org"
    assert len(fallback["tls"]["client"]["ja3"]) == 32
    assert "T1008" in fallback["threat"]["technique"]["id"] and "T1568" in fallback["threat"]["technique"]["id"]
    assert fallback["fallback_hunt"]["bpf"].startswith("tcp and ")
    dyn = next(e for e in alerts if e["rule"]["name"] == "dynamic_dns")
    assert dyn["dns"]["question"]["name"] == "upd-mirror.duckdns.org"
    ssh = next(e for e in alerts if e["rule"]["name"] == "nonstandard_port_encrypted")
    assert ssh["threat"]["technique"]["id"] == ["T1008", "T1571"] and ssh["destination"]["port"] == 2222
    assert all("{'" not in json.dumps(e) for e in demo_events)  # no Python reprs in any text


def test_every_indicator_type_has_techniques():
    for kind in INDICATOR_TYPES:
        ids = attack.techniques(Indicator(kind, "10.0.0.1", 0.0))
        assert ids[0] == "T1008" and all(i in attack.NAMES for i in ids), kind
    dns = Indicator("failed_then_fallback", "10.0.0.1", 0.0,
                    evidence={"fallback": {"service": "dns"}, "reasons": ["dns_tunnel", "nonstandard_port"]})
    assert attack.techniques(dns) == ["T1008", "T1071.004", "T1572", "T1571"]
    assert attack.techniques(Indicator("icmp_tunnel", "10.0.0.1", 0.0)) == ["T1008", "T1572", "T1095"]


def test_attacker_text_stays_valid_utf8_json():
    rep = synthetic()
    rep.hosts[2].indicators[1].evidence["qname"] = "bad\udcff\x00name"
    for event in events(rep, CFG):
        line = json.dumps(event, ensure_ascii=False)
        line.encode("utf-8")  # no lone surrogate left
        VALIDATOR.validate(event)
    texts = [e["fallback_hunt"].get("detail", "") for e in events(rep, CFG)]
    assert any(EVIL_QNAME in t for t in texts) and any("bad\\xff\x00name" in t for t in texts)


def test_fallback_log_json_is_zeeks_json(demo_events, tmp_path_factory):
    rep = synthetic()
    rows = [json.loads(line) for line in fallback_log_json(rep, CFG).splitlines()]
    assert len(rows) == sum(len(h.indicators) for h in rep.hosts)
    names = [name for name, _ in FIELDS]
    for row in rows:
        assert list(row) == [n for n in names if n in row]  # Zeek's column order, unset columns left out
        assert isinstance(row["ts"], float) and isinstance(row.get("id.resp_p", 0), int)
    unjoined = next(r for r in rows if r["indicator"] == "dynamic_dns")
    assert "id.orig_p" not in unjoined and unjoined["fallback"] == ""
