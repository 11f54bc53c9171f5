"""Hostile amounts: many hosts on one pattern, many EVE alerts.  Reports and memory grow linearly (issue 13)."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from clirun import peak_rss_run
from conftest import REPO

from pcap_analyzer.config import default_config
from pcap_analyzer.homenet import HomeNet
from pcap_analyzer.pipeline import analyze
from pcap_analyzer.report.json_report import report_json

sys.path.insert(0, str(REPO / "bench"))
import hostile_inputs  # noqa: E402  (bench/ is not a package)


def _report(tmp_path: Path, hosts: int = 0, alerts: int = 0, max_hosts: int = 1000) -> dict:
    cap = hostile_inputs.pattern_capture(tmp_path / f"c{hosts}.pcap", hosts or 4)
    eve = hostile_inputs.eve_file(tmp_path / f"e{alerts}.json", alerts) if alerts else None
    cfg = default_config()
    report = analyze([cap], cfg, HomeNet(cfg.home_net.cidrs), eve_path=eve)
    return report_json(report, max_hosts=max_hosts)


def test_hosts_on_one_pattern_are_one_group_listed_once(tmp_path: Path) -> None:
    doc = _report(tmp_path, hosts=300, max_hosts=100)
    (group,) = [g for g in doc["patterns"] if g["signature"] == f"peer {hostile_inputs.NAME}"]
    assert group["count"] == 300 and len(group["members"]) == len(set(group["members"])) == 300
    cap = default_config().report.max_same_pattern_hosts
    for host in doc["hosts"]:
        assert group["id"] in host["patterns"]
        assert 0 < len(host["same_pattern_hosts"]) <= cap and host["ip"] not in host["same_pattern_hosts"]
    assert len(doc["hosts"]) == 100  # the rest are grouped: each address once
    grouped = [ip for g in doc["host_groups"] for ip in g["members"]]
    total = sum(doc["summary"].values())  # the 300 hosts and the (benign) resolver
    assert total == 301 and doc["summary"]["benign"] == 1
    assert len(grouped) == len(set(grouped)) == total - 100 == sum(g["count"] for g in doc["host_groups"])
    assert not {h["ip"] for h in doc["hosts"]} & set(grouped)


def _size(doc: dict) -> int:
    return len(json.dumps(doc, indent=2))


@pytest.mark.parametrize("kind", ["hosts", "alerts"])
def test_report_size_grows_linearly(tmp_path: Path, kind: str) -> None:
    """4x the hosts (or alerts) gives at most ~4x the report, not 16x (it was quadratic: every host listed every
    other host of its pattern)."""
    small, large = 250, 1000
    sizes = [_size(_report(tmp_path, **{kind: n}, max_hosts=100)) for n in (small, large)]
    assert sizes[1] < 4.6 * sizes[0], sizes


def _peak_rss_mb(*args: str | Path) -> tuple[int, float]:
    return peak_rss_run("analyze", *args, "-q")


def test_memory_grows_linearly_with_hosts_on_one_pattern(tmp_path: Path) -> None:
    rss = []
    for n in (500, 2000):
        cap = hostile_inputs.pattern_capture(tmp_path / f"m{n}.pcap", n)
        code, mb = _peak_rss_mb(cap, "-o", tmp_path / f"out{n}")
        assert code in (0, 1)
        rss.append(mb)
    # the interpreter and libraries are most of the small run; the growth from 500 to 2,000 hosts stays small
    assert rss[1] - rss[0] < 150, rss
