"""Attacker-controlled bytes (names, banners, URIs, SNI) as safe printable text."""
from __future__ import annotations

import re

_UNSAFE = re.compile(rb"[^\x20-\x5b\x5d-\x7e]")  # anything escape_text escapes


def escape_text(raw: bytes) -> str:
    """Printable ASCII kept (case too); any other byte, and the backslash itself, written as \\xNN."""
    if not _UNSAFE.search(raw):
        return raw.decode("ascii")
    return "".join(chr(b) if 0x20 <= b <= 0x7E and b != 0x5C else f"\\x{b:02x}" for b in raw)
