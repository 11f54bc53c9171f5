"""Line-based protocols told apart by their opening exchange: what the server says first and the client's first
command (SMTP and FTP both greet with "220"; IRC servers open with a prefixed message or NOTICE)."""
from __future__ import annotations

import re

from ..config import Config
from ..model import Flow

#: (service, server's opening, client's opening); both directions must match
_SERVICES: tuple[tuple[str, re.Pattern[bytes], re.Pattern[bytes]], ...] = tuple(
    (service, re.compile(server), re.compile(client, re.IGNORECASE))
    for service, server, client in (
        ("smtp", rb"220[ -]", rb"(EHLO|HELO) "),
        ("ftp", rb"220[ -]", rb"(USER|AUTH TLS|FEAT|SYST|OPTS)\b"),
        ("pop3", rb"\+OK", rb"(USER|CAPA|AUTH|STLS|APOP)\b"),
        ("imap", rb"\* OK", rb"\S+ (CAPABILITY|LOGIN|STARTTLS|AUTHENTICATE|ID)\b"),
        ("irc", rb"(:\S+ |NOTICE |PING |ERROR )", rb"(CAP LS|PASS |NICK |USER )"),
    )
)


def dissect(flow: Flow, cfg: Config) -> bool:
    """Set flow.service to "smtp", "ftp", "pop3", "imap" or "irc" when both openings match that protocol's."""
    if flow.proto != "tcp":
        return False
    for service, server, client in _SERVICES:
        if server.match(flow.resp_sample) and client.match(flow.orig_sample):
            flow.service = service
            return True
    return False
