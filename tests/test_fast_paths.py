"""The analyzer's remembered answers (per set of names, per SNI/Host value, per name shape) and other fast paths
give exactly what working each answer out afresh gives, on the real captures (pcaps/ and ../shared/pcaps)."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest
from conftest import SCENARIOS, shared_captures

from pcap_analyzer import pipeline
from pcap_analyzer.config import load_config
from pcap_analyzer.conftypes import FrozenMap
from pcap_analyzer.detect import beaconing, dns_tunnel
from pcap_analyzer.detect.base import DetectContext
from pcap_analyzer.detect.index import _host_part, build_index, told_names
from pcap_analyzer.detect.protocol_switch import zone_set
from pcap_analyzer.flows import chunk as chunk_module
from pcap_analyzer.homenet import HomeNet, is_ip
from pcap_analyzer.measures.domains import base_domain, is_public_suffix, suffix_match

CFG = load_config(None)
HOME = HomeNet(CFG.home_net.cidrs)
#: scenario captures of every kind (DNS tunnels, DGA bursts, TLS, HTTP, periodic services, IPv6) and real traffic
CAPTURES = sorted(SCENARIOS.glob("*.pcap")) + shared_captures("malicious")[:12] + shared_captures("apps")[:8]


@lru_cache(maxsize=None)
def _context(path: Path) -> DetectContext:
    _, flows = pipeline.read_flows([path], CFG)
    return DetectContext(flows, HOME, CFG)


def _told_afresh(flow) -> list[str]:
    """told_names as it was written before its answers were remembered per value."""
    if (flow.tls is None or not flow.tls.sni) and not flow.http:
        return []
    told = ([flow.tls.sni] if flow.tls is not None and flow.tls.sni else []) + [h.host for h in flow.http if h.host]
    return [name for name in map(_host_part, told) if name and not is_ip(name)]


def test_frozen_map_get_and_in_answer_as_a_dict() -> None:
    data = {"tcp/443": "tls", "udp/53": "dns", "": "empty", "none": None}
    frozen = FrozenMap(data)
    for key in [*data, "tcp/80", "", "absent"]:
        assert frozen.get(key) == data.get(key)
        assert frozen.get(key, "default") == data.get(key, "default")
        assert (key in frozen) == (key in data)
    assert frozen.get(("not", "a", "string")) is None
    with pytest.raises(TypeError):
        frozen.get(["unhashable"])


def test_remembered_names_equal_names_worked_out_afresh() -> None:
    shared = zone_set(CFG.detect.shared_zones)
    assert shared == frozenset(CFG.detect.shared_zones)
    periodic = beaconing.shipped_periodic() | {e.lower().strip(".") for e in CFG.detect.beaconing.extra_periodic}
    remembered = lru_cache(maxsize=None)(lambda name: suffix_match(name, periodic))
    told_seen = named = 0
    for path in CAPTURES:
        ctx = _context(path)
        index = build_index(ctx)
        for flow in ctx.flows:
            told = _told_afresh(flow)
            assert told_names(flow) == told, (path.name, flow.uid)
            names = frozenset(index.names_of_ip.get(flow.resp_h, ())).union(told)
            assert index.names_for(flow) == names, (path.name, flow.uid)
            for zones in (frozenset(), shared):
                bases = {d for d in {base_domain(n) for n in names} if d and not is_public_suffix(d) and d not in zones}
                assert index.base_domains_for(flow, zones) == bases, (path.name, flow.uid)
            assert (beaconing._is_periodic(flow, index, periodic, remembered)
                    == beaconing._is_periodic(flow, index, periodic)), (path.name, flow.uid)
            told_seen += bool(told)
            named += bool(names)
    assert told_seen > 50 and named > 200  # the captures do tell and resolve names: the comparison saw some


def test_dns_tunnel_with_remembered_shapes_reports_what_it_reports_without(monkeypatch) -> None:
    found = []
    for path in CAPTURES:
        ctx = _context(path)
        ctx.index = None
        with_cache = dns_tunnel.DnsTunnel().run(ctx)
        monkeypatch.setattr(dns_tunnel, "SHAPES_KEPT", 0)  # lru_cache(maxsize=0): every shape worked out afresh
        ctx.index = None
        afresh = dns_tunnel.DnsTunnel().run(ctx)
        monkeypatch.undo()
        assert with_cache == afresh, path.name
        found += with_cache
    assert len({i.host for i in found}) >= 2  # tunnels were found: the shapes mattered
    assert any(i.evidence["encoded_names"] for i in found)


def test_chunk_flow_keys_are_the_bytes_of_each_key_row(monkeypatch) -> None:
    """Chunk.group_keys (a void view's rows) equal each row's bytes cut from the packed columns."""
    init = chunk_module.Chunk.__init__
    checked = []

    def check(self, *args, **kwargs) -> None:
        init(self, *args, **kwargs)
        packed = self.group_key_cols.tobytes()
        size = chunk_module.KEY_BYTES
        assert self.group_keys == [packed[i: i + size] for i in range(0, len(packed), size)]
        assert all(chunk_module.KEY.unpack(key) == tuple(row) for key, row in
                   zip(self.group_keys, self.group_key_cols.astype(np.uint64).tolist()))
        checked.append(len(self.group_keys))

    monkeypatch.setattr(chunk_module.Chunk, "__init__", check)
    for path in [*CAPTURES[:6], *shared_captures("benign")[:6]]:
        pipeline.read_flows([path], CFG)
    assert sum(checked) > 100
