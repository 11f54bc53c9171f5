"""The sample past the head: bounded, spread over the rest of the flow's life, the same whatever the chunking, and
what the measures read for a channel that idles before it carries data."""
from __future__ import annotations

import random

import numpy as np
import pytest
from test_flows import CLIENT, SERVER, flows_of, handshake, pkt

from pcap_analyzer.config import load_config, override
from pcap_analyzer.flows.retain import later_stride
from pcap_analyzer.measures.measures import annotate_all


def idle_then_active(idle: int = 60, active: int = 500, seed: int = 5) -> list[dict]:
    """A TCP channel that sends 80-byte text keepalives, then random 200-byte records."""
    rng = random.Random(seed)
    out, seq, t = handshake(0.0, 40123, 7443), 1001, 0.1
    for i in range(idle):
        data = b"KEEPALIVE seq=%06d status=idle pad=" % i
        data += b"." * (80 - len(data))
        out.append(pkt(t, CLIENT, SERVER, 6, 40123, 7443, "PA", seq, 5001, data))
        seq, t = seq + len(data), t + 30.0
    for _ in range(active):
        data = rng.randbytes(200)
        out.append(pkt(t, CLIENT, SERVER, 6, 40123, 7443, "PA", seq, 5001, data))
        seq, t = seq + len(data), t + 0.05
    return out


def test_stride_keeps_at_most_the_limit() -> None:
    counts = np.arange(0, 5000)
    strides = later_stride(counts, 16)
    assert (counts // strides <= 16).all() and (strides[counts <= 16] == 1).all()
    big = strides > 1
    assert (counts[big] // (strides[big] // 2) > 16).all()  # the smallest such power of two


def test_idle_then_active_channel_is_measured_on_its_active_part() -> None:
    cfg = load_config()
    (flow,) = flows_of(idle_then_active(), cfg)
    assert len(flow.orig_sample) == cfg.flows.sample_bytes and flow.orig_sample.startswith(b"KEEPALIVE")
    # 8 keepalives and 500 records past the head: every 64th of them (8 at most), all 200-byte records
    assert len(flow.orig_later) == 7 * 200 and flow.orig_later.count(b"KEEPALIVE") == 0
    annotate_all([flow], cfg)
    assert flow.orig_measures.entropy < 5.0 and flow.orig_measures.printable > 0.99  # the idle head
    later = flow.orig_later_measures
    assert later is not None and later.entropy > 7.0 and later.nbytes == len(flow.orig_later)


@pytest.mark.parametrize("chunk", [0, 7, 64, 333])
def test_sample_does_not_depend_on_chunking(chunk: int) -> None:
    cfg = load_config()
    (whole,) = flows_of(idle_then_active(), cfg)
    (cut,) = flows_of(idle_then_active(), cfg, chunk)
    assert cut.orig_later == whole.orig_later and cut.orig_sample == whole.orig_sample


def test_flows_within_the_head_are_unchanged_and_the_sample_is_bounded() -> None:
    cfg = load_config()
    (short,) = flows_of(idle_then_active(idle=10, active=5), cfg)
    assert short.orig_later == b"" and short.resp_later == b""
    cfg = override(cfg, {"flows": {"later_samples": 4, "later_sample_bytes": 10}})
    (flow,) = flows_of(idle_then_active(idle=60, active=3000), cfg)
    assert len(flow.orig_later) == 2 * 10  # 3008 packets past the head: every 1024th (512th would keep 5)
    cfg = override(cfg, {"flows": {"later_samples": 0}})
    (off,) = flows_of(idle_then_active(), cfg)
    assert off.orig_later == b""


def test_udp_datagrams_past_the_head_are_sampled_too() -> None:
    rng = random.Random(9)
    cfg = load_config()
    keepalive = [pkt(1.0 + i, CLIENT, SERVER, 17, 5000, 40404, payload=b"\x00" * 12) for i in range(70)]
    tunnel = [pkt(80.0 + i / 10, CLIENT, SERVER, 17, 5000, 40404, payload=rng.randbytes(300)) for i in range(200)]
    (flow,) = flows_of(keepalive + tunnel, cfg)
    assert len(flow.orig_datagrams) == cfg.flows.max_datagrams
    assert len(flow.orig_later) == 6 * 300  # 206 datagrams past the head: every 32nd, all tunnel datagrams
    annotate_all([flow], cfg)
    assert flow.orig_measures.entropy < 1.0 and flow.orig_later_measures.entropy > 7.0
