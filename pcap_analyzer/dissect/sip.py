"""SIP (RFC 3261) on any port and transport: a request line "METHOD sip:... SIP/2.0" or a status line
"SIP/2.0 200 ..." opening a datagram or a TCP direction."""
from __future__ import annotations

import re

from ..config import Config
from ..model import Flow
from .text import escape_text
from .units import units

_REQUEST = re.compile(rb"(INVITE|REGISTER|OPTIONS|ACK|BYE|CANCEL|SUBSCRIBE|NOTIFY|PUBLISH|INFO|PRACK|UPDATE|MESSAGE"
                      rb"|REFER) (sips?|tel):\S+ SIP/2\.0\r?\n")
_STATUS = re.compile(rb"SIP/2\.0 [1-6]\d\d ")


def dissect(flow: Flow, cfg: Config) -> bool:
    """Fill flow.app (methods seen, message count) when a unit opens with a SIP request or status line."""
    methods: set[str] = set()
    messages = 0
    for _, data in units(flow):
        request = _REQUEST.match(data)
        if request:
            methods.add(escape_text(request.group(1)))
        if request or _STATUS.match(data):
            messages += 1
    if not messages:
        return False
    flow.app = {"protocol": "sip", "messages": messages, "methods": sorted(methods)}
    return True
