"""The Ookla Speedtest test protocol (plain TCP, usually on 8080 or 5060): line commands, the client opening with
"HI" and the server answering "HELLO <version> ..."."""
from __future__ import annotations

import re

from ..config import Config
from ..model import Flow
from .text import escape_text

_CLIENT = re.compile(rb"HI( [\x21-\x7e]{1,64})?\r?\n")
_SERVER = re.compile(rb"HELLO ([0-9][\x21-\x7e]{0,15})")


def dissect(flow: Flow, cfg: Config) -> bool:
    """Fill flow.app (server version) when the client opens with HI and the server greets with HELLO."""
    if flow.proto != "tcp" or not _CLIENT.match(flow.orig_sample):
        return False
    server = _SERVER.match(flow.resp_sample)
    if server is None:
        return False
    flow.app = {"protocol": "speedtest", "server_version": escape_text(server.group(1))}
    return True
