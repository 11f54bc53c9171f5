"""HTTP/1.x request and response heads (request/status line, Host, User-Agent) in TCP payload samples."""
from __future__ import annotations

import re

from ..config import Config
from ..model import Flow, HttpInfo
from .text import escape_text

_REQUEST = re.compile(
    rb"(GET|POST|HEAD|PUT|DELETE|OPTIONS|CONNECT|TRACE|PATCH|PROPFIND|PROPPATCH|MKCOL|COPY|MOVE|LOCK|UNLOCK"
    rb"|SEARCH|REPORT|PRI) ([^\s]+) HTTP/(\d\.\d)\r?\n"  # PRI: the HTTP/2 cleartext connection preface
)
_RESPONSE = re.compile(rb"HTTP/(\d\.\d) (\d{3})[^\r\n]*\r?\n")
_HEAD_END = re.compile(rb"\r?\n\r?\n")


def _headers(block: bytes) -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    for line in block.split(b"\n"):
        name, colon, value = line.partition(b":")
        if colon:
            out.setdefault(name.strip().lower().decode("latin-1"), value.strip())
    return out


def parse_messages(sample: bytes, ts: float, limit: int) -> list[HttpInfo]:
    """Consecutive HTTP heads from the start of ``sample``; bodies are skipped by Content-Length (a message
    without one, or chunked, ends the walk)."""
    out: list[HttpInfo] = []
    pos = 0
    while len(out) < limit:
        req, resp = _REQUEST.match(sample, pos), _RESPONSE.match(sample, pos)
        first = req or resp
        if first is None:
            break
        end = _HEAD_END.search(sample, first.end() - 2)
        head_end = end.end() if end else len(sample)
        headers = _headers(sample[first.end(): head_end])
        if req:
            info = HttpInfo(ts=ts, is_request=True, method=req[1].decode(), uri=escape_text(req[2]),
                            version=req[3].decode())
        else:
            info = HttpInfo(ts=ts, is_request=False, status=int(resp[2]), version=resp[1].decode())
        info.host = escape_text(headers.get("host", b"")).lower()
        info.user_agent = escape_text(headers.get("user-agent", b""))
        out.append(info)
        length = headers.get("content-length", b"0" if req else b"")
        if end is None or not length.isdigit():
            break
        pos = head_end + int(length)
    return out


def dissect(flow: Flow, cfg: Config) -> bool:
    """Fill flow.http when a TCP direction starts with an HTTP request or status line."""
    if flow.proto != "tcp":
        return False
    limit = cfg.dissect.max_http_messages
    msgs = parse_messages(flow.orig_sample, flow.ts, limit) + parse_messages(flow.resp_sample, flow.ts, limit)
    if not msgs:
        return False
    flow.http = msgs
    return True
