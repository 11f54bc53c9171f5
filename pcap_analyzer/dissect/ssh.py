"""SSH identification strings (RFC 4253 4.2): "SSH-protoversion-softwareversion" opening either direction."""
from __future__ import annotations

import re

from ..config import Config
from ..model import Flow
from .text import escape_text

_BANNER = re.compile(rb"SSH-(?:2\.0|1\.99|1\.\d+)-")


def banner(sample: bytes, max_len: int) -> str:
    """The identification line that starts ``sample`` (without CR LF), or "" when it does not start with one."""
    if not _BANNER.match(sample):
        return ""
    line = sample[:max_len].split(b"\n", 1)[0].rstrip(b"\r")
    return escape_text(line)


def dissect(flow: Flow, cfg: Config) -> bool:
    """Fill flow.ssh_banners (originator's first) when a TCP direction opens with an SSH identification string."""
    if flow.proto != "tcp":
        return False
    max_len = cfg.dissect.max_ssh_banner
    banners = [b for b in (banner(flow.orig_sample, max_len), banner(flow.resp_sample, max_len)) if b]
    if not banners:
        return False
    flow.ssh_banners = banners
    return True
