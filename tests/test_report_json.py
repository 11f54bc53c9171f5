"""report.json: its shape is what data/report.schema.json documents, hosts in verdict order, plain JSON only."""
from __future__ import annotations

import json
from importlib import resources

import jsonschema
import numpy as np
import pytest
from synthetic_report import EVIL_QNAME, report

from pcap_analyzer.config import default_config
from pcap_analyzer.model import HostReport, Indicator, Report
from pcap_analyzer.report.json_report import plain, report_json, write_json


@pytest.fixture(scope="module")
def validator() -> jsonschema.protocols.Validator:
    schema = json.loads(resources.files("pcap_analyzer").joinpath("data/report.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


def test_written_report_validates_and_keeps_values(tmp_path, validator):
    path = tmp_path / "report.json"
    write_json(report(), path)
    doc = json.loads(path.read_text())
    validator.validate(doc)
    assert doc["schema"] == "fallback-hunt/report/1"
    assert [h["verdict"] for h in doc["hosts"]] == ["escalate", "investigate", "benign"]
    assert doc["summary"] == {"escalate": 1, "investigate": 1, "benign": 1}
    top = doc["hosts"][0]
    assert top["ip"] == "10.0.0.5" and top["channels"][0]["primary"]["attempts"] == 5
    assert {i["type"] for i in top["indicators"]} == {"failed_then_fallback", "dns_tunnel",
                                                      "nonstandard_port_encrypted"}
    assert any(i["evidence"].get("qname") == EVIL_QNAME for i in top["indicators"])  # kept whole, unescaped
    assert doc["inputs"][0]["packets"] == 1234 and doc["inputs"][0]["warnings"]
    assert not list(tmp_path.glob(".*.tmp"))  # the temporary file was renamed, not left behind


def test_hosts_ordered_by_verdict_then_score(validator):
    hosts = [HostReport("10.0.0.1", "benign", 0.1), HostReport("10.0.0.2", "investigate", 2.0),
             HostReport("10.0.0.3", "escalate", 5.0), HostReport("10.0.0.4", "escalate", 8.0),
             HostReport("10.0.0.5", "investigate", 4.0)]
    doc = report_json(Report(inputs=[], hosts=hosts, flows=[]))
    validator.validate(doc)
    assert [h["ip"] for h in doc["hosts"]] == ["10.0.0.4", "10.0.0.3", "10.0.0.5", "10.0.0.2", "10.0.0.1"]


def test_missing_answers_read_as_no(validator):
    doc = report_json(Report(inputs=[], hosts=[HostReport("10.0.0.1")], flows=[]))
    validator.validate(doc)
    assert all(a == {"answer": False, "evidence": []} for a in doc["hosts"][0]["answers"].values())


def test_numpy_bytes_and_nan_become_plain_json(validator):
    ind = Indicator("beaconing", "10.0.0.1", np.float64(1.5), port=np.uint16(443),
                    evidence={"period": np.float32(60.0), "raw": b"\x00\xff", "jitter": float("nan"),
                              "peers": {"b", "a"}, "pair": (1, 2)})
    doc = report_json(Report(inputs=[], hosts=[HostReport("10.0.0.1", "investigate", 1.0, [ind])], flows=[]))
    validator.validate(doc)
    evidence = doc["hosts"][0]["indicators"][0]["evidence"]
    assert evidence == {"period": 60.0, "raw": "00ff", "jitter": None, "peers": ["a", "b"], "pair": [1, 2]}
    assert type(doc["hosts"][0]["indicators"][0]["port"]) is int
    json.dumps(doc, allow_nan=False)


def test_schema_rejects_what_it_should(validator):
    doc = report_json(report())
    bad_verdict = json.loads(json.dumps(doc))
    bad_verdict["hosts"][0]["verdict"] = "maybe"
    bad_type = json.loads(json.dumps(doc))
    bad_type["hosts"][0]["indicators"][0]["type"] = "made_up"
    no_summary = {k: v for k, v in doc.items() if k != "summary"}
    for broken in (bad_verdict, bad_type, no_summary):
        with pytest.raises(jsonschema.ValidationError):
            validator.validate(broken)


def test_plain_leaves_json_values_alone():
    value = {"a": [1, 2.5, "x", None, True], "b": {"c": "d"}}
    assert plain(value) == value
    assert default_config().report.max_text > 0
