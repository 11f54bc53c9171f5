"""What the bounded path frees is given back, and what it holds is held once (issue 12's memory curve): the held
flows go to the store before they and the reader's open flows pass a group, the flow store's waiting batch is
sorted without a second copy of it, freed heap pages return to the system, and a group's Flow objects share their
repeated strings."""
from __future__ import annotations

import re
import sys
from pathlib import Path

import pyarrow as pa
import pytest

from conftest import SCENARIOS
from pcap_analyzer import bounded, memtrim
from pcap_analyzer.config import default_config, override
from pcap_analyzer.flows.arrow import from_table, to_table
from pcap_analyzer.flows.store import FlowStore
from pcap_analyzer.homenet import HomeNet
from pcap_analyzer.pipeline import analyze, read_flows


def _flows() -> list:
    return [f for p in sorted(SCENARIOS.glob("fallback_*.pcap")) for f in read_flows([p], default_config())[1]]


def test_held_flows_go_to_the_store_before_they_and_the_open_flows_pass_a_group(
        monkeypatch: pytest.MonkeyPatch) -> None:
    captures = sorted(SCENARIOS.glob("fallback_*.pcap"))
    seen: list[tuple[int | None, int]] = []  # (flows held, None once spilled; flows the reader holds open)
    for name in ("add", "unfinished"):
        original = getattr(bounded.Held, name)

        def traced(self, *args, original=original):  # type: ignore[no-untyped-def]
            original(self, *args)
            seen.append((None if self.store is not None else len(self.flows), self.open))
        monkeypatch.setattr(bounded.Held, name, traced)

    def run(**pipeline: object):
        cfg = override(default_config(), {"pipeline": {"annotate_batch": 1, **pipeline}})
        return analyze(captures, cfg, HomeNet(cfg.home_net.cidrs))

    whole = run()
    assert seen[-1][0] == whole.flow_count  # every flow fits one group: held to the end
    most_open = max(open_ for _, open_ in seen)
    assert 0 < most_open < whole.flow_count
    group = whole.flow_count - 1  # one flow too many: the capture will not fit
    seen.clear()
    spilled = run(store_group_flows=group)
    held = [n for n, _ in seen if n is not None]
    assert held and None in [n for n, _ in seen]
    # never a group's worth held while the reader still holds open flows: the store takes them as soon as the
    # flows seen pass a group (the old rule held up to `group` flows, then stored them)
    assert all(n + open_ <= group for n, open_ in seen if n is not None)
    first = next(open_ for n, open_ in seen if n is None)
    assert first > 0  # stored before the last batch, while flows were still open (the old rule: at the last batch)
    assert spilled.hosts == whole.hosts


def test_the_waiting_batch_is_sorted_into_its_buckets_without_a_second_copy(tmp_path: Path) -> None:
    flow_list = _flows()
    hosts = [f.orig_h for f in flow_list]
    default = pa.default_memory_pool()
    pool = pa.proxy_memory_pool(default)  # counts only what the store allocates
    pa.set_memory_pool(pool)
    try:
        store = FlowStore(tmp_path, 16, 10**9)
        for _ in range(40):
            store.add(flow_list, hosts)
        waiting = pool.bytes_allocated()
        store.flush()
        peak = pool.max_memory()
        store.close()
    finally:
        pa.set_memory_pool(default)
    # Table.take made every sorted column while the unsorted ones were referenced: about twice the batch
    assert waiting > 1 << 20 and peak < 1.75 * waiting
    assert sum(t.num_rows for t in store.tables()) == 40 * len(flow_list)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RssAnon and glibc's malloc_trim are Linux's")
def test_release_gives_freed_heap_pages_back() -> None:
    if memtrim._TRIM is None:
        pytest.skip("no glibc")

    def anon_mb() -> float:
        return int(re.search(r"RssAnon:\s+(\d+)", Path("/proc/self/status").read_text()).group(1)) / 1024

    memtrim.release()
    blocks = [bytes(4000) for _ in range(40_000)]  # 160 MB in malloc's heap (below its mmap threshold)
    kept = blocks[::64]  # live blocks scattered across it: the heap cannot shrink from the top
    before = anon_mb()
    del blocks
    assert anon_mb() > before - 40  # freed, but still the process's
    memtrim.release()
    assert anon_mb() < before - 100
    assert len(kept) == 625


def test_stored_flows_share_their_repeated_strings() -> None:
    flow_list = _flows()
    back = from_table(to_table(flow_list))
    assert [f.uid for f in back] == [f.uid for f in flow_list] and back == flow_list
    for name in ("orig_h", "resp_h", "proto", "conn_state", "service"):
        values = [getattr(f, name) for f in back if getattr(f, name) is not None]
        assert len({id(v) for v in values}) == len(set(values)) < len(values), name
