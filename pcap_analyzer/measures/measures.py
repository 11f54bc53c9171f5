"""Randomness measures of payload bytes and of DNS names.

Every measure is computed from a byte histogram made with ``np.bincount``; :func:`entropies` and
:func:`annotate_all` histogram many samples in one pass by counting ``sample_index * 256 + byte``.

The chi-square p-value uses the Wilson-Hilferty approximation (scipy is not a dependency): for X ~ chi2(k),
``(X/k)**(1/3)`` is close to normal with mean ``1 - 2/(9k)`` and variance ``2/(9k)``; with k = 255 degrees of
freedom the error is far below anything a detector threshold can see. The p-value is the upper tail
P(chi2 >= statistic): uniformly random bytes give p spread over (0, 1) (rarely near 0), while text, headers and
other structured data give p ~ 0.
"""
from __future__ import annotations

import math
import re
from collections.abc import Sequence

import numpy as np

from ..config import Config
from ..dissect.icmp import ICMP_PROTO, echo_payloads
from .domains import base_domain
from ..model import ChannelMeasures, Flow

_DF = 255  # chi-square degrees of freedom: 256 byte values - 1
_WH_MEAN = 1.0 - 2.0 / (9.0 * _DF)
_WH_SD = math.sqrt(2.0 / (9.0 * _DF))
_erfc = np.frompyfunc(math.erfc, 1, 1)

#: printable ASCII plus tab, LF and CR
_PRINTABLE = np.zeros(256, dtype=bool)
_PRINTABLE[0x20:0x7F] = True
_PRINTABLE[[0x09, 0x0A, 0x0D]] = True

_DIGIT = re.compile(r"[0-9]")
_HEX = re.compile(r"[0-9a-f]")
_BASE32 = re.compile(r"[a-z2-7=]")
_BASE64 = re.compile(r"[a-z0-9+/=_-]")


def _as_array(data: bytes | bytearray | memoryview | np.ndarray) -> np.ndarray:
    if isinstance(data, np.ndarray):
        return data.astype(np.uint8, copy=False).ravel()
    return np.frombuffer(data, dtype=np.uint8)


def _counts(data: bytes | np.ndarray) -> np.ndarray:
    """Byte histogram of one sample as a (1, 256) matrix."""
    return np.bincount(_as_array(data), minlength=256).reshape(1, 256)


def byte_counts(samples: Sequence[bytes]) -> np.ndarray:
    """Byte histograms of many samples, shape (len(samples), 256), from ONE bincount over sample*256+byte."""
    n = len(samples)
    if n == 0:
        return np.zeros((0, 256), dtype=np.int64)
    lengths = np.fromiter(map(len, samples), dtype=np.int64, count=n)
    keys = np.repeat(np.arange(0, n * 256, 256, dtype=np.intp), lengths)
    keys += np.frombuffer(b"".join(samples), dtype=np.uint8)
    return np.bincount(keys, minlength=n * 256).reshape(n, 256)


def _totals(counts: np.ndarray) -> np.ndarray:
    return counts.sum(axis=1).astype(np.float64)


#: c * log2(c) looked up by count (built on first use, grown as needed up to _CLOGC_MAX): the same float64 values as
#: computing it per histogram cell, without the per-cell logarithms.
_CLOGC_MAX = 1 << 16
_clogc_table = np.zeros(1, dtype=np.float64)


def _clogc(counts: np.ndarray) -> np.ndarray:
    """c * log2(c) of every cell (0 for c = 0)."""
    global _clogc_table
    top = int(counts.max()) if counts.size else 0
    if top > _CLOGC_MAX:
        return counts * np.log2(np.maximum(counts, 1))
    if top >= _clogc_table.shape[0]:
        values = np.arange(max(top + 1, 4096), dtype=counts.dtype)
        _clogc_table = values * np.log2(np.maximum(values, 1))
    return _clogc_table[counts]


def _entropy_rows(counts: np.ndarray, totals: np.ndarray) -> np.ndarray:
    """H = log2(T) - sum(c * log2 c) / T per row (0 for an empty row)."""
    clogc = _clogc(counts).sum(axis=1)
    safe = np.maximum(totals, 1.0)
    return np.maximum(np.log2(safe) - clogc / safe, 0.0)


def _chi2_rows(counts: np.ndarray, totals: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pearson's statistic against 256 equally likely byte values: sum((c - T/256)^2 / (T/256)) = 256*sum(c^2)/T - T."""
    squares = np.einsum("ij,ij->i", counts, counts)
    stat = np.where(totals > 0, 256.0 * squares / np.maximum(totals, 1.0) - totals, 0.0)
    return stat, np.where(totals > 0, chi2_sf(stat), 1.0)


def chi2_sf(stat: np.ndarray | float) -> np.ndarray:
    """P(X >= stat) for X ~ chi-square with 255 degrees of freedom (Wilson-Hilferty approximation)."""
    z = ((np.asarray(stat, dtype=np.float64) / _DF) ** (1.0 / 3.0) - _WH_MEAN) / _WH_SD
    return 0.5 * np.asarray(_erfc(z / math.sqrt(2.0)), dtype=np.float64)


def _printable_rows(counts: np.ndarray, totals: np.ndarray) -> np.ndarray:
    return (counts @ _PRINTABLE.astype(counts.dtype)) / np.maximum(totals, 1.0)


def entropy(data: bytes | np.ndarray) -> float:
    """Shannon entropy in bits per byte (0..8); 0.0 for empty input."""
    counts = _counts(data)
    return float(_entropy_rows(counts, _totals(counts))[0])


def entropies(samples: Sequence[bytes]) -> np.ndarray:
    """Shannon entropy (bits/byte) of every sample, vectorised: one bincount for all of them."""
    counts = byte_counts(samples)
    return _entropy_rows(counts, _totals(counts))


def chi_square(data: bytes | np.ndarray) -> tuple[float, float]:
    """Chi-square statistic of the byte histogram against uniform bytes, and its p-value (Wilson-Hilferty)."""
    counts = _counts(data)
    stat, p = _chi2_rows(counts, _totals(counts))
    return float(stat[0]), float(p[0])


def printable_ratio(data: bytes | np.ndarray) -> float:
    """Fraction of bytes that are printable ASCII, tab, LF or CR; 0.0 for empty input."""
    counts = _counts(data)
    return float(_printable_rows(counts, _totals(counts))[0])


def _measures_rows(counts: np.ndarray) -> list[ChannelMeasures]:
    totals = _totals(counts)
    stat, p = _chi2_rows(counts, totals)
    # in ChannelMeasures field order: nbytes, entropy, chi2, chi2_p, printable
    columns = (totals.astype(np.int64), _entropy_rows(counts, totals), stat, p, _printable_rows(counts, totals))
    return [ChannelMeasures(*row) for row in zip(*(col.tolist() for col in columns))]


def channel_measures(data: bytes | np.ndarray) -> ChannelMeasures:
    """All randomness measures of one payload."""
    return _measures_rows(_counts(data))[0]


def batch_measures(samples: Sequence[bytes], batch_bytes: int) -> list[ChannelMeasures]:
    """channel_measures of many samples, histogrammed in vectorised passes of about ``batch_bytes`` bytes."""
    out: list[ChannelMeasures] = []
    start, size = 0, 0
    for i, s in enumerate(samples):
        size += len(s)
        if size >= batch_bytes:
            out.extend(_measures_rows(byte_counts(samples[start: i + 1])))
            start, size = i + 1, 0
    if start < len(samples):
        out.extend(_measures_rows(byte_counts(samples[start:])))
    return out


def _ratio(pattern: re.Pattern[str], text: str) -> float:
    return len(pattern.findall(text)) / len(text) if text else 0.0


def name_measures(qname: str) -> dict[str, float | int | str]:
    """Shape of a DNS name: sizes, and character statistics of the part below the registered domain."""
    name = qname.lower().rstrip(".")
    labels = [lab for lab in name.split(".") if lab]
    base = base_domain(name)
    sub = name[: -len(base)].rstrip(".") if base and name.endswith(base) else ""
    chars = sub.replace(".", "")
    return {
        "length": len(name),
        "labels": len(labels),
        "longest_label": max((len(lab) for lab in labels), default=0),
        "base_domain": base,
        "sub_length": len(chars),
        "entropy": entropy(chars.encode("utf-8", "surrogateescape")) if chars else 0.0,
        "digit_ratio": _ratio(_DIGIT, chars),
        "hex_ratio": _ratio(_HEX, chars),
        "base32_ratio": _ratio(_BASE32, chars),
        "base64_ratio": _ratio(_BASE64, chars),
    }


def flow_payloads(flow: Flow) -> tuple[bytes, bytes]:
    """The retained payload of each direction that the measures describe (orig, resp)."""
    if flow.proto == "tcp":
        return flow.orig_sample, flow.resp_sample
    if flow.proto == ICMP_PROTO:
        return (b"".join(echo_payloads(flow.orig_datagrams, flow.ip_ver)),
                b"".join(echo_payloads(flow.resp_datagrams, flow.ip_ver)))
    return b"".join(flow.orig_datagrams), b"".join(flow.resp_datagrams)


def annotate(flow: Flow, cfg: Config) -> None:
    """Fill flow.orig_measures / resp_measures (None for a direction with fewer than measures.min_bytes).
    A flow without retained payload (Zeek-log flows, compacted flows) keeps what it has."""
    annotate_all([flow], cfg)


def annotate_all(flows: list[Flow], cfg: Config) -> None:
    """annotate() for many flows with vectorised histograms."""
    min_bytes = cfg.measures.min_bytes
    targets: list[Flow] = []
    is_orig: list[bool] = []
    samples: list[bytes] = []
    for flow in flows:
        if flow.proto == "tcp":  # flow_payloads(), inlined for the most common case
            orig, resp = flow.orig_sample, flow.resp_sample
            if not (orig or resp or flow.orig_datagrams or flow.resp_datagrams):
                continue  # nothing retained: nothing to measure, keep what it has
        elif flow.orig_datagrams or flow.resp_datagrams or flow.orig_sample or flow.resp_sample:
            orig, resp = flow_payloads(flow)
        else:
            continue
        flow.orig_measures = flow.resp_measures = None
        if len(orig) >= min_bytes:
            targets.append(flow)
            is_orig.append(True)
            samples.append(orig)
        if len(resp) >= min_bytes:
            targets.append(flow)
            is_orig.append(False)
            samples.append(resp)
    for flow, orig_side, m in zip(targets, is_orig, batch_measures(samples, cfg.measures.batch_bytes)):
        if orig_side:
            flow.orig_measures = m
        else:
            flow.resp_measures = m
    _annotate_later(flows, min_bytes, cfg.measures.batch_bytes)


def _annotate_later(flows: list[Flow], min_bytes: int, batch_bytes: int) -> None:
    """Fill orig_later_measures / resp_later_measures from the sample past the head (the active part of a flow that
    idled first), for the few flows that have one."""
    targets: list[tuple[Flow, bool]] = []
    samples: list[bytes] = []
    for flow in flows:
        if not (flow.orig_later or flow.resp_later):
            continue
        flow.orig_later_measures = flow.resp_later_measures = None
        for orig_side, data in ((True, flow.orig_later), (False, flow.resp_later)):
            if len(data) >= min_bytes:
                targets.append((flow, orig_side))
                samples.append(data)
    for (flow, orig_side), m in zip(targets, batch_measures(samples, batch_bytes)):
        if orig_side:
            flow.orig_later_measures = m
        else:
            flow.resp_later_measures = m
