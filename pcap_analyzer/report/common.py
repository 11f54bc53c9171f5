"""What the three report writers and the terminal summary share: host order, counts, text cleaning, atomic files."""
from __future__ import annotations

import contextlib
import os
import re
import secrets
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..model import VERDICTS, Flow, HostReport, Indicator
from ..registry import QUESTIONS as QUESTIONS  # re-exported for the writers
from ..registry import questions
from ..times import iso_time

#: The four questions every host report answers and their text (data/indicators.toml [questions]).
QUESTION_TEXT: dict[str, str] = questions()

#: Output file names inside OUTDIR.
OUTPUT_NAMES: tuple[str, ...] = ("report.json", "fallback.log", "report.html")


def ordered_hosts(hosts: Iterable[HostReport]) -> list[HostReport]:
    """Escalate first, then investigate, then benign; within a verdict by score (highest first), then address."""
    rank = {verdict: i for i, verdict in enumerate(VERDICTS)}
    return sorted(hosts, key=lambda h: (rank.get(h.verdict, len(rank)), -h.score, h.ip))


def verdict_counts(hosts: Iterable[HostReport]) -> dict[str, int]:
    counts = dict.fromkeys(VERDICTS, 0)
    for host in hosts:
        counts[host.verdict] = counts.get(host.verdict, 0) + 1
    return counts


def answer(host: HostReport, question: str) -> dict[str, Any]:
    """The host's answer to one question; a question the verdict stage left out reads as "no, no evidence". An answer
    the inputs could not give is None ("not measurable") with a ``note`` saying why."""
    got = host.answers.get(question) or {}
    value = got.get("answer", False)
    out = {"answer": None if value is None else bool(value), "evidence": list(got.get("evidence", []))}
    if got.get("note"):
        out["note"] = str(got["note"])
    return out


def hex_escape(char: str) -> str:
    """One character as ``\\xHH`` per byte: a byte that was not valid UTF-8 (kept by surrogateescape) as that byte,
    anything else as its UTF-8 bytes."""
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:
        return f"\\x{code - 0xDC00:02x}"
    return "".join(f"\\x{b:02x}" for b in char.encode("utf-8", "surrogatepass"))


def hex_match(match: re.Match[str]) -> str:
    """``hex_escape`` of a regex match (for ``Pattern.sub``: one pass over the text, not one call per character)."""
    return hex_escape(match.group())


_SURROGATES = re.compile("[\ud800-\udfff]")


def escape_surrogates(text: str) -> str:
    """Bytes that were not valid UTF-8 (lone surrogates, kept by surrogateescape) as ``\\xHH``; the rest as is."""
    return _SURROGATES.sub(hex_match, text) if _SURROGATES.search(text) else text


def escape_text(text: str) -> str:
    """Characters that are not printable (controls, bidi overrides, invalid bytes...) as ``\\xHH``, for display."""
    return text if text.isprintable() else "".join(c if c.isprintable() else hex_escape(c) for c in text)


def shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: max(limit - 1, 0)] + "…"


def display(value: Any, limit: int) -> str:
    """Any (possibly attacker-controlled) value as one safe, bounded line of text for a person to read."""
    text = str(value)
    # escaping only lengthens, character by character: the first limit + 1 characters decide the cut text
    return shorten(escape_text(text[: limit + 1] if limit >= 0 else text), limit)


def is_time_key(key: str) -> bool:
    return key == "ts" or key.endswith("_ts")


def human(key: str, value: Any) -> str:
    """One evidence value in words: times (``ts``, ``*_ts``) in ISO 8601, a nested dict as ``(key value, ...)``, a
    list as ``a, b``; never a Python repr."""
    if isinstance(value, (dict, list, tuple, set, frozenset)):
        return "".join(_human_parts(key, value))
    return _human_scalar(key, value)


def _human_scalar(key: str, value: Any) -> str:
    if is_time_key(key) and isinstance(value, (int, float)) and not isinstance(value, bool):
        return iso_time(value)
    return str(value)


def _human_parts(key: str, value: Any) -> Iterator[str]:
    """``human(key, value)`` in pieces, in order (a reader that needs only the start stops early)."""
    if isinstance(value, dict):
        yield "("
        yield from _item_parts(value, " ", ", ")
        yield ")"
    elif isinstance(value, (list, tuple, set, frozenset)):
        sep = ""
        for v in value:
            yield sep
            yield from _human_parts(key, v)
            sep = ", "
    else:
        yield _human_scalar(key, value)


def evidence_text(evidence: dict[str, Any], limit: int | None = None) -> str:
    """An indicator's evidence as ``key=value; ...`` text in words (see ``human``), empty values left out.

    With ``limit``, the text is made only as far as a reader that keeps ``limit`` characters needs: the result is
    the whole text, or a start of it with more than ``limit`` characters before any trailing "; " (so cutting, or
    stripping "; " then cutting, gives what the whole text gives).
    """
    parts = _item_parts(evidence, "=", "; ")
    if limit is None:
        return "".join(parts)
    out: list[str] = []
    size = 0
    for part in parts:
        out.append(part)
        size += len(part)
        if size > limit:
            text = "".join(out)
            if len(text.rstrip("; ")) > limit:
                return text
            out, size = [text], len(text)
    return "".join(out)


def _item_parts(items: dict[str, Any], between: str, sep: str) -> Iterator[str]:
    """``key<between>value`` of every non-empty item in words, ``sep`` between them, in pieces."""
    before = ""
    for key, value in items.items():
        if value not in ("", None, [], {}):
            yield f"{before}{key}{between}"
            yield from _human_parts(str(key), value)
            before = sep


def endpoint(channel: dict[str, Any]) -> str:
    """A channel dict (failed_then_fallback evidence) as ``peer:port/proto`` (IPv6 peers in brackets)."""
    peer = str(channel.get("peer", "") or "")
    if ":" in peer:
        peer = f"[{peer}]"
    port, proto = channel.get("port"), channel.get("proto") or ""
    text = peer if port in (None, "") else f"{peer}:{port}"
    return f"{text}/{proto}" if proto else text


def flow_endpoint(flow: Flow) -> str:
    """The responder side of a flow as ``peer:port/proto``."""
    return endpoint({"peer": flow.resp_h, "port": flow.resp_p, "proto": flow.proto})


def flow_index(flows: Iterable[Flow]) -> Mapping[str, Flow]:
    """Flows by analyzer uid, by each Zeek uid and by community_id (first flow wins), for joining indicators.
    Evidence kept on disk (flows/evidence.py) brings its own index (and is not imported here: it is Arrow)."""
    own: Mapping[str, Flow] | None = getattr(flows, "flow_index", None)
    if own is not None:
        return own
    index: dict[str, Flow] = {}
    for flow in flows:
        for key in (flow.uid, *flow.zeek_uids, flow.community_id):
            if key:
                index.setdefault(key, flow)
    return index


def indicator_flow(indicator: Indicator, index: dict[str, Flow]) -> Flow | None:
    for key in (*indicator.uids, indicator.community_id):
        if key and key in index:
            return index[key]
    return None


def flows_by_host(flows: Iterable[Flow]) -> dict[str, list[Flow]]:
    """Each address with the flows it is an endpoint of (built once, looked up per host)."""
    by_host: dict[str, list[Flow]] = {}
    for flow in flows:
        by_host.setdefault(flow.orig_h, []).append(flow)
        if flow.resp_h != flow.orig_h:
            by_host.setdefault(flow.resp_h, []).append(flow)
    return by_host


def atomic_write(path: Path, text: str | Iterable[str]) -> None:
    """Write ``path`` whole or not at all: a temporary file beside it, then os.replace. Disk errors -> InputError.
    ``text`` may be pieces (written as they come: a large report is never held whole)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as out:
            if isinstance(text, str):
                out.write(text)
            else:
                out.writelines(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        raise InputError(f"cannot write {path}: {exc.strerror or exc}") from None
