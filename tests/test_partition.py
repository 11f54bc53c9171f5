"""Host partitions (parallel/partition.py): every partition reads every packet and keeps its own keys' packets;
together they make the serial read's flows, and the per-host engine over them gives the serial report."""
from __future__ import annotations

import dataclasses
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pytest

from conftest import SCENARIOS
from pcap_analyzer import pipeline
from pcap_analyzer.config import load_config, override
from pcap_analyzer.decide.allowlist import Allowlist
from pcap_analyzer.homenet import HomeNet
from pcap_analyzer.parallel import hosts, partition
from pcap_analyzer.parallel.engine import Inline
from pcap_analyzer.report.json_report import report_json

CAPTURES = sorted(SCENARIOS.glob("*.pcap"))
GENERATED = datetime(2026, 1, 1, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def cfg():
    return override(load_config(None), {"reader": {"chunk_packets": 64}})


@pytest.fixture(scope="module")
def serial(cfg):
    """The serial read of every scenario capture (one analysis): CaptureInfos and flows."""
    return pipeline.read_flows(CAPTURES, cfg)


@pytest.mark.parametrize("parts", [2, 3])
def test_partitions_make_the_serial_flows(cfg, serial, parts: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every scenario capture, read as one analysis by ``parts`` partitions: the union of their flows is the serial
    read's (each flow in exactly one partition), every partition counts every packet, and ICMP errors quoting a
    key of another partition were tied back there (their own flow dropped where it is foreign)."""
    home = HomeNet(cfg.home_net.cidrs)
    names = [str(p) for p in CAPTURES]
    serial_infos, serial_flows = serial
    quoted = []
    real = partition.Partitioner.keep

    def keep(self, batch, part):
        kept, foreign = real(self, batch, part)
        quoted.append(foreign)
        return kept, foreign

    monkeypatch.setattr(partition.Partitioner, "keep", keep)
    results = [partition.read_partition(names, k, parts, cfg, home) for k in range(parts)]
    flows = sorted((f for _, batch in results for f in batch.flows), key=lambda f: (f.ts, f.uid))
    assert flows == serial_flows
    assert all(0 < r.flows < len(serial_flows) for r, _ in results)  # the work is shared
    for r, _ in results:
        assert [dataclasses.replace(i, sha256="") for i in serial_infos] == r.infos
    assert any(quoted) == (parts == 2)  # two scenario captures have such errors when split in two


def test_a_key_belongs_to_the_host_it_is_about() -> None:
    """The partition of a key is one of its ends' (the bucket of its text): the internal end when only one is, the
    client's (higher) port's between two internal hosts, the lower address otherwise; either direction alike."""
    home = HomeNet(["10.0.0.0/8"])
    chooser = partition.Partitioner(home, 7)
    ends = {text: partition.address_halves(text) for text in ("10.0.0.53", "10.1.2.3", "198.51.100.7", "2001:db8::1")}

    def of(proto, a, pa, b, pb):
        col = lambda v: np.array([v], dtype=np.uint64)  # noqa: E731
        return int(chooser.of_keys(col(proto), col(ends[a][0]), col(ends[a][1]), col(ends[b][0]), col(ends[b][1]),
                                   col(pa), col(pb))[0])

    bucket = {text: chooser._lookup(*(np.array([v], dtype=np.uint64) for v in ends[text]))[1][0] for text in ends}
    assert len(set(bucket.values())) > 1
    assert of(17, "10.1.2.3", 50000, "198.51.100.7", 53) == of(17, "198.51.100.7", 53, "10.1.2.3", 50000) \
        == bucket["10.1.2.3"]
    assert of(17, "10.1.2.3", 50000, "10.0.0.53", 53) == of(17, "10.0.0.53", 53, "10.1.2.3", 50000) \
        == bucket["10.1.2.3"]
    assert of(1, "10.0.0.53", 8, "10.1.2.3", 0) == bucket["10.0.0.53"]  # no ports: the lower address
    assert of(6, "198.51.100.7", 443, "2001:db8::1", 443) == bucket["198.51.100.7"]


def test_host_partitions_give_the_serial_report(cfg, tmp_path: Path) -> None:
    """The per-host engine over 3 partitions of the scenario captures (groups of hosts a multiple of them) gives
    the serial run's report, suppressed entries, shown flows and host views."""
    small = override(cfg, {"pipeline": {"store_group_flows": 10}})
    home = HomeNet(small.home_net.cidrs)
    serial = pipeline.per_host(CAPTURES, small, home, None, Allowlist(), None, None, None, None)
    run = hosts.Run([str(p) for p in CAPTURES], [], Inline(), 3)
    parallel = hosts.analyze(run, small, home, None, Allowlist(), None)
    assert report_json(parallel, GENERATED) == report_json(serial, GENERATED)
    assert list(parallel.flows) == list(serial.flows) and parallel.suppressed == serial.suppressed
    assert parallel.views == serial.views and parallel.flow_count == serial.flow_count
