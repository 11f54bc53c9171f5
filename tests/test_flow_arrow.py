"""Flow <-> Arrow codec: every flow of every scenario capture survives a round trip, with and without payload."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from conftest import SCENARIOS
from pcap_analyzer.config import load_config
from pcap_analyzer.flows.arrow import FLOW_SCHEMA, from_table, to_table
from pcap_analyzer.model import Flow
from pcap_analyzer.measures.annotate import compact
from pcap_analyzer.pipeline import read_flows


@pytest.fixture(scope="module")
def annotated(tmp_path_factory: pytest.TempPathFactory) -> list[Flow]:
    """The annotated flows of every scenario capture, payload still retained (not streamed, not compacted)."""
    toml = tmp_path_factory.mktemp("cfg") / "config.toml"
    toml.write_text("[pipeline]\nstream = false\n")
    cfg = load_config(toml)
    out: list[Flow] = []
    for path in sorted(SCENARIOS.glob("*.pcap")):
        out += read_flows([path], cfg)[1]
    return out


def _parts(flow_list: list[Flow]) -> set[str]:
    """The optional parts present in some flow (so the round trip is known to exercise each)."""
    return {f.name for f in dataclasses.fields(Flow) for flow in flow_list if getattr(flow, f.name) not in
            (None, "", b"", [], 0, False)}


def test_round_trip_annotated_and_compacted(annotated: list[Flow]) -> None:
    every = {f.name for f in dataclasses.fields(Flow)} - {"zeek_uids", "fragments",
                                                      "orig_payload_seen", "resp_payload_seen"}
    assert every <= _parts(annotated), every - _parts(annotated)
    table = to_table(annotated)
    assert table.schema == FLOW_SCHEMA and table.num_rows == len(annotated)
    assert from_table(table) == annotated
    compacted = from_table(table)
    compacted[0].zeek_uids.append("CZeek1")  # a merged Zeek uid survives too
    compact(compacted)
    assert {"orig_payload_seen", "resp_payload_seen", "zeek_uids"} <= _parts(compacted)
    assert not any(f.retains_payload for f in compacted)
    back = from_table(to_table(compacted))
    assert back == compacted and back != annotated
    assert from_table(table.select(list(reversed(FLOW_SCHEMA.names)))) == annotated  # by name, not position


def test_round_trip_of_nothing() -> None:
    assert from_table(to_table([])) == []


def test_nested_parts_are_columns_a_query_engine_reads(annotated: list[Flow]) -> None:
    """DNS questions and TLS SNI are Arrow structs DuckDB unnests: no Python needed to read the store."""
    flows_tbl = to_table(annotated)
    assert pa.types.is_list(flows_tbl.schema.field("dns").type)
    con = duckdb.connect()
    con.register("flows_tbl", flows_tbl)
    qnames = {r[0] for r in con.execute("SELECT DISTINCT unnest(dns).qname FROM flows_tbl").fetchall()}
    assert qnames == {m.qname for f in annotated for m in f.dns}
    snis = con.execute("SELECT count(*) FROM flows_tbl WHERE tls.sni <> ''").fetchone()[0]
    assert snis == sum(1 for f in annotated if f.tls is not None and f.tls.sni) > 0
