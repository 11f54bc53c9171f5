"""Randomness measures: entropy, chi-square, printable ratio, vectorised batches, DNS name shape, flow annotation."""
from __future__ import annotations

import math
import random

import numpy as np
import pytest

from pcap_analyzer.measures import measures
from pcap_analyzer.config import default_config
from pcap_analyzer.model import Flow

_noise = random.Random(13).randbytes  # seeded: the same 'random' bytes every run

TEXT = (b"It was the best of times, it was the worst of times, it was the age of wisdom, it was the age of "
        b"foolishness, it was the epoch of belief, it was the epoch of incredulity, it was the season of Light, "
        b"it was the season of Darkness, it was the spring of hope, it was the winter of despair.\r\n") * 8


def test_entropy_bounds_and_exact_values():
    assert measures.entropy(_noise(8192)) > 7.5
    assert measures.entropy(TEXT) < 5
    assert measures.entropy(b"") == 0.0 and measures.entropy(b"aaaa") == 0.0
    assert measures.entropy(b"abab") == pytest.approx(1.0)
    assert measures.entropy(bytes(range(256))) == pytest.approx(8.0)
    assert measures.entropy(np.frombuffer(b"abcd", dtype=np.uint8)) == pytest.approx(2.0)


def test_entropies_vectorised_equals_scalar():
    samples = [_noise(n) for n in (0, 1, 17, 300, 4096)] + [TEXT, b"\x00" * 50]
    got = measures.entropies(samples)
    assert got.shape == (len(samples),)
    assert np.allclose(got, [measures.entropy(s) for s in samples])
    assert measures.entropies([]).shape == (0,)


def _chi2_sf_by_integration(x: float, df: int = 255) -> float:
    """Independent reference: integrate the chi-square density numerically."""
    grid = np.linspace(x, x + 2000.0, 400001)
    log_pdf = (df / 2 - 1) * np.log(grid) - grid / 2 - (df / 2) * math.log(2) - math.lgamma(df / 2)
    return float(np.trapezoid(np.exp(log_pdf), grid))


@pytest.mark.parametrize("stat", [200.0, 255.0, 293.0, 330.0])
def test_wilson_hilferty_p_value_is_accurate(stat):
    assert float(measures.chi2_sf(stat)) == pytest.approx(_chi2_sf_by_integration(stat), abs=1e-4)


def test_chi_square_separates_random_from_text():
    stat_r, p_r = measures.chi_square(_noise(65536))
    stat_t, p_t = measures.chi_square(TEXT)
    assert p_r > 1e-6 and p_t < 1e-12
    assert stat_t > 10 * stat_r
    assert measures.chi_square(b"") == (0.0, 1.0)


def test_printable_ratio():
    assert measures.printable_ratio(TEXT) == 1.0
    assert measures.printable_ratio(bytes(range(256))) == pytest.approx(98 / 256)
    assert measures.printable_ratio(b"") == 0.0


def test_channel_and_batch_measures_agree():
    samples = [_noise(1000), TEXT, _noise(50), b"x" * 3000]
    single = [measures.channel_measures(s) for s in samples]
    assert measures.batch_measures(samples, batch_bytes=1500) == single  # several passes
    assert measures.batch_measures(samples, batch_bytes=1 << 30) == single  # one pass
    m = single[0]
    assert m.nbytes == 1000 and m.entropy > 7 and 0 <= m.chi2_p <= 1 and 0 <= m.printable <= 1


def test_name_measures():
    m = measures.name_measures("MZXW6YTBOI2DAMBQGAYDAMBQGAYDA.t.tunnel.example.co.uk.")
    assert m["base_domain"] == "example.co.uk"
    assert (m["labels"], m["longest_label"]) == (6, 29)
    assert m["sub_length"] == len("mzxw6ytboi2dambqgaydambqgayda") + len("t") + len("tunnel")
    assert m["base32_ratio"] == 1.0 and m["entropy"] > 3.5
    hexy = measures.name_measures("dnscat.0123456789abcdef0123.example.com")
    assert hexy["hex_ratio"] > 0.7 and hexy["digit_ratio"] > 0.3
    word = measures.name_measures("www.google.com")
    assert word["sub_length"] == 3 and word["entropy"] == 0.0 and word["hex_ratio"] == 0.0
    assert measures.name_measures("")["length"] == 0


def _flow(proto: str, **kw) -> Flow:
    return Flow(uid="C", ts=0.0, last_ts=1.0, proto=proto, orig_h="10.0.0.1", orig_p=1, resp_h="192.0.2.1",
                resp_p=2, **kw)


def test_annotate_flows():
    cfg = default_config()
    minimum = cfg.measures.min_bytes
    tcp = _flow("tcp", orig_sample=_noise(2000), resp_sample=b"x" * (minimum - 1))
    udp = _flow("udp", orig_datagrams=[b"ab" * 20, b"cd" * 20])
    echo = bytes([8, 0, 0, 0, 0, 1, 0, 1]) + TEXT[:100]
    icmp = _flow("icmp", orig_datagrams=[echo, echo], resp_datagrams=[bytes([3, 1]) + bytes(60)])
    measures.annotate_all([tcp, udp, icmp], cfg)
    assert tcp.orig_measures.nbytes == 2000 and tcp.orig_measures.entropy > 7 and tcp.resp_measures is None
    assert udp.orig_measures.nbytes == 80 and udp.orig_measures.entropy == pytest.approx(2.0)
    assert udp.resp_measures is None
    assert icmp.orig_measures.nbytes == 200 and icmp.orig_measures.printable == 1.0  # ICMP header stripped
    assert icmp.resp_measures is None  # an unreachable is not an echo payload
    measures.annotate(tcp, cfg)
    assert tcp.orig_measures.nbytes == 2000


def test_vectorised_entropy_is_exactly_the_per_cell_formula():
    """The c*log2(c) lookup table gives the very floats of computing it per histogram cell, also for counts past
    the table (a long UDP flow: one byte value seen 100k times) and for batches of mixed sizes."""
    rng = np.random.default_rng(5)
    samples = [rng.integers(0, 256, size=n, dtype=np.uint8).tobytes() for n in (1, 31, 32, 255, 4096, 70000)]
    samples += [b"a" * 100_000 + bytes(range(256)), TEXT, b""]
    counts = measures.byte_counts(samples)
    for row, sample in zip(counts, samples):
        assert np.array_equal(row, np.bincount(np.frombuffer(sample, np.uint8), minlength=256))
    totals = counts.sum(axis=1).astype(np.float64)
    safe = np.maximum(totals, 1.0)
    direct = np.maximum(np.log2(safe) - (counts * np.log2(np.maximum(counts, 1))).sum(axis=1) / safe, 0.0)
    assert np.array_equal(measures.entropies(samples), direct)
    assert [measures.entropy(s) for s in samples] == direct.tolist()
    small = measures.byte_counts(samples[:5])  # every count within the table
    assert np.array_equal(measures._entropy_rows(small, small.sum(axis=1).astype(np.float64)), direct[:5])


def test_flows_without_retained_payload_keep_their_measures():
    """Zeek-log flows and flows whose payload the pipeline dropped after measuring (compaction) keep what they have."""
    cfg = default_config()
    measured = _flow("tcp", orig_sample=_noise(500))
    measures.annotate_all([measured], cfg)
    kept = measured.orig_measures
    measured.orig_sample, measured.orig_payload_seen = b"", True
    measures.annotate_all([measured, _flow("udp")], cfg)
    assert measured.orig_measures is kept and measured.resp_measures is None
